//! Footage by HTTP Range: the original bytes of a recording, whole (200) or one byte range (206).
//!
//! This module only serves: whether the caller may see the recording has been decided before
//! [`respond`] is called, and what was served is reported back through its `on_served` callback so
//! the caller can log what was watched.
//!
//! * One range only. A request for several ranges (`bytes=0-1,5-9`) is answered 416: we do not
//!   produce `multipart/byteranges` (browsers' media players never ask for it).
//! * `If-Range` is ignored: a recording's bytes never change (the vault is write-once and the
//!   `ETag` is the SHA-256), so a range is always valid against the representation the client
//!   holds.
//! * The body is read with positioned reads (`read_exact_at`, no shared cursor) inside
//!   `spawn_blocking`, at most [`CHUNK`] bytes a read. The body is a stream polled by the
//!   connection, reading one chunk ahead: the first chunk is started by [`respond`] (so it is
//!   usually ready when the head is written, and goes out in the same write), each next one when
//!   the previous one has been taken. A large or open-ended range (Chromium first asks `bytes=0-`,
//!   then drops the connection to seek) is never buffered (two chunks at most), and a client that
//!   goes away stops the reads.
//! * An original held only in a root with no local file (an S3 bucket) is served the same way
//!   by [`respond_remote`]: each chunk is one ranged read of the object (`ObjectRoot::read_range`)
//!   on the blocking pool, so playback reads ranges straight from the bucket (X5).

use std::fmt;
use std::fs::File;
use std::io;
use std::ops::RangeInclusive;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use http_range_header::{EndPosition, StartPosition};
use zhilu_app::access::RemoteOriginal;

/// The most bytes read at once (and so the largest chunk of a body).
pub const CHUNK: u64 = 1024 * 1024;

/// What the caller already decided may be served (the authorisation happens elsewhere).
#[derive(Debug)]
pub struct Servable {
    /// Shared: one open handle serves every request for an original (positioned reads only).
    pub file: Arc<File>,
    /// The file's length in bytes (the catalog's size, checked by the caller against the file).
    pub len: u64,
    pub content_type: &'static str,
    /// The SHA-256 of the content, in hex; sent quoted as the strong `ETag`.
    pub etag: String,
}

/// The byte range actually served, reported to a callback so the caller can log what was watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    pub start: u64,
    pub end_inclusive: u64,
}

/// Why a `Range` header is answered 416.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// Not `bytes=first-last`, `bytes=first-` or `bytes=-suffix`: a bad number, stray whitespace,
    /// a zero suffix, a value that is not ASCII, or several `Range` fields.
    Malformed,
    /// A range unit other than `bytes`.
    UnsupportedUnit,
    /// More than one range: we do not serve `multipart/byteranges`.
    MultipleRanges,
    /// `last` before `first` (`bytes=9-5`).
    Reversed,
    /// `first` at or past the end of the file, or any range of an empty file.
    NotSatisfiable,
}

impl RangeError {
    /// The message for the user, in Chinese.
    pub fn message(&self) -> &'static str {
        match self {
            RangeError::Malformed => "请求的字节范围无效：格式不正确",
            RangeError::UnsupportedUnit => "请求的字节范围无效：只支持以字节（bytes）为单位",
            RangeError::MultipleRanges => "请求的字节范围无效：一次只能请求一个范围",
            RangeError::Reversed => "请求的字节范围无效：结束位置在起始位置之前",
            RangeError::NotSatisfiable => "请求的字节范围无效：起始位置超出文件长度",
        }
    }
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for RangeError {}

/// Parses the Range header against `len`. `None` = no Range header (serve whole, 200).
///
/// An end beyond the file is clamped to its last byte, and a suffix longer than the file selects
/// the whole file (RFC 9110 §14.1.2).
pub fn parse_range(
    headers: &HeaderMap,
    len: u64,
) -> Result<Option<RangeInclusive<u64>>, RangeError> {
    let mut fields = headers.get_all(header::RANGE).iter();
    let Some(value) = fields.next() else {
        return Ok(None);
    };
    if fields.next().is_some() {
        return Err(RangeError::Malformed);
    }
    let value = value.to_str().map_err(|_| RangeError::Malformed)?;
    let Some((unit, set)) = value.split_once('=') else {
        return Err(RangeError::Malformed);
    };
    // Range units are case-insensitive (RFC 9110 §14.1).
    if !unit.eq_ignore_ascii_case("bytes") {
        let token = !unit.is_empty()
            && unit
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        return Err(if token {
            RangeError::UnsupportedUnit
        } else {
            RangeError::Malformed
        });
    }
    let parsed = http_range_header::parse_range_header(&format!("bytes={set}"))
        .map_err(|_| RangeError::Malformed)?;
    let [range] = parsed.ranges.as_slice() else {
        return Err(RangeError::MultipleRanges);
    };
    let last_byte = len.checked_sub(1);
    match (range.start, range.end) {
        (StartPosition::Index(first), end) => {
            if let EndPosition::Index(last) = end
                && last < first
            {
                return Err(RangeError::Reversed);
            }
            let last_byte = last_byte.ok_or(RangeError::NotSatisfiable)?;
            if first > last_byte {
                return Err(RangeError::NotSatisfiable);
            }
            let last = match end {
                EndPosition::Index(last) => last.min(last_byte),
                EndPosition::LastByte => last_byte,
            };
            Ok(Some(first..=last))
        }
        // The parser refuses a zero suffix, so a non-empty file always satisfies a suffix.
        (StartPosition::FromLast(suffix), _) => {
            let last_byte = last_byte.ok_or(RangeError::NotSatisfiable)?;
            Ok(Some(len.saturating_sub(suffix)..=last_byte))
        }
    }
}

/// Builds the response: 200 whole file, 206 with `Content-Range` for one range, 416 with
/// `Content-Range: bytes */len` (and the Chinese message as a plain-text body) when the range is
/// unsatisfiable or malformed. Always `Accept-Ranges: bytes`, `ETag`, `Content-Length`,
/// `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`.
///
/// `on_served` is called at most once, from the body:
/// * when its last byte has been read and handed to the connection, with the whole range;
/// * when the body is dropped early (the client went away, or a read failed), with the bytes
///   handed to the connection so far — these may not all have reached the client;
/// * never when no byte was served: a 416, an empty file, or a client gone before the first chunk.
pub fn respond(
    s: Servable,
    range: Result<Option<RangeInclusive<u64>>, RangeError>,
    on_served: impl FnOnce(Served) + Send + 'static,
) -> Response {
    let Servable {
        file,
        len,
        content_type,
        etag,
    } = s;
    respond_from(Src::File(file), len, content_type, etag, range, on_served)
}

/// [`respond`] for an original in a root with no local file (an S3 bucket): each chunk of the
/// range is one ranged read of the object, on the blocking pool (X5).
pub fn respond_remote(
    object: RemoteOriginal,
    content_type: &'static str,
    etag: String,
    range: Result<Option<RangeInclusive<u64>>, RangeError>,
    on_served: impl FnOnce(Served) + Send + 'static,
) -> Response {
    let len = object.len;
    respond_from(
        Src::Remote(Arc::new(object)),
        len,
        content_type,
        etag,
        range,
        on_served,
    )
}

/// Where a body's bytes come from.
#[derive(Clone)]
enum Src {
    File(Arc<File>),
    Remote(Arc<RemoteOriginal>),
}

fn respond_from(
    file: Src,
    len: u64,
    content_type: &'static str,
    etag: String,
    range: Result<Option<RangeInclusive<u64>>, RangeError>,
    on_served: impl FnOnce(Served) + Send + 'static,
) -> Response {
    let (status, content_range, content_type, length, body) = match range {
        Err(e) => {
            let message = e.message();
            (
                StatusCode::RANGE_NOT_SATISFIABLE,
                Some(format!("bytes */{len}")),
                "text/plain; charset=utf-8",
                message.len() as u64,
                Body::from(message),
            )
        }
        Ok(None) => {
            let body = match len.checked_sub(1) {
                Some(last) => stream_body(file, 0, last, on_served),
                None => Body::empty(),
            };
            (StatusCode::OK, None, content_type, len, body)
        }
        Ok(Some(range)) => {
            let (start, end) = range.into_inner();
            // `parse_range` never returns these; a hand-made range must still not read past
            // the file.
            if start > end || end >= len {
                return respond_from(
                    file,
                    len,
                    content_type,
                    etag,
                    Err(RangeError::NotSatisfiable),
                    on_served,
                );
            }
            (
                StatusCode::PARTIAL_CONTENT,
                Some(format!("bytes {start}-{end}/{len}")),
                content_type,
                end - start + 1,
                stream_body(file, start, end, on_served),
            )
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // A hex digest always makes a valid value; anything else is left out rather than sent broken.
    if let Ok(v) = HeaderValue::try_from(format!("\"{etag}\"")) {
        h.insert(header::ETAG, v);
    }
    if let Some(v) = content_range.and_then(|v| HeaderValue::try_from(v).ok()) {
        h.insert(header::CONTENT_RANGE, v);
    }
    response
}

/// A chunk being read: its offset and length, and how it is being read.
type Pending = (u64, u64, Read);

/// How a chunk is being read.
enum Read {
    /// Already in hand: the page cache held it (no thread handoff).
    Done(Bytes),
    /// On the blocking pool.
    Task(tokio::task::JoinHandle<io::Result<Bytes>>),
    /// Outside a tokio runtime: read in place at the first poll.
    Later,
}

/// The reading state of one body. Dropping it before the end reports what was produced so far.
struct Reader<F: FnOnce(Served)> {
    file: Src,
    start: u64,
    /// The end of what was produced; `next > end` once everything was produced.
    next: u64,
    end: u64,
    /// The chunk being read ahead (at most one): the first one is started by [`respond`] so that
    /// it is usually ready when the connection has written the head, and each later one when the
    /// previous one is handed over. Memory stays at two chunks per body at most.
    ahead: Option<Pending>,
    failed: bool,
    on_served: Option<F>,
}

impl<F: FnOnce(Served)> Reader<F> {
    fn report(&mut self) {
        if self.next > self.start
            && let Some(f) = self.on_served.take()
        {
            f(Served {
                start: self.start,
                end_inclusive: self.next - 1,
            });
        }
    }

    /// Starts reading the chunk at `at`, if any is left.
    fn read_ahead(&mut self, at: u64) {
        if at <= self.end {
            let n = CHUNK.min(self.end - at + 1);
            self.ahead = Some((at, n, spawn_read(&self.file, at, n)));
        }
    }
}

impl<F: FnOnce(Served)> Drop for Reader<F> {
    fn drop(&mut self) {
        // A read still running finishes on the blocking pool and is discarded.
        self.report();
    }
}

/// Starts reading `n` bytes at `at`: at once when the page cache holds them all (`preadv2` with
/// `RWF_NOWAIT`, which never waits for the disk), otherwise on the blocking pool, so that a read
/// from disk never stalls a runtime thread while a cached one costs no thread handoff. (Handing
/// every read to the pool cost about a third of the requests a second in `bench serve`.)
fn spawn_read(src: &Src, at: u64, n: u64) -> Read {
    if let Src::File(file) = src
        && let Some(bytes) = read_cached(file, at, n)
    {
        return Read::Done(bytes);
    }
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return Read::Later;
    };
    let src = src.clone();
    Read::Task(handle.spawn_blocking(move || read_src(&src, at, n)))
}

/// Reads `n` bytes at `at`, waiting for the disk or the object store.
fn read_src(src: &Src, at: u64, n: u64) -> io::Result<Bytes> {
    match src {
        Src::File(file) => read_now(file, at, n),
        Src::Remote(object) => {
            let bytes = object
                .read_range(at, n)
                .map_err(|e| io::Error::other(e.to_string()))?;
            if bytes.len() as u64 != n {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
            }
            Ok(Bytes::from(bytes))
        }
    }
}

/// The bytes, if the page cache holds every one of them now; `None` if reading would wait (or
/// the filesystem cannot say).
fn read_cached(file: &File, at: u64, n: u64) -> Option<Bytes> {
    let mut buf = pool::take(usize::try_from(n).ok()?);
    let mut done = 0usize;
    while done < buf.len() {
        let mut slice = [io::IoSliceMut::new(&mut buf.as_mut()[done..])];
        match rustix::io::preadv2(
            file,
            &mut slice,
            at + done as u64,
            rustix::io::ReadWriteFlags::NOWAIT,
        ) {
            Ok(0) | Err(_) => return None,
            Ok(k) => done += k,
        }
    }
    Some(Bytes::from_owner(buf))
}

fn read_now(file: &File, at: u64, n: u64) -> io::Result<Bytes> {
    let mut buf = pool::take(usize::try_from(n).map_err(io::Error::other)?);
    file.read_exact_at(buf.as_mut(), at)?;
    Ok(Bytes::from_owner(buf))
}

/// Read buffers, reused. Serving a 64 KiB range from a fresh `Vec` cost an allocation, zeroing
/// 64 KiB and a free — and glibc consolidates its heap on every free of 64 KiB or more: together
/// about a tenth of the server's CPU in `bench serve`. A buffer taken here goes back when the
/// connection drops the `Bytes` that owns it.
///
/// *Why no stale bytes can leak:* a body only ever exposes the first `len` bytes of a buffer, and
/// `len` bytes are only exposed after a read filled all of them (`read_exact_at`, or the
/// `preadv2` loop that gives up on any short read).
mod pool {
    use std::sync::Mutex;

    /// Buffers come in power-of-two sizes from 64 KiB to 1 MiB ([`super::CHUNK`]).
    const SMALLEST: usize = 64 * 1024;
    const CLASSES: usize = 5;
    /// Idle buffers kept per size (at most 16 × (64 KiB + … + 1 MiB) ≈ 31 MiB in all).
    const KEEP: usize = 16;

    static FREE: [Mutex<Vec<Vec<u8>>>; CLASSES] = [const { Mutex::new(Vec::new()) }; CLASSES];

    /// A buffer of at least `len` bytes, of which the first `len` are the body's.
    pub(super) struct Buf {
        bytes: Vec<u8>,
        len: usize,
    }

    impl AsRef<[u8]> for Buf {
        fn as_ref(&self) -> &[u8] {
            &self.bytes[..self.len]
        }
    }

    impl AsMut<[u8]> for Buf {
        fn as_mut(&mut self) -> &mut [u8] {
            &mut self.bytes[..self.len]
        }
    }

    impl Buf {
        pub(super) fn len(&self) -> usize {
            self.len
        }
    }

    fn class(size: usize) -> Option<usize> {
        let size = size.max(SMALLEST).checked_next_power_of_two()?;
        let i = (size / SMALLEST).trailing_zeros() as usize;
        (i < CLASSES).then_some(i)
    }

    /// A buffer for `len` bytes: a free one of its size, or a new one.
    pub(super) fn take(len: usize) -> Buf {
        let Some(c) = class(len) else {
            return Buf {
                bytes: vec![0; len],
                len,
            };
        };
        let reused = FREE[c].lock().unwrap_or_else(|e| e.into_inner()).pop();
        Buf {
            bytes: reused.unwrap_or_else(|| vec![0; SMALLEST << c]),
            len,
        }
    }

    impl Drop for Buf {
        fn drop(&mut self) {
            let size = self.bytes.len();
            if let Some(c) = class(size).filter(|c| SMALLEST << c == size) {
                let mut free = FREE[c].lock().unwrap_or_else(|e| e.into_inner());
                if free.len() < KEEP {
                    free.push(std::mem::take(&mut self.bytes));
                }
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn buffers_come_in_size_classes() {
            assert_eq!(class(1), Some(0));
            assert_eq!(class(SMALLEST), Some(0));
            assert_eq!(class(SMALLEST + 1), Some(1));
            assert_eq!(class(1 << 20), Some(4));
            assert_eq!(class((1 << 20) + 1), None);
            for len in [0, 1, 100, SMALLEST, SMALLEST + 1, 1 << 20, (1 << 20) + 5] {
                let b = take(len);
                assert_eq!(b.len(), len);
                assert_eq!(b.as_ref().len(), len);
            }
        }
    }
}

/// The bytes `start..=end` of `file` as a stream of chunks of at most [`CHUNK`] bytes (a range
/// of up to [`CHUNK`] is one chunk). The first chunk is read at once, each next one when the
/// previous is taken by the connection, so reading stops when the connection stops asking.
fn stream_body(
    file: Src,
    start: u64,
    end: u64,
    on_served: impl FnOnce(Served) + Send + 'static,
) -> Body {
    let mut reader = Reader {
        file,
        start,
        next: start,
        end,
        ahead: None,
        failed: false,
        on_served: Some(on_served),
    };
    reader.read_ahead(start);
    let chunks = futures_util::stream::unfold(reader, |mut r| async move {
        if r.failed {
            return None;
        }
        let (at, n, pending) = r.ahead.take()?;
        let read = match pending {
            Read::Done(bytes) => Ok(bytes),
            Read::Task(t) => t.await.map_err(io::Error::other).and_then(|read| read),
            Read::Later => read_src(&r.file, at, n),
        };
        match read {
            Ok(bytes) => {
                r.next = at + n;
                if r.next > r.end {
                    r.report();
                } else {
                    r.read_ahead(r.next);
                }
                Some((Ok(bytes), r))
            }
            Err(e) => {
                // The connection is aborted on the error; the drop reports what went before.
                r.failed = true;
                Some((Err(e), r))
            }
        }
    });
    Body::from_stream(chunks)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Mutex;

    use axum::body::HttpBody;
    use http_body_util::BodyExt;

    use super::*;

    fn headers(range: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        h
    }

    fn parse(range: &str, len: u64) -> Result<Option<RangeInclusive<u64>>, RangeError> {
        parse_range(&headers(range), len)
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range(&HeaderMap::new(), 10), Ok(None));
        assert_eq!(parse("bytes=0-4", 10), Ok(Some(0..=4)));
        assert_eq!(parse("bytes=5-5", 10), Ok(Some(5..=5)));
        assert_eq!(parse("Bytes=1-2", 10), Ok(Some(1..=2)));
        // Open-ended, suffix, end clamped, suffix longer than the file.
        assert_eq!(parse("bytes=3-", 10), Ok(Some(3..=9)));
        assert_eq!(parse("bytes=0-", 10), Ok(Some(0..=9)));
        assert_eq!(parse("bytes=-4", 10), Ok(Some(6..=9)));
        assert_eq!(parse("bytes=-500", 10), Ok(Some(0..=9)));
        assert_eq!(parse("bytes=8-1000", 10), Ok(Some(8..=9)));
        // Refused.
        assert_eq!(parse("bytes=0-1,5-9", 10), Err(RangeError::MultipleRanges));
        assert_eq!(parse("bytes=0-1, 5-9", 10), Err(RangeError::MultipleRanges));
        assert_eq!(parse("bytes=9-5", 10), Err(RangeError::Reversed));
        assert_eq!(parse("bytes=10-", 10), Err(RangeError::NotSatisfiable));
        assert_eq!(parse("bytes=10-20", 10), Err(RangeError::NotSatisfiable));
        assert_eq!(parse("bytes=a-5", 10), Err(RangeError::Malformed));
        assert_eq!(parse("bytes=0-x", 10), Err(RangeError::Malformed));
        assert_eq!(parse("bytes=-0", 10), Err(RangeError::Malformed));
        assert_eq!(parse("bytes=-", 10), Err(RangeError::Malformed));
        assert_eq!(parse("bytes=", 10), Err(RangeError::Malformed));
        assert_eq!(parse("bytes=0-1-2", 10), Err(RangeError::Malformed));
        assert_eq!(parse("bytes= 0-1", 10), Err(RangeError::Malformed));
        assert_eq!(parse("0-1", 10), Err(RangeError::Malformed));
        assert_eq!(parse("items=0-1", 10), Err(RangeError::UnsupportedUnit));
        // An empty file satisfies no range.
        assert_eq!(parse("bytes=0-", 0), Err(RangeError::NotSatisfiable));
        assert_eq!(parse("bytes=-5", 0), Err(RangeError::NotSatisfiable));
        assert_eq!(parse("bytes=0-0", 0), Err(RangeError::NotSatisfiable));
        // Two Range fields.
        let mut two = headers("bytes=0-1");
        two.append(header::RANGE, HeaderValue::from_static("bytes=2-3"));
        assert_eq!(parse_range(&two, 10), Err(RangeError::Malformed));
        assert!(
            RangeError::Reversed
                .message()
                .starts_with("请求的字节范围无效：")
        );
    }

    /// A temporary file of `len` bytes of a fixed pattern, and that content.
    fn sample(len: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
        let data: Vec<u8> = (0..len)
            .map(|i| (i as u64).wrapping_mul(2_654_435_761).rotate_right(13) as u8)
            .collect();
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&data).unwrap();
        f.flush().unwrap();
        (f, data)
    }

    /// A reused buffer never shows what it held before: dirty every pooled buffer, then read
    /// short pieces of a file, cached and not: each is exactly the file's bytes.
    #[test]
    fn reused_buffers_expose_only_the_bytes_just_read() {
        let (f, data) = sample(300_000);
        let file = f.reopen().unwrap();
        for len in [65_536usize, 131_072, 1 << 20] {
            let mut dirty: Vec<_> = (0..20).map(|_| pool::take(len)).collect();
            for b in &mut dirty {
                b.as_mut().fill(0xAA);
            }
        }
        for (at, n) in [(0u64, 10u64), (5, 65_536), (70_000, 100_000), (299_990, 10)] {
            let want = &data[at as usize..(at + n) as usize];
            assert_eq!(&read_now(&file, at, n).unwrap()[..], want, "read at {at}");
            if let Some(b) = read_cached(&file, at, n) {
                assert_eq!(&b[..], want, "cached read at {at}");
            }
        }
    }

    fn servable(f: &tempfile::NamedTempFile, len: u64) -> Servable {
        Servable {
            file: Arc::new(f.reopen().unwrap()),
            len,
            content_type: "video/mp4",
            etag: "ab".repeat(32),
        }
    }

    type Log = Arc<Mutex<Vec<Served>>>;

    fn logger() -> (Log, impl FnOnce(Served) + Send + 'static) {
        let log: Log = Arc::default();
        let l = Arc::clone(&log);
        (log, move |s| l.lock().unwrap().push(s))
    }

    fn header_of(r: &Response, name: header::HeaderName) -> &str {
        r.headers()
            .get(&name)
            .unwrap_or_else(|| panic!("no {name}"))
            .to_str()
            .unwrap()
    }

    async fn get(f: &tempfile::NamedTempFile, len: u64, range: Option<&str>) -> (Response, Log) {
        let h = range.map(headers).unwrap_or_default();
        let (log, on_served) = logger();
        (
            respond(servable(f, len), parse_range(&h, len), on_served),
            log,
        )
    }

    fn common(r: &Response, length: u64) {
        assert_eq!(header_of(r, header::ACCEPT_RANGES), "bytes");
        assert_eq!(header_of(r, header::CONTENT_LENGTH), length.to_string());
        assert_eq!(header_of(r, header::CACHE_CONTROL), "no-store");
        assert_eq!(header_of(r, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(
            header_of(r, header::ETAG),
            format!("\"{}\"", "ab".repeat(32))
        );
    }

    async fn body(r: Response) -> Vec<u8> {
        r.into_body().collect().await.unwrap().to_bytes().to_vec()
    }

    #[tokio::test]
    async fn whole_file_is_200() {
        let (f, data) = sample(1000);
        let (r, log) = get(&f, 1000, None).await;
        assert_eq!(r.status(), StatusCode::OK);
        common(&r, 1000);
        assert_eq!(header_of(&r, header::CONTENT_TYPE), "video/mp4");
        assert!(r.headers().get(header::CONTENT_RANGE).is_none());
        assert_eq!(body(r).await, data);
        assert_eq!(
            *log.lock().unwrap(),
            [Served {
                start: 0,
                end_inclusive: 999
            }]
        );
    }

    #[tokio::test]
    async fn one_range_is_206() {
        let (f, data) = sample(1000);
        for (range, want) in [
            ("bytes=10-19", 10..=19),
            ("bytes=990-", 990..=999),
            ("bytes=-3", 997..=999),
            ("bytes=995-5000", 995..=999),
        ] {
            let (r, log) = get(&f, 1000, Some(range)).await;
            assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
            let (a, b) = (*want.start(), *want.end());
            common(&r, b - a + 1);
            assert_eq!(
                header_of(&r, header::CONTENT_RANGE),
                format!("bytes {a}-{b}/1000")
            );
            assert_eq!(body(r).await, data[a as usize..=b as usize]);
            assert_eq!(
                *log.lock().unwrap(),
                [Served {
                    start: a,
                    end_inclusive: b
                }]
            );
        }
    }

    #[tokio::test]
    async fn refused_is_416_with_the_length() {
        let (f, _) = sample(1000);
        for range in [
            "bytes=0-1,5-9",
            "bytes=9-5",
            "bytes=1000-",
            "bytes=x-1",
            "items=0-1",
        ] {
            let (r, log) = get(&f, 1000, Some(range)).await;
            assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
            assert_eq!(header_of(&r, header::CONTENT_RANGE), "bytes */1000");
            let text = body(r).await;
            assert!(
                String::from_utf8(text)
                    .unwrap()
                    .starts_with("请求的字节范围无效：")
            );
            assert!(log.lock().unwrap().is_empty());
        }
        let (r, _) = get(&f, 1000, Some("bytes=9-5")).await;
        common(&r, RangeError::Reversed.message().len() as u64);
    }

    #[tokio::test]
    async fn empty_file() {
        let (f, _) = sample(0);
        let (r, log) = get(&f, 0, None).await;
        assert_eq!(r.status(), StatusCode::OK);
        common(&r, 0);
        assert!(body(r).await.is_empty());
        let (r, _) = get(&f, 0, Some("bytes=0-")).await;
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(header_of(&r, header::CONTENT_RANGE), "bytes */0");
        assert!(log.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn large_range_is_streamed_in_chunks() {
        let len = 4 * CHUNK as usize;
        let (f, data) = sample(len);
        let (start, end) = (12_345usize, 12_345 + 3 * CHUNK as usize - 1);
        let (r, log) = get(&f, len as u64, Some(&format!("bytes={start}-{end}"))).await;
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        let mut body = r.into_body();
        let mut got = Vec::new();
        let mut chunks = 0;
        while let Some(frame) = body.frame().await {
            let chunk = frame.unwrap().into_data().unwrap();
            assert!(chunk.len() as u64 <= CHUNK);
            got.extend_from_slice(&chunk);
            chunks += 1;
        }
        assert_eq!(chunks, 3);
        assert!(got == data[start..=end], "the bytes differ from the file");
        assert_eq!(
            *log.lock().unwrap(),
            [Served {
                start: start as u64,
                end_inclusive: end as u64
            }]
        );
    }

    #[tokio::test]
    async fn a_client_gone_early_reports_what_was_sent() {
        let len = 5 * CHUNK;
        let (f, data) = sample(len as usize);
        let (r, log) = get(&f, len, Some("bytes=100-")).await;
        let mut body = r.into_body();
        assert!(!body.is_end_stream());
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first.len() as u64, CHUNK);
        assert!(first[..] == data[100..100 + CHUNK as usize]);
        assert!(log.lock().unwrap().is_empty());
        drop(body);
        assert_eq!(
            *log.lock().unwrap(),
            [Served {
                start: 100,
                end_inclusive: 100 + CHUNK - 1
            }]
        );
        // Gone before the first chunk: nothing to report.
        let (r, log) = get(&f, len, Some("bytes=0-")).await;
        drop(r);
        assert!(log.lock().unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn x5_ranges_are_served_through_a_roots_ranged_reads() {
        use std::io::Write as _;
        use zhilu_store::ObjectRoot as _;
        let d = tempfile::tempdir().unwrap();
        let root = zhilu_store::LocalRoot::create(d.path()).unwrap();
        let len = 2 * CHUNK as usize + 12_345;
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&data).into();
        let mut p = root.begin().unwrap();
        p.write_all(&data).unwrap();
        p.finish(&sha).unwrap();
        let object = RemoteOriginal {
            root: Arc::new(root),
            sha256: hex::encode(sha),
            len: len as u64,
        };
        for (range, want) in [
            (Some("bytes=10-19"), 10..=19u64),
            (Some("bytes=100-"), 100..=len as u64 - 1),
            (None, 0..=len as u64 - 1),
        ] {
            let h = range.map(headers).unwrap_or_default();
            let (log, on_served) = logger();
            let r = respond_remote(
                object.clone(),
                "video/mp4",
                "ab".repeat(32),
                parse_range(&h, len as u64),
                on_served,
            );
            let (a, b) = (*want.start(), *want.end());
            common(&r, b - a + 1);
            assert_eq!(body(r).await, data[a as usize..=b as usize], "{range:?}");
            assert_eq!(
                *log.lock().unwrap(),
                [Served {
                    start: a,
                    end_inclusive: b
                }]
            );
        }
    }
}

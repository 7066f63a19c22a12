//! Footage by HTTP Range. PLACEHOLDER with the agreed signatures: the real module (streamed
//! bodies, ≤ 1 MiB reads) is written in parallel and replaces this one at merge.

use std::ops::RangeInclusive;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An original ready to be served.
#[derive(Debug)]
pub struct Servable {
    pub file: std::fs::File,
    pub len: u64,
    pub content_type: &'static str,
    pub etag: String,
}

/// The bytes a response carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    pub start: u64,
    pub end_inclusive: u64,
}

/// A `Range` header that cannot be satisfied (or more than one range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeError;

/// The one range asked for, if any.
pub fn parse_range(
    headers: &HeaderMap,
    len: u64,
) -> Result<Option<RangeInclusive<u64>>, RangeError> {
    let Some(v) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let v = v.to_str().map_err(|_| RangeError)?;
    let parsed = http_range_header::parse_range_header(v).map_err(|_| RangeError)?;
    let mut ranges = parsed.validate(len).map_err(|_| RangeError)?;
    if ranges.len() != 1 {
        return Err(RangeError);
    }
    Ok(ranges.pop())
}

/// 200 with the whole file, 206 with one range, 416 with `Content-Range: bytes */len`.
pub fn respond(
    s: Servable,
    range: Result<Option<RangeInclusive<u64>>, RangeError>,
    on_served: impl FnOnce(Served) + Send + 'static,
) -> Response {
    let len = s.len;
    let (status, start, end) = match range {
        Err(RangeError) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
        Ok(Some(r)) => (StatusCode::PARTIAL_CONTENT, *r.start(), *r.end()),
        Ok(None) if len == 0 => (StatusCode::OK, 0, 0),
        Ok(None) => (StatusCode::OK, 0, len - 1),
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    let file = s.file;
    let body = async move {
        tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0u8; usize::try_from(count).unwrap_or(0)];
            file.read_exact_at(&mut buf, start).map(|()| buf)
        })
        .await
        .map_err(std::io::Error::other)?
    };
    let stream = futures_util::stream::once(async move {
        let r = body.await.map(bytes::Bytes::from);
        if r.is_ok() && count > 0 {
            on_served(Served {
                start,
                end_inclusive: end,
            });
        }
        r
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(s.content_type),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if let Ok(v) = HeaderValue::from_str(&s.etag) {
        h.insert(header::ETAG, v);
    }
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    resp
}

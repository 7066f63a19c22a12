//! BagIt bags (RFC 8493) for evidence leaving the vault (R22, X3): the original bytes under safe
//! names in `data/`, manifests in SHA-256 and SM3 computed from the very bytes written (a given
//! hash is never trusted), `names.tsv` mapping each safe name to the original one, `bag-info.txt`
//! with the facts the caller passes (no clock here), and a tag manifest over every tag file. A
//! receiver checks it with `python3 verify.py` ([`VERIFY_PY`], shipped in every package),
//! `bagit.py --validate`, `openssl dgst -sm3` or `certutil` ([`README_TXT`]).
//!
//! The bag is written in two steps: [`BagWriter::add`] per payload file (its digests come back at
//! once, so the caller can hold them against its catalog and stop before anything else is
//! written), then [`BagWriter::finish`] with the bag-info facts and extra tag files (the audit
//! proofs). [`verify`] re-checks a finished bag and names the first problem in Chinese.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use sha2::{Digest, Sha256};
use sm3::Sm3;

/// A bag that cannot be written, or one that does not verify. The message is Chinese and names
/// the file.
#[derive(Debug, thiserror::Error)]
pub enum BagError {
    #[error("写入 {}失败：{source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("导出目录 {0} 已存在且不是空目录：请指定一个不存在的或空的目录")]
    NotEmpty(PathBuf),
    #[error("文件名无效：{0}")]
    BadName(String),
    /// The bag does not verify: the first problem found.
    #[error("校验未通过：{0}")]
    Invalid(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> BagError + '_ {
    move |source| BagError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(m: impl Into<String>) -> BagError {
    BagError::Invalid(m.into())
}

/// What was written for one payload file, computed from the bytes as they were copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigests {
    /// The name the file had (as given).
    pub original_name: String,
    /// Its path in the bag, `data/<safe name>`.
    pub path: String,
    pub sha256: [u8; 32],
    pub sm3: [u8; 32],
    pub size: u64,
}

/// The facts listed in `bag-info.txt`. Times are given by the caller (already formatted), so
/// this crate needs no clock. Empty values are left out.
#[derive(Debug, Clone, Default)]
pub struct BagInfo {
    /// Source-Organization: the agency.
    pub agency: String,
    /// External-Identifier: the case number (案件编号) or the grant.
    pub case: String,
    /// 接收单位: the court, reconsideration body or auditor receiving the package.
    pub receiver: String,
    /// 制作人.
    pub maker: String,
    /// 提取人.
    pub extractor: String,
    /// 事由.
    pub reason: String,
    /// 提取时间, as the receiver should read it (e.g. Beijing time).
    pub time: String,
    /// Bagging-Date, `YYYY-MM-DD`.
    pub bagging_date: String,
}

/// The `bagit.txt` of every bag.
pub const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
/// The tag file mapping safe names to original names.
pub const NAMES_TSV: &str = "names.tsv";

/// Longest safe name, in bytes (well under the 255 of common file systems, leaving room for a
/// collision suffix and the folders a receiver copies the bag into).
const MAX_NAME_BYTES: usize = 160;

/// Writes one bag into an empty directory.
#[derive(Debug)]
pub struct BagWriter {
    root: PathBuf,
    taken: HashSet<String>,
    files: Vec<FileDigests>,
    /// Each payload file's fsync, running behind the copy of the next file so the disk is
    /// flushing while the next file is hashed; all are awaited in [`BagWriter::finish`].
    syncs: Vec<thread::JoinHandle<Result<(), BagError>>>,
}

impl BagWriter {
    /// Starts a bag in `root`, which must not exist or be an empty directory.
    pub fn create(root: &Path) -> Result<Self, BagError> {
        match fs::read_dir(root) {
            Ok(mut it) => {
                if it.next().is_some() {
                    return Err(BagError::NotEmpty(root.to_path_buf()));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(root).map_err(io_err(root))?
            }
            Err(e) => return Err(io_err(root)(e)),
        }
        let data = root.join("data");
        fs::create_dir(&data).map_err(io_err(&data))?;
        Ok(BagWriter {
            root: root.to_path_buf(),
            taken: HashSet::new(),
            files: Vec::new(),
            syncs: Vec::new(),
        })
    }

    /// Copies `src` to `data/<safe name>`, hashing the bytes as they are written. The file is
    /// fsynced in the background; [`BagWriter::finish`] returns only once every fsync has.
    pub fn add(
        &mut self,
        original_name: &str,
        src: &mut dyn Read,
    ) -> Result<FileDigests, BagError> {
        let safe = self.take_name(original_name);
        let (d, sync) = copy_one(&self.root, original_name, &safe, src)?;
        self.syncs.push(sync);
        self.files.push(d.clone());
        Ok(d)
    }

    /// [`BagWriter::add`] of several files: the safe names are given in input order (the same as
    /// adding them one by one), the copies run several at a time (each hashing on threads of its
    /// own), and the digests come back in input order. On an error, the first in input order is
    /// returned (files already written stay, as after a failed `add`).
    pub fn add_all(
        &mut self,
        sources: Vec<(String, Box<dyn Read + Send>)>,
    ) -> Result<Vec<FileDigests>, BagError> {
        type Job = Mutex<Option<(String, String, Box<dyn Read + Send>)>>;
        let jobs: Vec<Job> = sources
            .into_iter()
            .map(|(name, src)| {
                let safe = self.take_name(&name);
                Mutex::new(Some((name, safe, src)))
            })
            .collect();
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Copied>>> =
            Mutex::new((0..jobs.len()).map(|_| None).collect());
        let root = &self.root;
        thread::scope(|s| {
            for _ in 0..workers(jobs.len()) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        let taken = job.lock().map(|mut j| j.take()).unwrap_or(None);
                        let Some((name, safe, mut src)) = taken else {
                            continue;
                        };
                        let r = copy_one(root, &name, &safe, &mut *src);
                        if let Ok(mut all) = results.lock() {
                            all[i] = Some(r);
                        }
                    }
                });
            }
        });
        let mut out = Vec::new();
        let mut first_err = None;
        for r in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
            match r {
                Some(Ok((d, sync))) => {
                    self.syncs.push(sync);
                    self.files.push(d.clone());
                    out.push(d);
                }
                Some(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                None => {
                    first_err.get_or_insert(invalid("复制线程异常退出"));
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// The next payload file's safe name, unique case-insensitively within the bag.
    fn take_name(&mut self, original_name: &str) -> String {
        let safe = unique_name(&safe_name(original_name), &self.taken);
        self.taken.insert(safe.to_lowercase());
        safe
    }

    /// Writes the tag files: `bagit.txt`, both manifests, `names.tsv`, `bag-info.txt`, the
    /// caller's `tag_files` (relative paths outside `data/`, e.g. `audit/…`, `verify.py`) and
    /// last `tagmanifest-sha256.txt` over all of them. Returns every payload file's digests.
    pub fn finish(
        mut self,
        info: &BagInfo,
        tag_files: &[(String, Vec<u8>)],
    ) -> Result<Vec<FileDigests>, BagError> {
        for sync in std::mem::take(&mut self.syncs) {
            sync.join()
                .map_err(|_| invalid("同步写入磁盘的线程异常退出"))??;
        }
        let mut tags: Vec<(String, Vec<u8>)> = Vec::new();
        tags.push(("bagit.txt".into(), BAGIT_TXT.into()));
        let manifest = |f: fn(&FileDigests) -> &[u8; 32]| {
            self.files
                .iter()
                .map(|d| format!("{}  {}\n", hex::encode(f(d)), d.path))
                .collect::<String>()
                .into_bytes()
        };
        tags.push(("manifest-sha256.txt".into(), manifest(|d| &d.sha256)));
        tags.push(("manifest-sm3.txt".into(), manifest(|d| &d.sm3)));
        let mut names = String::from("data-path\toriginal-name\n");
        for d in &self.files {
            names.push_str(&format!("{}\t{}\n", d.path, escape_tsv(&d.original_name)));
        }
        tags.push((NAMES_TSV.into(), names.into_bytes()));
        let bytes: u64 = self.files.iter().map(|d| d.size).sum();
        let mut bi = String::new();
        let mut field = |label: &str, value: &str| {
            let v: String = value
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            if !v.trim().is_empty() {
                bi.push_str(&format!("{label}: {}\n", v.trim()));
            }
        };
        field("Source-Organization", &info.agency);
        field("External-Identifier", &info.case);
        field("Receiver-接收单位", &info.receiver);
        field("Maker-制作人", &info.maker);
        field("Extractor-提取人", &info.extractor);
        field("Reason-事由", &info.reason);
        field("Extraction-Time-提取时间", &info.time);
        field("Bagging-Date", &info.bagging_date);
        field("Payload-Oxum", &format!("{bytes}.{}", self.files.len()));
        field("Bag-Software-Agent", "zhilu");
        tags.push(("bag-info.txt".into(), bi.into_bytes()));
        for (name, body) in tag_files {
            if !tag_path_ok(name) {
                return Err(BagError::BadName(name.clone()));
            }
            tags.push((name.clone(), body.clone()));
        }
        let mut tagmanifest = String::new();
        for (name, body) in &tags {
            let path = self.root.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(io_err(parent))?;
            }
            write_new(&path, body)?;
            tagmanifest.push_str(&format!("{}  {name}\n", hex::encode(Sha256::digest(body))));
        }
        write_new(
            &self.root.join("tagmanifest-sha256.txt"),
            tagmanifest.as_bytes(),
        )?;
        Ok(self.files)
    }
}

fn write_new(path: &Path, body: &[u8]) -> Result<(), BagError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(body).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// A tag file's relative path: `/`-separated plain names, not in `data/`, not a bag file.
fn tag_path_ok(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with("data/")
        && !p.starts_with("manifest-")
        && !p.starts_with("tagmanifest-")
        && !matches!(p, "bagit.txt" | "bag-info.txt" | NAMES_TSV)
        && p.split('/').all(|c| !c.is_empty() && safe_name(c) == c)
}

/// Escapes a name for one TSV cell: backslash, tab, newline and other control characters as
/// `\\`, `\t`, `\n`, `\r`, `\u{…}`.
fn escape_tsv(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

const RESERVED: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];

fn reserved(stem: &str) -> bool {
    let up = stem.to_ascii_uppercase();
    RESERVED.contains(&up.as_str())
        || ((up.starts_with("COM") || up.starts_with("LPT"))
            && up.len() == 4
            && up.as_bytes()[3].is_ascii_digit())
        || up.starts_with("COM¹")
        || up.starts_with("COM²")
        || up.starts_with("COM³")
        || up.starts_with("LPT¹")
        || up.starts_with("LPT²")
        || up.starts_with("LPT³")
}

/// A name any common file system (Windows, macOS, Linux, ISO 9660 Joliet) takes as it is: path
/// separators, control characters, `<>:"|?*\` and `%` (which manifests would percent-encode)
/// become `_`; a trailing dot or space becomes `_`; `.`, `..` and an empty name become `_`; a
/// reserved Windows device name (CON, PRN, AUX, NUL, COM1–9, LPT1–9, with any extension) gets a
/// leading `_`; a name longer than 160 bytes is cut, keeping a short extension. A name that is
/// already safe is unchanged.
pub fn safe_name(original: &str) -> String {
    let mut s: String = original
        .chars()
        .map(|c| {
            if c.is_control() || "<>:\"|?*\\/%".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = s.trim_end_matches(['.', ' ']).len();
    if trimmed < s.len() {
        let n = s[trimmed..].chars().count();
        s.truncate(trimmed);
        s.extend(std::iter::repeat_n('_', n));
    }
    if s.is_empty() {
        s.push('_');
    }
    let stem = s.split('.').next().unwrap_or("").trim_end();
    if reserved(stem) {
        s.insert(0, '_');
    }
    if s.len() > MAX_NAME_BYTES {
        let ext = match s.rfind('.') {
            Some(i) if s.len() - i <= 16 && i > 0 => s[i..].to_string(),
            _ => String::new(),
        };
        let mut cut = MAX_NAME_BYTES - ext.len();
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str(&ext);
    }
    s
}

/// `name`, or `name~2`, `name~3`… (before the extension) when a name differing only in case is
/// taken (`taken` holds lowercase names), as case-insensitive file systems would collide.
fn unique_name(name: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(&name.to_lowercase()) {
        return name.to_string();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    };
    (2u64..)
        .map(|n| format!("{stem}~{n}{ext}"))
        .find(|c| !taken.contains(&c.to_lowercase()))
        .unwrap_or_default()
}

/// What a verified bag holds.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Payload files in manifest order, with both digests as re-computed.
    pub files: Vec<FileDigests>,
    /// `bag-info.txt` as label → value.
    pub info: BTreeMap<String, String>,
}

fn read(path: &Path, rel: &str) -> Result<Vec<u8>, BagError> {
    fs::read(path).map_err(|e| invalid(format!("无法读取 {rel}：{e}")))
}

fn text(root: &Path, rel: &str) -> Result<String, BagError> {
    String::from_utf8(read(&root.join(rel), rel)?)
        .map_err(|_| invalid(format!("{rel} 不是 UTF-8 文本")))
}

/// Parses a manifest: `<hex> <path>` per line, path percent-decoded (RFC 8493 §2.1.3).
fn parse_manifest(body: &str, rel: &str) -> Result<Vec<(String, String)>, BagError> {
    let mut out = Vec::new();
    for (i, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (hash, path) = line
            .split_once([' ', '\t'])
            .ok_or_else(|| invalid(format!("{rel} 第 {} 行格式错误", i + 1)))?;
        let path = path
            .trim_start_matches([' ', '\t'])
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%");
        if path
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty())
        {
            return Err(invalid(format!(
                "{rel} 第 {} 行的路径不安全：{path}",
                i + 1
            )));
        }
        out.push((hash.to_ascii_lowercase(), path));
    }
    Ok(out)
}

/// Bytes per chunk of a copy or a digest: large enough that system calls and the hand-offs
/// between threads cost nothing next to hashing.
const CHUNK: usize = 1 << 20;
/// Chunks in flight per stream: the reader fills the next ones while the hashers work.
const RING: usize = 4;

/// Where a copy failed: reading the source or writing the copy.
enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// SHA-256, SM3 and length of a stream.
type Digests = ([u8; 32], [u8; 32], u64);

/// Reads `src` to the end once, writing every chunk to `out` (when given) on this thread while
/// SHA-256 and SM3 hash it on a thread each: SM3, the slowest step, runs beside the copy
/// instead of after it. Chunks are shared between the threads, not copied, from a small ring
/// reused once both hashers have released a chunk.
fn copy_hashing(src: &mut dyn Read, mut out: Option<&mut fs::File>) -> Result<Digests, CopyError> {
    type Chunk = (Arc<Vec<u8>>, usize);
    let (sha_tx, sha_rx) = mpsc::sync_channel::<Chunk>(RING);
    let (sm3_tx, sm3_rx) = mpsc::sync_channel::<Chunk>(RING);
    let (back_tx, back_rx) = mpsc::channel::<Arc<Vec<u8>>>();
    thread::scope(|s| {
        let back = back_tx.clone();
        let sha = s.spawn(move || {
            let mut h = Sha256::new();
            for (buf, n) in sha_rx {
                h.update(&buf[..n]);
                let _ = back.send(buf);
            }
            <[u8; 32]>::from(h.finalize())
        });
        let back = back_tx;
        let sm3 = s.spawn(move || {
            let mut h = Sm3::new();
            for (buf, n) in sm3_rx {
                h.update(&buf[..n]);
                let _ = back.send(buf);
            }
            <[u8; 32]>::from(h.finalize())
        });
        let mut ring: Vec<Arc<Vec<u8>>> = (0..RING).map(|_| Arc::new(vec![0u8; CHUNK])).collect();
        let (mut slot, mut size) = (0usize, 0u64);
        let result = loop {
            // A chunk handed back drops the hasher's reference; the slot is free when both have.
            while Arc::get_mut(&mut ring[slot]).is_none() {
                if back_rx.recv().is_err() {
                    break;
                }
            }
            let Some(buf) = Arc::get_mut(&mut ring[slot]) else {
                break Err(CopyError::Read(io::Error::other("哈希计算线程异常退出")));
            };
            let n = match read_full(src, buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(CopyError::Read(e)),
            };
            let chunk = Arc::clone(&ring[slot]);
            if sha_tx.send((Arc::clone(&chunk), n)).is_err()
                || sm3_tx.send((Arc::clone(&chunk), n)).is_err()
            {
                break Err(CopyError::Read(io::Error::other("哈希计算线程异常退出")));
            }
            if let Some(out) = out.as_mut()
                && let Err(e) = out.write_all(&chunk[..n])
            {
                break Err(CopyError::Write(e));
            }
            size += n as u64;
            slot = (slot + 1) % RING;
        };
        drop((sha_tx, sm3_tx));
        let panicked = || CopyError::Read(io::Error::other("哈希计算线程异常退出"));
        let sha = sha.join().map_err(|_| panicked())?;
        let sm3 = sm3.join().map_err(|_| panicked())?;
        result.map(|()| (sha, sm3, size))
    })
}

/// A copied payload file: its digests, and its fsync running in the background.
type Copied = Result<(FileDigests, thread::JoinHandle<Result<(), BagError>>), BagError>;

/// How many files to copy or hash at a time: one per core (at least two, so one file's SM3 runs
/// beside another's), at most four, never more than there are files.
fn workers(files: usize) -> usize {
    thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4)
        .min(files)
}

/// Copies `src` to `root/data/safe`, hashing as it goes; the fsync is started on a thread.
fn copy_one(root: &Path, original_name: &str, safe: &str, src: &mut dyn Read) -> Copied {
    let path = root.join("data").join(safe);
    let mut out = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io_err(&path))?;
    let (sha256, sm3, size) = copy_hashing(src, Some(&mut out)).map_err(|e| match e {
        CopyError::Read(e) => io_err(Path::new(original_name))(e),
        CopyError::Write(e) => io_err(&path)(e),
    })?;
    let sync = thread::spawn(move || out.sync_all().map_err(|e| BagError::Io { path, source: e }));
    let d = FileDigests {
        original_name: original_name.to_string(),
        path: format!("data/{safe}"),
        sha256,
        sm3,
        size,
    };
    Ok((d, sync))
}

/// Fills `buf` as far as the source allows (short reads are normal).
fn read_full(src: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match src.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn digest_file(path: &Path, rel: &str) -> Result<Digests, BagError> {
    let mut f = fs::File::open(path).map_err(|e| invalid(format!("无法读取 {rel}：{e}")))?;
    copy_hashing(&mut f, None).map_err(|e| match e {
        CopyError::Read(e) | CopyError::Write(e) => invalid(format!("读取 {rel} 出错：{e}")),
    })
}

/// SHA-256 alone of a file just written (the read-back of [`verify_written`]); the SM3 slot is
/// zero and not looked at.
fn sha256_file(path: &Path, rel: &str) -> Result<Digests, BagError> {
    let mut f = fs::File::open(path).map_err(|e| invalid(format!("无法读取 {rel}：{e}")))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| invalid(format!("读取 {rel} 出错：{e}")))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
    Ok((h.finalize().into(), [0u8; 32], size))
}

/// [`digest_file`] of every `(path, rel)`, several files at a time (largest first, so the
/// last one to finish is a small one); results in the order given.
fn digest_files(files: &[(PathBuf, String)], full: bool) -> Vec<Result<Digests, BagError>> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    let len = |i: &usize| fs::metadata(&files[*i].0).map(|m| m.len()).unwrap_or(0);
    order.sort_by_key(|i| std::cmp::Reverse(len(i)));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Digests, BagError>>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    thread::scope(|s| {
        for _ in 0..workers(files.len()) {
            s.spawn(|| {
                while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let r = if full {
                        digest_file(&files[i].0, &files[i].1)
                    } else {
                        sha256_file(&files[i].0, &files[i].1)
                    };
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .zip(files)
        .map(|(r, (_, rel))| r.unwrap_or_else(|| Err(invalid(format!("读取 {rel} 出错")))))
        .collect()
}

/// Every regular file below `dir`, as `/`-separated paths relative to `root`; anything that is
/// neither a file nor a folder (a link, a device) is a problem.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), BagError> {
    let entries =
        fs::read_dir(dir).map_err(|e| invalid(format!("无法读取目录 {}：{e}", dir.display())))?;
    for e in entries {
        let e = e.map_err(|e| invalid(format!("无法读取目录 {}：{e}", dir.display())))?;
        let p = e.path();
        let rel = p
            .strip_prefix(root)
            .unwrap_or(&p)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let t = e
            .file_type()
            .map_err(|e| invalid(format!("无法读取 {rel}：{e}")))?;
        if t.is_dir() {
            walk(root, &p, out)?;
        } else if t.is_file() {
            out.push(rel);
        } else {
            return Err(invalid(format!("{rel} 不是普通文件（链接或设备文件）")));
        }
    }
    Ok(())
}

/// Re-checks a bag: `bagit.txt`, every line of both manifests against the bytes, no payload file
/// missing from or extra to them, `Payload-Oxum`, and every line of `tagmanifest-sha256.txt`.
/// The first problem is named in Chinese.
pub fn verify(root: &Path) -> Result<Verified, BagError> {
    verify_mode(root, true)
}

/// [`verify`] as the read-back of a bag this process has just written: every file's bytes
/// against `manifest-sha256.txt`, everything else as `verify` — but SM3 is not computed again.
/// The SM3 manifest was computed from the same bytes in the same pass as the SHA-256 one, so a
/// write that went wrong shows in SHA-256; hashing the slowest algorithm twice bought nothing
/// but half the export's speed. A receiver's check (`verify`, `verify.py`) does both.
pub fn verify_written(root: &Path) -> Result<Verified, BagError> {
    verify_mode(root, false)
}

fn verify_mode(root: &Path, full: bool) -> Result<Verified, BagError> {
    if text(root, "bagit.txt")? != BAGIT_TXT {
        return Err(invalid("bagit.txt 的内容不是 BagIt 1.0 的声明"));
    }
    let tagmanifest = text(root, "tagmanifest-sha256.txt")?;
    for (hash, rel) in parse_manifest(&tagmanifest, "tagmanifest-sha256.txt")? {
        let body = read(&root.join(&rel), &rel)?;
        if hex::encode(Sha256::digest(&body)) != hash {
            return Err(invalid(format!(
                "{rel} 的 SHA-256 与 tagmanifest-sha256.txt 不符：该文件被改动过"
            )));
        }
    }
    let sha = parse_manifest(&text(root, "manifest-sha256.txt")?, "manifest-sha256.txt")?;
    let sm3: BTreeMap<String, String> =
        parse_manifest(&text(root, "manifest-sm3.txt")?, "manifest-sm3.txt")?
            .into_iter()
            .map(|(h, p)| (p, h))
            .collect();
    let mut on_disk = Vec::new();
    walk(root, &root.join("data"), &mut on_disk)?;
    let listed: HashSet<&str> = sha.iter().map(|(_, p)| p.as_str()).collect();
    for p in &on_disk {
        if !listed.contains(p.as_str()) {
            return Err(invalid(format!(
                "{p} 不在 manifest-sha256.txt 中：多出的文件"
            )));
        }
    }
    let names = names_map(&text(root, NAMES_TSV).unwrap_or_default());
    // Hash every listed payload file first, several at a time; then check them in manifest
    // order, so the first problem named is the one a file-by-file check would name.
    let (listed_at, present): (Vec<usize>, Vec<(PathBuf, String)>) = sha
        .iter()
        .enumerate()
        .map(|(i, (_, rel))| (i, (root.join(rel), rel.clone())))
        .filter(|(_, (path, rel))| rel.starts_with("data/") && path.is_file())
        .unzip();
    let mut digests: Vec<Option<Result<Digests, BagError>>> =
        (0..sha.len()).map(|_| None).collect();
    for (i, d) in listed_at.into_iter().zip(digest_files(&present, full)) {
        digests[i] = Some(d);
    }
    let mut files = Vec::new();
    for (i, (hash, rel)) in sha.iter().enumerate() {
        if !rel.starts_with("data/") {
            return Err(invalid(format!(
                "manifest-sha256.txt 列出了 data/ 之外的 {rel}"
            )));
        }
        let path = root.join(rel);
        if !path.is_file() {
            return Err(invalid(format!("{rel} 缺失：清单中有而包中没有")));
        }
        let (s, m, size) = match digests[i].take() {
            Some(d) => d?,
            None if full => digest_file(&path, rel)?,
            None => sha256_file(&path, rel)?,
        };
        if hex::encode(s) != *hash {
            return Err(invalid(format!(
                "{rel} 的 SHA-256 与 manifest-sha256.txt 不符：文件内容被改动过"
            )));
        }
        let m = match (full, sm3.get(rel)) {
            (false, Some(h)) => {
                let mut b = [0u8; 32];
                hex::decode_to_slice(h, &mut b)
                    .map_err(|_| invalid(format!("manifest-sm3.txt 中 {rel} 的哈希值格式不对")))?;
                b
            }
            _ => m,
        };
        match sm3.get(rel) {
            None => return Err(invalid(format!("{rel} 不在 manifest-sm3.txt 中"))),
            Some(h) if *h != hex::encode(m) => {
                return Err(invalid(format!(
                    "{rel} 的 SM3 与 manifest-sm3.txt 不符：文件内容被改动过"
                )));
            }
            Some(_) => {}
        }
        files.push(FileDigests {
            original_name: names
                .get(rel)
                .cloned()
                .unwrap_or_else(|| rel[5..].to_string()),
            path: rel.clone(),
            sha256: s,
            sm3: m,
            size,
        });
    }
    if sm3.len() != sha.len() {
        return Err(invalid(
            "manifest-sm3.txt 与 manifest-sha256.txt 列出的文件不一致",
        ));
    }
    let mut info = BTreeMap::new();
    for line in text(root, "bag-info.txt")?.lines() {
        if let Some((k, v)) = line.split_once(':') {
            info.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let oxum = format!(
        "{}.{}",
        files.iter().map(|f| f.size).sum::<u64>(),
        files.len()
    );
    match info.get("Payload-Oxum") {
        Some(v) if *v == oxum => {}
        Some(v) => {
            return Err(invalid(format!(
                "bag-info.txt 的 Payload-Oxum 为 {v}，而包中实际为 {oxum}（字节数.文件数）"
            )));
        }
        None => return Err(invalid("bag-info.txt 缺少 Payload-Oxum")),
    }
    Ok(Verified { files, info })
}

fn names_map(tsv: &str) -> BTreeMap<String, String> {
    tsv.lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(p, o)| (p.to_string(), unescape_tsv(o)))
        .collect()
}

fn unescape_tsv(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') if it.peek() == Some(&'{') => {
                it.next();
                let hex: String = it.by_ref().take_while(|c| *c != '}').collect();
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

/// The verifier shipped in every package as `verify.py`: Python 3 standard library only.
pub const VERIFY_PY: &str = include_str!("verify.py");

/// The receiver's instructions shipped as `README.txt` (Chinese).
pub const README_TXT: &str = include_str!("README.txt");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r22_hostile_and_colliding_names_are_made_safe_and_mapped() {
        let cases = [
            ("DSJ0001_0001.MP4", "DSJ0001_0001.MP4"),
            ("..", "__"),
            (".", "_"),
            ("", "_"),
            ("a/b\\c", "a_b_c"),
            ("x<>:\"|?*.mp4", "x_______.mp4"),
            ("name. ", "name__"),
            ("CON", "_CON"),
            ("nul.txt", "_nul.txt"),
            ("COM1.mp4", "_COM1.mp4"),
            ("LPT9", "_LPT9"),
            ("COMPUTER.mp4", "COMPUTER.mp4"),
            ("a\u{7}b\nc", "a_b_c"),
            ("50%.wav", "50_.wav"),
            ("执法记录.mp4", "执法记录.mp4"),
        ];
        for (i, o) in cases {
            assert_eq!(safe_name(i), o, "{i:?}");
        }
        let long = format!("{}.mp4", "录".repeat(200));
        let s = safe_name(&long);
        assert!(s.len() <= MAX_NAME_BYTES && s.ends_with(".mp4"), "{s}");
        let mut taken = HashSet::new();
        taken.insert("a.mp4".to_string());
        assert_eq!(unique_name("A.MP4", &taken), "A~2.MP4");

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("bag");
        let mut w = BagWriter::create(&root).unwrap();
        let hostile = [
            "../etc/passwd",
            "CON.mp4",
            "a\tb.mp4",
            "x.mp4",
            "X.MP4",
            "dot. ",
        ];
        for n in hostile {
            w.add(n, &mut n.as_bytes()).unwrap();
        }
        let files = w.finish(&BagInfo::default(), &[]).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "data/.._etc_passwd",
                "data/_CON.mp4",
                "data/a_b.mp4",
                "data/x.mp4",
                "data/X~2.MP4",
                "data/dot__",
            ]
        );
        let v = verify(&root).unwrap();
        let originals: Vec<&str> = v.files.iter().map(|f| f.original_name.as_str()).collect();
        assert_eq!(originals, hostile, "names.tsv maps every safe name back");
        let tsv = fs::read_to_string(root.join(NAMES_TSV)).unwrap();
        assert!(tsv.contains("data/_CON.mp4\tCON.mp4\n"), "{tsv}");
        assert!(tsv.contains("data/a_b.mp4\ta\\tb.mp4\n"), "{tsv}");
    }

    #[test]
    fn x3_a_written_bag_verifies_and_names_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("bag");
        let mut w = BagWriter::create(&root).unwrap();
        let a = w.add("a.mp4", &mut &b"hello"[..]).unwrap();
        assert_eq!(hex::encode(a.sha256), hex::encode(Sha256::digest(b"hello")));
        w.add("A.MP4", &mut &b"world"[..]).unwrap();
        w.add("..", &mut &b""[..]).unwrap();
        let info = BagInfo {
            agency: "某局".into(),
            bagging_date: "2026-11-20".into(),
            ..BagInfo::default()
        };
        let files = w
            .finish(&info, &[("audit/x.json".into(), b"{}".to_vec())])
            .unwrap();
        assert_eq!(files.len(), 3);
        let v = verify(&root).unwrap();
        assert_eq!(v.info["Payload-Oxum"], "10.3");
        assert_eq!(v.files[1].path, "data/A~2.MP4");
        assert_eq!(v.files[1].original_name, "A.MP4");
        assert_eq!(v.files[2].original_name, "..");
        fs::write(root.join("data/A~2.MP4"), b"World").unwrap();
        let e = verify(&root).unwrap_err().to_string();
        assert!(e.contains("data/A~2.MP4"), "{e}");
        fs::write(root.join("data/A~2.MP4"), b"world").unwrap();
        fs::write(root.join("data/extra"), b"").unwrap();
        let e = verify(&root).unwrap_err().to_string();
        assert!(e.contains("data/extra"), "{e}");
        fs::remove_file(root.join("data/extra")).unwrap();
        fs::write(root.join("audit/x.json"), b"{ }").unwrap();
        let e = verify(&root).unwrap_err().to_string();
        assert!(e.contains("audit/x.json"), "{e}");
        assert!(matches!(
            BagWriter::create(&root),
            Err(BagError::NotEmpty(_))
        ));
    }
}

//! The object vault: content-addressed, write-once storage of original recordings, kept in two or
//! more independent roots (R18).
//!
//! Layout of a local root, readable by a person: `objects/sha256/ab/cd/<sha256 hex>`, plus `tmp/`
//! for writes in progress and `quarantine/` for damaged copies moved aside by a repair.
//!
//! Crash-consistency argument for [`PendingObject::finish`]: bytes go to a fresh temporary file,
//! which is fsynced, read back and checked against a checksum of exactly the bytes that were
//! written (XXH3-128, computed as they were written), then
//! *hard-linked* to its final name (which fails if the name exists, so nothing is ever replaced)
//! and the directory is fsynced. A crash before the link leaves only a temporary file, removed at the
//! next start; a crash after it leaves a complete, verified object. There is no API that writes to
//! a final name; the one that deletes it, [`Vault::purge`], takes a committed purge tombstone (R20).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use xxhash_rust::xxh3::Xxh3Default;

use crate::error::StoreError;

type Result<T> = std::result::Result<T, StoreError>;

/// One storage root. The local filesystem implements it now; an S3-compatible store later.
pub trait ObjectRoot: Send + Sync + fmt::Debug {
    /// A short name for messages and ledger events (e.g. the folder path).
    fn name(&self) -> &str;
    /// Starts writing a new object.
    fn begin(&self) -> Result<Box<dyn PendingObject>>;
    /// The stored size of an object, or `None` if this root does not hold it.
    fn size_of(&self, sha256: &str) -> Result<Option<u64>>;
    /// Opens a stored object for reading.
    fn open(&self, sha256: &str) -> Result<Box<dyn Read + Send>>;
    /// Every stored object's SHA-256 (hex), sorted.
    fn list(&self) -> Result<Vec<String>>;
    /// Moves a damaged copy aside (never deletes it); returns where it went.
    fn quarantine(&self, sha256: &str, tag: &str) -> Result<String>;
    /// What stands at an object's name, without following a link, or `None` if nothing does.
    /// A copy counts only if it is a regular file of its own: a symbolic link, or a hard link to
    /// another root's file, leaves one physical copy where two are promised (R18).
    fn stat(&self, sha256: &str) -> Result<Option<CopyStat>>;
    /// Where the object lies on a local filesystem, for positioned reads (serving byte ranges);
    /// `None` for a root that is not a local folder.
    fn local_path(&self, _sha256: &str) -> Option<PathBuf> {
        None
    }
    /// Deletes an object whose purge was approved and tombstoned (R20). Only [`Vault::purge`]
    /// calls it, with the committed tombstone; `Ok(false)` when this root did not hold it.
    fn purge(&self, sha256: &str) -> Result<bool>;
}

/// What stands at an object's name in one root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyStat {
    /// A regular file (not a symbolic link, directory or device).
    pub regular: bool,
    pub size: u64,
    /// The filesystem and inode: two roots' copies with the same pair are one physical copy.
    pub dev: u64,
    pub ino: u64,
    /// Number of names the inode has (more than one: hard-linked somewhere else too).
    pub nlink: u64,
}

/// An object being written. Dropping it without [`PendingObject::finish`] discards the partial copy.
pub trait PendingObject: Write + Send {
    /// Makes the object durable under its name `sha256` after reading it back and checking that the
    /// bytes on disk are the bytes written. The caller guarantees `sha256` is the digest of those
    /// bytes (it hashes the very buffers it writes); fixity re-checks SHA-256 and SM3 later.
    /// Returns `false` if the root already held this object (the new copy is discarded).
    fn finish(self: Box<Self>, sha256: &[u8; 32]) -> Result<bool>;
}

/// A local-filesystem root.
#[derive(Debug)]
pub struct LocalRoot {
    dir: PathBuf,
    name: String,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// How long an unlocked temporary file must have been left alone before it counts as abandoned.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

fn is_abandoned(p: &Path) -> bool {
    let Ok(f) = File::open(p) else {
        return false;
    };
    let old = f
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age >= ABANDONED_AFTER);
    // The lock is released when `f` is dropped.
    old && f.try_lock().is_ok()
}

fn valid_hex(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

impl LocalRoot {
    /// Creates a root (at `zhilu init`), or opens it if it exists.
    pub fn create(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        for sub in ["objects/sha256", "tmp", "quarantine"] {
            let p = dir.join(sub);
            fs::create_dir_all(&p).map_err(|e| StoreError::io(&p, e))?;
        }
        Self::open(dir)
    }

    /// Opens an existing root and removes temporary files left by writers that died. A root that
    /// does not exist is an error, never silently created: an unmounted disk must not turn into
    /// an empty folder that evidence is then written to.
    ///
    /// Several processes may write one root at a time (a server and a station's CLI): each
    /// pending object holds an exclusive lock on its temporary file for its whole life, so a
    /// temporary file that can be locked — and has not been touched for a minute, which covers
    /// the moment between its creation and its lock — belongs to a dead writer.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        for sub in ["objects/sha256", "tmp", "quarantine"] {
            let p = dir.join(sub);
            if !p.is_dir() {
                return Err(StoreError::io(
                    &p,
                    io::Error::new(io::ErrorKind::NotFound, "存储位置不存在或未初始化"),
                ));
            }
        }
        let tmp = dir.join("tmp");
        for entry in fs::read_dir(&tmp).map_err(|e| StoreError::io(&tmp, e))? {
            let entry = entry.map_err(|e| StoreError::io(&tmp, e))?;
            let p = entry.path();
            if is_abandoned(&p) {
                tracing::info!(path = %p.display(), "removing partial object left by a writer that died");
                fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
            }
        }
        let name = dir.display().to_string();
        Ok(LocalRoot { dir, name })
    }

    /// Where an object lives: `objects/sha256/ab/cd/<hex>`.
    pub fn object_path(&self, sha256: &str) -> PathBuf {
        let (a, b) = (
            &sha256[..2.min(sha256.len())],
            &sha256[2.min(sha256.len())..4.min(sha256.len())],
        );
        self.dir.join("objects/sha256").join(a).join(b).join(sha256)
    }

    /// The root folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl ObjectRoot for LocalRoot {
    fn name(&self) -> &str {
        &self.name
    }

    fn begin(&self) -> Result<Box<dyn PendingObject>> {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        // Unique per writer: process id, a per-process counter and the time, so two processes
        // (or a reused pid after a crash) never share a temporary name.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let tmp = self
            .dir
            .join("tmp")
            .join(format!("{}-{n}-{nanos:x}.part", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| StoreError::io(&tmp, e))?;
        // Held until the object is finished or dropped: tells other processes the file is live.
        file.try_lock().map_err(|e| match e {
            fs::TryLockError::Error(e) => StoreError::io(&tmp, e),
            fs::TryLockError::WouldBlock => {
                StoreError::io(&tmp, io::Error::other("新建的临时文件已被另一个程序锁定"))
            }
        })?;
        let flusher = Flusher::start(&file, &tmp)?;
        Ok(Box::new(LocalPending {
            file: Some(file),
            tmp,
            root: self.dir.clone(),
            finished: false,
            written: 0,
            checksum: Xxh3Default::new(),
            flusher: Some(flusher),
        }))
    }

    fn size_of(&self, sha256: &str) -> Result<Option<u64>> {
        if !valid_hex(sha256) {
            return Ok(None);
        }
        let p = self.object_path(sha256);
        match fs::metadata(&p) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(p, e)),
        }
    }

    fn local_path(&self, sha256: &str) -> Option<PathBuf> {
        valid_hex(sha256).then(|| self.object_path(sha256))
    }

    fn open(&self, sha256: &str) -> Result<Box<dyn Read + Send>> {
        let p = self.object_path(sha256);
        if !valid_hex(sha256) {
            return Err(StoreError::NotFound(format!("对象 {sha256}")));
        }
        let f = File::open(&p).map_err(|e| StoreError::io(&p, e))?;
        Ok(Box::new(f))
    }

    fn list(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let base = self.dir.join("objects/sha256");
        for a in read_dir_sorted(&base)? {
            for b in read_dir_sorted(&a)? {
                for f in read_dir_sorted(&b)? {
                    if let Some(name) = f.file_name().and_then(|n| n.to_str())
                        && valid_hex(name)
                    {
                        out.push(name.to_string());
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn stat(&self, sha256: &str) -> Result<Option<CopyStat>> {
        if !valid_hex(sha256) {
            return Ok(None);
        }
        let p = self.object_path(sha256);
        match fs::symlink_metadata(&p) {
            Ok(m) => Ok(Some(CopyStat {
                regular: m.file_type().is_file(),
                size: m.len(),
                dev: m.dev(),
                ino: m.ino(),
                nlink: m.nlink(),
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(p, e)),
        }
    }

    fn purge(&self, sha256: &str) -> Result<bool> {
        if !valid_hex(sha256) {
            return Ok(false);
        }
        let p = self.object_path(sha256);
        match fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(StoreError::io(p, e)),
        }
        // The removal is durable once the directory is: a crash before this fsync may bring
        // the file back, and the next purge run (the tombstone is committed) removes it again.
        if let Some(parent) = p.parent() {
            sync_dir(parent)?;
        }
        Ok(true)
    }

    fn quarantine(&self, sha256: &str, tag: &str) -> Result<String> {
        let from = self.object_path(sha256);
        let to = self.dir.join("quarantine").join(format!("{sha256}.{tag}"));
        fs::rename(&from, &to).map_err(|e| StoreError::io(&from, e))?;
        if let Some(parent) = from.parent() {
            sync_dir(parent)?;
        }
        sync_dir(&self.dir.join("quarantine"))?;
        Ok(to.display().to_string())
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
        v.push(e.map_err(|e| StoreError::io(dir, e))?.path());
    }
    v.sort();
    Ok(v)
}

struct LocalPending {
    file: Option<File>,
    tmp: PathBuf,
    root: PathBuf,
    finished: bool,
    written: u64,
    /// XXH3-128 of everything written, to check the read-back against. A fast checksum is enough
    /// here: it guards against storage faults (torn, lost or misdirected writes, flipped bits), not
    /// an adversary, and costs a tenth of re-hashing each copy with SHA-256.
    checksum: Xxh3Default,
    flusher: Option<Flusher>,
}

/// Bytes between background flushes of a pending object.
const FLUSH_EVERY: u64 = 64 << 20;

/// Pushes written data to disk in the background while the copy goes on, so the final fsync only
/// has the tail left and the disk works in parallel with hashing (it would otherwise sit idle
/// until the whole file is in the page cache, then stall the offload).
struct Flusher {
    tx: std::sync::mpsc::SyncSender<()>,
    handle: std::thread::JoinHandle<io::Result<()>>,
}

impl Flusher {
    fn start(file: &File, path: &Path) -> Result<Self> {
        let f = file.try_clone().map_err(|e| StoreError::io(path, e))?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let handle = std::thread::spawn(move || {
            while rx.recv().is_ok() {
                f.sync_data()?;
            }
            Ok(())
        });
        Ok(Flusher { tx, handle })
    }

    /// Asks for a flush unless one is already queued.
    fn poke(&self) {
        let _ = self.tx.try_send(());
    }

    /// Waits for the flusher to finish, reporting a failed flush.
    fn stop(self) -> io::Result<()> {
        drop(self.tx);
        self.handle
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("flush thread panicked")))
    }
}

impl Write for LocalPending {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.file {
            Some(f) => f.write(buf)?,
            None => return Err(io::Error::other("object already finished")),
        };
        self.checksum.update(&buf[..n]);
        let before = self.written;
        self.written += n as u64;
        if before / FLUSH_EVERY != self.written / FLUSH_EVERY
            && let Some(fl) = &self.flusher
        {
            fl.poke();
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl PendingObject for LocalPending {
    fn finish(mut self: Box<Self>, sha256: &[u8; 32]) -> Result<bool> {
        let hex_name = hex::encode(sha256);
        let file = self.file.take().ok_or_else(|| {
            StoreError::io(&self.tmp, io::Error::other("object already finished"))
        })?;
        // A background flush shares this file description, so an error it saw would not be
        // reported again by the final fsync: collect it first.
        if let Some(fl) = self.flusher.take() {
            fl.stop().map_err(|e| StoreError::io(&self.tmp, e))?;
        }
        file.sync_all().map_err(|e| StoreError::io(&self.tmp, e))?;
        // `file` (and its lock) is held until the temporary name is gone: another process's sweep
        // of abandoned temporary files skips a locked one, however old.
        // Read back what the disk holds, not what we meant to write.
        let mut back = Xxh3Default::new();
        let mut f = File::open(&self.tmp).map_err(|e| StoreError::io(&self.tmp, e))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut read = 0u64;
        loop {
            let n = f.read(&mut buf).map_err(|e| StoreError::io(&self.tmp, e))?;
            if n == 0 {
                break;
            }
            read += n as u64;
            back.update(&buf[..n]);
        }
        if read != self.written || back.digest128() != self.checksum.digest128() {
            return Err(StoreError::io(
                &self.tmp,
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    "写入后回读校验失败：磁盘上的内容与写入的内容不符",
                ),
            ));
        }
        // Read-only, and for the owner alone (the service account): 0400.
        fs::set_permissions(&self.tmp, fs::Permissions::from_mode(0o400))
            .map_err(|e| StoreError::io(&self.tmp, e))?;
        let dest = self
            .root
            .join("objects/sha256")
            .join(&hex_name[..2])
            .join(&hex_name[2..4])
            .join(&hex_name);
        let parent = dest.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&parent).map_err(|e| StoreError::io(&parent, e))?;
        let fresh = match fs::hard_link(&self.tmp, &dest) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
            Err(e) => return Err(StoreError::io(&dest, e)),
        };
        fs::remove_file(&self.tmp).map_err(|e| StoreError::io(&self.tmp, e))?;
        drop(file);
        self.finished = true;
        sync_dir(&parent)?;
        Ok(fresh)
    }
}

impl Drop for LocalPending {
    fn drop(&mut self) {
        if !self.finished {
            if let Some(fl) = self.flusher.take() {
                let _ = fl.stop();
            }
            self.file.take();
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// The replicated vault: every object in every root (R18).
#[derive(Debug)]
pub struct Vault {
    roots: Vec<Box<dyn ObjectRoot>>,
}

impl Vault {
    /// A vault over the given roots (at least one; R18 asks for two, which the app enforces).
    pub fn new(roots: Vec<Box<dyn ObjectRoot>>) -> Self {
        Vault { roots }
    }

    pub fn roots(&self) -> &[Box<dyn ObjectRoot>] {
        &self.roots
    }

    /// Starts one pending copy per root.
    pub fn begin(&self) -> Result<Vec<Box<dyn PendingObject>>> {
        self.roots.iter().map(|r| r.begin()).collect()
    }

    /// Finishes every copy, in parallel (each reads its copy back and hashes it).
    /// Returns whether any root stored a new copy.
    pub fn finish_all(pending: Vec<Box<dyn PendingObject>>, sha256: &[u8; 32]) -> Result<bool> {
        let results: Vec<Result<bool>> = std::thread::scope(|s| {
            let handles: Vec<_> = pending
                .into_iter()
                .map(|p| s.spawn(move || p.finish(sha256)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(StoreError::io(
                            "vault",
                            io::Error::other("写入线程异常退出"),
                        ))
                    })
                })
                .collect()
        });
        let mut any_new = false;
        for r in results {
            any_new |= r?;
        }
        Ok(any_new)
    }

    /// Deletes a purged object from every root (R20). It takes the committed tombstone, so
    /// nothing that has not been approved and ledgered as purged can be deleted. Returns how many
    /// roots held a copy.
    pub fn purge(&self, tombstone: &zhilu_model::Tombstone) -> Result<usize> {
        let mut removed = 0;
        for r in &self.roots {
            removed += usize::from(r.purge(tombstone.sha256.as_str())?);
        }
        Ok(removed)
    }

    /// Whether every root holds the object with the expected size.
    pub fn has_everywhere(&self, sha256: &str, size: u64) -> Result<bool> {
        for r in &self.roots {
            if r.size_of(sha256)? != Some(size) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Why the vault does not hold the object in every root, at `size`, each copy a regular file
    /// of its own (no symbolic link, no two roots sharing one inode); `None` when it does.
    /// The reason is Chinese, for the person at the station or reading a fixity report.
    pub fn copies_short(&self, sha256: &str, size: u64) -> Result<Option<String>> {
        let mut seen: Vec<(u64, u64, &str)> = Vec::new();
        for r in &self.roots {
            let Some(st) = r.stat(sha256)? else {
                return Ok(Some(format!("存储位置 {} 中没有该文件的副本", r.name())));
            };
            if !st.regular {
                return Ok(Some(format!(
                    "存储位置 {} 中的副本不是普通文件（可能是符号链接）",
                    r.name()
                )));
            }
            if st.size != size {
                return Ok(Some(format!(
                    "存储位置 {} 中的副本大小不符（应为 {size} 字节，实为 {} 字节）",
                    r.name(),
                    st.size
                )));
            }
            if let Some((_, _, other)) = seen.iter().find(|(d, i, _)| (*d, *i) == (st.dev, st.ino))
            {
                return Ok(Some(format!(
                    "存储位置 {} 与 {other} 中的副本是同一个文件（硬链接），实际只有一份",
                    r.name()
                )));
            }
            seen.push((st.dev, st.ino, r.name()));
        }
        Ok(None)
    }
}

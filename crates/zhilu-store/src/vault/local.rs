//! A vault root in a local folder.
//!
//! Crash-consistency argument for [`PendingObject::finish`]: bytes go to a fresh temporary file,
//! which is fsynced, read back and checked against a checksum of exactly the bytes that were
//! written (XXH3-128, computed as they were written), then
//! *hard-linked* to its final name (which fails if the name exists, so nothing is ever replaced)
//! and the directory is fsynced. A crash before the link leaves only a temporary file, removed at the
//! next start; a crash after it leaves a complete, verified object.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use xxhash_rust::xxh3::Xxh3Default;

use super::{CopyStat, ObjectRoot, PendingObject, Result, read_back_failed, valid_hex};
use crate::error::StoreError;

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
        Ok(Box::new(LocalPending {
            file: Some(file),
            tmp,
            root: self.dir.clone(),
            finished: false,
            written: 0,
            checksum: Xxh3Default::new(),
            flusher: None,
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

    fn read_range(&self, sha256: &str, start: u64, len: u64) -> Result<Vec<u8>> {
        if !valid_hex(sha256) {
            return Err(StoreError::NotFound(format!("对象 {sha256}")));
        }
        let p = self.object_path(sha256);
        let f = File::open(&p).map_err(|e| StoreError::io(&p, e))?;
        let size = f.metadata().map_err(|e| StoreError::io(&p, e))?.len();
        let n = len.min(size.saturating_sub(start));
        let mut out =
            vec![0u8; usize::try_from(n).map_err(|e| StoreError::io(&p, io::Error::other(e)))?];
        f.read_exact_at(&mut out, start)
            .map_err(|e| StoreError::io(&p, e))?;
        Ok(out)
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
    /// Started when the object first crosses [`FLUSH_EVERY`].
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
    fn start(file: &File) -> io::Result<Self> {
        let f = file.try_clone()?;
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
        if before / FLUSH_EVERY != self.written / FLUSH_EVERY {
            // Started at the first crossing only: most files are smaller than FLUSH_EVERY and
            // never need the thread.
            if self.flusher.is_none()
                && let Some(f) = &self.file
            {
                self.flusher =
                    Some(Flusher::start(f).map_err(|e| {
                        io::Error::new(e.kind(), format!("无法启动后台写盘线程：{e}"))
                    })?);
            }
            if let Some(fl) = &self.flusher {
                fl.poke();
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl PendingObject for LocalPending {
    fn written(&self) -> u64 {
        self.written
    }

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
            return Err(read_back_failed(&self.tmp));
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

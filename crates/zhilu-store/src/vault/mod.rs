//! The object vault: content-addressed, write-once storage of original recordings, kept in two or
//! more independent roots (R18).
//!
//! Every root, whatever its kind, has the same layout, readable by a person:
//! `objects/sha256/ab/cd/<sha256 hex>`, plus `tmp/` for writes in progress and `quarantine/` for
//! damaged copies moved aside by a repair. Two kinds exist: [`LocalRoot`] (a folder on a local
//! disk, `local.rs`) and [`ObjectStoreRoot`] (an S3-compatible bucket, or memory in tests,
//! `object.rs`). Both keep the same promise — a name, once written, is never written again — each
//! in its storage's own words; `tests/vault_conformance.rs` runs one set of checks against both.
//! There is no API that writes to a final name; the one that deletes it, [`Vault::purge`], takes a
//! committed purge tombstone (R20).

mod local;
mod object;
mod s3_lock;

use std::fmt;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use crate::error::StoreError;

pub use local::LocalRoot;
pub use object::{ObjectStoreRoot, S3Location};
pub use s3_lock::{BucketLock, ObjectLock};

use chrono::{DateTime, Utc};

type Result<T> = std::result::Result<T, StoreError>;

/// One storage root: a local folder ([`LocalRoot`]) or an S3-compatible bucket ([`ObjectStoreRoot`]).
///
/// Methods are blocking; callers run them off the async runtime's workers. An implementation that
/// is async inside (the S3 root) must still be safe to call from an async task.
pub trait ObjectRoot: Send + Sync + fmt::Debug {
    /// A short name for messages and ledger events (e.g. the folder path).
    fn name(&self) -> &str;
    /// Starts writing a new object.
    fn begin(&self) -> Result<Box<dyn PendingObject>>;
    /// Starts writing a new object that a root with object lock (an S3 bucket with object lock
    /// enabled) keeps in COMPLIANCE retention until `retain_until`, set right after the object is
    /// in place. Other roots ignore the date (the default).
    fn begin_retained(
        &self,
        _retain_until: Option<DateTime<Utc>>,
    ) -> Result<Box<dyn PendingObject>> {
        self.begin()
    }
    /// Sets or clears the storage's own legal hold on an object. `Ok(false)`: this root has no
    /// such lock (a local folder, a bucket without object lock), nothing was sent.
    fn set_legal_hold(&self, _sha256: &str, _on: bool) -> Result<bool> {
        Ok(false)
    }
    /// The storage's own lock on an object (`None`: this root has none, or no such object).
    fn lock_state(&self, _sha256: &str) -> Result<Option<ObjectLock>> {
        Ok(None)
    }
    /// Why the storage would refuse to delete this object now (its retention date is ahead, or a
    /// legal hold is on), in Chinese; `None` when nothing in the storage stops a purge.
    fn purge_refused(&self, _sha256: &str) -> Result<Option<String>> {
        Ok(None)
    }
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
    /// Reads `len` bytes of an object from byte `start` (fewer only at its end): playback's byte
    /// ranges. Not re-hashed (a full read is, by fixity). The default reads through [`Self::open`].
    fn read_range(&self, sha256: &str, start: u64, len: u64) -> Result<Vec<u8>> {
        let mut r = self.open(sha256)?;
        let name = self.name().to_string();
        io::copy(&mut r.by_ref().take(start), &mut io::sink())
            .map_err(|e| StoreError::io(&name, e))?;
        let mut out = Vec::new();
        r.take(len)
            .read_to_end(&mut out)
            .map_err(|e| StoreError::io(&name, e))?;
        Ok(out)
    }
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
    /// Bytes written so far ([`Vault::finish_all`] finishes small objects without a thread each).
    fn written(&self) -> u64 {
        u64::MAX
    }
}

/// Checks an object name before it reaches a path or a key: 64 lower-case hex digits, nothing
/// else (no `/`, no `..`).
pub(crate) fn valid_hex(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Reads a stored object whole and checks its SHA-256 against its name: the check every full
/// read gets (fixity checks SM3 against the catalog as well). `Ok(false)` when the bytes differ.
pub fn is_intact(root: &dyn ObjectRoot, sha256: &str) -> Result<bool> {
    use sha2::Digest;
    let mut r = root.open(sha256)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r
            .read(&mut buf)
            .map_err(|e| StoreError::io(root.name(), e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()) == sha256)
}

/// The error for a read-back that does not match what was written.
pub(crate) fn read_back_failed(at: impl Into<PathBuf>) -> StoreError {
    StoreError::io(
        at,
        io::Error::new(
            io::ErrorKind::InvalidData,
            "写入后回读校验失败：磁盘上的内容与写入的内容不符",
        ),
    )
}

/// Objects from this size up are finished one thread per root.
const PARALLEL_FINISH_FROM: u64 = 8 << 20;

/// The replicated vault: every object in every root (R18).
#[derive(Debug)]
pub struct Vault {
    /// Shared, so that a reader (playback from a root with no local file) can outlive a borrow.
    roots: Vec<std::sync::Arc<dyn ObjectRoot>>,
}

impl Vault {
    /// A vault over the given roots (at least one; R18 asks for two, which the app enforces).
    pub fn new(roots: Vec<Box<dyn ObjectRoot>>) -> Self {
        Vault {
            roots: roots.into_iter().map(std::sync::Arc::from).collect(),
        }
    }

    pub fn roots(&self) -> &[std::sync::Arc<dyn ObjectRoot>] {
        &self.roots
    }

    /// Starts one pending copy per root.
    pub fn begin(&self) -> Result<Vec<Box<dyn PendingObject>>> {
        self.roots.iter().map(|r| r.begin()).collect()
    }

    /// Starts one pending copy per root; roots with object lock keep theirs in COMPLIANCE
    /// retention until `retain_until` (see [`ObjectRoot::begin_retained`]).
    pub fn begin_retained(
        &self,
        retain_until: Option<DateTime<Utc>>,
    ) -> Result<Vec<Box<dyn PendingObject>>> {
        self.roots
            .iter()
            .map(|r| r.begin_retained(retain_until))
            .collect()
    }

    /// Sets (`on`) or clears the storage legal hold on an object in every root that has one.
    /// Every root is tried even after one fails; returns how many roots hold it now, or the
    /// failures (root name and error), which the caller reports.
    pub fn set_legal_hold(
        &self,
        sha256: &str,
        on: bool,
    ) -> std::result::Result<usize, Vec<(String, StoreError)>> {
        let mut set = 0;
        let mut failed = Vec::new();
        for r in &self.roots {
            match r.set_legal_hold(sha256, on) {
                Ok(true) => set += 1,
                Ok(false) => {}
                Err(e) => failed.push((r.name().to_string(), e)),
            }
        }
        if failed.is_empty() {
            Ok(set)
        } else {
            Err(failed)
        }
    }

    /// Finishes every copy (each reads its copy back and checks it). Copies of a large object are
    /// finished in parallel, one thread each; small ones in turn on the calling thread, where a
    /// thread would cost more than the read-back it overlaps.
    /// Returns whether any root stored a new copy.
    pub fn finish_all(pending: Vec<Box<dyn PendingObject>>, sha256: &[u8; 32]) -> Result<bool> {
        if pending.iter().all(|p| p.written() < PARALLEL_FINISH_FROM) {
            let mut any_new = false;
            let mut first_err = None;
            // Every copy is finished (or dropped, discarding it) even after one fails.
            for p in pending {
                match p.finish(sha256) {
                    Ok(new) => any_new |= new,
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            return first_err.map_or(Ok(any_new), Err);
        }
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
    ///
    /// Every root is asked first whether its storage lock forbids the delete (S3 object lock):
    /// if one does, nothing is deleted anywhere and the error says why.
    pub fn purge(&self, tombstone: &zhilu_model::Tombstone) -> Result<usize> {
        for r in &self.roots {
            if let Some(why) = r.purge_refused(tombstone.sha256.as_str())? {
                return Err(StoreError::io(
                    r.name(),
                    io::Error::new(io::ErrorKind::PermissionDenied, why),
                ));
            }
        }
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

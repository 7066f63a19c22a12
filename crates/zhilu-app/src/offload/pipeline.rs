//! One file's way from the device into every vault root: read once, sniffed and probed, copied
//! while hashed with SHA-256 and SM3, and its copies made durable and checked read back in the
//! background while the next file is copied.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use zhilu_media::{DeviceFileName, MediaInfo, ProbeError};
use zhilu_model::explain::io_error;
use zhilu_store::{StoreError, Vault};

use super::Progress;
use super::walk::Found;
use crate::error::AppError;
use crate::hashing::{self, CopyError, Digests};

/// A file that may hold evidence but could not be read: the device is then never cleared.
fn unread(reason: impl Into<String>) -> Outcome {
    Outcome::Skipped {
        reason: reason.into(),
        unread: true,
    }
}

/// A file that holds no evidence (empty, or not media).
fn not_media(reason: impl Into<String>) -> Outcome {
    Outcome::Skipped {
        reason: reason.into(),
        unread: false,
    }
}

/// What happened to one file before it reached the catalog.
#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived value per file; boxing buys nothing"
)]
pub(crate) enum Outcome {
    /// Not stored. `unread` is true when the file may hold evidence we could not read (so the
    /// device must not be cleared); false for empty and non-media files.
    Skipped { reason: String, unread: bool },
    /// Same device, same path, same bytes as an earlier offload: nothing to do.
    AlreadyRecorded(String, Opened),
    /// Copied and hashed; `finishing` is making the copies durable and checking them read back,
    /// in the background while the next file is copied. Recorded only once it has succeeded.
    Stored {
        digests: Digests,
        kind: zhilu_media::MediaKind,
        media: Result<MediaInfo, String>,
        name: Option<DeviceFileName>,
        finishing: std::thread::JoinHandle<Result<bool, StoreError>>,
        opened: Opened,
    },
}

/// The device file as it was when opened for copying: clearing the device later removes it only
/// if it is still this very file, unchanged (R26).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Opened {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
}

impl Opened {
    pub(crate) fn of(m: &std::fs::Metadata) -> Opened {
        Opened {
            dev: m.dev(),
            ino: m.ino(),
            size: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
        }
    }
}

/// Reads, probes and copies one file, and starts making the copies durable and verifying them
/// (and, in roots with object lock, locked until `retain_until`). Storage failures abort the
/// offload (`Err`); problems with the file itself are outcomes.
pub(crate) fn process_file(
    vault: &Vault,
    f: &Found,
    known_sha256: &[String],
    obs: &dyn Progress,
    retain_until: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Outcome, AppError> {
    if f.size == 0 {
        return Ok(not_media("空文件（0 字节）"));
    }
    let mut file = match File::open(&f.abs) {
        Ok(file) => file,
        Err(e) => {
            return Ok(unread(format!("无法读取：{}", io_error(&e))));
        }
    };
    // The path was checked with lstat; make sure the file we opened is that same regular file and
    // not a link swapped in since (which could point outside the device folder).
    let opened = match file.metadata() {
        Ok(m) if m.is_file() && m.dev() == f.dev && m.ino() == f.ino => Opened::of(&m),
        _ => {
            return Ok(unread("文件在读取时被替换，未导入"));
        }
    };
    let mut head = [0u8; 64];
    let n = match read_head(&mut file, &mut head) {
        Ok(n) => n,
        Err(e) => {
            return Ok(unread(format!("无法读取：{}", io_error(&e))));
        }
    };
    let Some(kind) = zhilu_media::sniff(&head[..n]) else {
        return Ok(not_media("不是音视频或照片文件（内容无法识别），未导入"));
    };
    let file_name = Path::new(&f.rel)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = zhilu_media::parse_device_file_name(&file_name);

    if !known_sha256.is_empty() {
        if file.seek(SeekFrom::Start(0)).is_err() {
            return Ok(unread("无法读取：定位失败"));
        }
        match hashing::sha256_stream(&mut file) {
            Ok(h) if known_sha256.contains(&hex::encode(h)) => {
                return Ok(Outcome::AlreadyRecorded(hex::encode(h), opened));
            }
            Ok(_) => {}
            Err(e) => {
                return Ok(unread(format!("读取中断：{}", io_error(&e))));
            }
        }
    }

    if file.seek(SeekFrom::Start(0)).is_err() {
        return Ok(unread("无法读取：定位失败"));
    }
    let media = {
        let mut r = BufReader::new(&mut file);
        match zhilu_media::probe(&mut r, f.size) {
            Ok(info) => Ok(info),
            Err(ProbeError::Damaged { reason, .. }) => Err(reason.to_string()),
            Err(ProbeError::NotMedia) => Err(format!("文件头像 {} 但内容无法解析", kind.as_str())),
            Err(ProbeError::Io(e)) => {
                return Ok(unread(format!("读取中断：{}", io_error(&e))));
            }
        }
    };

    if file.seek(SeekFrom::Start(0)).is_err() {
        return Ok(unread("无法读取：定位失败"));
    }
    obs.file_started(&f.rel, f.size);
    // Roots with object lock keep the copy in COMPLIANCE retention until `retain_until`.
    let mut pending = vault.begin_retained(retain_until)?;
    let digests = {
        let mut sinks: Vec<&mut dyn std::io::Write> = pending
            .iter_mut()
            .map(|p| p.as_mut() as &mut dyn std::io::Write)
            .collect();
        match hashing::copy_and_hash(&mut file, &mut sinks, &|n| obs.bytes(n)) {
            Ok(d) => d,
            Err(CopyError::Read(e)) => {
                return Ok(unread(format!("复制时读取中断：{}", io_error(&e))));
            }
            Err(CopyError::Write(e)) => {
                return Err(AppError::OffloadFailed(format!(
                    "写入证据库失败（{}）：{}",
                    f.rel,
                    io_error(&e)
                )));
            }
        }
    };
    if digests.size != f.size || digests.size != opened.size {
        return Ok(Outcome::Skipped {
            reason: format!(
                "文件在复制期间发生变化（{} → {} 字节），未导入：请确认设备已停止录制后重新导入",
                f.size, digests.size
            ),
            unread: true,
        });
    }
    let sha = digests.sha256;
    let finishing = std::thread::spawn(move || Vault::finish_all(pending, &sha));
    Ok(Outcome::Stored {
        digests,
        kind,
        media,
        name,
        finishing,
        opened,
    })
}

fn read_head(file: &mut File, head: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

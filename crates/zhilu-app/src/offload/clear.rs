//! Clearing a device after an offload (R26): a file is removed from the device only if, at that
//! moment, it is still the very file that was copied (same filesystem, inode, size and
//! modification time as when it was opened), its bytes read again hash to the stored object
//! (SHA-256 and SM3), and every vault root holds that object at its size as a regular file of its
//! own. Anything else stays on the device, and the report says why, file by file: footage
//! appended or swapped in after the copy is never lost.

use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;

use zhilu_model::explain::io_error;
use zhilu_model::{Sha256, Sm3};

use super::ListedFile;
use super::pipeline::Opened;
use super::walk::Found;
use crate::App;
use crate::error::AppError;
use crate::hashing;

/// One offloaded file the device may be cleared of.
pub(crate) struct Clearable<'a> {
    pub found: &'a Found,
    pub sha256: Sha256,
    pub opened: Opened,
}

/// What clearing a device did.
pub(crate) struct Cleared {
    /// Files removed from the device (relative paths), before any error.
    pub removed: Vec<String>,
    /// Files left on the device, each with the reason (Chinese).
    pub kept: Vec<ListedFile>,
    pub error: Option<AppError>,
}

/// Removes each file that passes the checks in the module documentation; keeps the others.
pub(crate) async fn clear_device(app: &App, files: &[Clearable<'_>]) -> Cleared {
    let mut out = Cleared {
        removed: Vec::new(),
        kept: Vec::new(),
        error: None,
    };
    for c in files {
        let sm3 = match app.catalog.recording(&c.sha256).await {
            Ok(Some(r)) => r.sm3,
            Ok(None) => {
                out.kept
                    .push(kept(c, "证据库中没有该文件的记录，未清除".into()));
                continue;
            }
            Err(e) => {
                out.error = Some(e.into());
                return out;
            }
        };
        match crate::blocking(|| clear_one(app, c, &sm3)) {
            Ok(None) => out.removed.push(c.found.rel.clone()),
            Ok(Some(reason)) => out.kept.push(kept(c, reason)),
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        }
    }
    out
}

fn kept(c: &Clearable<'_>, reason: String) -> ListedFile {
    ListedFile {
        file: c.found.rel.clone(),
        reason,
    }
}

/// What [`clear_checked`] checks a device file against.
struct Checked<'a> {
    opened: Opened,
    sha256: &'a Sha256,
}

/// Whether `m` is still the file opened for copying; the reason if not.
fn changed(m: &fs::Metadata, was: &Opened) -> Option<String> {
    let now = Opened::of(m);
    if !m.file_type().is_file() || (now.dev, now.ino) != (was.dev, was.ino) {
        Some("复制后该文件被替换为另一个文件，未清除：请重新导入该设备".into())
    } else if now.size != was.size {
        Some(format!(
            "复制后该文件发生变化（{} → {} 字节），未清除：请重新导入该设备",
            was.size, now.size
        ))
    } else if now.mtime != was.mtime {
        Some("复制后该文件被改写（修改时间已变），未清除：请重新导入该设备".into())
    } else {
        None
    }
}

/// Checks one file and removes it. `Ok(None)`: removed; `Ok(Some(reason))`: kept; `Err`: the
/// removal itself failed (clearing stops).
fn clear_one(app: &App, c: &Clearable<'_>, sm3: &Sm3) -> Result<Option<String>, AppError> {
    clear_checked(&c.found.abs, &c.opened, &c.sha256, sm3, || {
        Ok(app.vault.copies_short(c.sha256.as_str(), c.opened.size)?)
    })
}

/// The clearing rules of the module documentation for the file at `path`, opened as `opened`
/// and stored as `sha256`/`sm3`; `roots_short` says why the stored copies do not suffice, if
/// they do not (here: every local vault root; at a networked station: the platform's answer).
pub(crate) fn clear_checked(
    path: &std::path::Path,
    opened: &Opened,
    sha256: &Sha256,
    sm3: &Sm3,
    roots_short: impl FnOnce() -> Result<Option<String>, AppError>,
) -> Result<Option<String>, AppError> {
    let c = Checked {
        opened: *opened,
        sha256,
    };
    let unreadable = |e: std::io::Error| format!("无法重新读取以核对，未清除：{}", io_error(&e));
    // The path is looked at without following a link, then opened; the opened file must be the
    // inode looked at (a link swapped in between leads elsewhere and is caught by `changed`).
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Ok(Some(
                "复制后该文件被替换为符号链接，未清除：请重新导入该设备".into(),
            ));
        }
        Ok(m) => {
            if let Some(reason) = changed(&m, &c.opened) {
                return Ok(Some(reason));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Some("复制后该文件已不在设备上".into()));
        }
        Err(e) => return Ok(Some(unreadable(e))),
    }
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return Ok(Some(unreadable(e))),
    };
    match file.metadata() {
        Ok(m) => {
            if let Some(reason) = changed(&m, &c.opened) {
                return Ok(Some(reason));
            }
        }
        Err(e) => return Ok(Some(unreadable(e))),
    }
    let d = match hashing::hash_stream(&mut file) {
        Ok(d) => d,
        Err(e) => return Ok(Some(unreadable(e))),
    };
    if d.size != c.opened.size || d.sha256_hex() != c.sha256.as_str() || d.sm3_hex() != sm3.as_str()
    {
        return Ok(Some(
            "重新读取的内容与已入库的文件不一致（复制后被改写），未清除：请重新导入该设备".into(),
        ));
    }
    // Written to while it was being re-read?
    match file.metadata() {
        Ok(m) => {
            if let Some(reason) = changed(&m, &c.opened) {
                return Ok(Some(reason));
            }
        }
        Err(e) => return Ok(Some(unreadable(e))),
    }
    if let Some(reason) = roots_short()? {
        return Ok(Some(format!("{reason}，未清除")));
    }
    drop(file);
    // The name must still lead to the inode just checked: removal goes by name.
    match fs::symlink_metadata(path) {
        Ok(m) if (m.dev(), m.ino()) == (c.opened.dev, c.opened.ino) && m.file_type().is_file() => {}
        Ok(_) => {
            return Ok(Some(
                "复制后该文件被替换为另一个文件，未清除：请重新导入该设备".into(),
            ));
        }
        Err(e) => return Ok(Some(unreadable(e))),
    }
    fs::remove_file(path).map_err(|e| AppError::io(path, e))?;
    Ok(None)
}

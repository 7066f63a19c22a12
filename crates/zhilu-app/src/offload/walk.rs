//! Listing a mounted device folder without ever leaving it: `lstat` only, links listed and never
//! followed, at most 32 levels deep, every entry that cannot be read named with its reason.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::ListedFile;
use zhilu_model::explain::io_error;

use crate::error::AppError;

pub(crate) struct Found {
    pub rel: String,
    pub abs: PathBuf,
    pub size: u64,
    pub dev: u64,
    pub ino: u64,
}

const MAX_DEPTH: usize = 32;

/// What the walk of a device folder found.
pub(crate) struct Walk {
    pub found: Vec<Found>,
    pub skipped: Vec<ListedFile>,
    /// Some entry could not be read at all (so the device must not be cleared).
    pub unread: bool,
}

/// Lists regular files under `root` (sorted), never following a symbolic link. A folder met on
/// the way that is one of `protected` (the evidence store, by filesystem and inode) refuses the
/// whole walk.
pub(crate) fn walk(root: &Path, protected: &[((u64, u64), PathBuf)]) -> Result<Walk, AppError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut unread = false;
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let rd = fs::read_dir(&dir).map_err(|e| AppError::SourceUnreadable {
            path: dir.clone(),
            reason: io_error(&e),
        });
        let rd = match rd {
            Ok(rd) => rd,
            Err(e) if dir == root => return Err(e),
            Err(_) => {
                unread = true;
                skipped.push(ListedFile {
                    file: rel_of(root, &dir),
                    reason: "无法读取该子目录".into(),
                });
                continue;
            }
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        let mut subdirs = Vec::new();
        for p in entries {
            let rel = rel_of(root, &p);
            let meta = match fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    unread = true;
                    skipped.push(ListedFile {
                        file: rel,
                        reason: format!("无法读取文件信息：{}", io_error(&e)),
                    });
                    continue;
                }
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                skipped.push(ListedFile {
                    file: rel,
                    reason: "符号链接：不跟随，设备目录以外的内容不会被读取".into(),
                });
            } else if ft.is_dir() {
                if let Some((_, store)) = protected
                    .iter()
                    .find(|(id, _)| *id == (meta.dev(), meta.ino()))
                {
                    return Err(AppError::SourceIsEvidenceStore {
                        path: root.to_path_buf(),
                        store: store.clone(),
                    });
                }
                if depth + 1 > MAX_DEPTH {
                    skipped.push(ListedFile {
                        file: rel,
                        reason: "目录层级过深（超过 32 层），未进入".into(),
                    });
                } else {
                    subdirs.push(p);
                }
            } else if ft.is_file() {
                found.push(Found {
                    rel,
                    abs: p,
                    size: meta.len(),
                    dev: meta.dev(),
                    ino: meta.ino(),
                });
            } else {
                skipped.push(ListedFile {
                    file: rel,
                    reason: "不是普通文件（设备文件、管道或套接字）".into(),
                });
            }
        }
        for d in subdirs.into_iter().rev() {
            stack.push((d, depth + 1));
        }
    }
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(Walk {
        found,
        skipped,
        unread,
    })
}

fn rel_of(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

//! What keeps a data directory safe from the machine's other users and from a single disk:
//! owner-only permissions (data directory 0700, catalog files and keys 0600, stored objects 0400,
//! set by the vault when it writes them), and a warning when two vault roots share a filesystem.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::DataDir;
use crate::App;
use crate::error::AppError;

fn chmod(p: &Path, mode: u32) -> Result<(), AppError> {
    match fs::set_permissions(p, fs::Permissions::from_mode(mode)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(AppError::io(p, e)),
    }
}

/// Sets owner-only permissions on the data directory, its catalog files, its keys and the vault
/// roots' folders (at `init`, which also fixes a directory made by an earlier version).
pub(crate) fn restrict(dir: &DataDir, vault_roots: &[std::path::PathBuf]) -> Result<(), AppError> {
    chmod(&dir.root, 0o700)?;
    if let Some(keys) = dir.secret_key().parent() {
        chmod(keys, 0o700)?;
    }
    for f in [dir.secret_key(), dir.public_key()] {
        chmod(&f, 0o600)?;
    }
    let db = dir.catalog_db();
    for suffix in ["", "-wal", "-shm"] {
        chmod(Path::new(&format!("{}{suffix}", db.display())), 0o600)?;
    }
    for r in vault_roots {
        chmod(&dir.vault_root(r), 0o700)?;
    }
    Ok(())
}

/// Groups of vault roots (two or more) that live on one filesystem (`st_dev`): a single disk
/// failure would take every copy in the group. A warning, not an error (a test machine, a first
/// setup on one disk).
pub fn shared_filesystems(app: &App) -> Vec<Vec<String>> {
    let mut groups: Vec<(u64, Vec<String>)> = Vec::new();
    for r in &app.config.vault_roots {
        let path = app.dir.vault_root(r);
        let Ok(m) = fs::metadata(&path) else {
            continue;
        };
        let name = path.display().to_string();
        match groups.iter_mut().find(|(d, _)| *d == m.dev()) {
            Some((_, g)) => g.push(name),
            None => groups.push((m.dev(), vec![name])),
        }
    }
    groups
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| g.len() > 1)
        .collect()
}

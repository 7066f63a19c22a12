//! An offload never reads from the evidence store itself: a device folder that is, contains or
//! lies inside the data directory or a vault root is refused before anything is touched (offloading
//! a vault root with clearing asked for would delete the stored copies).
//!
//! Folders are compared by (filesystem, inode) of every ancestor, not by path: a symbolic link,
//! a bind mount or a `..` cannot make one folder look like another.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::App;
use crate::error::AppError;

type Ident = (u64, u64);

fn ident(p: &Path) -> Option<Ident> {
    fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

/// The folder and every folder above it, each by (filesystem, inode).
fn lineage(p: &Path) -> Vec<Ident> {
    let start = fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    start.ancestors().filter_map(ident).collect()
}

/// The folders an offload must keep out of: the data directory and every vault root.
fn protected(app: &App) -> Vec<PathBuf> {
    let mut v = vec![app.dir.root.clone()];
    v.extend(app.config.vault_roots.iter().map(|r| app.dir.vault_root(r)));
    v
}

/// Refuses `source` if it is, contains or lies inside a protected folder.
pub(crate) fn refuse_protected(app: &App, source: &Path) -> Result<(), AppError> {
    match overlapping(app, source) {
        Some(store) => Err(AppError::SourceIsEvidenceStore {
            path: source.to_path_buf(),
            store,
        }),
        None => Ok(()),
    }
}

/// The protected folder that `path` is, contains or lies inside, if any. A path that does not
/// exist yet (an export's target) is judged by its nearest existing ancestor: it would lie
/// inside whatever that one lies inside, and contains nothing. Inside [`into_exports`], a path
/// strictly below `<data>/exports/` is not refused for lying in the data directory (a vault root
/// there still is).
pub(crate) fn overlapping(app: &App, path: &Path) -> Option<PathBuf> {
    let existing = path.ancestors().find(|a| ident(a).is_some())?;
    let here = ident(existing)?;
    let line = lineage(existing);
    let exists = existing == path;
    let in_exports = INTO_EXPORTS
        .try_with(|exports| ident(exports).is_some_and(|e| e != here && line.contains(&e)))
        .unwrap_or(false);
    protected(app).into_iter().find(|p| {
        if in_exports && *p == app.dir.root {
            return false;
        }
        // `path` is `p` or inside it: `p` is among `path`'s ancestors. `path` contains `p`:
        // `path` is among `p`'s ancestors.
        ident(p).is_some_and(|prot| line.contains(&prot) || (exists && lineage(p).contains(&here)))
    })
}

tokio::task_local! {
    /// `<data>/exports`, while the server writes an evidence package there.
    static INTO_EXPORTS: PathBuf;
}

/// Runs `f` (the server's evidence export, `export::server`) with writing strictly below
/// `exports` allowed: that folder holds packages made for download, neither the vault nor the
/// catalog. Everywhere else in the data directory, and every vault root, stays refused; an
/// offload never gets this allowance.
pub(crate) async fn into_exports<F: Future>(exports: PathBuf, f: F) -> F::Output {
    INTO_EXPORTS.scope(exports, f).await
}

/// The protected folders by (filesystem, inode), for the walk to refuse one met below the device
/// folder (a bind mount of a vault root inside it has no ancestor in common with the root).
pub(crate) fn protected_idents(app: &App) -> Vec<(Ident, PathBuf)> {
    protected(app)
        .into_iter()
        .filter_map(|p| ident(&p).map(|i| (i, p)))
        .collect()
}

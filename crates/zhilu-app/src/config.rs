//! The data directory's configuration file, `zhilu.toml`: defaults → file → `ZHILU_*` environment →
//! command-line flags. Unknown keys are rejected; nothing falls back silently to another store.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// `zhilu.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Independent storage roots; every object is kept in each (R18 asks for at least two).
    /// Relative paths are relative to the data directory.
    pub vault_roots: Vec<PathBuf>,
    /// Catalog database URL; empty means the embedded SQLite file `catalog.db` in the data directory.
    #[serde(default)]
    pub database_url: String,
    /// Ledger tree hash: `sha256` or `sm3`.
    pub ledger_hash: String,
    /// Checkpoint signature: `ed25519` or `sm2`.
    pub signature: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            vault_roots: vec![
                PathBuf::from("vault/primary"),
                PathBuf::from("vault/replica"),
            ],
            database_url: String::new(),
            ledger_hash: "sha256".into(),
            signature: "ed25519".into(),
        }
    }
}

impl Config {
    pub const FILE: &'static str = "zhilu.toml";

    /// Reads and checks `zhilu.toml`.
    pub fn load(path: &Path) -> Result<Self, AppError> {
        let text = std::fs::read_to_string(path).map_err(|e| AppError::io(path, e))?;
        let cfg: Config = toml::from_str(&text).map_err(|e| AppError::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        cfg.check(path)?;
        Ok(cfg)
    }

    /// Rejects values that would make the vault or ledger unsafe.
    pub fn check(&self, path: &Path) -> Result<(), AppError> {
        let bad = |message: String| AppError::Config {
            path: path.to_path_buf(),
            message,
        };
        if self.vault_roots.len() < 2 {
            return Err(bad(
                "vault_roots 至少需要两个相互独立的存储位置（备份要求）".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.vault_roots {
            if !seen.insert(r) {
                return Err(bad(format!("vault_roots 中的 {} 重复", r.display())));
            }
        }
        if zhilu_ledger::HashAlg::parse(&self.ledger_hash).is_none() {
            return Err(bad(format!(
                "ledger_hash 只能是 sha256 或 sm3，而不是 {}",
                self.ledger_hash
            )));
        }
        if !matches!(self.signature.as_str(), "ed25519" | "sm2") {
            return Err(bad(format!(
                "signature 只能是 ed25519 或 sm2，而不是 {}",
                self.signature
            )));
        }
        Ok(())
    }

    /// The file's text, with comments, as `zhilu init` writes it.
    pub fn to_toml(&self) -> String {
        let roots = self
            .vault_roots
            .iter()
            .map(|r| format!("{:?}", r.display().to_string()))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "# Zhilu data directory configuration (written by `zhilu init`).\n\
             # Independent storage roots; every original is kept in each. Put them on different disks.\n\
             vault_roots = [{roots}]\n\
             # Catalog database; empty = embedded SQLite file catalog.db here. Example: postgres://user@host/db\n\
             database_url = {:?}\n\
             # Audit ledger tree hash (sha256 | sm3) and checkpoint signature (ed25519 | sm2). Fixed at init.\n\
             ledger_hash = {:?}\n\
             signature = {:?}\n",
            self.database_url, self.ledger_hash, self.signature
        )
    }
}

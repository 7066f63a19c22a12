//! The data directory's configuration file, `zhilu.toml`. Unknown keys are rejected; values are
//! checked and typed once at load (a misspelt hash never falls back to another); the database URL
//! may come from the environment instead (`ZHILU_DATABASE_URL`, or `ZHILU_DATABASE_URL_FILE` naming
//! a file, so that a password need not sit in the file or in the process list).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use zhilu_ledger::{HashAlg, SignatureKind};

use crate::error::AppError;

/// `zhilu.toml`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Independent storage roots; every object is kept in each (R18: at least two). Relative
    /// paths are relative to the data directory.
    pub vault_roots: Vec<PathBuf>,
    /// Catalog database URL; empty means the embedded SQLite file `catalog.db` in the data
    /// directory.
    pub database_url: String,
    /// Ledger tree hash, fixed at init.
    pub ledger_hash: HashAlg,
    /// Checkpoint signature, fixed at init.
    pub signature: SignatureKind,
}

/// The file as written: strings, checked into [`Config`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    vault_roots: Vec<PathBuf>,
    #[serde(default)]
    database_url: String,
    ledger_hash: String,
    signature: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            vault_roots: vec![
                PathBuf::from("vault/primary"),
                PathBuf::from("vault/replica"),
            ],
            database_url: String::new(),
            ledger_hash: HashAlg::Sha256,
            signature: SignatureKind::Ed25519,
        }
    }
}

impl Config {
    pub const FILE: &'static str = "zhilu.toml";

    /// Reads and checks `zhilu.toml`.
    pub fn load(path: &Path) -> Result<Self, AppError> {
        let text = std::fs::read_to_string(path).map_err(|e| AppError::io(path, e))?;
        Self::parse(path, &text)
    }

    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self, AppError> {
        let bad = |message: String| AppError::Config {
            path: path.to_path_buf(),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let cfg = Config {
            ledger_hash: HashAlg::parse(&raw.ledger_hash).ok_or_else(|| {
                bad(format!(
                    "ledger_hash 只能是 sha256 或 sm3，而不是 {}",
                    raw.ledger_hash
                ))
            })?,
            signature: SignatureKind::parse(&raw.signature).ok_or_else(|| {
                bad(format!(
                    "signature 只能是 ed25519 或 sm2，而不是 {}",
                    raw.signature
                ))
            })?,
            vault_roots: raw.vault_roots,
            database_url: raw.database_url,
        };
        cfg.check(path)?;
        Ok(cfg)
    }

    /// Rejects values that would make the vault unsafe.
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
             # (or set ZHILU_DATABASE_URL, or ZHILU_DATABASE_URL_FILE naming a file that holds it).\n\
             database_url = {:?}\n\
             # Audit ledger tree hash (sha256 | sm3) and checkpoint signature (ed25519 | sm2). Fixed at init.\n\
             ledger_hash = {:?}\n\
             signature = {:?}\n",
            self.database_url,
            self.ledger_hash.as_str(),
            self.signature.as_str()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x2_config_values_are_checked_never_defaulted() {
        let p = Path::new("zhilu.toml");
        let ok = Config::default().to_toml();
        assert_eq!(Config::parse(p, &ok).unwrap(), Config::default());
        let bad = ok.replace("\"sha256\"", "\"sha1\"");
        let e = Config::parse(p, &bad).unwrap_err().to_string();
        assert!(e.contains("sha1"), "{e}");
        let extra = format!("{ok}colour = \"blue\"\n");
        assert!(Config::parse(p, &extra).is_err(), "unknown key refused");
        let one = ok.replace(", \"vault/replica\"", "");
        assert!(
            Config::parse(p, &one)
                .unwrap_err()
                .to_string()
                .contains("至少需要两个")
        );
    }
}

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
    /// paths are relative to the data directory; `s3://bucket/prefix` is a bucket (X5), reached
    /// as [`Config::s3`] says, with credentials from the environment only.
    pub vault_roots: Vec<PathBuf>,
    /// `[vault.s3]`: how to reach the `s3://` roots (absent: AWS itself, region `us-east-1`).
    pub s3: Option<S3Settings>,
    /// Catalog database URL; empty means the embedded SQLite file `catalog.db` in the data
    /// directory.
    pub database_url: String,
    /// Ledger tree hash, fixed at init.
    pub ledger_hash: HashAlg,
    /// Checkpoint signature, fixed at init.
    pub signature: SignatureKind,
}

/// `[vault.s3]` in `zhilu.toml`. Credentials are never here: they come from the environment
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optionally `AWS_SESSION_TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// `https://host:port` of an S3-compatible service; absent for AWS itself.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    /// Allow a plain-HTTP endpoint (a test server on the same machine).
    #[serde(default)]
    pub allow_http: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

/// One configured root: a folder, or a bucket and key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootSpec {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl RootSpec {
    /// Reads one `vault_roots` entry; `Err` names what is wrong with an `s3://` one.
    pub fn parse(configured: &Path) -> Result<RootSpec, String> {
        let text = configured.to_string_lossy();
        let Some(rest) = text.strip_prefix("s3://") else {
            return Ok(RootSpec::Local(configured.to_path_buf()));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_end_matches('/');
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(format!(
                "{text} 中的桶名无效（3–63 个小写字母、数字、“-”或“.”）"
            ));
        }
        let prefix_ok = prefix.is_empty()
            || prefix.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            });
        if !prefix_ok {
            return Err(format!(
                "{text} 中的前缀无效（只能由字母、数字、“.”、“_”、“-”和“/”组成，不能含“..”或空段）"
            ));
        }
        Ok(RootSpec::S3 {
            bucket: bucket.into(),
            prefix: prefix.into(),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVault {
    s3: Option<S3Settings>,
}

/// The file as written: strings, checked into [`Config`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    vault_roots: Vec<PathBuf>,
    #[serde(default)]
    vault: RawVault,
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
            s3: None,
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
            s3: raw.vault.s3,
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
            RootSpec::parse(r).map_err(|m| bad(format!("vault_roots：{m}")))?;
        }
        if let Some(e) = self.s3.as_ref().and_then(|s| s.endpoint.as_deref())
            && !(e.starts_with("https://") || e.starts_with("http://"))
        {
            return Err(bad(format!(
                "[vault.s3] endpoint 应以 https:// 开头，而不是 {e}"
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
             # (or set ZHILU_DATABASE_URL, or ZHILU_DATABASE_URL_FILE naming a file that holds it).\n\
             database_url = {:?}\n\
             # Audit ledger tree hash (sha256 | sm3) and checkpoint signature (ed25519 | sm2). Fixed at init.\n\
             ledger_hash = {:?}\n\
             signature = {:?}\n{}",
            self.database_url,
            self.ledger_hash.as_str(),
            self.signature.as_str(),
            self.s3_toml()
        )
    }

    /// The `[vault.s3]` table, if any.
    fn s3_toml(&self) -> String {
        let Some(s3) = &self.s3 else {
            return String::new();
        };
        let endpoint = match &s3.endpoint {
            Some(e) => format!("endpoint = {e:?}\n"),
            None => String::new(),
        };
        format!(
            "\n# How to reach the s3:// roots. Credentials come from the environment only\n\
             # (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from this file.\n\
             [vault.s3]\n{endpoint}region = {:?}\nallow_http = {}\n",
            s3.region, s3.allow_http
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

    #[test]
    fn x5_s3_roots_are_checked_and_credentials_never_in_the_file() {
        let p = Path::new("zhilu.toml");
        let ok = Config::default().to_toml();
        let s3 = Config {
            vault_roots: vec![
                "vault/primary".into(),
                "s3://evidence-2026/zhilu/replica".into(),
            ],
            s3: Some(S3Settings {
                endpoint: Some("http://127.0.0.1:9000".into()),
                region: "cn-north-1".into(),
                allow_http: true,
            }),
            ..Config::default()
        };
        assert_eq!(
            Config::parse(p, &s3.to_toml()).unwrap(),
            s3,
            "s3 roots round-trip"
        );
        assert_eq!(
            RootSpec::parse(Path::new("s3://evidence-2026/zhilu/replica")).unwrap(),
            RootSpec::S3 {
                bucket: "evidence-2026".into(),
                prefix: "zhilu/replica".into()
            }
        );
        for hostile in ["s3://evidence-2026/../etc", "s3://Bad_Bucket/x", "s3://ab"] {
            let t = ok.replace("\"vault/replica\"", &format!("{hostile:?}"));
            assert!(Config::parse(p, &t).is_err(), "{hostile} refused");
        }
        let secret = format!("{ok}[vault.s3]\nsecret_access_key = \"x\"\n");
        assert!(
            Config::parse(p, &secret).is_err(),
            "no credentials in the file"
        );
    }
}

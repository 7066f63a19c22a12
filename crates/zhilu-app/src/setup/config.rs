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
    /// Where stations' uploads in progress are kept (absolute; an existing folder, never a vault
    /// root's or the data directory's). Absent: `uploads/` in the data directory. Servers behind
    /// one address share one (NFS) so that an upload resumes on whichever answers.
    pub uploads_dir: Option<PathBuf>,
    /// `[[oversee]]`: the agencies this installation, as their supervising body (上级监督机关,
    /// X4), may look into — each a name and the agency's own data directory (empty: none).
    pub oversee: Vec<OverseeAgency>,
}

/// One `[[oversee]]` entry: an agency by the name the supervising body shows and its data
/// directory (absolute; its catalog is the one that directory's own `zhilu.toml` names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverseeAgency {
    pub name: String,
    pub dir: PathBuf,
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
    #[serde(default)]
    uploads_dir: Option<PathBuf>,
    /// Read as plain TOML and checked by [`oversee_entries`], so that a bad entry is named in
    /// Chinese.
    #[serde(default)]
    oversee: Option<toml::Value>,
}

/// `[[oversee]]` checked: each entry a table of exactly `name` (not blank, unique) and `dir` (an
/// absolute path, unique).
fn oversee_entries(raw: Option<toml::Value>) -> Result<Vec<OverseeAgency>, String> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let toml::Value::Array(items) = raw else {
        return Err(
            "oversee 须写成若干 [[oversee]] 表，每表含 name（机关名称）和 dir（该机关的数据目录）"
                .into(),
        );
    };
    let mut out: Vec<OverseeAgency> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let n = i + 1;
        let toml::Value::Table(t) = item else {
            return Err(format!(
                "[[oversee]] 第 {n} 项须为表，含 name（机关名称）和 dir（该机关的数据目录）"
            ));
        };
        if let Some(k) = t.keys().find(|k| !matches!(k.as_str(), "name" | "dir")) {
            return Err(format!(
                "[[oversee]] 第 {n} 项有未知的键 {k}（只能有 name 和 dir）"
            ));
        }
        let text = |key: &str, what: &str| -> Result<String, String> {
            match t.get(key) {
                Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                Some(toml::Value::String(_)) => {
                    Err(format!("[[oversee]] 第 {n} 项的 {key}（{what}）不能为空"))
                }
                Some(_) => Err(format!("[[oversee]] 第 {n} 项的 {key}（{what}）须为字符串")),
                None => Err(format!("[[oversee]] 第 {n} 项缺少 {key}（{what}）")),
            }
        };
        let name = text("name", "机关名称")?;
        let dir = PathBuf::from(text("dir", "该机关的数据目录")?);
        if !dir.is_absolute() {
            return Err(format!(
                "[[oversee]] 第 {n} 项（{name}）的 dir 须为绝对路径，而不是 {}",
                dir.display()
            ));
        }
        if out.iter().any(|a| a.name == name) {
            return Err(format!("[[oversee]] 中的机关名称“{name}”重复"));
        }
        if let Some(a) = out.iter().find(|a| a.dir == dir) {
            return Err(format!(
                "[[oversee]] 中“{}”和“{name}”的数据目录 {} 相同",
                a.name,
                dir.display()
            ));
        }
        out.push(OverseeAgency { name, dir });
    }
    Ok(out)
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
            uploads_dir: None,
            oversee: Vec::new(),
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
            uploads_dir: raw.uploads_dir,
            oversee: oversee_entries(raw.oversee).map_err(bad)?,
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
        if let Some(u) = &self.uploads_dir
            && !u.is_absolute()
        {
            return Err(bad(format!(
                "uploads_dir（采集站上传暂存目录）须为绝对路径，而不是 {}",
                u.display()
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
             database_url = {:?}\n{}\
             # Audit ledger tree hash (sha256 | sm3) and checkpoint signature (ed25519 | sm2). Fixed at init.\n\
             ledger_hash = {:?}\n\
             signature = {:?}\n{}",
            self.database_url,
            self.uploads_toml(),
            self.ledger_hash.as_str(),
            self.signature.as_str(),
            self.s3_toml()
        ) + &self.oversee_toml()
    }

    /// The `[[oversee]]` tables, if any.
    fn oversee_toml(&self) -> String {
        let mut s = String::new();
        if !self.oversee.is_empty() {
            s.push_str(
                "\n# Agencies this installation oversees as their supervising body (上级监督机关).\n",
            );
        }
        for a in &self.oversee {
            s.push_str(&format!(
                "[[oversee]]\nname = {:?}\ndir = {:?}\n",
                a.name,
                a.dir.display().to_string()
            ));
        }
        s
    }

    /// The `uploads_dir` line, if set.
    fn uploads_toml(&self) -> String {
        match &self.uploads_dir {
            Some(u) => format!(
                "# Stations' uploads in progress, shared by the servers behind one address (absolute).\n\
                 uploads_dir = {:?}\n",
                u.display().to_string()
            ),
            None => String::new(),
        }
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

    #[test]
    fn x4_oversee_entries_are_checked_in_chinese() {
        let p = Path::new("zhilu.toml");
        let ok = Config::default().to_toml();
        let two = Config {
            oversee: vec![
                OverseeAgency {
                    name: "金普".into(),
                    dir: "/数据/金普".into(),
                },
                OverseeAgency {
                    name: "漯河".into(),
                    dir: "/数据/漯河".into(),
                },
            ],
            ..Config::default()
        };
        assert_eq!(Config::parse(p, &two.to_toml()).unwrap(), two, "round-trip");
        let entry = |body: &str| format!("{ok}\n[[oversee]]\n{body}\n");
        for (body, want) in [
            ("name = \"金普\"", "缺少 dir"),
            ("dir = \"/数据/金普\"", "缺少 name"),
            ("name = \" \"\ndir = \"/数据/金普\"", "不能为空"),
            ("name = \"金普\"\ndir = \"数据/金普\"", "须为绝对路径"),
            ("name = \"金普\"\ndir = 3", "须为字符串"),
            (
                "name = \"金普\"\ndir = \"/数据/金普\"\nurl = \"x\"",
                "未知的键 url",
            ),
            (
                "name = \"金普\"\ndir = \"/a\"\n[[oversee]]\nname = \"金普\"\ndir = \"/b\"",
                "重复",
            ),
            (
                "name = \"金普\"\ndir = \"/a\"\n[[oversee]]\nname = \"漯河\"\ndir = \"/a\"",
                "相同",
            ),
        ] {
            let e = Config::parse(p, &entry(body)).unwrap_err().to_string();
            assert!(e.contains(want), "{body:?}: {e}");
        }
        let e = Config::parse(p, &format!("{ok}oversee = \"金普\"\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("[[oversee]]"), "{e}");
    }
}

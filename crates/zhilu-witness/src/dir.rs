//! The witness directory: `witness.toml` (its name), `witness.key` (its Ed25519 signing key, mode
//! 0600, written once by `init` and never overwritten) and `witness.db` (schema in `db.rs`).

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zhilu_ledger::{CosignerSigningKey, CosignerVerifyingKey, VerifyingKey};

use crate::db;
use crate::error::WitnessError;

pub(crate) const CONFIG: &str = "witness.toml";
pub(crate) const KEY: &str = "witness.key";
pub(crate) const DB: &str = "witness.db";

/// `witness.toml`. Unknown keys are refused, so a typo is an error rather than ignored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// The witness's name, on every cosignature line (a schema-less URL is recommended).
    name: String,
}

fn read_config(dir: &Path) -> Result<Config, WitnessError> {
    let path = dir.join(CONFIG);
    let text = fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            WitnessError::NotInitialized(dir.display().to_string(), CONFIG)
        } else {
            WitnessError::io(&path, e)
        }
    })?;
    toml::from_str(&text).map_err(|e| WitnessError::Config {
        path,
        message: e.message().to_string(),
    })
}

/// Loads the witness's signing key, checking it carries the configured name.
pub(crate) fn load_key(dir: &Path) -> Result<CosignerSigningKey, WitnessError> {
    let config = read_config(dir)?;
    let path = dir.join(KEY);
    let text = fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            WitnessError::NotInitialized(dir.display().to_string(), KEY)
        } else {
            WitnessError::io(&path, e)
        }
    })?;
    let key = CosignerSigningKey::from_secret_string(&text)?;
    if key.name() != config.name {
        return Err(WitnessError::Config {
            path: dir.join(CONFIG),
            message: format!(
                "名称 {} 与密钥文件中的名称 {} 不一致",
                config.name,
                key.name()
            ),
        });
    }
    Ok(key)
}

/// Writes `bytes` to a new file (never replacing one) with `mode`, then fsyncs it.
fn create_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), WitnessError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| WitnessError::io(path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| WitnessError::io(path, e))
}

fn sync_dir(dir: &Path) -> Result<(), WitnessError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| WitnessError::io(dir, e))
}

/// Creates a witness in `dir` (made if missing) and returns its verifying key, the line logs
/// configure. Re-running with the same name returns the same key; another name is refused, and an
/// existing key file is never overwritten.
///
/// Crash consistency: the key is written first (create-new, fsync), then the database, then
/// `witness.toml` last, each fsynced with the directory; a crash leaves either no `witness.toml` —
/// and a re-run reuses the key already written, with its name — or a complete witness.
pub fn init(dir: &Path, name: &str) -> Result<CosignerVerifyingKey, WitnessError> {
    fs::create_dir_all(dir).map_err(|e| WitnessError::io(dir, e))?;
    if let Ok(config) = read_config(dir) {
        if config.name != name {
            return Err(WitnessError::NameMismatch {
                dir: dir.display().to_string(),
                existing: config.name,
                requested: name.to_string(),
            });
        }
        let key = load_key(dir)?;
        if !dir.join(DB).exists() {
            db::create(&dir.join(DB))?;
        }
        return Ok(key.verifying_key());
    }
    let key_path = dir.join(KEY);
    let key = if key_path.exists() {
        let text = fs::read_to_string(&key_path).map_err(|e| WitnessError::io(&key_path, e))?;
        let key = CosignerSigningKey::from_secret_string(&text)?;
        if key.name() != name {
            return Err(WitnessError::NameMismatch {
                dir: dir.display().to_string(),
                existing: key.name().to_string(),
                requested: name.to_string(),
            });
        }
        key
    } else {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            WitnessError::io(
                &key_path,
                std::io::Error::other(format!("无法取得随机数：{e}")),
            )
        })?;
        let key = CosignerSigningKey::from_seed(name, seed)?;
        create_new(
            &key_path,
            format!("{}\n", key.to_secret_string()).as_bytes(),
            0o600,
        )?;
        sync_dir(dir)?;
        key
    };
    db::create(&dir.join(DB))?;
    let config = toml::to_string(&Config {
        name: name.to_string(),
    })
    .map_err(|e| WitnessError::Config {
        path: dir.join(CONFIG),
        message: e.to_string(),
    })?;
    let tmp = dir.join(format!("{CONFIG}.tmp"));
    let _ = fs::remove_file(&tmp);
    create_new(&tmp, config.as_bytes(), 0o644)?;
    fs::rename(&tmp, dir.join(CONFIG)).map_err(|e| WitnessError::io(dir.join(CONFIG), e))?;
    sync_dir(dir)?;
    Ok(key.verifying_key())
}

/// The witness's verifying key, read from its directory.
pub fn verifying_key(dir: &Path) -> Result<CosignerVerifyingKey, WitnessError> {
    Ok(load_key(dir)?.verifying_key())
}

/// Starts witnessing a log: its checkpoints, identified by `origin`, will be cosigned when signed
/// by `log_key` (the log's verifying key text, Ed25519 or SM2). The witness starts at size 0.
/// Trusting the same pair again changes nothing; another key for a known origin is refused.
pub fn trust(dir: &Path, origin: &str, log_key: &str) -> Result<VerifyingKey, WitnessError> {
    if origin.is_empty() || origin.chars().any(char::is_control) {
        return Err(WitnessError::BadOrigin(origin.to_string()));
    }
    let key = VerifyingKey::parse(log_key)?;
    read_config(dir)?;
    let mut conn = db::open(&dir.join(DB))?;
    let now = chrono::Utc::now().timestamp();
    match db::trust(&mut conn, origin, &key.to_string(), now)? {
        Some(existing) if existing != key.to_string() => Err(WitnessError::KeyConflict {
            origin: origin.to_string(),
            existing,
        }),
        _ => Ok(key),
    }
}

pub(crate) fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB)
}

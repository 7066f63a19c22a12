//! The witness crate's one error type; messages are Chinese (they reach the witness operator).

use std::path::PathBuf;

/// What can stop a witness command. A refused checkpoint is not an error: it is a
/// [`crate::Response`] with its HTTP status (and, past parsing, a conflict row).
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The directory has no witness (no `witness.toml`, `witness.key` or `witness.db`).
    #[error(
        "{0} 不是见证目录（缺少 {1}）：请先运行 `zhilu witness init --data-dir {0} --name 名称`"
    )]
    NotInitialized(String, &'static str),
    /// `init` found a witness with another name: the key is never overwritten.
    #[error("{dir} 已是见证 {existing} 的目录，不能改名为 {requested}：见证密钥从不覆盖")]
    NameMismatch {
        /// The directory.
        dir: String,
        /// The name already configured.
        existing: String,
        /// The name asked for.
        requested: String,
    },
    /// A file of the witness directory could not be read or written.
    #[error("无法访问 {}：{source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `witness.toml` is not valid.
    #[error("配置文件 {} 无效：{message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong, in Chinese (or the TOML parser's words).
        message: String,
    },
    /// A key, name or origin that cannot be used.
    #[error("{0}")]
    Ledger(#[from] zhilu_ledger::LedgerError),
    /// An origin that is empty or has control characters.
    #[error("日志来源 {0:?} 无效：不能为空，也不能含控制字符")]
    BadOrigin(String),
    /// `trust` was asked to change the key of a log already configured.
    #[error(
        "日志 {origin} 已配置为公钥 {existing}；见证不更换已信任日志的公钥（避免被换钥伪造历史）"
    )]
    KeyConflict {
        /// The log.
        origin: String,
        /// The key already trusted.
        existing: String,
    },
    /// The witness database failed.
    #[error("见证数据库出错：{0}")]
    Db(#[from] rusqlite::Error),
}

impl WitnessError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        WitnessError::Io {
            path: path.into(),
            source,
        }
    }
}

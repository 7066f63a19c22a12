//! The store's one error type. Messages are Chinese because they reach officers and custodians.

use std::path::PathBuf;

/// Everything that can go wrong in the catalog or the vault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a statement.
    #[error("数据库错误：{0}")]
    Database(#[from] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("数据库迁移失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A file operation in the vault failed.
    #[error("存储错误（{path}）：{source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The database URL names a backend we do not support.
    #[error("不支持的数据库地址：{0}（请使用 sqlite:// 或 postgres://）")]
    UnsupportedBackend(String),
    /// An insert would replace an existing row.
    #[error("{0} 已存在")]
    AlreadyExists(String),
    /// An update found no row to change.
    #[error("{0} 不存在")]
    NotFound(String),
    /// Another writer appended to the ledger at the same time; the caller may retry.
    #[error("审计日志并发写入冲突，请重试")]
    LedgerConflict,
    /// The ledger's stored tree is inconsistent (a node is missing or malformed).
    #[error("审计日志数据损坏：{0}")]
    LedgerCorrupt(String),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

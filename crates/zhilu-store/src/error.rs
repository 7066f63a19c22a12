//! The store's one error type. Messages are Chinese because they reach officers and custodians;
//! the database's own error is kept as the source, for the log, without exposing its type.

use std::path::PathBuf;

type Source = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong in the catalog or the vault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a statement. `what` says so in Chinese (busy, disk full,
    /// read-only, cannot connect…); the driver's own error is kept as the source, for the log.
    #[error("数据库错误：{what}")]
    Database {
        what: String,
        #[source]
        source: Source,
    },
    /// Applying the schema migrations failed.
    #[error("数据库结构升级失败：{what}")]
    Migrate {
        what: String,
        #[source]
        source: Source,
    },
    /// A file operation in the vault failed.
    #[error("存储错误（{}）：{}", path.display(), zhilu_model::explain::io_error(source))]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The database URL names a backend we do not support.
    #[error("不支持的数据库地址：{0}（请使用 sqlite:// 或 postgres://）")]
    UnsupportedBackend(String),
    /// A row would duplicate an existing one: the same key, or a value that must be unique (one
    /// open checkout per device). `subject` is the row's ledger subject; `detail` the database's
    /// words.
    #[error("{subject} 与已有记录重复，未作任何改动")]
    Duplicate { subject: String, detail: String },
    /// An update found no row to change.
    #[error("{0} 不存在")]
    NotFound(String),
    /// The row changed since it was read (another writer got there first); nothing was written.
    #[error("{0} 已被他人同时修改，未作任何改动，请重试")]
    Conflict(String),
    /// An event named a catalog row as its subject; `verify` would take its data for the row's.
    #[error("内部错误：事件 {kind} 的对象 {subject} 与数据表中的记录同名，未作任何改动")]
    EventNamesRow { kind: String, subject: String },
    /// The head of the ledger has no checkpoint signed by this installation's key for it: entries
    /// were appended behind the program. Nothing is signed over them; `verify` names them.
    #[error(
        "审计日志末尾的记录（共 {size} 条）没有本系统签名的检查点：有记录绕过系统被追加。为不替其背书，本次未作任何改动；请运行 zhilu verify 查明"
    )]
    UnsignedTail { size: u64 },
    /// The ledger's stored tree is inconsistent (a node is missing or malformed).
    #[error("审计日志数据损坏：{0}")]
    LedgerCorrupt(String),
    /// A stored value does not decode to its type: the catalog was edited behind the program.
    #[error("数据库中 {table}.{column} 的值无效：{message}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        message: String,
    },
}

impl StoreError {
    /// A database error explained in `what`, keeping the driver's error as the source.
    pub(crate) fn database(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Database {
            what: what.into(),
            source: source.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

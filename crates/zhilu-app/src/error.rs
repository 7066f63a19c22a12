//! The application's error type. Display strings are what officers and custodians read: Chinese,
//! naming the thing concerned and what to do.

use std::path::PathBuf;

use zhilu_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("数据目录 {0} 尚未初始化：请先运行 `zhilu init`")]
    NotInitialized(PathBuf),
    #[error("另一个 zhilu 进程正在写入数据目录 {0}，请等它结束后再试")]
    Locked(PathBuf),
    #[error(
        "设备 {0} 未登记，拒绝导入，未导入任何文件（device not registered）：请先运行 `zhilu device register`"
    )]
    DeviceNotRegistered(String),
    #[error("设备 {0} 已登记，不能重复登记")]
    DeviceAlreadyRegistered(String),
    #[error("无法读取设备目录 {path}：{reason}")]
    SourceUnreadable { path: PathBuf, reason: String },
    #[error("参数 {field} 无效：{message}")]
    Invalid { field: String, message: String },
    #[error("配置文件 {path} 有误：{message}")]
    Config { path: PathBuf, message: String },
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("审计日志错误：{0}")]
    Ledger(#[from] zhilu_ledger::LedgerError),
    #[error("文件操作失败（{path}）：{source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("执法规范配置 {path} 有误，未作任何改动：{message}")]
    Profile { path: String, message: String },
    #[error(
        "尚未选择执法规范配置：请运行 `zhilu init --profile <配置>` 或 `zhilu profile apply <文件>`"
    )]
    NoProfile,
    #[error("{what} {id} 不存在")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Refused(String),
    #[error("导入中断：{0}")]
    OffloadFailed(String),
}

impl AppError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AppError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

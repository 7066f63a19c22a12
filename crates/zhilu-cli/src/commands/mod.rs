//! One module per capability, as in `zhilu-app`: the clap arguments of its commands, the call
//! of its use case, and the printing of the result. Nothing here decides anything.

pub mod access;
pub mod compliance;
pub mod integrity;
#[cfg(feature = "lab")]
pub mod lab;
pub mod offload;
pub mod records;
pub mod registry;
pub mod setup;
pub mod witness;

use std::path::Path;

/// Opens the data directory, evaluates `$body` (an `anyhow::Result`) with it, and closes it
/// whatever the outcome, so SQLite can fold its write-ahead log back.
macro_rules! with_app {
    ($ctx:expr, |$app:ident| $body:expr) => {{
        let opened = $ctx.open().await?;
        let $app = &opened;
        let result: anyhow::Result<_> = async { $body }.await;
        opened.close().await;
        result
    }};
}
pub(crate) use with_app;

use zhilu_app::model::explain::io_error;

use crate::output::CliError;

/// A small text file a person names (a profile, a calendar): at most 1 MiB of UTF-8.
pub(crate) fn read_text(path: &Path) -> anyhow::Result<String> {
    let unreadable = |reason: String| CliError {
        code: "file_unreadable",
        message: format!("无法读取文件 {}：{reason}", path.display()),
    };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(io_error(&e)))?;
    if meta.len() > 1 << 20 {
        return Err(unreadable(format!(
            "文件过大（{} 字节），配置文件不应超过 1 MiB",
            meta.len()
        ))
        .into());
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(io_error(&e)))?;
    String::from_utf8(bytes).map_err(|_| unreadable("内容不是 UTF-8 文本".into()).into())
}

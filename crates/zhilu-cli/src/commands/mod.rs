//! One module per capability, as in `zhilu-app`: the clap arguments of its commands, the call
//! of its use case, and the printing of the result. Nothing here decides anything.

pub mod access;
pub mod accountability;
pub mod compliance;
pub mod costs;
pub mod export;
pub mod findings;
pub mod integrity;
#[cfg(feature = "lab")]
pub mod lab;
pub mod offload;
pub mod oversee;
pub mod preserve;
pub mod purge;
pub mod records;
pub mod registry;
pub mod sampling;
pub mod serve;
pub mod setup;
pub mod sheet;
pub mod station;
pub mod users;
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

/// Like `with_app!`, with `$actor` the person writing (`--by` when given, else `--actor`),
/// resolved against the opened catalog.
macro_rules! as_writer {
    ($ctx:expr, $by:expr, |$app:ident, $actor:ident| $body:expr) => {{
        let opened = $ctx.open().await?;
        let $app = &opened;
        let result: anyhow::Result<_> = async {
            let $actor = $ctx.writer($app, $by).await?;
            $body
        }
        .await;
        opened.close().await;
        result
    }};
}
pub(crate) use as_writer;

use zhilu_app::model::explain::io_error;
use zhilu_app::registry::sheet::SheetError;

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

/// The bytes of a spreadsheet to import (xlsx or CSV): at most 10 MiB. What they hold is the
/// app's to check.
pub(crate) fn read_sheet(path: &Path) -> anyhow::Result<Vec<u8>> {
    let unreadable = |reason: String| CliError {
        code: "file_unreadable",
        message: format!("无法读取文件 {}：{reason}", path.display()),
    };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(io_error(&e)))?;
    if meta.len() > 10 << 20 {
        return Err(unreadable(format!(
            "文件过大（{} 字节），导入的表格不应超过 10 MiB，请分成几个文件",
            meta.len()
        ))
        .into());
    }
    Ok(std::fs::read(path).map_err(|e| unreadable(io_error(&e)))?)
}

/// A refused import: the app's own error as it is, the sheet's with its code.
pub(crate) fn sheet_error(e: SheetError) -> anyhow::Error {
    match e {
        SheetError::App(a) => a.into(),
        other => CliError {
            code: other.code(),
            message: other.to_string(),
        }
        .into(),
    }
}

/// A password from a file (`-`: standard input), never from the command line, where the
/// process list would show it. One line; the line break after it is not part of it.
pub(crate) fn read_password(path: &Path) -> anyhow::Result<String> {
    use std::io::Read as _;
    let unreadable = |reason: String| CliError {
        code: "file_unreadable",
        message: format!("无法读取密码文件 {}：{reason}", path.display()),
    };
    let mut bytes = Vec::new();
    let limit = 4096;
    if path == Path::new("-") {
        std::io::stdin()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| unreadable(io_error(&e)))?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
            .map_err(|e| unreadable(io_error(&e)))?;
    }
    if bytes.len() as u64 > limit {
        return Err(unreadable("文件过大，密码文件只应有一行".into()).into());
    }
    let text = String::from_utf8(bytes).map_err(|_| unreadable("内容不是 UTF-8 文本".into()))?;
    let pw = text.strip_suffix('\n').unwrap_or(&text);
    let pw = pw.strip_suffix('\r').unwrap_or(pw);
    if pw.is_empty() {
        return Err(unreadable("文件是空的".into()).into());
    }
    Ok(pw.to_string())
}

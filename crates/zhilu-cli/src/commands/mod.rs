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

use anyhow::Context;

/// A small text file a person names (a profile, a calendar): at most 1 MiB of UTF-8.
pub(crate) fn read_text(path: &Path) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("无法读取 {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= 1 << 20,
        "文件 {} 过大（{} 字节），配置文件不应超过 1 MiB",
        path.display(),
        meta.len()
    );
    std::fs::read_to_string(path)
        .with_context(|| format!("无法读取 {}（需为 UTF-8 文本）", path.display()))
}

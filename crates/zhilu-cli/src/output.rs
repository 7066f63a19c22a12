//! The one output contract of the command line.
//!
//! * For people: Chinese text on stdout, instants in Beijing time (`2026-11-20 09:30:00`), hashes
//!   shortened to 12 hex digits (any unique prefix of 8 or more is accepted back).
//! * For machines (`--json`): one JSON document on stdout; instants RFC 3339 in UTC, lists as
//!   arrays, flags as booleans — the records' own serde form, the same the API will serve.
//! * Errors: Chinese on stderr with a hint of what to run next; with `--json`, also
//!   `{"code": …, "message": …}` on stdout, `code` stable for scripts.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_app::{AppError, Thing};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Out {
    json: bool,
}

/// A refusal decided by the command line itself (a file it could not read), with its own code.
#[derive(Debug)]
pub(crate) struct CliError {
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// An error as JSON.
#[derive(Serialize)]
struct ErrorJson<'a> {
    code: &'a str,
    message: String,
}

impl Out {
    pub fn new(json: bool) -> Out {
        Out { json }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    /// Prints `value` as JSON, or `text()` for people.
    pub fn show<T: Serialize + ?Sized>(
        &self,
        value: &T,
        text: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            let t = text();
            print!("{t}");
            if !t.ends_with('\n') {
                println!();
            }
        }
        Ok(())
    }

    /// A parse failure, `--help` or `--version` (`text` is already Chinese).
    pub fn usage(&self, e: &clap::Error, text: &str) -> ExitCode {
        if e.use_stderr() {
            eprint!("{text}");
            if self.json {
                // The whole explanation (which arguments are missing, which value is wrong), not
                // the usage line and the pointer to --help that follow it.
                let lines: Vec<&str> = text
                    .lines()
                    .take_while(|l| !l.starts_with("用法：") && !l.starts_with("运行 `"))
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect();
                let joined = lines.join(" ");
                let message = joined.trim_start_matches("错误：");
                println!(
                    "{}",
                    serde_json::to_string_pretty(&ErrorJson {
                        code: "usage",
                        message: message.to_string(),
                    })
                    .unwrap_or_default()
                );
            }
        } else {
            print!("{text}");
        }
        ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
    }

    /// A command that failed.
    pub fn failure(&self, e: &anyhow::Error) {
        let app = e.downcast_ref::<AppError>();
        let (code, message) = match (app, e.downcast_ref::<CliError>()) {
            // The error's own sentence already says what its cause said.
            (Some(a), _) => (a.code(), a.to_string()),
            (None, Some(c)) => (c.code, c.message.clone()),
            (None, None) => ("error", format!("{e:#}")),
        };
        eprintln!("错误：{message}");
        if let Some(h) = app.and_then(hint) {
            eprintln!("提示：{h}");
        }
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&ErrorJson { code, message }).unwrap_or_default()
            );
        }
    }
}

/// What to run next, for the errors where the command line knows.
fn hint(e: &AppError) -> Option<String> {
    Some(match e {
        AppError::NotInitialized(_) => {
            "请先运行 `zhilu init --profile <预置配置>`（`zhilu profile list` 列出预置配置）".into()
        }
        AppError::NoProfile => {
            "请运行 `zhilu profile apply <预置配置或文件>`（`zhilu profile list` 列出预置配置）"
                .into()
        }
        AppError::CatalogMissing(_) => {
            "若编目库在 PostgreSQL 中，请用 --database-url 或环境变量 ZHILU_DATABASE_URL 指定；否则请从备份恢复 catalog.db".into()
        }
        AppError::VaultRootMissing(_) => {
            "请确认存储盘已挂载、zhilu.toml 中的 vault_roots 路径正确".into()
        }
        AppError::ReplayNotAllowed(_) => {
            "去掉 --now 和环境变量 ZHILU_NOW；演示或培训请另建重放目录：`zhilu init --replay --data-dir <新目录>`".into()
        }
        AppError::CatalogBehind { .. } => {
            "运行 `zhilu verify` 查看详情；若是数据库地址给错了，请改用本数据目录的编目库".into()
        }
        AppError::DeviceNotRegistered(_)
        | AppError::NotFound {
            what: Thing::Device,
            ..
        } => "请先运行 `zhilu device register` 登记设备".into(),
        AppError::OfficerNotRegistered(_)
        | AppError::NotFound {
            what: Thing::Officer,
            ..
        } => "请先运行 `zhilu officer add` 登记执法人员".into(),
        AppError::NotFound {
            what: Thing::Recording,
            ..
        }
        | AppError::AmbiguousPrefix { .. } => {
            "运行 `zhilu recordings list` 查看音像记录的哈希值（输入前 8 位以上即可）".into()
        }
        AppError::DeviceAlreadyOut { serial, .. } => {
            format!("设备归还后才能再次领用：`zhilu device return --device {serial}`")
        }
        AppError::DeviceNotInService { serial, .. } => format!(
            "设备修好后先记录恢复使用：`zhilu device event --serial {serial} --event 恢复使用 --detail <说明>`"
        ),
        AppError::ProfileAlreadySet { requested, .. } => format!(
            "更换配置请运行 `zhilu profile apply {requested}`；演示另一个配置请用 --data-dir 另建一个目录"
        ),
        AppError::ActorNotOfficer { .. } => "用 --by（或 --actor）指定一名已登记的执法人员".into(),
        AppError::ApprovalRefused { .. } => {
            "运行 `zhilu approve --list` 查看待审批事项及应由哪个角色审批".into()
        }
        AppError::Conflict(_) => "稍后重新运行同一命令即可".into(),
        _ => return None,
    })
}

/// A JSON list written one element at a time, byte for byte what [`Out::show`] prints for the
/// whole list (`serde_json::to_string_pretty` of an array, then a newline), so a list of millions
/// (`recordings list --json`) never sits in memory. Nothing is written before the first element
/// or [`JsonList::finish`]: an error found before then prints alone, as with `show`.
pub(crate) struct JsonList<W: std::io::Write> {
    w: W,
    started: bool,
    buf: Vec<u8>,
}

impl<W: std::io::Write> JsonList<W> {
    pub fn new(w: W) -> Self {
        JsonList {
            w,
            started: false,
            buf: Vec::new(),
        }
    }

    /// Appends one element, indented as a pretty-printed array indents it.
    pub fn push<T: Serialize>(&mut self, value: &T) -> std::io::Result<()> {
        self.buf.clear();
        serde_json::to_writer_pretty(&mut self.buf, value)?;
        self.w
            .write_all(if self.started { b",\n  " } else { b"[\n  " })?;
        self.started = true;
        // JSON escapes every newline inside a string: each one here separates two lines.
        for (i, line) in self.buf.split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                self.w.write_all(b"\n  ")?;
            }
            self.w.write_all(line)?;
        }
        Ok(())
    }

    /// Closes the array (`[]` when nothing was pushed) and flushes.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.w
            .write_all(if self.started { b"\n]\n" } else { b"[]\n" })?;
        self.w.flush()
    }
}

/// Beijing time, for people.
pub(crate) fn t(at: DateTime<Utc>) -> String {
    zhilu_app::beijing(at)
}

pub(crate) fn opt_t(at: Option<DateTime<Utc>>, none: &str) -> String {
    at.map(t).unwrap_or_else(|| none.to_string())
}

/// The first 12 hex digits of a hash: unique in any real archive, short enough for a table.
pub(crate) fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// Names can hold newlines or control characters (they come from devices); show them escaped.
pub(crate) fn shown(name: &str) -> String {
    if name.chars().any(char::is_control) {
        format!("{name:?}")
    } else {
        name.to_string()
    }
}

/// `是` / `否`.
pub(crate) fn yes(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

/// `s` padded with spaces to `width` terminal columns, so that Chinese tables line up.
pub(crate) fn pad(s: &str, width: usize) -> String {
    let w = crate::zh::display_width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::pad;

    #[test]
    fn x4_streamed_json_list_is_byte_identical_to_pretty_array() {
        let values = [
            serde_json::json!({"a": 1, "b": ["x", "y\nz"], "c": {"d": null}}),
            serde_json::json!({"e": "执法人员", "f": []}),
        ];
        for n in 0..=values.len() {
            let mut out = Vec::new();
            let mut list = super::JsonList::new(&mut out);
            for v in &values[..n] {
                list.push(v).unwrap();
            }
            list.finish().unwrap();
            let want = format!("{}\n", serde_json::to_string_pretty(&values[..n]).unwrap());
            assert_eq!(String::from_utf8(out).unwrap(), want, "{n} elements");
        }
    }

    #[test]
    fn x4_chinese_tables_line_up_by_display_width() {
        assert_eq!(pad("执法人员", 10), "执法人员  ");
        assert_eq!(pad("DSJ-01", 10), "DSJ-01    ");
        assert_eq!(pad("超过宽度的文字", 4), "超过宽度的文字");
    }
}

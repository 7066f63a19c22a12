//! `ingest`, `recordings`.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use zhilu_app::model::Recording;
use zhilu_app::offload::{self, OffloadReport, OffloadRequest, Progress};
use zhilu_app::records::purge::{self, Purged};
use zhilu_app::{Field, parse_instant};

use super::{as_writer, with_app};
use crate::Ctx;
use crate::output::{opt_t, pad, short, shown, t, yes};

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// 已连接（挂载）的设备目录。
    #[arg(value_name = "目录")]
    dir: PathBuf,
    /// 设备编号（须已登记）。
    #[arg(long, value_name = "编号")]
    device: String,
    /// 交来设备的执法人员编号。
    #[arg(long, value_name = "编号")]
    officer: String,
    /// 采集站编号。
    #[arg(long, value_name = "编号")]
    station: String,
    /// 设备连接时显示的时间（北京时间 2026-11-20 10:01:30 或 RFC 3339），用于记录设备时钟偏差（R4）。
    #[arg(long, value_name = "时间")]
    device_clock: Option<String>,
    /// 每个文件在每个存储位置都校验无误后，从设备上删除这些文件（R26）。
    #[arg(long)]
    clear_device: bool,
}

#[derive(Subcommand, Debug)]
pub enum RecordingsCmd {
    /// 列出音像记录（可只列一台设备的）。
    List {
        #[arg(long, value_name = "编号")]
        device: Option<String>,
    },
}

struct Bar(Option<ProgressBar>);

impl Progress for Bar {
    fn planned(&self, files: u64, bytes: u64) {
        if let Some(b) = &self.0 {
            b.set_length(bytes);
            b.set_message(format!("共 {files} 个文件"));
        }
    }
    fn file_started(&self, name: &str, _size: u64) {
        if let Some(b) = &self.0 {
            b.set_message(name.escape_debug().to_string());
        }
    }
    fn bytes(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }
}

/// A device clock more than this far off is almost always a mistyped date or a replay without
/// `--now`; the offset is recorded as given, and people are told to look.
const IMPLAUSIBLE_OFFSET_MS: i64 = 24 * 3600 * 1000;

pub async fn ingest(ctx: &Ctx, a: IngestArgs) -> anyhow::Result<bool> {
    let device_clock = a
        .device_clock
        .as_deref()
        .map(|s| parse_instant(Field::Time, s))
        .transpose()?;
    let bar = if !ctx.out.json() && std::io::stderr().is_terminal() {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} 剩余 {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let bar = Bar(bar);
    let req = OffloadRequest {
        source: a.dir,
        device: a.device,
        officer: a.officer,
        station: a.station,
        device_clock,
        clear_device: a.clear_device,
    };
    let result = as_writer!(ctx, None, |app, actor| Ok(offload::offload(
        app, &actor, &req, &bar
    )
    .await?));
    if let Some(b) = &bar.0 {
        b.finish_and_clear();
    }
    let r = result?;
    ctx.out.show(&r, || ingest_text(&r))?;
    Ok(true)
}

pub(crate) fn ingest_text(r: &OffloadReport) -> String {
    let files = r.imported + r.duplicates + r.damaged.len() as u64 + r.skipped.len() as u64;
    let mut s = format!(
        "设备 {} 导入完成（采集站 {}，批次 {}）\n",
        r.device, r.station, r.session
    );
    let _ = writeln!(s, "  执法人员 {}，操作人 {}", r.officer, r.operator);
    let _ = writeln!(
        s,
        "  文件 {files} 个：新导入 {}，重复 {}，损坏但已保存 {}，跳过 {}",
        r.imported,
        r.duplicates,
        r.damaged.len(),
        r.skipped.len()
    );
    let _ = writeln!(
        s,
        "  读取 {:.1} MB，新存入 {:.1} MB，用时 {:.2} 秒，{:.1} MB/s",
        r.bytes_read as f64 / 1e6,
        r.bytes as f64 / 1e6,
        r.seconds,
        r.mb_per_s
    );
    if let Some(ms) = r.device_clock_offset_ms {
        let _ = writeln!(s, "  设备时钟偏差：{:+.1} 秒", ms as f64 / 1000.0);
        if ms.abs() > IMPLAUSIBLE_OFFSET_MS {
            let _ = writeln!(
                s,
                "  注意：偏差超过一天，请核对设备时钟和输入的时间（重放过去的日期须同时给出 --now）"
            );
        }
    }
    let _ = writeln!(s, "  设备已清空：{}", yes(r.device_cleared));
    for k in &r.kept_on_device {
        let _ = writeln!(s, "  未从设备上清除：{} — {}", shown(&k.file), k.reason);
    }
    if r.linked > 0 {
        let _ = writeln!(s, "  已自动关联到执法活动的记录：{} 个", r.linked);
    }
    for id in &r.recovered_sessions {
        let _ = writeln!(s, "  已将上次中断的导入批次 {id} 标记为“中断”");
    }
    for d in &r.damaged {
        let _ = writeln!(s, "  损坏：{} — {}", shown(&d.file), d.reason);
    }
    for k in &r.skipped {
        let _ = writeln!(s, "  跳过：{} — {}", shown(&k.file), k.reason);
    }
    s
}

#[cfg(feature = "lab")]
pub(crate) fn recordings_text(list: &[Recording]) -> String {
    marked_text(&list.iter().map(|r| (r, None)).collect::<Vec<_>>())
}

/// The list, each recording marked with its purge (R20) when it was purged.
fn marked_text(list: &[(&Recording, Option<&Purged>)]) -> String {
    let mut s = String::new();
    for &(r, purged) in list {
        marked_line(&mut s, r, purged);
    }
    s.push_str(&list_summary(
        list.len() as u64,
        list.iter().map(|(r, _)| r.offloaded_at).max(),
    ));
    s
}

/// One line of the list.
fn marked_line(s: &mut String, r: &Recording, purged: Option<&Purged>) {
    let dur = r
        .duration_ms
        .map(|ms| format!("{:.1} 秒", ms as f64 / 1000.0))
        .unwrap_or_else(|| "-".into());
    let _ = writeln!(
        s,
        "{}  {} {:>12} 字节  {}  {:>9}  设备 {} 执法人员 {}  {}{}",
        short(r.sha256.as_str()),
        pad(r.media_kind.label(), 12),
        r.size,
        opt_t(r.capture_start, "拍摄时间未知       "),
        dur,
        r.device,
        r.officer,
        shown(&r.original_path),
        match purged {
            Some(p) => format!("  [已清除 {}，清除申请 {}]", t(p.at), p.request),
            None if r.damaged => "  [损坏]".into(),
            None => String::new(),
        }
    );
}

/// The line after the list (or instead of it, when it is empty).
fn list_summary(count: u64, last_offload: Option<chrono::DateTime<chrono::Utc>>) -> String {
    if count == 0 {
        return "没有音像记录。\n".into();
    }
    format!(
        "共 {count} 个（输入哈希值前 8 位以上即可指代一个记录），最近导入 {}\n",
        last_offload.map(t).unwrap_or_default()
    )
}

/// `recordings list`: streamed from the catalog a page at a time, straight to stdout, in the
/// same form as any other list (a JSON array, or the table for people), so that listing millions
/// of recordings holds one page in memory.
pub async fn recordings(ctx: &Ctx, cmd: RecordingsCmd) -> anyhow::Result<bool> {
    use std::io::Write as _;
    let RecordingsCmd::List { device } = cmd;
    let actor = ctx.reader();
    let stdout = std::io::stdout().lock();
    let w = std::io::BufWriter::with_capacity(1 << 16, stdout);
    if ctx.out.json() {
        let mut list = crate::output::JsonList::new(w);
        with_app!(ctx, |app| Ok(purge::each_recording(
            app,
            &actor,
            device.as_deref(),
            |r| list.push(&r)
        )
        .await?))?;
        list.finish()?;
    } else {
        let mut w = w;
        let mut last: Option<chrono::DateTime<chrono::Utc>> = None;
        let mut line = String::new();
        let count = with_app!(ctx, |app| Ok(purge::each_recording(
            app,
            &actor,
            device.as_deref(),
            |r| {
                line.clear();
                marked_line(&mut line, &r.recording, r.purged.as_ref());
                last = last.max(Some(r.recording.offloaded_at));
                w.write_all(line.as_bytes())
            }
        )
        .await?))?;
        w.write_all(list_summary(count, last).as_bytes())?;
        w.flush()?;
    }
    Ok(true)
}

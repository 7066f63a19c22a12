//! `sheet`: a ledger or register as an xlsx workbook (R3, R23), the same sheet the web pages
//! offer for download.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;
use zhilu_app::export::sheets::{self, Period, SheetKind};
use zhilu_app::model::explain::io_error;
use zhilu_app::{Bound, Field, parse_bound};

use super::with_app;
use crate::Ctx;
use crate::output::CliError;

#[derive(Subcommand, Debug)]
pub enum SheetCmd {
    /// 使用台账（R3）：每次领用的设备、执法人员、领用与归还时间、使用前检查、所录音像记录的条数、时长和大小。
    Usage(PeriodArgs),
    /// 设备登记：每台设备的编号、类型、型号、资产编号、单位、保管人、状态和登记时间。
    Devices(OutArgs),
    /// 问题清单：一段时间内发现的问题（规则、条款、执法人员、单位、执法活动、时间、说明）。
    Findings(PeriodArgs),
    /// 调阅登记（R23）：每项调阅申请、审批、授权及查阅和复制情况。
    Access(PeriodArgs),
    /// 光盘登记（R21）：每份长期保存光盘的编号、名称、映像哈希值、存放位置、保管人、核查情况和下次核查时间。
    Discs(OutArgs),
    /// 设备经费（R31）：一个年度按单位汇总的购置、维护、维修、其他费用和合计（元，两位小数）。
    Costs(YearArgs),
    /// 执法质量考评（R27）：一段时间内抽查评查结果按单位和执法人员汇总的得分（不写时间：本年至今）。
    Assessment(PeriodArgs),
}

#[derive(Args, Debug)]
pub struct YearArgs {
    #[command(flatten)]
    out: OutArgs,
    /// 年度（如 2026）。
    #[arg(long, value_name = "年度")]
    year: String,
}

impl YearArgs {
    /// The year as a period starting on 1 January (Beijing), which is how the sheet reads it.
    fn period(&self) -> anyhow::Result<Period> {
        let year = zhilu_app::supervision::costs::parse_year(&self.year)?;
        Ok(Period {
            from: Some(parse_bound(
                Field::Year,
                &format!("{year:04}-01-01"),
                Bound::Start,
            )?),
            to: None,
        })
    }
}

#[derive(Args, Debug)]
pub struct OutArgs {
    /// 写入的 xlsx 文件。已存在时拒绝覆盖，除非给出 --force。
    #[arg(long, value_name = "文件")]
    out: PathBuf,
    /// 覆盖已存在的文件。
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
pub struct PeriodArgs {
    #[command(flatten)]
    out: OutArgs,
    /// 时间段起点：日期（2026-11-01，当天 0 时起）或时间。
    #[arg(long, value_name = "日期")]
    from: Option<String>,
    /// 时间段终点：日期（2026-11-30，含当天）或时间。
    #[arg(long, value_name = "日期")]
    to: Option<String>,
}

impl PeriodArgs {
    fn period(&self) -> anyhow::Result<Period> {
        let parse = |s: &Option<String>, b| {
            s.as_deref()
                .map(|s| parse_bound(Field::Time, s, b))
                .transpose()
        };
        let period = Period {
            from: parse(&self.from, Bound::Start)?,
            to: parse(&self.to, Bound::End)?,
        };
        if let (Some(f), Some(t)) = (period.from, period.to)
            && f >= t
        {
            return Err(CliError {
                code: "invalid_period",
                message: format!(
                    "时间段不对：--from {} 不早于 --to {}",
                    self.from.as_deref().unwrap_or(""),
                    self.to.as_deref().unwrap_or("")
                ),
            }
            .into());
        }
        Ok(period)
    }
}

fn cannot_write(path: &Path, reason: String) -> anyhow::Error {
    CliError {
        code: "file_unwritable",
        message: format!("无法写入文件 {}：{reason}", path.display()),
    }
    .into()
}

fn exists(path: &Path) -> anyhow::Error {
    CliError {
        code: "file_exists",
        message: format!(
            "文件 {} 已存在，拒绝覆盖：请换一个文件名，或加 --force 覆盖",
            path.display()
        ),
    }
    .into()
}

/// Writes `bytes` to `out` whole or not at all: into a temporary file beside it, synced, then
/// moved into place (without `force`, by a hard link that fails if `out` appeared meanwhile, so
/// nothing is ever overwritten), and the directory synced.
fn write_whole(out: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    if !force && fs::symlink_metadata(out).is_ok() {
        return Err(exists(out));
    }
    if out.is_dir() {
        return Err(cannot_write(out, "这是一个目录".into()));
    }
    let name = out
        .file_name()
        .ok_or_else(|| cannot_write(out, "没有文件名".into()))?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(cannot_write(out, io_error(&e)));
    }
    let placed = if force {
        fs::rename(&tmp, out)
    } else {
        let linked = fs::hard_link(&tmp, out);
        let _ = fs::remove_file(&tmp);
        linked
    };
    if let Err(e) = placed {
        let _ = fs::remove_file(&tmp);
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            return Err(exists(out));
        }
        return Err(cannot_write(out, io_error(&e)));
    }
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

pub async fn sheet(ctx: &Ctx, cmd: SheetCmd) -> anyhow::Result<bool> {
    let (kind, period, out) = match cmd {
        SheetCmd::Usage(a) => (SheetKind::Usage, a.period()?, a.out),
        SheetCmd::Devices(o) => (SheetKind::Devices, Period::default(), o),
        SheetCmd::Findings(a) => (SheetKind::Findings, a.period()?, a.out),
        SheetCmd::Access(a) => (SheetKind::Access, a.period()?, a.out),
        SheetCmd::Discs(o) => (SheetKind::Discs, Period::default(), o),
        SheetCmd::Costs(a) => (SheetKind::Costs, a.period()?, a.out),
        SheetCmd::Assessment(a) => (SheetKind::Assessment, a.period()?, a.out),
    };
    // Refuse before reading anything.
    if !out.force && fs::symlink_metadata(&out.out).is_ok() {
        return Err(exists(&out.out));
    }
    let sheet = with_app!(ctx, |app| {
        // The person named by --actor reads with their own reach; without one, the operator at
        // the shell (as every read-only command).
        let actor = if ctx.actor.as_deref().is_some_and(|a| !a.trim().is_empty()) {
            ctx.writer(app, None).await?
        } else {
            ctx.reader()
        };
        Ok(sheets::sheet(app, &actor, kind, period).await?)
    })?;
    let bytes = sheets::workbook(std::slice::from_ref(&sheet))?;
    write_whole(&out.out, &bytes, out.force)?;
    let value = json!({
        "sheet": kind.stem(),
        "title": sheet.title,
        "file": out.out.display().to_string(),
        "rows": sheet.rows.len(),
        "columns": sheet.headers(),
        "bytes": bytes.len(),
    });
    ctx.out.show(&value, || {
        format!(
            "已将{}（{} 行）写入 {}\n",
            sheet.title,
            sheet.rows.len(),
            out.out.display()
        )
    })?;
    Ok(true)
}

//! `oversee`: the supervising body's view across agencies (上级监督机关, issue 15 X4). Each
//! agency is its own data directory (with its own catalog: a file, or a PostgreSQL database or
//! schema named in its `zhilu.toml`); the actor must be a registered, enabled account in every
//! one of them, with the reads `zhilu_app::supervision::oversee::summary` asks for. Read-only.
//! The use case is `oversee::across` (the web page 「跨机关监督」 calls it too); this command
//! only reads its arguments and prints.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use zhilu_app::setup::OverseeAgency;
use zhilu_app::supervision::oversee::{self, AgencyProblem, AgencySummary, Overseer};

use crate::output::{CliError, t};
use crate::{ACTOR_REQUIRED, Ctx, os_user};

#[derive(Args, Debug)]
pub struct OverseeArgs {
    /// 一个机关：名称=数据目录（如 金普=/数据/金普），可多次给出。各机关的编目库按其数据目录中的 zhilu.toml 打开。
    #[arg(long = "agency", value_name = "名称=目录", required = true)]
    agencies: Vec<String>,
    /// 统计的月份（北京时间，如 2026-11）；不给出则统计全部记录。
    #[arg(long, value_name = "月份")]
    period: Option<String>,
}

/// One agency in the answer.
#[derive(Debug, Serialize)]
struct Row {
    agency: String,
    data_dir: PathBuf,
    #[serde(flatten)]
    summary: AgencySummary,
}

fn invalid(message: String) -> anyhow::Error {
    CliError {
        code: "invalid",
        message,
    }
    .into()
}

fn agency_arg(s: &str) -> anyhow::Result<(String, PathBuf)> {
    match s.split_once('=') {
        Some((name, dir)) if !name.trim().is_empty() && !dir.trim().is_empty() => {
            Ok((name.trim().to_string(), PathBuf::from(dir.trim())))
        }
        _ => Err(invalid(format!(
            "--agency 须写成 名称=数据目录（如 金普=/数据/金普），收到 {s:?}"
        ))),
    }
}

pub async fn oversee(ctx: &Ctx, a: OverseeArgs) -> anyhow::Result<bool> {
    let Some(actor) = ctx
        .actor
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Err(CliError {
            code: ACTOR_REQUIRED,
            message: "须用 --actor <编号>（或环境变量 ZHILU_ACTOR）指明查看人：上级监督机关在每个机关登记的账号".into(),
        }
        .into());
    };
    let period = a
        .period
        .as_deref()
        .map(|s| {
            oversee::month(s)
                .ok_or_else(|| invalid(format!("--period 须为月份，如 2026-11（收到 {s:?}）")))
        })
        .transpose()?;
    let mut agencies: Vec<OverseeAgency> = Vec::new();
    for s in &a.agencies {
        let (name, dir) = agency_arg(s)?;
        if agencies.iter().any(|x| x.name == name) {
            return Err(invalid(format!("机关名称“{name}”重复")));
        }
        agencies.push(OverseeAgency { name, dir });
    }
    let who = Overseer::cli(actor, &os_user());
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    for o in oversee::across(&agencies, &who, period, ctx.clock.clone()).await {
        let OverseeAgency { name, dir } = o.agency;
        match o.outcome {
            Ok(summary) => rows.push(Row {
                agency: name,
                data_dir: dir,
                summary,
            }),
            Err(AgencyProblem::Unopenable(e)) => {
                refused.push(format!("机关“{name}”（{}）无法打开：{e}", dir.display()));
            }
            Err(AgencyProblem::Refused(e) | AgencyProblem::Failed(e)) => {
                refused.push(format!("机关“{name}”拒绝：{e}"));
            }
        }
    }
    if !refused.is_empty() {
        return Err(CliError {
            code: "oversee_refused",
            message: refused.join("；"),
        }
        .into());
    }
    ctx.out.show(&rows, || text(&rows))?;
    Ok(rows.iter().all(|r| r.summary.head.ok))
}

fn text(rows: &[Row]) -> String {
    let mut s = String::new();
    for r in rows {
        let m = &r.summary;
        let _ = writeln!(
            s,
            "{}（执法规范配置 {}，{}）",
            r.agency,
            m.profile,
            r.data_dir.display()
        );
        match (m.from, m.to) {
            (Some(f), Some(to)) => {
                let _ = writeln!(s, "  统计期间：{} 至 {}", t(f), t(to));
            }
            _ => s.push_str("  统计期间：全部记录\n"),
        }
        let _ = writeln!(
            s,
            "  音像记录 {} 个，执法活动 {} 个；检查发现问题 {} 个，其中未按时导入 {} 个",
            m.recordings, m.activities, m.findings, m.overdue_offloads
        );
        let by: Vec<String> = m
            .open_cases
            .iter()
            .map(|c| format!("{} {}", c.label, c.count))
            .collect();
        let _ = writeln!(
            s,
            "  问题台账未关闭 {} 个（{}）",
            m.open_cases_total,
            by.join("，")
        );
        let _ = writeln!(s, "  领用未归还的设备 {} 台", m.devices_out);
        let _ = writeln!(
            s,
            "  审计日志 {} 条，{}",
            m.ledger_size,
            if m.head.ok {
                "与签名检查点一致".to_string()
            } else {
                format!(
                    "校验未通过：{}（请在该机关运行 zhilu verify）",
                    m.head.problem.as_deref().unwrap_or("")
                )
            }
        );
    }
    s
}

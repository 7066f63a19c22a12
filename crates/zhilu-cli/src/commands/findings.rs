//! `findings` (issue 14): findings kept as work items — list, show, acknowledge, rectify, close,
//! reopen, and sync the ledger of findings with a fresh check.

use std::fmt::Write as _;

use clap::Subcommand;
use zhilu_app::model::{FindingCase, FindingState};
use zhilu_app::supervision::findings::{self, FindingFilter, FindingView, Rectification};
use zhilu_app::{AppError, Field};

use super::{as_writer, with_app};
use crate::Ctx;
use crate::output::{opt_t, pad, short, t};

#[derive(Subcommand, Debug)]
pub enum FindingsCmd {
    /// 列出问题台账：操作人可见的问题（执法人员看本人的，单位负责人看本单位的，法制、领导、监督人员看全部）。
    List {
        /// 只看该状态的问题：待确认、已确认、已整改、已关闭。
        #[arg(long, value_name = "状态")]
        state: Option<String>,
        /// 只看与该执法人员有关的问题。
        #[arg(long, value_name = "编号")]
        officer: Option<String>,
        /// 只看与该单位有关的问题。
        #[arg(long, value_name = "单位")]
        unit: Option<String>,
    },
    /// 一个问题的详情和办理经过（审计日志）。
    Show {
        /// 问题编号。
        #[arg(value_name = "编号")]
        id: String,
    },
    /// 确认问题（被指出问题的执法人员或其单位负责人）。
    Ack {
        /// 问题编号。
        #[arg(value_name = "编号")]
        id: String,
        /// 说明（可选）。
        #[arg(long, value_name = "说明")]
        note: Option<String>,
    },
    /// 报告整改：写明整改说明，可关联未记录工作记录、中断记录、执法活动或音像记录。
    Rectify {
        /// 问题编号。
        #[arg(value_name = "编号")]
        id: String,
        /// 整改说明。
        #[arg(long, value_name = "说明")]
        explain: String,
        /// 关联的记录编号（NR…、IR…、活动编号或音像记录哈希），可重复给出。
        #[arg(long = "link", value_name = "编号")]
        links: Vec<String>,
    },
    /// 关闭问题（监督人员）；尚未整改的须写明理由。
    Close {
        /// 问题编号。
        #[arg(value_name = "编号")]
        id: String,
        /// 关闭说明。
        #[arg(long, value_name = "说明")]
        note: Option<String>,
    },
    /// 重新打开已整改或已关闭的问题（监督人员），须写明理由。
    Reopen {
        /// 问题编号。
        #[arg(value_name = "编号")]
        id: String,
        /// 重新打开的理由。
        #[arg(long, value_name = "理由")]
        reason: String,
    },
    /// 按当前检查结果更新问题台账：新增问题、原因已消除的自动关闭、原因再次出现的重新打开。
    Sync,
}

fn state(s: Option<&str>) -> Result<Option<FindingState>, AppError> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            FindingState::parse_label_or_code(s).map_err(|e| AppError::Invalid {
                field: Field::FindingState,
                reason: e.to_string(),
            })
        })
        .transpose()
}

fn target(c: &FindingCase) -> String {
    c.activity
        .clone()
        .or_else(|| c.device.clone())
        .or_else(|| c.recording.as_deref().map(|r| short(r).to_string()))
        .unwrap_or_default()
}

fn list_text(list: &[FindingCase]) -> String {
    if list.is_empty() {
        return "没有问题。\n".into();
    }
    let mut s = format!(
        "{} {} {} {} {} {} 说明\n",
        pad("编号", 8),
        pad("状态", 6),
        pad("规则", 5),
        pad("条款", 24),
        pad("级别", 4),
        pad("对象", 16)
    );
    for c in list {
        let _ = writeln!(
            s,
            "{} {} {} {} {} {} {}",
            pad(c.id.as_str(), 8),
            pad(c.state.label(), 6),
            pad(&c.rule, 5),
            pad(&c.article, 24),
            pad(findings::severity_label(&c.severity), 4),
            pad(&target(c), 16),
            c.message
        );
    }
    let counts: Vec<String> = findings::counts(list)
        .into_iter()
        .map(|(st, n)| format!("{} {n}", st.label()))
        .collect();
    let _ = writeln!(s, "共 {} 项（{}）", list.len(), counts.join("，"));
    s
}

fn case_text(c: &FindingCase) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "问题 {}：{}", c.id, c.state.label());
    let _ = writeln!(
        s,
        "{} {}（{}）{}",
        c.rule,
        c.code,
        findings::severity_label(&c.severity),
        c.article
    );
    let _ = writeln!(s, "{}", c.message);
    let people: Vec<&str> = c.officers.iter().map(|o| o.as_str()).collect();
    let _ = writeln!(
        s,
        "涉及人员：{}  单位：{}",
        if people.is_empty() {
            "—".to_string()
        } else {
            people.join("、")
        },
        if c.units.is_empty() {
            "—".to_string()
        } else {
            c.units.join("、")
        }
    );
    let _ = writeln!(
        s,
        "发生时间：{}  首次发现：{}  重新打开 {} 次",
        t(c.arose_at),
        t(c.first_seen),
        c.reopen_count
    );
    if let Some(by) = &c.acknowledged_by {
        let _ = writeln!(s, "确认：{by} {}", opt_t(c.acknowledged_at, ""));
    }
    if let Some(r) = &c.rectification {
        let _ = writeln!(
            s,
            "整改：{}（{} {}）",
            r,
            c.rectified_by.as_deref().unwrap_or(""),
            opt_t(c.rectified_at, "")
        );
        if !c.rectification_links.is_empty() {
            let _ = writeln!(s, "关联记录：{}", c.rectification_links.join("、"));
        }
    }
    if let Some(by) = &c.closed_by {
        let _ = writeln!(
            s,
            "关闭：{by} {}（{}）",
            opt_t(c.closed_at, ""),
            c.closed_reason.as_deref().unwrap_or("")
        );
    }
    if let Some(n) = &c.note {
        let _ = writeln!(s, "最近说明：{n}");
    }
    s
}

fn view_text(v: &FindingView) -> String {
    let mut s = case_text(&v.case);
    let _ = writeln!(s, "办理经过：");
    for h in &v.history {
        let _ = writeln!(
            s,
            "  #{} {} {} {}{}",
            h.seq,
            t(h.at),
            h.actor,
            h.state.map(|x| x.label()).unwrap_or(""),
            h.note
                .as_deref()
                .map(|n| format!("（{n}）"))
                .unwrap_or_default()
        );
    }
    s
}

pub async fn findings_cmd(ctx: &Ctx, cmd: FindingsCmd) -> anyhow::Result<bool> {
    match cmd {
        FindingsCmd::List {
            state: st,
            officer,
            unit,
        } => {
            let filter = FindingFilter {
                state: state(st.as_deref())?,
                officer,
                unit,
            };
            let actor = ctx.reader();
            let list = with_app!(ctx, |app| {
                if findings::can_sync(app) {
                    findings::sync(app).await?;
                }
                Ok(findings::list(app, &actor, &filter).await?)
            })?;
            ctx.out.show(&list, || list_text(&list))?;
        }
        FindingsCmd::Show { id } => {
            let actor = ctx.reader();
            let v = with_app!(ctx, |app| Ok(findings::show(app, &actor, &id).await?))?;
            ctx.out.show(&v, || view_text(&v))?;
        }
        FindingsCmd::Ack { id, note } => {
            let c = as_writer!(ctx, None, |app, actor| Ok(findings::acknowledge(
                app,
                &actor,
                &id,
                note.as_deref()
            )
            .await?))?;
            ctx.out.show(&c, || format!("已确认问题 {}", c.id))?;
        }
        FindingsCmd::Rectify { id, explain, links } => {
            let r = Rectification {
                explanation: explain,
                links,
            };
            let c = as_writer!(ctx, None, |app, actor| Ok(findings::rectify(
                app, &actor, &id, &r
            )
            .await?))?;
            ctx.out.show(&c, || {
                format!("已报告问题 {} 的整改，等待监督人员关闭", c.id)
            })?;
        }
        FindingsCmd::Close { id, note } => {
            let c = as_writer!(ctx, None, |app, actor| Ok(findings::close(
                app,
                &actor,
                &id,
                note.as_deref()
            )
            .await?))?;
            ctx.out.show(&c, || format!("已关闭问题 {}", c.id))?;
        }
        FindingsCmd::Reopen { id, reason } => {
            let c = as_writer!(ctx, None, |app, actor| Ok(findings::reopen(
                app, &actor, &id, &reason
            )
            .await?))?;
            ctx.out.show(&c, || {
                format!("已重新打开问题 {}（第 {} 次）", c.id, c.reopen_count)
            })?;
        }
        FindingsCmd::Sync => {
            let r = with_app!(ctx, |app| Ok(findings::sync(app).await?))?;
            ctx.out.show(&r, || r.summary())?;
        }
    }
    Ok(true)
}

//! `violation add|list`, `sanction add|list`, `annual-review add|list`: accountability (R28, R29).

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use zhilu_app::supervision::accountability::{
    self as acc, NewAnnualReview, NewSanction, NewViolation, SanctionView, parse_day, parse_year,
};

use super::{as_writer, with_app};
use crate::Ctx;
use crate::output::shown;

#[derive(Subcommand, Debug)]
pub enum ViolationCmd {
    /// 登记执法人员的违规行为（违规类型取自执法规范配置的违规目录），可关联问题编号和审计日志条目。
    Add(ViolationArgs),
    /// 列出违规行为及其处理措施（执法人员只能看到自己的）。
    List,
}

#[derive(Args, Debug)]
pub struct ViolationArgs {
    /// 违规的执法人员编号。
    #[arg(long, value_name = "编号")]
    officer: String,
    /// 违规类型（执法规范配置中违规目录的编号）。
    #[arg(long, value_name = "类型")]
    kind: String,
    /// 违规情况说明。
    #[arg(long, value_name = "说明")]
    desc: String,
    /// 违规发生日期（北京时间，如 2026-11-20），默认今天。
    #[arg(long, value_name = "日期")]
    on: Option<String>,
    /// 证明违规的问题编号，可多次给出。
    #[arg(long, value_name = "问题编号")]
    finding: Vec<String>,
    /// 证明违规的审计日志条目序号，可多次给出。
    #[arg(long, value_name = "序号")]
    entry: Vec<u64>,
}

#[derive(Subcommand, Debug)]
pub enum SanctionCmd {
    /// 对违规行为登记处理措施（取自配置的处理目录）；停止执法的处理措施期间不能领用设备。
    Add(SanctionArgs),
    /// 列出处理措施（执法人员只能看到自己的）。
    List,
}

#[derive(Args, Debug)]
pub struct SanctionArgs {
    /// 违规记录编号。
    #[arg(long, value_name = "违规编号")]
    violation: String,
    /// 处理措施类型（执法规范配置中处理目录的编号）。
    #[arg(long, value_name = "类型")]
    kind: String,
    /// 决定日期（北京时间），默认今天。
    #[arg(long, value_name = "日期")]
    on: Option<String>,
    /// 开始执行日期，默认为决定日期。
    #[arg(long, value_name = "日期")]
    from: Option<String>,
    /// 作出决定的机关或负责人，默认为登记人。
    #[arg(long = "decided-by", value_name = "决定人")]
    decided_by: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum AnnualReviewCmd {
    /// 登记一次年度音像记录资料评查。
    Add(AnnualReviewArgs),
    /// 列出年度评查，并提示逾期未评查的年度。
    List,
}

#[derive(Args, Debug)]
pub struct AnnualReviewArgs {
    /// 评查的年度（如 2026）。
    #[arg(long, value_name = "年度")]
    year: String,
    /// 评查日期（北京时间），默认今天。
    #[arg(long, value_name = "日期")]
    on: Option<String>,
    /// 评查范围和结论。
    #[arg(long, value_name = "摘要")]
    summary: String,
}

fn day(s: Option<&str>) -> anyhow::Result<Option<chrono::NaiveDate>> {
    Ok(s.map(parse_day).transpose()?)
}

fn sanction_line(s: &SanctionView) -> String {
    let period = match s.last_day {
        Some(last) => format!(
            "，{} 至 {last} 停止执法{}",
            s.sanction.from,
            if s.suspending_now {
                "（执行中）"
            } else {
                ""
            }
        ),
        None => format!("，{} 起执行", s.sanction.from),
    };
    format!(
        "{}  {}（{}）  执法人员 {}  决定 {}（{}）{period}",
        s.sanction.id,
        s.text,
        s.article,
        s.sanction.officer,
        s.sanction.decided_on,
        shown(&s.sanction.decided_by)
    )
}

pub async fn violation(ctx: &Ctx, cmd: ViolationCmd) -> anyhow::Result<bool> {
    match cmd {
        ViolationCmd::Add(a) => {
            let req = NewViolation {
                officer: a.officer,
                kind: a.kind,
                description: a.desc,
                occurred_on: day(a.on.as_deref())?,
                findings: a.finding,
                entries: a.entry,
            };
            let v = as_writer!(ctx, None, |app, actor| Ok(acc::add_violation(
                app, &actor, req
            )
            .await?))?;
            ctx.out.show(&v, || {
                format!(
                    "已登记违规行为 {}：执法人员 {}，类型 {}，发生日期 {}，已记入审计日志。",
                    v.id, v.officer, v.kind, v.occurred_on
                )
            })?;
        }
        ViolationCmd::List => {
            let actor = ctx.reader();
            let rows = with_app!(ctx, |app| Ok(acc::violations(app, &actor).await?))?;
            ctx.out.show(&rows, || {
                if rows.is_empty() {
                    return "没有登记的违规行为。".into();
                }
                let mut s = String::new();
                for v in &rows {
                    let _ = writeln!(
                        s,
                        "{}  {}  {} {}  {}（{}）  {}",
                        v.violation.id,
                        v.violation.occurred_on,
                        v.violation.officer,
                        v.officer_name,
                        v.text,
                        v.article,
                        shown(&v.violation.description)
                    );
                    if !v.violation.findings.is_empty() || !v.violation.entries.is_empty() {
                        let entries: Vec<String> =
                            v.violation.entries.iter().map(u64::to_string).collect();
                        let _ = writeln!(
                            s,
                            "    证据：问题 {}；审计日志条目 {}",
                            v.violation.findings.join("、"),
                            entries.join("、")
                        );
                    }
                    for x in &v.sanctions {
                        let _ = writeln!(s, "    处理：{}", sanction_line(x));
                    }
                }
                s
            })?;
        }
    }
    Ok(true)
}

pub async fn sanction(ctx: &Ctx, cmd: SanctionCmd) -> anyhow::Result<bool> {
    match cmd {
        SanctionCmd::Add(a) => {
            let req = NewSanction {
                violation: a.violation,
                kind: a.kind,
                decided_on: day(a.on.as_deref())?,
                from: day(a.from.as_deref())?,
                decided_by: a.decided_by,
            };
            let s = as_writer!(ctx, None, |app, actor| Ok(acc::add_sanction(
                app, &actor, req
            )
            .await?))?;
            ctx.out.show(&s, || {
                let period = match s.to.and_then(|t| t.pred_opt()) {
                    Some(last) => format!("；{} 至 {last} 停止执法，期间不能领用设备", s.from),
                    None => String::new(),
                };
                format!(
                    "已登记处理措施 {}：违规 {}，执法人员 {}，类型 {}{period}，已记入审计日志。",
                    s.id, s.violation, s.officer, s.kind
                )
            })?;
        }
        SanctionCmd::List => {
            let actor = ctx.reader();
            let rows = with_app!(ctx, |app| Ok(acc::sanctions(app, &actor).await?))?;
            ctx.out.show(&rows, || {
                if rows.is_empty() {
                    return "没有登记的处理措施。".into();
                }
                let mut s = String::new();
                for x in &rows {
                    let _ = writeln!(s, "{}  违规 {}", sanction_line(x), x.sanction.violation);
                }
                s
            })?;
        }
    }
    Ok(true)
}

pub async fn annual_review(ctx: &Ctx, cmd: AnnualReviewCmd) -> anyhow::Result<bool> {
    match cmd {
        AnnualReviewCmd::Add(a) => {
            let req = NewAnnualReview {
                year: parse_year(&a.year)?,
                held_on: day(a.on.as_deref())?,
                summary: a.summary,
            };
            let r = as_writer!(ctx, None, |app, actor| Ok(acc::add_annual_review(
                app, &actor, req
            )
            .await?))?;
            ctx.out.show(&r, || {
                format!(
                    "已登记 {} 年度评查 {}（{}），已记入审计日志。",
                    r.year, r.id, r.held_on
                )
            })?;
        }
        AnnualReviewCmd::List => {
            let actor = ctx.reader();
            let a = with_app!(ctx, |app| Ok(acc::annual_reviews(app, &actor).await?))?;
            ctx.out.show(&a, || {
                let mut s = String::new();
                match &a.article {
                    Some(article) => {
                        let _ = writeln!(s, "年度评查（{article}）：");
                    }
                    None => s.push_str("执法规范配置未要求年度评查。\n"),
                }
                for y in &a.years {
                    let state = if y.overdue {
                        format!("逾期：应于 {} 前评查，尚未登记", y.due)
                    } else if y.reviews.is_empty() {
                        format!("应于 {} 前评查", y.due)
                    } else {
                        "已评查".into()
                    };
                    let _ = writeln!(s, "  {} 年度：{state}", y.year);
                }
                if a.reviews.is_empty() {
                    s.push_str("没有登记的年度评查。\n");
                }
                for r in &a.reviews {
                    let _ = writeln!(
                        s,
                        "{}  {} 年度  {}  {}",
                        r.id,
                        r.year,
                        r.held_on,
                        shown(&r.summary)
                    );
                }
                s
            })?;
        }
    }
    Ok(true)
}

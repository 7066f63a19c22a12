//! `sample draw|list|show|verify|review` and `assess`: sampling reviews and the
//! enforcement-quality assessment (R27).

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use zhilu_app::model::SampleBy;
use zhilu_app::supervision::sampling::{self, DrawAsk, ReviewAsk, score_text};

use super::{as_writer, with_app};
use crate::Ctx;
use crate::output::CliError;

#[derive(Subcommand, Debug)]
pub enum SampleCmd {
    /// 抽取抽查样本：按期间、比例和分层，用给定的种子可重复地随机抽取执法活动。
    Draw(DrawArgs),
    /// 列出已抽取的抽查样本。
    List,
    /// 查看一个抽查样本：种子、算法、总体摘要、分层、样本和评查情况。
    Show {
        /// 抽查样本编号。
        #[arg(value_name = "样本编号")]
        id: String,
    },
    /// 按当前编目库重新抽取，核对总体和样本是否与登记的一致。
    Verify {
        /// 抽查样本编号。
        #[arg(value_name = "样本编号")]
        id: String,
    },
    /// 评查样本中的一个执法活动：逐项给出结果（符合、基本符合、不符合、不适用）和评查意见。
    Review(ReviewArgs),
}

#[derive(Args, Debug)]
pub struct DrawArgs {
    /// 期间：2026（年）、2026-Q4（季度）、2026-11（月）或 2026-10-01..2026-12-31（北京时间日历日）。
    #[arg(long, value_name = "期间")]
    period: String,
    /// 抽查比例（0 到 1 之间，如 0.05）；不写时用执法规范配置中的比例。
    #[arg(long, value_name = "比例")]
    ratio: Option<f64>,
    /// 分层方式：按单位或按活动类型；不写时不分层。
    #[arg(long, value_name = "分层")]
    by: Option<String>,
    /// 随机种子：任何人用同一种子对同一总体可重现同一样本。
    #[arg(long, value_name = "种子")]
    seed: String,
    /// 事由：同一期间（或重叠期间）再次抽取时必须说明。
    #[arg(long, value_name = "事由")]
    reason: Option<String>,
}

#[derive(Args, Debug)]
pub struct ReviewArgs {
    /// 抽查样本编号。
    #[arg(value_name = "样本编号")]
    draw: String,
    /// 执法活动编号。
    #[arg(long, value_name = "活动编号")]
    activity: String,
    /// 一个评查项目的结果，写作 项目代号=结果（项目代号见 zhilu sample show），可重复。
    #[arg(long = "item", value_name = "项目=结果")]
    items: Vec<String>,
    /// 未逐项写出的其余评查项目的结果（如 符合）。
    #[arg(long, value_name = "结果")]
    others: Option<String>,
    /// 评查意见。
    #[arg(long, value_name = "意见", default_value = "")]
    comment: String,
}

#[derive(Args, Debug)]
pub struct AssessArgs {
    /// 期间：2026（年）、2026-Q4（季度）、2026-11（月）或 2026-10-01..2026-12-31。
    #[arg(long, value_name = "期间")]
    period: String,
}

fn usage(message: String) -> anyhow::Error {
    CliError {
        code: "usage",
        message,
    }
    .into()
}

pub async fn sample(ctx: &Ctx, cmd: SampleCmd) -> anyhow::Result<bool> {
    match cmd {
        SampleCmd::Draw(a) => {
            let by = match a.by.as_deref() {
                None => SampleBy::All,
                Some(s) => SampleBy::parse_label_or_code(s)
                    .map_err(|e| usage(format!("{e}（可选：按单位、按活动类型、不分层）")))?,
            };
            let ask = DrawAsk {
                period: a.period,
                ratio: a.ratio,
                by,
                seed: a.seed,
                reason: a.reason,
            };
            let d = as_writer!(ctx, None, |app, actor| Ok(
                sampling::draw(app, &actor, ask).await?
            ))?;
            ctx.out.show(&d, || {
                format!(
                    "{}\n已记入审计日志。任何人可用同一种子重新抽取：zhilu sample verify {}",
                    sampling::describe(&d),
                    d.id
                )
            })?;
        }
        SampleCmd::List => {
            let actor = ctx.reader();
            let rows = with_app!(ctx, |app| Ok(sampling::list(app, &actor).await?))?;
            ctx.out.show(&rows, || {
                if rows.is_empty() {
                    return "还没有抽取过抽查样本。".into();
                }
                let mut s = String::new();
                for d in &rows {
                    let _ = writeln!(
                        s,
                        "{}  {} 至 {}  比例 {}  {}  总体 {} 个，样本 {} 个  种子 {}",
                        d.id,
                        d.period_from,
                        d.period_to,
                        d.ratio,
                        d.by.label(),
                        d.population_count,
                        d.items.len(),
                        d.seed
                    );
                }
                s
            })?;
        }
        SampleCmd::Show { id } => {
            let actor = ctx.reader();
            let (d, profile) = with_app!(ctx, |app| Ok((
                sampling::show(app, &actor, &id).await?,
                app.profile().await?
            )))?;
            ctx.out.show(&d, || {
                let mut s = sampling::describe(&d.draw);
                s.push_str("\n评查情况：\n");
                for e in &d.entries {
                    let _ = writeln!(
                        s,
                        "  {}  {}",
                        e.activity,
                        match &e.review {
                            Some(r) => format!("已评查（{}）", r.reviewer),
                            None => "未评查".into(),
                        }
                    );
                    if e.review.is_none() {
                        let keys: Vec<String> = sampling::check_items(&profile, &e.kind)
                            .into_iter()
                            .map(|(k, l)| format!("{k}（{l}）"))
                            .collect();
                        let _ = writeln!(s, "    评查项目：{}", keys.join("；"));
                    }
                }
                s
            })?;
        }
        SampleCmd::Verify { id } => {
            let actor = ctx.reader();
            let v = with_app!(ctx, |app| Ok(sampling::verify(app, &actor, &id).await?))?;
            ctx.out.show(&v, || {
                format!(
                    "抽查样本 {}：总体{}（当前 {} 个，摘要 {}），样本{}。",
                    v.draw,
                    if v.population_matches {
                        "与抽取时一致"
                    } else {
                        "已与抽取时不同"
                    },
                    v.population_count,
                    v.population_digest,
                    if v.sample_matches {
                        "重新抽取结果相同"
                    } else {
                        "重新抽取结果不同"
                    }
                )
            })?;
            return Ok(v.population_matches && v.sample_matches);
        }
        SampleCmd::Review(a) => {
            let mut items = Vec::new();
            for i in &a.items {
                let Some((k, v)) = i.split_once('=') else {
                    return Err(usage(format!(
                        "“{i}”应写作 项目=结果，如 events_recorded=符合"
                    )));
                };
                items.push((k.trim().to_string(), v.trim().to_string()));
            }
            let ask = ReviewAsk {
                draw: a.draw,
                activity: a.activity,
                items,
                others: a.others,
                comment: a.comment,
            };
            let r = as_writer!(ctx, None, |app, actor| Ok(sampling::review(
                app, &actor, ask
            )
            .await?))?;
            ctx.out.show(&r, || {
                let mut s = format!(
                    "已登记抽查样本 {} 中执法活动 {} 的评查，已记入审计日志：\n",
                    r.draw, r.activity
                );
                for i in &r.items {
                    let _ = writeln!(s, "  {}：{}", i.label, i.result.label());
                }
                if !r.comment.is_empty() {
                    let _ = writeln!(s, "评查意见：{}", crate::output::shown(&r.comment));
                }
                s
            })?;
        }
    }
    Ok(true)
}

pub async fn assess(ctx: &Ctx, a: AssessArgs) -> anyhow::Result<bool> {
    let actor = ctx.reader();
    let v = with_app!(ctx, |app| Ok(
        sampling::assess(app, &actor, &a.period).await?
    ))?;
    ctx.out.show(&v, || {
        let mut s = format!(
            "执法质量考评 {}（{} 至 {}），权重（本单位自定）：{}\n",
            v.period,
            v.period_from,
            v.period_to,
            v.weights
                .iter()
                .map(|w| format!("{} {}", w.label, w.weight))
                .collect::<Vec<_>>()
                .join("、")
        );
        if v.officers.is_empty() && v.units.is_empty() {
            s.push_str("本期间没有评查结果。\n");
        }
        for u in &v.units {
            let _ = writeln!(
                s,
                "单位 {}：{} 分（评查活动 {} 个）",
                u.name,
                score_text(u.score),
                u.reviewed
            );
        }
        for o in &v.officers {
            let _ = writeln!(
                s,
                "执法人员 {}（{}，{}）：{} 分（评查活动 {} 个）",
                o.name,
                o.id,
                o.unit,
                score_text(o.score),
                o.reviewed
            );
        }
        s
    })?;
    Ok(true)
}

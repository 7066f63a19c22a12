//! `check`, `retention`, `subject`.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use serde_json::json;
use zhilu_app::compliance::{self, CheckScope, Finding, RetentionStatus};
use zhilu_app::{Bound, Field, parse_bound};

use super::with_app;
use crate::Ctx;
use crate::output::{opt_t, pad, short, t};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// 只看此后发生的问题：日期（2026-11-01，当天 0 时起）或时间。
    #[arg(long, value_name = "日期")]
    from: Option<String>,
    /// 只看此前发生的问题：日期（2026-11-30，含当天）或时间。
    #[arg(long, value_name = "日期")]
    to: Option<String>,
    /// 只看与该单位有关的问题。
    #[arg(long, value_name = "单位")]
    unit: Option<String>,
    /// 只看与该执法人员有关的问题。
    #[arg(long, value_name = "编号")]
    officer: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum RetentionCmd {
    /// 每个音像记录保存到何时、属于哪一类、依据什么。
    List,
}

#[derive(Subcommand, Debug)]
pub enum SubjectCmd {
    /// 一个当事人的全部执法活动、音像记录、书面记录和问题（一户式）。
    Show {
        /// 统一社会信用代码或身份证号码。
        #[arg(long, value_name = "代码")]
        code: Option<String>,
        /// 当事人名称（完全一致）。
        #[arg(long, value_name = "名称")]
        name: Option<String>,
    },
}

/// A finding as JSON: its own fields plus the Chinese severity.
pub(crate) fn finding_json(f: &Finding) -> serde_json::Value {
    let mut v = serde_json::to_value(f).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("severity_label".into(), json!(f.severity.label()));
    }
    v
}

pub(crate) fn findings_text(found: &[Finding]) -> String {
    if found.is_empty() {
        return "未发现问题。\n".into();
    }
    let mut s = format!(
        "{} {} {} {} {} 说明\n",
        pad("发生时间", 19),
        pad("规则", 5),
        pad("条款", 24),
        pad("级别", 4),
        pad("对象", 16)
    );
    for f in found {
        let target = f
            .activity
            .as_deref()
            .or(f.device.as_deref())
            .or(f.recording.as_deref().map(short))
            .unwrap_or("");
        let _ = writeln!(
            s,
            "{} {} {} {} {} {}",
            pad(&t(f.at), 19),
            pad(f.rule, 5),
            pad(&f.article, 24),
            pad(f.severity.label(), 4),
            pad(target, 16),
            f.message
        );
    }
    let _ = writeln!(s, "共 {} 项", found.len());
    s
}

pub async fn check(ctx: &Ctx, a: CheckArgs) -> anyhow::Result<bool> {
    let scope = CheckScope {
        from: a
            .from
            .as_deref()
            .map(|s| parse_bound(Field::Time, s, Bound::Start))
            .transpose()?,
        to: a
            .to
            .as_deref()
            .map(|s| parse_bound(Field::Time, s, Bound::End))
            .transpose()?,
        unit: a.unit,
        officer: a.officer,
    };
    let actor = ctx.reader();
    let (found, synced) = with_app!(ctx, |app| {
        let found = compliance::check(app, &actor, &scope).await?;
        // A check keeps the findings' work items in step (issue 14) when it may write; a
        // failure there never hides the check's own answer.
        let synced = if zhilu_app::supervision::findings::can_sync(app) {
            match zhilu_app::supervision::findings::sync(app).await {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("问题台账未能更新：{e}");
                    None
                }
            }
        } else {
            None
        };
        Ok((found, synced))
    })?;
    let list: Vec<_> = found.iter().map(finding_json).collect();
    ctx.out.show(&list, || findings_text(&found))?;
    if let Some(r) = synced
        && r.changed()
        && !ctx.out.json()
    {
        eprintln!("{}", r.summary());
    }
    Ok(true)
}

pub async fn retention(ctx: &Ctx, cmd: RetentionCmd) -> anyhow::Result<bool> {
    let RetentionCmd::List = cmd;
    let actor = ctx.reader();
    let list = with_app!(ctx, |app| Ok(compliance::retention(app, &actor).await?))?;
    ctx.out.show(&list, || {
        if list.is_empty() {
            return "没有音像记录。".into();
        }
        let mut s = String::new();
        for r in &list {
            let until = r
                .retain_until
                .map(zhilu_app::beijing_day)
                .unwrap_or_else(|| "由人工决定".into());
            let _ = writeln!(
                s,
                "{}  {} 保存至 {:<10} {}{}",
                short(r.sha256.as_str()),
                pad(r.class.label(), 12),
                until,
                r.reason,
                match (r.status, r.purged_at) {
                    (RetentionStatus::PurgeReview, _) => "  [待清除审核]".to_string(),
                    (RetentionStatus::Purged, Some(at)) => format!("  [已清除 {}]", t(at)),
                    (RetentionStatus::Purged, None) => "  [已清除]".to_string(),
                    _ => String::new(),
                }
            );
        }
        s
    })?;
    Ok(true)
}

pub async fn subject(ctx: &Ctx, cmd: SubjectCmd) -> anyhow::Result<bool> {
    let SubjectCmd::Show { code, name } = cmd;
    let actor = ctx.reader();
    let v = with_app!(ctx, |app| Ok(compliance::subject(
        app,
        &actor,
        code.as_deref(),
        name.as_deref()
    )
    .await?))?;
    let value = json!({
        "activities": v.activities,
        "recordings": v.recordings,
        "norecords": v.norecords,
        "interruptions": v.interruptions,
        "findings": v.findings.iter().map(finding_json).collect::<Vec<_>>(),
    });
    ctx.out.show(&value, || {
        let mut s = format!(
            "执法活动 {} 项，音像记录 {} 个，未记录工作记录 {} 份，中断说明 {} 份，问题 {} 项\n",
            v.activities.len(),
            v.recordings.len(),
            v.norecords.len(),
            v.interruptions.len(),
            v.findings.len()
        );
        for a in &v.activities {
            let _ = writeln!(s, "  {}  {}  {}  {}", a.id, t(a.start), a.kind, a.place);
        }
        for r in &v.recordings {
            let _ = writeln!(
                s,
                "  {}  {}  {}",
                short(r.sha256.as_str()),
                opt_t(r.capture_start, "拍摄时间未知"),
                r.original_name
            );
        }
        for f in &v.findings {
            let _ = writeln!(s, "  [{}] {} {}", f.rule, f.article, f.message);
        }
        s
    })?;
    Ok(true)
}

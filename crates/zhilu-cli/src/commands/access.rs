//! `access`, `approve`.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use zhilu_app::access;

use super::with_app;
use crate::Ctx;
use crate::output::{pad, short, t};

#[derive(Subcommand, Debug)]
pub enum AccessCmd {
    /// 申请调阅或复制一个音像记录（R23），等待审批；输出申请编号。
    Request {
        /// 音像记录的 sha256 哈希值（前 8 位以上即可）。
        #[arg(long, value_name = "哈希")]
        recording: String,
        /// 申请人（执法人员编号），默认为操作人。
        #[arg(long, value_name = "编号")]
        by: Option<String>,
        #[arg(long, value_name = "理由")]
        reason: String,
    },
}

#[derive(Args, Debug)]
pub struct ApproveArgs {
    /// 待审批事项的编号（NR…、IR…、EX…、AR…）。
    #[arg(value_name = "编号", required_unless_present = "list")]
    id: Option<String>,
    /// 审批人（执法人员编号，须具有审批链要求的角色），默认为操作人。
    #[arg(long, value_name = "编号")]
    by: Option<String>,
    /// 列出全部待审批事项。
    #[arg(long, conflicts_with = "id")]
    list: bool,
}

pub async fn access(ctx: &Ctx, cmd: AccessCmd) -> anyhow::Result<bool> {
    let AccessCmd::Request {
        recording,
        by,
        reason,
    } = cmd;
    let actor = ctx.actor(by.as_deref())?;
    let r = with_app!(ctx, |app| Ok(access::request_access(
        app, &actor, &recording, &reason
    )
    .await?))?;
    ctx.out.show(&r, || {
        eprintln!(
            "已登记调阅申请 {}（{} 申请调阅 {}），等待审批（`zhilu approve {} --by <审批人>`）",
            r.id,
            r.requester,
            short(r.sha256.as_str()),
            r.id
        );
        r.id.to_string()
    })?;
    Ok(true)
}

pub async fn approve(ctx: &Ctx, a: ApproveArgs) -> anyhow::Result<bool> {
    if a.list {
        let actor = ctx.actor(a.by.as_deref())?;
        let (list, profile) = with_app!(ctx, |app| Ok((
            access::pending(app, &actor).await?,
            app.profile().await?
        )))?;
        ctx.out.show(&list, || {
            if list.is_empty() {
                return "没有待审批事项。".into();
            }
            let mut s = String::new();
            for x in &list {
                let next = x
                    .chain
                    .get(x.steps.len())
                    .map(|r| profile.role_label(r))
                    .unwrap_or("");
                let _ = writeln!(
                    s,
                    "{} {} 第 {}/{} 级  待{}审批  （{} 起）",
                    pad(x.id.as_str(), 9),
                    pad(x.kind.label(), 14),
                    x.steps.len() + 1,
                    x.chain.len(),
                    next,
                    t(x.updated_at)
                );
            }
            s
        })?;
        return Ok(true);
    }
    let id = a.id.unwrap_or_default();
    let actor = ctx.actor(a.by.as_deref())?;
    let o = with_app!(ctx, |app| Ok(access::approve(app, &actor, &id).await?))?;
    ctx.out.show(&o, || match &o.next_role_label {
        None => format!(
            "{}（{}）已审批通过（{}/{} 级）",
            o.id,
            o.kind.label(),
            o.approved_levels,
            o.required_levels
        ),
        Some(next) => format!(
            "{}（{}）第 {} 级审批完成，待{next}审批",
            o.id,
            o.kind.label(),
            o.approved_levels
        ),
    })?;
    Ok(true)
}

//! `access` (requests, grants, the register, classes), `approve`, `reject`.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use zhilu_app::access::{self, AccessAsk, ApprovalOutcome};
use zhilu_app::model::Secrecy;
use zhilu_app::{AppError, Field};

use super::{as_writer, with_app};
use crate::Ctx;
use crate::output::{opt_t, pad, short, t, yes};

#[derive(Subcommand, Debug)]
pub enum AccessCmd {
    /// 申请查阅、复制或对外提供音像记录（R23），等待审批；申请人为操作人（--actor）。输出申请编号。
    Request {
        /// 音像记录的 sha256 哈希值（前 8 位以上即可），可重复给出。
        #[arg(long = "recording", value_name = "哈希")]
        recordings: Vec<String>,
        /// 申请人（用户编号），默认为操作人。
        #[arg(long, value_name = "编号")]
        by: Option<String>,
        /// 或：一个执法活动关联的全部音像记录。
        #[arg(long, value_name = "编号", required_unless_present = "recordings")]
        activity: Option<String>,
        /// 查阅、复制或对外提供，默认查阅。
        #[arg(long, value_name = "方式")]
        kind: Option<String>,
        /// 事由。
        #[arg(long, value_name = "理由")]
        reason: String,
        /// 申请的天数，默认按执法规范配置。
        #[arg(long, value_name = "天数")]
        days: Option<u32>,
    },
    /// 我持有的调阅授权（操作人的）。
    Grants,
    /// 调阅授权。
    #[command(subcommand)]
    Grant(GrantCmd),
    /// 调阅登记簿：每一份申请、审批、授权和播放（R23）。
    Register,
    /// 设置音像记录或执法活动的密级（R25）；none 取消。
    Classify {
        /// recording:<哈希> 或 activity:<编号>。
        #[arg(long, value_name = "对象")]
        item: String,
        /// 工作秘密、商业秘密、个人隐私、国家秘密，或 none。
        #[arg(long, value_name = "密级")]
        secrecy: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum GrantCmd {
    /// 在到期前撤销一项调阅授权。
    Revoke {
        #[arg(value_name = "授权编号")]
        id: String,
    },
}

#[derive(Args, Debug)]
pub struct ApproveArgs {
    /// 待审批事项的编号（NR…、IR…、EX…、AR…、清除申请 PR…）。
    #[arg(value_name = "编号", required_unless_present = "list")]
    id: Option<String>,
    /// 审批人（用户编号，须具有审批链要求的角色），默认为操作人。命令行审批只用于重放目录（演示、测试、培训）；
    /// 正式目录须登录后在网页上审批。
    #[arg(long, value_name = "编号")]
    by: Option<String>,
    /// 审批意见。
    #[arg(long, value_name = "意见")]
    comment: Option<String>,
    /// 列出全部待审批事项。
    #[arg(long, conflicts_with = "id")]
    list: bool,
}

#[derive(Args, Debug)]
pub struct RejectArgs {
    /// 待审批事项的编号。
    #[arg(value_name = "编号")]
    id: String,
    /// 驳回人，默认为操作人（同审批，只用于重放目录）。
    #[arg(long, value_name = "编号")]
    by: Option<String>,
    /// 驳回理由。
    #[arg(long, value_name = "意见")]
    comment: String,
}

pub async fn access(ctx: &Ctx, cmd: AccessCmd) -> anyhow::Result<bool> {
    match cmd {
        AccessCmd::Request {
            recordings,
            by,
            activity,
            kind,
            reason,
            days,
        } => {
            let ask = AccessAsk {
                recordings,
                activity,
                kind,
                reason,
                days,
            };
            let r = as_writer!(ctx, by.as_deref(), |app, actor| Ok(access::request_access(
                app, &actor, ask
            )
            .await?))?;
            ctx.out.show(&r, || {
                eprintln!(
                    "已登记调阅申请 {}（{} 申请{} {} 等 {} 个音像记录），等待审批（`zhilu approve {}`）",
                    r.id,
                    r.requester,
                    r.kind.label(),
                    short(r.sha256.as_str()),
                    1 + r.more.len(),
                    r.id
                );
                r.id.to_string()
            })?;
        }
        AccessCmd::Grants => {
            let list = as_writer!(ctx, None, |app, actor| Ok(
                access::my_grants(app, &actor).await?
            ))?;
            ctx.out.show(&list, || {
                if list.is_empty() {
                    return "没有调阅授权。".into();
                }
                let mut s = String::new();
                for g in &list {
                    let _ = writeln!(
                        s,
                        "{} {} 申请 {}  {} 个音像记录  至 {}  有效 {}",
                        pad(g.grant.id.as_str(), 10),
                        pad(g.grant.kind.label(), 16),
                        g.grant.request,
                        g.grant.items.len(),
                        t(g.grant.expires_at),
                        yes(g.valid)
                    );
                }
                s
            })?;
        }
        AccessCmd::Grant(GrantCmd::Revoke { id }) => {
            let g = as_writer!(ctx, None, |app, actor| Ok(
                access::revoke(app, &actor, &id).await?
            ))?;
            ctx.out.show(&g, || {
                format!("调阅授权 {} 已于 {} 撤销", g.id, opt_t(g.revoked_at, ""))
            })?;
        }
        AccessCmd::Register => {
            let actor = ctx.reader();
            let list = with_app!(ctx, |app| Ok(access::register(app, &actor).await?))?;
            ctx.out.show(&list, || {
                if list.is_empty() {
                    return "调阅登记簿为空。".into();
                }
                let mut s = String::new();
                for e in &list {
                    let r = &e.request;
                    let _ = writeln!(
                        s,
                        "{} {}  {} {}  {} 个音像记录  事由：{}  {}  审批 {} 级  授权 {}  播放 {} 次",
                        pad(r.id.as_str(), 10),
                        t(r.created_at),
                        r.requester,
                        r.kind.label(),
                        e.items.len(),
                        r.reason,
                        e.status.label(),
                        e.approvals.len(),
                        e.grant.as_ref().map_or("无".to_string(), |g| g.id.to_string()),
                        e.playbacks.len()
                    );
                }
                s
            })?;
        }
        AccessCmd::Classify { item, secrecy } => {
            let class = match secrecy.trim() {
                "none" | "无" => None,
                s => Some(Secrecy::parse_input(s).map_err(|e| AppError::Invalid {
                    field: Field::Clearance,
                    reason: e.to_string(),
                })?),
            };
            let c = as_writer!(ctx, None, |app, actor| Ok(access::classify(
                app, &actor, &item, class
            )
            .await?))?;
            ctx.out.show(&c, || match c.secrecy {
                Some(s) => format!("{} 已定为{}", c.item, s.label()),
                None => format!("{} 已取消密级", c.item),
            })?;
        }
    }
    Ok(true)
}

fn outcome_text(o: &ApprovalOutcome, approve: bool) -> String {
    if !approve {
        return format!("{}（{}）已驳回", o.id, o.kind.label());
    }
    match &o.next_role_label {
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
    }
}

pub async fn approve(ctx: &Ctx, a: ApproveArgs) -> anyhow::Result<bool> {
    if a.list {
        let actor = ctx.reader();
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
    let o = as_writer!(ctx, a.by.as_deref(), |app, actor| Ok(access::approve(
        app,
        &actor,
        &id,
        a.comment.as_deref()
    )
    .await?))?;
    ctx.out.show(&o, || outcome_text(&o, true))?;
    Ok(true)
}

pub async fn reject(ctx: &Ctx, a: RejectArgs) -> anyhow::Result<bool> {
    let o = as_writer!(ctx, a.by.as_deref(), |app, actor| Ok(access::reject(
        app, &actor, &a.id, &a.comment
    )
    .await?))?;
    ctx.out.show(&o, || outcome_text(&o, false))?;
    Ok(true)
}

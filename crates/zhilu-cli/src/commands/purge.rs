//! `purge` (R20): request, execute, resume and list approved purges of expired recordings.

use std::fmt::Write as _;

use clap::Subcommand;
use zhilu_app::records::purge::{self, PurgeAsk};

use super::{as_writer, with_app};
use crate::Ctx;
use crate::output::{opt_t, pad, short, t};

#[derive(Subcommand, Debug)]
pub enum PurgeCmd {
    /// 申请清除保存期限已到的音像记录（R20），等待执法规范配置指定的清除审批人审批；申请人为操作人。输出申请编号。
    Request {
        /// 音像记录的 sha256 哈希值（前 8 位以上即可），可重复给出。
        #[arg(
            long = "item",
            value_name = "哈希",
            required_unless_present = "expired"
        )]
        items: Vec<String>,
        /// 或：操作人可见的全部待清除审核（保存期限已到、未保全、未清除）的音像记录。
        #[arg(long)]
        expired: bool,
        /// 事由。
        #[arg(long, value_name = "理由")]
        reason: String,
    },
    /// 执行一项已审批通过的清除申请：逐项复核，先在审计日志中留下清除记录（墓碑），再从每个存储位置删除原始文件。
    Execute {
        /// 清除申请编号（PR…）。
        #[arg(long, value_name = "编号")]
        request: String,
    },
    /// 完成中断的清除：已留下清除记录但原始文件仍在的，从每个存储位置删除。
    Resume,
    /// 全部清除申请及其审批状态。
    List,
}

pub async fn purge(ctx: &Ctx, cmd: PurgeCmd) -> anyhow::Result<bool> {
    match cmd {
        PurgeCmd::Request {
            items,
            expired,
            reason,
        } => {
            let ask = PurgeAsk {
                recordings: items,
                expired,
                reason,
            };
            let r = as_writer!(ctx, None, |app, actor| Ok(purge::request_purge(
                app, &actor, ask
            )
            .await?))?;
            ctx.out.show(&r, || {
                eprintln!(
                    "已登记清除申请 {}（{} 申请清除 {} 个音像记录），等待审批（`zhilu approve {}`）",
                    r.id,
                    r.requester,
                    r.items.len(),
                    r.id
                );
                r.id.to_string()
            })?;
        }
        PurgeCmd::Execute { request } => {
            let o = as_writer!(ctx, None, |app, actor| Ok(purge::execute_purge(
                app, &actor, &request
            )
            .await?))?;
            ctx.out.show(&o, || {
                let mut s = String::new();
                for r in &o.resumed {
                    let _ = writeln!(s, "已完成此前中断的清除：{}", short(r.as_str()));
                }
                for x in &o.tombstones {
                    let _ = writeln!(
                        s,
                        "已清除 {}  {}  {} 字节  SM3 {}",
                        x.sha256,
                        x.original_name,
                        x.size,
                        x.sm3
                    );
                }
                let _ = write!(
                    s,
                    "清除申请 {} 已于 {} 执行：{} 个音像记录，删除 {} 份副本；哈希值、大小、拍摄信息和审批记录保留在审计日志中",
                    o.request.id,
                    opt_t(o.request.executed_at, ""),
                    o.tombstones.len(),
                    o.copies_deleted
                );
                if !o.on_discs.is_empty() {
                    let _ = write!(
                        s,
                        "\n其原件现仅存于以下长期保存光盘（光盘登记簿已注明）：{}",
                        o.on_discs.join("、")
                    );
                }
                s
            })?;
        }
        PurgeCmd::Resume => {
            let done = as_writer!(
                ctx,
                None,
                |app, actor| Ok(purge::resume(app, &actor).await?)
            )?;
            ctx.out.show(&done, || {
                if done.is_empty() {
                    return "没有中断的清除。".into();
                }
                let mut s = String::new();
                for r in &done {
                    let _ = writeln!(s, "已完成此前中断的清除：{r}");
                }
                s
            })?;
        }
        PurgeCmd::List => {
            let actor = ctx.reader();
            let list = with_app!(ctx, |app| Ok(purge::purge_requests(app, &actor).await?))?;
            ctx.out.show(&list, || {
                if list.is_empty() {
                    return "没有清除申请。".into();
                }
                let mut s = String::new();
                for v in &list {
                    let r = &v.request;
                    let _ = writeln!(
                        s,
                        "{} {}  {} 申请  {} 个音像记录  事由：{}  {}  审批 {} 级  执行 {}",
                        pad(r.id.as_str(), 9),
                        t(r.created_at),
                        r.requester,
                        r.items.len(),
                        r.reason,
                        v.status.label(),
                        v.approvals.len(),
                        opt_t(r.executed_at, "未执行")
                    );
                }
                s
            })?;
        }
    }
    Ok(true)
}

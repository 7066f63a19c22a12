//! `fixity`, `verify`.

use std::fmt::Write as _;

use clap::Args;
use serde_json::json;
use zhilu_app::integrity::{self, FixityReport, VerifyReport};

use super::with_app;
use crate::Ctx;

#[derive(Args, Debug)]
pub struct FixityArgs {
    /// 用完好副本修复缺失或损坏的副本（损坏副本移入隔离区，不删除），每次修复记入审计日志。
    #[arg(long)]
    repair: bool,
}

pub(crate) fn fixity_text(r: &FixityReport) -> String {
    let mut s = format!(
        "固定性检查：{} 个对象，{} 份副本，重新计算 {:.1} MB，用时 {:.2} 秒\n",
        r.objects,
        r.copies_checked,
        r.bytes_hashed as f64 / 1e6,
        r.seconds
    );
    for p in &r.problems {
        let state = if p.repaired { "已修复" } else { "未修复" };
        let _ = writeln!(
            s,
            "  {}：{} 在 {} — {}（{state}）",
            p.problem.label(),
            p.sha256,
            p.root,
            p.detail
        );
        if let Some(q) = &p.quarantined_to {
            let _ = writeln!(s, "    损坏副本已隔离到 {q}");
        }
    }
    for sha in &r.lost {
        let _ = writeln!(
            s,
            "  丢失：{sha} — 所有存储位置均无完好副本，无法修复（请从设备或其他备份找回原始文件）"
        );
    }
    for o in &r.orphans {
        match &o.quarantined_to {
            Some(q) => {
                let _ = writeln!(
                    s,
                    "  未登记的对象：{} 在 {} — 已移入隔离区 {q}（未删除）",
                    o.sha256, o.root
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "  未登记的对象：{} 在 {}（可能来自中断的导入：重新导入该设备即可登记；或运行 `zhilu fixity --repair` 移入隔离区）",
                    o.sha256, o.root
                );
            }
        }
    }
    for sha in &r.unfinished_purges {
        let _ = writeln!(
            s,
            "  清除未完成：{sha} — 已经审批清除并留下清除记录，原始文件尚未删除完毕（运行 `zhilu purge resume` 完成；不是损坏）"
        );
    }
    for g in &r.shared_filesystems {
        let _ = writeln!(s, "  警告：{}", shared_warning(g));
    }
    if r.unrepaired() == 0 {
        s.push_str("结果：全部副本完好。\n");
    } else if r.repairable() == 0 {
        let _ = writeln!(
            s,
            "结果：发现 {} 处问题未修复：无完好副本，无法修复。",
            r.unrepaired()
        );
    } else {
        let _ = writeln!(
            s,
            "结果：发现 {} 处问题未修复，其中 {} 处可运行 `zhilu fixity --repair` 修复{}。",
            r.unrepaired(),
            r.repairable(),
            if r.lost.is_empty() {
                ""
            } else {
                "；其余无完好副本，无法修复"
            }
        );
    }
    s
}

/// The warning for vault roots on one filesystem (shared with `init`).
pub(crate) fn shared_warning(roots: &[String]) -> String {
    format!(
        "存储位置 {} 在同一文件系统（同一块磁盘）上：这块磁盘损坏会同时失去这些副本，请把存储位置放在相互独立的磁盘上",
        roots.join("、")
    )
}

pub async fn fixity(ctx: &Ctx, a: FixityArgs) -> anyhow::Result<bool> {
    // Only repairing writes (a new copy, its ledger entry); checking reads.
    let r = with_app!(ctx, |app| {
        let actor = if a.repair {
            ctx.writer(app, None).await?
        } else {
            ctx.reader()
        };
        Ok(integrity::fixity(app, &actor, a.repair).await?)
    })?;
    let ok = r.unrepaired() == 0;
    let mut value = serde_json::to_value(&r)?;
    if let Some(o) = value.as_object_mut() {
        o.insert("ok".into(), json!(ok));
    }
    ctx.out.show(&value, || fixity_text(&r))?;
    Ok(ok)
}

pub(crate) fn verify_text(r: &VerifyReport) -> String {
    let mut s = format!(
        "审计日志 {} 条，根哈希 {}，核对签名检查点 {} 个、数据库记录 {} 行\n",
        r.entries, r.root, r.checkpoints_checked, r.rows_checked
    );
    if r.problems.is_empty() {
        s.push_str("结果：审计日志完整，数据库记录与日志一致。\n");
    }
    for p in &r.problems {
        let entry = p.entry.map(|e| format!("第 {e} 条")).unwrap_or_default();
        let subj = p.subject.as_deref().unwrap_or("");
        let _ = writeln!(s, "  问题 {entry} {subj}：{}", p.message);
    }
    for p in &r.warnings {
        let _ = writeln!(s, "  提醒：{}", p.message);
    }
    s
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// 另行询问的见证地址（与 --witness-key 成对给出，可重复）：在另一台机器上核验数据目录的副本时，不必信任副本自己记录的见证。
    #[arg(long = "witness", value_name = "地址")]
    witness: Vec<String>,
    /// 与 --witness 对应的见证公钥。
    #[arg(long = "witness-key", value_name = "公钥")]
    witness_key: Vec<String>,
    /// 未经见证副署的记录超过多少分钟即算问题（默认 10）。
    #[arg(long, value_name = "分钟", default_value_t = 10)]
    grace_minutes: i64,
    /// 不联系见证，只核对本地保存的副署。
    #[arg(long)]
    offline: bool,
}

pub async fn verify(ctx: &Ctx, a: VerifyArgs) -> anyhow::Result<bool> {
    let actor = ctx.reader();
    if a.witness.len() != a.witness_key.len() {
        anyhow::bail!("--witness 与 --witness-key 须成对给出");
    }
    let opts = integrity::VerifyOptions {
        witness_grace: chrono::Duration::minutes(a.grace_minutes.max(0)),
        ask_witnesses: !a.offline,
        extra_witnesses: a.witness.into_iter().zip(a.witness_key).collect(),
    };
    let r = with_app!(ctx, |app| Ok(
        integrity::verify_with(app, &actor, &opts).await?
    ))?;
    let ok = r.problems.is_empty();
    let mut value = serde_json::to_value(&r)?;
    if let Some(o) = value.as_object_mut() {
        o.insert("ok".into(), json!(ok));
    }
    ctx.out.show(&value, || verify_text(&r))?;
    Ok(ok)
}

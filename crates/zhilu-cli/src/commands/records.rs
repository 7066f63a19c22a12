//! `activity`, `link`, `norecord`, `interruption`, `extension`, `hold`.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use serde_json::json;
use zhilu_app::records::{self, NewActivity};
use zhilu_app::{Field, parse_instant};

use super::{as_writer, with_app};
use crate::Ctx;
use crate::output::{pad, short, t};

#[derive(Args, Debug)]
pub struct ActivityAdd {
    /// 活动类型：执法规范配置音像记录清单中的编号（见 `zhilu profile show`）。
    #[arg(long, value_name = "类型")]
    kind: String,
    /// 当事人名称。
    #[arg(long, value_name = "名称")]
    subject_name: String,
    /// 当事人的统一社会信用代码或身份证号码（校验码会被核对）。
    #[arg(long, value_name = "代码")]
    subject_code: Option<String>,
    /// 执法地点。
    #[arg(long, value_name = "地点")]
    place: String,
    /// 执法人员编号，用逗号分隔。
    #[arg(long, value_delimiter = ',', value_name = "编号")]
    officers: Vec<String>,
    /// 文书记载的开始时间（北京时间 2026-11-20 09:30 或 RFC 3339）。
    #[arg(long, value_name = "时间")]
    start: String,
    /// 文书记载的结束时间。
    #[arg(long, value_name = "时间")]
    end: String,
    /// 案件编号。
    #[arg(long, value_name = "案号")]
    case: Option<String>,
    /// 活动标记，可重复：dispute（纠纷）、complaint（投诉）、obstruction（阻碍执法）、incident（突发事件）、evidence（作为证据）、public_interest（公共利益）、major（重大复杂）、life_health（生命健康）、major_property（重大财产）、remote（异地执法）。
    #[arg(long = "flag", value_name = "标记")]
    flags: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum ActivityCmd {
    /// 登记执法活动（按文书记载），并自动关联已导入的音像记录；输出活动编号。
    Add(Box<ActivityAdd>),
    /// 列出执法活动。
    List,
}

#[derive(Args, Debug)]
pub struct LinkArgs {
    /// 音像记录的 sha256 哈希值（前 8 位以上即可）。
    #[arg(long, value_name = "哈希")]
    recording: String,
    /// 执法活动编号。
    #[arg(long, value_name = "编号")]
    activity: String,
}

#[derive(Subcommand, Debug)]
pub enum NoRecordCmd {
    /// 登记未记录工作记录（R10），等待审批；输出其编号。
    Add {
        #[arg(long, value_name = "编号")]
        activity: String,
        /// 未记录的情形：执法规范配置中的编号（见 `zhilu profile show --json`）。
        #[arg(long, value_name = "情形")]
        reason: String,
        /// 依据或说明。
        #[arg(long, value_name = "依据")]
        basis: String,
        /// 登记人（执法人员编号），默认为操作人。
        #[arg(long, value_name = "编号")]
        by: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum InterruptionCmd {
    /// 登记中断说明（R11）：某个记录之后的中断及其原因。
    Add {
        #[arg(long, value_name = "编号")]
        activity: String,
        /// 中断前最后一个记录的 sha256 哈希值（前 8 位以上即可）。
        #[arg(long, value_name = "哈希")]
        after: String,
        /// 中断原因：执法规范配置中的编号。
        #[arg(long, value_name = "原因")]
        reason: String,
        /// 重新开始记录时已语音说明中断原因。
        #[arg(long)]
        voice_stated: bool,
        /// 登记人（执法人员编号），默认为操作人。
        #[arg(long, value_name = "编号")]
        by: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExtensionCmd {
    /// 申请延期导出（R17，仅执法规范配置允许时），等待审批；输出其编号。
    Add {
        #[arg(long, value_name = "编号")]
        activity: String,
        #[arg(long, value_name = "理由")]
        reason: String,
        /// 申请人（执法人员编号），默认为操作人。
        #[arg(long, value_name = "编号")]
        by: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum HoldCmd {
    /// 对音像记录实施保全（冻结），解除前不会到期（R20）。
    Add {
        /// 音像记录的 sha256 哈希值（前 8 位以上即可）。
        #[arg(long, value_name = "哈希")]
        recording: String,
        #[arg(long, value_name = "理由")]
        reason: String,
    },
    /// 解除保全。
    Release {
        #[arg(value_name = "保全编号")]
        id: String,
    },
    /// 按保全记录重设音像记录在对象存储（启用对象锁定的 S3 存储桶）中的合法保留：保全或解除时未能设置的，用此命令补做。
    Sync {
        /// 音像记录的 sha256 哈希值（前 8 位以上即可）。
        #[arg(long, value_name = "哈希")]
        recording: String,
    },
}

pub async fn activity(ctx: &Ctx, cmd: ActivityCmd) -> anyhow::Result<bool> {
    match cmd {
        ActivityCmd::Add(add) => {
            let add = *add;
            let a = NewActivity {
                kind: add.kind,
                subject_name: add.subject_name,
                subject_code: add.subject_code,
                place: add.place,
                officers: add.officers,
                start: parse_instant(Field::Start, &add.start)?,
                end: parse_instant(Field::End, &add.end)?,
                case_no: add.case,
                flags: add.flags,
            };
            let (row, linked) = as_writer!(ctx, None, |app, actor| Ok(records::add_activity(
                app, &actor, a
            )
            .await?))?;
            let mut value = serde_json::to_value(&row)?;
            if let Some(o) = value.as_object_mut() {
                o.insert("linked".into(), json!(linked));
            }
            ctx.out.show(&value, || {
                format!(
                    "{}\n已登记执法活动 {}（{} 至 {}），自动关联音像记录 {linked} 个",
                    row.id,
                    row.id,
                    t(row.start),
                    t(row.end)
                )
            })?;
        }
        ActivityCmd::List => {
            let actor = ctx.reader();
            let list = with_app!(ctx, |app| Ok(records::activities(app, &actor).await?))?;
            ctx.out.show(&list, || {
                if list.is_empty() {
                    return "尚未登记任何执法活动。".into();
                }
                let mut s = String::new();
                for a in &list {
                    let officers: Vec<&str> = a.officers.iter().map(|o| o.as_str()).collect();
                    let _ = writeln!(
                        s,
                        "{} {}  {} {}  {}  执法人员 {}",
                        pad(a.id.as_str(), 15),
                        t(a.start),
                        pad(&a.kind, 24),
                        a.subject_name,
                        a.place,
                        officers.join("、")
                    );
                }
                s
            })?;
        }
    }
    Ok(true)
}

pub async fn link(ctx: &Ctx, a: LinkArgs) -> anyhow::Result<bool> {
    let l = as_writer!(ctx, None, |app, actor| Ok(records::link(
        app,
        &actor,
        &a.recording,
        &a.activity
    )
    .await?))?;
    ctx.out.show(&l, || {
        format!(
            "音像记录 {} 已关联到执法活动 {}",
            short(l.sha256.as_str()),
            l.activity
        )
    })?;
    Ok(true)
}

/// A record that waits for approval: its id on stdout (for scripts), the rest on stderr.
fn created(id: &str, what: &str) -> String {
    eprintln!("已登记{what} {id}，等待审批（`zhilu approve {id} --by <审批人>`）");
    id.to_string()
}

pub async fn norecord(ctx: &Ctx, cmd: NoRecordCmd) -> anyhow::Result<bool> {
    let NoRecordCmd::Add {
        activity,
        reason,
        basis,
        by,
    } = cmd;
    let r = as_writer!(ctx, by.as_deref(), |app, actor| Ok(records::add_norecord(
        app, &actor, &activity, &reason, &basis
    )
    .await?))?;
    ctx.out
        .show(&r, || created(r.id.as_str(), "未记录工作记录"))?;
    Ok(true)
}

pub async fn interruption(ctx: &Ctx, cmd: InterruptionCmd) -> anyhow::Result<bool> {
    let InterruptionCmd::Add {
        activity,
        after,
        reason,
        voice_stated,
        by,
    } = cmd;
    let r = as_writer!(ctx, by.as_deref(), |app, actor| Ok(
        records::add_interruption(app, &actor, &activity, &after, &reason, voice_stated).await?
    ))?;
    ctx.out.show(&r, || {
        eprintln!("已登记中断说明 {}（{}）", r.id, r.detail);
        r.id.to_string()
    })?;
    Ok(true)
}

pub async fn extension(ctx: &Ctx, cmd: ExtensionCmd) -> anyhow::Result<bool> {
    let ExtensionCmd::Add {
        activity,
        reason,
        by,
    } = cmd;
    let r = as_writer!(ctx, by.as_deref(), |app, actor| Ok(
        records::request_extension(app, &actor, &activity, &reason).await?
    ))?;
    ctx.out
        .show(&r, || created(r.id.as_str(), "延期导出申请"))?;
    Ok(true)
}

pub async fn hold(ctx: &Ctx, cmd: HoldCmd) -> anyhow::Result<bool> {
    let h = match cmd {
        HoldCmd::Sync { recording } => {
            let held = as_writer!(ctx, None, |app, actor| Ok(records::sync_storage_hold(
                app, &actor, &recording
            )
            .await?))?;
            ctx.out.show(
                &serde_json::json!({ "recording": recording, "held": held }),
                || {
                    if held {
                        "存储位置的合法保留已开启，与保全记录一致".to_string()
                    } else {
                        "该音像记录没有生效的保全，存储位置的合法保留已解除".to_string()
                    }
                },
            )?;
            return Ok(true);
        }
        HoldCmd::Add { recording, reason } => as_writer!(ctx, None, |app, actor| Ok(
            records::place_hold(app, &actor, &recording, &reason).await?
        ))?,
        HoldCmd::Release { id } => as_writer!(ctx, None, |app, actor| Ok(records::release_hold(
            app, &actor, &id
        )
        .await?))?,
    };
    ctx.out.show(&h, || match h.released_at {
        Some(at) => format!("保全 {} 已于 {} 解除", h.id, t(at)),
        None => {
            eprintln!(
                "已对音像记录 {} 实施保全 {}",
                short(h.sha256.as_str()),
                h.id
            );
            h.id.to_string()
        }
    })?;
    Ok(true)
}

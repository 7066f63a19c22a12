//! Commands of the enforcement domain: profiles and calendar, officers, checkouts, activities,
//! links, records, approvals, holds, and the compliance check. Parse, call zhilu-app, print.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use serde_json::json;
use zhilu_app::zhilu_policy::engine::Finding;
use zhilu_app::{App, CheckScope, NewActivity, NewCheckout, parse_instant};

use crate::print::emit_json;

#[derive(Subcommand, Debug)]
pub enum ProfileCmd {
    /// Show the profile in force.
    Show,
    /// Check a profile file without applying it.
    Validate { file: PathBuf },
    /// Put a profile file (or a preset id) in force, after checking all of it.
    Apply { file: String },
    /// The presets shipped with Zhilu.
    List,
}

#[derive(Subcommand, Debug)]
pub enum CalendarCmd {
    /// Load holiday arrangements for more years (TOML, same format as the built-in calendar).
    Load { file: PathBuf },
    /// The years covered.
    Show,
}

#[derive(Subcommand, Debug)]
pub enum OfficerCmd {
    /// Register an officer (the unit is registered the first time it is named).
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        unit: String,
        /// A role of the profile (officer, unit_head, …); default officer.
        #[arg(long)]
        role: Option<String>,
    },
    List,
}

#[derive(clap::Args, Debug)]
pub struct ActivityAdd {
    #[arg(long)]
    kind: String,
    #[arg(long)]
    subject_name: String,
    /// Unified social credit code or resident ID number (check digit verified).
    #[arg(long)]
    subject_code: Option<String>,
    #[arg(long)]
    place: String,
    /// Comma-separated officer ids.
    #[arg(long, value_delimiter = ',')]
    officers: Vec<String>,
    #[arg(long)]
    start: String,
    #[arg(long)]
    end: String,
    #[arg(long)]
    case: Option<String>,
    /// dispute, complaint, obstruction, incident, evidence, public_interest, major, life_health,
    /// major_property, remote.
    #[arg(long = "flag")]
    flags: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum ActivityCmd {
    /// Register an activity as its documents record it; prints its id.
    Add(Box<ActivityAdd>),
    List,
}

#[derive(Subcommand, Debug)]
pub enum NoRecordCmd {
    /// Record why an activity was not recorded (R10).
    Add {
        #[arg(long)]
        activity: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        basis: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum InterruptionCmd {
    /// Record why recording stopped after a file (R11).
    Add {
        #[arg(long)]
        activity: String,
        /// SHA-256 of the recording after which the gap is.
        #[arg(long)]
        after: String,
        #[arg(long)]
        reason: String,
        /// The resumed recording states the reason by voice.
        #[arg(long)]
        voice_stated: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExtensionCmd {
    /// Ask to offload an activity's recordings within the extended deadline (R17).
    Add {
        #[arg(long)]
        activity: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccessCmd {
    /// Ask to view or copy a recording; prints the request id to approve.
    Request {
        #[arg(long)]
        recording: String,
        /// The requesting officer.
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
    },
}

pub async fn access(app: &App, cmd: AccessCmd, json: bool) -> Result<bool> {
    let AccessCmd::Request {
        recording,
        by,
        reason,
    } = cmd;
    let r = app.request_access(&recording, &by, &reason).await?;
    created(json, &r.id, "调阅申请")
}

#[derive(Subcommand, Debug)]
pub enum HoldCmd {
    /// Place a legal hold on a recording (blocks expiry).
    Add {
        #[arg(long)]
        recording: String,
        #[arg(long)]
        reason: String,
    },
    /// Release a hold.
    Release { id: String },
}

#[derive(Subcommand, Debug)]
pub enum RetentionCmd {
    /// Retention of every recording: until when, which class, why.
    List,
}

#[derive(Subcommand, Debug)]
pub enum SubjectCmd {
    /// Everything about one enforcement subject (一户式).
    Show {
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
}

fn read(path: &std::path::Path) -> Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("无法读取 {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= 1 << 20,
        "文件 {} 过大（{} 字节），配置文件不应超过 1 MiB",
        path.display(),
        meta.len()
    );
    std::fs::read_to_string(path)
        .with_context(|| format!("无法读取 {}（需为 UTF-8 文本）", path.display()))
}

fn instant(field: &str, s: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    Ok(parse_instant(field, s)?)
}

pub async fn profile(app: Option<&App>, cmd: ProfileCmd, json: bool, actor: &str) -> Result<bool> {
    match cmd {
        ProfileCmd::Validate { file } => {
            let src = read(&file)?;
            let p = zhilu_app::validate_profile_text(&file.display().to_string(), &src)?;
            if json {
                emit_json(&json!({"valid": true, "id": p.id(), "checklist": p.checklist.len()}))?;
            } else {
                println!(
                    "配置 {} 有效：{}《{}》，音像记录清单 {} 项",
                    file.display(),
                    p.agency,
                    p.regulation,
                    p.checklist.len()
                );
            }
        }
        ProfileCmd::List => {
            let list: Vec<_> = zhilu_app::zhilu_policy::profile::PRESETS
                .iter()
                .filter_map(|(id, src)| {
                    zhilu_app::zhilu_policy::profile::Profile::parse(src)
                        .ok()
                        .map(|p| (id.to_string(), p.agency, p.regulation))
                })
                .collect();
            if json {
                emit_json(
                    &list
                        .iter()
                        .map(|(id, a, r)| json!({"id": id, "agency": a, "regulation": r}))
                        .collect::<Vec<_>>(),
                )?;
            } else {
                for (id, a, r) in list {
                    println!("{id:<12} {a}《{r}》");
                }
            }
        }
        ProfileCmd::Show => {
            let app = app.context("内部错误：缺少数据目录")?;
            let p = app.profile()?;
            if json {
                emit_json(&p)?;
            } else {
                println!("执法规范配置：{}  {}《{}》", p.id(), p.agency, p.regulation);
                println!(
                    "执法人员：每项活动至少 {} 名（{}）",
                    p.officers.min_per_activity.get_ref(),
                    p.cite(&p.officers.article)
                );
                println!(
                    "导出期限：{:?}（{}）",
                    p.offload.base,
                    p.cite(&p.offload.article)
                );
                println!(
                    "最少保存：{} 个月（{}）",
                    p.retention.minimum_months.get_ref(),
                    p.cite(&p.retention.minimum_article)
                );
                let chain: Vec<&str> = p
                    .access
                    .approvers
                    .iter()
                    .map(|r| p.role_label(r.get_ref()))
                    .collect();
                println!(
                    "查阅审批：{}（{}）",
                    chain.join(" → "),
                    p.cite(&p.access.article)
                );
                println!("告知用语：{}", p.notification.phrase);
                println!("音像记录清单：");
                for r in &p.checklist {
                    println!(
                        "  {:<26} {}  [{}]（{}）",
                        r.kind.get_ref(),
                        r.situation,
                        r.obligation.label(),
                        p.cite(&r.article)
                    );
                }
            }
        }
        ProfileCmd::Apply { file } => {
            let app = app.context("内部错误：缺少数据目录")?;
            let src = match zhilu_app::preset_text(&file) {
                Ok(s) => s.to_string(),
                Err(_) if std::path::Path::new(&file).exists() => {
                    read(std::path::Path::new(&file))?
                }
                Err(e) => return Err(e.into()),
            };
            let p = app.apply_profile(&src, actor).await?;
            if json {
                emit_json(&json!({"applied": p.id()}))?;
            } else {
                println!("已启用执法规范配置 {}：{}", p.id(), p.agency);
            }
        }
    }
    Ok(true)
}

pub async fn calendar(app: &App, cmd: CalendarCmd, json: bool, actor: &str) -> Result<bool> {
    match cmd {
        CalendarCmd::Load { file } => {
            let years = app.load_calendar(&read(&file)?, actor).await?;
            if json {
                emit_json(&json!({"loaded": years}))?;
            } else {
                println!("已导入 {:?} 年的节假日安排", years);
            }
        }
        CalendarCmd::Show => {
            let years = app.calendar()?.years();
            if json {
                emit_json(&json!({"years": years}))?;
            } else {
                println!("工作日历覆盖：{years:?}");
            }
        }
    }
    Ok(true)
}

pub async fn officer(app: &App, cmd: OfficerCmd, json: bool) -> Result<bool> {
    match cmd {
        OfficerCmd::Add {
            id,
            name,
            unit,
            role,
        } => {
            let o = app.add_officer(&id, &name, &unit, role.as_deref()).await?;
            if json {
                emit_json(&o)?;
            } else {
                println!(
                    "已登记执法人员 {}（{}，{}，角色 {}）",
                    o.id, o.name, o.unit, o.role
                );
            }
        }
        OfficerCmd::List => {
            let list = app.officers().await?;
            if json {
                emit_json(&list)?;
            } else {
                for o in list {
                    println!("{:<12} {:<8} {:<16} {}", o.id, o.name, o.unit, o.role);
                }
            }
        }
    }
    Ok(true)
}

pub async fn checkout(app: &App, c: NewCheckout, json: bool) -> Result<bool> {
    let row = app.checkout(c).await?;
    if json {
        emit_json(&row)?;
    } else {
        println!(
            "设备 {} 已领用给 {}（领用单 {}）",
            row.device_serial, row.officer, row.id
        );
    }
    Ok(true)
}

pub async fn device_return(app: &App, device: &str, json: bool) -> Result<bool> {
    let row = app.return_device(device).await?;
    if json {
        emit_json(&row)?;
    } else {
        println!(
            "设备 {} 已归还（领用单 {}）：{}",
            row.device_serial,
            row.id,
            row.recorded_summary.as_deref().unwrap_or("")
        );
    }
    Ok(true)
}

pub async fn activity(app: &App, cmd: ActivityCmd, json: bool) -> Result<bool> {
    match cmd {
        ActivityCmd::Add(add) => {
            let ActivityAdd {
                kind,
                subject_name,
                subject_code,
                place,
                officers,
                start,
                end,
                case,
                flags,
            } = *add;
            let a = NewActivity {
                kind,
                subject_name,
                subject_code,
                place,
                officers,
                start: Some(instant("--start", &start)?),
                end: Some(instant("--end", &end)?),
                case_no: case,
                flags,
            };
            let (row, linked) = app.add_activity(a).await?;
            if json {
                emit_json(&json!({"id": row.id, "linked": linked}))?;
            } else {
                println!("{}", row.id);
                eprintln!("已登记执法活动 {}，自动关联记录 {linked} 个", row.id);
            }
        }
        ActivityCmd::List => {
            let list = app
                .catalog()
                .select::<zhilu_app::ActivityRow>(None, vec![])
                .await?;
            if json {
                emit_json(&list)?;
            } else {
                for a in list {
                    println!("{:<16} {:<24} {} {}", a.id, a.kind, a.subject_name, a.place);
                }
            }
        }
    }
    Ok(true)
}

pub async fn link(
    app: &App,
    recording: &str,
    activity: &str,
    json: bool,
    actor: &str,
) -> Result<bool> {
    let l = app.link(recording, activity, actor).await?;
    if json {
        emit_json(&l)?;
    } else {
        println!("记录 {} 已关联到活动 {}", l.sha256, l.activity_id);
    }
    Ok(true)
}

fn created(json: bool, id: &str, what: &str) -> Result<bool> {
    if json {
        emit_json(&json!({"id": id}))?;
    } else {
        println!("{id}");
        eprintln!("已登记{what} {id}，等待审批");
    }
    Ok(true)
}

pub async fn norecord(app: &App, cmd: NoRecordCmd, json: bool, actor: &str) -> Result<bool> {
    let NoRecordCmd::Add {
        activity,
        reason,
        basis,
    } = cmd;
    let r = app.add_norecord(&activity, &reason, &basis, actor).await?;
    created(json, &r.id, "未记录工作记录")
}

pub async fn interruption(
    app: &App,
    cmd: InterruptionCmd,
    json: bool,
    actor: &str,
) -> Result<bool> {
    let InterruptionCmd::Add {
        activity,
        after,
        reason,
        voice_stated,
    } = cmd;
    let r = app
        .add_interruption(&activity, &after, &reason, voice_stated, actor)
        .await?;
    if json {
        emit_json(&json!({"id": r.id}))?;
    } else {
        println!("{}", r.id);
        eprintln!("已登记中断说明 {}", r.id);
    }
    Ok(true)
}

pub async fn extension(app: &App, cmd: ExtensionCmd, json: bool, actor: &str) -> Result<bool> {
    let ExtensionCmd::Add { activity, reason } = cmd;
    let r = app.request_extension(&activity, &reason, actor).await?;
    created(json, &r.id, "延期导出申请")
}

pub async fn approve(app: &App, id: &str, by: &str, json: bool) -> Result<bool> {
    let o = app.approve(id, by).await?;
    if json {
        emit_json(&o)?;
    } else if o.status == "approved" {
        println!(
            "{} 已审批通过（{}/{} 级）",
            o.id, o.approved_levels, o.required_levels
        );
    } else {
        println!(
            "{} 第 {} 级审批完成，待{}审批",
            o.id,
            o.approved_levels,
            o.next_role.as_deref().unwrap_or("")
        );
    }
    Ok(true)
}

pub async fn hold(app: &App, cmd: HoldCmd, json: bool, actor: &str) -> Result<bool> {
    let row = match cmd {
        HoldCmd::Add { recording, reason } => app.place_hold(&recording, &reason, actor).await?,
        HoldCmd::Release { id } => app.release_hold(&id, actor).await?,
    };
    if json {
        emit_json(&row)?;
    } else if row.released_at.is_some() {
        println!("保全 {} 已解除", row.id);
    } else {
        println!("{}", row.id);
        eprintln!("已对记录 {} 实施保全 {}", row.sha256, row.id);
    }
    Ok(true)
}

fn finding_json(f: &Finding) -> serde_json::Value {
    let mut v = serde_json::to_value(f).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("severity_label".into(), json!(f.severity.label()));
    }
    v
}

pub async fn check(app: &App, scope: CheckScope, json: bool) -> Result<bool> {
    let found = app.check(&scope).await?;
    if json {
        emit_json(&found.iter().map(finding_json).collect::<Vec<_>>())?;
    } else if found.is_empty() {
        println!("未发现问题");
    } else {
        println!(
            "{:<5} {:<18} {:<4} {:<18} 说明",
            "规则", "条款", "级别", "对象"
        );
        for f in &found {
            let target = f
                .activity
                .as_deref()
                .or(f.device.as_deref())
                .or(f.recording.as_deref().map(|s| s.get(..12).unwrap_or(s)))
                .unwrap_or("");
            println!(
                "{:<5} {:<18} {:<4} {:<18} {}",
                f.rule,
                f.article,
                f.severity.label(),
                target,
                f.message
            );
        }
        println!("共 {} 项", found.len());
    }
    Ok(true)
}

pub async fn retention(app: &App, json: bool) -> Result<bool> {
    let list = app.retention_list().await?;
    if json {
        emit_json(&list)?;
    } else {
        for r in &list {
            let until = r
                .retain_until
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "永久/保全".into());
            let status = if r.status == "purge_review" {
                "  [待清除审核]"
            } else {
                ""
            };
            println!(
                "{}  {:<10} {:<10} {}{status}",
                &r.sha256[..12.min(r.sha256.len())],
                r.class,
                until,
                r.reason
            );
        }
    }
    Ok(true)
}

pub async fn subject(app: &App, cmd: SubjectCmd, json: bool) -> Result<bool> {
    let SubjectCmd::Show { code, name } = cmd;
    let v = app.subject_view(code.as_deref(), name.as_deref()).await?;
    if json {
        emit_json(&json!({
            "activities": v.activities,
            "recordings": v.recordings,
            "norecords": v.norecords,
            "interruptions": v.interruptions,
            "findings": v.findings.iter().map(finding_json).collect::<Vec<_>>(),
        }))?;
    } else {
        println!(
            "执法活动 {} 项，音像记录 {} 个，未记录工作记录 {} 份，中断说明 {} 份，问题 {} 项",
            v.activities.len(),
            v.recordings.len(),
            v.norecords.len(),
            v.interruptions.len(),
            v.findings.len()
        );
        for a in &v.activities {
            println!("  {} {} {} {}", a.id, a.kind, a.subject_name, a.place);
        }
        for f in &v.findings {
            println!("  [{}] {} {}", f.rule, f.article, f.message);
        }
    }
    Ok(true)
}

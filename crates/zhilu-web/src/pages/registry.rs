//! 设备台账 (R1–R2: devices, their status, who holds each now, their lifecycle), 使用台账 (R3–R4:
//! checkouts with the pre-use check and what was recorded, with its spreadsheet), 采集记录
//! (R16–R17: offload sessions at the stations), 当事人 (R19) and 保留与保全 (R20–R21).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use zhilu_app::compliance::{self, RetentionItem, RetentionStatus};
use zhilu_app::export::sheets::{self, Period, SheetKind};
use zhilu_app::registry::{self, UsageEntry};
use zhilu_app::{Action, offload};
use zhilu_model::{Checkout, Device, DeviceEvent, OffloadSession, Recording};
use zhilu_policy::engine::Finding;
use zhilu_policy::profile::RetentionClass;

use super::fmt::{bj, bj_opt, short, size};
use super::{PageError, Viewer, render};
use crate::state::AppState;

/// Officer id → "name（id）", for the tables.
async fn names(s: &AppState, v: &Viewer) -> Result<HashMap<String, String>, PageError> {
    Ok(registry::officers(&s.app, &v.actor)
        .await?
        .into_iter()
        .map(|o| (o.id.to_string(), o.name))
        .collect())
}

fn who(names: &HashMap<String, String>, id: &str) -> String {
    match names.get(id) {
        Some(n) => format!("{n}（{id}）"),
        None => id.to_string(),
    }
}

/// One device as the ledger lists it.
struct DeviceRow {
    serial: String,
    kind: String,
    model: String,
    asset_no: String,
    unit: String,
    keeper: String,
    status: String,
    holder: String,
    since: String,
    registered: String,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct Devices {
    v: Viewer,
    rows: Vec<DeviceRow>,
    out: usize,
}

fn device_row(d: &Device, open: Option<&Checkout>, names: &HashMap<String, String>) -> DeviceRow {
    DeviceRow {
        serial: d.serial.to_string(),
        kind: d.kind.label().to_string(),
        model: d.model.clone(),
        asset_no: d.asset_no.clone().unwrap_or_default(),
        unit: d.unit.clone(),
        keeper: who(names, &d.keeper),
        status: d.status.label().to_string(),
        holder: open
            .map(|c| who(names, c.officer.as_str()))
            .unwrap_or_default(),
        since: open.map(|c| bj(&c.out_at)).unwrap_or_default(),
        registered: bj(&d.registered_at),
    }
}

/// 设备台账: every device the viewer may see, its status and who holds it now.
pub async fn devices(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let devices = registry::devices(&s.app, &v.actor).await?;
    let open: Vec<Checkout> = registry::checkouts(&s.app, &v.actor)
        .await?
        .into_iter()
        .filter(|c| c.returned_at.is_none())
        .collect();
    let names = names(&s, &v).await?;
    let rows: Vec<DeviceRow> = devices
        .iter()
        .map(|d| {
            let holding = open.iter().rev().find(|c| c.device == d.serial);
            device_row(d, holding, &names)
        })
        .collect();
    let out = rows.iter().filter(|r| !r.holder.is_empty()).count();
    Ok(render(&Devices { v, rows, out }))
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    v: Viewer,
    d: DeviceRow,
    events: Vec<DeviceEvent>,
    usage: Vec<Vec<String>>,
    columns: [&'static str; USAGE_N],
    /// Its costs (R31), when the viewer may read them.
    costs: Option<Vec<zhilu_model::DeviceCost>>,
}

/// One device: its registration, lifecycle events (R2) and checkouts (R3).
pub async fn device(
    State(s): State<AppState>,
    v: Viewer,
    Path(serial): Path<String>,
) -> Result<Response, PageError> {
    let d = registry::device(&s.app, &v.actor, &serial).await?;
    let mut events = registry::events(&s.app, &v.actor, Some(d.serial.as_str())).await?;
    events.sort_by_key(|e| e.at);
    let checkouts = registry::checkouts(&s.app, &v.actor).await?;
    let open = checkouts
        .iter()
        .rev()
        .find(|c| c.device == d.serial && c.returned_at.is_none());
    let names = names(&s, &v).await?;
    let row = device_row(&d, open, &names);
    let mut usage: Vec<UsageEntry> = registry::usage(&s.app, &v.actor)
        .await?
        .into_iter()
        .filter(|u| u.checkout.device == d.serial)
        .collect();
    usage.reverse();
    let costs = if v.may(Action::ReadCosts) {
        match zhilu_app::supervision::costs::costs(&s.app, &v.actor, d.serial.as_str()).await {
            Ok(c) => Some(c),
            Err(zhilu_app::AppError::Forbidden { .. }) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    Ok(render(&DevicePage {
        v,
        d: row,
        events,
        usage: usage.iter().map(|u| usage_row(u, &names)).collect(),
        columns: USAGE_COLUMNS,
        costs,
    }))
}

const USAGE_N: usize = 12;

/// The usage ledger's columns on the page (the workbook's are
/// `zhilu_app::export::sheets::USAGE_COLUMNS`, in the same order).
pub const USAGE_COLUMNS: [&str; USAGE_N] = [
    "领用编号",
    "设备",
    "执法人员",
    "领用时间",
    "归还时间",
    "电量",
    "剩余空间",
    "时钟核对",
    "记录条数",
    "记录时长（分钟）",
    "归还时登记",
    "状态",
];

/// One checkout as the usage ledger's row.
fn usage_row(u: &UsageEntry, names: &HashMap<String, String>) -> Vec<String> {
    let c = &u.checkout;
    vec![
        c.id.to_string(),
        c.device.to_string(),
        who(names, c.officer.as_str()),
        bj(&c.out_at),
        bj_opt(&c.returned_at),
        c.battery_pct
            .map(|b| format!("{b}%"))
            .unwrap_or_else(|| "—".into()),
        c.free_gb
            .map(|g| format!("{g} GB"))
            .unwrap_or_else(|| "—".into()),
        if c.clock_ok { "已核对" } else { "未核对" }.to_string(),
        u.recordings.to_string(),
        u.recorded_minutes.to_string(),
        c.recorded_summary.clone().unwrap_or_default(),
        if c.returned_at.is_some() {
            "已归还"
        } else {
            "在用"
        }
        .to_string(),
    ]
}

async fn usage_rows(s: &AppState, v: &Viewer) -> Result<Vec<Vec<String>>, PageError> {
    let mut entries = registry::usage(&s.app, &v.actor).await?;
    entries.reverse();
    let names = names(s, v).await?;
    Ok(entries.iter().map(|u| usage_row(u, &names)).collect())
}

#[derive(Template)]
#[template(path = "usage.html")]
struct Usage {
    v: Viewer,
    columns: [&'static str; USAGE_N],
    rows: Vec<Vec<String>>,
}

/// 使用台账 (R3): every checkout, newest first, with its pre-use check and what was recorded.
pub async fn usage(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let rows = usage_rows(&s, &v).await?;
    Ok(render(&Usage {
        v,
        columns: USAGE_COLUMNS,
        rows,
    }))
}

/// The usage ledger as an xlsx workbook: the sheet `zhilu sheet usage` writes (the page's
/// checkouts in checkout order; numbers, times and yes/no as typed cells).
pub async fn usage_xlsx(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let sheet = sheets::usage(&s.app, &v.actor, Period::default()).await?;
    super::sheets::download(SheetKind::Usage, &sheet)
}

/// One offload session as the list shows it.
struct SessionRow {
    id: String,
    short_id: String,
    device: String,
    officer: String,
    station: String,
    started: String,
    finished: String,
    status: String,
    failed: bool,
    seen: u64,
    imported: u64,
    duplicates: u64,
    damaged: u64,
    skipped: u64,
    bytes: String,
    offset: String,
    cleared: &'static str,
    source: String,
}

fn session_row(x: &OffloadSession, names: &HashMap<String, String>) -> SessionRow {
    SessionRow {
        id: x.id.to_string(),
        short_id: short(x.id.as_str()).to_string(),
        device: x.device.to_string(),
        officer: who(names, x.officer.as_str()),
        station: x.station.to_string(),
        started: bj(&x.started_at),
        finished: bj_opt(&x.finished_at),
        status: x.status.label().to_string(),
        failed: !matches!(
            x.status,
            zhilu_model::SessionStatus::Finished | zhilu_model::SessionStatus::Running
        ),
        seen: x.files_seen,
        imported: x.imported,
        duplicates: x.duplicates,
        damaged: x.damaged,
        skipped: x.skipped,
        bytes: size(&x.bytes),
        offset: x
            .device_clock_offset_ms
            .map(offset)
            .unwrap_or_else(|| "未报告".into()),
        cleared: if x.device_cleared {
            "已清除"
        } else {
            "未清除"
        },
        source: x.source.clone(),
    }
}

/// A device clock offset for people: `+1.5 秒` (device ahead) or `-3 分 02 秒`.
fn offset(ms: i64) -> String {
    let sign = if ms < 0 { "−" } else { "+" };
    let a = ms.unsigned_abs();
    if a >= 60_000 {
        format!("{sign}{} 分 {:02} 秒", a / 60_000, (a % 60_000) / 1000)
    } else {
        format!("{sign}{}.{} 秒", a / 1000, (a % 1000) / 100)
    }
}

#[derive(Template)]
#[template(path = "offloads.html")]
struct Offloads {
    v: Viewer,
    rows: Vec<SessionRow>,
}

/// 采集记录 (R16–R17): every offload session the viewer may see, newest first.
pub async fn offloads(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let sessions = offload::sessions(&s.app, &v.actor).await?;
    let names = names(&s, &v).await?;
    let rows = sessions.iter().map(|x| session_row(x, &names)).collect();
    Ok(render(&Offloads { v, rows }))
}

/// One stored file of a session.
struct FileRow {
    sha: String,
    short: String,
    name: String,
    kind: String,
    size: String,
    capture: String,
    time_source: String,
    damaged: String,
}

#[derive(Template)]
#[template(path = "offload.html")]
struct OffloadPage {
    v: Viewer,
    x: SessionRow,
    /// Whether the viewer may read recordings (else the files are not listed).
    files_shown: bool,
    files: Vec<FileRow>,
    /// What became of every file found on the device.
    results: Vec<zhilu_app::offload::FileResult>,
    /// The deadline findings (R17) about this session's recordings; `None`: not the viewer's to
    /// read.
    late: Option<Vec<zhilu_app::compliance::Finding>>,
}

/// One offload session and the originals it stored.
pub async fn offload_session(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let x = offload::sessions(&s.app, &v.actor)
        .await?
        .into_iter()
        .find(|x| x.id.as_str() == id)
        .ok_or_else(|| PageError::Shown {
            status: axum::http::StatusCode::NOT_FOUND,
            message: format!("没有采集批次 {id}，或您无权查看"),
        })?;
    let files_shown = v.may(Action::ReadRecords);
    let files = if files_shown {
        offload::recordings(&s.app, &v.actor, Some(x.device.as_str()))
            .await?
            .into_iter()
            .filter(|r| r.session == x.id)
            .map(|r| file_row(&r))
            .collect()
    } else {
        Vec::new()
    };
    let results = offload::session_files(&s.app, &v.actor, &id).await?;
    let late = if v.may(Action::ReadFindings) {
        let mine: std::collections::HashSet<&str> =
            results.iter().filter_map(|r| r.sha256.as_deref()).collect();
        Some(
            zhilu_app::compliance::check(
                &s.app,
                &v.actor,
                &zhilu_app::compliance::CheckScope {
                    from: Some(x.started_at - chrono::Duration::days(31)),
                    to: Some(s.app.now().max(x.started_at) + chrono::Duration::seconds(1)),
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .filter(|f| f.rule == "R17" && f.recording.as_deref().is_some_and(|r| mine.contains(r)))
            .collect(),
        )
    } else {
        None
    };
    let names = names(&s, &v).await?;
    Ok(render(&OffloadPage {
        x: session_row(&x, &names),
        v,
        files_shown,
        files,
        results,
        late,
    }))
}

fn file_row(r: &Recording) -> FileRow {
    FileRow {
        sha: r.sha256.to_string(),
        short: short(r.sha256.as_str()).to_string(),
        name: r.original_path.clone(),
        kind: r.media_kind.label().to_string(),
        size: size(&r.size),
        capture: bj_opt(&r.capture_start),
        time_source: r.time_source.label().to_string(),
        damaged: if r.damaged {
            format!(
                "损坏：{}",
                r.damage_reason
                    .clone()
                    .unwrap_or_else(|| "原因未记录".into())
            )
        } else {
            String::new()
        },
    }
}

#[derive(Debug, Deserialize)]
pub struct SubjectQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

struct ActivityRow {
    id: String,
    kind: String,
    place: String,
    time: String,
    officers: String,
    case_no: String,
}

struct RecordingRow {
    short: String,
    kind: String,
    device: String,
    officer: String,
    capture: String,
    minutes: String,
}

/// A written record (未记录工作记录, 中断说明) of one of the activities.
struct WrittenRow {
    kind: &'static str,
    activity: String,
    reason: String,
    detail: String,
    at: String,
    by: String,
}

#[derive(Template)]
#[template(path = "subject.html")]
struct Subject {
    v: Viewer,
    code: String,
    name: String,
    /// A query was given (else only the search form).
    asked: bool,
    subject: String,
    activities: Vec<ActivityRow>,
    recordings: Vec<RecordingRow>,
    written: Vec<WrittenRow>,
    findings: Vec<Finding>,
}

/// 当事人 (一户式, R19): everything about one enforcement subject, by code or exact name.
pub async fn subject(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<SubjectQuery>,
) -> Result<Response, PageError> {
    let code = q.code.unwrap_or_default().trim().to_string();
    let name = q.name.unwrap_or_default().trim().to_string();
    if code.is_empty() && name.is_empty() {
        // The search form only: the use case decides once a subject is asked for.
        return Ok(render(&Subject {
            v,
            code,
            name,
            asked: false,
            subject: String::new(),
            activities: Vec::new(),
            recordings: Vec::new(),
            written: Vec::new(),
            findings: Vec::new(),
        }));
    }
    let view = compliance::subject(
        &s.app,
        &v.actor,
        Some(code.as_str()).filter(|c| !c.is_empty()),
        Some(name.as_str()).filter(|n| !n.is_empty()),
    )
    .await?;
    let names = names(&s, &v).await?;
    let subject = view
        .activities
        .first()
        .map(|a| {
            format!(
                "{}{}",
                a.subject_name,
                a.subject_code
                    .as_deref()
                    .map(|c| format!("（{c}）"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_else(|| {
            if code.is_empty() {
                name.clone()
            } else {
                code.clone()
            }
        });
    let profile = s.app.profile().await?;
    let activities = view
        .activities
        .iter()
        .map(|a| ActivityRow {
            id: a.id.to_string(),
            kind: profile
                .kind(&a.kind)
                .map(|k| k.situation.clone())
                .unwrap_or_else(|| a.kind.clone()),
            place: a.place.clone(),
            time: format!("{} 至 {}", bj(&a.start), bj(&a.end)),
            officers: a
                .officers
                .iter()
                .map(|o| who(&names, o.as_str()))
                .collect::<Vec<_>>()
                .join("、"),
            case_no: a.case_no.clone().unwrap_or_default(),
        })
        .collect();
    let recordings = view
        .recordings
        .iter()
        .map(|r| RecordingRow {
            short: short(r.sha256.as_str()).to_string(),
            kind: r.media_kind.label().to_string(),
            device: r.device.to_string(),
            officer: who(&names, r.officer.as_str()),
            capture: bj_opt(&r.capture_start),
            minutes: r
                .duration_ms
                .map(|d| format!("{:.1}", d as f64 / 60_000.0))
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    let mut written: Vec<WrittenRow> = view
        .norecords
        .iter()
        .map(|n| WrittenRow {
            kind: "未记录工作记录",
            activity: n.activity.to_string(),
            reason: profile
                .norecord_reason(&n.reason)
                .map(|r| r.label.clone())
                .unwrap_or_else(|_| n.reason.clone()),
            detail: n.basis.clone(),
            at: bj(&n.created_at),
            by: n.created_by.clone(),
        })
        .collect();
    written.extend(view.interruptions.iter().map(|i| {
        WrittenRow {
            kind: "中断说明",
            activity: i.activity.to_string(),
            reason: profile
                .interruption_reason(&i.reason)
                .map(|r| r.label.clone())
                .unwrap_or_else(|_| i.reason.clone()),
            detail: format!(
                "{}（{}）",
                i.detail,
                if i.voice_stated {
                    "已口头说明"
                } else {
                    "未口头说明"
                }
            ),
            at: bj(&i.created_at),
            by: i.created_by.clone(),
        }
    }));
    let mut findings = view.findings;
    findings.sort_by_key(|f| std::cmp::Reverse(f.at));
    Ok(render(&Subject {
        v,
        code,
        name,
        asked: true,
        subject,
        activities,
        recordings,
        written,
        findings,
    }))
}

struct RetentionRow {
    short: String,
    device: String,
    capture: String,
    class: String,
    until: String,
    reason: String,
    status: String,
    review: bool,
}

fn retention_row(r: &RetentionItem) -> RetentionRow {
    RetentionRow {
        short: short(r.sha256.as_str()).to_string(),
        device: r.device.to_string(),
        capture: bj_opt(&r.capture_start),
        class: r.class.label().to_string(),
        until: r
            .retain_until
            .as_ref()
            .map(bj)
            .unwrap_or_else(|| "不定期（须人工决定）".into()),
        reason: r.reason.clone(),
        status: r.status.label().to_string(),
        review: r.status == RetentionStatus::PurgeReview,
    }
}

#[derive(Template)]
#[template(path = "retention.html")]
struct Retention {
    v: Viewer,
    holds: Vec<RetentionRow>,
    review: Vec<RetentionRow>,
    all: Vec<RetentionRow>,
}

/// 保留与保全 (R20–R21): each recording's retention class and date, the holds, and what waits
/// for the purge review (nothing is deleted automatically).
pub async fn retention(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let items = compliance::retention(&s.app, &v.actor).await?;
    let holds = items
        .iter()
        .filter(|r| r.class == RetentionClass::Hold)
        .map(retention_row)
        .collect();
    let review = items
        .iter()
        .filter(|r| r.status == RetentionStatus::PurgeReview)
        .map(retention_row)
        .collect();
    let all = items.iter().map(retention_row).collect();
    Ok(render(&Retention {
        v,
        holds,
        review,
        all,
    }))
}

//! The daily records: devices and their history, checkouts, people, activities, recordings,
//! written records, findings, one subject's records (R19), retention. Each handler calls one use
//! case with the session's actor; what the actor may see is decided there (scopes, clearances).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use zhilu_app::compliance::{self, CheckScope, Finding, RetentionItem, SubjectView};
use zhilu_app::records::{self, NewActivity};
use zhilu_app::registry::{self, NewCheckout, UsageEntry};
use zhilu_app::{access, offload, parse_instant};
use zhilu_model::{
    Activity, Approval, Checkout, Device, DeviceEvent, Extension, Interruption, Link, NoRecord,
    Officer, Recording,
};

use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

type Answer<T> = Result<Json<T>, ApiError>;

pub async fn devices(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Device>> {
    Ok(Json(registry::devices(&s.app, &me.actor).await?))
}

pub async fn device(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(serial): Path<String>,
) -> Answer<Device> {
    Ok(Json(registry::device(&s.app, &me.actor, &serial).await?))
}

pub async fn device_events(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(serial): Path<String>,
) -> Answer<Vec<DeviceEvent>> {
    Ok(Json(
        registry::events(&s.app, &me.actor, Some(&serial)).await?,
    ))
}

pub async fn checkouts(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Checkout>> {
    Ok(Json(registry::checkouts(&s.app, &me.actor).await?))
}

pub async fn usage(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<UsageEntry>> {
    Ok(Json(registry::usage(&s.app, &me.actor).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    pub device: String,
    pub officer: String,
    #[serde(default)]
    pub battery_pct: Option<i64>,
    #[serde(default)]
    pub free_gb: Option<i64>,
    #[serde(default)]
    pub clock_ok: bool,
}

pub async fn checkout(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<CheckoutBody>,
) -> Result<(StatusCode, Json<Checkout>), ApiError> {
    let c = registry::checkout(
        &s.app,
        &me.actor,
        NewCheckout {
            device: b.device,
            officer: b.officer,
            battery_pct: b.battery_pct,
            free_gb: b.free_gb,
            clock_ok: b.clock_ok,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

pub async fn return_device(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(serial): Path<String>,
) -> Answer<Checkout> {
    Ok(Json(
        registry::return_device(&s.app, &me.actor, &serial).await?,
    ))
}

pub async fn officers(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Officer>> {
    Ok(Json(registry::officers(&s.app, &me.actor).await?))
}

pub async fn activities(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Activity>> {
    Ok(Json(records::activities(&s.app, &me.actor).await?))
}

pub async fn activity(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Answer<Activity> {
    Ok(Json(records::activity(&s.app, &me.actor, &id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityBody {
    pub kind: String,
    pub subject_name: String,
    #[serde(default)]
    pub subject_code: Option<String>,
    pub place: String,
    pub officers: Vec<String>,
    /// RFC 3339.
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub case_no: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
}

fn instant(field: zhilu_app::Field, s: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    Ok(parse_instant(field, s)?)
}

pub async fn add_activity(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<ActivityBody>,
) -> Result<(StatusCode, Json<Activity>), ApiError> {
    let (a, _) = records::add_activity(
        &s.app,
        &me.actor,
        NewActivity {
            kind: b.kind,
            subject_name: b.subject_name,
            subject_code: b.subject_code,
            place: b.place,
            officers: b.officers,
            start: instant(zhilu_app::Field::Start, &b.start)?,
            end: instant(zhilu_app::Field::End, &b.end)?,
            case_no: b.case_no,
            flags: b.flags,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    pub recording: String,
    pub activity: String,
}

pub async fn link(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<LinkBody>,
) -> Result<(StatusCode, Json<Link>), ApiError> {
    let l = records::link(&s.app, &me.actor, &b.recording, &b.activity).await?;
    Ok((StatusCode::CREATED, Json(l)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoRecordBody {
    pub activity: String,
    pub reason: String,
    pub basis: String,
}

pub async fn add_norecord(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<NoRecordBody>,
) -> Result<(StatusCode, Json<NoRecord>), ApiError> {
    let r = records::add_norecord(&s.app, &me.actor, &b.activity, &b.reason, &b.basis).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptionBody {
    pub activity: String,
    /// The recording after which it was interrupted.
    pub after: String,
    pub reason: String,
    #[serde(default)]
    pub voice_stated: bool,
}

pub async fn add_interruption(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<InterruptionBody>,
) -> Result<(StatusCode, Json<Interruption>), ApiError> {
    let r = records::add_interruption(
        &s.app,
        &me.actor,
        &b.activity,
        &b.after,
        &b.reason,
        b.voice_stated,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    pub activity: String,
    pub reason: String,
}

pub async fn request_extension(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<ExtensionBody>,
) -> Result<(StatusCode, Json<Extension>), ApiError> {
    let r = records::request_extension(&s.app, &me.actor, &b.activity, &b.reason).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingsQuery {
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub officer: Option<String>,
}

/// Recordings the actor may see, by device and/or officer.
pub async fn recordings(
    State(s): State<AppState>,
    me: CurrentActor,
    Query(q): Query<RecordingsQuery>,
) -> Answer<Vec<Recording>> {
    let mut all = offload::recordings(&s.app, &me.actor, q.device.as_deref()).await?;
    if let Some(o) = q.officer.as_deref() {
        all.retain(|r| r.officer.as_str() == o);
    }
    Ok(Json(all))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingsQuery {
    /// RFC 3339.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub officer: Option<String>,
}

/// Findings for a period, a unit or an officer (narrowed to what the actor may see).
pub async fn findings(
    State(s): State<AppState>,
    me: CurrentActor,
    Query(q): Query<FindingsQuery>,
) -> Answer<Vec<Finding>> {
    let scope = CheckScope {
        from: q
            .from
            .as_deref()
            .map(|f| instant(zhilu_app::Field::Start, f))
            .transpose()?,
        to: q
            .to
            .as_deref()
            .map(|t| instant(zhilu_app::Field::End, t))
            .transpose()?,
        unit: q.unit,
        officer: q.officer,
    };
    Ok(Json(compliance::check(&s.app, &me.actor, &scope).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectQuery {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Everything recorded about one party (R19).
pub async fn subject(
    State(s): State<AppState>,
    me: CurrentActor,
    Query(q): Query<SubjectQuery>,
) -> Answer<SubjectView> {
    Ok(Json(
        compliance::subject(&s.app, &me.actor, q.code.as_deref(), q.name.as_deref()).await?,
    ))
}

pub async fn retention(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<RetentionItem>> {
    Ok(Json(compliance::retention(&s.app, &me.actor).await?))
}

pub async fn offload_sessions(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Answer<Vec<zhilu_model::OffloadSession>> {
    Ok(Json(offload::sessions(&s.app, &me.actor).await?))
}

pub async fn pending(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Approval>> {
    Ok(Json(access::pending(&s.app, &me.actor).await?))
}

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
    Activity, Approval, Checkout, Device, DeviceEvent, Extension, Hold, Interruption, Link,
    NoRecord, Officer, Recording,
};

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

type Answer<T> = Result<Json<T>, ApiError>;

#[utoipa::path(
    get,
    path = "/api/v1/devices",
    tag = "设备",
    summary = "设备列表",
    responses((status = 200, description = "成功", body = Vec<Device>), openapi::ReadErrors)
)]
pub async fn devices(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Device>> {
    Ok(Json(registry::devices(&s.app, &me.actor).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/devices/{serial}",
    tag = "设备",
    summary = "设备信息",
    params(("serial" = String, Path, description = "设备编号")),
    responses((status = 200, description = "成功", body = Device), openapi::LookupErrors)
)]
pub async fn device(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(serial): Path<String>,
) -> Answer<Device> {
    Ok(Json(registry::device(&s.app, &me.actor, &serial).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/devices/{serial}/events",
    tag = "设备",
    summary = "设备履历",
    params(("serial" = String, Path, description = "设备编号")),
    responses((status = 200, description = "成功", body = Vec<DeviceEvent>), openapi::LookupErrors)
)]
pub async fn device_events(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(serial): Path<String>,
) -> Answer<Vec<DeviceEvent>> {
    Ok(Json(
        registry::events(&s.app, &me.actor, Some(&serial)).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/checkouts",
    tag = "设备",
    summary = "领用记录",
    responses((status = 200, description = "成功", body = Vec<Checkout>), openapi::ReadErrors)
)]
pub async fn checkouts(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Checkout>> {
    Ok(Json(registry::checkouts(&s.app, &me.actor).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/usage",
    tag = "设备",
    summary = "使用台账",
    responses((status = 200, description = "成功", body = Vec<UsageEntry>), openapi::ReadErrors)
)]
pub async fn usage(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<UsageEntry>> {
    Ok(Json(registry::usage(&s.app, &me.actor).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

#[utoipa::path(
    post,
    path = "/api/v1/checkouts",
    tag = "设备",
    summary = "领用设备（含使用前检查）",
    request_body = CheckoutBody,
    responses((status = 201, description = "已登记", body = Checkout), openapi::WriteErrors)
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/devices/{serial}/return",
    tag = "设备",
    summary = "归还设备",
    params(("serial" = String, Path, description = "设备编号")),
    responses((status = 200, description = "成功", body = Checkout), openapi::WriteErrors)
)]
pub async fn return_device(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(serial): Path<String>,
) -> Answer<Checkout> {
    Ok(Json(
        registry::return_device(&s.app, &me.actor, &serial).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/officers",
    tag = "人员",
    summary = "人员名册",
    responses((status = 200, description = "成功", body = Vec<Officer>), openapi::ReadErrors)
)]
pub async fn officers(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Officer>> {
    Ok(Json(registry::officers(&s.app, &me.actor).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/activities",
    tag = "执法记录",
    summary = "执法活动列表",
    responses((status = 200, description = "成功", body = Vec<Activity>), openapi::ReadErrors)
)]
pub async fn activities(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Activity>> {
    Ok(Json(records::activities(&s.app, &me.actor).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/activities/{id}",
    tag = "执法记录",
    summary = "执法活动详情",
    params(("id" = String, Path, description = "执法活动编号，如 A20261120-001")),
    responses((status = 200, description = "成功", body = Activity), openapi::LookupErrors)
)]
pub async fn activity(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Answer<Activity> {
    Ok(Json(records::activity(&s.app, &me.actor, &id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

#[utoipa::path(
    post,
    path = "/api/v1/activities",
    tag = "执法记录",
    summary = "登记执法活动",
    request_body = ActivityBody,
    responses((status = 201, description = "已登记", body = Activity), openapi::WriteErrors)
)]
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    pub recording: String,
    pub activity: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/links",
    tag = "执法记录",
    summary = "关联音像记录与执法活动",
    request_body = LinkBody,
    responses((status = 201, description = "已登记", body = Link), openapi::WriteErrors)
)]
pub async fn link(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<LinkBody>,
) -> Result<(StatusCode, Json<Link>), ApiError> {
    let l = records::link(&s.app, &me.actor, &b.recording, &b.activity).await?;
    Ok((StatusCode::CREATED, Json(l)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoRecordBody {
    pub activity: String,
    pub reason: String,
    pub basis: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/norecords",
    tag = "执法记录",
    summary = "登记未记录工作记录",
    request_body = NoRecordBody,
    responses((status = 201, description = "已登记", body = NoRecord), openapi::WriteErrors)
)]
pub async fn add_norecord(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<NoRecordBody>,
) -> Result<(StatusCode, Json<NoRecord>), ApiError> {
    let r = records::add_norecord(&s.app, &me.actor, &b.activity, &b.reason, &b.basis).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterruptionBody {
    pub activity: String,
    /// The recording after which it was interrupted.
    pub after: String,
    pub reason: String,
    #[serde(default)]
    pub voice_stated: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/interruptions",
    tag = "执法记录",
    summary = "登记中断说明",
    request_body = InterruptionBody,
    responses((status = 201, description = "已登记", body = Interruption), openapi::WriteErrors)
)]
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    pub activity: String,
    pub reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/extensions",
    tag = "执法记录",
    summary = "申请延期导出",
    request_body = ExtensionBody,
    responses((status = 201, description = "已登记", body = Extension), openapi::RuledWriteErrors)
)]
pub async fn request_extension(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<ExtensionBody>,
) -> Result<(StatusCode, Json<Extension>), ApiError> {
    let r = records::request_extension(&s.app, &me.actor, &b.activity, &b.reason).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// The recording's SHA-256, or a unique prefix of at least 8 hex digits.
    pub recording: String,
    pub reason: String,
}

/// Places a legal hold on a recording (R20): it cannot expire until released.
#[utoipa::path(
    post,
    path = "/api/v1/holds",
    tag = "执法记录",
    summary = "设置保全（保全期间不到期）",
    request_body = HoldBody,
    responses((status = 201, description = "已登记", body = Hold), openapi::WriteErrors)
)]
pub async fn place_hold(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<HoldBody>,
) -> Result<(StatusCode, Json<Hold>), ApiError> {
    let h = records::place_hold(&s.app, &me.actor, &b.recording, &b.reason).await?;
    Ok((StatusCode::CREATED, Json(h)))
}

/// Releases a hold (once).
#[utoipa::path(
    post,
    path = "/api/v1/holds/{id}/release",
    tag = "执法记录",
    summary = "解除保全",
    params(("id" = String, Path, description = "保全编号，如 H00001")),
    responses((status = 200, description = "成功", body = Hold), openapi::WriteErrors)
)]
pub async fn release_hold(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Answer<Hold> {
    Ok(Json(records::release_hold(&s.app, &me.actor, &id).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordingsQuery {
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub officer: Option<String>,
}

/// Recordings the actor may see, by device and/or officer.
#[utoipa::path(
    get,
    path = "/api/v1/recordings",
    tag = "音像记录",
    summary = "音像记录列表（按设备、执法人员）",
    params(RecordingsQuery),
    responses((status = 200, description = "成功", body = Vec<Recording>), openapi::LookupErrors)
)]
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

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
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
#[utoipa::path(
    get,
    path = "/api/v1/findings",
    tag = "检查",
    summary = "检查发现的问题（按期间、单位、执法人员）",
    params(FindingsQuery),
    responses((status = 200, description = "成功", body = Vec<Finding>), openapi::LookupErrors)
)]
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

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubjectQuery {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Everything recorded about one party (R19).
#[utoipa::path(
    get,
    path = "/api/v1/subject",
    tag = "检查",
    summary = "当事人的全部记录",
    params(SubjectQuery),
    responses((status = 200, description = "成功", body = SubjectView), openapi::LookupErrors)
)]
pub async fn subject(
    State(s): State<AppState>,
    me: CurrentActor,
    Query(q): Query<SubjectQuery>,
) -> Answer<SubjectView> {
    Ok(Json(
        compliance::subject(&s.app, &me.actor, q.code.as_deref(), q.name.as_deref()).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/retention",
    tag = "检查",
    summary = "保存期限",
    responses((status = 200, description = "成功", body = Vec<RetentionItem>), openapi::ReadErrors)
)]
pub async fn retention(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<RetentionItem>> {
    Ok(Json(compliance::retention(&s.app, &me.actor).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/offload-sessions",
    tag = "音像记录",
    summary = "导入批次列表",
    responses((status = 200, description = "成功", body = Vec<zhilu_model::OffloadSession>), openapi::ReadErrors)
)]
pub async fn offload_sessions(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Answer<Vec<zhilu_model::OffloadSession>> {
    Ok(Json(offload::sessions(&s.app, &me.actor).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/offload-sessions/{id}/files",
    tag = "音像记录",
    summary = "导入批次逐个文件的结果（已入库、重复、损坏、未导入及原因）",
    params(("id" = String, Path, description = "导入批次编号")),
    responses((status = 200, description = "成功", body = Vec<offload::FileResult>), openapi::LookupErrors)
)]
pub async fn offload_session_files(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Answer<Vec<offload::FileResult>> {
    Ok(Json(offload::session_files(&s.app, &me.actor, &id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/approvals/pending",
    tag = "审批",
    summary = "全部待审批事项",
    responses((status = 200, description = "成功", body = Vec<Approval>), openapi::ReadErrors)
)]
pub async fn pending(State(s): State<AppState>, me: CurrentActor) -> Answer<Vec<Approval>> {
    Ok(Json(access::pending(&s.app, &me.actor).await?))
}

//! Access requests, approvals, grants, the register and confidentiality classes (R23, R25).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use zhilu_app::access::{self, AccessAsk, ApprovalOutcome, Classified, GrantView, RegisterEntry};
use zhilu_model::{AccessRequest, Approval, Grant, Secrecy};

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    #[serde(default)]
    pub recordings: Vec<String>,
    #[serde(default)]
    pub activity: Option<String>,
    /// `view`, `copy` or `provide`.
    #[serde(default)]
    pub kind: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub days: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/api/v1/access-requests",
    tag = "调阅",
    summary = "申请调阅音像记录",
    request_body = RequestBody,
    responses((status = 201, description = "已登记", body = AccessRequest), openapi::WriteErrors)
)]
pub async fn request(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<RequestBody>,
) -> Result<(StatusCode, Json<AccessRequest>), ApiError> {
    let r = access::request_access(
        &s.app,
        &me.actor,
        AccessAsk {
            recordings: b.recordings,
            activity: b.activity,
            kind: b.kind,
            reason: b.reason,
            days: b.days,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(
    get,
    path = "/api/v1/approvals/inbox",
    tag = "审批",
    summary = "待我审批的事项",
    responses((status = 200, description = "成功", body = Vec<Approval>), openapi::ReadErrors)
)]
pub async fn inbox(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<Approval>>, ApiError> {
    Ok(Json(access::inbox(&s.app, &me.actor).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    pub comment: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/approvals/{id}/approve",
    tag = "审批",
    summary = "审批通过",
    params(("id" = String, Path, description = "调阅申请或书面记录的编号，如 AR00001")),
    request_body(content = Option<DecisionBody>, description = "可省略；或 {\"comment\": …}"),
    responses((status = 200, description = "审批后的状态；最后一级通过时生成调阅授权", body = ApprovalOutcome), openapi::RuledWriteErrors)
)]
pub async fn approve(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<ApprovalOutcome>, ApiError> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large()
        } else {
            ApiError::bad_request(format!("无法读取请求内容：{}", r.body_text()))
        }
    })?;
    // The body is optional: none, or `{"comment": …}`.
    let comment = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<DecisionBody>(&body)
            .map_err(|e| ApiError::bad_request(format!("请求内容不是有效的 JSON：{e}")))?
            .comment
    };
    Ok(Json(
        access::approve(&s.app, &me.actor, &id, comment.as_deref()).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    pub comment: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/approvals/{id}/reject",
    tag = "审批",
    summary = "驳回",
    params(("id" = String, Path, description = "调阅申请或书面记录的编号，如 AR00001")),
    request_body = RejectBody,
    responses((status = 200, description = "成功", body = ApprovalOutcome), openapi::RuledWriteErrors)
)]
pub async fn reject(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RejectBody>,
) -> Result<Json<ApprovalOutcome>, ApiError> {
    Ok(Json(
        access::reject(&s.app, &me.actor, &id, &b.comment).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/grants",
    tag = "调阅",
    summary = "我的调阅授权",
    responses((status = 200, description = "成功", body = Vec<GrantView>), openapi::ReadErrors)
)]
pub async fn grants(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(access::my_grants(&s.app, &me.actor).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/grants/{id}/revoke",
    tag = "调阅",
    summary = "撤销调阅授权",
    params(("id" = String, Path, description = "调阅授权编号")),
    responses((status = 200, description = "成功", body = Grant), openapi::WriteErrors)
)]
pub async fn revoke(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<Grant>, ApiError> {
    Ok(Json(access::revoke(&s.app, &me.actor, &id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/register",
    tag = "调阅",
    summary = "调阅登记簿",
    responses((status = 200, description = "成功", body = Vec<RegisterEntry>), openapi::ReadErrors)
)]
pub async fn register(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<RegisterEntry>>, ApiError> {
    Ok(Json(access::register(&s.app, &me.actor).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyBody {
    /// `recording:<sha256>`, `activity:<id>` or as `Item::parse` reads it.
    pub item: String,
    /// A class (国家秘密 or state_secret), or null to lift it.
    pub secrecy: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/classifications",
    tag = "调阅",
    summary = "设置或解除密级",
    request_body = ClassifyBody,
    responses((status = 200, description = "成功", body = Classified), openapi::WriteErrors)
)]
pub async fn classify(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<ClassifyBody>,
) -> Result<Json<Classified>, ApiError> {
    let secrecy = b
        .secrecy
        .as_deref()
        .map(Secrecy::parse_input)
        .transpose()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid", format!("密级无效：{e}")))?;
    Ok(Json(
        access::classify(&s.app, &me.actor, &b.item, secrecy).await?,
    ))
}

//! Access requests, approvals, grants, the register and confidentiality classes (R23, R25).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use zhilu_app::access::{self, AccessAsk, ApprovalOutcome, Classified, GrantView, RegisterEntry};
use zhilu_model::{AccessRequest, Approval, Grant, Secrecy};

use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
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

pub async fn inbox(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<Approval>>, ApiError> {
    Ok(Json(access::inbox(&s.app, &me.actor).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    pub comment: Option<String>,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    pub comment: String,
}

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

pub async fn grants(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(access::my_grants(&s.app, &me.actor).await?))
}

pub async fn revoke(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<Grant>, ApiError> {
    Ok(Json(access::revoke(&s.app, &me.actor, &id).await?))
}

pub async fn register(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<RegisterEntry>>, ApiError> {
    Ok(Json(access::register(&s.app, &me.actor).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyBody {
    /// `recording:<sha256>`, `activity:<id>` or as `Item::parse` reads it.
    pub item: String,
    /// A class (国家秘密 or state_secret), or null to lift it.
    pub secrecy: Option<String>,
}

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

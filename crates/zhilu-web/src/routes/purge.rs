//! Approved purge of expired recordings (R20): requests, their execution, the list.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use zhilu_app::records::purge::{self, PurgeAsk, PurgeOutcome, PurgeView};
use zhilu_model::PurgeRequest;

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurgeBody {
    /// Recordings by SHA-256 (or a unique prefix of at least 8 hex digits).
    #[serde(default)]
    pub items: Vec<String>,
    /// Also every recording in the purge review the actor may see.
    #[serde(default)]
    pub expired: bool,
    pub reason: String,
}

#[utoipa::path(
    post,
    operation_id = "request_purge",
    path = "/api/v1/purge-requests",
    tag = "清除",
    summary = "申请清除保存期限已到的音像记录",
    request_body = PurgeBody,
    responses((status = 201, description = "已登记，等待审批", body = PurgeRequest), openapi::WriteErrors)
)]
pub async fn request(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<PurgeBody>,
) -> Result<(StatusCode, Json<PurgeRequest>), ApiError> {
    let r = purge::request_purge(
        &s.app,
        &me.actor,
        PurgeAsk {
            recordings: b.items,
            expired: b.expired,
            reason: b.reason,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(
    get,
    operation_id = "list_purge_requests",
    path = "/api/v1/purge-requests",
    tag = "清除",
    summary = "全部清除申请及其审批状态",
    responses((status = 200, description = "成功", body = Vec<PurgeView>), openapi::ReadErrors)
)]
pub async fn list(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<PurgeView>>, ApiError> {
    Ok(Json(purge::purge_requests(&s.app, &me.actor).await?))
}

#[utoipa::path(
    post,
    operation_id = "execute_purge",
    path = "/api/v1/purge-requests/{id}/execute",
    tag = "清除",
    summary = "执行已审批通过的清除申请：留下清除记录后删除原始文件",
    params(("id" = String, Path, description = "清除申请编号")),
    responses((status = 200, description = "已清除", body = PurgeOutcome), openapi::WriteErrors)
)]
pub async fn execute(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<PurgeOutcome>, ApiError> {
    Ok(Json(purge::execute_purge(&s.app, &me.actor, &id).await?))
}

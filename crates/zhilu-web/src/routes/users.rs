//! Users: listing, registering, disabling, passwords, roles and clearances (三员分立 is the
//! app's rule).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use zhilu_app::identity::{self, NewUser, UserView};
use zhilu_model::Secrecy;

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "用户",
    summary = "用户列表",
    responses((status = 200, description = "成功", body = Vec<UserView>), openapi::ReadErrors)
)]
pub async fn list(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<UserView>>, ApiError> {
    Ok(Json(identity::list_users(&s.app, &me.actor).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub certificate: Option<String>,
    #[serde(default)]
    pub certificate_from: Option<NaiveDate>,
    #[serde(default)]
    pub certificate_to: Option<NaiveDate>,
    #[serde(default)]
    pub password: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "用户",
    summary = "登记用户",
    request_body = AddBody,
    responses((status = 201, description = "已登记", body = UserView), openapi::WriteErrors)
)]
pub async fn add(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<AddBody>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let v = identity::add_user(
        &s.app,
        &me.actor,
        NewUser {
            id: b.id,
            name: b.name,
            unit: b.unit,
            roles: b.roles,
            clearances: Vec::new(),
            certificate: b.certificate,
            certificate_from: b.certificate_from,
            certificate_to: b.certificate_to,
            password: b.password,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/disable",
    tag = "用户",
    summary = "停用用户",
    params(("id" = String, Path, description = "用户编号（工号）")),
    responses((status = 200, description = "成功", body = UserView), openapi::WriteErrors)
)]
pub async fn disable(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        identity::set_disabled(&s.app, &me.actor, &id, true).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/enable",
    tag = "用户",
    summary = "启用用户",
    params(("id" = String, Path, description = "用户编号（工号）")),
    responses((status = 200, description = "成功", body = UserView), openapi::WriteErrors)
)]
pub async fn enable(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        identity::set_disabled(&s.app, &me.actor, &id, false).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    pub password: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/password",
    tag = "用户",
    summary = "重置用户密码",
    params(("id" = String, Path, description = "用户编号（工号）")),
    request_body = ResetBody,
    responses((status = 204, description = "已重置；用户下次登录须修改"), openapi::WriteErrors)
)]
pub async fn reset_password(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ResetBody>,
) -> Result<StatusCode, ApiError> {
    identity::reset_password(&s.app, &me.actor, &id, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    pub roles: Vec<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/users/{id}/roles",
    tag = "用户",
    summary = "设置角色",
    params(("id" = String, Path, description = "用户编号（工号）")),
    request_body = RolesBody,
    responses((status = 200, description = "成功", body = UserView), openapi::WriteErrors)
)]
pub async fn set_roles(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RolesBody>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        identity::set_roles(&s.app, &me.actor, &id, &b.roles).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClearancesBody {
    /// Chinese names (国家秘密) or codes (state_secret).
    pub clearances: Vec<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/users/{id}/clearances",
    tag = "用户",
    summary = "设置密级授权",
    params(("id" = String, Path, description = "用户编号（工号）")),
    request_body = ClearancesBody,
    responses((status = 200, description = "成功", body = UserView), openapi::WriteErrors)
)]
pub async fn set_clearances(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ClearancesBody>,
) -> Result<Json<UserView>, ApiError> {
    let set = b
        .clearances
        .iter()
        .map(|c| Secrecy::parse_input(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                format!("密级授权无效：{e}"),
            )
        })?;
    Ok(Json(
        identity::set_clearances(&s.app, &me.actor, &id, set).await?,
    ))
}

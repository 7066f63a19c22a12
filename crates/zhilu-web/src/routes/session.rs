//! Logging in and out, who am I, changing one's password.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use zhilu_app::identity;
use zhilu_model::Secrecy;

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::{CSRF_KEY, CurrentActor};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub user: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginAnswer {
    pub user: String,
    pub roles: Vec<String>,
    pub must_change_password: bool,
    pub csrf_token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "会话",
    summary = "登录（返回防伪令牌）",
    request_body = LoginBody,
    responses((status = 200, description = "已登录；会话 Cookie 随回答设置", body = LoginAnswer), openapi::LoginErrors)
)]
pub async fn login(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<LoginAnswer>, ApiError> {
    let done = identity::login(&s.app, &body.user, &body.password, &peer.ip().to_string()).await?;
    let user = done
        .actor
        .person_id()
        .cloned()
        .ok_or_else(ApiError::not_authenticated)?;
    let csrf_token = crate::session::begin(&s.app, &session, &user).await?;
    Ok(Json(LoginAnswer {
        user: user.to_string(),
        roles: done.actor.roles().to_vec(),
        must_change_password: done.must_change_password,
        csrf_token,
    }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "会话",
    summary = "退出登录",
    responses((status = 204, description = "已退出"), openapi::WriteErrors)
)]
pub async fn logout(State(s): State<AppState>, me: CurrentActor) -> Result<StatusCode, ApiError> {
    identity::logout(&s.app, &me.actor).await?;
    me.session
        .flush()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhoAmI {
    pub user: String,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub roles: Vec<String>,
    pub clearances: Vec<Secrecy>,
    pub csrf_token: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "会话",
    summary = "当前用户",
    responses((status = 200, description = "成功", body = WhoAmI), openapi::ReadErrors)
)]
pub async fn whoami(State(s): State<AppState>, me: CurrentActor) -> Result<Json<WhoAmI>, ApiError> {
    let user = me
        .actor
        .person_id()
        .map(ToString::to_string)
        .unwrap_or_default();
    let name = identity::user(&s.app, &me.actor, &user)
        .await
        .ok()
        .map(|u| u.name);
    let csrf_token = me
        .session
        .get::<String>(CSRF_KEY)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(WhoAmI {
        user,
        name,
        unit: me.actor.unit().map(str::to_string),
        roles: me.actor.roles().to_vec(),
        clearances: me.actor.clearances().to_vec(),
        csrf_token,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current: String,
    pub new: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/session/password",
    tag = "会话",
    summary = "修改本人密码",
    request_body = PasswordBody,
    responses((status = 204, description = "已修改"), openapi::WriteErrors)
)]
pub async fn change_password(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    identity::change_password(&s.app, &me.actor, &body.current, &body.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Networked collection stations' resumable uploads (断点续传; R16, R26). A station
//! authenticates with its bearer token (`Authorization: Bearer zst_<station>_<secret>`), never
//! with a session; these routes accept nothing else, and no other route accepts a station.
//!
//! The protocol (a small tus-like one):
//! 1. `POST /api/v1/uploads` declares the file (device, officer, device path, size, SHA-256,
//!    SM3). 201 `{id, offset, …}` opens an upload; 200 with the same body resumes the one the
//!    station already has open for this content (send from `offset`); 200
//!    `{stored, verified_in_every_root, sha256, outcome: "already_stored"}` says the vault holds
//!    it already (nothing to send).
//! 2. `GET` (or `HEAD`) `/api/v1/uploads/{id}` answers the bytes durably received in
//!    `Upload-Offset` (and the JSON body).
//! 3. `PATCH /api/v1/uploads/{id}` with `Upload-Offset: N` and up to 16 MiB of bytes: accepted
//!    only at the offset the platform holds (else 409 with the right `Upload-Offset`), never
//!    past the declared size (413); fsynced before the answer, 204 with the new `Upload-Offset`.
//! 4. `POST /api/v1/uploads/{id}/complete`: the platform hashes the whole file again; a mismatch
//!    is 409 (the received bytes are discarded, nothing is recorded: declare the file again); a
//!    match is stored through the offload pipeline and answered `{stored,
//!    verified_in_every_root, sha256, outcome}`. Repeated, it answers the same.
//!
//! An upload not moved for a week (`uploads::ABANDONED_AFTER_DAYS`, real clock) is swept by the
//! server's housekeeping or `zhilu station sweep`: `GET`/`HEAD`/`PATCH` on it then answer 410
//! (`upload_abandoned`, in Chinese); declaring the file again starts a new upload from 0.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::Serialize;
use zhilu_app::station::uploads::{
    self, CHUNK_MAX, Completed, Created, NewUpload, NotTaken, UploadView,
};
use zhilu_app::{Actor, AppError};

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

/// Where the station routes live (their security is the station's bearer credential).
pub const PATH_PREFIX: &str = "/api/v1/uploads";

/// The header carrying an offset, both ways.
pub const UPLOAD_OFFSET: &str = "upload-offset";

/// The station presenting a registered, unrevoked bearer token. 401 otherwise, in Chinese.
#[derive(Debug, Clone)]
pub struct StationActor(pub Actor);

fn refused() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "station_unauthenticated",
        "采集站凭据无效或已被吊销：请向系统管理员确认本站的凭据",
    )
}

impl FromRequestParts<AppState> for StationActor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let challenge = |e: ApiError| {
            let mut r = e.into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            r
        };
        let Some(token) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return Err(challenge(refused()));
        };
        match zhilu_app::station::authenticate(&state.app, token).await {
            Ok(actor) => Ok(StationActor(actor)),
            Err(AppError::NotAuthenticated) => Err(challenge(refused())),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// An upload as answered, with whether it was resumed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadAnswer {
    #[serde(flatten)]
    pub upload: UploadView,
    /// The station already had this upload open: send from `offset`.
    pub resumed: bool,
}

/// 410: the upload was swept as abandoned (declare the file again, from 0).
fn abandoned(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "upload_abandoned",
        uploads::abandoned_message(id),
    )
}

fn offset_headers(offset: u64, size: Option<u64>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    if let Some(size) = size {
        h.insert("upload-length", HeaderValue::from(size));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h
}

/// Declares a file a station is about to send.
#[utoipa::path(
    post,
    path = "/api/v1/uploads",
    operation_id = "create_upload",
    tag = "采集站",
    summary = "采集站申报待上传的文件（断点续传第 1 步）",
    description = "以采集站凭据（Authorization: Bearer zst_…）调用。201：新开一个上传，从 offset 发送；\
                   200 且有 id：本站已有同一内容的未完成上传，从 offset 续传；\
                   200 且 outcome 为 already_stored：证据库已有该文件，无需发送。",
    request_body = NewUpload,
    responses(
        (status = 201, description = "已新开上传", body = UploadAnswer),
        (status = 200, description = "续传已有上传（UploadAnswer），或证据库已有该文件（Completed）", body = Completed),
        openapi::UploadErrors
    )
)]
pub async fn create(
    State(s): State<AppState>,
    StationActor(actor): StationActor,
    ApiJson(b): ApiJson<NewUpload>,
) -> Result<Response, ApiError> {
    Ok(match uploads::create(&s.app, &actor, b).await? {
        Created::Upload { upload, resumed } => {
            let status = if resumed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let headers = offset_headers(upload.offset, Some(upload.size));
            (status, headers, Json(UploadAnswer { upload, resumed })).into_response()
        }
        Created::AlreadyStored(c) => (StatusCode::OK, Json(c)).into_response(),
    })
}

/// How far an upload has come.
#[utoipa::path(
    get,
    path = "/api/v1/uploads/{id}",
    operation_id = "upload_status",
    tag = "采集站",
    summary = "查询上传进度（已可靠收到的字节数，亦可用 HEAD）",
    params(("id" = String, Path, description = "上传编号")),
    responses(
        (status = 200, description = "进度；Upload-Offset 头为已收到的字节数", body = UploadView),
        (status = 410, description = "上传超过 7 天未继续，已作废：重新申报，从头上传", body = crate::error::ErrorBody),
        openapi::UploadErrors
    )
)]
pub async fn status(
    State(s): State<AppState>,
    StationActor(actor): StationActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let u = uploads::status(&s.app, &actor, &id).await?;
    if u.status == "abandoned" {
        return Err(abandoned(&u.id));
    }
    let headers = offset_headers(u.offset, Some(u.size));
    Ok((headers, Json(u)).into_response())
}

/// The answer to a chunk at the wrong offset.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OffsetMismatch {
    pub code: &'static str,
    pub message: String,
    /// The offset the platform holds: send from here.
    pub offset: u64,
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Appends a chunk at the offset the platform holds.
#[utoipa::path(
    patch,
    path = "/api/v1/uploads/{id}",
    operation_id = "append_upload",
    tag = "采集站",
    summary = "发送一段数据（断点续传第 2 步）",
    description = "Upload-Offset 头须等于平台已收到的字节数，否则 409 并给出正确的 offset；\
                   每段不超过 16 MiB，且不得超出申报的大小（413）。数据写入并落盘（fsync）后才回答。",
    params(
        ("id" = String, Path, description = "上传编号"),
        ("Upload-Offset" = u64, Header, description = "本段数据在文件中的起始位置")
    ),
    request_body(content = String, content_type = "application/offset+octet-stream", description = "文件的一段原始字节"),
    responses(
        (status = 204, description = "已落盘；Upload-Offset 头为新的进度"),
        (status = 410, description = "上传超过 7 天未继续，已作废：重新申报，从头上传", body = crate::error::ErrorBody),
        openapi::UploadErrors
    )
)]
pub async fn append(
    State(s): State<AppState>,
    StationActor(actor): StationActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Some(offset) = headers
        .get(UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return Err(ApiError::bad_request(
            "缺少或无效的 Upload-Offset 头：须为本段数据的起始字节位置",
        ));
    };
    if declared_length(&headers).is_some_and(|n| n > CHUNK_MAX) {
        return Err(ApiError::from(AppError::TooLarge(format!(
            "一次上传的数据块不能超过 {} MiB",
            CHUNK_MAX / 1024 / 1024
        ))));
    }
    let mut appending = match uploads::begin_append(&s.app, &actor, &id, offset).await? {
        Ok(a) => a,
        Err(NotTaken::Abandoned) => return Err(abandoned(&id)),
        Err(NotTaken::Offset(held)) => {
            let body = OffsetMismatch {
                code: "offset_mismatch",
                message: format!(
                    "起始位置 {offset} 与平台已收到的 {held} 字节不符：请从 {held} 处继续发送"
                ),
                offset: held,
            };
            return Ok(
                (StatusCode::CONFLICT, offset_headers(held, None), Json(body)).into_response(),
            );
        }
    };
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            tracing::info!(upload = %id, error = %e, "chunk cut off");
            ApiError::bad_request("数据传输中断：请查询进度后从已收到的位置继续")
        })?;
        if let Ok(data) = frame.into_data() {
            appending.write(&data)?;
        }
    }
    let offset = appending.finish().await?;
    Ok((StatusCode::NO_CONTENT, offset_headers(offset, None)).into_response())
}

/// Finishes an upload: re-hashed, then stored through the offload pipeline.
#[utoipa::path(
    post,
    path = "/api/v1/uploads/{id}/complete",
    operation_id = "complete_upload",
    tag = "采集站",
    summary = "完成上传：平台重新计算哈希并入库（断点续传第 3 步）",
    description = "哈希与申报不符：409，收到的数据丢弃，不作任何记录，须重新申报上传。\
                   相符：经与本地导入相同的流程写入每个存储位置、读回校验并记录。\
                   stored 与 verified_in_every_root 均为 true 时，采集站方可清除设备上的该文件。重复调用回答相同。",
    params(("id" = String, Path, description = "上传编号")),
    responses(
        (status = 200, description = "已入库（或不是音像文件而未入库，见 outcome）", body = Completed),
        openapi::UploadErrors
    )
)]
pub async fn complete(
    State(s): State<AppState>,
    StationActor(actor): StationActor,
    Path(id): Path<String>,
) -> Result<Json<Completed>, ApiError> {
    Ok(Json(uploads::complete(&s.app, &actor, &id).await?))
}

//! One mapping from a use case's refusal or failure to an HTTP status and a JSON body
//! `{"code","message"}` in Chinese. Internals (paths, database errors) never reach the client:
//! they are logged and a generic message is sent.

use axum::Json;
use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhilu_app::AppError;

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// A request the server cannot read (bad JSON, a malformed id in the path).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_authenticated() -> ApiError {
        ApiError::from(AppError::NotAuthenticated)
    }

    pub fn too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "请求内容过大：不能超过 64 KiB",
        )
    }

    /// A refusal by the CSRF check.
    pub fn csrf() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "缺少或错误的防伪令牌（CSRF），请刷新页面后重试",
        )
    }

    /// A failure inside the server, logged with its cause; the client gets a generic message.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后重试或联系系统管理员",
        )
    }
}

/// The status for each kind of application error. Anything not named here is the server's own
/// failure (storage, ledger, IO…): 500, never its text.
fn status_of(e: &AppError) -> Option<StatusCode> {
    Some(match e {
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Forbidden { .. }
        | AppError::PasswordChangeRequired
        | AppError::NoGrant(_)
        | AppError::SeparationOfDuties(_)
        | AppError::SessionRequired { .. }
        | AppError::OriginalsImmutable(_)
        | AppError::AccountDisabled(_)
        | AppError::ActorNotOfficer { .. } => StatusCode::FORBIDDEN,
        AppError::NotAuthenticated | AppError::LoginFailed | AppError::UnknownActor(_) => {
            StatusCode::UNAUTHORIZED
        }
        AppError::LockedOut { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Invalid { .. }
        | AppError::WeakPassword(_)
        | AppError::AmbiguousPrefix { .. }
        | AppError::NotInProfile(_) => StatusCode::BAD_REQUEST,
        AppError::ApprovalRefused { .. } | AppError::ExtensionNotAllowed { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        // The request is sound but the record's state refuses it.
        AppError::Conflict(_)
        | AppError::AlreadyExists { .. }
        | AppError::HoldAlreadyReleased(_)
        | AppError::DeviceAlreadyOut { .. }
        | AppError::NoOpenCheckout(_)
        | AppError::DeviceNotInService { .. }
        | AppError::PurgeRefused(_)
        | AppError::SampleRefused(_)
        | AppError::Suspended { .. }
        | AppError::FindingRefused(_) => StatusCode::CONFLICT,
        // Purged after an approved request (R20): gone for good.
        AppError::Purged { .. } => StatusCode::GONE,
        AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        // No ffmpeg, or it could not convert: the server cannot do it; the message says what to
        // ask for instead.
        AppError::ViewingCopy(_) => StatusCode::SERVICE_UNAVAILABLE,
        // No Chinese font for the statement, or a disc image that cannot be made: the server
        // cannot make this package now; the message says why.
        AppError::ExportStatement(_) | AppError::ExportDisc(_) => StatusCode::SERVICE_UNAVAILABLE,
        // A package refused because the vault's bytes do not match the catalog: never sent.
        AppError::ExportMismatch(_) => StatusCode::CONFLICT,
        AppError::ExportTargetNotEmpty(_) | AppError::ExportIntoStore { .. } => {
            StatusCode::BAD_REQUEST
        }
        _ => return None,
    })
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match status_of(&e) {
            Some(status) => ApiError::new(status, e.code(), e.to_string()),
            None => ApiError::internal(&format_args!("{}: {e}", e.code())),
        }
    }
}

/// The body of every error answer (and its schema in the OpenAPI document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// A stable machine code (`forbidden`, `invalid`, `not_found`, `csrf`…).
    pub code: &'static str,
    /// What went wrong and what to do, in Chinese.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                code: self.code,
                message: self.message,
            }),
        )
            .into_response()
    }
}

/// A JSON body, whose rejections answer in the API's form: 413 past the body limit, 400
/// otherwise, in Chinese.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::too_large()),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::bad_request(
                "请求内容不是有效的 JSON：须以 Content-Type: application/json 发送",
            )),
            Err(r) => Err(ApiError::bad_request(format!(
                "请求内容不是有效的 JSON：{}",
                r.body_text()
            ))),
        }
    }
}

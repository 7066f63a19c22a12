//! Footage on a grant (R23–R25): authorize, record the viewing durably, then serve the bytes by
//! Range. Originals are never changed: a write to one is refused and recorded.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use zhilu_app::AppError;
use zhilu_app::access::{self, Use};
use zhilu_model::MediaKind;

use crate::content;
use crate::error::ApiError;
use crate::session::CurrentActor;
use crate::state::AppState;

/// A recording's id in a path: exactly 64 hex digits (nothing else reaches the app, least of all
/// a path).
fn sha_of(raw: &str) -> Result<String, ApiError> {
    if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(ApiError::bad_request(
            "音像记录编号无效：应为 64 位十六进制的 SHA-256 值",
        ))
    }
}

fn content_type(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Mp4 => "video/mp4",
        MediaKind::Mov => "video/quicktime",
        MediaKind::Avi => "video/x-msvideo",
        MediaKind::Jpeg => "image/jpeg",
        MediaKind::Wav => "audio/wav",
        MediaKind::Mp3 => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

async fn serve(
    s: AppState,
    me: CurrentActor,
    raw: String,
    headers: HeaderMap,
    usage: Use,
) -> Result<Response, ApiError> {
    let sha = sha_of(&raw)?;
    let granted = access::authorize(&s.app, &me.actor, &sha, usage).await?;
    // Recorded before the first byte leaves.
    let viewing = access::viewing(&s.app, &me.actor, &granted, &me.key).await?;
    let app = s.app.clone();
    let on_served = move |served: content::Served| {
        // Noted in memory; a task only when a batch is due to be written.
        if let Some(batch) = access::note_served(&app, &viewing, served.start, served.end_inclusive)
        {
            tokio::spawn(async move {
                if let Err(e) = access::write_batch(&app, batch).await {
                    tracing::error!(error = %e, "recording served ranges");
                }
            });
        }
    };
    let kind = content_type(granted.media_kind());
    let mut resp = match access::open(&s.app, &granted).await {
        Ok(file) => {
            let servable = content::Servable {
                file: file.file,
                len: file.len,
                content_type: kind,
                etag: granted.sha256().to_string(),
            };
            let range = content::parse_range(&headers, servable.len);
            content::respond(servable, range, on_served)
        }
        // No local root holds a copy: ranges come straight from an object-store root (X5).
        Err(AppError::NotFound { .. }) => {
            let remote = access::open_remote(&s.app, &granted).await?;
            let range = content::parse_range(&headers, remote.len);
            content::respond_remote(remote, kind, granted.sha256().to_string(), range, on_served)
        }
        Err(e) => return Err(e.into()),
    };
    if usage == Use::Download
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{sha}\""))
    {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// Watched in the browser.
pub async fn content(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(s, me, sha, headers, Use::Stream).await
}

/// Watched in the browser in a form it plays (R23): the original when the browser plays it as it
/// is (H.264/AAC MP4, WAV, MP3), otherwise its H.264 viewing copy (made once, kept outside the
/// vault, linked to the original in the ledger). The viewing is recorded against the original.
pub async fn viewing(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let sha = sha_of(&raw)?;
    let granted = access::authorize(&s.app, &me.actor, &sha, Use::Stream).await?;
    let Some(copy) = access::copy_for(&s.app, &me.actor, &granted).await? else {
        return serve(s, me, raw, headers, Use::Stream).await;
    };
    // Recorded against the original, before the first byte leaves. The copy's byte ranges are
    // not the original's, so they are not added to the viewing's ranges.
    access::viewing(&s.app, &me.actor, &granted, &me.key).await?;
    let servable = content::Servable {
        file: copy.file,
        len: copy.len,
        content_type: "video/mp4",
        etag: copy.sha256,
    };
    let range = content::parse_range(&headers, servable.len);
    let mut resp = content::respond(servable, range, |_| {});
    if let Ok(v) = HeaderValue::from_str(&copy.original) {
        resp.headers_mut().insert(VIEWING_COPY_OF, v);
    }
    Ok(resp)
}

/// Names the original a viewing copy was made from.
pub const VIEWING_COPY_OF: &str = "x-zhilu-viewing-copy-of";

/// The original downloaded (a copy or provide grant).
pub async fn download(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(s, me, sha, headers, Use::Download).await
}

/// Any write to an original: refused, and the attempt recorded in the audit ledger.
pub async fn refuse(
    State(s): State<AppState>,
    me: CurrentActor,
    method: Method,
    Path(sha): Path<String>,
) -> Response {
    let sha = match sha_of(&sha) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    ApiError::from(access::refuse_change(&s.app, &me.actor, &sha, method.as_str()).await)
        .into_response()
}

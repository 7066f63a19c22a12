//! Cross-site request forgery: every state-changing request carries `X-CSRF-Token` equal to the
//! token its session got at login, comes from our own origin when the browser says where it
//! comes from (`Origin`, `Sec-Fetch-Site`). Login has no token yet: it must be a JSON request
//! (a cross-site form cannot send one without a preflight) from our origin.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::error::ApiError;
use crate::session::CSRF_KEY;
use crate::state::AppState;

/// The header a client sends the token in.
pub const HEADER: &str = "x-csrf-token";

/// A fresh token: 32 random bytes, hex.
pub fn new_token() -> Result<String, ApiError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| ApiError::internal(&e))?;
    Ok(hex::encode(b))
}

fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The browser says the request comes from another site, or from another origin than the host
/// it was sent to.
fn cross_origin(headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, a)| a.trim_end_matches('/'));
    match (authority, host) {
        (Some(a), Some(h)) => !a.eq_ignore_ascii_case(h),
        _ => true,
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Equal, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The check, as a middleware inside the session layer.
pub async fn check(State(_): State<AppState>, req: Request, next: Next) -> Response {
    if !changes_state(req.method()) {
        return next.run(req).await;
    }
    if cross_origin(req.headers()) {
        return ApiError::csrf().into_response();
    }
    // Networked stations' uploads accept only a station's bearer token, never the session
    // cookie, and a browser never adds that token on its own: nothing ambient to forge with.
    if req
        .uri()
        .path()
        .starts_with(crate::routes::uploads::PATH_PREFIX)
    {
        return next.run(req).await;
    }
    if req.method() == Method::POST && req.uri().path() == crate::routes::LOGIN_PATH {
        if !is_json(req.headers()) {
            return ApiError::csrf().into_response();
        }
        return next.run(req).await;
    }
    let Some(sent) = req.headers().get(HEADER).map(|v| v.as_bytes().to_vec()) else {
        return ApiError::csrf().into_response();
    };
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return ApiError::csrf().into_response();
    };
    let expected = match session.get::<String>(CSRF_KEY).await {
        Ok(Some(t)) => t,
        Ok(None) => return ApiError::csrf().into_response(),
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    if !same(sent.as_slice(), expected.as_bytes()) {
        return ApiError::csrf().into_response();
    }
    next.run(req).await
}

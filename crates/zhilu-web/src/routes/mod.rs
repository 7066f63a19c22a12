//! The JSON API under `/api/v1`: each handler reads the request, calls one `zhilu-app` use case
//! with the session's actor, and writes its answer. No rule lives here.

use axum::Router;
use axum::routing::{get, post, put};

use crate::state::AppState;

mod access;
mod footage;
mod openapi;
mod session;
mod users;

/// Where a client logs in (the one state-changing request without a CSRF token).
pub const LOGIN_PATH: &str = "/api/v1/session";

/// Every route of the API.
pub fn api() -> Router<AppState> {
    Router::new()
        .route(
            LOGIN_PATH,
            post(session::login)
                .get(session::whoami)
                .delete(session::logout),
        )
        .route("/api/v1/session/password", post(session::change_password))
        .route("/api/v1/users", get(users::list).post(users::add))
        .route("/api/v1/users/{id}/disable", post(users::disable))
        .route("/api/v1/users/{id}/enable", post(users::enable))
        .route("/api/v1/users/{id}/password", post(users::reset_password))
        .route("/api/v1/users/{id}/roles", put(users::set_roles))
        .route("/api/v1/users/{id}/clearances", put(users::set_clearances))
        .route("/api/v1/access-requests", post(access::request))
        .route("/api/v1/approvals/inbox", get(access::inbox))
        .route("/api/v1/approvals/{id}/approve", post(access::approve))
        .route("/api/v1/approvals/{id}/reject", post(access::reject))
        .route("/api/v1/grants", get(access::grants))
        .route("/api/v1/grants/{id}/revoke", post(access::revoke))
        .route("/api/v1/register", get(access::register))
        .route("/api/v1/classifications", put(access::classify))
        .route(
            "/api/v1/recordings/{sha256}",
            put(footage::refuse)
                .post(footage::refuse)
                .delete(footage::refuse)
                .patch(footage::refuse),
        )
        .route(
            "/api/v1/recordings/{sha256}/content",
            get(footage::content)
                .put(footage::refuse)
                .post(footage::refuse)
                .delete(footage::refuse)
                .patch(footage::refuse),
        )
        .route(
            "/api/v1/recordings/{sha256}/download",
            get(footage::download),
        )
        .route("/api/v1/openapi.json", get(openapi::document))
}

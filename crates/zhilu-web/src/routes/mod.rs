//! The JSON API under `/api/v1`: each handler reads the request, calls one `zhilu-app` use case
//! with the session's actor, and writes its answer. No rule lives here.

use axum::Router;
use axum::routing::{get, post, put};

use crate::state::AppState;

mod access;
mod footage;
mod openapi;
mod records;
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
        .route("/api/v1/devices", get(records::devices))
        .route("/api/v1/devices/{serial}", get(records::device))
        .route(
            "/api/v1/devices/{serial}/events",
            get(records::device_events),
        )
        .route(
            "/api/v1/devices/{serial}/return",
            post(records::return_device),
        )
        .route(
            "/api/v1/checkouts",
            get(records::checkouts).post(records::checkout),
        )
        .route("/api/v1/usage", get(records::usage))
        .route("/api/v1/officers", get(records::officers))
        .route(
            "/api/v1/activities",
            get(records::activities).post(records::add_activity),
        )
        .route("/api/v1/activities/{id}", get(records::activity))
        .route("/api/v1/links", post(records::link))
        .route("/api/v1/norecords", post(records::add_norecord))
        .route("/api/v1/interruptions", post(records::add_interruption))
        .route("/api/v1/extensions", post(records::request_extension))
        .route("/api/v1/recordings", get(records::recordings))
        .route("/api/v1/offload-sessions", get(records::offload_sessions))
        .route("/api/v1/findings", get(records::findings))
        .route("/api/v1/subject", get(records::subject))
        .route("/api/v1/retention", get(records::retention))
        .route("/api/v1/approvals/pending", get(records::pending))
        .route("/api/v1/openapi.json", get(openapi::document))
}

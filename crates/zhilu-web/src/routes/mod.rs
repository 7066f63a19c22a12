//! The JSON API under `/api/v1`: each handler reads the request, calls one `zhilu-app` use case
//! with the session's actor, and writes its answer. No rule lives here.
//!
//! One table ([`table`]) builds both the router and the OpenAPI document: a handler is routed by
//! its own `#[utoipa::path]`, so what is served and what is documented cannot drift apart.

use axum::Router;
use axum::routing::{get, put};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

mod access;
mod accountability;
mod costs;
pub(crate) mod exports;
pub(crate) mod findings;
mod footage;
pub mod openapi;
mod oversee;
mod purge;
mod records;
mod registry;
mod sampling;
mod session;
pub mod uploads;
mod users;

/// Where a client logs in (the one state-changing request without a CSRF token).
pub const LOGIN_PATH: &str = "/api/v1/session";

/// Every route of the API with its documentation.
pub fn table() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(session::login, session::whoami, session::logout))
        .routes(routes!(session::change_password))
        .routes(routes!(users::list, users::add))
        .routes(routes!(users::disable))
        .routes(routes!(users::enable))
        .routes(routes!(users::reset_password))
        .routes(routes!(users::set_roles))
        .routes(routes!(users::set_clearances))
        .routes(routes!(access::request))
        .routes(routes!(access::inbox))
        .routes(routes!(access::approve))
        .routes(routes!(access::reject))
        .routes(routes!(access::grants))
        .routes(routes!(access::revoke))
        .routes(routes!(access::register))
        .routes(routes!(access::classify))
        .routes(routes!(purge::request, purge::list))
        .routes(routes!(purge::execute))
        .routes(routes!(exports::make, exports::list))
        .routes(routes!(exports::image))
        // Footage answers bytes: its operations are described in `openapi.rs`.
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
        .route("/api/v1/recordings/{sha256}/viewing", get(footage::viewing))
        .routes(routes!(records::devices, registry::register_device))
        .routes(routes!(records::device))
        .routes(routes!(records::device_events, registry::device_event))
        .routes(routes!(records::return_device))
        .routes(routes!(records::checkouts, records::checkout))
        .routes(routes!(records::usage))
        .routes(routes!(costs::add, costs::list))
        .routes(routes!(costs::report))
        .routes(routes!(sampling::draw, sampling::list))
        .routes(routes!(sampling::show))
        .routes(routes!(sampling::review))
        .routes(routes!(sampling::assessment))
        .routes(routes!(
            accountability::add_violation,
            accountability::violations
        ))
        .routes(routes!(accountability::add_sanction))
        .routes(routes!(accountability::sanctions))
        .routes(routes!(
            accountability::add_annual_review,
            accountability::annual_reviews
        ))
        .routes(routes!(oversee::across))
        .routes(routes!(records::officers))
        .routes(routes!(records::activities, records::add_activity))
        .routes(routes!(records::activity))
        .routes(routes!(records::link))
        .routes(routes!(records::add_norecord))
        .routes(routes!(records::add_interruption))
        .routes(routes!(records::request_extension))
        .routes(routes!(records::recordings))
        .routes(routes!(records::offload_sessions))
        .routes(routes!(records::offload_session_files))
        .routes(routes!(records::findings))
        .routes(routes!(findings::list))
        .routes(routes!(findings::show))
        .routes(routes!(findings::acknowledge))
        .routes(routes!(findings::rectify))
        .routes(routes!(findings::close))
        .routes(routes!(findings::reopen))
        .routes(routes!(records::subject))
        .routes(routes!(records::retention))
        .routes(routes!(records::pending))
        .routes(routes!(records::place_hold))
        .routes(routes!(records::release_hold))
        .routes(routes!(openapi::document))
        // Networked stations (bearer credential, not a session).
        .routes(routes!(uploads::create))
        .routes(routes!(uploads::status, uploads::append))
        .routes(routes!(uploads::complete))
}

/// Every route of the API, and Swagger UI.
pub fn api() -> Router<AppState> {
    let (router, _) = table().split_for_parts();
    router.merge(openapi::swagger_ui())
}

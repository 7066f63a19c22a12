//! The pages' own files, built into the binary: nothing is fetched from anywhere else, so the
//! application works on a network with no internet. htmx 2.0.11 is vendored from npm
//! `htmx.org` (BSD-2-Clause, `assets/htmx-LICENSE`); its version is in the file name, so a
//! browser may keep it.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

const HTMX: &[u8] = include_bytes!("../../assets/htmx-2.0.11.min.js");
const CSS: &[u8] = include_bytes!("../../assets/app.css");
const JS: &[u8] = include_bytes!("../../assets/app.js");

fn asset(body: &'static [u8], kind: &'static str, immutable: bool) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    r
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/static/htmx-2.0.11.min.js",
            get(|| async { asset(HTMX, "text/javascript; charset=utf-8", true) }),
        )
        .route(
            "/static/app.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8", false) }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8", false) }),
        )
}

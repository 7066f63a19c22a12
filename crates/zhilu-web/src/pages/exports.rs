//! 制作证据包 on the grants page (R22): the form posts here, the package and its disc image(s) are
//! made by the same use case as the API's, and the list 「我的证据包」 comes back with a download
//! link and the SHA-256 to write on the disc label for each image.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use zhilu_app::export::server::{self, Package};

use super::{PageError, Viewer, render};
use crate::routes::exports::{ExportBody, ask_of};
use crate::state::AppState;

/// 「我的证据包」, as included in the grants page and sent back after a package is made.
#[derive(Template)]
#[template(path = "exports.html")]
pub struct Exports {
    pub exports: Vec<Package>,
    pub export_message: Option<String>,
}

/// An RFC 3339 instant as Beijing time (the package's `at`).
pub fn bj(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| zhilu_app::beijing(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| at.to_string())
}

/// Makes a package from the form; answers the refreshed list (the form's `hx-target`).
pub async fn make(
    State(s): State<AppState>,
    v: Viewer,
    Form(b): Form<ExportBody>,
) -> Result<Response, PageError> {
    let made = server::make(&s.app, &v.actor, ask_of(b)?).await?;
    let exports = server::exports_of(&s.app, &v.actor).await?;
    Ok(render(&Exports {
        exports,
        export_message: Some(format!(
            "已制作证据包 {}：{} 个文件，{} 张光盘映像，已记入审计日志",
            made.id,
            made.files.len(),
            made.images.len()
        )),
    }))
}

//! The Chinese web application: server-rendered pages (askama, auto-escaped) with htmx for the
//! forms, both in the binary. Like the JSON API, a page only translates: it calls the same
//! `zhilu-app` use cases with the session's actor and renders what they answer. No rule here.
//!
//! Forms post with htmx, which sends the session's CSRF token in `X-CSRF-Token` (the `<body>`'s
//! `hx-headers`): the same CSRF check as the API guards them. Login posts JSON to the API from
//! `app.js`. A refusal is rendered in Chinese: as a page, or into the page's message area
//! (`#flash`) when htmx asked.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use zhilu_app::Action;
use zhilu_app::{Actor, AppError};

use crate::error::ApiError;
use crate::session::{CSRF_KEY, CurrentActor};
use crate::state::AppState;

mod access;
mod accountability;
mod admin;
mod assets;
mod costs;
mod discs;
mod exports;
mod findings;
mod forms;
mod home;
pub(crate) mod oversee;
mod records;
mod registry;
mod sampling;
mod sheets;

/// Every page, and the assets they load.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(home::login))
        .route("/logout", post(home::logout))
        .route("/dashboard", get(home::dashboard))
        .route("/findings", get(findings::list))
        .route("/findings/{id}", get(findings::show))
        .route("/findings/{id}/acknowledge", post(findings::acknowledge))
        .route("/findings/{id}/rectify", post(findings::rectify))
        .route("/findings/{id}/close", post(findings::close))
        .route("/findings/{id}/reopen", post(findings::reopen))
        .route("/activities", get(records::activities))
        .route("/activities/{id}", get(records::activity))
        .route("/activities/{id}/link", post(records::link))
        .route("/activities/{id}/norecord", post(records::norecord))
        .route("/activities/{id}/interruption", post(records::interruption))
        .route("/approvals", get(access::approvals))
        .route("/approvals/{id}/decide", post(access::decide))
        .route("/access", get(access::mine).post(access::request))
        .route("/access/exports", post(exports::make))
        .route("/play/{sha}", get(access::play))
        .route("/approvals/{id}/form", get(forms::access_form))
        .route(
            "/activities/{id}/norecord/{record}/form",
            get(forms::norecord_form),
        )
        .route("/register", get(access::register))
        .route("/register.xlsx", get(access::register_xlsx))
        .route("/devices", get(registry::devices))
        .route("/devices/{serial}", get(registry::device))
        .route("/usage", get(registry::usage))
        .route("/usage.xlsx", get(registry::usage_xlsx))
        .route("/offloads", get(registry::offloads))
        .route("/offloads/{id}", get(registry::offload_session))
        .route("/subject", get(registry::subject))
        .route("/retention", get(registry::retention))
        .route("/discs", get(discs::discs))
        .route("/discs.xlsx", get(discs::discs_xlsx))
        .route("/costs", get(costs::costs))
        .route("/costs.xlsx", get(costs::costs_xlsx))
        .route("/samples", get(sampling::samples).post(sampling::draw))
        .route("/samples/{id}", get(sampling::sample))
        .route("/samples/{id}/reviews", post(sampling::review))
        .route("/assessment", get(sampling::assessment))
        .route("/assessment.xlsx", get(sampling::assessment_xlsx))
        .route("/accountability", get(accountability::accountability))
        .route(
            "/accountability/violations",
            post(accountability::add_violation),
        )
        .route(
            "/accountability/sanctions",
            post(accountability::add_sanction),
        )
        .route(
            "/accountability/annual-reviews",
            post(accountability::add_annual_review),
        )
        .route("/audit", get(admin::audit))
        .route("/users", get(admin::users))
        .route("/policy", get(admin::policy))
        .route("/oversee", get(oversee::oversee))
        .merge(assets::router())
        .layer(axum::middleware::from_fn(into_flash))
}

/// The person looking at a page: their actor, and what the layout shows of them.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Arc<Actor>,
    /// Their session's CSRF token, for htmx's header.
    pub csrf: String,
    pub id: String,
    pub name: String,
    pub unit: String,
    pub roles: String,
    pub menu: Vec<MenuItem>,
}

#[derive(Debug, Clone)]
pub struct MenuItem {
    pub href: &'static str,
    pub label: &'static str,
}

impl Viewer {
    /// Whether the actor may do `action` to anything at all (what the menu offers; the use case
    /// decides each record).
    pub fn may(&self, action: Action) -> bool {
        self.actor.scope(action).is_some()
    }
}

/// The menu, in order: each page with the action its use case needs (`None`: everyone). The
/// menu only offers; the use case decides each record.
const MENU: &[(Option<Action>, &str, &str)] = &[
    (None, "/", "我的待办"),
    (Some(Action::ReadFindings), "/dashboard", "工作台"),
    (Some(Action::ReadFindings), "/findings", "问题整改"),
    (Some(Action::ReadRecords), "/activities", "执法活动"),
    (None, "/approvals", "审批"),
    (Some(Action::RequestAccess), "/access", "调阅"),
    (Some(Action::ReadRegister), "/register", "调阅登记簿"),
    (Some(Action::ReadDevices), "/devices", "设备台账"),
    (Some(Action::ReadDevices), "/offloads", "采集记录"),
    (Some(Action::ReadRecords), "/subject", "当事人"),
    (Some(Action::ReadRetention), "/retention", "保留与保全"),
    (Some(Action::ReadRetention), "/discs", "长期保存光盘"),
    (Some(Action::ReadCosts), "/costs", "设备经费"),
    (Some(Action::ReadSupervision), "/samples", "抽查评查"),
    (Some(Action::ReadSupervision), "/assessment", "执法质量考评"),
    (Some(Action::ReadSupervision), "/accountability", "责任追究"),
    (Some(Action::ReadAudit), "/audit", "审计"),
    (Some(Action::ReadUsers), "/users", "用户与角色"),
    (None, "/policy", "策略"),
];

/// The pages offered to `actor`.
fn menu(actor: &Actor) -> Vec<MenuItem> {
    MENU.iter()
        .filter(|(need, _, _)| need.is_none_or(|a| actor.scope(a).is_some()))
        .map(|&(_, href, label)| MenuItem { href, label })
        .collect()
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, PageError> {
        let me = match CurrentActor::from_request_parts(parts, s).await {
            Ok(me) => me,
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                return Err(PageError::Login(
                    parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let csrf = me
            .session
            .get::<String>(CSRF_KEY)
            .await
            .map_err(|e| PageError::from(ApiError::internal(&e)))?
            .unwrap_or_default();
        let actor = me.actor.clone();
        let profile = s.app.profile().await.map_err(PageError::from)?;
        let roles = actor
            .roles()
            .iter()
            .map(|r| match zhilu_model::FixedRole::parse(r) {
                Ok(f) => f.label().to_string(),
                Err(_) => profile.role_label(r).to_string(),
            })
            .collect::<Vec<_>>()
            .join("、");
        let id = actor.person_id().map(|p| p.to_string()).unwrap_or_default();
        let name = zhilu_app::identity::user(&s.app, &actor, &id)
            .await
            .map(|u| u.name)
            .unwrap_or_else(|_| id.clone());
        let mut menu = menu(&actor);
        // Only where this installation lists agencies and the actor reads across it (X4).
        if zhilu_app::supervision::oversee::may_oversee(&s.app, &actor) {
            menu.push(MenuItem {
                href: "/oversee",
                label: "跨机关监督",
            });
        }
        Ok(Viewer {
            id,
            name,
            unit: actor.unit().unwrap_or_default().to_string(),
            roles,
            menu,
            actor,
            csrf,
        })
    }
}

/// Why a page is not shown.
#[derive(Debug)]
pub enum PageError {
    /// Not logged in: to the login page, then back here.
    Login(String),
    /// Refused or failed: a status and a Chinese message.
    Shown { status: StatusCode, message: String },
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        PageError::Shown {
            status: e.status,
            message: e.message,
        }
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        ApiError::from(e).into()
    }
}

impl PageError {
    pub fn bad_request(message: impl Into<String>) -> PageError {
        PageError::Shown {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

/// The message of a refusal, carried on the response so [`into_flash`] can show it inside the
/// page when htmx asked.
#[derive(Debug, Clone)]
struct Refusal(String);

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login(next) => {
                let next = if next.starts_with('/') && !next.starts_with("//") {
                    next
                } else {
                    "/".into()
                };
                Redirect::to(&format!("/login?next={}", percent(&next))).into_response()
            }
            PageError::Shown { status, message } => {
                let mut resp = (
                    status,
                    render(&ErrorPage {
                        status: status.as_u16(),
                        message: message.clone(),
                    }),
                )
                    .into_response();
                resp.extensions_mut().insert(Refusal(message));
                resp
            }
        }
    }
}

/// A refusal answered to htmx goes into the page's message area instead of replacing the form.
async fn into_flash(req: Request, next: Next) -> Response {
    let hx = req.headers().contains_key("hx-request");
    let resp = next.run(req).await;
    if !hx {
        return resp;
    }
    let Some(Refusal(message)) = resp.extensions().get::<Refusal>().cloned() else {
        return resp;
    };
    let status = resp.status();
    let mut out = (status, render(&Flash { message, ok: false })).into_response();
    let h = out.headers_mut();
    h.insert("hx-retarget", HeaderValue::from_static("#flash"));
    h.insert("hx-reswap", HeaderValue::from_static("innerHTML"));
    out
}

/// A message shown in `#flash`.
#[derive(Template)]
#[template(path = "flash.html")]
pub struct Flash {
    pub message: String,
    pub ok: bool,
}

/// A rendered template as an HTML answer (a template that fails to render is the server's own
/// error: logged, and a generic message shown).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(body) => {
            let mut r = Html(body).into_response();
            r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            r
        }
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

/// Pages load only our own files: no inline script, nothing from another origin.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

/// After an htmx form succeeded: go to `to` (a full page load).
pub fn hx_redirect(to: &str) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert("hx-redirect", v);
    }
    r
}

/// Percent-encodes a path for a query parameter.
fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_./~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Formatting used by the templates.
pub mod fmt {
    use super::*;

    /// Beijing time, to the second.
    pub fn bj(t: &DateTime<Utc>) -> String {
        zhilu_app::beijing(*t)
    }

    /// Beijing time, if any; "—" otherwise.
    pub fn bj_opt(t: &Option<DateTime<Utc>>) -> String {
        t.as_ref().map_or_else(|| "—".to_string(), bj)
    }

    /// The first 12 hex digits of a hash, as lists show it.
    pub fn short(s: &str) -> &str {
        s.get(..12).unwrap_or(s)
    }

    /// A byte count for people.
    pub fn size(n: &u64) -> String {
        let n = *n as f64;
        if n >= 1024.0 * 1024.0 * 1024.0 {
            format!("{:.1} GiB", n / 1024.0 / 1024.0 / 1024.0)
        } else if n >= 1024.0 * 1024.0 {
            format!("{:.1} MiB", n / 1024.0 / 1024.0)
        } else if n >= 1024.0 {
            format!("{:.1} KiB", n / 1024.0)
        } else {
            format!("{n} B")
        }
    }

    /// The step that approved level `i` (from 0) of a chain, if it has been.
    pub fn step(
        steps: &[zhilu_model::ApprovalStep],
        i: impl std::borrow::Borrow<usize>,
    ) -> Option<&zhilu_model::ApprovalStep> {
        steps.get(*i.borrow())
    }

    /// A CSS class for a finding's severity.
    pub fn sev(s: &zhilu_policy::engine::Severity) -> &'static str {
        use zhilu_policy::engine::Severity;
        match s {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Violation => "violation",
        }
    }

    /// Seconds as `1 分 05 秒`.
    pub fn secs(from: &DateTime<Utc>, to: &DateTime<Utc>) -> String {
        let s = (*to - *from).num_seconds().max(0);
        if s >= 3600 {
            format!("{} 小时 {:02} 分", s / 3600, (s % 3600) / 60)
        } else if s >= 60 {
            format!("{} 分 {:02} 秒", s / 60, s % 60)
        } else {
            format!("{s} 秒")
        }
    }
}

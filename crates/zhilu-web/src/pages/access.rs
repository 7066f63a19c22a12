//! 审批 (the approver's inbox and history), 调阅 (ask to view or copy; my requests and grants),
//! 播放 (a granted recording, watermarked with who is watching), and the custodian's register
//! (R23) with its spreadsheet.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::Response;
use serde::Deserialize;
use zhilu_app::access::{self, AccessAsk, DeskItem, GrantView};
use zhilu_app::export::sheets::{self, Period, SheetKind};

use super::{Flash, PageError, Viewer, render};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "approvals.html")]
struct Approvals {
    v: Viewer,
    inbox: Vec<DeskItem>,
    history: Vec<DeskItem>,
}

/// What waits for the viewer's decision, and what they decided or asked before.
pub async fn approvals(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let inbox = access::desk(&s.app, &v.actor).await?;
    let history = access::history(&s.app, &v.actor).await?;
    Ok(render(&Approvals { v, inbox, history }))
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    /// `approve` or `reject`.
    decision: String,
    #[serde(default)]
    comment: String,
}

/// Approves or rejects one level.
pub async fn decide(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(b): Form<DecideForm>,
) -> Result<Response, PageError> {
    let comment = b.comment.trim();
    let out = match b.decision.as_str() {
        "approve" => {
            access::approve(
                &s.app,
                &v.actor,
                &id,
                Some(comment).filter(|c| !c.is_empty()),
            )
            .await?
        }
        "reject" => {
            if comment.is_empty() {
                return Err(PageError::bad_request("驳回须填写意见"));
            }
            access::reject(&s.app, &v.actor, &id, comment).await?
        }
        _ => return Err(PageError::bad_request("请选择批准或驳回")),
    };
    let message = match (&out.next_role_label, out.status) {
        (Some(next), _) => format!(
            "已批准第 {}/{} 级，待{}审批",
            out.approved_levels, out.required_levels, next
        ),
        (None, s) => format!("{} {}：{}", out.kind.label(), out.id, s.label()),
    };
    // Replaces the decided item (the form's `hx-target`).
    Ok(render(&Decided { id, message }))
}

#[derive(Template)]
#[template(path = "decided.html")]
struct Decided {
    id: String,
    message: String,
}

#[derive(Template)]
#[template(path = "access.html")]
struct Mine {
    v: Viewer,
    requests: Vec<DeskItem>,
    grants: Vec<GrantView>,
    /// 「我的证据包」 (`exports.html`).
    exports: Vec<zhilu_app::export::server::Package>,
    export_message: Option<String>,
}

/// My requests with where each stands, my grants with a link to play each recording (and, on a
/// copy or provide grant, the form 制作证据包), and the evidence packages I made.
pub async fn mine(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let me = v.actor.person_id().cloned();
    let requests = access::history(&s.app, &v.actor)
        .await?
        .into_iter()
        .filter(|d| d.request.as_ref().map(|r| &r.requester) == me.as_ref())
        .collect();
    let grants = access::my_grants(&s.app, &v.actor).await?;
    let exports = zhilu_app::export::server::exports_of(&s.app, &v.actor).await?;
    Ok(render(&Mine {
        v,
        requests,
        grants,
        exports,
        export_message: None,
    }))
}

#[derive(Debug, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    recordings: Option<String>,
    #[serde(default)]
    activity: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    reason: String,
    #[serde(default)]
    days: Option<String>,
}

/// Asks to view or copy recordings; the request waits for the profile's chain.
pub async fn request(
    State(s): State<AppState>,
    v: Viewer,
    Form(b): Form<RequestForm>,
) -> Result<Response, PageError> {
    let days = match b.days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(
            d.parse::<u32>()
                .map_err(|_| PageError::bad_request(format!("期限“{d}”不是天数")))?,
        ),
    };
    let r = access::request_access(
        &s.app,
        &v.actor,
        AccessAsk {
            recordings: b
                .recordings
                .unwrap_or_default()
                .split([',', ' ', '\n'])
                .filter(|x| !x.trim().is_empty())
                .map(|x| x.trim().to_string())
                .collect(),
            activity: b.activity.filter(|a| !a.trim().is_empty()),
            kind: b.kind.filter(|k| !k.trim().is_empty()),
            reason: b.reason,
            days,
        },
    )
    .await?;
    let mut resp = render(&Flash {
        message: format!("已提交调阅申请 {}，等待审批", r.id),
        ok: true,
    });
    resp.headers_mut()
        .insert("hx-retarget", HeaderValue::from_static("#flash"));
    Ok(resp)
}

#[derive(Template)]
#[template(path = "play.html")]
struct Play {
    v: Viewer,
    sha: String,
    grant: GrantView,
    name: String,
    now: String,
}

/// Plays a recording the viewer holds a valid grant for. The page itself is refused without
/// one; the bytes are served by `/api/v1/recordings/{sha}/viewing` (the original, or its
/// viewing copy where the browser cannot play it), which checks again.
pub async fn play(
    State(s): State<AppState>,
    v: Viewer,
    Path(sha): Path<String>,
) -> Result<Response, PageError> {
    let full = zhilu_app::records::resolve_recording(&s.app, &sha).await;
    let grant = access::my_grants(&s.app, &v.actor)
        .await?
        .into_iter()
        .find(|g| {
            g.valid
                && full
                    .as_ref()
                    .is_ok_and(|f| g.grant.items.iter().any(|i| i == f))
        })
        .ok_or_else(|| {
            PageError::from(zhilu_app::AppError::NoGrant(
                "您没有这段音像记录的有效调阅授权".into(),
            ))
        })?;
    let sha = full?.to_string();
    let name = v.name.clone();
    Ok(render(&Play {
        now: zhilu_app::beijing(s.app.now()),
        v,
        sha,
        grant,
        name,
    }))
}

#[derive(Template)]
#[template(path = "register.html")]
struct Register {
    v: Viewer,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The custodian's register of access (R23): the sheet `zhilu sheet access` writes, oldest
/// request first, as a paper register.
pub async fn register(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let sheet = sheets::access_register(&s.app, &v.actor, Period::default()).await?;
    let (columns, rows) = super::sheets::table(&sheet);
    Ok(render(&Register { v, columns, rows }))
}

/// The register as an xlsx workbook: the same columns as the page, times as real dates.
pub async fn register_xlsx(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let sheet = sheets::access_register(&s.app, &v.actor, Period::default()).await?;
    super::sheets::download(SheetKind::Access, &sheet)
}

//! 审批 (the approver's inbox and history), 调阅 (ask to view or copy; my requests and grants),
//! 播放 (a granted recording, watermarked with who is watching), and the custodian's register
//! (R23) with its spreadsheet.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::Response;
use serde::Deserialize;
use zhilu_app::access::{self, AccessAsk, DeskItem, GrantView, RegisterEntry};

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
}

/// My requests with where each stands, and my grants with a link to play each recording.
pub async fn mine(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let me = v.actor.person_id().cloned();
    let requests = access::history(&s.app, &v.actor)
        .await?
        .into_iter()
        .filter(|d| d.request.as_ref().map(|r| &r.requester) == me.as_ref())
        .collect();
    let grants = access::my_grants(&s.app, &v.actor).await?;
    Ok(render(&Mine {
        v,
        requests,
        grants,
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
    columns: [&'static str; 9],
    rows: Vec<Vec<String>>,
}

/// The custodian's register of access (R23).
pub async fn register(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let mut entries = access::register(&s.app, &v.actor).await?;
    entries.reverse();
    let profile = s.app.profile().await?;
    Ok(render(&Register {
        v,
        columns: REGISTER_COLUMNS,
        rows: entries.iter().map(|e| register_row(&profile, e)).collect(),
    }))
}

/// The register as an xlsx workbook, one row per request, the same columns as the page.
pub async fn register_xlsx(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let mut entries = access::register(&s.app, &v.actor).await?;
    entries.reverse();
    let profile = s.app.profile().await?;
    let rows: Vec<Vec<String>> = entries.iter().map(|e| register_row(&profile, e)).collect();
    super::sheets::download("调阅登记簿", "register", &REGISTER_COLUMNS, &rows)
}

/// The register's columns, on the page and in the workbook.
pub const REGISTER_COLUMNS: [&str; 9] = [
    "申请编号",
    "申请时间",
    "申请人",
    "方式",
    "事由",
    "音像记录",
    "审批",
    "授权至",
    "查阅/复制",
];

/// One request as the register's row.
pub fn register_row(profile: &zhilu_policy::profile::Profile, e: &RegisterEntry) -> Vec<String> {
    vec![
        e.request.id.to_string(),
        zhilu_app::beijing(e.request.created_at),
        e.request.requester.to_string(),
        e.request.kind.label().to_string(),
        e.request.reason.clone(),
        e.items
            .iter()
            .map(|s| super::fmt::short(s.as_str()).to_string())
            .collect::<Vec<_>>()
            .join(" "),
        format!(
            "{}：{}",
            e.status.label(),
            e.approvals
                .iter()
                .map(|a| {
                    format!(
                        "{} {} {}",
                        profile.role_label(&a.role),
                        a.by,
                        zhilu_app::beijing(a.at)
                    )
                })
                .collect::<Vec<_>>()
                .join("；")
        ),
        e.grant
            .as_ref()
            .map(|g| zhilu_app::beijing(g.expires_at))
            .unwrap_or_default(),
        e.playbacks
            .iter()
            .map(|p| {
                format!(
                    "{} {} {} {}",
                    p.user,
                    p.kind.label(),
                    zhilu_app::beijing(p.started_at),
                    super::fmt::size(&p.bytes)
                )
            })
            .collect::<Vec<_>>()
            .join("；"),
    ]
}

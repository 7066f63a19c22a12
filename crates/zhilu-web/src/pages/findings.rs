//! 问题整改 (issue 14): the findings kept as work items — the list with counts per state and a
//! filter, each row's article and message and the form of each step the reader may take; one
//! case with its history (the ledger entries of `finding:<id>`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use zhilu_app::supervision::findings::{self, FindingFilter, HistoryEntry, Rectification, Step};
use zhilu_model::{FindingCase, FindingState};

use super::fmt::bj;
use super::{PageError, Viewer, hx_redirect, render};
use crate::state::AppState;

/// A case as the pages show it.
pub struct Row {
    pub id: String,
    pub state: &'static str,
    pub state_code: &'static str,
    pub rule: String,
    pub article: String,
    pub severity: &'static str,
    pub severity_code: String,
    pub message: String,
    pub target: String,
    pub people: String,
    pub arose: String,
    pub first_seen: String,
    pub reopen_count: u32,
    pub ack: String,
    pub rectification: String,
    pub links: String,
    pub closed: String,
    pub note: String,
    pub may_ack: bool,
    pub may_rectify: bool,
    pub may_close: bool,
    pub may_reopen: bool,
}

fn row(c: &FindingCase, steps: &[Step]) -> Row {
    let target = c
        .activity
        .clone()
        .map(|a| format!("活动 {a}"))
        .or_else(|| c.device.clone().map(|d| format!("设备 {d}")))
        .or_else(|| {
            c.recording
                .as_deref()
                .map(|r| format!("音像记录 {}", super::fmt::short(r)))
        })
        .unwrap_or_default();
    Row {
        id: c.id.to_string(),
        state: c.state.label(),
        state_code: c.state.as_str(),
        rule: c.rule.clone(),
        article: c.article.clone(),
        severity: findings::severity_label(&c.severity),
        severity_code: c.severity.clone(),
        message: c.message.clone(),
        target,
        people: c
            .officers
            .iter()
            .map(|o| o.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        arose: bj(&c.arose_at),
        first_seen: bj(&c.first_seen),
        reopen_count: c.reopen_count,
        ack: match (&c.acknowledged_by, c.acknowledged_at) {
            (Some(by), Some(at)) => format!("{by}，{}", bj(&at)),
            _ => String::new(),
        },
        rectification: c.rectification.clone().unwrap_or_default(),
        links: c.rectification_links.join("、"),
        closed: match (&c.closed_by, c.closed_at) {
            (Some(by), Some(at)) => format!(
                "{}，{}（{}）",
                if by == findings::SYSTEM { "系统" } else { by },
                bj(&at),
                c.closed_reason.as_deref().unwrap_or("")
            ),
            _ => String::new(),
        },
        note: c.note.clone().unwrap_or_default(),
        may_ack: steps.contains(&Step::Acknowledge),
        may_rectify: steps.contains(&Step::Rectify),
        may_close: steps.contains(&Step::Close),
        may_reopen: steps.contains(&Step::Reopen),
    }
}

pub struct Tab {
    pub code: &'static str,
    pub label: &'static str,
    pub count: usize,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    v: Viewer,
    rows: Vec<Row>,
    tabs: Vec<Tab>,
    total: usize,
    all_current: bool,
    back: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
}

pub async fn list(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    crate::routes::findings::sync_quietly(&s).await;
    let all = findings::list(&s.app, &v.actor, &FindingFilter::default()).await?;
    let state = match q.state.trim() {
        "" => None,
        x => Some(
            FindingState::parse_label_or_code(x)
                .map_err(|e| PageError::bad_request(e.to_string()))?,
        ),
    };
    let tabs = findings::counts(&all)
        .into_iter()
        .map(|(st, n)| Tab {
            code: st.as_str(),
            label: st.label(),
            count: n,
            current: state == Some(st),
        })
        .collect();
    let rows = all
        .iter()
        .filter(|c| state.is_none_or(|st| c.state == st))
        .map(|c| row(c, &findings::steps(&v.actor, c)))
        .collect();
    let back = match state {
        Some(st) => format!("/findings?state={}", st.as_str()),
        None => "/findings".into(),
    };
    Ok(render(&FindingsPage {
        total: all.len(),
        all_current: state.is_none(),
        rows,
        tabs,
        back,
        v,
    }))
}

pub struct HistoryRow {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub what: String,
    pub note: String,
}

fn history_row(h: &HistoryEntry) -> HistoryRow {
    HistoryRow {
        seq: h.seq,
        at: bj(&h.at),
        actor: h.actor.clone(),
        what: match (h.kind.as_str(), h.state) {
            ("finding.opened", _) => "检查发现，登记为待确认".into(),
            (_, Some(s)) => format!("状态为{}", s.label()),
            _ => h.kind.clone(),
        },
        note: h.note.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "finding.html")]
struct FindingPage {
    v: Viewer,
    r: Row,
    history: Vec<HistoryRow>,
    back: String,
}

pub async fn show(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = findings::show(&s.app, &v.actor, &id).await?;
    let r = row(&view.case, &view.steps);
    Ok(render(&FindingPage {
        back: format!("/findings/{}", r.id),
        history: view.history.iter().map(history_row).collect(),
        r,
        v,
    }))
}

/// Where to go after a step: the page it was taken on (only ours).
fn back(b: &str, id: &str) -> String {
    if b.starts_with("/findings") && !b.contains("//") {
        b.to_string()
    } else {
        format!("/findings/{id}")
    }
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

pub async fn acknowledge(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Result<Response, PageError> {
    findings::acknowledge(&s.app, &v.actor, &id, Some(&f.note)).await?;
    Ok(hx_redirect(&back(&f.back, &id)))
}

#[derive(Debug, Deserialize)]
pub struct RectifyForm {
    explanation: String,
    #[serde(default)]
    links: String,
    #[serde(default)]
    back: String,
}

pub async fn rectify(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<RectifyForm>,
) -> Result<Response, PageError> {
    let links = f
        .links
        .split([',', '，', '、', ' ', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect();
    findings::rectify(
        &s.app,
        &v.actor,
        &id,
        &Rectification {
            explanation: f.explanation,
            links,
        },
    )
    .await?;
    Ok(hx_redirect(&back(&f.back, &id)))
}

pub async fn close(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Result<Response, PageError> {
    findings::close(&s.app, &v.actor, &id, Some(&f.note)).await?;
    Ok(hx_redirect(&back(&f.back, &id)))
}

#[derive(Debug, Deserialize)]
pub struct ReopenForm {
    reason: String,
    #[serde(default)]
    back: String,
}

pub async fn reopen(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<ReopenForm>,
) -> Result<Response, PageError> {
    findings::reopen(&s.app, &v.actor, &id, &f.reason).await?;
    Ok(hx_redirect(&back(&f.back, &id)))
}

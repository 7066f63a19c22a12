//! 执法活动: the list with search, and one activity's file — its timeline (R15), linked and
//! unlinked recordings, written records and findings — with the forms that act on it: link a
//! recording by hand, record a non-recording or an interruption reason, ask to view.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use zhilu_app::Action;
use zhilu_app::records::{self, ActivityFile};
use zhilu_model::Activity;
use zhilu_policy::profile::Reason;

use super::{PageError, Viewer, hx_redirect, render};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Words to find in the subject, place, kind, case number or id.
    #[serde(default)]
    q: Option<String>,
    /// Only activities on this Beijing day (`2026-11-20`).
    #[serde(default)]
    day: Option<String>,
}

#[derive(Template)]
#[template(path = "activities.html")]
struct List {
    v: Viewer,
    q: String,
    day: String,
    activities: Vec<Row>,
    total: usize,
}

/// An activity with its officers named.
struct Row {
    a: Activity,
    officers: String,
}

/// The activities the viewer may see, newest first, narrowed by words and a day.
pub async fn activities(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let words = q.q.unwrap_or_default().trim().to_string();
    let day = q.day.unwrap_or_default().trim().to_string();
    if words.chars().count() > 100 {
        return Err(PageError::bad_request("查询词过长：不能超过 100 个字"));
    }
    let mut all = records::activities(&s.app, &v.actor).await?;
    all.reverse();
    let total = all.len();
    let activities = all
        .into_iter()
        .filter(|a| day.is_empty() || zhilu_app::beijing_day(a.start) == day)
        .filter(|a| {
            words.is_empty()
                || words.split_whitespace().all(|w| {
                    a.subject_name.contains(w)
                        || a.place.contains(w)
                        || a.kind.contains(w)
                        || a.id.as_str().contains(w)
                        || a.case_no.as_deref().is_some_and(|c| c.contains(w))
                        || a.subject_code.as_deref().is_some_and(|c| c.contains(w))
                })
        })
        .take(500)
        .collect::<Vec<_>>();
    let mut rows = Vec::with_capacity(activities.len());
    for a in activities {
        let officers = names(&s, &v, &a.officers).await?;
        rows.push(Row { a, officers });
    }
    let activities = rows;
    Ok(render(&List {
        v,
        q: words,
        day,
        activities,
        total,
    }))
}

#[derive(Template)]
#[template(path = "activity.html")]
struct File {
    v: Viewer,
    f: ActivityFile,
    kind_label: String,
    may_write: bool,
    may_request: bool,
    norecord_reasons: Vec<Reason>,
    interruption_reasons: Vec<Reason>,
    /// The notification phrase the reviewer listens for (R13), if the profile names one.
    phrase: String,
    /// The officers, `周明（000123）、…`.
    officer_names: String,
    /// The checklist's content items for this kind of activity (R6).
    content: Vec<String>,
    lanes: Vec<LaneView>,
    ticks: Vec<Tick>,
}

/// A lane of the timeline, laid out in per mille of the drawn span.
struct LaneView {
    device: String,
    segments: Vec<Bar>,
    gaps: Vec<Bar>,
}

struct Bar {
    left: i64,
    width: i64,
    title: String,
    class: &'static str,
    sha: String,
}

struct Tick {
    left: i64,
    label: String,
    class: &'static str,
}

/// One activity's file.
pub async fn activity(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let f = records::activity_file(&s.app, &v.actor, &id).await?;
    let profile = s.app.profile().await?;
    let row = profile.activity_kind(&f.activity.kind).ok();
    let kind_label = row
        .map(|r| r.situation.clone())
        .unwrap_or_else(|| f.activity.kind.clone());
    let content = row.map(|r| r.content.clone()).unwrap_or_default();
    let (lanes, ticks) = layout(&f);
    let officer_names = names(&s, &v, &f.activity.officers).await?;
    Ok(render(&File {
        may_write: v.may(Action::WriteRecords),
        may_request: v.may(Action::RequestAccess),
        norecord_reasons: profile.norecord.reasons.clone(),
        interruption_reasons: profile.interruption.reasons.clone(),
        phrase: profile.notification.phrase.clone(),
        content,
        kind_label,
        officer_names,
        lanes,
        ticks,
        v,
        f,
    }))
}

/// People by name and number, as a page names them.
pub async fn names(
    s: &AppState,
    v: &Viewer,
    ids: &[zhilu_model::OfficerId],
) -> Result<String, PageError> {
    let officers = zhilu_app::registry::officers(&s.app, &v.actor).await?;
    Ok(ids
        .iter()
        .map(|id| match officers.iter().find(|o| &o.id == id) {
            Some(o) => format!("{}（{}）", o.name, id),
            None => id.to_string(),
        })
        .collect::<Vec<_>>()
        .join("、"))
}

/// Positions on the drawn span, in per mille (so the page scales with its width).
fn layout(f: &ActivityFile) -> (Vec<LaneView>, Vec<Tick>) {
    let t = &f.timeline;
    let span = (t.to - t.from).num_milliseconds().max(1);
    let at = |x: chrono::DateTime<chrono::Utc>| {
        ((x - t.from).num_milliseconds() * 1000 / span).clamp(0, 1000)
    };
    let lanes = t
        .lanes
        .iter()
        .map(|l| LaneView {
            device: l.device.to_string(),
            segments: l
                .segments
                .iter()
                .map(|s| Bar {
                    left: at(s.start),
                    width: (at(s.end) - at(s.start)).max(4),
                    title: format!(
                        "{} {} — {}{}",
                        s.media_kind.label(),
                        super::fmt::bj(&s.start),
                        super::fmt::bj(&s.end),
                        if s.continues {
                            "（分段续录）"
                        } else {
                            ""
                        }
                    ),
                    class: match s.media_kind {
                        zhilu_model::MediaKind::Jpeg => "photo",
                        zhilu_model::MediaKind::Wav | zhilu_model::MediaKind::Mp3 => "audio",
                        _ => "video",
                    },
                    sha: s.sha256.to_string(),
                })
                .collect(),
            gaps: l
                .gaps
                .iter()
                .map(|g| Bar {
                    left: at(g.from),
                    width: (at(g.to) - at(g.from)).max(4),
                    title: format!(
                        "中断 {}（{} — {}）{}",
                        super::fmt::secs(&g.from, &g.to),
                        super::fmt::bj(&g.from),
                        super::fmt::bj(&g.to),
                        if g.explained {
                            "：已有中断说明"
                        } else if g.flagged {
                            "：未说明，已列为问题"
                        } else {
                            "：在允许范围内"
                        }
                    ),
                    class: if g.explained {
                        "gap explained"
                    } else if g.flagged {
                        "gap flagged"
                    } else {
                        "gap"
                    },
                    sha: g.after.to_string(),
                })
                .collect(),
        })
        .collect();
    let ticks = [
        (f.activity.start, "文书记载开始", "start"),
        (f.activity.end, "文书记载结束", "end"),
    ]
    .into_iter()
    .map(|(x, l, class)| Tick {
        left: at(x),
        label: format!("{l} {}", super::fmt::bj(&x)),
        class,
    })
    .collect();
    (lanes, ticks)
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    recording: String,
}

/// Links a recording to the activity by hand.
pub async fn link(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(b): Form<LinkForm>,
) -> Result<Response, PageError> {
    records::link(&s.app, &v.actor, &b.recording, &id).await?;
    Ok(hx_redirect(&format!("/activities/{id}")))
}

#[derive(Debug, Deserialize)]
pub struct NoRecordForm {
    reason: String,
    basis: String,
}

/// Records why the activity was not recorded (R10); it waits for the approval the profile names.
pub async fn norecord(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(b): Form<NoRecordForm>,
) -> Result<Response, PageError> {
    records::add_norecord(&s.app, &v.actor, &id, &b.reason, &b.basis).await?;
    Ok(hx_redirect(&format!("/activities/{id}")))
}

#[derive(Debug, Deserialize)]
pub struct InterruptionForm {
    after: String,
    reason: String,
    #[serde(default)]
    voice_stated: Option<String>,
}

/// Records why recording stopped after a recording (R11).
pub async fn interruption(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(b): Form<InterruptionForm>,
) -> Result<Response, PageError> {
    records::add_interruption(
        &s.app,
        &v.actor,
        &id,
        &b.after,
        &b.reason,
        b.voice_stated.is_some(),
    )
    .await?;
    Ok(hx_redirect(&format!("/activities/{id}")))
}

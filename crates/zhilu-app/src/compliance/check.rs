//! `check`: the findings of a period, a unit or an officer.

use chrono::{DateTime, Duration, Utc};
use zhilu_policy::engine::{self, Finding};
use zhilu_policy::scope::{Scope, retain_in_scope};
use zhilu_policy::window::fact_window;

use crate::App;
use crate::actor::{Action, Actor};
use crate::error::AppError;

/// What a check looks at: findings that arose in `[from, to)`, for a unit and/or an officer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckScope {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub unit: Option<String>,
    pub officer: Option<String>,
}

/// How long a check spent reading the catalog and running the rules.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CheckTimes {
    pub read: std::time::Duration,
    pub engine: std::time::Duration,
    pub recordings: usize,
    pub activities: usize,
}

/// Runs the compliance engine over the scope. A period reads only what can produce a finding in
/// it; without one, everything.
pub async fn check(app: &App, actor: &Actor, scope: &CheckScope) -> Result<Vec<Finding>, AppError> {
    Ok(check_timed(app, actor, scope).await?.0)
}

/// [`check`], with the time spent reading and judging (for the benchmark and the log).
pub async fn check_timed(
    app: &App,
    actor: &Actor,
    scope: &CheckScope,
) -> Result<(Vec<Finding>, CheckTimes), AppError> {
    // An officer sees the findings about themselves, a unit head their unit's (R30: the legal
    // office, leaders and supervisors see all).
    let reach = actor.require_any(Action::ReadFindings)?;
    let mut narrowed = scope.clone();
    match reach {
        crate::actor::Scope::Own => {
            narrowed.officer = Some(actor.person_id().map(|p| p.to_string()).unwrap_or_default())
        }
        crate::actor::Scope::Unit => narrowed.unit = Some(actor.unit().unwrap_or("").to_string()),
        crate::actor::Scope::All => {}
    }
    let scope = &narrowed;
    actor.reads("findings");
    let profile = app.profile().await?;
    let calendar = app.calendar().await?;
    let now = app.now();
    let window = match (scope.from, scope.to) {
        (None, None) => None,
        (f, t) => Some(fact_window(
            &profile,
            f.unwrap_or(DateTime::<Utc>::MIN_UTC + Duration::days(365)),
            t.unwrap_or(now),
        )),
    };
    let started = std::time::Instant::now();
    let facts = super::facts::read(app, window.as_ref()).await?;
    let read = started.elapsed();
    let mut found = engine::check(&profile, &calendar, &facts, now);
    let times = CheckTimes {
        read,
        engine: started.elapsed() - read,
        recordings: facts.recordings.len(),
        activities: facts.activities.len(),
    };
    tracing::debug!(
        read_ms = times.read.as_millis() as u64,
        engine_ms = times.engine.as_millis() as u64,
        recordings = times.recordings,
        activities = times.activities,
        "check"
    );
    if let Some(w) = window {
        found.retain(|x| x.at >= w.from && x.at < w.to);
    }
    retain_in_scope(
        &mut found,
        &facts,
        &Scope {
            unit: scope.unit.clone(),
            officer: scope.officer.clone(),
        },
    );
    // A finding about a classified item does not exist for a reader not cleared for it (R25).
    let vis = crate::access::visibility(app, actor).await?;
    found.retain(|f| vis.sees_finding(f));
    app.log_classified_shown(
        actor,
        &vis,
        "findings",
        found
            .iter()
            .flat_map(crate::access::finding_items)
            .collect::<Vec<_>>(),
    )
    .await?;
    Ok((found, times))
}

/// Every finding of the whole catalog, as the system sees it (no actor, no window, no scope),
/// with the facts they were judged on: what `supervision::findings::sync` keeps as work items.
pub(crate) async fn all_findings(
    app: &App,
) -> Result<(Vec<Finding>, zhilu_policy::facts::Facts), AppError> {
    let profile = app.profile().await?;
    let calendar = app.calendar().await?;
    let now = app.now();
    let facts = super::facts::read(app, None).await?;
    let found = engine::check(&profile, &calendar, &facts, now);
    Ok((found, facts))
}

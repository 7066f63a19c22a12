//! Links of recordings to activities: automatic (officer + device + time, the rule in
//! `zhilu_policy::linking`) when an activity is registered or an offload finishes, and by hand.

use std::collections::HashSet;

use chrono::Duration;
use zhilu_model::*;
use zhilu_policy::profile::Profile;
use zhilu_store::Change;

use crate::App;
use crate::actor::{Action, Actor};
use crate::compliance::facts;
use crate::error::AppError;

/// The link changes for recordings that belong to `activities`; `only` restricts the candidates
/// to these recordings (an offload just finished).
pub(crate) async fn auto_link_changes(
    app: &App,
    profile: &Profile,
    activities: &[Activity],
    only: Option<Vec<RecordingFact>>,
) -> Result<Vec<Change>, AppError> {
    let acts: Vec<zhilu_policy::facts::Activity> = activities.iter().map(facts::activity).collect();
    let Some((lo, hi)) = zhilu_policy::linking::candidate_window(profile, &acts) else {
        return Ok(Vec::new());
    };
    let candidates = match only {
        Some(rs) => rs,
        None => app.catalog.recording_facts_captured_between(lo, hi).await?,
    };
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let first = candidates
        .iter()
        .filter_map(|r| r.capture_start)
        .min()
        .unwrap_or(lo);
    let last = candidates
        .iter()
        .filter_map(|r| r.capture_start)
        .max()
        .unwrap_or(hi);
    let checkouts: Vec<_> = app
        .catalog
        .checkouts_overlapping(first, last)
        .await?
        .iter()
        .map(facts::checkout)
        .collect();
    let ids: Vec<ActivityId> = activities.iter().map(|a| a.id.clone()).collect();
    let existing: HashSet<(String, String)> = app
        .catalog
        .links_of_activities(&ids)
        .await?
        .into_iter()
        .map(|l| (l.sha256.to_string(), l.activity.to_string()))
        .collect();
    let recs: Vec<_> = candidates
        .into_iter()
        .map(|r| facts::recording(r, false))
        .collect();
    let now = app.now();
    let mut out = Vec::new();
    for (sha, act) in
        zhilu_policy::linking::auto_links(profile, &acts, &recs, &checkouts, &existing)
    {
        out.push(Change::insert(Link {
            sha256: Sha256::parse(&sha).map_err(|e| AppError::OffloadFailed(e.to_string()))?,
            activity: ActivityId::parse(&act)
                .map_err(|e| AppError::OffloadFailed(e.to_string()))?,
            method: LinkMethod::Auto,
            linked_at: now,
            actor: "system".into(),
        }));
    }
    Ok(out)
}

/// Links the recordings of a finished offload to the activities they belong to.
pub(crate) async fn autolink_session(app: &App, session: &SessionId) -> Result<usize, AppError> {
    let Some(profile) = app.profile_opt().await? else {
        return Ok(0);
    };
    let recs = app.catalog.recording_facts_of_session(session).await?;
    let starts = recs.iter().filter_map(|r| r.capture_start);
    let (Some(lo), Some(hi)) = (starts.clone().min(), starts.max()) else {
        return Ok(0);
    };
    let end = recs
        .iter()
        .filter_map(|r| r.capture_end)
        .max()
        .unwrap_or(hi);
    // A recording belongs to an activity when it overlaps [start − start tolerance, end + end
    // tolerance]: so the activity overlaps [capture start − end tolerance, capture end + start
    // tolerance].
    let end_tolerance = Duration::seconds(*profile.coverage.end_tolerance_s.get_ref());
    let start_tolerance = Duration::seconds(*profile.coverage.start_tolerance_s.get_ref());
    let acts = app
        .catalog
        .activities_overlapping(lo - end_tolerance, end.max(hi) + start_tolerance)
        .await?;
    // Someone may link one of these pairs between our reading the links and committing (an
    // activity added meanwhile links its own recordings): then read again and link what is left.
    let mut attempts = 0;
    loop {
        let links = auto_link_changes(app, &profile, &acts, Some(recs.clone())).await?;
        let n = links.len();
        if n == 0 {
            return Ok(0);
        }
        match app.record(&Actor::system("system"), links).await {
            Ok(_) => return Ok(n),
            Err(AppError::Store(zhilu_store::StoreError::Duplicate { .. })) if attempts < 3 => {
                attempts += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Links a recording to an activity by hand.
pub async fn link(
    app: &App,
    actor: &Actor,
    recording: &str,
    activity: &str,
) -> Result<Link, AppError> {
    let sha = super::resolve_recording(app, recording).await?;
    let a = super::activity(app, actor, activity).await?;
    app.require_for(actor, Action::WriteRecords, &a.officers, &[])
        .await?;
    if let Some(l) = app.catalog.link(&sha, &a.id).await? {
        return Ok(l);
    }
    let row = Link {
        sha256: sha,
        activity: a.id,
        method: LinkMethod::Manual,
        linked_at: app.now(),
        actor: actor.ledger_name().to_string(),
    };
    app.record(actor, vec![Change::insert(row.clone())]).await?;
    Ok(row)
}

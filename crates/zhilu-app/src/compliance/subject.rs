//! Everything about one enforcement subject (一户式, R19): its activities, their recordings and
//! written records, and the findings that concern them.

use std::collections::HashSet;

use serde::Serialize;
use zhilu_model::*;
use zhilu_policy::engine::Finding;
use zhilu_policy::ids::SubjectCode;

use super::check::{CheckScope, check};
use crate::App;
use crate::actor::{Action, Actor};
use crate::error::{AppError, Field};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectView {
    pub activities: Vec<Activity>,
    pub recordings: Vec<Recording>,
    pub norecords: Vec<NoRecord>,
    pub interruptions: Vec<Interruption>,
    pub findings: Vec<Finding>,
}

/// Everything about one subject, by its code (check digit verified) or its exact name.
pub async fn subject(
    app: &App,
    actor: &Actor,
    code: Option<&str>,
    name: Option<&str>,
) -> Result<SubjectView, AppError> {
    actor.require_any(Action::ReadRecords)?;
    actor.reads("subject");
    let code = code.map(str::trim).filter(|s| !s.is_empty());
    let name = name.map(str::trim).filter(|s| !s.is_empty());
    let activities = match (code, name) {
        (Some(c), _) => {
            let c = SubjectCode::parse(c)
                .map_err(|e| AppError::invalid(Field::SubjectCode, e.to_string()))?;
            app.catalog
                .activities_of_subject(Some(c.as_str()), None)
                .await?
        }
        (None, Some(n)) => app.catalog.activities_of_subject(None, Some(n)).await?,
        (None, None) => {
            return Err(AppError::invalid(
                Field::SubjectCode,
                "请给出当事人的统一社会信用代码（或身份证号）或名称",
            ));
        }
    };
    // Classified activities and recordings do not exist for a reader not cleared (R25).
    let vis = crate::access::visibility(app, actor).await?;
    let activities: Vec<Activity> = activities
        .into_iter()
        .filter(|a| vis.sees(&crate::access::Item::Activity(a.id.clone())))
        .collect();
    let ids: Vec<ActivityId> = activities.iter().map(|a| a.id.clone()).collect();
    let mut recordings: Vec<Recording> = Vec::new();
    let mut seen = HashSet::new();
    for l in app.catalog.links_of_activities(&ids).await? {
        if seen.insert(l.sha256.clone())
            && vis.sees(&crate::access::Item::Recording(l.sha256.clone()))
            && let Some(r) = app.catalog.recording(&l.sha256).await?
        {
            recordings.push(r);
        }
    }
    recordings.sort_by(|a, b| (a.capture_start, &a.sha256).cmp(&(b.capture_start, &b.sha256)));
    let norecords = app.catalog.norecords_of(&ids).await?;
    let interruptions = app.catalog.interruptions_of(&ids).await?;
    // Nothing concerning these activities and recordings can arise before the first of them
    // began or was captured: a window from there to now finds exactly what a full check would,
    // reading far less.
    let first = activities
        .iter()
        .map(|a| a.start)
        .chain(recordings.iter().filter_map(|r| r.capture_start))
        .chain(recordings.iter().map(|r| r.offloaded_at))
        .min();
    let findings = match first {
        None => Vec::new(),
        Some(first) => {
            let act_ids: HashSet<&str> = ids.iter().map(ActivityId::as_str).collect();
            let shas: HashSet<&str> = recordings.iter().map(|r| r.sha256.as_str()).collect();
            check(
                app,
                actor,
                &CheckScope {
                    from: Some(first),
                    to: Some(app.now().max(first) + chrono::Duration::seconds(1)),
                    ..CheckScope::default()
                },
            )
            .await?
            .into_iter()
            .filter(|f| {
                f.activity.as_deref().is_some_and(|a| act_ids.contains(a))
                    || f.recording.as_deref().is_some_and(|s| shas.contains(s))
            })
            .collect()
        }
    };
    app.log_classified_shown(
        actor,
        &vis,
        "subject",
        activities
            .iter()
            .map(|a| crate::access::Item::Activity(a.id.clone()))
            .chain(
                recordings
                    .iter()
                    .map(|r| crate::access::Item::Recording(r.sha256.clone())),
            ),
    )
    .await?;
    Ok(SubjectView {
        activities,
        recordings,
        norecords,
        interruptions,
        findings,
    })
}

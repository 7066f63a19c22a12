//! One activity's file (卷): the activity, its linked recordings laid on one timeline against the
//! document's start and end (R15), the recordings captured around it by its officers that are not
//! linked (candidates for a link by hand), its written records, and its findings.
//!
//! The timeline is a view of facts the rules already judge: a gap is marked where one device's
//! consecutive continuous recordings leave time uncovered, and it is *unexplained* exactly when the
//! check raised R11 for it; an interruption record on that gap explains it.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use zhilu_model::*;
use zhilu_policy::engine::Finding;

use crate::App;
use crate::actor::{Action, Actor};
use crate::compliance::{CheckScope, check};
use crate::error::AppError;

/// How far before the start and after the end recordings are looked for as candidates.
const AROUND: i64 = 2 * 3600;

/// One activity, everything needed to review it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityFile {
    pub activity: Activity,
    /// Linked recordings with how each was linked, by capture time.
    pub linked: Vec<LinkedRecording>,
    /// Recordings of the activity's officers captured within two hours of it, not linked to it.
    pub unlinked: Vec<Recording>,
    pub norecords: Vec<NoRecord>,
    pub interruptions: Vec<Interruption>,
    pub findings: Vec<Finding>,
    pub timeline: Timeline,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkedRecording {
    pub recording: Recording,
    pub link: Link,
}

/// The activity's span and what covers it, one lane per device.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    /// The span drawn: the document's start and end, widened to every linked recording.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub lanes: Vec<Lane>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lane {
    pub device: DeviceSerial,
    pub segments: Vec<Segment>,
    pub gaps: Vec<Gap>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Segment {
    pub sha256: Sha256,
    pub media_kind: MediaKind,
    pub start: DateTime<Utc>,
    /// Equal to `start` for a photo (an instant).
    pub end: DateTime<Utc>,
    /// Split file: the same device's previous recording ended where this one starts (±2 s).
    pub continues: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gap {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The recording the gap follows.
    pub after: Sha256,
    /// An interruption record explains it.
    pub explained: bool,
    /// The check raised a finding for it (R11).
    pub flagged: bool,
}

/// The file of one activity, as `actor` may see it (scope, clearances: an activity the actor may
/// not see does not exist; classified recordings are left out).
pub async fn activity_file(
    app: &App,
    actor: &Actor,
    activity: &str,
) -> Result<ActivityFile, AppError> {
    let activity = super::activity(app, actor, activity).await?;
    let vis = crate::access::visibility(app, actor).await?;
    let ids = [activity.id.clone()];
    let mut linked = Vec::new();
    for l in app.catalog.links_of_activities(&ids).await? {
        if vis.sees(&crate::access::Item::Recording(l.sha256.clone()))
            && let Some(r) = app.catalog.recording(&l.sha256).await?
        {
            linked.push(LinkedRecording {
                recording: r,
                link: l,
            });
        }
    }
    linked.sort_by(|a, b| {
        (a.recording.capture_start, &a.recording.sha256)
            .cmp(&(b.recording.capture_start, &b.recording.sha256))
    });
    let linked_set: HashSet<&Sha256> = linked.iter().map(|l| &l.recording.sha256).collect();
    let mut unlinked = Vec::new();
    let around = Duration::seconds(AROUND);
    for f in app
        .catalog
        .recording_facts_captured_between(activity.start - around, activity.end + around)
        .await?
    {
        if linked_set.contains(&f.sha256)
            || !activity.officers.contains(&f.officer)
            || !vis.sees(&crate::access::Item::Recording(f.sha256.clone()))
            || !app
                .sees_people(actor, Action::ReadRecords, std::slice::from_ref(&f.officer))
                .await?
        {
            continue;
        }
        if let Some(r) = app.catalog.recording(&f.sha256).await? {
            unlinked.push(r);
        }
    }
    unlinked.sort_by(|a, b| (a.capture_start, &a.sha256).cmp(&(b.capture_start, &b.sha256)));
    let norecords = app.catalog.norecords_of(&ids).await?;
    let interruptions = app.catalog.interruptions_of(&ids).await?;
    let first = linked
        .iter()
        .filter_map(|l| l.recording.capture_start)
        .chain([activity.start])
        .min()
        .unwrap_or(activity.start);
    let shas: HashSet<&str> = linked.iter().map(|l| l.recording.sha256.as_str()).collect();
    let findings: Vec<Finding> = check(
        app,
        actor,
        &CheckScope {
            from: Some(first),
            to: Some(app.now().max(first) + Duration::seconds(1)),
            ..CheckScope::default()
        },
    )
    .await?
    .into_iter()
    .filter(|f| {
        f.activity.as_deref() == Some(activity.id.as_str())
            || f.recording.as_deref().is_some_and(|s| shas.contains(s))
    })
    .collect();
    let timeline = timeline(&activity, &linked, &interruptions, &findings);
    app.log_classified_shown(
        actor,
        &vis,
        "activity_file",
        linked
            .iter()
            .map(|l| crate::access::Item::Recording(l.recording.sha256.clone()))
            .chain(
                unlinked
                    .iter()
                    .map(|r| crate::access::Item::Recording(r.sha256.clone())),
            ),
    )
    .await?;
    Ok(ActivityFile {
        activity,
        linked,
        unlinked,
        norecords,
        interruptions,
        findings,
        timeline,
    })
}

/// Lays the linked recordings out per device. A recording without a capture time has no place
/// on a timeline and is listed only.
fn timeline(
    a: &Activity,
    linked: &[LinkedRecording],
    interruptions: &[Interruption],
    findings: &[Finding],
) -> Timeline {
    let mut from = a.start;
    let mut to = a.end;
    let mut lanes: Vec<Lane> = Vec::new();
    for l in linked {
        let r = &l.recording;
        let Some(start) = r.capture_start else {
            continue;
        };
        let end = r.capture_end.unwrap_or(start).max(start);
        from = from.min(start);
        to = to.max(end);
        let lane = match lanes.iter_mut().position(|x| x.device == r.device) {
            Some(i) => &mut lanes[i],
            None => {
                lanes.push(Lane {
                    device: r.device.clone(),
                    segments: Vec::new(),
                    gaps: Vec::new(),
                });
                lanes.last_mut().expect("just pushed")
            }
        };
        lane.segments.push(Segment {
            sha256: r.sha256.clone(),
            media_kind: r.media_kind,
            start,
            end,
            continues: false,
        });
    }
    let flagged: HashSet<&str> = findings
        .iter()
        .filter(|f| f.rule == "R11")
        .filter_map(|f| f.recording.as_deref())
        .collect();
    for lane in &mut lanes {
        lane.segments.sort_by_key(|s| (s.start, s.end));
        let mut prev: Option<(DateTime<Utc>, Sha256)> = None;
        for s in &mut lane.segments {
            if s.media_kind == MediaKind::Jpeg {
                continue;
            }
            if let Some((prev_end, after)) = &prev {
                let gap = s.start - *prev_end;
                if gap.num_seconds().abs() <= 2 {
                    s.continues = true;
                } else if gap > Duration::zero() {
                    lane.gaps.push(Gap {
                        from: *prev_end,
                        to: s.start,
                        after: after.clone(),
                        explained: interruptions.iter().any(|i| &i.after == after),
                        flagged: flagged.contains(after.as_str())
                            || flagged.contains(s.sha256.as_str()),
                    });
                }
            }
            let end_here = prev.as_ref().map_or(s.end, |(e, _)| (*e).max(s.end));
            prev = Some((end_here, s.sha256.clone()));
        }
    }
    Timeline { from, to, lanes }
}

//! From the catalog's typed rows to the engine's plain facts.

use std::collections::{HashMap, HashSet};

use zhilu_model::*;
use zhilu_policy::facts::{self as f, Facts};
use zhilu_policy::window::FactWindow;

use crate::App;
use crate::error::AppError;
use crate::integrity::{REPAIR_FAILED, REPAIRED};

pub(crate) fn activity(a: &Activity) -> f::Activity {
    f::Activity {
        id: a.id.to_string(),
        kind: a.kind.clone(),
        subject_name: a.subject_name.clone(),
        officers: a.officers.iter().map(|o| o.to_string()).collect(),
        start: a.start,
        end: a.end,
        case_no: a.case_no.clone(),
        flags: a.flags.clone(),
    }
}

pub(crate) fn recording(r: RecordingFact, integrity_failed: bool) -> f::Recording {
    f::Recording {
        integrity_failed,
        capture_start: r.capture_start,
        capture_end: r.capture_end.or(r.capture_start),
        offloaded_at: r.offloaded_at,
        sequence: r.sequence.map(i64::from),
        name_officer: r.name_officer_id,
        officer: r.officer.into_string(),
        device: r.device.into_string(),
        session: r.session.into_string(),
        sha256: r.sha256.into_string(),
    }
}

/// [`activity`], moving instead of copying (the full check converts every activity of a year).
fn activity_owned(a: Activity) -> f::Activity {
    f::Activity {
        id: a.id.into_string(),
        kind: a.kind,
        subject_name: a.subject_name,
        officers: a.officers.into_iter().map(OfficerId::into_string).collect(),
        start: a.start,
        end: a.end,
        case_no: a.case_no,
        flags: a.flags,
    }
}

pub(crate) fn checkout(c: &Checkout) -> f::Checkout {
    f::Checkout {
        id: c.id.to_string(),
        device: c.device.to_string(),
        officer: c.officer.to_string(),
        out_at: c.out_at,
        returned_at: c.returned_at,
        battery_pct: c.battery_pct.map(i64::from),
        free_gb: c.free_gb.map(i64::from),
        clock_ok: c.clock_ok,
    }
}

/// Objects whose every copy failed fixity and could not be repaired: an `object.repair_failed`
/// entry with no later `object.repaired`, and no purge tombstone.
pub(crate) async fn integrity_failures(app: &App) -> Result<HashSet<String>, AppError> {
    let mut failed = HashSet::new();
    for e in app
        .catalog
        .events_of_kinds(&[REPAIR_FAILED, REPAIRED])
        .await?
    {
        let Some(sha) = e.subject.strip_prefix("object:") else {
            continue;
        };
        if e.kind == REPAIR_FAILED {
            failed.insert(sha.to_string());
        } else {
            failed.remove(sha);
        }
    }
    // A purged recording's bytes are gone by an approved decision, not lost or edited (R20).
    if !failed.is_empty() {
        for t in app.catalog.tombstones().await? {
            failed.remove(t.sha256.as_str());
        }
    }
    Ok(failed)
}

/// The facts of a window (everything when `None`).
pub(crate) async fn read(app: &App, window: Option<&FactWindow>) -> Result<Facts, AppError> {
    let failed = integrity_failures(app).await?;
    let w = window.map(|w| zhilu_store::FactWindow {
        from: w.from,
        to: w.to,
        capture_from: w.capture_from,
        expiry_from: w.expiry_from,
        expiry_to: w.expiry_to,
    });
    // Recordings are converted as they are read: a year's worth never exists twice.
    let mut recordings = Vec::new();
    let rows = app
        .catalog
        .facts_streamed(w.as_ref(), &mut |r| {
            let failed = failed.contains(r.sha256.as_str());
            recordings.push(recording(r, failed));
        })
        .await?;
    recordings.shrink_to_fit();
    let accountability = accountability_facts(app).await?;
    let approved: HashMap<String, bool> = rows
        .approvals
        .iter()
        .map(|a| (a.id.to_string(), a.status == ApprovalStatus::Approved))
        .collect();
    let is_approved = |id: &RecordId| approved.get(id.as_str()).copied().unwrap_or(false);
    Ok(Facts {
        in_use_since: rows.officers.iter().map(|o| o.created_at).min(),
        certificates: accountability.certificates,
        suspensions: accountability.suspensions,
        annual_reviews: accountability.annual_reviews,
        officers: rows
            .officers
            .into_iter()
            .map(|o| f::Officer {
                id: o.id.into_string(),
                name: o.name,
                unit: o.unit,
                role: o.role,
            })
            .collect(),
        devices: rows
            .devices
            .into_iter()
            .map(|d| f::Device {
                serial: d.serial.into_string(),
                unit: d.unit,
                status: d.status.as_str().to_string(),
            })
            .collect(),
        checkouts: rows.checkouts.iter().map(checkout).collect(),
        activities: rows.activities.into_iter().map(activity_owned).collect(),
        links: rows
            .links
            .into_iter()
            .map(|(s, a)| (s.into_string(), a.into_string()))
            .collect(),
        link_positions: rows.link_positions,
        offloads: rows
            .sessions
            .into_iter()
            .map(|s| f::Offload {
                id: s.id.into_string(),
                device: s.device.into_string(),
                officer: s.officer.into_string(),
                at: s.started_at,
                clock_offset_ms: s.device_clock_offset_ms,
            })
            .collect(),
        norecords: rows
            .norecords
            .into_iter()
            .map(|n| f::NoRecord {
                approved: is_approved(&n.id),
                id: n.id.into_string(),
                activity: n.activity.into_string(),
                reason: n.reason,
            })
            .collect(),
        interruptions: rows
            .interruptions
            .into_iter()
            .map(|i| f::Interruption {
                approved: is_approved(&i.id),
                id: i.id.into_string(),
                activity: i.activity.into_string(),
                after: i.after.to_string(),
                reason: i.reason,
                voice_stated: i.voice_stated,
            })
            .collect(),
        extensions: rows
            .extensions
            .into_iter()
            .map(|x| f::Extension {
                approved: is_approved(&x.id),
                id: x.id.into_string(),
                activity: x.activity.into_string(),
            })
            .collect(),
        holds: rows.holds.into_iter().map(Sha256::into_string).collect(),
        recordings,
    })
}

/// The accountability facts (行政处罚法 §42 certificates, R29 suspensions, R28 annual reviews):
/// small tables, read whole for a full check and for a window alike.
struct AccountabilityFacts {
    certificates: Vec<f::Certificate>,
    suspensions: Vec<f::Suspension>,
    annual_reviews: Vec<i32>,
}

async fn accountability_facts(app: &App) -> Result<AccountabilityFacts, AppError> {
    Ok(AccountabilityFacts {
        certificates: app
            .catalog
            .accounts()
            .await?
            .into_iter()
            .map(|a| f::Certificate {
                officer: a.id.into_string(),
                number: a.certificate,
                from: a.certificate_from,
                to: a.certificate_to,
            })
            .collect(),
        suspensions: app
            .catalog
            .sanctions()
            .await?
            .into_iter()
            .filter_map(|s| {
                Some(f::Suspension {
                    to: s.to?,
                    sanction: s.id.into_string(),
                    officer: s.officer.into_string(),
                    kind: s.kind,
                    from: s.from,
                })
            })
            .collect(),
        annual_reviews: app
            .catalog
            .annual_reviews()
            .await?
            .into_iter()
            .map(|r| r.year)
            .collect(),
    })
}

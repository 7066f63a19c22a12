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
        name_officer: r.name_officer_id.map(f::Sym::from),
        officer: r.officer.into_string().into(),
        device: r.device.into_string().into(),
        session: r.session.into_string().into(),
        sha256: f::HashStr::new(r.sha256.as_str()),
    }
}

/// Recordings and links as a full read hands them over: each recording's ids interned (one
/// allocation per distinct device, officer and session, not per recording), each link resolved
/// to the positions of its two ends.
struct Reader<'f> {
    failed: &'f HashSet<String>,
    recordings: Vec<f::Recording>,
    /// (position in `recordings`, position in the activities read).
    link_positions: Vec<(u32, u32)>,
    /// Links whose recording was not among those read, by hash (the engine skips them).
    unresolved: Vec<(String, u32)>,
    devices: f::Interner,
    officers: f::Interner,
    name_officers: f::Interner,
    sessions: f::Interner,
    /// Where the last link's recording was: links are mostly stored in the order of their
    /// recordings, so the next one is usually there or just after.
    cursor: usize,
    /// Each recording's position by its 32 bytes, built on the first link not found at the
    /// cursor.
    by_digest: Option<HashMap<[u8; 32], u32>>,
}

impl<'f> Reader<'f> {
    fn new(failed: &'f HashSet<String>) -> Self {
        Reader {
            failed,
            recordings: Vec::new(),
            link_positions: Vec::new(),
            unresolved: Vec::new(),
            devices: f::Interner::default(),
            officers: f::Interner::default(),
            name_officers: f::Interner::default(),
            sessions: f::Interner::default(),
            cursor: 0,
            by_digest: None,
        }
    }

    fn row(&mut self, row: zhilu_store::FactRow<'_>) {
        match row {
            zhilu_store::FactRow::Recording(r) => {
                let integrity_failed = !self.failed.is_empty() && self.failed.contains(r.sha256);
                self.recordings.push(f::Recording {
                    integrity_failed,
                    capture_start: r.capture_start,
                    capture_end: r.capture_end.or(r.capture_start),
                    offloaded_at: r.offloaded_at,
                    sequence: r.sequence.map(i64::from),
                    name_officer: r.name_officer_id.map(|n| self.name_officers.intern(n)),
                    officer: self.officers.intern(r.officer),
                    device: self.devices.intern(r.device),
                    session: self.sessions.intern(r.session),
                    sha256: f::HashStr::new(r.sha256),
                });
            }
            zhilu_store::FactRow::Link { sha256, activity } => match self.find(sha256) {
                Some(r) => self.link_positions.push((r, activity)),
                None => self.unresolved.push((sha256.to_string(), activity)),
            },
        }
    }

    fn find(&mut self, sha: &str) -> Option<u32> {
        let at = |i: usize| {
            self.recordings
                .get(i)
                .is_some_and(|r| r.sha256.as_bytes() == sha.as_bytes())
        };
        for i in [self.cursor, self.cursor + 1] {
            if at(i) {
                self.cursor = i;
                return Some(i as u32);
            }
        }
        let recordings = &self.recordings;
        let map = self.by_digest.get_or_insert_with(|| {
            let mut map = HashMap::new();
            map.reserve(recordings.len());
            for (i, r) in recordings.iter().enumerate() {
                if let Some(d) = digest(r.sha256.as_str()) {
                    map.insert(d, i as u32);
                }
            }
            map
        });
        let i = *map.get(&digest(sha)?)?;
        self.cursor = i as usize;
        Some(i)
    }
}

/// The 32 bytes of a hash in its canonical form (64 lowercase hex digits); `None` otherwise.
fn digest(sha: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(sha, &mut out).ok()?;
    sha.bytes().all(|b| !b.is_ascii_uppercase()).then_some(out)
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
    let mut reader = Reader::new(&failed);
    let rows = app
        .catalog
        .facts_streamed(w.as_ref(), &mut |row| reader.row(row))
        .await?;
    let Reader {
        mut recordings,
        link_positions,
        unresolved,
        ..
    } = reader;
    recordings.shrink_to_fit();
    let mut links: Vec<(String, String)> = rows
        .links
        .into_iter()
        .map(|(s, a)| (s.into_string(), a.into_string()))
        .collect();
    links.extend(
        unresolved
            .into_iter()
            .filter_map(|(sha, a)| Some((sha, rows.activities.get(a as usize)?.id.to_string()))),
    );
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
        links,
        link_positions,
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use zhilu_store::{FactRow, RecordingFactRef};

    fn row<'a>(sha: &'a str, device: &'a str) -> RecordingFactRef<'a> {
        RecordingFactRef {
            sha256: sha,
            capture_start: None,
            capture_end: None,
            offloaded_at: chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            sequence: Some(1),
            name_officer_id: None,
            officer: "000001",
            device,
            session: "S1",
        }
    }

    /// A full read's links reach their recordings whatever order the catalog stored them in:
    /// in recording order (found at the cursor), out of it (found by hash), or not at all.
    #[test]
    fn r6_full_read_links_reach_their_recordings_in_any_order() {
        let shas: Vec<String> = (0..6u8).map(|i| format!("{i:02x}").repeat(32)).collect();
        let failed = HashSet::from([shas[4].clone()]);
        let mut r = Reader::new(&failed);
        for (i, s) in shas[..5].iter().enumerate() {
            r.row(FactRow::Recording(row(s, if i < 3 { "D1" } else { "D2" })));
        }
        let unknown = &shas[5];
        for (sha, activity) in [
            (&shas[0], 0),
            (&shas[1], 0),
            (&shas[1], 1),
            (&shas[2], 1),
            (&shas[4], 2),
            (&shas[3], 2),
            (unknown, 3),
            (&shas[0], 4),
        ] {
            r.row(FactRow::Link {
                sha256: sha,
                activity,
            });
        }
        assert_eq!(
            r.link_positions,
            vec![(0, 0), (1, 0), (1, 1), (2, 1), (4, 2), (3, 2), (0, 4)]
        );
        assert_eq!(r.unresolved, vec![(unknown.clone(), 3)]);
        let got: Vec<(&str, &str, bool)> = r
            .recordings
            .iter()
            .map(|x| (x.sha256.as_str(), x.device.as_str(), x.integrity_failed))
            .collect();
        let want: Vec<(&str, &str, bool)> = shas[..5]
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), if i < 3 { "D1" } else { "D2" }, i == 4))
            .collect();
        assert_eq!(got, want);
    }
}

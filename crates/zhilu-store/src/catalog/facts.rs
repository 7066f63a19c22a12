//! What the compliance check reads, and how: the query plan for a full check and for a window.
//!
//! A window check reads only what can produce a finding in `[from, to)` — recordings captured
//! since `capture_from` or offloaded in the window or reaching their minimum retention in it, the
//! activities overlapping it and those linked to its recordings, the offloads started in it, the
//! checkouts open in it — each by one indexed range (an `OR` across columns would make SQLite scan
//! the table). Which instants those are is the policy's knowledge (`zhilu_policy::window`); how to
//! read them is this file's. Invariant, tested in every month scenario: the union of daily windowed
//! checks equals the full check.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use zhilu_model::*;

use super::column::Cursor;
use super::driver::{RawRow, Value};
use super::{Catalog, Result, micros, stmt, text};

/// The instants a windowed check reads around (see `zhilu_policy::window::fact_window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactWindow {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub capture_from: DateTime<Utc>,
    pub expiry_from: DateTime<Utc>,
    pub expiry_to: DateTime<Utc>,
}

/// The rows the compliance engine's facts are made of.
#[derive(Debug, Clone, Default)]
pub struct FactRows {
    pub officers: Vec<Officer>,
    pub devices: Vec<Device>,
    pub checkouts: Vec<Checkout>,
    pub activities: Vec<Activity>,
    pub recordings: Vec<RecordingFact>,
    /// (recording, activity), both among the rows above.
    pub links: Vec<(Sha256, ActivityId)>,
    pub sessions: Vec<OffloadSession>,
    pub norecords: Vec<NoRecord>,
    pub interruptions: Vec<Interruption>,
    pub extensions: Vec<Extension>,
    /// The approvals of the records above.
    pub approvals: Vec<Approval>,
    /// Recordings under a hold not yet released.
    pub holds: Vec<Sha256>,
}

const FACT_COLUMNS: &[&str] = &[
    "sha256",
    "capture_start",
    "capture_end",
    "offloaded_at",
    "sequence",
    "name_officer_id",
    "officer",
    "device_serial",
    "session_id",
];

fn recording_fact(row: &dyn RawRow) -> Result<RecordingFact> {
    let mut c = Cursor::new(row, "recordings", FACT_COLUMNS);
    Ok(RecordingFact {
        sha256: c.next()?,
        capture_start: c.next()?,
        capture_end: c.next()?,
        offloaded_at: c.next()?,
        sequence: c.next()?,
        name_officer_id: c.next()?,
        officer: c.next()?,
        device: c.next()?,
        session: c.next()?,
    })
}

/// A recording of a full read, borrowed from its database row: a year's two million rows are
/// read without an allocation each. Its ids are checked as [`RecordingFact`]'s are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingFactRef<'r> {
    /// 64 lowercase hexadecimal digits.
    pub sha256: &'r str,
    pub capture_start: Option<DateTime<Utc>>,
    pub capture_end: Option<DateTime<Utc>>,
    pub offloaded_at: DateTime<Utc>,
    pub sequence: Option<u32>,
    pub name_officer_id: Option<&'r str>,
    pub officer: &'r str,
    pub device: &'r str,
    pub session: &'r str,
}

impl<'r> RecordingFactRef<'r> {
    pub fn of(r: &'r RecordingFact) -> Self {
        RecordingFactRef {
            sha256: r.sha256.as_str(),
            capture_start: r.capture_start,
            capture_end: r.capture_end,
            offloaded_at: r.offloaded_at,
            sequence: r.sequence,
            name_officer_id: r.name_officer_id.as_deref(),
            officer: r.officer.as_str(),
            device: r.device.as_str(),
            session: r.session.as_str(),
        }
    }
}

/// What [`Catalog::facts_streamed`] hands over as it reads: each recording, and (in a full
/// read) each link whose activity is among [`FactRows::activities`], by its position there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactRow<'r> {
    Recording(RecordingFactRef<'r>),
    Link { sha256: &'r str, activity: u32 },
}

/// [`FACT_COLUMNS`] in the order [`recording_fact_ref`] reads them.
const FACT_REF_COLUMNS: &[&str] = &[
    "capture_start",
    "capture_end",
    "offloaded_at",
    "sequence",
    "sha256",
    "name_officer_id",
    "officer",
    "device_serial",
    "session_id",
];

/// The id columns of the last recording row, already checked: one offload session's files are
/// stored together, so most rows repeat them and are not parsed again.
#[derive(Default)]
struct LastIds {
    officer: String,
    device: String,
    session: String,
}

fn corrupt(column: &'static str, message: String) -> super::super::StoreError {
    super::super::StoreError::Corrupt {
        table: "recordings",
        column,
        message,
    }
}

/// Column `i` (named `column`) as text borrowed from the row; NULL is corrupt.
fn text_at<'r>(row: &'r dyn RawRow, i: usize, column: &'static str) -> Result<&'r str> {
    row.text(i)?
        .ok_or_else(|| corrupt(column, "不应为空".into()))
}

/// Checks `s` by `parse` unless it is the value checked last.
fn check_id<T>(
    s: &str,
    last: &mut String,
    column: &'static str,
    parse: fn(&str) -> std::result::Result<T, IdError>,
) -> Result<()> {
    if s != last.as_str() {
        parse(s).map_err(|e| corrupt(column, format!("{s:?}: {e}")))?;
        last.clear();
        last.push_str(s);
    }
    Ok(())
}

fn recording_fact_ref<'r>(row: &'r dyn RawRow, last: &mut LastIds) -> Result<RecordingFactRef<'r>> {
    let mut c = Cursor::new(row, "recordings", FACT_REF_COLUMNS);
    let (capture_start, capture_end, offloaded_at, sequence) =
        (c.next()?, c.next()?, c.next()?, c.next()?);
    let sha256 = text_at(row, 4, "sha256")?;
    if !canonical_hex(sha256) {
        return Err(corrupt(
            "sha256",
            format!("{sha256:?}: {}", IdError::NotHash),
        ));
    }
    let name_officer_id = row.text(5)?;
    let (officer, device, session) = (
        text_at(row, 6, "officer")?,
        text_at(row, 7, "device_serial")?,
        text_at(row, 8, "session_id")?,
    );
    check_id(officer, &mut last.officer, "officer", OfficerId::parse)?;
    check_id(
        device,
        &mut last.device,
        "device_serial",
        DeviceSerial::parse,
    )?;
    check_id(session, &mut last.session, "session_id", SessionId::parse)?;
    Ok(RecordingFactRef {
        sha256,
        capture_start,
        capture_end,
        offloaded_at,
        sequence,
        name_officer_id,
        officer,
        device,
        session,
    })
}

fn link_pair(row: &dyn RawRow) -> Result<(Sha256, ActivityId)> {
    let mut c = Cursor::new(row, "activity_links", &["sha256", "activity_id"]);
    Ok((c.next()?, c.next()?))
}

impl Catalog {
    /// The narrow recording rows matching `filter`, streamed into `out`; with `have`, skipping
    /// the ones already there (a window reads by several ranges that overlap).
    async fn recording_facts(
        &self,
        filter: &str,
        args: Vec<Value>,
        mut have: Option<&mut HashSet<Sha256>>,
        out: &mut Vec<RecordingFact>,
    ) -> Result<()> {
        let sql = format!(
            "SELECT {} FROM recordings{}{filter}",
            FACT_COLUMNS.join(", "),
            if filter.is_empty() { "" } else { " WHERE " }
        );
        self.db
            .each(stmt(sql), args, &mut |row: &dyn RawRow| {
                let r = recording_fact(row)?;
                let fresh = match have.as_deref_mut() {
                    Some(seen) => seen.insert(r.sha256.clone()),
                    None => true,
                };
                if fresh {
                    out.push(r);
                }
                Ok(())
            })
            .await
    }

    async fn link_pairs(
        &self,
        filter: &str,
        args: Vec<Value>,
        mut have: Option<&mut HashSet<(Sha256, ActivityId)>>,
        out: &mut Vec<(Sha256, ActivityId)>,
    ) -> Result<()> {
        let sql = format!(
            "SELECT sha256, activity_id FROM activity_links{}{filter}",
            if filter.is_empty() { "" } else { " WHERE " }
        );
        self.db
            .each(stmt(sql), args, &mut |row: &dyn RawRow| {
                let pair = link_pair(row)?;
                let fresh = match have.as_deref_mut() {
                    Some(seen) => seen.insert(pair.clone()),
                    None => true,
                };
                if fresh {
                    out.push(pair);
                }
                Ok(())
            })
            .await
    }

    /// The narrow rows of the recordings captured in `[from, to]` (automatic linking).
    pub async fn recording_facts_captured_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RecordingFact>> {
        let mut out = Vec::new();
        self.recording_facts(
            "capture_start >= $1 AND capture_start <= $2",
            vec![micros(from), micros(to)],
            None,
            &mut out,
        )
        .await?;
        Ok(out)
    }

    /// The narrow rows of the recordings stored by one offload session.
    pub async fn recording_facts_of_session(
        &self,
        session: &SessionId,
    ) -> Result<Vec<RecordingFact>> {
        let mut out = Vec::new();
        self.recording_facts(
            "session_id = $1",
            vec![text(session.as_str())],
            None,
            &mut out,
        )
        .await?;
        Ok(out)
    }

    /// Everything the check needs for a window, or for all time when `window` is `None`.
    pub async fn facts(&self, window: Option<&FactWindow>) -> Result<FactRows> {
        let mut recordings = Vec::new();
        let mut links: Vec<(Sha256, u32)> = Vec::new();
        let mut bad = None;
        let mut rows = self
            .facts_streamed(window, &mut |row| match row {
                FactRow::Recording(r) => match owned(r) {
                    Ok(r) => recordings.push(r),
                    Err(e) => bad = Some(e),
                },
                FactRow::Link { sha256, activity } => match Sha256::parse(sha256) {
                    Ok(s) => links.push((s, activity)),
                    Err(e) => bad = Some(corrupt("sha256", e.to_string())),
                },
            })
            .await?;
        if let Some(e) = bad {
            return Err(e);
        }
        // Positions back to pairs: this form is for callers that want plain rows.
        for (sha, a) in links {
            if let Some(a) = rows.activities.get(a as usize) {
                rows.links.push((sha, a.id.clone()));
            }
        }
        rows.recordings = recordings;
        Ok(rows)
    }

    /// [`Catalog::facts`], each recording handed to `visit` as it is read instead of collected
    /// (`FactRows::recordings` stays empty), borrowed from its row: a caller that keeps them in
    /// its own form never holds a year's recordings twice, nor allocates for each. A full read
    /// hands over its links too, each after every recording (`FactRows::links` keeps only those
    /// whose activity was not read); a window's links are in `FactRows::links`.
    pub async fn facts_streamed(
        &self,
        window: Option<&FactWindow>,
        visit: &mut (dyn for<'r> FnMut(FactRow<'r>) + Send),
    ) -> Result<FactRows> {
        let mut rows = FactRows {
            officers: self.officers().await?,
            devices: self.devices().await?,
            holds: self
                .active_holds()
                .await?
                .into_iter()
                .map(|h| h.sha256)
                .collect(),
            ..FactRows::default()
        };
        let mut have_rec = HashSet::new();
        let mut have_link = HashSet::new();
        match window {
            None => {
                rows.activities = self.select("", vec![], "id").await?;
                // Everything once: no overlap to remove, and every link's two ends are read (the
                // catalog's foreign keys guarantee they exist). Links name their activity by
                // position; the caller finds their recording among those it was given.
                let mut last = LastIds::default();
                self.db
                    .each(
                        stmt(format!(
                            "SELECT {} FROM recordings",
                            FACT_REF_COLUMNS.join(", ")
                        )),
                        vec![],
                        &mut |row: &dyn RawRow| {
                            visit(FactRow::Recording(recording_fact_ref(row, &mut last)?));
                            Ok(())
                        },
                    )
                    .await?;
                rows.sessions = self.sessions().await?;
                let activity_position: HashMap<&str, u32> = rows
                    .activities
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a.id.as_str(), i as u32))
                    .collect();
                let mut links = Vec::new();
                self.db
                    .each(
                        stmt("SELECT sha256, activity_id FROM activity_links"),
                        vec![],
                        &mut |row: &dyn RawRow| {
                            let sha = text_at(row, 0, "sha256")?;
                            let act = text_at(row, 1, "activity_id")?;
                            match (canonical_hex(sha), activity_position.get(act)) {
                                (true, Some(&a)) => visit(FactRow::Link {
                                    sha256: sha,
                                    activity: a,
                                }),
                                _ => links.push(link_pair(row)?),
                            }
                            Ok(())
                        },
                    )
                    .await?;
                rows.links = links;
                rows.checkouts = self.select("", vec![], "id").await?;
                rows.norecords = self.select("", vec![], "id").await?;
                rows.interruptions = self.select("", vec![], "id").await?;
                rows.extensions = self.select("", vec![], "id").await?;
                rows.approvals = self.select("", vec![], "id").await?;
            }
            Some(w) => {
                for (col, a, b) in [
                    ("capture_start", w.capture_from, w.to),
                    ("offloaded_at", w.from, w.to),
                    ("capture_start", w.expiry_from, w.expiry_to),
                ] {
                    self.recording_facts(
                        &format!("{col} >= $1 AND {col} <= $2"),
                        vec![micros(a), micros(b)],
                        Some(&mut have_rec),
                        &mut rows.recordings,
                    )
                    .await?;
                }
                rows.activities = self.activities_overlapping(w.capture_from, w.to).await?;
                let act_ids: Vec<String> =
                    rows.activities.iter().map(|a| a.id.to_string()).collect();
                for chunk in act_ids.chunks(500) {
                    self.link_pairs(
                        &in_list("activity_id", chunk.len()),
                        chunk.iter().map(|s| text(s)).collect(),
                        Some(&mut have_link),
                        &mut rows.links,
                    )
                    .await?;
                }
                let shas: Vec<String> = rows
                    .recordings
                    .iter()
                    .map(|r| r.sha256.to_string())
                    .collect();
                for chunk in shas.chunks(500) {
                    self.link_pairs(
                        &in_list("sha256", chunk.len()),
                        chunk.iter().map(|s| text(s)).collect(),
                        Some(&mut have_link),
                        &mut rows.links,
                    )
                    .await?;
                }
                // The other end of every link: recordings and activities not yet read.
                let have_act: HashSet<&ActivityId> =
                    rows.activities.iter().map(|a| &a.id).collect();
                let mut more_recs: Vec<String> = rows
                    .links
                    .iter()
                    .filter(|(sha, _)| !have_rec.contains(sha))
                    .map(|(sha, _)| sha.to_string())
                    .collect();
                let mut more_acts: Vec<String> = rows
                    .links
                    .iter()
                    .filter(|(_, act)| !have_act.contains(act))
                    .map(|(_, act)| act.to_string())
                    .collect();
                for v in [&mut more_recs, &mut more_acts] {
                    v.sort_unstable();
                    v.dedup();
                }
                for chunk in more_recs.chunks(500) {
                    self.recording_facts(
                        &in_list("sha256", chunk.len()),
                        chunk.iter().map(|s| text(s)).collect(),
                        Some(&mut have_rec),
                        &mut rows.recordings,
                    )
                    .await?;
                }
                rows.activities
                    .extend(self.select_in("id", &more_acts, "id").await?);
                rows.sessions = self
                    .select(
                        "started_at >= $1 AND started_at <= $2",
                        vec![micros(w.from), micros(w.to)],
                        "started_at, id",
                    )
                    .await?;
                rows.checkouts = self.checkouts_overlapping(w.capture_from, w.to).await?;
                let ids: Vec<ActivityId> = rows.activities.iter().map(|a| a.id.clone()).collect();
                rows.norecords = self.norecords_of(&ids).await?;
                rows.interruptions = self.interruptions_of(&ids).await?;
                rows.extensions = self.extensions_of(&ids).await?;
                let record_ids: Vec<RecordId> = rows
                    .norecords
                    .iter()
                    .map(|n| n.id.clone())
                    .chain(rows.interruptions.iter().map(|i| i.id.clone()))
                    .chain(rows.extensions.iter().map(|x| x.id.clone()))
                    .collect();
                rows.approvals = self.approvals_of(&record_ids).await?;
                // Links whose two ends were both read (a window reads the links of its rows, and
                // some of those lead outside it only through rows it did not need).
                let shas: HashSet<&Sha256> = rows.recordings.iter().map(|r| &r.sha256).collect();
                let acts: HashSet<&ActivityId> = rows.activities.iter().map(|a| &a.id).collect();
                rows.links = std::mem::take(&mut rows.links)
                    .into_iter()
                    .filter(|(s, a)| shas.contains(s) && acts.contains(a))
                    .collect();
                for r in std::mem::take(&mut rows.recordings) {
                    visit(FactRow::Recording(RecordingFactRef::of(&r)));
                }
            }
        }
        Ok(rows)
    }
}

/// A borrowed recording row as an owned one, its ids parsed again.
fn owned(r: RecordingFactRef<'_>) -> Result<RecordingFact> {
    let bad = |column: &'static str| move |e: IdError| corrupt(column, e.to_string());
    Ok(RecordingFact {
        sha256: Sha256::parse(r.sha256).map_err(bad("sha256"))?,
        capture_start: r.capture_start,
        capture_end: r.capture_end,
        offloaded_at: r.offloaded_at,
        sequence: r.sequence,
        name_officer_id: r.name_officer_id.map(str::to_string),
        officer: OfficerId::parse(r.officer).map_err(bad("officer"))?,
        device: DeviceSerial::parse(r.device).map_err(bad("device_serial"))?,
        session: SessionId::parse(r.session).map_err(bad("session_id"))?,
    })
}

/// `column IN ($1, …, $n)`.
fn in_list(column: &str, n: usize) -> String {
    let marks: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    format!("{column} IN ({})", marks.join(", "))
}

/// Whether `sha` is a hash in its canonical form: 64 lowercase hex digits.
fn canonical_hex(sha: &str) -> bool {
    sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

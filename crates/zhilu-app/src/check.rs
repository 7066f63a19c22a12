//! `zhilu check`, `zhilu retention list` and the subject view (R19): read the catalog into the
//! policy engine's facts, run the engine, filter. Reading only; findings are computed, not stored.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use zhilu_policy::engine::{self, Finding};
use zhilu_policy::facts::{self, Facts};
use zhilu_policy::retention::retention;
use zhilu_store::domain::*;
use zhilu_store::{RecordingFactRow, RecordingRow, SessionRow, subject};

use crate::app::App;
use crate::domain::{instant, parse_list};
use crate::error::AppError;
use crate::time::to_micros;

/// What `zhilu check` looks at.
#[derive(Debug, Clone, Default)]
pub struct CheckScope {
    /// Findings that arose in [from, to).
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub unit: Option<String>,
    pub officer: Option<String>,
}

/// One recording's retention, for `zhilu retention list`.
#[derive(Debug, Clone, Serialize)]
pub struct RetentionItem {
    pub sha256: String,
    pub device: String,
    pub capture_start: Option<DateTime<Utc>>,
    pub retain_until: Option<DateTime<Utc>>,
    pub class: &'static str,
    pub reason: String,
    /// `retain`, or `purge_review` once the date has passed (never deleted automatically).
    pub status: &'static str,
}

/// Everything about one enforcement subject (一户式, R19).
#[derive(Debug, Clone, Serialize)]
pub struct SubjectView {
    pub activities: Vec<ActivityRow>,
    pub recordings: Vec<RecordingRow>,
    pub norecords: Vec<NoRecordRow>,
    pub interruptions: Vec<InterruptionRow>,
    pub findings: Vec<Finding>,
}

fn us(d: Duration) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX / 4)
}

/// How far before a window a recording may have been captured and still produce a finding in it:
/// an unlinked file's offload deadline (24:00 of its day, or the profile's hours) plus the link
/// grace (R14), and one more day for a file series that spans midnight or a long recording.
/// Deadlines that end later (remote work, approved extensions) are reached through the offload
/// time, which then lies in the window.
fn lookback(profile: &zhilu_policy::profile::Profile) -> Duration {
    let o = &profile.offload;
    let deadline = o.hours.as_ref().map_or(24, |h| *h.get_ref()).max(24);
    Duration::hours(deadline + o.link_grace_hours.get_ref()) + Duration::days(1)
}

/// `column IN ($1, …, $n)`: a filter for one chunk of bound values.
fn in_filter(column: &str, n: usize) -> String {
    let marks: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    format!("{column} IN ({})", marks.join(", "))
}

fn recording_fact(r: RecordingFactRow, failed: &HashSet<String>) -> facts::Recording {
    facts::Recording {
        integrity_failed: failed.contains(&r.sha256),
        capture_start: r.capture_start.map(instant),
        capture_end: r.capture_end.or(r.capture_start).map(instant),
        offloaded_at: instant(r.offloaded_at),
        sequence: r.sequence,
        name_officer: r.name_officer_id,
        officer: r.officer,
        device: r.device_serial,
        session: r.session_id,
        sha256: r.sha256,
    }
}

fn activity_fact(a: &ActivityRow) -> facts::Activity {
    facts::Activity {
        id: a.id.clone(),
        kind: a.kind.clone(),
        subject_name: a.subject_name.clone(),
        officers: parse_list(&a.officers),
        start: instant(a.start_at),
        end: instant(a.end_at),
        case_no: a.case_no.clone(),
        flags: parse_list(&a.flags),
    }
}

impl App {
    /// Reads the facts for a window of time (everything when `window` is `None`). A window takes the
    /// activities that overlap it (with a margin for deadlines), the recordings captured or
    /// offloaded in it or linked to those activities, and the records attached to them.
    pub async fn facts(
        &self,
        window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Facts, AppError> {
        let c = &self.catalog;
        let failed: HashSet<String> = self.integrity_failures().await?;
        let (activities, recordings, sessions, links) = match window {
            None => (
                c.select::<ActivityRow>(None, vec![]).await?,
                c.recording_facts_where("1 = 1", vec![]).await?,
                c.sessions().await?,
                c.link_pairs_where("1 = 1", vec![]).await?,
            ),
            Some((from, to)) => {
                // A finding that arises in [from, to) concerns: recordings captured shortly before
                // or in it (gaps, sequence numbers, unlinked after the deadline), recordings
                // offloaded in it (late offload), recordings whose minimum period ends in it
                // (expiry), the activities overlapping it or linked to those recordings, and the
                // offload sessions started in it (device clock).
                let (f, t) = (to_micros(from), to_micros(to));
                let lo = f - us(lookback(&self.profile()?));
                let months = self
                    .profile()?
                    .retention
                    .minimum_months
                    .get_ref()
                    .to_owned();
                let shift = |x: DateTime<Utc>| {
                    u32::try_from(months)
                        .ok()
                        .and_then(|m| x.checked_sub_months(chrono::Months::new(m)))
                        .map(to_micros)
                        .unwrap_or(i64::MIN / 2)
                };
                let (ef, et) = (
                    shift(from) - us(Duration::days(1)),
                    shift(to) + us(Duration::days(1)),
                );
                // One indexed range query per reason, merged here: an OR across columns would
                // make SQLite scan the whole table.
                let mut recs: Vec<RecordingFactRow> = Vec::new();
                let mut have_rec: HashSet<String> = HashSet::new();
                for (col, a, b) in [
                    ("capture_start", lo, t),
                    ("offloaded_at", f, t),
                    ("capture_start", ef, et),
                ] {
                    let filter = format!("{col} >= $1 AND {col} <= $2");
                    for r in c
                        .recording_facts_where(&filter, vec![a.into(), b.into()])
                        .await?
                    {
                        if have_rec.insert(r.sha256.clone()) {
                            recs.push(r);
                        }
                    }
                }
                // Activities overlapping [lo, t]: one range on start_at (the longest activity
                // bounds how early an overlapping one can start), then end_at filtered.
                let overlap = "start_at >= $1 AND start_at <= $2 AND end_at >= $3";
                let span = c.longest_activity_us().await?;
                let binds = || -> Vec<SqlValue> {
                    vec![lo.saturating_sub(span).into(), t.into(), lo.into()]
                };
                let mut acts = c.select::<ActivityRow>(Some(overlap), binds()).await?;
                let mut links = c
                    .link_pairs_where(
                        &format!("activity_id IN (SELECT id FROM activities WHERE {overlap})"),
                        binds(),
                    )
                    .await?;
                let mut have_link: HashSet<(String, String)> = links.iter().cloned().collect();
                let shas: Vec<String> = recs.iter().map(|r| r.sha256.clone()).collect();
                for chunk in shas.chunks(500) {
                    let filter = in_filter("sha256", chunk.len());
                    let binds = chunk.iter().map(|s| s.clone().into()).collect();
                    for l in c.link_pairs_where(&filter, binds).await? {
                        if have_link.insert(l.clone()) {
                            links.push(l);
                        }
                    }
                }
                let have_act: HashSet<&str> = acts.iter().map(|a| a.id.as_str()).collect();
                let mut more_recs: Vec<String> = links
                    .iter()
                    .filter(|(sha, _)| !have_rec.contains(sha))
                    .map(|(sha, _)| sha.clone())
                    .collect();
                let mut more_acts: Vec<String> = links
                    .iter()
                    .filter(|(_, act)| !have_act.contains(act.as_str()))
                    .map(|(_, act)| act.clone())
                    .collect();
                for v in [&mut more_recs, &mut more_acts] {
                    v.sort_unstable();
                    v.dedup();
                }
                for chunk in more_recs.chunks(500) {
                    let filter = in_filter("sha256", chunk.len());
                    recs.extend(
                        c.recording_facts_where(
                            &filter,
                            chunk.iter().map(|s| s.clone().into()).collect(),
                        )
                        .await?,
                    );
                }
                acts.extend(self.in_chunks::<ActivityRow>("id", &more_acts).await?);
                let sessions: Vec<SessionRow> = c.sessions_started_between(f, t).await?;
                (acts, recs, sessions, links)
            }
        };
        let checkouts = match window {
            None => c.select::<CheckoutRow>(None, vec![]).await?,
            Some((from, to)) => {
                // Every checkout that was open at some point since `lo` (the earliest capture the
                // window's recordings can have): returned on or after it, or still open.
                let lo = to_micros(from) - us(lookback(&self.profile()?));
                let span = c.longest_checkout_us().await?;
                let mut list = c
                    .select::<CheckoutRow>(
                        Some("out_at >= $1 AND out_at <= $2 AND returned_at >= $3"),
                        vec![
                            lo.saturating_sub(span).into(),
                            to_micros(to).into(),
                            lo.into(),
                        ],
                    )
                    .await?;
                list.extend(
                    c.select::<CheckoutRow>(Some("returned_at IS NULL"), vec![])
                        .await?,
                );
                list
            }
        };
        let shas: HashSet<&str> = recordings.iter().map(|r| r.sha256.as_str()).collect();
        let act_ids: HashSet<&str> = activities.iter().map(|a| a.id.as_str()).collect();
        let links: Vec<(String, String)> = links
            .into_iter()
            .filter(|(sha, act)| shas.contains(sha.as_str()) && act_ids.contains(act.as_str()))
            .collect();
        // The records that explain an activity (R10, R11, R17) and their approvals: all of them for
        // a full check, only those of the window's activities otherwise.
        let act_list: Vec<String> = activities.iter().map(|a| a.id.clone()).collect();
        let norecords: Vec<NoRecordRow> = self.of_activities(window, &act_list).await?;
        let interruptions: Vec<InterruptionRow> = self.of_activities(window, &act_list).await?;
        let extensions: Vec<ExtensionRow> = self.of_activities(window, &act_list).await?;
        let approvals: Vec<ApprovalRow> = match window {
            None => c.select(None, vec![]).await?,
            Some(_) => {
                let ids: Vec<String> = norecords
                    .iter()
                    .map(|n| n.id.clone())
                    .chain(interruptions.iter().map(|i| i.id.clone()))
                    .chain(extensions.iter().map(|x| x.id.clone()))
                    .collect();
                self.in_chunks("id", &ids).await?
            }
        };
        let approvals: HashMap<String, bool> = approvals
            .into_iter()
            .map(|a| (a.id, a.status == "approved"))
            .collect();
        let approved = |id: &str| approvals.get(id).copied().unwrap_or(false);
        let mut facts = Facts {
            officers: c
                .select::<OfficerRow>(None, vec![])
                .await?
                .into_iter()
                .map(|o| facts::Officer {
                    id: o.id,
                    name: o.name,
                    unit: o.unit,
                    role: o.role,
                })
                .collect(),
            devices: c
                .devices()
                .await?
                .into_iter()
                .map(|d| facts::Device {
                    serial: d.serial,
                    unit: d.unit,
                    status: d.status,
                })
                .collect(),
            checkouts: checkouts
                .into_iter()
                .map(|k| facts::Checkout {
                    out_at: instant(k.out_at),
                    returned_at: k.returned_at.map(instant),
                    battery_pct: k.battery_pct,
                    free_gb: k.free_gb,
                    clock_ok: k.clock_ok != 0,
                    id: k.id,
                    device: k.device_serial,
                    officer: k.officer,
                })
                .collect(),
            activities: activities.iter().map(activity_fact).collect(),
            links,
            offloads: sessions
                .into_iter()
                .map(|s| facts::Offload {
                    at: instant(s.started_at),
                    clock_offset_ms: s.device_clock_offset_ms,
                    id: s.id,
                    device: s.device_serial,
                    officer: s.officer,
                })
                .collect(),
            norecords: norecords
                .into_iter()
                .filter(|n| act_ids.contains(n.activity_id.as_str()))
                .map(|n| facts::NoRecord {
                    approved: approved(&n.id),
                    id: n.id,
                    activity: n.activity_id,
                    reason: n.reason,
                })
                .collect(),
            interruptions: interruptions
                .into_iter()
                .filter(|i| act_ids.contains(i.activity_id.as_str()))
                .map(|i| facts::Interruption {
                    approved: approved(&i.id),
                    voice_stated: i.voice_stated != 0,
                    id: i.id,
                    activity: i.activity_id,
                    after: i.after_sha256,
                    reason: i.reason,
                })
                .collect(),
            extensions: extensions
                .into_iter()
                .filter(|x| act_ids.contains(x.activity_id.as_str()))
                .map(|x| facts::Extension {
                    approved: approved(&x.id),
                    id: x.id,
                    activity: x.activity_id,
                })
                .collect(),
            holds: c
                .select::<HoldRow>(Some("released_at IS NULL"), vec![])
                .await?
                .into_iter()
                .map(|h| h.sha256)
                .collect(),
            recordings: Vec::new(),
        };
        facts.recordings = recordings
            .into_iter()
            .map(|r| recording_fact(r, &failed))
            .collect();
        Ok(facts)
    }

    /// Every row of a per-activity table (`activity_id`), or, for a window, those of `activities`.
    async fn of_activities<T>(
        &self,
        window: Option<(DateTime<Utc>, DateTime<Utc>)>,
        activities: &[String],
    ) -> Result<Vec<T>, AppError>
    where
        T: DomainTable + for<'r> zhilu_store::FromAnyRow<'r> + Send + Unpin,
    {
        match window {
            None => Ok(self.catalog.select::<T>(None, vec![]).await?),
            Some(_) => self.in_chunks("activity_id", activities).await,
        }
    }

    /// Rows of a domain table whose `column` is one of `values`, 500 per query.
    async fn in_chunks<T>(&self, column: &str, values: &[String]) -> Result<Vec<T>, AppError>
    where
        T: DomainTable + for<'r> zhilu_store::FromAnyRow<'r> + Send + Unpin,
    {
        let mut out = Vec::new();
        for chunk in values.chunks(500) {
            let filter = in_filter(column, chunk.len());
            out.extend(
                self.catalog
                    .select::<T>(
                        Some(&filter),
                        chunk.iter().map(|s| s.clone().into()).collect(),
                    )
                    .await?,
            );
        }
        Ok(out)
    }

    /// Objects whose every copy failed fixity and could not be repaired (ledger `object.repair_failed`
    /// with no later `object.repaired`).
    async fn integrity_failures(&self) -> Result<HashSet<String>, AppError> {
        let mut failed = HashSet::new();
        for e in self
            .catalog
            .events_of_kinds(&["object.repair_failed", "object.repaired"])
            .await?
        {
            let Some(sha) = e.subject.strip_prefix(&subject::object("")) else {
                continue;
            };
            if e.kind == "object.repair_failed" {
                failed.insert(sha.to_string());
            } else {
                failed.remove(sha);
            }
        }
        Ok(failed)
    }

    /// Runs the compliance engine over the scope.
    pub async fn check(&self, scope: &CheckScope) -> Result<Vec<Finding>, AppError> {
        let profile = self.profile()?;
        let calendar = self.calendar()?;
        let window = match (scope.from, scope.to) {
            (None, None) => None,
            (f, t) => Some((
                f.unwrap_or(DateTime::<Utc>::MIN_UTC + Duration::days(365)),
                t.unwrap_or(self.clock.now()),
            )),
        };
        let started = std::time::Instant::now();
        let facts = self.facts(window).await?;
        let read = started.elapsed();
        let now = self.clock.now();
        let mut found = engine::check(&profile, &calendar, &facts, now);
        tracing::debug!(
            read_ms = read.as_millis() as u64,
            engine_ms = (started.elapsed() - read).as_millis() as u64,
            recordings = facts.recordings.len(),
            activities = facts.activities.len(),
            "check"
        );
        if let Some((f, t)) = window {
            found.retain(|x| x.at >= f && x.at < t);
        }
        if scope.officer.is_some() || scope.unit.is_some() {
            let acts: HashMap<&str, &facts::Activity> = facts
                .activities
                .iter()
                .map(|a| (a.id.as_str(), a))
                .collect();
            let units: HashMap<&str, &str> = facts
                .officers
                .iter()
                .map(|o| (o.id.as_str(), o.unit.as_str()))
                .collect();
            let dev_units: HashMap<&str, &str> = facts
                .devices
                .iter()
                .map(|d| (d.serial.as_str(), d.unit.as_str()))
                .collect();
            found.retain(|x| {
                let mut people: Vec<&str> = x.officer.iter().map(String::as_str).collect();
                if let Some(a) = x.activity.as_deref().and_then(|a| acts.get(a)) {
                    people.extend(a.officers.iter().map(String::as_str));
                }
                let officer_ok = scope.officer.as_deref().is_none_or(|o| people.contains(&o));
                let unit_ok = scope.unit.as_deref().is_none_or(|u| {
                    people.iter().any(|p| units.get(p) == Some(&u))
                        || x.device.as_deref().and_then(|d| dev_units.get(d)) == Some(&u)
                });
                officer_ok && unit_ok
            });
        }
        Ok(found)
    }

    /// Retention of every recording (R20–R21).
    pub async fn retention_list(&self) -> Result<Vec<RetentionItem>, AppError> {
        let profile = self.profile()?;
        let facts = self.facts(None).await?;
        let ix = engine::Index::new(&facts);
        let holds: HashSet<&str> = facts.holds.iter().map(String::as_str).collect();
        let now = self.clock.now();
        Ok(facts
            .recordings
            .iter()
            .map(|r| {
                let ret = retention(
                    &profile,
                    r,
                    ix.activities_of(&r.sha256),
                    holds.contains(r.sha256.as_str()),
                );
                RetentionItem {
                    sha256: r.sha256.clone(),
                    device: r.device.clone(),
                    capture_start: r.capture_start,
                    retain_until: ret.retain_until,
                    class: ret.class.as_str(),
                    status: if ret.expired(now) {
                        "purge_review"
                    } else {
                        "retain"
                    },
                    reason: ret.reason,
                }
            })
            .collect())
    }

    /// Everything about one subject, by its code or its name (R19, 一户式).
    pub async fn subject_view(
        &self,
        code: Option<&str>,
        name: Option<&str>,
    ) -> Result<SubjectView, AppError> {
        let activities = match (
            code.map(str::trim).filter(|s| !s.is_empty()),
            name.map(str::trim).filter(|s| !s.is_empty()),
        ) {
            (Some(c), _) => {
                let c = zhilu_policy::ids::SubjectCode::parse(c)
                    .map_err(|e| AppError::invalid("--code", e.to_string()))?;
                self.catalog
                    .select::<ActivityRow>(
                        Some("subject_code = $1"),
                        vec![c.as_str().to_string().into()],
                    )
                    .await?
            }
            (None, Some(n)) => {
                self.catalog
                    .select::<ActivityRow>(Some("subject_name = $1"), vec![n.to_string().into()])
                    .await?
            }
            (None, None) => {
                return Err(AppError::invalid(
                    "--code/--name",
                    "请给出当事人的统一社会信用代码（或身份证号）或名称",
                ));
            }
        };
        let ids: HashSet<&str> = activities.iter().map(|a| a.id.as_str()).collect();
        let mut recordings = Vec::new();
        for a in &activities {
            for l in self
                .catalog
                .select::<LinkRow>(Some("activity_id = $1"), vec![a.id.clone().into()])
                .await?
            {
                if let Some(r) = self.catalog.recording(&l.sha256).await?
                    && !recordings
                        .iter()
                        .any(|x: &RecordingRow| x.sha256 == r.sha256)
                {
                    recordings.push(r);
                }
            }
        }
        let norecords = self
            .catalog
            .select::<NoRecordRow>(None, vec![])
            .await?
            .into_iter()
            .filter(|n| ids.contains(n.activity_id.as_str()))
            .collect();
        let interruptions = self
            .catalog
            .select::<InterruptionRow>(None, vec![])
            .await?
            .into_iter()
            .filter(|n| ids.contains(n.activity_id.as_str()))
            .collect();
        let findings = self
            .check(&CheckScope::default())
            .await?
            .into_iter()
            .filter(|f| {
                f.activity.as_deref().is_some_and(|a| ids.contains(a))
                    || f.recording
                        .as_deref()
                        .is_some_and(|s| recordings.iter().any(|r| r.sha256 == s))
            })
            .collect();
        Ok(SubjectView {
            activities,
            recordings,
            norecords,
            interruptions,
            findings,
        })
    }
}

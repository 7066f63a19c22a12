//! Findings become work items (issue 14). A finding has a stable identity
//! ([`zhilu_policy::engine::Finding::key`]); [`sync`] keeps one [`FindingCase`] per identity in
//! step with what the full check finds: new ones open, those whose cause disappeared close
//! themselves (原因已消除), a self-closed one whose cause comes back reopens. People move a case
//! along: 待确认 → 已确认 (the officer concerned, or their unit head) → 已整改 (an explanation,
//! optionally linked records) → 已关闭 (a supervisor), or back to 待确认 (reopened, with a reason).
//!
//! Every transition is one ledgered change. A sync that finds nothing new writes nothing; two
//! syncs at once collide on the unique key or a row's version, and the loser re-reads and retries,
//! finding nothing left to do.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_model::*;
use zhilu_policy::engine::{Finding, Severity};
use zhilu_store::{Change, Counter, StoreError, Versioned};

use crate::App;
use crate::access::{Item, visibility};
use crate::actor::{Action, Actor, Target};
use crate::error::{AppError, Field, Thing};

/// `closed_by` of a case the check closed itself.
pub const SYSTEM: &str = "system";
/// The reason a case closes itself.
pub const CAUSE_GONE: &str = "原因已消除";
/// The note of a case reopened by the check.
pub const CAUSE_BACK: &str = "原因再次出现，自动重新打开";
/// Most records one rectification links.
pub const MAX_LINKS: usize = 20;

/// What a sync changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncReport {
    /// New cases.
    pub opened: usize,
    /// Cases closed because the check no longer finds their cause.
    pub self_closed: usize,
    /// Self-closed cases whose cause came back.
    pub reopened: usize,
    /// Open cases whose message (or the people it concerns) changed.
    pub updated: usize,
    /// Cases the check found again as they were, and closed cases left closed.
    pub unchanged: usize,
}

impl SyncReport {
    /// Whether the sync wrote anything.
    pub fn changed(&self) -> bool {
        self.opened + self.self_closed + self.reopened + self.updated > 0
    }

    /// `问题台账：新增 n，自动关闭 n，重新打开 n`.
    pub fn summary(&self) -> String {
        format!(
            "问题台账：新增 {}，自动关闭 {}，重新打开 {}",
            self.opened, self.self_closed, self.reopened
        )
    }
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFilter {
    pub state: Option<FindingState>,
    /// Cases concerning this officer.
    pub officer: Option<String>,
    /// Cases concerning this unit.
    pub unit: Option<String>,
}

/// A rectification (整改) report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rectification {
    /// 整改说明.
    pub explanation: String,
    /// Records it links: a non-recording or interruption record (`NR00001`, `IR00002`), an
    /// activity, a recording.
    pub links: Vec<String>,
}

/// A step a person may take on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Acknowledge,
    Rectify,
    Close,
    Reopen,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Acknowledge => "确认",
            Step::Rectify => "整改",
            Step::Close => "关闭",
            Step::Reopen => "重新打开",
        }
    }

    /// The states the step starts from.
    fn starts_from(self) -> &'static [FindingState] {
        use FindingState::*;
        match self {
            Step::Acknowledge => &[Open],
            Step::Rectify => &[Acknowledged],
            Step::Close => &[Open, Acknowledged, Rectified],
            Step::Reopen => &[Rectified, Closed],
        }
    }

    fn action(self) -> Action {
        match self {
            Step::Acknowledge | Step::Rectify => Action::AnswerFindings,
            Step::Close | Step::Reopen => Action::ManageFindings,
        }
    }
}

/// One entry of a case's history (its ledger entries).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `finding.opened` or `finding.changed`.
    pub kind: String,
    /// The state it left the case in.
    pub state: Option<FindingState>,
    pub note: Option<String>,
}

/// A case with its history and the steps the reader may take.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingView {
    #[serde(flatten)]
    pub case: FindingCase,
    pub history: Vec<HistoryEntry>,
    pub steps: Vec<Step>,
}

// ---------------------------------------------------------------------------------------------
// Sync

/// Keeps the cases in step with the full check, as the system (`check`): one `App::record` for
/// every change, none when nothing changed. Retries when another sync got there first.
pub async fn sync(app: &App) -> Result<SyncReport, AppError> {
    // What the check finds depends only on the catalog (every change of which moves the ledger
    // head) and on the business time. Pages and lists sync on every read: while neither moved
    // since this process last synced, there is nothing new to find (a minute is finer than any
    // deadline a profile sets).
    let minute = app.now().timestamp().div_euclid(60);
    let head = app.catalog.ledger_size().await?;
    let synced =
        |m: &std::sync::Mutex<Option<(u64, i64)>>| *m.lock().unwrap_or_else(|e| e.into_inner());
    if synced(&app.findings_synced) == Some((head, minute)) {
        return Ok(SyncReport::default());
    }
    let mut tries = 0;
    let report = loop {
        tries += 1;
        match sync_once(app).await {
            Err(AppError::Conflict(_) | AppError::Store(StoreError::Duplicate { .. }))
                if tries < 4 =>
            {
                tracing::info!(
                    tries,
                    "findings sync collided with another writer; retrying"
                );
            }
            other => break other?,
        }
    };
    let head = app.catalog.ledger_size().await?;
    *app.findings_synced
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some((head, minute));
    Ok(report)
}

/// Whether this process may write the catalog (a sync is skipped on a read-only copy).
pub fn can_sync(app: &App) -> bool {
    !app.catalog.read_only() && app.catalog_behind().is_none()
}

async fn sync_once(app: &App) -> Result<SyncReport, AppError> {
    let (found, facts) = crate::compliance::all_findings(app).await?;
    let now = app.now();
    // One finding per identity; `Info` findings (a recording entering purge review) are for the
    // record, not for anybody to rectify.
    let mut current: BTreeMap<String, Finding> = BTreeMap::new();
    for f in found {
        if f.severity == Severity::Info {
            continue;
        }
        current.entry(f.key()).or_insert(f);
    }
    let people = People::of(&facts);
    let rows = app.catalog.finding_cases().await?;
    let mut by_key: HashMap<String, Versioned<FindingCase>> = rows
        .into_iter()
        .map(|v| (v.record.key.clone(), v))
        .collect();
    let mut report = SyncReport::default();
    let mut changes = Vec::new();
    for (key, f) in &current {
        let (officers, units) = people.concerned(f);
        match by_key.remove(key) {
            None => {
                let id = RecordId::parse(&app.catalog.next_id(&Counter::Finding).await?)
                    .map_err(|e| AppError::invalid(Field::Record, e.to_string()))?;
                changes.push(Change::insert(FindingCase {
                    id,
                    key: key.clone(),
                    rule: f.rule.to_string(),
                    code: f.code.to_string(),
                    article: f.article.clone(),
                    severity: severity_code(f.severity).to_string(),
                    message: f.message.clone(),
                    officers,
                    units,
                    activity: f.activity.clone(),
                    recording: f.recording.clone(),
                    device: f.device.clone(),
                    arose_at: f.at,
                    first_seen: now,
                    last_seen: now,
                    state: FindingState::Open,
                    acknowledged_by: None,
                    acknowledged_at: None,
                    rectification: None,
                    rectification_links: Vec::new(),
                    rectified_by: None,
                    rectified_at: None,
                    closed_by: None,
                    closed_at: None,
                    closed_reason: None,
                    reopen_count: 0,
                    note: None,
                }));
                report.opened += 1;
            }
            Some(v) => match revise(&v.record, Some((f, officers, units)), now) {
                Revision::Unchanged => report.unchanged += 1,
                Revision::Updated(n) => {
                    changes.push(Change::update(n, v.version));
                    report.updated += 1;
                }
                Revision::Reopened(n) => {
                    changes.push(Change::update(n, v.version));
                    report.reopened += 1;
                }
                Revision::SelfClosed(n) => {
                    changes.push(Change::update(n, v.version));
                    report.self_closed += 1;
                }
            },
        }
    }
    // What the check no longer finds closes itself.
    let mut gone: Vec<Versioned<FindingCase>> = by_key.into_values().collect();
    gone.sort_by(|a, b| a.record.id.as_str().cmp(b.record.id.as_str()));
    for v in gone {
        match revise(&v.record, None, now) {
            Revision::SelfClosed(n) => {
                changes.push(Change::update(n, v.version));
                report.self_closed += 1;
            }
            _ => report.unchanged += 1,
        }
    }
    if !changes.is_empty() {
        app.record(&Actor::system("check"), changes).await?;
    }
    Ok(report)
}

/// What a sync does to an existing case.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Revision {
    Unchanged,
    /// Still found, still open: what the check says changed.
    Updated(FindingCase),
    /// Closed by the system, found again.
    Reopened(FindingCase),
    /// Not closed, no longer found.
    SelfClosed(FindingCase),
}

/// The one rule of a sync for an existing case: `found` is what the check says about its key now
/// (with the people it concerns), `None` when it no longer finds it. A case a person closed stays
/// closed whatever the check finds; one the system closed reopens when its cause comes back; an
/// open one no longer found closes itself (原因已消除).
fn revise(
    c: &FindingCase,
    found: Option<(&Finding, Vec<OfficerId>, Vec<String>)>,
    now: DateTime<Utc>,
) -> Revision {
    match found {
        None if c.state == FindingState::Closed => Revision::Unchanged,
        None => Revision::SelfClosed(FindingCase {
            state: FindingState::Closed,
            closed_by: Some(SYSTEM.into()),
            closed_at: Some(now),
            closed_reason: Some(CAUSE_GONE.into()),
            note: Some(CAUSE_GONE.into()),
            ..c.clone()
        }),
        Some((f, officers, units)) if c.state == FindingState::Closed => {
            if c.closed_by.as_deref() == Some(SYSTEM) {
                let mut n = reopened(c, CAUSE_BACK, now);
                refresh(&mut n, f, officers, units);
                Revision::Reopened(n)
            } else {
                Revision::Unchanged
            }
        }
        Some((f, officers, units)) => {
            let mut n = c.clone();
            refresh(&mut n, f, officers, units);
            if n == *c {
                Revision::Unchanged
            } else {
                n.last_seen = now;
                Revision::Updated(n)
            }
        }
    }
}

fn severity_code(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Violation => "violation",
    }
}

/// The Chinese label of a stored severity.
pub fn severity_label(code: &str) -> &'static str {
    match code {
        "info" => Severity::Info.label(),
        "warning" => Severity::Warning.label(),
        _ => Severity::Violation.label(),
    }
}

/// What the check says now about a case it finds again.
fn refresh(c: &mut FindingCase, f: &Finding, officers: Vec<OfficerId>, units: Vec<String>) {
    c.message = f.message.clone();
    c.article = f.article.clone();
    c.severity = severity_code(f.severity).to_string();
    c.officers = officers;
    c.units = units;
}

/// The case back at 待确认: what was acknowledged, rectified and closed is in its history.
fn reopened(c: &FindingCase, note: &str, now: DateTime<Utc>) -> FindingCase {
    FindingCase {
        state: FindingState::Open,
        acknowledged_by: None,
        acknowledged_at: None,
        rectification: None,
        rectification_links: Vec::new(),
        rectified_by: None,
        rectified_at: None,
        closed_by: None,
        closed_at: None,
        closed_reason: None,
        reopen_count: c.reopen_count + 1,
        note: Some(note.to_string()),
        last_seen: now,
        ..c.clone()
    }
}

/// Who a finding concerns: the officer it names, or else its activity's officers; their units, or
/// the unit owning its device (as `zhilu_policy::scope` narrows a check).
struct People<'a> {
    activities: HashMap<&'a str, &'a zhilu_policy::facts::Activity>,
    units: HashMap<&'a str, &'a str>,
    device_units: HashMap<&'a str, &'a str>,
}

impl<'a> People<'a> {
    fn of(facts: &'a zhilu_policy::facts::Facts) -> Self {
        People {
            activities: facts
                .activities
                .iter()
                .map(|a| (a.id.as_str(), a))
                .collect(),
            units: facts
                .officers
                .iter()
                .map(|o| (o.id.as_str(), o.unit.as_str()))
                .collect(),
            device_units: facts
                .devices
                .iter()
                .map(|d| (d.serial.as_str(), d.unit.as_str()))
                .collect(),
        }
    }

    fn concerned(&self, f: &Finding) -> (Vec<OfficerId>, Vec<String>) {
        // A finding that names an officer (an expired certificate, work while suspended) is
        // about that person alone; otherwise about everyone on its activity.
        let mut ids: Vec<&str> = f.officer.iter().map(String::as_str).collect();
        if ids.is_empty()
            && let Some(a) = f.activity.as_deref().and_then(|a| self.activities.get(a))
        {
            ids.extend(a.officers.iter().map(String::as_str));
        }
        let mut officers: Vec<OfficerId> = Vec::new();
        let mut units: Vec<String> = Vec::new();
        for id in ids {
            if let Ok(o) = OfficerId::parse(id)
                && !officers.contains(&o)
            {
                officers.push(o);
            }
            if let Some(u) = self.units.get(id)
                && !units.iter().any(|x| x == u)
            {
                units.push((*u).to_string());
            }
        }
        if units.is_empty()
            && let Some(u) = f.device.as_deref().and_then(|d| self.device_units.get(d))
        {
            units.push((*u).to_string());
        }
        (officers, units)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

fn target(c: &FindingCase) -> Target<'_> {
    Target {
        people: &c.officers,
        units: &c.units,
    }
}

fn items(c: &FindingCase) -> Vec<Item> {
    let activity = c
        .activity
        .as_deref()
        .and_then(|a| ActivityId::parse(a).ok())
        .map(Item::Activity);
    let recording = c
        .recording
        .as_deref()
        .and_then(|r| Sha256::parse(r).ok())
        .map(Item::Recording);
    activity.into_iter().chain(recording).collect()
}

/// The cases the actor may read (officer: their own; unit head: their unit's; the legal office,
/// leaders and supervisors: all — R30), hiding what their clearance does not cover, newest first.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &FindingFilter,
) -> Result<Vec<FindingCase>, AppError> {
    actor.require_any(Action::ReadFindings)?;
    actor.reads("finding_cases");
    let vis = visibility(app, actor).await?;
    let mut out: Vec<FindingCase> = app
        .catalog
        .finding_cases()
        .await?
        .into_iter()
        .map(|v| v.record)
        .filter(|c| actor.allows(Action::ReadFindings, target(c)))
        .filter(|c| items(c).iter().all(|i| vis.sees(i)))
        .filter(|c| filter.state.is_none_or(|s| c.state == s))
        .filter(|c| {
            filter
                .officer
                .as_deref()
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .is_none_or(|o| c.officers.iter().any(|x| x.as_str() == o))
        })
        .filter(|c| {
            filter
                .unit
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .is_none_or(|u| c.units.iter().any(|x| x == u))
        })
        .collect();
    out.sort_by(|a, b| b.id.as_str().cmp(a.id.as_str()));
    app.log_classified_shown(actor, &vis, "finding_cases", out.iter().flat_map(items))
        .await?;
    Ok(out)
}

/// Counts per state of the cases the actor may read (for the page's tabs).
pub fn counts(cases: &[FindingCase]) -> Vec<(FindingState, usize)> {
    FindingState::ALL
        .iter()
        .map(|s| (*s, cases.iter().filter(|c| c.state == *s).count()))
        .collect()
}

/// Reads one case the actor may see, with its version.
async fn read_case(
    app: &App,
    actor: &Actor,
    id: &str,
    action: Action,
) -> Result<Versioned<FindingCase>, AppError> {
    let not_found = || AppError::NotFound {
        what: Thing::Finding,
        id: id.trim().to_string(),
    };
    let rid = RecordId::parse(id.trim()).map_err(|_| not_found())?;
    let v = app
        .catalog
        .finding_case(&rid)
        .await?
        .ok_or_else(not_found)?;
    // What the reader's clearance does not cover does not exist for them (R25).
    let vis = visibility(app, actor).await?;
    if !items(&v.record).iter().all(|i| vis.sees(i)) {
        return Err(not_found());
    }
    actor.require(action, target(&v.record))?;
    Ok(v)
}

/// One case with its history (the ledger entries of `finding:<id>`) and the steps the actor may
/// take on it now.
pub async fn show(app: &App, actor: &Actor, id: &str) -> Result<FindingView, AppError> {
    let v = read_case(app, actor, id, Action::ReadFindings).await?;
    actor.reads("finding_case");
    let vis = visibility(app, actor).await?;
    app.log_classified_shown(actor, &vis, "finding_case", items(&v.record))
        .await?;
    let mut history: Vec<HistoryEntry> = app
        .catalog
        .ledger_entries_about(&format!("finding:{}", v.record.id), 500)
        .await?
        .into_iter()
        .map(|e| {
            let body: serde_json::Value = serde_json::from_str(&e.body).unwrap_or_default();
            let state = &body["state"];
            HistoryEntry {
                seq: e.seq,
                at: DateTime::from_timestamp_micros(e.at).unwrap_or_default(),
                actor: body["actor"].as_str().unwrap_or("").to_string(),
                kind: e.kind.clone(),
                state: state["state"]
                    .as_str()
                    .and_then(|s| FindingState::parse(s).ok()),
                note: state["note"].as_str().map(str::to_string),
            }
        })
        .collect();
    history.sort_by_key(|h| h.seq);
    let steps = steps(actor, &v.record);
    Ok(FindingView {
        case: v.record,
        history,
        steps,
    })
}

/// The steps the actor may take on the case now (its state and their permissions).
pub fn steps(actor: &Actor, c: &FindingCase) -> Vec<Step> {
    [Step::Acknowledge, Step::Rectify, Step::Close, Step::Reopen]
        .into_iter()
        .filter(|s| s.starts_from().contains(&c.state) && actor.allows(s.action(), target(c)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Transitions

/// Reads the case, checks the permission and the state for `step`.
async fn begin(
    app: &App,
    actor: &Actor,
    id: &str,
    step: Step,
) -> Result<Versioned<FindingCase>, AppError> {
    let v = read_case(app, actor, id, step.action()).await?;
    if !step.starts_from().contains(&v.record.state) {
        return Err(AppError::FindingRefused(format!(
            "问题 {} 当前状态为{}，不能{}",
            v.record.id,
            v.record.state.label(),
            step.label()
        )));
    }
    Ok(v)
}

fn who(actor: &Actor) -> String {
    actor
        .person_id()
        .map(|p| p.to_string())
        .unwrap_or_else(|| actor.ledger_name().to_string())
}

fn note(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn required(field: Field, s: &str, what: &str) -> Result<String, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::invalid(field, format!("请填写{what}")));
    }
    if s.chars().count() > 2000 {
        return Err(AppError::invalid(field, format!("{what}不能超过 2000 字")));
    }
    Ok(s.to_string())
}

async fn commit(
    app: &App,
    actor: &Actor,
    n: FindingCase,
    v: &Versioned<FindingCase>,
) -> Result<FindingCase, AppError> {
    app.record(actor, vec![Change::update(n.clone(), v.version)])
        .await?;
    Ok(n)
}

/// 确认: the officer concerned (or their unit head) acknowledges the finding.
pub async fn acknowledge(
    app: &App,
    actor: &Actor,
    id: &str,
    remark: Option<&str>,
) -> Result<FindingCase, AppError> {
    let v = begin(app, actor, id, Step::Acknowledge).await?;
    let now = app.now();
    let n = FindingCase {
        state: FindingState::Acknowledged,
        acknowledged_by: Some(who(actor)),
        acknowledged_at: Some(now),
        note: note(remark),
        ..v.record.clone()
    };
    commit(app, actor, n, &v).await
}

/// 整改: the officer concerned (or their unit head) reports what was done, optionally linking
/// records (each must exist).
pub async fn rectify(
    app: &App,
    actor: &Actor,
    id: &str,
    r: &Rectification,
) -> Result<FindingCase, AppError> {
    let v = begin(app, actor, id, Step::Rectify).await?;
    let explanation = required(Field::Detail, &r.explanation, "整改说明")?;
    let mut links: Vec<String> = Vec::new();
    for l in r.links.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        let l = resolve_link(app, l).await?;
        if !links.contains(&l) {
            links.push(l);
        }
    }
    if links.len() > MAX_LINKS {
        return Err(AppError::invalid(
            Field::Record,
            format!("整改最多关联 {MAX_LINKS} 项记录"),
        ));
    }
    let now = app.now();
    let n = FindingCase {
        state: FindingState::Rectified,
        rectification: Some(explanation),
        rectification_links: links,
        rectified_by: Some(who(actor)),
        rectified_at: Some(now),
        note: None,
        ..v.record.clone()
    };
    commit(app, actor, n, &v).await
}

/// A linked record, checked to exist: a written record (`NR…`, `IR…`, `EX…`), an activity, or a
/// recording (by SHA-256 or an unambiguous prefix).
async fn resolve_link(app: &App, l: &str) -> Result<String, AppError> {
    if let Ok(r) = RecordId::parse(l)
        && app.catalog.written_record_exists(&r).await?
    {
        return Ok(r.to_string());
    }
    if let Ok(a) = ActivityId::parse(l)
        && app.catalog.activity(&a).await?.is_some()
    {
        return Ok(a.to_string());
    }
    match crate::records::resolve_recording(app, l).await {
        Ok(sha) => Ok(sha.to_string()),
        Err(e @ AppError::AmbiguousPrefix { .. }) => Err(e),
        Err(_) => Err(AppError::invalid(
            Field::Record,
            format!(
                "关联的记录 {l} 不存在（可关联未记录工作记录、中断记录、延期记录、执法活动或音像记录）"
            ),
        )),
    }
}

/// 关闭: a supervisor closes the case (a note is required unless it was rectified).
pub async fn close(
    app: &App,
    actor: &Actor,
    id: &str,
    remark: Option<&str>,
) -> Result<FindingCase, AppError> {
    let v = begin(app, actor, id, Step::Close).await?;
    let remark = note(remark);
    if v.record.state != FindingState::Rectified && remark.is_none() {
        return Err(AppError::invalid(
            Field::Reason,
            format!("问题 {} 尚未整改，关闭须写明理由", v.record.id),
        ));
    }
    let now = app.now();
    let n = FindingCase {
        state: FindingState::Closed,
        closed_by: Some(who(actor)),
        closed_at: Some(now),
        closed_reason: Some(remark.clone().unwrap_or_else(|| "整改完成".into())),
        note: remark,
        ..v.record.clone()
    };
    commit(app, actor, n, &v).await
}

/// 重新打开: a supervisor sends a rectified or closed case back to 待确认, with a reason.
pub async fn reopen(
    app: &App,
    actor: &Actor,
    id: &str,
    reason: &str,
) -> Result<FindingCase, AppError> {
    let v = begin(app, actor, id, Step::Reopen).await?;
    let reason = required(Field::Reason, reason, "重新打开的理由")?;
    let n = reopened(&v.record, &reason, v.record.last_seen);
    commit(app, actor, n, &v).await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 2, 0, 0)
            .single()
            .expect("time")
    }

    fn finding(message: &str) -> Finding {
        Finding {
            rule: "R10",
            code: "norecord_not_approved",
            article: "lushan-sj §9".into(),
            quote: None,
            agency_choice: Vec::new(),
            severity: Severity::Warning,
            message: message.into(),
            at: at(20),
            activity: Some("A20261120-001".into()),
            recording: None,
            device: None,
            officer: None,
        }
    }

    fn case(state: FindingState, closed_by: Option<&str>) -> FindingCase {
        let f = finding("活动 A20261120-001 的未记录工作记录 NR00001 尚未审批");
        FindingCase {
            id: RecordId::parse("WT00001").expect("id"),
            key: f.key(),
            rule: f.rule.into(),
            code: f.code.into(),
            article: f.article.clone(),
            severity: "warning".into(),
            message: f.message.clone(),
            officers: vec![OfficerId::parse("000123").expect("id")],
            units: vec!["一大队".into()],
            activity: f.activity.clone(),
            recording: None,
            device: None,
            arose_at: f.at,
            first_seen: at(20),
            last_seen: at(20),
            state,
            acknowledged_by: None,
            acknowledged_at: None,
            rectification: None,
            rectification_links: Vec::new(),
            rectified_by: None,
            rectified_at: None,
            closed_by: closed_by.map(str::to_string),
            closed_at: closed_by.map(|_| at(21)),
            closed_reason: closed_by.map(|_| CAUSE_GONE.to_string()),
            reopen_count: 0,
            note: None,
        }
    }

    fn people() -> (Vec<OfficerId>, Vec<String>) {
        (
            vec![OfficerId::parse("000123").expect("id")],
            vec!["一大队".into()],
        )
    }

    #[test]
    fn r10_open_case_found_again_unchanged_and_closes_itself_when_its_cause_goes() {
        let c = case(FindingState::Acknowledged, None);
        let f = finding(&c.message);
        let (o, u) = people();
        assert_eq!(revise(&c, Some((&f, o, u)), at(22)), Revision::Unchanged);
        let Revision::SelfClosed(n) = revise(&c, None, at(22)) else {
            panic!("an open case no longer found closes itself");
        };
        assert_eq!(n.state, FindingState::Closed);
        assert_eq!(n.closed_by.as_deref(), Some(SYSTEM));
        assert_eq!(n.closed_reason.as_deref(), Some(CAUSE_GONE));
        assert_eq!(n.closed_at, Some(at(22)));
    }

    #[test]
    fn r10_self_closed_case_reopens_itself_when_its_cause_comes_back() {
        let c = case(FindingState::Closed, Some(SYSTEM));
        let f = finding("活动 A20261120-001 的未记录工作记录 NR00002 尚未审批");
        let (o, u) = people();
        let Revision::Reopened(n) = revise(&c, Some((&f, o, u)), at(23)) else {
            panic!("a self-closed case found again reopens");
        };
        assert_eq!(n.state, FindingState::Open);
        assert_eq!(n.reopen_count, 1);
        assert_eq!(n.closed_by, None);
        assert_eq!(n.note.as_deref(), Some(CAUSE_BACK));
        assert_eq!(n.message, f.message, "the latest message");
        assert_eq!(n.last_seen, at(23));
        assert_eq!(n.id, c.id, "the same case, not a new one");
        // Still gone: nothing to do.
        assert_eq!(revise(&c, None, at(23)), Revision::Unchanged);
    }

    #[test]
    fn r30_supervisor_closed_case_stays_closed_whatever_the_check_finds() {
        let c = case(FindingState::Closed, Some("S1"));
        let f = finding(&c.message);
        let (o, u) = people();
        assert_eq!(revise(&c, Some((&f, o, u)), at(23)), Revision::Unchanged);
        assert_eq!(revise(&c, None, at(23)), Revision::Unchanged);
    }

    #[test]
    fn r10_open_case_takes_the_latest_message() {
        let c = case(FindingState::Open, None);
        let f = finding("新的说明");
        let (o, u) = people();
        let Revision::Updated(n) = revise(&c, Some((&f, o, u)), at(24)) else {
            panic!("a changed message updates the case");
        };
        assert_eq!(n.message, "新的说明");
        assert_eq!(n.state, FindingState::Open);
        assert_eq!(n.last_seen, at(24));
    }
}

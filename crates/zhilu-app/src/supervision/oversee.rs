//! The supervising body's view of agencies (上级监督机关, issue 15 X4): a few figures the
//! application already computes cheaply, read-only, per agency ([`summary`]), and the same for
//! several agencies — each its own data directory and catalog — side by side ([`across`]), as
//! `zhilu oversee` and the web page 「跨机关监督」 show them. The page's agencies are the
//! installation's `[[oversee]]` entries in its `zhilu.toml` ([`configured`]).
//!
//! Who may: an actor reading records, findings, devices and supervision across the whole agency
//! (scope `All` in the one permission table: the 上级监督机关's account in that agency; within
//! the agency its leaders, legal office and supervisors also qualify). Anyone narrower would see
//! partial figures, so they are refused rather than misled. Across agencies the person is the
//! account of the same id in each one, made there as any actor is (registered, enabled, its
//! roles read from that agency's catalog); one agency refusing them, or not opening, is that
//! agency's answer alone.
//!
//! Nothing is written: the check runs without syncing finding cases and without the
//! classified-items log (no item is shown, only counts, and items the reader is not cleared for
//! are not counted).

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use zhilu_model::{ActivityId, FindingState, OfficerId, Sha256};
use zhilu_policy::engine::{self, Severity};
use zhilu_policy::window::fact_window;

use crate::access::{Item, visibility};
use crate::actor::{Action, Actor, Scope, Via};
use crate::error::AppError;
use crate::setup::OverseeAgency;
use crate::{App, Clock, DataDir, start_of_day};

/// The reads the overview needs, each across the whole agency.
const NEEDS: [Action; 4] = [
    Action::ReadRecords,
    Action::ReadFindings,
    Action::ReadDevices,
    Action::ReadSupervision,
];

/// Open finding cases (not closed) of one severity.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeverityCount {
    /// `violation`, `warning`, `info`.
    pub severity: &'static str,
    /// 违规, 预警, 提示.
    pub label: &'static str,
    pub count: usize,
}

/// Whether the ledger's head agrees with the signed checkpoint kept beside the catalog.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeadCheck {
    pub ok: bool,
    /// The size the checkpoint file signs (none: unreadable or badly signed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_size: Option<u64>,
    /// What is wrong, in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One agency as its supervising body sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgencySummary {
    /// The agency's enforcement profile (`jinpu-wj`).
    pub profile: String,
    /// The period looked at, `[from, to)`; none: everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
    /// Recordings offloaded and activities started in the period (or all).
    pub recordings: usize,
    pub activities: usize,
    /// Findings of the period by the check, and those about offloads late or missing (R16, R17).
    pub findings: usize,
    pub overdue_offloads: usize,
    /// Finding cases not closed, by severity (most severe first), and their total.
    pub open_cases: Vec<SeverityCount>,
    pub open_cases_total: usize,
    /// Devices checked out and not returned.
    pub devices_out: usize,
    pub ledger_size: u64,
    /// Hex root of the ledger.
    pub ledger_root: String,
    pub head: HeadCheck,
}

fn severity_code(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Violation => "violation",
    }
}

/// The overview of the agency `app` holds, for `period` (`[from, to)`) or everything.
pub async fn summary(
    app: &App,
    actor: &Actor,
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<AgencySummary, AppError> {
    for action in NEEDS {
        if actor.require_any(action)? != Scope::All {
            return Err(AppError::Forbidden {
                actor: actor.ledger_name().to_string(),
                action: "查看整个机关的监督概况（须为上级监督机关等可查看全部记录的角色）",
            });
        }
    }
    actor.reads("oversight summary");
    let profile = app.profile().await?;
    let calendar = app.calendar().await?;
    let now = app.now();
    let vis = visibility(app, actor).await?;

    // The compliance check, as `compliance::check` runs it, without its log of classified items
    // shown (none is shown here) and without syncing cases (that writes).
    let window = period.map(|(from, to)| fact_window(&profile, from, to));
    let facts = crate::compliance::facts::read(app, window.as_ref()).await?;
    let mut found = engine::check(&profile, &calendar, &facts, now);
    if let Some(w) = &window {
        found.retain(|x| x.at >= w.from && x.at < w.to);
    }
    found.retain(|f| vis.sees_finding(f));
    let within = |t: DateTime<Utc>| period.is_none_or(|(from, to)| t >= from && t < to);
    let recordings = facts
        .recordings
        .iter()
        .filter(|r| within(r.offloaded_at))
        .filter(|r| Sha256::parse(&r.sha256).is_ok_and(|s| vis.sees(&Item::Recording(s))))
        .count();
    let activities = facts
        .activities
        .iter()
        .filter(|a| within(a.start))
        .filter(|a| ActivityId::parse(&a.id).is_ok_and(|id| vis.sees(&Item::Activity(id))))
        .count();
    let overdue_offloads = found
        .iter()
        .filter(|f| matches!(f.rule, "R16" | "R17"))
        .count();

    // Finding cases as last synced, not closed.
    let mut open =
        [Severity::Violation, Severity::Warning, Severity::Info].map(|s| SeverityCount {
            severity: severity_code(s),
            label: s.label(),
            count: 0,
        });
    for v in app.catalog.finding_cases().await? {
        let c = v.record;
        if c.state == FindingState::Closed {
            continue;
        }
        let seen = c
            .activity
            .as_deref()
            .and_then(|a| ActivityId::parse(a).ok())
            .is_none_or(|a| vis.sees(&Item::Activity(a)))
            && c.recording
                .as_deref()
                .and_then(|r| Sha256::parse(r).ok())
                .is_none_or(|r| vis.sees(&Item::Recording(r)));
        if !seen {
            continue;
        }
        if let Some(slot) = open.iter_mut().find(|s| s.severity == c.severity) {
            slot.count += 1;
        }
    }
    let open_cases_total = open.iter().map(|s| s.count).sum();

    let devices_out = crate::registry::checkouts(app, actor)
        .await?
        .iter()
        .filter(|c| c.returned_at.is_none())
        .count();
    let (ledger_size, root) = app.catalog.ledger_head().await?;
    let head = head_check(app, ledger_size).await?;
    Ok(AgencySummary {
        profile: profile.id().to_string(),
        from: period.map(|p| p.0),
        to: period.map(|p| p.1),
        recordings,
        activities,
        findings: found.len(),
        overdue_offloads,
        open_cases: open.to_vec(),
        open_cases_total,
        devices_out,
        ledger_size,
        ledger_root: hex::encode(root),
        head,
    })
}

/// `verify`'s first test, alone: the checkpoint file beside the catalog is signed by this
/// directory's key, the catalog is not shorter than it, and the catalog's tree at that size has
/// the root it signs. (The whole ledger is `zhilu verify`'s.)
async fn head_check(app: &App, size: u64) -> Result<HeadCheck, AppError> {
    let bad = |signed_size, problem: String| HeadCheck {
        ok: false,
        signed_size,
        problem: Some(problem),
    };
    let text = match std::fs::read_to_string(app.dir.checkpoint()) {
        Ok(t) => t,
        Err(e) => {
            return Ok(bad(
                None,
                format!(
                    "无法读取检查点文件 {}：{}",
                    app.dir.checkpoint().display(),
                    zhilu_model::explain::io_error(&e)
                ),
            ));
        }
    };
    let cp = match zhilu_ledger::verify_checkpoint(&text, &app.signer.verifying_key) {
        Ok(cp) => cp,
        Err(e) => return Ok(bad(None, format!("检查点文件签名无效或已被改动：{e}"))),
    };
    if cp.size > size {
        return Ok(bad(
            Some(cp.size),
            format!(
                "编目库只有 {size} 条审计日志，签名检查点却记录了 {} 条：编目库被回滚或不是本机关的",
                cp.size
            ),
        ));
    }
    if cp.size > 0 && app.catalog.root_at(cp.size).await? != cp.root {
        return Ok(bad(
            Some(cp.size),
            format!("编目库中前 {} 条审计日志的树根与签名检查点不符", cp.size),
        ));
    }
    Ok(HeadCheck {
        ok: true,
        signed_size: Some(cp.size),
        problem: None,
    })
}

/// A month, `2026-11`, as the period `[first day 00:00, next month's first day 00:00)` in
/// Beijing time; `None` if `s` is not a month.
pub fn month(s: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d").ok()?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }?;
    Some((start_of_day(first), start_of_day(next)))
}

/// The person looking into the agencies: an account id, which must name a registered, enabled
/// account with the overview's reads in every agency, and how they came (recorded on the actor
/// each agency makes for them).
#[derive(Debug, Clone)]
pub struct Overseer {
    person: String,
    via: Via,
}

impl Overseer {
    /// `--actor` at the shell, beside the OS user.
    pub fn cli(person: &str, os_user: &str) -> Overseer {
        Overseer {
            person: person.trim().to_string(),
            via: Via::Cli {
                os_user: os_user.to_string(),
            },
        }
    }
}

/// Why an agency's row has no figures.
#[derive(Debug)]
pub enum AgencyProblem {
    /// Its data directory did not open (missing, not initialised, unreadable, its catalog out of
    /// reach).
    Unopenable(AppError),
    /// It opened, and the account of the same id there may not read the overview (unknown,
    /// disabled, or reaching less than the whole agency).
    Refused(AppError),
    /// It opened and allowed the reads, which then failed.
    Failed(AppError),
}

impl AgencyProblem {
    pub fn error(&self) -> &AppError {
        match self {
            AgencyProblem::Unopenable(e) | AgencyProblem::Refused(e) | AgencyProblem::Failed(e) => {
                e
            }
        }
    }
}

/// One agency as [`across`] found it.
#[derive(Debug)]
pub struct AgencyOverview {
    pub agency: OverseeAgency,
    pub outcome: Result<AgencySummary, AgencyProblem>,
}

/// Each agency's [`summary`] as `who`, in the order given, each from its own data directory (its
/// catalog the one its own `zhilu.toml` names: one URL for all would point every agency at one
/// catalog). Writes nothing; an agency that does not open or refuses is that row's answer only.
pub async fn across(
    agencies: &[OverseeAgency],
    who: &Overseer,
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    clock: Arc<dyn Clock>,
) -> Vec<AgencyOverview> {
    let mut out = Vec::with_capacity(agencies.len());
    for a in agencies {
        out.push(AgencyOverview {
            agency: a.clone(),
            outcome: one(a, who, period, clock.clone()).await,
        });
    }
    out
}

#[tracing::instrument(skip_all, fields(agency = %agency.name))]
async fn one(
    agency: &OverseeAgency,
    who: &Overseer,
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    clock: Arc<dyn Clock>,
) -> Result<AgencySummary, AgencyProblem> {
    let app = App::open(DataDir::new(&agency.dir), clock, None)
        .await
        .map_err(AgencyProblem::Unopenable)?;
    let me = match OfficerId::parse(&who.person) {
        Ok(uid) => crate::identity::users::actor_for(&app, &uid, who.via.clone()).await,
        Err(_) => Err(AppError::UnknownActor(who.person.clone())),
    };
    let result = match me {
        Ok(me) => summary(&app, &me, period).await.map_err(|e| match e {
            AppError::Forbidden { .. } => AgencyProblem::Refused(e),
            e => AgencyProblem::Failed(e),
        }),
        Err(e @ (AppError::UnknownActor(_) | AppError::AccountDisabled(_))) => {
            Err(AgencyProblem::Refused(e))
        }
        Err(e) => Err(AgencyProblem::Failed(e)),
    };
    app.close().await;
    result
}

/// Whether `actor` may use this installation's overview across agencies: it lists some
/// (`[[oversee]]`) and the actor reads the overview's subjects across this whole installation
/// (the 上级监督机关's own people). Each agency then decides for itself.
pub fn may_oversee(home: &App, actor: &Actor) -> bool {
    actor.person_id().is_some()
        && !home.config.oversee.is_empty()
        && NEEDS.iter().all(|a| actor.scope(*a) == Some(Scope::All))
}

/// The overview of the agencies this installation's `zhilu.toml` lists (`[[oversee]]`), as the
/// account of `actor`'s id in each, on this installation's clock.
pub async fn configured(
    home: &App,
    actor: &Actor,
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<Vec<AgencyOverview>, AppError> {
    if home.config.oversee.is_empty() {
        return Err(AppError::Forbidden {
            actor: actor.ledger_name().to_string(),
            action: "查看跨机关监督：本系统的 zhilu.toml 未列出可监督的机关（[[oversee]]）",
        });
    }
    let Some(person) = actor.person_id().filter(|_| may_oversee(home, actor)) else {
        return Err(AppError::Forbidden {
            actor: actor.ledger_name().to_string(),
            action: "查看跨机关监督（须为上级监督机关等可查看全部记录的角色）",
        });
    };
    actor.reads("oversight across agencies");
    let who = Overseer {
        person: person.to_string(),
        via: actor.via().clone(),
    };
    Ok(across(&home.config.oversee, &who, period, home.clock.clone()).await)
}

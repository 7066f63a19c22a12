//! Approved purge (R20, lushan-sj §15 "管理人员根据情况清除"): a person asks to purge recordings
//! past their retention date, the profile's `retention.purge_approvers` approve (never the
//! requester), and execution re-checks every item, commits a tombstone per recording and only
//! then deletes the bytes from every vault root.
//!
//! Crash consistency: the tombstones and the request's execution are one commit; the bytes are
//! deleted after it, through the one delete path [`zhilu_store::Vault::purge`], which takes the
//! committed tombstone. A crash between the two leaves tombstones whose bytes still exist: every
//! later execution, and `purge resume`, deletes them first; until then fixity reports them as
//! 清除未完成 and `verify` accepts them (the ledger says they are purged).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_model::*;
use zhilu_policy::profile::RetentionClass;
use zhilu_policy::retention::Retention;
use zhilu_store::{Change, Counter};

use crate::App;
use crate::access::{Item, visibility};
use crate::actor::{Action, Actor};
use crate::error::{AppError, Field, Thing, id};
use crate::registry::text;
use crate::time::beijing;

/// Most recordings in one purge request.
pub const MAX_ITEMS: usize = 500;

/// The test-only pause point after the tombstones are committed and before any byte is deleted
/// (honoured only in a replay directory): lets a test kill the process there.
pub const PAUSE_TOMBSTONED: &str = "purge.tombstoned";

/// What a purge request asks for.
#[derive(Debug, Clone, Default)]
pub struct PurgeAsk {
    /// Recordings by SHA-256 (or an unambiguous prefix).
    pub recordings: Vec<String>,
    /// Or also: every recording in the purge review (past its date) that the actor may see.
    pub expired: bool,
    /// The purpose (事由).
    pub reason: String,
}

/// A purge request with where its approval stands.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurgeView {
    #[serde(flatten)]
    pub request: PurgeRequest,
    pub status: ApprovalStatus,
    pub approvals: Vec<ApprovalStep>,
}

/// What an execution did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurgeOutcome {
    pub request: PurgeRequest,
    pub tombstones: Vec<Tombstone>,
    /// Copies deleted from the vault roots for this request.
    pub copies_deleted: usize,
    /// Earlier purges cut off before their bytes were deleted, finished by this run.
    pub resumed: Vec<Sha256>,
    /// The preservation disc copies (R21) that still hold purged bytes: from now on the only
    /// place they live (`<copy>（location，holder）`).
    pub on_discs: Vec<String>,
}

/// A recording as `recordings list` shows it: with its purge, if it was purged.
#[derive(Debug, Clone, Serialize)]
pub struct ListedRecording {
    #[serde(flatten)]
    pub recording: Recording,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purged: Option<Purged>,
}

/// When and on which request a recording was purged.
#[derive(Debug, Clone, Serialize)]
pub struct Purged {
    pub at: DateTime<Utc>,
    pub request: RecordId,
}

/// What the checks need to know about the catalog now.
struct Standing {
    retention: HashMap<String, Retention>,
    holds: HashMap<String, Hold>,
    tombstones: HashMap<String, Tombstone>,
    now: DateTime<Utc>,
}

impl Standing {
    async fn read(app: &App) -> Result<Standing, AppError> {
        Ok(Standing {
            retention: crate::compliance::retention_decisions(app).await?,
            holds: app
                .catalog
                .active_holds()
                .await?
                .into_iter()
                .map(|h| (h.sha256.to_string(), h))
                .collect(),
            tombstones: app
                .catalog
                .tombstones()
                .await?
                .into_iter()
                .map(|t| (t.sha256.to_string(), t))
                .collect(),
            now: app.now(),
        })
    }

    /// Why `sha` may not be purged now, in Chinese, naming it; `None` when it may.
    fn refusal(&self, sha: &Sha256) -> Option<String> {
        let s = sha.as_str();
        if let Some(t) = self.tombstones.get(s) {
            return Some(format!(
                "音像记录 {s} 已于 {} 清除（清除申请 {}），不能再次清除",
                beijing(t.purged_at),
                t.request
            ));
        }
        if let Some(h) = self.holds.get(s) {
            return Some(format!(
                "音像记录 {s} 处于保全（冻结）中（保全 {}：{}），解除前不能清除",
                h.id, h.reason
            ));
        }
        let Some(ret) = self.retention.get(s) else {
            return Some(format!("音像记录 {s} 不存在"));
        };
        if ret.expired(self.now) {
            return None;
        }
        // The catalog has no "case closed": a recording of an activity with a case number keeps
        // the class `case` and the case period (the retention function gives it), so "linked to
        // an open case" is exactly: class Case and not yet expired.
        let until = ret
            .retain_until
            .map_or_else(|| "无期限".to_string(), beijing);
        Some(match ret.class {
            RetentionClass::Case => format!(
                "音像记录 {s} 关联未到期的案件，随案卷保存至 {until}（{}），不能清除",
                ret.reason
            ),
            RetentionClass::Permanent => {
                format!("音像记录 {s} 永久保存（{}），不能清除", ret.reason)
            }
            _ => format!(
                "音像记录 {s} 尚未到保存期限（{}，保存至 {until}：{}），不能清除",
                ret.class.label(),
                ret.reason
            ),
        })
    }

    /// Refuses the whole set if any item may not be purged, naming every one and why.
    fn check_all(&self, items: &[Sha256]) -> Result<(), AppError> {
        let why: Vec<String> = items.iter().filter_map(|s| self.refusal(s)).collect();
        if why.is_empty() {
            Ok(())
        } else {
            Err(AppError::PurgeRefused(format!(
                "拒绝清除，未作任何改动：{}",
                why.join("；")
            )))
        }
    }
}

/// Asks to purge recordings past their retention date (R20); the request waits for the
/// profile's purge approvers. Refused, naming each item and why, when any item is not expired,
/// under a legal hold or already purged. The requester is the actor.
pub async fn request_purge(
    app: &App,
    actor: &Actor,
    ask: PurgeAsk,
) -> Result<PurgeRequest, AppError> {
    actor.require_any(Action::Purge)?;
    let requester = actor
        .person_id()
        .cloned()
        .ok_or_else(|| AppError::ActorNotOfficer {
            actor: actor.to_string(),
            action: "申请清除",
        })?;
    let profile = app.profile().await?;
    let chain: Vec<String> = profile
        .retention
        .purge_approvers
        .iter()
        .map(|r| r.get_ref().clone())
        .collect();
    if chain.is_empty() {
        return Err(AppError::PurgeRefused(
            "执法规范配置没有指定清除审批人（retention.purge_approvers），不能申请清除".into(),
        ));
    }
    let reason = text(Field::Reason, &ask.reason)?;
    if ask.recordings.len() > MAX_ITEMS {
        return Err(AppError::TooLarge(format!(
            "一次最多申请清除 {MAX_ITEMS} 个音像记录"
        )));
    }
    let vis = visibility(app, actor).await?;
    let standing = Standing::read(app).await?;
    let mut items: Vec<Sha256> = Vec::new();
    for r in &ask.recordings {
        let sha = super::resolve_recording(app, r).await?;
        if !vis.sees(&Item::Recording(sha.clone())) {
            return Err(AppError::NotFound {
                what: Thing::Recording,
                id: r.trim().to_string(),
            });
        }
        items.push(sha);
    }
    if ask.expired {
        let mut expired: Vec<&String> = standing
            .retention
            .iter()
            .filter(|(sha, ret)| {
                ret.expired(standing.now)
                    && !standing.tombstones.contains_key(*sha)
                    && !standing.holds.contains_key(*sha)
            })
            .map(|(sha, _)| sha)
            .collect();
        expired.sort();
        for sha in expired {
            let sha = Sha256::parse(sha)
                .map_err(|e| AppError::invalid(Field::Recording, e.to_string()))?;
            if vis.sees(&Item::Recording(sha.clone())) {
                items.push(sha);
            }
        }
    }
    let mut seen = HashSet::new();
    items.retain(|s| seen.insert(s.clone()));
    if items.is_empty() {
        return Err(AppError::invalid(
            Field::Recording,
            "没有可清除的音像记录（没有保存期限已到、未保全、未清除的音像记录）",
        ));
    }
    if items.len() > MAX_ITEMS {
        return Err(AppError::TooLarge(format!(
            "一次最多申请清除 {MAX_ITEMS} 个音像记录，共有 {} 个：请分批申请",
            items.len()
        )));
    }
    standing.check_all(&items)?;
    let row = PurgeRequest {
        id: id(
            Field::Record,
            RecordId::parse,
            &app.catalog.next_id(&Counter::Purge).await?,
        )?,
        items,
        reason,
        requester,
        created_at: app.now(),
        executed_at: None,
        executed_by: None,
    };
    let approval = Approval {
        id: row.id.clone(),
        kind: ApprovalKind::Purge,
        chain,
        steps: Vec::new(),
        status: ApprovalStatus::Pending,
        updated_at: app.now(),
    };
    app.record(
        actor,
        vec![Change::insert(row.clone()), Change::insert(approval)],
    )
    .await?;
    Ok(row)
}

/// Executes an approved purge request: finishes any earlier purge cut off before its bytes were
/// deleted, re-checks every item (expired, no hold placed since, not purged: otherwise the whole
/// request is refused and nothing is deleted), commits one tombstone per item and the request's
/// execution in one ledgered change, then deletes the bytes from every vault root.
pub async fn execute_purge(
    app: &App,
    actor: &Actor,
    request: &str,
) -> Result<PurgeOutcome, AppError> {
    actor.require_any(Action::Purge)?;
    let executor = actor
        .person_id()
        .cloned()
        .ok_or_else(|| AppError::ActorNotOfficer {
            actor: actor.to_string(),
            action: "执行清除",
        })?;
    let rid = id(Field::Record, RecordId::parse, request)?;
    let resumed = finish_unfinished(app).await?;
    let current = app
        .catalog
        .purge_request(&rid)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::PurgeRequest,
            id: rid.to_string(),
        })?;
    let req = &current.record;
    if let Some(at) = req.executed_at {
        return Err(AppError::PurgeRefused(format!(
            "清除申请 {rid} 已于 {} 执行，不能再次执行",
            beijing(at)
        )));
    }
    let approval = app
        .catalog
        .approval(&rid)
        .await?
        .map(|v| v.record)
        .filter(|a| a.kind == ApprovalKind::Purge)
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Approval,
            id: rid.to_string(),
        })?;
    if approval.status != ApprovalStatus::Approved {
        return Err(AppError::PurgeRefused(format!(
            "清除申请 {rid} 尚未审批通过（{}，已审批 {}/{} 级），不能执行，未作任何改动",
            approval.status.label(),
            approval.steps.len(),
            approval.chain.len()
        )));
    }
    let standing = Standing::read(app).await?;
    standing.check_all(&req.items)?;
    let now = app.now();
    let mut tombstones = Vec::with_capacity(req.items.len());
    for sha in &req.items {
        let rec = app
            .catalog
            .recording(sha)
            .await?
            .ok_or_else(|| AppError::NotFound {
                what: Thing::Recording,
                id: sha.to_string(),
            })?;
        let ret = standing.retention.get(sha.as_str());
        tombstones.push(Tombstone {
            sha256: rec.sha256,
            sm3: rec.sm3,
            size: rec.size,
            device: rec.device,
            original_name: rec.original_name,
            capture_start: rec.capture_start,
            capture_end: rec.capture_end,
            retention_class: ret.map_or("", |r| r.class.as_str()).to_string(),
            retention_reason: ret.map(|r| r.reason.clone()).unwrap_or_default(),
            request: rid.clone(),
            approvals: approval.steps.clone(),
            purged_at: now,
            purged_by: executor.clone(),
        });
    }
    let mut done = req.clone();
    done.executed_at = Some(now);
    done.executed_by = Some(executor);
    let mut changes: Vec<Change> = tombstones.iter().cloned().map(Change::insert).collect();
    changes.push(Change::update(done.clone(), current.version));
    app.record(actor, changes).await?;
    pause_point(app, PAUSE_TOMBSTONED);
    let copies_deleted = delete_bytes(app, &tombstones)?;
    let mut on_discs = Vec::new();
    for t in &tombstones {
        for c in crate::export::preserve::copies_holding(app, &t.sha256).await? {
            if !on_discs.contains(&c) {
                on_discs.push(c);
            }
        }
    }
    Ok(PurgeOutcome {
        request: done,
        tombstones,
        copies_deleted,
        resumed,
        on_discs,
    })
}

/// Finishes purges cut off after their tombstones were committed (a crash, kill -9): deletes
/// the bytes that still exist. Returns the recordings finished.
pub async fn resume(app: &App, actor: &Actor) -> Result<Vec<Sha256>, AppError> {
    actor.require_any(Action::Purge)?;
    finish_unfinished(app).await
}

async fn finish_unfinished(app: &App) -> Result<Vec<Sha256>, AppError> {
    let tombstones = app.catalog.tombstones().await?;
    crate::blocking(|| {
        let mut done = Vec::new();
        for t in &tombstones {
            let mut left = false;
            for r in app.vault.roots() {
                left |= r.stat(t.sha256.as_str())?.is_some();
            }
            if left {
                app.vault.purge(t)?;
                done.push(t.sha256.clone());
            }
        }
        Ok::<_, zhilu_store::StoreError>(done)
    })
    .map_err(AppError::from)
}

fn delete_bytes(app: &App, tombstones: &[Tombstone]) -> Result<usize, AppError> {
    crate::blocking(|| {
        let mut n = 0;
        for t in tombstones {
            n += app.vault.purge(t)?;
        }
        Ok::<_, zhilu_store::StoreError>(n)
    })
    .map_err(AppError::from)
}

/// Sleeps at a named point when `ZHILU_TEST_PAUSE_AFTER` names it, in a replay directory only,
/// after saying so on stderr, so that a test can kill the process there.
fn pause_point(app: &App, point: &str) {
    if app.is_replay() && std::env::var("ZHILU_TEST_PAUSE_AFTER").is_ok_and(|p| p == point) {
        eprintln!("ZHILU_TEST_PAUSED {point}");
        // Blocking on purpose: nothing else may run in this process until it is killed.
        std::thread::sleep(std::time::Duration::from_secs(120));
    }
}

/// Every purge request with its approval, oldest first.
pub async fn purge_requests(app: &App, actor: &Actor) -> Result<Vec<PurgeView>, AppError> {
    actor.require_any(Action::ReadRetention)?;
    actor.reads("purge requests");
    let requests = app.catalog.purge_requests().await?;
    let ids: Vec<RecordId> = requests.iter().map(|r| r.id.clone()).collect();
    let approvals: HashMap<RecordId, Approval> = app
        .catalog
        .approvals_of(&ids)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    Ok(requests
        .into_iter()
        .map(|request| {
            let a = approvals.get(&request.id);
            PurgeView {
                status: a.map_or(ApprovalStatus::Pending, |a| a.status),
                approvals: a.map(|a| a.steps.clone()).unwrap_or_default(),
                request,
            }
        })
        .collect())
}

/// Stored recordings as [`crate::offload::recordings`] lists them, each with its purge (R20).
pub async fn recordings(
    app: &App,
    actor: &Actor,
    device: Option<&str>,
) -> Result<Vec<ListedRecording>, AppError> {
    let list = crate::offload::recordings(app, actor, device).await?;
    let purged: HashMap<Sha256, Purged> = app
        .catalog
        .tombstones()
        .await?
        .into_iter()
        .map(|t| {
            (
                t.sha256,
                Purged {
                    at: t.purged_at,
                    request: t.request,
                },
            )
        })
        .collect();
    Ok(list
        .into_iter()
        .map(|r| ListedRecording {
            purged: purged.get(&r.sha256).cloned(),
            recording: r,
        })
        .collect())
}

/// [`recordings`], streamed: each recording the actor may see handed to `emit` in reading order,
/// read a page at a time, so listing millions holds one page in memory (`recordings list
/// --json`). Each page's classified recordings are logged (R25) before any of them is emitted.
/// Returns how many were emitted; `emit` failing (the reader went away) stops the listing.
pub async fn each_recording(
    app: &App,
    actor: &Actor,
    device: Option<&str>,
    mut emit: impl FnMut(ListedRecording) -> std::io::Result<()>,
) -> Result<u64, AppError> {
    /// Rows per page: large enough that the per-query cost vanishes, small enough to stay a few MB.
    const PAGE: usize = 5_000;
    actor.require_any(Action::ReadRecords)?;
    actor.reads("recordings");
    let device = device
        .map(|d| id(Field::Device, DeviceSerial::parse, d))
        .transpose()?;
    let vis = visibility(app, actor).await?;
    let purged: HashMap<Sha256, Purged> = app
        .catalog
        .tombstones()
        .await?
        .into_iter()
        .map(|t| {
            (
                t.sha256,
                Purged {
                    at: t.purged_at,
                    request: t.request,
                },
            )
        })
        .collect();
    // Whether the actor's scope reaches an officer depends on the officer alone: asked once each.
    let mut reaches: HashMap<OfficerId, bool> = HashMap::new();
    let mut emitted = 0u64;
    let mut after: Option<Recording> = None;
    loop {
        let page = app
            .catalog
            .recordings_page(device.as_ref(), after.as_ref(), PAGE)
            .await?;
        let complete = page.len() < PAGE;
        after = page.last().cloned();
        let mut shown = Vec::with_capacity(page.len());
        for r in page {
            if !vis.sees(&Item::Recording(r.sha256.clone())) {
                continue;
            }
            let sees = match reaches.get(&r.officer) {
                Some(b) => *b,
                None => {
                    let b = app
                        .sees_people(actor, Action::ReadRecords, std::slice::from_ref(&r.officer))
                        .await?;
                    reaches.insert(r.officer.clone(), b);
                    b
                }
            };
            if sees {
                shown.push(r);
            }
        }
        app.log_classified_shown(
            actor,
            &vis,
            "recordings",
            shown.iter().map(|r| Item::Recording(r.sha256.clone())),
        )
        .await?;
        for r in shown {
            emit(ListedRecording {
                purged: purged.get(&r.sha256).cloned(),
                recording: r,
            })
            .map_err(|e| AppError::io("-", e))?;
            emitted += 1;
        }
        if complete {
            return Ok(emitted);
        }
    }
}

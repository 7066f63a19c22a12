//! Access to footage and approvals: requests to view or copy a recording (R23), and the one
//! approval state machine every record that waits for approval goes through (R10, R11, R17, R23)
//! — its rule lives in `zhilu_policy::approval`; here it is applied and recorded.

use serde::Serialize;
use zhilu_model::*;
use zhilu_policy::approval::{self, ApprovalState, Step};
use zhilu_store::{Change, Counter};

use crate::App;
use crate::actor::{Action, Actor};
use crate::error::{AppError, Field, Thing, id};
use crate::registry::text;

mod content;
mod desk;
pub(crate) mod grants;
mod register;
mod secrecy;
mod viewcopy;

pub(crate) use content::Viewings;
pub use content::{
    DueBatch, Granted, Servable, Use, Viewing, authorize, flush_due_viewings, flush_viewings,
    note_served, open, refuse_change, served, viewing, write_batch,
};
pub use content::{RemoteOriginal, open_remote};
pub use desk::{DeskItem, access_form, desk, history, norecord_form};
pub use grants::{GrantView, my_grants, revoke};
pub use register::{RegisterEntry, register};
pub use secrecy::{Classified, Item, Visibility, classify, finding_items, visibility};
pub(crate) use viewcopy::ViewCopies;
pub use viewcopy::{FFMPEG_MISSING, ViewingCopy, copy_for, viewing_copy};

/// What an access request asks for (R23).
#[derive(Debug, Clone, Default)]
pub struct AccessAsk {
    /// Recordings by SHA-256 (or an unambiguous prefix).
    pub recordings: Vec<String>,
    /// Or every recording linked to this activity.
    pub activity: Option<String>,
    /// `view`, `copy` or `provide` (查阅、复制、对外提供); view when not given.
    pub kind: Option<String>,
    /// The purpose (事由).
    pub reason: String,
    /// Days wanted; the profile's default when not given.
    pub days: Option<u32>,
}

/// Longest period a request may ask for.
pub const MAX_DAYS: u32 = 365;
/// Most recordings in one request.
pub const MAX_ITEMS: usize = 500;

/// Asks to view, copy or provide recordings (R23); the request waits for the profile's access
/// chain. The requester is the actor. Recordings the actor is not cleared for do not exist for
/// them (R25).
pub async fn request_access(
    app: &App,
    actor: &Actor,
    ask: AccessAsk,
) -> Result<AccessRequest, AppError> {
    actor.require_any(Action::RequestAccess)?;
    let requester = actor
        .person_id()
        .cloned()
        .ok_or_else(|| AppError::ActorNotOfficer {
            actor: actor.to_string(),
            action: "申请调阅",
        })?;
    let profile = app.profile().await?;
    let reason = text(Field::Reason, &ask.reason)?;
    let kind = match ask.kind.as_deref().map(str::trim) {
        None | Some("") => AccessKind::View,
        Some(k) => AccessKind::parse_input(k)
            .map_err(|e| AppError::invalid(Field::AccessKind, e.to_string()))?,
    };
    if let Some(d) = ask.days
        && (d == 0 || d > MAX_DAYS)
    {
        return Err(AppError::invalid(
            Field::Days,
            format!("应为 1 到 {MAX_DAYS} 天，实为 {d}"),
        ));
    }
    let vis = visibility(app, actor).await?;
    let mut items: Vec<Sha256> = Vec::new();
    let mut activity = None;
    if let Some(a) = ask
        .activity
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let aid = id(Field::Activity, ActivityId::parse, a)?;
        if app.catalog.activity(&aid).await?.is_none() || !vis.sees(&Item::Activity(aid.clone())) {
            return Err(AppError::NotFound {
                what: Thing::Activity,
                id: aid.to_string(),
            });
        }
        for l in app
            .catalog
            .links_of_activities(std::slice::from_ref(&aid))
            .await?
        {
            items.push(l.sha256);
        }
        activity = Some(aid);
    }
    if ask.recordings.len() > MAX_ITEMS {
        return Err(AppError::TooLarge(format!(
            "一次最多申请 {MAX_ITEMS} 个音像记录"
        )));
    }
    for r in &ask.recordings {
        let sha = crate::records::resolve_recording(app, r).await?;
        if !vis.sees(&Item::Recording(sha.clone())) {
            return Err(AppError::NotFound {
                what: Thing::Recording,
                id: r.trim().to_string(),
            });
        }
        items.push(sha);
    }
    items.retain(|s| vis.sees(&Item::Recording(s.clone())));
    let mut seen = std::collections::HashSet::new();
    items.retain(|s| seen.insert(s.clone()));
    let Some(first) = items.first().cloned() else {
        return Err(AppError::invalid(Field::Recording, "没有可申请的音像记录"));
    };
    let row = AccessRequest {
        id: id(
            Field::Record,
            RecordId::parse,
            &app.catalog.next_id(&Counter::Access).await?,
        )?,
        sha256: first,
        more: items[1..].to_vec(),
        requester,
        reason,
        created_at: app.now(),
        kind,
        days: ask.days,
        activity,
    };
    let approval = Approval {
        id: row.id.clone(),
        kind: ApprovalKind::Access,
        chain: profile
            .access
            .approvers
            .iter()
            .map(|r| r.get_ref().clone())
            .collect(),
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

/// What one approval step did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalOutcome {
    pub id: RecordId,
    pub kind: ApprovalKind,
    /// Levels approved so far, and levels required.
    pub approved_levels: usize,
    pub required_levels: usize,
    pub status: ApprovalStatus,
    /// The role that must approve next (its id in the profile), if any.
    pub next_role: Option<String>,
    /// Its title, for people.
    pub next_role_label: Option<String>,
}

fn to_policy(steps: &[ApprovalStep]) -> Vec<Step> {
    steps
        .iter()
        .map(|s| Step {
            by: s.by.to_string(),
            role: s.role.clone(),
            at: s.at,
        })
        .collect()
}

/// One approval step by the actor, who must hold the role the chain needs next (luohe-xm:
/// 法制办公室, then 主管领导), may not approve two levels of the same record nor their own
/// request, and must have logged in (the shell only in a replay directory). The last step of an
/// access request issues its [`Grant`].
pub async fn approve(
    app: &App,
    actor: &Actor,
    record: &str,
    comment: Option<&str>,
) -> Result<ApprovalOutcome, AppError> {
    decide(app, actor, record, comment, true).await
}

/// Rejects a record waiting for the actor's level; it stays rejected.
pub async fn reject(
    app: &App,
    actor: &Actor,
    record: &str,
    comment: &str,
) -> Result<ApprovalOutcome, AppError> {
    decide(app, actor, record, Some(comment), false).await
}

async fn decide(
    app: &App,
    actor: &Actor,
    record: &str,
    comment: Option<&str>,
    approve: bool,
) -> Result<ApprovalOutcome, AppError> {
    let action = if approve { "审批" } else { "驳回" };
    if !actor.authenticated(app.is_replay()) {
        return Err(AppError::SessionRequired { action });
    }
    let profile = app.profile().await?;
    let record = id(Field::Record, RecordId::parse, record)?;
    let comment = match comment.map(str::trim) {
        Some(c) if !c.is_empty() => Some(text(Field::Detail, c)?),
        _ if !approve => return Err(AppError::invalid(Field::Detail, "驳回须说明理由")),
        _ => None,
    };
    let current = app
        .catalog
        .approval(&record)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Approval,
            id: record.to_string(),
        })?;
    let approver = actor
        .person_id()
        .cloned()
        .ok_or_else(|| AppError::ActorNotOfficer {
            actor: actor.to_string(),
            action,
        })?;
    let approver_name = match app.catalog.officer(&approver).await? {
        Some(o) => format!("{}（{}）", o.name, o.id),
        None => approver.to_string(),
    };
    let row = &current.record;
    if row.status == ApprovalStatus::Rejected {
        return Err(AppError::ApprovalRefused {
            message: format!("{} 已被驳回", row.id),
            refusal: approval::Refusal::AlreadyApproved,
        });
    }
    let request = match row.kind {
        ApprovalKind::Access => app.catalog.access_request(&row.id).await?.map(|v| v.record),
        _ => None,
    };
    // Nobody approves their own purge request either (R20).
    let purge_requester = match row.kind {
        ApprovalKind::Purge => app
            .catalog
            .purge_request(&row.id)
            .await?
            .map(|v| v.record.requester),
        _ => None,
    };
    // The role the chain needs next, if the actor holds it; otherwise their first role, so the
    // refusal names what they are.
    let next = approval::state(&row.chain, &to_policy(&row.steps));
    let role = match &next {
        ApprovalState::Pending { next_role, .. } if actor.has_role(next_role) => next_role.clone(),
        _ => actor.roles().first().cloned().unwrap_or_default(),
    };
    let role = if cfg!(feature = "testing") && actor.roles().is_empty() {
        // `Actor::test` holds no role: it approves as whatever the chain needs (test suites).
        match &next {
            ApprovalState::Pending { next_role, .. } => next_role.clone(),
            ApprovalState::Approved => role,
        }
    } else {
        role
    };
    let step = approval::approve_request(
        &row.chain,
        &to_policy(&row.steps),
        request
            .as_ref()
            .map(|r| r.requester.as_str())
            .or(purge_requester.as_ref().map(OfficerId::as_str)),
        approver.as_str(),
        &role,
        app.now(),
    )
    .map_err(|refusal| AppError::ApprovalRefused {
        message: refusal.describe(&profile, row.id.as_str(), &approver_name),
        refusal,
    })?;
    let mut next = row.clone();
    let mut changes = Vec::new();
    if approve {
        next.steps.push(ApprovalStep {
            by: approver.clone(),
            role: step.role,
            at: step.at,
        });
    } else {
        next.status = ApprovalStatus::Rejected;
    }
    let state = approval::state(&next.chain, &to_policy(&next.steps));
    if approve {
        next.status = match state {
            ApprovalState::Approved => ApprovalStatus::Approved,
            ApprovalState::Pending { .. } => ApprovalStatus::Pending,
        };
    }
    next.updated_at = app.now();
    changes.push(Change::update(next.clone(), current.version));
    if let Some(c) = &comment {
        changes.push(Change::event(
            "approval.comment",
            format!("approval-comment:{}", next.id),
            serde_json::json!({"by": approver.as_str(), "approve": approve, "comment": c}),
        ));
    }
    if let (true, Some(req), ApprovalStatus::Approved) = (approve, &request, next.status) {
        let days = req.days.unwrap_or(profile.access.grant_days);
        changes.push(Change::insert(Grant {
            id: id(
                Field::Grant,
                RecordId::parse,
                &app.catalog.next_id(&Counter::Grant).await?,
            )?,
            request: req.id.clone(),
            holder: req.requester.clone(),
            kind: req.kind,
            items: req.items().cloned().collect(),
            granted_at: app.now(),
            expires_at: app.now() + chrono::Duration::days(i64::from(days)),
            revoked_at: None,
            revoked_by: None,
        }));
    }
    app.record(actor, changes).await?;
    Ok(ApprovalOutcome {
        id: next.id,
        kind: next.kind,
        approved_levels: next.steps.len(),
        required_levels: next.chain.len(),
        status: next.status,
        next_role_label: match (&state, next.status) {
            (ApprovalState::Pending { next_role, .. }, ApprovalStatus::Pending) => {
                Some(profile.role_label(next_role).to_string())
            }
            _ => None,
        },
        next_role: match (state, next.status) {
            (ApprovalState::Pending { next_role, .. }, ApprovalStatus::Pending) => Some(next_role),
            _ => None,
        },
    })
}

/// Approvals still waiting, oldest first.
pub async fn pending(app: &App, actor: &Actor) -> Result<Vec<Approval>, AppError> {
    actor.require_any(Action::ReadRetention)?;
    actor.reads("approvals");
    Ok(app.catalog.pending_approvals().await?)
}

/// The approvals waiting for a role the actor holds, and that they did not ask for themselves:
/// their inbox.
pub async fn inbox(app: &App, actor: &Actor) -> Result<Vec<Approval>, AppError> {
    let me = actor.person_id().cloned();
    let mut out = Vec::new();
    for a in app.catalog.pending_approvals().await? {
        let need = match approval::state(&a.chain, &to_policy(&a.steps)) {
            ApprovalState::Pending { next_role, .. } => next_role,
            ApprovalState::Approved => continue,
        };
        if !actor.has_role(&need) || a.steps.iter().any(|s| Some(&s.by) == me.as_ref()) {
            continue;
        }
        if a.kind == ApprovalKind::Access
            && let Some(r) = app.catalog.access_request(&a.id).await?
            && Some(&r.record.requester) == me.as_ref()
        {
            continue;
        }
        if a.kind == ApprovalKind::Purge
            && let Some(r) = app.catalog.purge_request(&a.id).await?
            && Some(&r.record.requester) == me.as_ref()
        {
            continue;
        }
        out.push(a);
    }
    Ok(out)
}

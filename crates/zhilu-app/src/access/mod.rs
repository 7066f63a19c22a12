//! Access to footage and approvals: requests to view or copy a recording (R23), and the one
//! approval state machine every record that waits for approval goes through (R10, R11, R17, R23)
//! — its rule lives in `zhilu_policy::approval`; here it is applied and recorded.

use serde::Serialize;
use zhilu_model::*;
use zhilu_policy::approval::{self, ApprovalState, Step};
use zhilu_store::{Change, Counter};

use crate::App;
use crate::actor::Actor;
use crate::error::{AppError, Field, Thing, id};
use crate::registry::text;

/// The approver or requester acting, who must be a registered officer.
async fn acting_officer(
    app: &App,
    actor: &Actor,
    action: &'static str,
) -> Result<Officer, AppError> {
    let not_officer = || AppError::ActorNotOfficer {
        actor: actor.to_string(),
        action,
    };
    let id = actor.person_id().ok_or_else(not_officer)?;
    app.catalog.officer(id).await?.ok_or_else(not_officer)
}

/// Asks to view or copy a recording (R23); the request waits for the profile's access chain.
/// The requester is the actor. (Serving the footage on an approved grant comes with the server.)
pub async fn request_access(
    app: &App,
    actor: &Actor,
    recording: &str,
    reason: &str,
) -> Result<AccessRequest, AppError> {
    let profile = app.profile().await?;
    let requester = acting_officer(app, actor, "申请调阅").await?;
    let sha = crate::records::resolve_recording(app, recording).await?;
    let reason = text(Field::Reason, reason)?;
    let row = AccessRequest {
        id: id(
            Field::Record,
            RecordId::parse,
            &app.catalog.next_id(&Counter::Access).await?,
        )?,
        sha256: sha,
        requester: requester.id,
        reason,
        created_at: app.now(),
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
/// 法制办公室, then 主管领导) and may not approve two levels of the same record.
pub async fn approve(app: &App, actor: &Actor, record: &str) -> Result<ApprovalOutcome, AppError> {
    let profile = app.profile().await?;
    let record = id(Field::Record, RecordId::parse, record)?;
    let current = app
        .catalog
        .approval(&record)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Approval,
            id: record.to_string(),
        })?;
    let approver = acting_officer(app, actor, "审批").await?;
    let row = &current.record;
    let step = approval::approve(
        &row.chain,
        &to_policy(&row.steps),
        approver.id.as_str(),
        &approver.role,
        app.now(),
    )
    .map_err(|refusal| AppError::ApprovalRefused {
        message: refusal.describe(
            &profile,
            row.id.as_str(),
            &format!("{}（{}）", approver.name, approver.id),
        ),
        refusal,
    })?;
    let mut next = row.clone();
    next.steps.push(ApprovalStep {
        by: approver.id.clone(),
        role: step.role,
        at: step.at,
    });
    let state = approval::state(&next.chain, &to_policy(&next.steps));
    next.status = match state {
        ApprovalState::Approved => ApprovalStatus::Approved,
        ApprovalState::Pending { .. } => ApprovalStatus::Pending,
    };
    next.updated_at = app.now();
    app.record(actor, vec![Change::update(next.clone(), current.version)])
        .await?;
    Ok(ApprovalOutcome {
        id: next.id,
        kind: next.kind,
        approved_levels: next.steps.len(),
        required_levels: next.chain.len(),
        status: next.status,
        next_role_label: match &state {
            ApprovalState::Pending { next_role, .. } => {
                Some(profile.role_label(next_role).to_string())
            }
            ApprovalState::Approved => None,
        },
        next_role: match state {
            ApprovalState::Pending { next_role, .. } => Some(next_role),
            ApprovalState::Approved => None,
        },
    })
}

/// Approvals still waiting, oldest first.
pub async fn pending(app: &App, actor: &Actor) -> Result<Vec<Approval>, AppError> {
    actor.reads("approvals");
    Ok(app.catalog.pending_approvals().await?)
}

//! The approver's desk: what waits for the actor's decision, with what was asked and by whom,
//! and the decisions they took part in (审批: inbox and history).

use serde::Serialize;
use zhilu_model::*;

use crate::App;
use crate::actor::Actor;
use crate::error::AppError;

/// One approval with what it is about, for people.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeskItem {
    pub approval: Approval,
    /// The chain's roles by their titles, in order.
    pub chain_labels: Vec<String>,
    /// The access request it decides, when it is one.
    pub request: Option<AccessRequest>,
    /// Its requester's name, when known.
    pub requester_name: Option<String>,
}

async fn item(app: &App, a: Approval) -> Result<DeskItem, AppError> {
    let profile = app.profile().await?;
    let chain_labels = a
        .chain
        .iter()
        .map(|r| profile.role_label(r).to_string())
        .collect();
    let request = match a.kind {
        ApprovalKind::Access => app.catalog.access_request(&a.id).await?.map(|v| v.record),
        _ => None,
    };
    let requester_name = match &request {
        Some(r) => app.catalog.officer(&r.requester).await?.map(|o| o.name),
        None => None,
    };
    Ok(DeskItem {
        approval: a,
        chain_labels,
        request,
        requester_name,
    })
}

/// What waits for the actor (their inbox, [`super::inbox`]), with the details.
pub async fn desk(app: &App, actor: &Actor) -> Result<Vec<DeskItem>, AppError> {
    let mut out = Vec::new();
    for a in super::inbox(app, actor).await? {
        out.push(item(app, a).await?);
    }
    Ok(out)
}

/// The access requests the actor decided a level of, or asked for themselves, newest first.
pub async fn history(app: &App, actor: &Actor) -> Result<Vec<DeskItem>, AppError> {
    let Some(me) = actor.person_id() else {
        return Ok(Vec::new());
    };
    let requests = app.catalog.access_requests().await?;
    let ids: Vec<RecordId> = requests.iter().map(|r| r.id.clone()).collect();
    let mut out = Vec::new();
    for a in app.catalog.approvals_of(&ids).await? {
        let mine = a.steps.iter().any(|s| &s.by == me)
            || requests.iter().any(|r| r.id == a.id && &r.requester == me);
        if mine {
            out.push(item(app, a).await?);
        }
    }
    out.sort_by_key(|d| std::cmp::Reverse(d.approval.updated_at));
    Ok(out)
}

/// One access request with its approvals, for its printed form (调阅审批表): shown to its
/// requester, to whoever decided a level or holds a role of its chain, and to whoever reads the
/// register; a request naming a recording the actor is not cleared for does not exist for them.
pub async fn access_form(app: &App, actor: &Actor, record: &str) -> Result<DeskItem, AppError> {
    let rid = crate::error::id(crate::error::Field::Record, RecordId::parse, record)?;
    let not_found = || AppError::NotFound {
        what: crate::error::Thing::AccessRequest,
        id: rid.to_string(),
    };
    let a = app
        .catalog
        .approval(&rid)
        .await?
        .ok_or_else(not_found)?
        .record;
    if a.kind != ApprovalKind::Access {
        return Err(not_found());
    }
    let r = app
        .catalog
        .access_request(&rid)
        .await?
        .ok_or_else(not_found)?
        .record;
    let me = actor.person_id();
    let concerned = me == Some(&r.requester)
        || a.steps.iter().any(|s| Some(&s.by) == me)
        || a.chain.iter().any(|role| actor.has_role(role))
        || actor.scope(crate::actor::Action::ReadRegister).is_some();
    let vis = super::visibility(app, actor).await?;
    let cleared = std::iter::once(&r.sha256)
        .chain(r.more.iter())
        .all(|s| vis.sees(&super::Item::Recording(s.clone())));
    if !concerned || !cleared {
        return Err(not_found());
    }
    item(app, a).await
}

/// A non-recording record of an activity with its approval, for its printed form (未记录工作
/// 记录): whoever may see the activity.
pub async fn norecord_form(
    app: &App,
    actor: &Actor,
    activity: &str,
    record: &str,
) -> Result<(Activity, NoRecord, Option<DeskItem>), AppError> {
    let a = crate::records::activity(app, actor, activity).await?;
    let n = app
        .catalog
        .norecords_of(std::slice::from_ref(&a.id))
        .await?
        .into_iter()
        .find(|n| n.id.as_str() == record)
        .ok_or_else(|| AppError::NotFound {
            what: crate::error::Thing::Approval,
            id: record.to_string(),
        })?;
    let approval = match app.catalog.approval(&n.id).await? {
        Some(v) => Some(item(app, v.record).await?),
        None => None,
    };
    Ok((a, n, approval))
}

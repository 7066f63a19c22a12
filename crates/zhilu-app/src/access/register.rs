//! The custodian's register of access (R23): for each request, who asked, for what and why, who
//! approved at which level, the grant it yielded, and every viewing and copy made on it.

use serde::Serialize;
use zhilu_model::*;

use super::secrecy::{Item, visibility};
use crate::App;
use crate::actor::{Action, Actor};
use crate::error::AppError;

/// One line of the register.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterEntry {
    pub request: AccessRequest,
    pub items: Vec<Sha256>,
    pub status: ApprovalStatus,
    /// Who approved, at which level, when.
    pub approvals: Vec<ApprovalStep>,
    pub grant: Option<Grant>,
    /// Viewings and copies made on the grant (the copier is `user` of a `copy`).
    pub playbacks: Vec<Playback>,
}

/// The register, oldest request first. Requests naming a recording the reader is not cleared
/// for are left out (R25).
pub async fn register(app: &App, actor: &Actor) -> Result<Vec<RegisterEntry>, AppError> {
    actor.require_any(Action::ReadRegister)?;
    actor.reads("register");
    let vis = visibility(app, actor).await?;
    let requests = app.catalog.access_requests().await?;
    let ids: Vec<RecordId> = requests.iter().map(|r| r.id.clone()).collect();
    let approvals = app.catalog.approvals_of(&ids).await?;
    let grants = app.catalog.grants().await?;
    let playbacks = app.catalog.playbacks().await?;
    let mut out = Vec::new();
    for request in requests {
        let items: Vec<Sha256> = request.items().cloned().collect();
        if !items.iter().all(|s| vis.sees(&Item::Recording(s.clone()))) {
            continue;
        }
        let approval = approvals.iter().find(|a| a.id == request.id);
        let grant = grants.iter().find(|g| g.request == request.id).cloned();
        let plays = grant
            .as_ref()
            .map(|g| {
                playbacks
                    .iter()
                    .filter(|p| p.grant == g.id)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.push(RegisterEntry {
            items,
            status: approval.map_or(ApprovalStatus::Pending, |a| a.status),
            approvals: approval.map(|a| a.steps.clone()).unwrap_or_default(),
            grant,
            playbacks: plays,
            request,
        });
    }
    let shown: Vec<Item> = out
        .iter()
        .flat_map(|e| e.items.iter().cloned().map(Item::Recording))
        .collect();
    app.log_classified_shown(actor, &vis, "register", shown)
        .await?;
    Ok(out)
}

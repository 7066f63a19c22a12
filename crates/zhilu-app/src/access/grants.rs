//! Grants: what the approval workflow issued (see `access::approve`), listed and revoked.

use serde::Serialize;
use zhilu_model::*;
use zhilu_store::Change;

use crate::App;
use crate::actor::{Action, Actor, Target};
use crate::error::{AppError, Field, Thing, id};

/// A grant and whether it can be used now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantView {
    #[serde(flatten)]
    pub grant: Grant,
    pub valid: bool,
}

/// The grants the actor holds, newest first.
pub async fn my_grants(app: &App, actor: &Actor) -> Result<Vec<GrantView>, AppError> {
    let Some(me) = actor.person_id() else {
        return Ok(Vec::new());
    };
    let now = app.now();
    Ok(app
        .catalog
        .grants_of(me)
        .await?
        .into_iter()
        .map(|g| GrantView {
            valid: g.revoked_at.is_none() && now < g.expires_at,
            grant: g,
        })
        .collect())
}

/// A grant by its id as a person types it, or why not.
pub(crate) async fn load(
    app: &App,
    grant: &str,
) -> Result<zhilu_store::Versioned<Grant>, AppError> {
    let gid = id(Field::Grant, RecordId::parse, grant)?;
    app.catalog
        .grant(&gid)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Grant,
            id: gid.to_string(),
        })
}

/// Revokes a grant before it expires (保管人, 法制, 领导): it can no longer be used, and a
/// viewing in progress stops at its next request.
pub async fn revoke(app: &App, actor: &Actor, grant: &str) -> Result<Grant, AppError> {
    actor.require(Action::RevokeGrant, Target::default())?;
    let current = load(app, grant).await?;
    if current.record.revoked_at.is_some() {
        return Ok(current.record);
    }
    let mut g = current.record.clone();
    g.revoked_at = Some(app.now());
    g.revoked_by = actor.person_id().cloned();
    app.record(actor, vec![Change::update(g.clone(), current.version)])
        .await?;
    Ok(g)
}

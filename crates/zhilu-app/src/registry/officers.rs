//! Officers (执法人员) and the units they belong to; the roles come from the profile.

use zhilu_model::*;
use zhilu_store::Change;

use super::text;
use crate::App;
use crate::actor::Actor;
use crate::error::{AppError, Field, Thing, id};

/// What registering an officer asks for.
#[derive(Debug, Clone, Default)]
pub struct NewOfficer {
    pub id: String,
    pub name: String,
    pub unit: String,
    /// A role of the profile in force; `officer` when not given.
    pub role: Option<String>,
}

/// Registers an officer (and the unit, the first time it is named).
pub async fn add_officer(app: &App, actor: &Actor, req: NewOfficer) -> Result<Officer, AppError> {
    let officer_id = id(Field::Officer, OfficerId::parse, &req.id)?;
    let name = text(Field::Name, &req.name)?;
    let unit = text(Field::Unit, &req.unit)?;
    let role = req
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("officer")
        .to_string();
    if let Some(p) = app.profile_opt().await? {
        p.check_role(&role)?;
    }
    if app.catalog.officer(&officer_id).await?.is_some() {
        return Err(AppError::AlreadyExists {
            what: Thing::Officer,
            id: officer_id.to_string(),
        });
    }
    let now = app.now();
    let mut changes = Vec::new();
    if app.catalog.unit(&unit).await?.is_none() {
        changes.push(Change::insert(Unit {
            id: unit.clone(),
            name: unit.clone(),
            created_at: now,
        }));
    }
    let officer = Officer {
        id: officer_id,
        name,
        unit,
        role,
        created_at: now,
    };
    changes.push(Change::insert(officer.clone()));
    app.record(actor, changes).await?;
    Ok(officer)
}

pub async fn officers(app: &App, actor: &Actor) -> Result<Vec<Officer>, AppError> {
    actor.reads("officers");
    Ok(app.catalog.officers().await?)
}

/// A registered officer, or why not.
pub async fn officer(app: &App, officer: &str) -> Result<Officer, AppError> {
    let officer = id(Field::Officer, OfficerId::parse, officer)?;
    app.catalog
        .officer(&officer)
        .await?
        .ok_or(AppError::NotFound {
            what: Thing::Officer,
            id: officer.to_string(),
        })
}

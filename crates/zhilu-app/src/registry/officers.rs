//! Officers (执法人员) and the units they belong to; the roles come from the profile.

use zhilu_model::*;

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

/// Registers an officer (and the unit, the first time it is named): a user with the profile
/// role given (`officer` when none) and no password until an administrator sets one.
pub async fn add_officer(app: &App, actor: &Actor, req: NewOfficer) -> Result<Officer, AppError> {
    let role = req
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("officer")
        .to_string();
    if let Some(p) = app.profile_opt().await?
        && zhilu_model::FixedRole::parse(&role).is_err()
    {
        p.check_role(&role)?;
    }
    let user = crate::identity::add_user(
        app,
        actor,
        crate::identity::NewUser {
            id: req.id,
            name: req.name,
            unit: req.unit,
            roles: vec![role.clone()],
            ..Default::default()
        },
    )
    .await?;
    Ok(Officer {
        id: user.id,
        name: user.name,
        unit: user.unit,
        role,
        created_at: user.created_at,
    })
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

//! Legal holds (R20): a recording under a hold cannot expire until the hold is released.

use zhilu_model::*;
use zhilu_store::{Change, Counter};

use crate::App;
use crate::actor::{Action, Actor};
use crate::error::{AppError, Field, Thing, id};
use crate::registry::text;

/// Places a legal hold on a recording.
pub async fn place_hold(
    app: &App,
    actor: &Actor,
    recording: &str,
    reason: &str,
) -> Result<Hold, AppError> {
    actor.require_any(Action::Hold)?;
    let sha = super::resolve_recording(app, recording).await?;
    let reason = text(Field::Reason, reason)?;
    let row = Hold {
        id: id(
            Field::Hold,
            HoldId::parse,
            &app.catalog.next_id(&Counter::Hold).await?,
        )?,
        sha256: sha,
        reason,
        placed_at: app.now(),
        placed_by: actor.ledger_name().to_string(),
        released_at: None,
    };
    app.record(actor, vec![Change::insert(row.clone())]).await?;
    Ok(row)
}

/// Releases a hold.
pub async fn release_hold(app: &App, actor: &Actor, hold: &str) -> Result<Hold, AppError> {
    actor.require_any(Action::Hold)?;
    let hold = id(Field::Hold, HoldId::parse, hold)?;
    let current = app.catalog.hold(&hold).await?.ok_or(AppError::NotFound {
        what: Thing::Hold,
        id: hold.to_string(),
    })?;
    if current.record.released_at.is_some() {
        return Err(AppError::HoldAlreadyReleased(hold.to_string()));
    }
    let mut row = current.record.clone();
    row.released_at = Some(app.now());
    app.record(actor, vec![Change::update(row.clone(), current.version)])
        .await?;
    Ok(row)
}

//! Legal holds (R20): a recording under a hold cannot expire until the hold is released.
//!
//! The catalog and its ledger are the authority on holds. In every vault root with object lock
//! (an S3 bucket with object lock enabled) the held recording's object also gets an S3 legal
//! hold: a second line, which stops a delete by any account of the bucket, even after its
//! COMPLIANCE retention ends, and which only an account allowed `s3:PutObjectLegalHold` can
//! lift (grant it to the vault's credentials alone). It is set after the hold is committed; if a
//! root refuses, the hold (or release) stands — it is in the ledger — and the caller gets a
//! Chinese error naming the root; [`sync_storage_hold`] retries once it is fixed. It is cleared
//! only when no other active hold still covers the recording.

use zhilu_model::*;
use zhilu_store::{Change, Counter, StoreError};

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
    storage_hold(app, &row, true)?;
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
    let still_held = app
        .catalog
        .active_holds()
        .await?
        .iter()
        .any(|h| h.sha256 == row.sha256);
    if !still_held {
        storage_hold(app, &row, false)?;
    }
    Ok(row)
}

/// Makes the S3 legal hold of a recording's object in every root with object lock follow the
/// catalog: ON while an active hold covers it, OFF otherwise. The retry after a failure that
/// [`place_hold`] or [`release_hold`] reported. Returns whether the recording is held.
pub async fn sync_storage_hold(
    app: &App,
    actor: &Actor,
    recording: &str,
) -> Result<bool, AppError> {
    actor.require_any(Action::Hold)?;
    let sha = super::resolve_recording(app, recording).await?;
    let active = app.catalog.active_holds().await?;
    let held = active.iter().find(|h| h.sha256 == sha);
    match held {
        Some(h) => storage_hold(app, h, true)?,
        None => {
            if let Err(failed) = crate::blocking(|| app.vault.set_legal_hold(sha.as_str(), false)) {
                let roots: Vec<String> = failed.iter().map(|(r, e)| format!("{r}：{e}")).collect();
                return Err(reported(
                    &failed,
                    format!(
                        "未能在以下存储位置解除 S3 合法保留（legal hold）：{}",
                        roots.join("；")
                    ),
                ));
            }
        }
    }
    Ok(held.is_some())
}

/// Sets (`on`) or clears the S3 legal hold on the hold's recording in every root with object
/// lock. A failure is reported in Chinese; the committed hold (or release) stands.
fn storage_hold(app: &App, hold: &Hold, on: bool) -> Result<(), AppError> {
    let sha = hold.sha256.as_str();
    let Err(failed) = crate::blocking(|| app.vault.set_legal_hold(sha, on)) else {
        return Ok(());
    };
    let (what, done) = if on {
        ("设置", "已记录")
    } else {
        ("解除", "已解除")
    };
    let roots: Vec<String> = failed.iter().map(|(r, e)| format!("{r}：{e}")).collect();
    tracing::warn!(hold = %hold.id, on, failures = ?roots, "storage legal hold not applied");
    Err(reported(
        &failed,
        format!(
            "保全 {} {done}（以编目库和审计日志为准），但未能在以下存储位置{what} S3 合法保留（legal hold）：{}。请排除故障后重新同步该音像记录的 S3 合法保留",
            hold.id,
            roots.join("；")
        ),
    ))
}

/// The error reporting roots that refused a legal hold change, naming the first.
fn reported(failed: &[(String, StoreError)], message: String) -> AppError {
    AppError::Store(StoreError::Io {
        path: failed
            .first()
            .map(|(r, _)| r.clone())
            .unwrap_or_default()
            .into(),
        source: std::io::Error::other(message),
    })
}

//! The written records that explain an activity's recordings, each checked against the profile
//! and written together with the approval the profile asks for: non-recording (R10),
//! interruption (R11), offload extension (zhejiang-rf §19, R17).

use zhilu_model::*;
use zhilu_policy::profile::Spanned;
use zhilu_store::{Change, Counter};

use crate::App;
use crate::actor::{Action, Actor};
use crate::error::{AppError, Field, id};
use crate::registry::text;

/// The approval a record waits for: the profile's chain of roles at the time of the request.
fn approval(app: &App, id: &RecordId, kind: ApprovalKind, chain: &[Spanned<String>]) -> Change {
    Change::insert(Approval {
        id: id.clone(),
        kind,
        chain: chain.iter().map(|r| r.get_ref().clone()).collect(),
        steps: Vec::new(),
        status: ApprovalStatus::Pending,
        updated_at: app.now(),
    })
}

async fn next(app: &App, counter: Counter) -> Result<RecordId, AppError> {
    id(
        Field::Record,
        RecordId::parse,
        &app.catalog.next_id(&counter).await?,
    )
}

/// Records why an activity was not (fully) recorded (R10); it then waits for the profile's
/// approvers.
pub async fn add_norecord(
    app: &App,
    actor: &Actor,
    activity: &str,
    reason: &str,
    basis: &str,
) -> Result<NoRecord, AppError> {
    let profile = app.profile().await?;
    let a = super::activity(app, actor, activity).await?;
    app.require_for(actor, Action::WriteRecords, &a.officers, &[])
        .await?;
    let reason = profile.norecord_reason(reason)?.id.get_ref().clone();
    let basis = text(Field::Basis, basis)?;
    let row = NoRecord {
        id: next(app, Counter::NoRecord).await?,
        activity: a.id,
        reason,
        basis,
        created_at: app.now(),
        created_by: actor.ledger_name().to_string(),
    };
    let approval = approval(
        app,
        &row.id,
        ApprovalKind::NoRecord,
        &profile.norecord.approvers,
    );
    app.record(actor, vec![Change::insert(row.clone()), approval])
        .await?;
    Ok(row)
}

/// Records why recording stopped after a recording (R11). A reason that means "cannot continue"
/// must also be acknowledged by the role the profile names.
pub async fn add_interruption(
    app: &App,
    actor: &Actor,
    activity: &str,
    after: &str,
    reason: &str,
    voice_stated: bool,
) -> Result<Interruption, AppError> {
    let profile = app.profile().await?;
    let a = super::activity(app, actor, activity).await?;
    app.require_for(actor, Action::WriteRecords, &a.officers, &[])
        .await?;
    let after = super::resolve_recording(app, after).await?;
    let r = profile.interruption_reason(reason)?;
    let row = Interruption {
        id: next(app, Counter::Interruption).await?,
        activity: a.id,
        after,
        reason: r.id.get_ref().clone(),
        voice_stated,
        detail: r.label.clone(),
        created_at: app.now(),
        created_by: actor.ledger_name().to_string(),
    };
    let mut changes = vec![Change::insert(row.clone())];
    if let (false, Some(to)) = (r.voice_statement, &profile.interruption.report_to) {
        changes.push(approval(
            app,
            &row.id,
            ApprovalKind::Interruption,
            std::slice::from_ref(to),
        ));
    }
    app.record(actor, changes).await?;
    Ok(row)
}

/// Asks to offload an activity's recordings later than the ordinary deadline (zhejiang-rf §19);
/// refused under a profile that allows no extension.
pub async fn request_extension(
    app: &App,
    actor: &Actor,
    activity: &str,
    reason: &str,
) -> Result<Extension, AppError> {
    let profile = app.profile().await?;
    let Some(ext) = &profile.offload.extension else {
        return Err(AppError::ExtensionNotAllowed {
            profile: profile.id().to_string(),
            article: profile.cite(&profile.offload.article),
        });
    };
    let a = super::activity(app, actor, activity).await?;
    app.require_for(actor, Action::WriteRecords, &a.officers, &[])
        .await?;
    let reason = text(Field::Reason, reason)?;
    let row = Extension {
        id: next(app, Counter::Extension).await?,
        activity: a.id,
        reason,
        created_at: app.now(),
        created_by: actor.ledger_name().to_string(),
    };
    let approval = approval(app, &row.id, ApprovalKind::Extension, &ext.approvers);
    app.record(actor, vec![Change::insert(row.clone()), approval])
        .await?;
    Ok(row)
}

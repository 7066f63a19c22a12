//! Integrity: fixity of every stored copy (R18) and verification of the audit ledger and the
//! catalog against it (X1).

mod fixity;
mod presence;
mod verify;

pub use fixity::{FixityProblem, FixityReport, Orphan, ProblemKind, fixity};
pub use verify::{VerifyOptions, VerifyProblem, VerifyReport, verify, verify_with};

/// Ledger entry kinds fixity writes.
pub(crate) const REPAIRED: &str = "object.repaired";
pub(crate) const REPAIR_FAILED: &str = "object.repair_failed";
/// An object the catalog does not know, moved to its root's quarantine.
pub(crate) const QUARANTINED: &str = "object.quarantined";

/// The ledger's size and root as committed (hex).
pub async fn head(
    app: &crate::App,
    actor: &crate::Actor,
) -> Result<(u64, String), crate::AppError> {
    actor.reads("ledger head");
    let (size, root) = app.catalog.ledger_head().await?;
    Ok((size, hex::encode(root)))
}

/// What the audit page shows the 安全审计员: the ledger head, the witnesses and — when asked, since
/// it reads everything — `verify`'s verdict. The shell's `verify` and `head` stay open to whoever
/// holds the data directory (they prove, they do not reveal records); over the web, reading the
/// audit trail is the audit administrator's (R25 三员分立).
pub async fn audit_overview(
    app: &crate::App,
    actor: &crate::Actor,
    run_verify: bool,
    subject: Option<&str>,
) -> Result<AuditOverview, crate::AppError> {
    actor.require_any(crate::Action::ReadAudit)?;
    let (size, root) = head(app, actor).await?;
    let subject = subject.map(str::trim).filter(|s| !s.is_empty());
    if subject.is_some_and(|s| s.chars().count() > 200) {
        return Err(crate::AppError::invalid(
            crate::Field::Record,
            "审计对象过长：不能超过 200 个字符",
        ));
    }
    let entries = match subject {
        Some(s) => app.catalog.ledger_entries_about(s, 200).await?,
        None => app.catalog.ledger_latest(50).await?,
    };
    let witnesses = crate::witness::list(app, actor).await?;
    let report = if run_verify {
        Some(verify(app, actor).await?)
    } else {
        None
    };
    Ok(AuditOverview {
        size,
        root,
        witnesses,
        report,
        entries,
    })
}

/// See [`audit_overview`].
#[derive(Debug)]
pub struct AuditOverview {
    pub size: u64,
    pub root: String,
    pub witnesses: Vec<crate::witness::WitnessState>,
    pub report: Option<VerifyReport>,
    /// The entries about the subject asked for, or the latest ones; newest first.
    pub entries: Vec<zhilu_store::LedgerEntry>,
}

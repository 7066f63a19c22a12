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

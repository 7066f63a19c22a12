//! IO for Zhilu: the catalog (SQLite or PostgreSQL, through sqlx's native drivers) and the
//! content-addressed object vault.
//!
//! Two invariants live here because only this crate can enforce them:
//! * **No catalog row changes without its ledger entry.** The only write API is
//!   [`Catalog::commit`], which appends one audit-ledger entry per [`Change`], applies the row
//!   change and stores the signed checkpoint in the same database transaction.
//! * **Stored objects are never overwritten, nor deleted without a tombstone.** A write lands
//!   under a new name only (link, never rename-over), a damaged copy is moved to quarantine, and
//!   the one delete, [`Vault::purge`], takes the committed tombstone of an approved purge (R20).
//!
//! No sqlx type crosses this crate's API: records come from `zhilu-model`, errors are
//! [`StoreError`], and SQL never leaves the catalog's modules.

mod catalog;
mod error;
#[cfg(feature = "testing")]
pub mod testing;
mod vault;

pub use catalog::DeviceLock;
pub use catalog::entry::{VERSION as ENTRY_VERSION, canonical_json, entry_body};
pub use catalog::{
    Appended, Backend, Catalog, Change, CheckpointSigner, Cosignature, Counter, Event, FactRows,
    FactWindow, LedgerEntry, LoginFailures, PrefixLookup, Row, Snapshot, Version, Versioned,
    WebSession,
};
pub use catalog::{FactRow, RecordingFactRef};
pub use catalog::{StationCredential, StationUpload, UploadStatus};
pub use error::StoreError;
pub use vault::{
    BucketLock, CopyStat, LocalRoot, ObjectLock, ObjectRoot, ObjectStoreRoot, PendingObject,
    S3Location, Vault, is_intact,
};

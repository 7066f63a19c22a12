//! IO for Zhilu: the catalog (SQLite or PostgreSQL through sqlx) and the content-addressed object vault.
//!
//! Two invariants live here because only this crate can enforce them:
//! * **No catalog row changes without its ledger entry.** The only write API is [`Catalog::commit`],
//!   which appends one audit-ledger entry per [`Change`] and applies the row change in the same
//!   database transaction.
//! * **Stored objects are never overwritten or deleted.** The vault has no such API: a write lands
//!   under a new name only (link, never rename-over), and a damaged copy is moved to quarantine.

mod catalog;
pub mod domain;
mod error;
mod rows;
pub mod testing;
mod vault;

pub use catalog::{Backend, Catalog, Committed, EntryRow, entry_body};
pub use error::StoreError;

/// The row-decoding bound of [`Catalog::select`], nameable without depending on sqlx.
pub trait FromAnyRow<'r>: sqlx::FromRow<'r, sqlx::any::AnyRow> {}
impl<'r, T: sqlx::FromRow<'r, sqlx::any::AnyRow>> FromAnyRow<'r> for T {}
pub use rows::{
    Change, DeviceEventRow, DeviceRow, RecordingFactRow, RecordingNameRow, RecordingRow,
    SessionRow, StationRow, subject,
};
pub use vault::{LocalRoot, ObjectRoot, PendingObject, Vault};

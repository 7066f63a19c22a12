//! A C2SP `tlog-witness`: an independent party that remembers, for each log it trusts, the latest
//! checkpoint it cosigned, and cosigns a new one (C2SP `tlog-cosignature`, Ed25519) only when a
//! consistency proof shows it extends that one. A log that rolls back or forks its history cannot
//! get a cosignature for it, and the refused offer — signed by the log — is kept as evidence.
//!
//! The protocol's bytes are in `zhilu-ledger` (pure); this crate adds the IO: the witness
//! directory ([`init`], [`trust`]), its SQLite state, the HTTP server ([`serve`]), the air-gapped
//! file mode ([`cosign_request`], the same decision as the server), the operator's [`status`], and
//! the log-side [`add_checkpoint`] client.

#![warn(missing_docs)]

mod client;
mod cosign;
mod db;
mod dir;
mod error;
mod server;
mod status;

pub use client::{ClientError, Outcome, TIMEOUT, add_checkpoint};
pub use cosign::{CONTENT_TYPE_SIZE, CONTENT_TYPE_TEXT, Response, Witness, cosign_request};
pub use db::Conflict;
pub use dir::{init, trust, verifying_key};
pub use error::WitnessError;
pub use server::{router, serve};
pub use status::{LogStatus, conflicts, status, status_at};

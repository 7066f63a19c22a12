//! Zhilu's use cases: initialise a data directory, register devices, offload a device at a
//! collection station, check fixity, verify the audit ledger, benchmark.
//!
//! This is the only layer that changes state, and it does so in one place: [`App::record`], which
//! commits catalog changes together with their ledger entries and then signs a checkpoint.
//! The CLI and (later) the web UI call these functions and only translate input and output.

mod app;
mod bench;
mod bench_check;
mod check;
mod clock;
mod config;
mod demo;
mod device;
mod domain;
mod error;
mod fixity;
mod hashing;
mod ingest;
mod policy;
mod time;
mod validate;
mod verify;

pub use app::{App, DataDir, InitOptions};
pub use bench::{
    BenchIngestOptions, BenchIngestReport, BenchLedgerReport, bench_ingest, bench_ledger,
};
pub use bench_check::{BenchCheckReport, bench_check};
pub use check::{CheckScope, RetentionItem, SubjectView};
pub use clock::{Clock, FixedClock, ManualClock, SystemClock};
pub use config::Config;
pub use demo::{DemoReport, run_demo};
pub use device::{DeviceKind, RegisterDevice};
pub use domain::{ApprovalOutcome, NewActivity, NewCheckout};
pub use error::AppError;
pub use fixity::{FixityProblem, FixityReport};
pub use hashing::Digests;
pub use ingest::{IngestObserver, IngestOptions, IngestReport, ListedFile, NoProgress};
pub use policy::{preset_text, validate_profile_text};
pub use time::{format_micros, parse_instant};
pub use verify::{VerifyProblem, VerifyReport};
pub use zhilu_policy;
pub use zhilu_store::domain::{ActivityRow, CheckoutRow, HoldRow, OfficerRow};
pub use zhilu_store::{DeviceRow, RecordingRow, SessionRow};

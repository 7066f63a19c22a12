//! The compliance check (R3–R20) and what is read from it: findings for a period, unit or officer;
//! the retention of every recording (R20–R21); everything about one subject (一户式, R19).
//!
//! The rules are `zhilu_policy::engine`'s; which rows a window needs is `zhilu_policy::window`'s;
//! how to read them is the store's. Here they are put together. Nothing is written.

mod check;
pub(crate) mod facts;
mod retention;
mod subject;

pub(crate) use check::all_findings;
pub use check::{CheckScope, CheckTimes, check, check_timed};
pub(crate) use retention::decisions as retention_decisions;
pub use retention::{RetentionItem, RetentionStatus, retention};
pub use subject::{SubjectView, subject};
pub use zhilu_policy::engine::{Finding, Severity};

//! Supervision and accountability (R27–R31): findings as work items that get fixed, reproducible
//! sampling reviews and the enforcement-quality assessment, annual reviews, violations and
//! sanctions, devices' costs.
//!
//! The rules and the arithmetic (sampling, roll-up) are `zhilu_policy`'s; here they meet the
//! catalog, the actor and the ledger.

pub mod accountability;
pub mod costs;
pub mod findings;
pub mod oversee;
pub mod sampling;

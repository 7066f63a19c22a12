//! Pure policy logic for Zhilu: what an agency's regulation requires, as data (profiles), and the
//! engine that holds an agency's records against it. No IO, no clock: callers pass `now` and facts.

pub mod approval;
pub mod calendar;
pub mod deadline;
pub mod engine;
pub mod facts;
pub mod ids;
pub mod linking;
pub mod profile;
pub mod retention;
pub mod sampling;
pub mod scope;
pub mod window;

//! The enforcement record: activities (R7), the links of recordings to them (automatic and by
//! hand), the written records that explain them — non-recording (R10), interruption (R11),
//! offload extension (R17), each with the approval its profile asks for — legal holds and the
//! approved purge of expired recordings (R20).

mod activities;
mod file;
mod holds;
mod links;
pub mod purge;
mod written;

pub use activities::{NewActivity, activities, activity, add_activity};
pub use file::{ActivityFile, Gap, Lane, LinkedRecording, Segment, Timeline, activity_file};
pub use holds::{place_hold, release_hold, sync_storage_hold};
pub(crate) use links::autolink_session;
pub use links::link;
pub use written::{add_interruption, add_norecord, request_extension};

use zhilu_model::{HashPrefix, Sha256};
use zhilu_store::PrefixLookup;

use crate::App;
use crate::error::{AppError, Field, Thing};

/// The stored recording a person means: its full SHA-256 or a unique prefix of at least 8 hex
/// digits (as lists show them).
pub async fn resolve_recording(app: &App, s: &str) -> Result<Sha256, AppError> {
    let prefix =
        HashPrefix::parse(s).map_err(|e| AppError::invalid(Field::Recording, e.to_string()))?;
    match app.catalog.resolve_prefix(&prefix).await? {
        PrefixLookup::One(sha) => Ok(sha),
        PrefixLookup::None => Err(AppError::NotFound {
            what: Thing::Recording,
            id: prefix.to_string(),
        }),
        PrefixLookup::Ambiguous(count) => Err(AppError::AmbiguousPrefix {
            prefix: prefix.to_string(),
            count,
        }),
    }
}

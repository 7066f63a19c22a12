//! What the witness operator looks at: per log, how far it was cosigned, when, how many offers
//! were refused, and whether the log has gone silent (a log that stops asking may be showing
//! another history to someone else).

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{self, Conflict};
use crate::dir;
use crate::error::WitnessError;

/// One trusted log as the witness sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogStatus {
    /// The log's origin line.
    pub origin: String,
    /// The log's verifying key text.
    pub log_key: String,
    /// Size of the latest checkpoint cosigned (0 before the first).
    pub size: u64,
    /// When it was last cosigned; `None` if never.
    pub last_cosigned_at: Option<DateTime<Utc>>,
    /// Refused offers recorded for this origin.
    pub conflicts: u64,
    /// No cosignature for longer than `silent_after` (counted from trust when never cosigned).
    pub silent: bool,
    /// Since when the log has been silent, when it is.
    pub silent_since: Option<DateTime<Utc>>,
}

fn instant(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
}

/// [`status_at`] with the system clock.
pub fn status(dir: &Path, silent_after: Duration) -> Result<Vec<LogStatus>, WitnessError> {
    status_at(dir, silent_after, Utc::now())
}

/// Every trusted log's state at `now`, ordered by origin.
pub fn status_at(
    dir: &Path,
    silent_after: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<LogStatus>, WitnessError> {
    let conn = db::open(&dir::db_path(dir))?;
    let silent_after = chrono::Duration::from_std(silent_after).unwrap_or(chrono::Duration::MAX);
    Ok(db::list_logs(&conn)?
        .into_iter()
        .map(|(row, conflicts)| {
            let last = row.last_cosigned_at.and_then(instant);
            let since = last.or_else(|| instant(row.updated_at));
            let silent = since.is_some_and(|s| now.signed_duration_since(s) > silent_after);
            LogStatus {
                origin: row.origin,
                log_key: row.log_key,
                size: row.size,
                last_cosigned_at: last,
                conflicts,
                silent,
                silent_since: if silent { since } else { None },
            }
        })
        .collect())
}

/// Every recorded conflict, oldest first.
pub fn conflicts(dir: &Path) -> Result<Vec<Conflict>, WitnessError> {
    db::conflicts(&db::open(&dir::db_path(dir))?)
}

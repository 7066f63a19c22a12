//! Instants as the catalog stores them (unix microseconds, UTC) and as people read them (RFC 3339).

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};

use crate::error::AppError;

/// China Standard Time. China has kept UTC+8 without daylight saving since 1991, so a fixed offset
/// is exact for every recording this product will see; device file names and EXIF use it.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us)
}

/// A local (China) wall-clock time as a UTC instant.
pub fn china_local_to_utc(t: NaiveDateTime) -> Option<DateTime<Utc>> {
    china()
        .from_local_datetime(&t)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// RFC 3339 in UTC with a `Z`, seconds precision unless there are fractions.
pub fn format_micros(us: i64) -> String {
    from_micros(us)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| us.to_string())
}

/// Parses an RFC 3339 instant given on the command line.
pub fn parse_instant(field: &str, s: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| AppError::Invalid {
            field: field.to_string(),
            message: format!("“{s}”不是 RFC 3339 时间，例如 2026-11-22T09:30:00+08:00"),
        })
}

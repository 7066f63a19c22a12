//! Time as people give it and read it. Instants are UTC everywhere inside; people read and type
//! Beijing time (UTC+8, no daylight saving since 1991, so a fixed offset is exact).

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Utc};
use zhilu_policy::facts::china;

use crate::error::{AppError, Field};

/// `2026-11-20 09:30:00`, Beijing time: how an instant is shown to people.
pub fn beijing(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The Beijing calendar day of an instant, `2026-11-20`.
pub fn beijing_day(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%Y-%m-%d").to_string()
}

/// RFC 3339 in UTC, the JSON form.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn local(t: NaiveDateTime) -> Option<DateTime<Utc>> {
    china()
        .from_local_datetime(&t)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// 00:00 Beijing time at the start of `d`.
pub fn start_of_day(d: NaiveDate) -> DateTime<Utc> {
    local(d.and_time(NaiveTime::MIN)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

const FORMS: &str = "例如 2026-11-20T09:30:00+08:00 或 2026-11-20 09:30（北京时间）";

/// An instant typed by a person: RFC 3339 with its offset, or a Beijing wall-clock time
/// `2026-11-20 09:30[:00]` (a `T` instead of the space works too).
pub fn parse_instant(field: Field, s: &str) -> Result<DateTime<Utc>, AppError> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt)
            && let Some(u) = local(t)
        {
            return Ok(u);
        }
    }
    Err(AppError::invalid(
        field,
        format!("“{s}”不是有效的时间，{FORMS}"),
    ))
}

/// Which end of a period a bound is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `--from 2026-11-01`: from 00:00 of that day.
    Start,
    /// `--to 2026-11-30`: up to the end of that day (00:00 of the next), so a period given as two
    /// dates includes both.
    End,
}

/// A bound of a period: a plain date (`2026-11-01`, a Beijing calendar day) or an instant.
pub fn parse_bound(field: Field, s: &str, bound: Bound) -> Result<DateTime<Utc>, AppError> {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(match bound {
            Bound::Start => start_of_day(d),
            Bound::End => start_of_day(d.checked_add_days(Days::new(1)).unwrap_or(d)),
        });
    }
    parse_instant(field, t).map_err(|_| {
        AppError::invalid(
            field,
            format!("“{t}”既不是日期（例如 2026-11-01）也不是时间，{FORMS}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r17_people_type_beijing_time_or_rfc3339_and_read_beijing_time() {
        let a = parse_instant(Field::Start, "2026-11-20 09:30").unwrap();
        let b = parse_instant(Field::Start, "2026-11-20T09:30:00+08:00").unwrap();
        let c = parse_instant(Field::Start, "2026-11-20T01:30:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(beijing(c), "2026-11-20 09:30:00");
        assert_eq!(rfc3339(c), "2026-11-20T01:30:00Z");
        let e = parse_instant(Field::Start, "昨天").unwrap_err().to_string();
        assert!(e.contains("开始时间") && e.contains("昨天"), "{e}");
    }

    #[test]
    fn r17_a_plain_date_is_a_whole_beijing_day() {
        let from = parse_bound(Field::Time, "2026-11-01", Bound::Start).unwrap();
        let to = parse_bound(Field::Time, "2026-11-30", Bound::End).unwrap();
        assert_eq!(rfc3339(from), "2026-10-31T16:00:00Z");
        assert_eq!(rfc3339(to), "2026-11-30T16:00:00Z");
        assert_eq!(
            parse_bound(Field::Time, "2026-11-01T08:00:00+08:00", Bound::End).unwrap(),
            from + chrono::Duration::hours(8)
        );
        assert!(parse_bound(Field::Time, "11/01", Bound::Start).is_err());
    }
}

//! R7, R14: which recordings belong to which activities, decided automatically.
//!
//! A recording belongs to an activity when it was made during the activity's documented time (with
//! the profile's coverage tolerances) by one of the activity's officers. Linking it lets the engine
//! judge the activity's coverage (R8) and keeps it out of the "not linked to any activity" warning
//! (R14). The rule is pure: the application reads the candidates and stores the pairs returned.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use crate::facts::{Activity, Checkout, Recording};
use crate::profile::Profile;

/// How far before an activity's start a recording may begin and still reach into the activity: the
/// longest single recording a body camera makes is well under this.
const LONG_RECORDING: Duration = Duration::hours(12);

fn seconds(s: i64) -> Duration {
    Duration::try_seconds(s).unwrap_or(Duration::MAX)
}

fn minus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_sub_signed(d).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The capture-time range in which recordings can belong to `activities` (start − start tolerance
/// − 12 h, end + end tolerance); None if `activities` is empty.
///
/// The application uses it to read candidate recordings by capture start with one indexed range
/// query before calling [`auto_links`]; the 12 hours let a recording that started before the
/// activity but runs into it be found. Saturates at the ends of the representable range.
pub fn candidate_window(
    profile: &Profile,
    activities: &[Activity],
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = activities.iter().map(|a| a.start).min()?;
    let end = activities.iter().map(|a| a.end).max()?;
    let before = seconds(*profile.coverage.start_tolerance_s.get_ref());
    let after = seconds(*profile.coverage.end_tolerance_s.get_ref());
    Some((
        minus(minus(start, before), LONG_RECORDING),
        plus(end, after),
    ))
}

/// The officer holding `device` at `t`: of the checkouts of that device taken out at or before `t`
/// and not returned before `t`, the one taken out last.
fn holder_at<'a>(checkouts: &'a [Checkout], device: &str, t: DateTime<Utc>) -> Option<&'a str> {
    checkouts
        .iter()
        .filter(|c| c.device == device && c.out_at <= t && c.returned_at.is_none_or(|b| b >= t))
        .max_by_key(|c| c.out_at)
        .map(|c| c.officer.as_str())
}

/// (sha256, activity id) pairs to link, in activity order then recording order, skipping pairs in
/// `existing`.
///
/// A recording is linked to an activity when
/// * it has a capture start, and its span [start, end-or-start] overlaps
///   [activity start − start tolerance, activity end + end tolerance] (R8's tolerances), and
/// * it was made by one of the activity's officers: the device's holder at capture start (see the
///   checkouts) is one of them, or the officer named at offload or in the file name is.
///
/// `existing` is checked per pair: a recording already linked to this activity is skipped, one
/// linked to another activity may still be linked to this one. The recordings are not restricted
/// to [`candidate_window`]; the caller chooses the candidates.
pub fn auto_links(
    profile: &Profile,
    activities: &[Activity],
    recordings: &[Recording],
    checkouts: &[Checkout],
    existing: &HashSet<(String, String)>,
) -> Vec<(String, String)> {
    let before = seconds(*profile.coverage.start_tolerance_s.get_ref());
    let after = seconds(*profile.coverage.end_tolerance_s.get_ref());
    let mut out = Vec::new();
    for a in activities {
        let (from, to) = (minus(a.start, before), plus(a.end, after));
        for r in recordings {
            let Some(cs) = r.capture_start else { continue };
            let ce = r.capture_end.unwrap_or(cs);
            if ce < from || cs > to {
                continue;
            }
            let by_holder = holder_at(checkouts, &r.device, cs)
                .is_some_and(|h| a.officers.iter().any(|o| o == h));
            let by_name = a
                .officers
                .iter()
                .any(|o| *o == r.officer || r.name_officer.as_deref() == Some(o.as_str()));
            if !(by_holder || by_name) {
                continue;
            }
            let pair = (r.sha256.to_string(), a.id.clone());
            if existing.contains(&pair) {
                continue;
            }
            out.push(pair);
        }
    }
    out
}

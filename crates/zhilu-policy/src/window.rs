//! Which facts a check over a window of time must read.
//!
//! `zhilu check --from --to` reports the findings that arose in [from, to). Reading every fact of
//! every year for that is slow, so the application reads only what can produce such a finding. The
//! bounds are policy (they follow from the offload deadline, the link grace and the retention
//! period), so they are computed here, over the profile alone.

use chrono::{DateTime, Duration, Months, Utc};

use crate::profile::Profile;

/// The instants a check over [from, to) must read, by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactWindow {
    /// Start of the window: findings at or after it are reported.
    pub from: DateTime<Utc>,
    /// End of the window (exclusive for findings); also the upper bound for captures, offloads,
    /// activities and checkouts read.
    pub to: DateTime<Utc>,
    /// Recordings captured in [capture_from, to] can produce a finding in [from, to) (gaps,
    /// sequence, unlinked after the deadline); also the lower bound for activities and checkouts
    /// overlapping the window.
    pub capture_from: DateTime<Utc>,
    /// Recordings captured in [expiry_from, expiry_to] reach the end of their minimum retention in
    /// the window.
    pub expiry_from: DateTime<Utc>,
    /// See `expiry_from`.
    pub expiry_to: DateTime<Utc>,
}

/// The bounds for a windowed check over [from, to): see [`FactWindow`]. Never panics; bounds that
/// fall outside the representable range saturate.
pub fn fact_window(profile: &Profile, from: DateTime<Utc>, to: DateTime<Utc>) -> FactWindow {
    let months = *profile.retention.minimum_months.get_ref();
    let shift = |x: DateTime<Utc>| {
        u32::try_from(months)
            .ok()
            .and_then(|m| x.checked_sub_months(Months::new(m)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    let day = Duration::days(1);
    FactWindow {
        from,
        to,
        capture_from: from
            .checked_sub_signed(lookback(profile))
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
        expiry_from: shift(from)
            .checked_sub_signed(day)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
        expiry_to: shift(to)
            .checked_add_signed(day)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    }
}

/// How far before a window a recording may have been captured and still produce a finding in it:
/// an unlinked file's offload deadline (24:00 of its day, or the profile's hours, at least 24)
/// plus the link grace (R14), and one more day for a file series that spans midnight or a long
/// recording. Deadlines that end later (remote work, approved extensions) are reached through the
/// offload time, which then lies in the window.
pub fn lookback(profile: &Profile) -> Duration {
    let o = &profile.offload;
    let deadline = o.hours.as_ref().map_or(24, |h| *h.get_ref()).max(24);
    Duration::try_hours(deadline.saturating_add(*o.link_grace_hours.get_ref()))
        .unwrap_or(Duration::MAX)
        .checked_add(&Duration::days(1))
        .unwrap_or(Duration::MAX)
}

//! R14, R17, R20: a check over a window of time reads the facts that can produce a finding in it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use zhilu_policy::profile::{PRESETS, Profile};
use zhilu_policy::window::{FactWindow, fact_window, lookback};

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("time")
}

fn preset(id: &str) -> &'static str {
    PRESETS.iter().find(|(p, _)| *p == id).expect("preset").1
}

/// zhejiang-rf (base = hours) with other offload hours and link grace.
fn zhejiang(hours: i64, grace: i64) -> Profile {
    let src = preset("zhejiang-rf")
        .replace("hours = 24                #", &format!("hours = {hours} #"))
        .replace(
            "link_grace_hours = 24     # §4",
            &format!("link_grace_hours = {grace} # §4"),
        );
    Profile::parse(&src).expect("valid")
}

#[test]
fn r14_r17_lookback_is_the_deadline_at_least_a_day_plus_the_link_grace_plus_a_day() {
    let cases: Vec<(&str, Profile, Duration)> = vec![
        (
            "dalian-ftz: same day",
            Profile::preset("dalian-ftz").expect("p"),
            Duration::hours(72),
        ),
        (
            "zhejiang-rf: 24 h",
            Profile::preset("zhejiang-rf").expect("p"),
            Duration::hours(72),
        ),
        (
            "48 h deadline, 12 h grace",
            zhejiang(48, 12),
            Duration::hours(48 + 12 + 24),
        ),
        (
            "12 h deadline counts as 24",
            zhejiang(12, 0),
            Duration::hours(24 + 24),
        ),
        (
            "huge grace saturates",
            zhejiang(24, i64::MAX),
            Duration::MAX,
        ),
    ];
    for (what, p, want) in cases {
        assert_eq!(lookback(&p), want, "{what}");
    }
}

#[test]
fn r20_fact_window_reaches_back_by_the_lookback_and_by_the_minimum_retention() {
    let cases: Vec<(&str, DateTime<Utc>, DateTime<Utc>, FactWindow)> = vec![
        (
            // 24 months.
            "dalian-ftz",
            utc(2026, 11, 20, 0),
            utc(2026, 11, 21, 0),
            FactWindow {
                from: utc(2026, 11, 20, 0),
                to: utc(2026, 11, 21, 0),
                capture_from: utc(2026, 11, 17, 0),
                expiry_from: utc(2024, 11, 19, 0),
                expiry_to: utc(2024, 11, 22, 0),
            },
        ),
        (
            // 6 months from 31 August is 28 February (calendar months, clamped).
            "jinpu-wj",
            utc(2026, 8, 31, 12),
            utc(2026, 9, 1, 12),
            FactWindow {
                from: utc(2026, 8, 31, 12),
                to: utc(2026, 9, 1, 12),
                capture_from: utc(2026, 8, 28, 12),
                expiry_from: utc(2026, 2, 27, 12),
                expiry_to: utc(2026, 3, 2, 12),
            },
        ),
    ];
    for (id, from, to, want) in cases {
        let p = Profile::preset(id).expect("preset");
        assert_eq!(fact_window(&p, from, to), want, "{id}");
    }
}

#[test]
fn r20_fact_window_at_the_ends_of_time_saturates_instead_of_panicking() {
    let p = zhejiang(24, i64::MAX);
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    let w = fact_window(&p, min, max);
    assert_eq!((w.from, w.to), (min, max));
    assert_eq!(w.capture_from, min);
    // Subtracting months from the earliest instant fails: the lower bound is the earliest instant.
    assert_eq!(w.expiry_from, min);
    assert_eq!(
        w.expiry_to,
        max.checked_sub_months(chrono::Months::new(24))
            .expect("in range")
            + Duration::days(1)
    );
    let w = fact_window(&Profile::preset("dalian-ftz").expect("p"), min, min);
    assert_eq!((w.capture_from, w.expiry_from), (min, min));
    assert_eq!(w.expiry_to, min + Duration::days(1));
}

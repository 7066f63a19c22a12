//! R7, R14: the automatic link between recordings and the activity they were made in.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use zhilu_policy::facts::*;
use zhilu_policy::linking::{auto_links, candidate_window};
use zhilu_policy::profile::Profile;

/// (sha256, activity id) pairs.
type Pairs = Vec<(String, String)>;
/// A capture-time range.
type Window = Option<(DateTime<Utc>, DateTime<Utc>)>;

/// China local time.
fn t(s: &str) -> DateTime<Utc> {
    let n = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time");
    china()
        .from_local_datetime(&n)
        .single()
        .expect("local")
        .with_timezone(&Utc)
}

/// dalian-ftz: start and end tolerance 120 s.
fn profile() -> Profile {
    Profile::preset("dalian-ftz").expect("preset")
}

fn activity(id: &str, start: &str, end: &str, officers: &[&str]) -> Activity {
    Activity {
        id: id.into(),
        kind: "routine_inspection".into(),
        subject_name: "某单位".into(),
        officers: officers.iter().map(|s| s.to_string()).collect(),
        start: t(start),
        end: t(end),
        case_no: None,
        flags: vec![],
    }
}

/// A recording on `device`, offloaded by `officer`, captured [start, start + secs].
fn rec(
    sha: &str,
    device: &str,
    officer: &str,
    start: Option<&str>,
    secs: Option<i64>,
) -> Recording {
    let cs = start.map(t);
    Recording {
        sha256: sha.into(),
        device: device.into(),
        officer: officer.into(),
        name_officer: None,
        capture_start: cs,
        capture_end: cs.zip(secs).map(|(s, n)| s + Duration::seconds(n)),
        sequence: None,
        offloaded_at: t("2026-11-20 18:00:00"),
        session: "S1".into(),
        integrity_failed: false,
    }
}

fn checkout(id: &str, device: &str, officer: &str, out: &str, back: Option<&str>) -> Checkout {
    Checkout {
        id: id.into(),
        device: device.into(),
        officer: officer.into(),
        out_at: t(out),
        returned_at: back.map(t),
        battery_pct: Some(90),
        free_gb: Some(10),
        clock_ok: true,
    }
}

/// D1 is held by officer 1 from 08:00 to 12:00; D3 by officer 3 all day; D9 by nobody.
fn checkouts() -> Vec<Checkout> {
    vec![
        checkout(
            "C1",
            "D1",
            "1",
            "2026-11-20 08:00:00",
            Some("2026-11-20 12:00:00"),
        ),
        checkout("C3", "D3", "3", "2026-11-20 07:00:00", None),
    ]
}

#[test]
fn r14_a_recording_is_linked_when_it_overlaps_the_activity_and_one_of_its_officers_made_it() {
    // Activity 09:00–10:00, officers 1 and 2; tolerance 120 s either side.
    let a = activity(
        "A1",
        "2026-11-20 09:00:00",
        "2026-11-20 10:00:00",
        &["1", "2"],
    );
    let named = |mut r: Recording, n: &str| {
        r.name_officer = Some(n.into());
        r
    };
    let cases: Vec<(&str, Recording, bool)> = vec![
        (
            "inside, device held by officer 1",
            rec("r01", "D1", "9", Some("2026-11-20 09:10:00"), Some(600)),
            true,
        ),
        (
            "held by officer 3, offloaded by 3, no name",
            rec("r02", "D3", "3", Some("2026-11-20 09:10:00"), Some(600)),
            false,
        ),
        (
            "held by officer 3 but offloaded by officer 2",
            rec("r03", "D3", "2", Some("2026-11-20 09:10:00"), Some(600)),
            true,
        ),
        (
            "held by officer 3 but the file name says officer 1",
            named(
                rec("r04", "D3", "3", Some("2026-11-20 09:10:00"), Some(600)),
                "1",
            ),
            true,
        ),
        (
            "no checkout, file name names an outsider",
            named(
                rec("r05", "D9", "9", Some("2026-11-20 09:10:00"), Some(600)),
                "7",
            ),
            false,
        ),
        ("no capture time", rec("r06", "D1", "1", None, None), false),
        (
            "ends exactly at start − tolerance",
            rec("r07", "D1", "1", Some("2026-11-20 08:48:00"), Some(600)),
            true,
        ),
        (
            "ends one second before start − tolerance",
            rec("r08", "D1", "1", Some("2026-11-20 08:47:59"), Some(600)),
            false,
        ),
        (
            "starts exactly at end + tolerance",
            rec("r09", "D1", "1", Some("2026-11-20 10:02:00"), Some(60)),
            true,
        ),
        (
            "starts one second after end + tolerance",
            rec("r10", "D1", "1", Some("2026-11-20 10:02:01"), Some(60)),
            false,
        ),
        (
            "started before, runs into the activity",
            rec("r11", "D1", "1", Some("2026-11-20 08:30:00"), Some(3600)),
            true,
        ),
        (
            "a photo (no end) inside",
            rec("r12", "D1", "1", Some("2026-11-20 09:30:00"), None),
            true,
        ),
        (
            "a photo (no end) just before start − tolerance",
            rec("r13", "D1", "1", Some("2026-11-20 08:57:59"), None),
            false,
        ),
        (
            "device returned before capture, offloaded by an outsider",
            rec("r14", "D1", "9", Some("2026-11-20 12:00:01"), Some(60)),
            false,
        ),
    ];
    for (what, r, linked) in cases {
        let got = auto_links(
            &profile(),
            std::slice::from_ref(&a),
            std::slice::from_ref(&r),
            &checkouts(),
            &HashSet::new(),
        );
        let want = if linked {
            vec![(r.sha256.to_string(), "A1".to_string())]
        } else {
            vec![]
        };
        assert_eq!(got, want, "{what}");
    }
}

#[test]
fn r14_the_holder_is_the_latest_open_checkout_at_capture_time() {
    // D1: officer 5 took it 07:00 and never returned it; officer 1 took it 08:00 and returned it
    // 09:05. At 09:10 the latest checkout still open is officer 5's.
    let a1 = activity("A1", "2026-11-20 09:00:00", "2026-11-20 10:00:00", &["1"]);
    let a5 = activity("A5", "2026-11-20 09:00:00", "2026-11-20 10:00:00", &["5"]);
    let cos = vec![
        checkout("C5", "D1", "5", "2026-11-20 07:00:00", None),
        checkout(
            "C1",
            "D1",
            "1",
            "2026-11-20 08:00:00",
            Some("2026-11-20 09:05:00"),
        ),
    ];
    let cases: Vec<(&str, Pairs)> = vec![
        // both open (a return at t still counts as held): the later checkout, officer 1's
        ("2026-11-20 09:05:00", vec![("r".into(), "A1".into())]),
        // after officer 1's return: officer 5's older, still open checkout
        ("2026-11-20 09:10:00", vec![("r".into(), "A5".into())]),
    ];
    for (start, want) in cases {
        let r = rec("r", "D1", "9", Some(start), Some(60));
        let got = auto_links(
            &profile(),
            &[a1.clone(), a5.clone()],
            &[r],
            &cos,
            &HashSet::new(),
        );
        assert_eq!(got, want, "{start}");
    }
}

#[test]
fn r14_pairs_come_in_activity_then_recording_order_and_existing_pairs_are_skipped_per_activity() {
    let acts = [
        activity("A2", "2026-11-20 09:00:00", "2026-11-20 10:00:00", &["1"]),
        activity("A1", "2026-11-20 09:30:00", "2026-11-20 11:00:00", &["1"]),
    ];
    let recs = [
        rec("rb", "D1", "1", Some("2026-11-20 09:40:00"), Some(60)),
        rec("ra", "D1", "1", Some("2026-11-20 09:35:00"), Some(60)),
    ];
    let pair = |s: &str, a: &str| (s.to_string(), a.to_string());
    let cases: Vec<(Pairs, Pairs)> = vec![
        (
            vec![],
            vec![
                pair("rb", "A2"),
                pair("ra", "A2"),
                pair("rb", "A1"),
                pair("ra", "A1"),
            ],
        ),
        // Linked to A2 already: still linked to A1.
        (
            vec![pair("rb", "A2")],
            vec![pair("ra", "A2"), pair("rb", "A1"), pair("ra", "A1")],
        ),
        (
            vec![
                pair("rb", "A2"),
                pair("ra", "A1"),
                pair("rb", "A1"),
                pair("ra", "A2"),
            ],
            vec![],
        ),
        // A pair naming another activity changes nothing.
        (
            vec![pair("ra", "A9")],
            vec![
                pair("rb", "A2"),
                pair("ra", "A2"),
                pair("rb", "A1"),
                pair("ra", "A1"),
            ],
        ),
    ];
    for (existing, want) in cases {
        let existing: HashSet<(String, String)> = existing.into_iter().collect();
        assert_eq!(
            auto_links(&profile(), &acts, &recs, &checkouts(), &existing),
            want,
            "{existing:?}"
        );
    }
}

#[test]
fn r14_candidate_window_spans_every_activity_with_the_tolerances_and_twelve_hours_before() {
    let a = activity("A1", "2026-11-20 09:00:00", "2026-11-20 10:00:00", &["1"]);
    let b = activity("A2", "2026-11-21 14:00:00", "2026-11-21 15:30:00", &["1"]);
    let cases: Vec<(Vec<Activity>, Window)> = vec![
        (vec![], None),
        (
            vec![a.clone()],
            Some((t("2026-11-19 20:58:00"), t("2026-11-20 10:02:00"))),
        ),
        (
            vec![b.clone(), a.clone()],
            Some((t("2026-11-19 20:58:00"), t("2026-11-21 15:32:00"))),
        ),
    ];
    for (acts, want) in cases {
        assert_eq!(candidate_window(&profile(), &acts), want, "{acts:?}");
    }
}

#[test]
fn r14_extreme_instants_and_tolerances_saturate_instead_of_panicking() {
    let src = zhilu_policy::profile::PRESETS[0]
        .1
        .replace(
            "start_tolerance_s = 120",
            "start_tolerance_s = 9223372036854775807",
        )
        .replace(
            "end_tolerance_s = 120",
            "end_tolerance_s = 9223372036854775807",
        );
    let p = Profile::parse(&src).expect("valid");
    let mut a = activity("A1", "2026-11-20 09:00:00", "2026-11-20 10:00:00", &["1"]);
    a.start = DateTime::<Utc>::MIN_UTC;
    a.end = DateTime::<Utc>::MAX_UTC;
    assert_eq!(
        candidate_window(&p, std::slice::from_ref(&a)),
        Some((DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC))
    );
    let r = rec("r", "D1", "1", Some("2026-11-20 09:10:00"), Some(60));
    assert_eq!(
        auto_links(&p, &[a], &[r], &checkouts(), &HashSet::new()),
        vec![("r".to_string(), "A1".to_string())]
    );
}

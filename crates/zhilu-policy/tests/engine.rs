//! The engine with plain values: one small table per rule, `check(profile, facts) == findings`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use zhilu_policy::calendar::Calendar;
use zhilu_policy::deadline::{DeadlineInput, offload_deadline};
use zhilu_policy::engine::check;
use zhilu_policy::facts::*;
use zhilu_policy::profile::Profile;
use zhilu_policy::retention::retention;

/// China local time.
fn t(s: &str) -> DateTime<Utc> {
    let n = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
    china()
        .from_local_datetime(&n)
        .single()
        .expect("local")
        .with_timezone(&Utc)
}

fn profile(id: &str) -> Profile {
    Profile::preset(id).expect("preset")
}

fn activity(id: &str, start: &str, end: &str, flags: &[&str]) -> Activity {
    Activity {
        id: id.into(),
        kind: "routine_inspection".into(),
        subject_name: "某单位".into(),
        officers: vec!["1".into(), "2".into()],
        start: t(start),
        end: t(end),
        case_no: None,
        flags: flags.iter().map(|s| s.to_string()).collect(),
    }
}

fn rec(sha: &str, start: &str, secs: i64, seq: i64, offloaded: &str) -> Recording {
    Recording {
        sha256: sha.into(),
        device: "D1".into(),
        officer: "1".into(),
        name_officer: None,
        capture_start: Some(t(start)),
        capture_end: Some(t(start) + Duration::seconds(secs)),
        sequence: Some(seq),
        offloaded_at: t(offloaded),
        session: format!("S-{offloaded}").into(),
        integrity_failed: false,
    }
}

/// One activity 09:00–10:00 on 2 Nov 2026, device D1 checked out to officer 1 all day.
fn base(recs: Vec<Recording>) -> Facts {
    let links = recs
        .iter()
        .map(|r| (r.sha256.to_string(), "A1".to_string()))
        .collect();
    Facts {
        checkouts: vec![Checkout {
            id: "C1".into(),
            device: "D1".into(),
            officer: "1".into(),
            out_at: t("2026-11-02 08:00"),
            returned_at: Some(t("2026-11-02 18:00")),
            battery_pct: Some(90),
            free_gb: Some(10),
            clock_ok: true,
        }],
        activities: vec![activity("A1", "2026-11-02 09:00", "2026-11-02 10:00", &[])],
        recordings: recs,
        links,
        ..Facts::default()
    }
}

fn codes(p: &Profile, f: &Facts, now: &str) -> Vec<(&'static str, &'static str)> {
    check(p, &Calendar::builtin(), f, t(now))
        .into_iter()
        .map(|f| (f.rule, f.code))
        .collect()
}

#[test]
fn r11_automatic_split_is_not_a_gap_but_a_pause_is() {
    let p = profile("jinpu-wj");
    // Back to back (1 s apart, within the 2 s split tolerance): no finding.
    let split = base(vec![
        rec("a", "2026-11-02 09:00", 1799, 1, "2026-11-02 15:00"),
        rec("b", "2026-11-02 09:30", 1800, 2, "2026-11-02 15:00"),
    ]);
    assert_eq!(codes(&p, &split, "2026-11-03 12:00"), vec![]);
    // Five minutes apart: an unexplained gap.
    let gap = base(vec![
        rec("a", "2026-11-02 09:00", 1500, 1, "2026-11-02 15:00"),
        rec("b", "2026-11-02 09:30", 1800, 2, "2026-11-02 15:00"),
    ]);
    assert_eq!(
        codes(&p, &gap, "2026-11-03 12:00"),
        vec![("R11", "unexplained_gap")]
    );
    // With an interruption record stated by voice: explained.
    let mut ok = gap.clone();
    ok.interruptions.push(Interruption {
        id: "I".into(),
        activity: "A1".into(),
        after: "a".into(),
        reason: "power_storage".into(),
        voice_stated: true,
        approved: false,
    });
    assert_eq!(codes(&p, &ok, "2026-11-03 12:00"), vec![]);
}

#[test]
fn r12_missing_sequence_number_and_after_the_fact_recording() {
    let p = profile("jinpu-wj");
    let f = base(vec![
        rec("a", "2026-11-02 09:00", 1800, 1, "2026-11-02 15:00"),
        rec("b", "2026-11-02 09:30", 1800, 3, "2026-11-02 15:00"),
        rec("c", "2026-11-02 11:00", 60, 4, "2026-11-02 15:00"),
    ]);
    let got = codes(&p, &f, "2026-11-03 12:00");
    assert!(got.contains(&("R12", "sequence_gap")), "{got:?}");
    assert!(got.contains(&("R12", "recorded_after_activity")), "{got:?}");
}

#[test]
fn r17_same_day_rule_and_remote_exception() {
    let p = profile("jinpu-wj");
    let cal = Calendar::builtin();
    let a = activity("A1", "2026-11-02 09:00", "2026-11-02 10:00", &[]);
    let d = offload_deadline(
        &p,
        &cal,
        DeadlineInput {
            work_end: a.end,
            activity: Some(&a),
            returned_at: None,
            extension_approved: false,
        },
    )
    .unwrap();
    assert_eq!(d.at, t("2026-11-03 00:00"));
    let r = activity("A2", "2026-11-02 09:00", "2026-11-02 10:00", &["remote"]);
    let back = t("2026-11-04 09:00");
    let d = offload_deadline(
        &p,
        &cal,
        DeadlineInput {
            work_end: r.end,
            activity: Some(&r),
            returned_at: Some(back),
            extension_approved: false,
        },
    )
    .unwrap();
    assert_eq!(d.at, back + Duration::hours(24));
}

#[test]
fn r17_two_working_days_across_national_day_2026_and_the_dispute_exception() {
    let p = profile("zhejiang-rf");
    let cal = Calendar::builtin();
    let a = activity("A1", "2026-09-30 14:00", "2026-09-30 15:00", &[]);
    let plain = offload_deadline(
        &p,
        &cal,
        DeadlineInput {
            work_end: a.end,
            activity: Some(&a),
            returned_at: None,
            extension_approved: false,
        },
    )
    .unwrap();
    assert_eq!(plain.at, t("2026-10-01 15:00"), "24 hours");
    let ext = offload_deadline(
        &p,
        &cal,
        DeadlineInput {
            work_end: a.end,
            activity: Some(&a),
            returned_at: None,
            extension_approved: true,
        },
    )
    .unwrap();
    assert_eq!(
        ext.at,
        t("2026-10-10 00:00"),
        "1–7 Oct are off: 8 and 9 Oct are the two working days"
    );
    let disputed = activity("A2", "2026-09-30 14:00", "2026-09-30 15:00", &["dispute"]);
    let d = offload_deadline(
        &p,
        &cal,
        DeadlineInput {
            work_end: disputed.end,
            activity: Some(&disputed),
            returned_at: None,
            extension_approved: true,
        },
    )
    .unwrap();
    assert_eq!(d.at, plain.at, "a dispute on site excludes the extension");
}

#[test]
fn r20_r21_retention_classes_by_profile() {
    let r = rec("a", "2026-03-10 09:00", 600, 1, "2026-03-10 15:00");
    let plain = activity("A1", "2026-03-10 09:00", "2026-03-10 10:00", &[]);
    let ret = retention(&profile("jinpu-wj"), &r, &[&plain], false);
    assert_eq!(ret.retain_until, Some(t("2026-09-10 09:00")));
    let ret = retention(&profile("lushan-sj"), &r, &[&plain], false);
    assert_eq!(ret.retain_until, Some(t("2028-03-10 09:00")));
    let disputed = activity("A2", "2026-03-10 09:00", "2026-03-10 10:00", &["dispute"]);
    assert!(
        retention(&profile("zhejiang-rf"), &r, &[&disputed], false)
            .retain_until
            .is_none(),
        "permanent"
    );
    let long = retention(&profile("dalian-ftz"), &r, &[&disputed], false);
    assert_eq!(long.class.as_str(), "long_term");
    let held = retention(&profile("jinpu-wj"), &r, &[&plain], true);
    assert_eq!(held.class.as_str(), "hold");
    assert!(!held.expired(t("2099-01-01 00:00")));
}

#[test]
fn r9_too_few_officers_and_r5_lending() {
    let p = profile("jinpu-wj");
    let mut f = base(vec![rec(
        "a",
        "2026-11-02 09:00",
        3600,
        1,
        "2026-11-02 15:00",
    )]);
    f.recordings[0].name_officer = Some("3".into());
    f.activities[0].officers = vec!["1".into()];
    let got = codes(&p, &f, "2026-11-03 12:00");
    assert_eq!(got, vec![("R5", "device_lent"), ("R9", "too_few_officers")]);
}

#[test]
fn r11_a_photo_or_a_nested_audio_file_inside_the_video_is_not_a_gap() {
    let p = profile("jinpu-wj");
    let mut photo = rec("p", "2026-11-02 09:35", 0, 0, "2026-11-02 15:00");
    photo.sequence = None;
    let mut audio = rec("w", "2026-11-02 09:38", 3, 0, "2026-11-02 15:00");
    audio.sequence = None;
    let f = base(vec![
        rec("a", "2026-11-02 09:00", 2400, 1, "2026-11-02 15:00"),
        photo,
        audio,
        rec("b", "2026-11-02 09:40", 1200, 2, "2026-11-02 15:00"),
    ]);
    assert_eq!(codes(&p, &f, "2026-11-03 12:00"), vec![]);
}

#[test]
fn r8_late_start_and_early_end_beyond_tolerance_but_not_within_it() {
    let p = profile("jinpu-wj"); // 120 s each way (§12)
    let within = base(vec![rec(
        "a",
        "2026-11-02 09:01",
        3540,
        1,
        "2026-11-02 15:00",
    )]);
    assert_eq!(codes(&p, &within, "2026-11-03 12:00"), vec![]);
    let late = base(vec![rec(
        "a",
        "2026-11-02 09:05",
        3000,
        1,
        "2026-11-02 15:00",
    )]);
    assert_eq!(
        codes(&p, &late, "2026-11-03 12:00"),
        vec![("R8", "late_start"), ("R8", "early_end")]
    );
}

#[test]
fn r14_unlinked_recording_is_flagged_only_after_deadline_and_grace() {
    let p = profile("jinpu-wj"); // same day + 24 h grace (§5, §18)
    let mut f = base(vec![rec(
        "a",
        "2026-11-02 20:00",
        600,
        1,
        "2026-11-02 21:00",
    )]);
    f.links.clear();
    f.activities.clear();
    f.checkouts[0].returned_at = None;
    assert_eq!(
        codes(&p, &f, "2026-11-03 23:00"),
        vec![],
        "inside the grace period"
    );
    assert_eq!(
        codes(&p, &f, "2026-11-04 01:00"),
        vec![("R14", "not_linked_to_activity")]
    );
}

/// A full check gives its links by position (`Facts::link_positions`), a window by id
/// (`Facts::links`): the same facts judge the same either way, whatever the links' order, also
/// with a second activity and an activity id that repeats.
#[test]
fn r17_links_by_position_judge_as_links_by_id() {
    let p = profile("jinpu-wj");
    let mut by_id = base(vec![
        rec("a", "2026-11-02 09:00", 1500, 1, "2026-11-02 15:00"),
        rec("b", "2026-11-02 09:30", 1800, 2, "2026-11-03 15:00"),
        rec("c", "2026-11-02 11:00", 60, 4, "2026-11-04 15:00"),
        rec("d", "2026-11-02 13:00", 600, 5, "2026-11-04 15:00"),
    ]);
    by_id.activities.push(activity(
        "A2",
        "2026-11-02 10:30",
        "2026-11-02 11:30",
        &["dispute"],
    ));
    by_id
        .activities
        .push(activity("A2", "2026-11-02 10:45", "2026-11-02 11:45", &[]));
    // Links out of recording order; `c` in two activities; `d` in none.
    by_id.links = vec![
        ("c".into(), "A2".into()),
        ("b".into(), "A1".into()),
        ("a".into(), "A1".into()),
        ("c".into(), "A1".into()),
    ];
    let mut by_position = by_id.clone();
    by_position.links = vec![];
    by_position.link_positions = vec![(2, 2), (1, 0), (0, 0), (2, 0)];
    let mut mixed = by_id.clone();
    mixed.links = by_id.links[..2].to_vec();
    mixed.link_positions = vec![(0, 0), (2, 0)];
    let now = t("2027-12-01 12:00");
    let want = check(&p, &Calendar::builtin(), &by_id, now);
    assert!(
        want.iter().any(|f| f.code == "late_offload"),
        "the scenario has late offloads: {want:?}"
    );
    assert!(want.iter().any(|f| f.code == "not_linked_to_activity"));
    assert!(want.iter().any(|f| f.code == "retention_expired"));
    for facts in [&by_position, &mixed] {
        let got = check(&p, &Calendar::builtin(), facts, now);
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
    }
}

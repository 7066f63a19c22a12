//! `zhilu check --officer/--unit`: findings narrowed to the people and devices a supervisor oversees.

use chrono::{TimeZone, Utc};
use zhilu_policy::engine::{Finding, Severity};
use zhilu_policy::facts::*;
use zhilu_policy::scope::{Scope, retain_in_scope};

fn finding(
    code: &'static str,
    officer: Option<&str>,
    activity: Option<&str>,
    device: Option<&str>,
) -> Finding {
    Finding {
        rule: "R0",
        code,
        article: "x §1".into(),
        quote: None,
        agency_choice: Vec::new(),
        severity: Severity::Warning,
        message: String::new(),
        at: Utc
            .with_ymd_and_hms(2026, 11, 20, 1, 0, 0)
            .single()
            .expect("time"),
        activity: activity.map(str::to_string),
        recording: None,
        device: device.map(str::to_string),
        officer: officer.map(str::to_string),
    }
}

/// Officers 1, 2 in unit U1 and 3 in U2; device D1 belongs to U1, D2 to U2; activity A1 by 1 and 2.
fn facts() -> Facts {
    let officer = |id: &str, unit: &str| Officer {
        id: id.into(),
        name: id.into(),
        unit: unit.into(),
        role: "officer".into(),
    };
    let device = |serial: &str, unit: &str| Device {
        serial: serial.into(),
        unit: unit.into(),
        status: "在用".into(),
    };
    let at = Utc
        .with_ymd_and_hms(2026, 11, 20, 1, 0, 0)
        .single()
        .expect("time");
    Facts {
        officers: vec![officer("1", "U1"), officer("2", "U1"), officer("3", "U2")],
        devices: vec![device("D1", "U1"), device("D2", "U2")],
        activities: vec![Activity {
            id: "A1".into(),
            kind: "routine_inspection".into(),
            subject_name: "某单位".into(),
            officers: vec!["1".into(), "2".into()],
            start: at,
            end: at,
            case_no: None,
            flags: vec![],
        }],
        ..Facts::default()
    }
}

fn findings() -> Vec<Finding> {
    vec![
        finding("officer3_on_d1", Some("3"), None, Some("D1")),
        finding("activity_a1", None, Some("A1"), None),
        finding("device_d2", None, None, Some("D2")),
        finding("officer3_on_d2", Some("3"), None, Some("D2")),
        finding("unknown_activity", None, Some("A9"), None),
        finding("officer1_in_a1", Some("1"), Some("A1"), Some("D2")),
    ]
}

#[test]
fn check_scope_keeps_findings_naming_the_officer_their_activity_or_their_unit() {
    let scope = |unit: Option<&str>, officer: Option<&str>| Scope {
        unit: unit.map(str::to_string),
        officer: officer.map(str::to_string),
    };
    let all = vec![
        "officer3_on_d1",
        "activity_a1",
        "device_d2",
        "officer3_on_d2",
        "unknown_activity",
        "officer1_in_a1",
    ];
    let cases: Vec<(Scope, Vec<&str>)> = vec![
        (Scope::default(), all),
        // Officer 1 through activity A1, directly or not.
        (
            scope(None, Some("1")),
            vec!["activity_a1", "officer1_in_a1"],
        ),
        (
            scope(None, Some("2")),
            vec!["activity_a1", "officer1_in_a1"],
        ),
        (
            scope(None, Some("3")),
            vec!["officer3_on_d1", "officer3_on_d2"],
        ),
        // U1: officer 3 used U1's device D1; A1's officers are in U1.
        (
            scope(Some("U1"), None),
            vec!["officer3_on_d1", "activity_a1", "officer1_in_a1"],
        ),
        // U2: officer 3 is in U2; D2 belongs to U2.
        (
            scope(Some("U2"), None),
            vec![
                "officer3_on_d1",
                "device_d2",
                "officer3_on_d2",
                "officer1_in_a1",
            ],
        ),
        // Both given: both must hold.
        (scope(Some("U1"), Some("3")), vec!["officer3_on_d1"]),
        (scope(Some("U2"), Some("1")), vec!["officer1_in_a1"]),
        (scope(Some("U9"), None), vec![]),
        (scope(None, Some("9")), vec![]),
    ];
    let facts = facts();
    for (s, want) in cases {
        let mut found = findings();
        retain_in_scope(&mut found, &facts, &s);
        let got: Vec<&str> = found.iter().map(|f| f.code).collect();
        assert_eq!(got, want, "{s:?}");
    }
}

//! Issue 14 (R17, R12 examples): a finding's stable identity, `Finding::key` — rule, code and the
//! records it concerns; never its message or the numbers in it.

use chrono::{DateTime, TimeZone, Utc};
use zhilu_policy::engine::{Finding, Severity};

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0)
        .single()
        .expect("time")
}

fn late_offload(message: &str, when: DateTime<Utc>) -> Finding {
    Finding {
        rule: "R17",
        code: "late_offload",
        article: "jinpu-wj §18".into(),
        quote: None,
        agency_choice: Vec::new(),
        severity: Severity::Violation,
        message: message.into(),
        at: when,
        activity: Some("A20261120-001".into()),
        recording: Some("ab".repeat(32)),
        device: Some("DSJ0001".into()),
        officer: Some("000123".into()),
    }
}

#[test]
fn r17_finding_key_names_rule_and_records_not_message_or_time() {
    let a = late_offload("超过期限 2 小时", at(20, 1));
    let b = late_offload("超过期限 5 小时", at(21, 9));
    assert_eq!(a.key(), b.key(), "message and time are not identity");
    assert_eq!(
        a.key(),
        format!(
            "R17/late_offload activity=A20261120-001 recording={} device=DSJ0001 officer=000123",
            "ab".repeat(32)
        )
    );
}

#[test]
fn r17_finding_key_differs_by_each_record_it_concerns() {
    let base = late_offload("x", at(20, 1));
    let mut other_activity = base.clone();
    other_activity.activity = Some("A20261120-002".into());
    let mut other_device = base.clone();
    other_device.device = Some("DSJ0002".into());
    let mut other_officer = base.clone();
    other_officer.officer = None;
    let mut other_code = base.clone();
    other_code.code = "calendar_missing";
    let keys = [
        base.key(),
        other_activity.key(),
        other_device.key(),
        other_officer.key(),
        other_code.key(),
    ];
    for (i, k) in keys.iter().enumerate() {
        for (j, l) in keys.iter().enumerate() {
            if i != j {
                assert_ne!(k, l);
            }
        }
    }
}

#[test]
fn r12_device_only_finding_key_carries_its_china_local_day() {
    let mut f = late_offload("设备 DSJ0001 的文件序号不连续", at(20, 1));
    f.rule = "R12";
    f.code = "sequence_gap";
    f.activity = None;
    f.recording = None;
    f.officer = None;
    // 2026-11-20 17:00 UTC is already 21 November in China.
    let same_day = {
        let mut g = f.clone();
        g.at = at(20, 8);
        g
    };
    let next_day = {
        let mut g = f.clone();
        g.at = at(20, 17);
        g
    };
    assert_eq!(f.key(), "R12/sequence_gap device=DSJ0001 day=2026-11-20");
    assert_eq!(f.key(), same_day.key());
    assert_eq!(
        next_day.key(),
        "R12/sequence_gap device=DSJ0001 day=2026-11-21"
    );
}

//! R10, R11, R17, R23: approval along the profile's chain of roles, one level per person.

use chrono::{DateTime, TimeZone, Utc};
use zhilu_policy::approval::{ApprovalState, Refusal, Step, approve, state};
use zhilu_policy::profile::Profile;

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0)
        .single()
        .expect("time")
}

fn chain(roles: &[&str]) -> Vec<String> {
    roles.iter().map(|r| r.to_string()).collect()
}

fn step(by: &str, role: &str) -> Step {
    Step {
        by: by.into(),
        role: role.into(),
        at: at(1),
    }
}

/// luohe-xm §17: access needs 法制办公室, then 主管领导.
const LUOHE: [&str; 2] = ["legal_office", "chief_leader"];

#[test]
fn r23_state_names_the_next_level_and_role_until_every_level_is_approved() {
    let two = chain(&LUOHE);
    let cases: Vec<(Vec<String>, Vec<Step>, ApprovalState)> = vec![
        (
            two.clone(),
            vec![],
            ApprovalState::Pending {
                level: 1,
                next_role: "legal_office".into(),
            },
        ),
        (
            two.clone(),
            vec![step("P1", "legal_office")],
            ApprovalState::Pending {
                level: 2,
                next_role: "chief_leader".into(),
            },
        ),
        (
            two.clone(),
            vec![step("P1", "legal_office"), step("P2", "chief_leader")],
            ApprovalState::Approved,
        ),
        // An empty chain has nothing to approve.
        (vec![], vec![], ApprovalState::Approved),
    ];
    for (chain, steps, want) in cases {
        assert_eq!(state(&chain, &steps), want, "{chain:?} {steps:?}");
    }
}

#[test]
fn r23_approve_checks_done_then_empty_then_role_then_same_person_in_that_order() {
    let two = chain(&LUOHE);
    let one_step = vec![step("P1", "legal_office")];
    let done = vec![step("P1", "legal_office"), step("P2", "chief_leader")];
    #[allow(clippy::type_complexity)]
    let cases: Vec<(
        &str,
        Vec<String>,
        Vec<Step>,
        &str,
        &str,
        Result<Step, Refusal>,
    )> = vec![
        (
            "first level by its role",
            two.clone(),
            vec![],
            "P1",
            "legal_office",
            Ok(Step {
                by: "P1".into(),
                role: "legal_office".into(),
                at: at(9),
            }),
        ),
        (
            "second level by another person",
            two.clone(),
            one_step.clone(),
            "P2",
            "chief_leader",
            Ok(Step {
                by: "P2".into(),
                role: "chief_leader".into(),
                at: at(9),
            }),
        ),
        (
            "fully approved, even by a wrong role and the same person",
            two.clone(),
            done.clone(),
            "P1",
            "officer",
            Err(Refusal::AlreadyApproved),
        ),
        (
            "empty chain",
            vec![],
            vec![],
            "P1",
            "legal_office",
            Err(Refusal::EmptyChain),
        ),
        (
            "skipping the first level",
            two.clone(),
            vec![],
            "P2",
            "chief_leader",
            Err(Refusal::WrongRole {
                level: 1,
                need: "legal_office".into(),
                have: "chief_leader".into(),
            }),
        ),
        (
            "wrong role is reported before the same person",
            two.clone(),
            one_step.clone(),
            "P1",
            "legal_office",
            Err(Refusal::WrongRole {
                level: 2,
                need: "chief_leader".into(),
                have: "legal_office".into(),
            }),
        ),
        (
            "one person holding the role cannot approve two levels",
            chain(&["unit_head", "unit_head"]),
            vec![step("P1", "unit_head")],
            "P1",
            "unit_head",
            Err(Refusal::SameApproverTwice { by: "P1".into() }),
        ),
        (
            "role ids compare exactly",
            two.clone(),
            vec![],
            "P1",
            "Legal_office",
            Err(Refusal::WrongRole {
                level: 1,
                need: "legal_office".into(),
                have: "Legal_office".into(),
            }),
        ),
    ];
    for (what, chain, steps, by, role, want) in cases {
        assert_eq!(approve(&chain, &steps, by, role, at(9)), want, "{what}");
    }
}

#[test]
fn r10_walking_the_chain_step_by_step_ends_approved() {
    let chain = chain(&LUOHE);
    let mut steps = Vec::new();
    for (by, role) in [("P1", "legal_office"), ("P2", "chief_leader")] {
        assert_ne!(state(&chain, &steps), ApprovalState::Approved);
        let s = approve(&chain, &steps, by, role, at(9)).expect("allowed");
        steps.push(s);
    }
    assert_eq!(state(&chain, &steps), ApprovalState::Approved);
    assert_eq!(
        approve(&chain, &steps, "P3", "chief_leader", at(10)),
        Err(Refusal::AlreadyApproved)
    );
}

#[test]
fn r23_refusals_are_described_in_chinese_with_the_profiles_role_titles() {
    let p = Profile::preset("luohe-xm").expect("preset");
    let cases = [
        (
            Refusal::AlreadyApproved,
            "AR00001 已审批完毕，无需再次审批",
            "已审批完毕，无需再次审批",
        ),
        (Refusal::EmptyChain, "AR00001 的审批链为空", "审批链为空"),
        (
            Refusal::WrongRole {
                level: 2,
                need: "chief_leader".into(),
                have: "legal_office".into(),
            },
            "AR00001 的第 2 级审批应由主管领导（chief_leader）进行，张三（P001）的角色是法制办公室",
            "第 2 级审批应由角色 chief_leader 进行，审批人的角色是 legal_office",
        ),
        (
            Refusal::WrongRole {
                level: 1,
                need: "legal_office".into(),
                have: "undefined_role".into(),
            },
            "AR00001 的第 1 级审批应由法制办公室（legal_office）进行，张三（P001）的角色是undefined_role",
            "第 1 级审批应由角色 legal_office 进行，审批人的角色是 undefined_role",
        ),
        (
            Refusal::SameApproverTwice { by: "P001".into() },
            "AR00001 已由 P001 审批过一级，同一人不能审批两级",
            "P001 已审批过一级，同一人不能审批两级",
        ),
    ];
    for (r, describe, display) in cases {
        assert_eq!(r.describe(&p, "AR00001", "张三（P001）"), describe);
        assert_eq!(r.to_string(), display);
    }
}

#[test]
fn r23_steps_keep_the_stored_form_with_unix_microseconds() {
    // The form the catalog has always stored in an approval's `steps` column.
    let stored = r#"[{"by":"P001","role":"legal_office","at":1795136400000000}]"#;
    let steps: Vec<Step> = serde_json::from_str(stored).expect("reads the stored form");
    assert_eq!(
        steps,
        vec![Step {
            by: "P001".into(),
            role: "legal_office".into(),
            at: at(1),
        }]
    );
    assert_eq!(serde_json::to_string(&steps).expect("json"), stored);
}

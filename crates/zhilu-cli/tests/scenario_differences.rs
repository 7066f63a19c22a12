//! The same facts under different profiles give different answers: retention 6 vs 24 months
//! (jinpu-wj §19 vs lushan-sj §15), one vs two access approvers (jinpu-wj §22 vs luohe-xm §17),
//! same-day vs 24 hours + 2 working days (dalian-ftz §18 vs zhejiang-rf §19).

mod support;

use support::{TestApp, Zhilu, seg};

/// Plays one recorded inspection on 10 March 2026 and returns the agency and the file's hash.
fn one_inspection(profile: &str) -> (TestApp, String) {
    let a = TestApp::agency(profile, "2026-03-10 08:00:00");
    a.officer("500001", "甲", "一科", "officer");
    a.officer("500002", "乙", "一科", "officer");
    a.device("X01", "一科");
    a.checkout("X01", "500001");
    a.activity(
        "routine_inspection",
        "某单位",
        "500001,500002",
        "2026-03-10 09:00:00",
        "2026-03-10 10:00:00",
        &[],
    );
    a.at("2026-03-10 15:00:00");
    let (f, _) = a.offload("X01", "500001", &[seg("2026-03-10 09:00:00", 3600, 1)], &[]);
    a.give_back("X01");
    (a, f[0].clone())
}

/// r20: six months (jinpu-wj) expires by November; 24 months (lushan-sj) does not.
#[test]
fn r20_retention_six_months_versus_twenty_four() {
    for (profile, until, status) in [
        ("jinpu-wj", "2026-09-10T01:00:00Z", "purge_review"),
        ("lushan-sj", "2028-03-10T01:00:00Z", "retain"),
    ] {
        let (a, sha) = one_inspection(profile);
        a.at("2026-11-01 12:00:00");
        let ret = a.retention();
        let r = ret.iter().find(|r| r["sha256"] == sha.as_str()).unwrap();
        assert_eq!(r["retain_until"], until, "{profile}");
        assert_eq!(r["status"], status, "{profile}");
        let expired = a.findings().iter().filter(|f| f["rule"] == "R20").count();
        assert_eq!(expired, usize::from(status == "purge_review"), "{profile}");
    }
}

/// r23: jinpu-wj needs one approver (案件主管领导), luohe-xm two (法制办公室 then 主管领导).
#[test]
fn r23_one_versus_two_approvers() {
    let (a, sha) = one_inspection("jinpu-wj");
    a.officer("500009", "主管领导", "局领导", "case_leader");
    let id = a.ok(&[
        "access",
        "request",
        "--recording",
        &sha,
        "--by",
        "500002",
        "--reason",
        "复核",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        a.ok(&["approve", &id, "--by", "500009"])["status"],
        "approved"
    );

    let (b, sha) = one_inspection("luohe-xm");
    b.officer("500010", "法制办", "法制办公室", "legal_office");
    b.officer("500020", "主管领导", "大队领导", "chief_leader");
    let id = b.ok(&[
        "access",
        "request",
        "--recording",
        &sha,
        "--by",
        "500002",
        "--reason",
        "复核",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        b.ok(&["approve", &id, "--by", "500010"])["status"],
        "pending"
    );
    assert_eq!(
        b.ok(&["approve", &id, "--by", "500020"])["status"],
        "approved"
    );
}

/// r17: offloaded at 11:00 the next morning: late under dalian-ftz's same-day rule, on time under
/// zhejiang-rf's 24 hours.
#[test]
fn r17_same_day_versus_twenty_four_hours() {
    for (profile, late) in [("dalian-ftz", true), ("zhejiang-rf", false)] {
        let a = TestApp::agency(profile, "2026-03-10 08:00:00");
        a.officer("500001", "甲", "一科", "officer");
        a.officer("500002", "乙", "一科", "officer");
        a.device("X01", "一科");
        a.checkout("X01", "500001");
        a.activity(
            "routine_inspection",
            "某单位",
            "500001,500002",
            "2026-03-10 14:00:00",
            "2026-03-10 15:00:00",
            &[],
        );
        a.at("2026-03-11 11:00:00");
        a.offload("X01", "500001", &[seg("2026-03-10 14:00:00", 3600, 1)], &[]);
        a.give_back("X01");
        let n = a.findings().iter().filter(|f| f["rule"] == "R17").count();
        assert_eq!(n, usize::from(late), "{profile}");
    }
}

/// r14: a file shot just after midnight, offloaded at once and never linked, becomes a finding two
/// days later (deadline + link grace). The daily windowed check must reach back far enough to
/// see it, under the same-day rule (dalian-ftz §18) and the 24-hour rule (zhejiang-rf §19).
#[test]
fn r14_unlinked_file_is_found_by_the_daily_windowed_check() {
    for (profile, due) in [
        // 24:00 of 2 March (China time), then 24 hours' grace.
        ("dalian-ftz", "2026-03-03T16:00:00Z"),
        // 24 hours after the file ended (00:40), then 24 hours' grace.
        ("zhejiang-rf", "2026-03-03T16:40:00Z"),
    ] {
        let a = TestApp::agency(profile, "2026-03-02 00:00:00");
        a.officer("500001", "甲", "一科", "officer");
        a.device("X01", "一科");
        a.checkout("X01", "500001");
        a.at("2026-03-02 00:50:00");
        a.offload("X01", "500001", &[seg("2026-03-02 00:30:00", 600, 1)], &[]);
        a.give_back("X01");
        a.at("2026-03-31 12:00:00");
        let unlinked: Vec<_> = a
            .findings()
            .into_iter()
            .filter(|f| f["rule"] == "R14")
            .collect();
        assert_eq!(unlinked.len(), 1, "{profile}");
        assert_eq!(unlinked[0]["at"], due, "{profile}");
        a.assert_daily_windows_match_full("2026-03-02");
    }
}

/// A six-day enforcement action (a seizure kept under watch) started well before
/// the windowed check's look-back: the window that holds its end must still see it.
#[test]
fn r7_six_day_activity_is_found_by_the_daily_windowed_check() {
    let a = TestApp::agency("dalian-ftz", "2026-03-01 08:00:00");
    a.officer("500001", "甲", "一科", "officer");
    a.officer("500002", "乙", "一科", "officer");
    a.at("2026-03-02 08:00:00");
    let id = a.activity(
        "compulsory_measure",
        "某冷链仓库",
        "500001,500002",
        "2026-03-02 09:00:00",
        "2026-03-08 09:00:00",
        &[],
    );
    a.at("2026-03-31 12:00:00");
    let unrecorded: Vec<_> = a
        .findings()
        .into_iter()
        .filter(|f| f["rule"] == "R7" && f["activity"] == id.as_str())
        .collect();
    assert_eq!(unrecorded.len(), 1, "{unrecorded:?}");
    a.assert_daily_windows_match_full("2026-03-01");
}

/// R5: a camera checked out to one officer films under another's number. Every profile with an
/// article on lending devices flags it, citing that article, and names the officer it was checked
/// out to; zhejiang-rf, whose text has no such article, raises nothing.
#[test]
fn r5_device_filmed_by_someone_it_was_not_checked_out_to_is_flagged_where_lending_is_forbidden() {
    let mut flagged = Vec::new();
    for profile in [
        "dalian-ftz",
        "zhejiang-rf",
        "luohe-xm",
        "lushan-sj",
        "jinpu-wj",
    ] {
        let a = TestApp::agency(profile, "2026-06-01 08:00:00");
        a.officer("600001", "甲", "一科", "officer");
        a.officer("600002", "乙", "一科", "officer");
        a.device("L01", "一科");
        a.checkout("L01", "600001");
        a.at("2026-06-01 12:00:00");
        a.offload("L01", "600002", &[seg("2026-06-01 09:00:00", 600, 1)], &[]);
        a.give_back("L01");
        let p = a.profile();
        let lend = p["violations"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["id"] == "lend_device"));
        let lent: Vec<_> = a
            .findings()
            .into_iter()
            .filter(|f| f["rule"] == "R5")
            .collect();
        let Some(v) = lend else {
            assert!(
                lent.is_empty(),
                "{profile} has no lending article: {lent:?}"
            );
            continue;
        };
        let expected = format!("{profile} {}", v["article"].as_str().unwrap());
        assert_eq!(lent.len(), 1, "{profile}: {lent:?}");
        assert_eq!(lent[0]["code"], "device_lent", "{profile}");
        assert_eq!(lent[0]["article"], expected.as_str(), "{profile}");
        assert_eq!(lent[0]["officer"], "600001", "{profile}");
        assert_eq!(lent[0]["device"], "L01", "{profile}");
        flagged.push(profile);
    }
    assert_eq!(
        flagged,
        ["dalian-ftz", "luohe-xm", "lushan-sj", "jinpu-wj"],
        "zhejiang-rf alone has no article on lending"
    );
}

//! A quarter of supervision under each of the five profiles (issue 14), at the command line: the
//! findings of October–December become work items — acknowledged and rectified, closed by the
//! supervisor, one reopened, one closing itself when its cause goes —; a sampling review drawn
//! twice with one seed (the same sample) and once with another (a different one), its size per
//! stratum ⌈ratio × n⌉; a review rolled up into the officer's assessment; an officer whose
//! 执法证 expired; a violation and its sanction (which, where the profile says it stops
//! enforcement, blocks a checkout); the annual-review reminder where the regulation asks for one.
//!
//! What differs between profiles is read from the profile, and asserted both ways: where a
//! profile has no penalty kinds, no certificate finding; where it has no suspending sanction,
//! the checkout goes ahead; where it asks no annual review, no reminder.

mod support;

use serde_json::Value;
use support::{SYSADMIN, TestApp, Zhilu, seg};

/// The supervisor of the quarter (fixed role `supervisor`).
const SUP: &str = "100090";
/// Officers: A and C hold valid certificates; B's expired on 15 October.
const A: &str = "100001";
const B: &str = "100002";
const C: &str = "100003";

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Every finding case, as the supervisor sees them (`findings list` syncs first).
fn cases(t: &TestApp) -> Vec<Value> {
    t.ok(&["--actor", SUP, "findings", "list"])
        .as_array()
        .expect("a list")
        .clone()
}

fn case<'a>(all: &'a [Value], id: &str) -> &'a Value {
    all.iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("case {id} in {all:#?}"))
}

/// The open cases about an activity.
fn about(all: &[Value], activity: &str) -> Vec<Value> {
    all.iter()
        .filter(|c| c["activity"] == activity && c["state"] == "open")
        .cloned()
        .collect()
}

fn quarter(profile: &str) {
    let t = TestApp::agency(profile, "2026-10-01 08:00:00");
    let p = t.profile();
    // The first kind of the profile's checklist: every profile lists the kinds it requires a
    // record of there, so an activity of it without footage is a finding under each of them.
    let kind = p["checklist"][0]["kind"].as_str().unwrap().to_string();
    // A kind 行政处罚法 §42 governs: where the profile's R9 cites it, the kinds it applies to;
    // elsewhere the kinds the profile names as steps of a penalty procedure.
    let penalty: Option<String> = if p["officers"]["article"] == "行政处罚法 §42" {
        Some(
            strs(&p["officers"]["applies_to"])
                .into_iter()
                .next()
                .unwrap_or_else(|| kind.clone()),
        )
    } else {
        strs(&p["officers"]["penalty_kinds"]).into_iter().next()
    };
    let suspending: Option<String> = p["sanctions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["suspends_months"].as_i64().is_some())
        .map(|s| s["id"].as_str().unwrap().to_string());
    let annual = p.get("annual_review").is_some_and(|v| !v.is_null());
    let ratio = p["sampling"]["ratio"].as_f64().unwrap();
    // Where recording is mandatory only for flagged activities (jinpu-wj §8: life and health),
    // the activities carry the flag.
    let flag: Vec<String> = p["mandatory_rules"][0]["flags"]
        .as_array()
        .and_then(|f| f.first())
        .and_then(Value::as_str)
        .map(|f| vec!["--flag".to_string(), f.to_string()])
        .unwrap_or_default();
    let flag: Vec<&str> = flag.iter().map(String::as_str).collect();

    t.officer(A, "甲", "一队", "officer");
    t.officer(B, "乙", "一队", "officer");
    t.officer(C, "丙", "二队", "officer");
    t.officer(SUP, "督察", "法制科", "supervisor");
    t.device("Q01", "一队");
    // B's 执法证 ran out on 15 October (the system administrator keeps the register).
    t.ok(&[
        "--actor",
        SYSADMIN,
        "user",
        "certificate",
        "--id",
        B,
        "--number",
        "ZF-0002",
        "--from",
        "2021-10-16",
        "--to",
        "2026-10-15",
    ]);

    // October–December: one filmed activity a week of A with C (units alternate as the
    // first-named officer does), offloaded on the day; and three with no footage at all.
    let mut filmed = Vec::new();
    for week in 0..12u32 {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()
            + chrono::Duration::weeks(i64::from(week));
        let at = |h: &str| format!("{day} {h}");
        t.at(&at("08:00:00"));
        t.checkout("Q01", A);
        let officers = if week % 2 == 0 {
            "100001,100003"
        } else {
            "100003,100001"
        };
        filmed.push(t.activity(
            &kind,
            &format!("第{week}号商户"),
            officers,
            &at("09:00:00"),
            &at("09:30:00"),
            &flag,
        ));
        t.at(&at("12:00:00"));
        t.offload("Q01", A, &[seg(&at("08:58:00"), 34 * 60, 1)], &[]);
        t.give_back("Q01");
    }
    t.at("2026-10-20 12:00:00");
    let unfilmed = |d: &str, who: &str, subject: &str| {
        t.activity(
            &kind,
            subject,
            who,
            &format!("{d} 14:00:00"),
            &format!("{d} 14:30:00"),
            &flag,
        )
    };
    let x = unfilmed("2026-10-14", "100001,100003", "甲商店"); // will close itself
    let y = unfilmed("2026-10-15", "100001,100003", "乙商店"); // rectified, closed
    let z = unfilmed("2026-10-16", "100003,100001", "丙商店"); // reopened

    // The check opens the cases; a second check finds the same ones (same ids, no new entries).
    t.at("2026-10-21 09:00:00");
    let first = cases(&t);
    for act in [&x, &y, &z] {
        assert!(
            !about(&first, act).is_empty(),
            "{profile}: no case about {act}: {first:#?}"
        );
    }
    let size = t.ledger_size();
    let again = cases(&t);
    assert_eq!(
        first.iter().map(|c| &c["id"]).collect::<Vec<_>>(),
        again.iter().map(|c| &c["id"]).collect::<Vec<_>>(),
        "{profile}: a re-check keeps the cases"
    );
    assert_eq!(
        t.ledger_size(),
        size,
        "{profile}: a re-check writes nothing"
    );

    // Y: A acknowledges and rectifies; the supervisor closes. The cause stays (no footage), the
    // case stays closed.
    let cy = about(&first, &y)[0]["id"].as_str().unwrap().to_string();
    t.ok(&["--actor", A, "findings", "ack", &cy]);
    t.ok(&[
        "--actor",
        A,
        "findings",
        "rectify",
        &cy,
        "--explain",
        "设备电量不足未能记录，已补写情况说明并加强领用前检查",
    ]);
    // An officer cannot close their own case.
    assert_eq!(
        t.fails(&["--actor", A, "findings", "close", &cy]).code,
        "forbidden"
    );
    t.ok(&[
        "--actor",
        SUP,
        "findings",
        "close",
        &cy,
        "--note",
        "整改到位",
    ]);

    // Z: C acknowledges and rectifies, the supervisor is not satisfied and reopens it.
    let cz = about(&first, &z)[0]["id"].as_str().unwrap().to_string();
    t.ok(&["--actor", C, "findings", "ack", &cz]);
    t.ok(&[
        "--actor",
        C,
        "findings",
        "rectify",
        &cz,
        "--explain",
        "已口头说明",
    ]);
    t.ok(&[
        "--actor",
        SUP,
        "findings",
        "reopen",
        &cz,
        "--reason",
        "整改说明不充分，须书面说明未记录原因",
    ]);

    // X: the footage turns up (a second card, offloaded late): the case about the missing
    // recording closes itself; the late offload is a case of its own.
    let cx: Vec<String> = about(&first, &x)
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    t.at("2026-10-22 08:00:00");
    t.checkout("Q01", A);
    t.offload("Q01", A, &[seg("2026-10-14 13:58:00", 34 * 60, 1)], &[]);
    t.give_back("Q01");

    // Certificates: a penalty activity of B after the expiry (and of A, valid).
    let w = penalty.as_ref().map(|k| {
        t.at("2026-11-02 08:00:00");
        t.checkout("Q01", B);
        let w = t.activity(
            k,
            "丁商店",
            "100002,100001",
            "2026-11-02 09:00:00",
            "2026-11-02 09:30:00",
            &[],
        );
        t.at("2026-11-02 12:00:00");
        t.offload("Q01", B, &[seg("2026-11-02 08:58:00", 34 * 60, 1)], &[]);
        t.give_back("Q01");
        w
    });

    t.at("2026-11-03 09:00:00");
    let now = cases(&t);
    let y_case = case(&now, &cy);
    assert_eq!(y_case["state"], "closed", "{profile}: {y_case:#}");
    assert_eq!(y_case["closed_by"], SUP);
    let z_case = case(&now, &cz);
    assert_eq!(z_case["state"], "open", "{profile}: {z_case:#}");
    assert_eq!(z_case["reopen_count"], 1);
    // X's missing-footage cases closed themselves, by the system, with the reason.
    let x_gone: Vec<&Value> = cx.iter().map(|id| case(&now, id)).collect();
    assert!(
        x_gone
            .iter()
            .any(|c| c["state"] == "closed" && c["closed_by"] != SUP),
        "{profile}: a case about {x} closes itself: {x_gone:#?}"
    );
    // Every transition is in the case's history (`findings show`).
    let shown = t.ok(&["--actor", SUP, "findings", "show", &cy]);
    assert!(
        shown.to_string().contains("整改到位"),
        "{profile}: {shown:#}"
    );

    // The certificate: where §42 governs a kind, B's activity is a violation citing it and A's
    // valid certificate raises nothing; elsewhere, no certificate finding at all.
    let cert: Vec<&Value> = now
        .iter()
        .filter(|c| c["code"] == "no_valid_certificate")
        .collect();
    match &w {
        Some(w) => {
            assert_eq!(cert.len(), 1, "{profile}: {cert:#?}");
            assert_eq!(cert[0]["activity"], w.as_str());
            assert_eq!(strs(&cert[0]["officers"]), vec![B.to_string()]);
            assert_eq!(cert[0]["article"], "行政处罚法 §42");
        }
        None => assert!(cert.is_empty(), "{profile}: {cert:#?}"),
    }

    // The sampling review of the quarter, by unit, at the profile's ratio.
    t.at("2027-01-02 09:00:00");
    let draw = |seed: &str, reason: Option<&str>| {
        let mut a = vec![
            "--actor", SUP, "sample", "draw", "--period", "2026-Q4", "--by", "unit", "--seed", seed,
        ];
        if let Some(r) = reason {
            a.extend(["--reason", r]);
        }
        t.ok(&a)
    };
    let d1 = draw("2027-01-02-一", None);
    let total: u64 = d1["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let n = s["population"].as_u64().unwrap();
            let want = (ratio * n as f64).ceil() as u64;
            assert_eq!(s["drawn"].as_u64().unwrap(), want, "{profile}: {s}");
            n
        })
        .sum();
    assert_eq!(d1["population_count"].as_u64().unwrap(), total);
    assert_eq!(d1["strata"].as_array().unwrap().len(), 2, "{profile}: {d1}");
    // No seed shopping: a second draw needs a reason; with one, the same seed gives the same
    // sample, another seed another one.
    assert_eq!(
        t.fails(&[
            "--actor", SUP, "sample", "draw", "--period", "2026-Q4", "--by", "unit", "--seed",
            "其他",
        ])
        .code,
        "sample_refused"
    );
    let d2 = draw("2027-01-02-一", Some("复核抽样结果"));
    assert_eq!(d2["items"], d1["items"], "{profile}");
    assert_eq!(d2["population_digest"], d1["population_digest"]);
    let d3 = draw("2027-01-02-二", Some("上级要求另行抽取"));
    assert_ne!(d3["items"], d1["items"], "{profile}: another seed");

    // A review: the first sampled activity A took part in, interrupted; the rest as required.
    let before = t.ok(&["--actor", SUP, "assess", "--period", "2026-Q4"]);
    let line = |v: &Value, who: &str| {
        v["officers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == who)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert!(line(&before, A)["score"].is_null(), "{profile}: {before:#}");
    let reviewed = strs(&d1["items"])
        .into_iter()
        .find(|a| filmed.contains(a))
        .expect("a filmed activity in the sample");
    t.ok(&[
        "--actor",
        SUP,
        "sample",
        "review",
        d1["id"].as_str().unwrap(),
        "--activity",
        &reviewed,
        "--item",
        "uninterrupted=不符合",
        "--others",
        "符合",
        "--comment",
        "中途关机约五分钟",
    ]);
    let after = t.ok(&["--actor", SUP, "assess", "--period", "2026-Q4"]);
    let a_line = line(&after, A);
    let score = a_line["score"].as_f64().expect("A is scored");
    assert!(score < 100.0 && score > 0.0, "{profile}: {a_line}");
    assert_eq!(a_line["reviewed"], 1);
    // C took part in the same activity: the same review counts for C.
    assert_eq!(line(&after, C)["reviewed"], 1, "{profile}: {after:#}");

    // The annual review: due by the profile's day where the regulation asks for one.
    let reminder = |all: &[Value]| {
        all.iter()
            .filter(|c| c["code"] == "annual_review_missing" && c["state"] == "open")
            .count()
    };
    let now = cases(&t);
    if annual {
        assert_eq!(reminder(&now), 1, "{profile}: {now:#?}");
        t.ok(&[
            "--actor",
            SUP,
            "annual-review",
            "add",
            "--year",
            "2026",
            "--on",
            "2027-01-02",
            "--summary",
            "抽查评查第四季度音像记录，发现问题已整改",
        ]);
        assert_eq!(
            reminder(&cases(&t)),
            0,
            "{profile}: the reminder closes itself"
        );
    } else {
        assert_eq!(reminder(&now), 0, "{profile}: no annual review required");
    }

    // A violation of B, proven by a case; a sanction from the profile's catalogue. Where it
    // stops enforcement, B cannot take a camera out; an activity with B anyway is kept and
    // flagged.
    let violation_kind = p["violations"][0]["id"].as_str().unwrap().to_string();
    let proof = cert
        .first()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .unwrap_or_else(|| cz.clone());
    let v = t.ok(&[
        "--actor",
        SUP,
        "violation",
        "add",
        "--officer",
        B,
        "--kind",
        &violation_kind,
        "--desc",
        "未按规定使用音像记录设备",
        "--on",
        "2026-12-20",
        "--finding",
        &proof,
    ]);
    let vid = v["id"].as_str().unwrap().to_string();
    let sanction = suspending
        .clone()
        .or_else(|| p["sanctions"][0]["id"].as_str().map(str::to_string));
    if let Some(kind) = &sanction {
        t.ok(&[
            "--actor",
            SUP,
            "sanction",
            "add",
            "--violation",
            &vid,
            "--kind",
            kind,
            "--on",
            "2027-01-02",
        ]);
    }
    t.at("2027-01-10 08:00:00");
    let checkout = t.run(&[
        "device",
        "checkout",
        "--device",
        "Q01",
        "--officer",
        B,
        "--battery",
        "90",
        "--free-gb",
        "30",
        "--clock-ok",
    ]);
    let err: Value = serde_json::from_slice(&checkout.stdout).unwrap_or(Value::Null);
    if suspending.is_some() {
        assert!(!checkout.status.success(), "{profile}: suspended");
        let text = format!("{err}{}", String::from_utf8_lossy(&checkout.stderr));
        assert!(text.contains("officer_suspended"), "{profile}: {text}");
        let during = t.activity(
            &kind,
            "戊商店",
            "100002,100003",
            "2027-01-10 09:00:00",
            "2027-01-10 09:30:00",
            &[],
        );
        t.at("2027-01-10 12:00:00");
        let flagged = cases(&t);
        assert!(
            flagged
                .iter()
                .any(|c| c["code"] == "enforcement_while_suspended" && c["activity"] == during),
            "{profile}: {flagged:#?}"
        );
    } else {
        assert!(checkout.status.success(), "{profile}: {err}");
        t.give_back("Q01");
    }

    // Everything above is in the ledger, and it verifies.
    let (out, err, ok) = t.text(&["verify"]);
    assert!(ok, "{profile}: {out}{err}");
}

#[test]
fn r10_r27_r28_r29_quarter_dalian_ftz() {
    quarter("dalian-ftz");
}

#[test]
fn r10_r27_r28_r29_quarter_jinpu_wj() {
    quarter("jinpu-wj");
}

#[test]
fn r10_r27_r28_r29_quarter_luohe_xm() {
    quarter("luohe-xm");
}

#[test]
fn r10_r27_r28_r29_quarter_lushan_sj() {
    quarter("lushan-sj");
}

#[test]
fn r10_r27_r28_r29_quarter_zhejiang_rf() {
    quarter("zhejiang-rf");
}

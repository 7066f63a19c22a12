//! Every finding cites a text that contains its rule, and quotes it: the article texts stored with
//! each preset are the regulation's own words, and each rule's citation says what the rule checks.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use zhilu_policy::calendar::Calendar;
use zhilu_policy::engine::{Finding, check};
use zhilu_policy::facts::*;
use zhilu_policy::profile::{NATIONAL_LAW, Obligation, PRESETS, Profile, national_citations};

/// The regulations as received (see `tests/regulations/README.md`).
const REGULATIONS: [(&str, &str); 5] = [
    ("dalian-ftz", include_str!("regulations/dalian-ftz.txt")),
    ("zhejiang-rf", include_str!("regulations/zhejiang-rf.txt")),
    ("luohe-xm", include_str!("regulations/luohe-xm.txt")),
    ("lushan-sj", include_str!("regulations/lushan-sj.txt")),
    ("jinpu-wj", include_str!("regulations/jinpu-wj.txt")),
];
const NATIONAL_LAW_SOURCE: &str = include_str!("regulations/national-law.md");

/// What the cited text must say for each (rule, finding code): any one of these words. Written by
/// hand from the requirement catalogue, not from the texts.
fn keywords(rule: &str, code: &str) -> &'static [&'static str] {
    match (rule, code) {
        ("R4", "pre_use_check_failed") => &["电池电量充足", "电池容量"],
        ("R4", "device_clock_offset") => &["调整好设备时间", "系统日期和时间"],
        ("R5", _) => &["借给", "交由非本单位人员使用"],
        ("R7", _) => &[
            "进行现场执法记录",
            "进行执法记录",
            "进行音像记录",
            "全过程音像记录",
        ],
        ("R8", _) => &["到达现场", "起止时间", "全程记录"],
        ("R9", _) => &[
            "不得少于两人",
            "双人",
            "执法人员×××、×××",
            "执法人员＊＊＊、＊＊＊",
        ],
        ("R10", _) => &["签批", "审核", "报大队领导"],
        ("R11", "unexplained_gap") => &["不得中止录制", "停止使用"],
        ("R11", "gap_not_stated_by_voice") => &["语音说明"],
        ("R11", "interruption_not_reported") => &["报告"],
        ("R12", "recorded_after_activity") => &["事后补录", "同步摄录"],
        ("R12", _) => &["删改", "删节", "删减"],
        ("R14", _) => &["与工作无关", "非执法工作", "非法执法工作"],
        ("R17", _) => &["导出", "储存", "存储"],
        ("R20", _) => &["保存期限", "最少保存", "归档、保存", "长期保存"],
        _ => &[],
    }
}

/// Every (rule, code) the facts below raise under a regulation that says every rule.
const ALL: [(&str, &str); 18] = [
    ("R4", "pre_use_check_failed"),
    ("R4", "device_clock_offset"),
    ("R5", "device_lent"),
    ("R5", "used_without_checkout"),
    ("R7", "mandatory_not_recorded"),
    ("R8", "late_start"),
    ("R8", "early_end"),
    ("R9", "too_few_officers"),
    ("R10", "norecord_not_approved"),
    ("R11", "unexplained_gap"),
    ("R11", "gap_not_stated_by_voice"),
    ("R11", "interruption_not_reported"),
    ("R12", "recorded_after_activity"),
    ("R12", "sequence_gap"),
    ("R12", "hash_mismatch"),
    ("R14", "not_linked_to_activity"),
    ("R17", "late_offload"),
    ("R20", "retention_expired"),
];

/// Where a regulation is silent (and national law does not say it), its rule raises nothing.
fn silent(profile: &str) -> &'static [(&'static str, &'static str)] {
    match profile {
        // §8 names no approval of a non-recording record; §16 asks no report to a head.
        "dalian-ftz" => &[
            ("R10", "norecord_not_approved"),
            ("R11", "interruption_not_reported"),
        ],
        // No article forbids lending a device.
        "zhejiang-rf" => &[("R5", "device_lent"), ("R5", "used_without_checkout")],
        // No 事后补录 or 同步摄录, no 语音说明, no report on stopping.
        "lushan-sj" => &[
            ("R12", "recorded_after_activity"),
            ("R11", "gap_not_stated_by_voice"),
            ("R11", "interruption_not_reported"),
        ],
        _ => &[],
    }
}

/// China local time.
fn t(s: &str) -> DateTime<Utc> {
    let n = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
    china()
        .from_local_datetime(&n)
        .single()
        .expect("local")
        .with_timezone(&Utc)
}

fn preset(id: &str) -> Profile {
    let src = PRESETS
        .iter()
        .find(|(p, _)| *p == id)
        .map(|(_, s)| *s)
        .expect("preset");
    Profile::parse(src).unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn rec(sha: &str, device: &str, officer: &str, start: &str, secs: i64, seq: i64) -> Recording {
    Recording {
        sha256: sha.into(),
        device: device.into(),
        officer: officer.into(),
        name_officer: None,
        capture_start: Some(t(start)),
        capture_end: Some(t(start) + Duration::seconds(secs)),
        sequence: Some(seq),
        offloaded_at: t("2026-11-02 15:00"),
        session: format!("S-{device}").into(),
        integrity_failed: false,
    }
}

fn checkout(id: &str, device: &str, officer: &str) -> Checkout {
    Checkout {
        id: id.into(),
        device: device.into(),
        officer: officer.into(),
        out_at: t("2026-11-02 08:00"),
        returned_at: Some(t("2026-11-02 18:00")),
        battery_pct: Some(90),
        free_gb: Some(10),
        clock_ok: true,
    }
}

fn activity(id: &str, kind: &str, officers: &[&str], flags: Vec<String>) -> Activity {
    Activity {
        id: id.into(),
        kind: kind.into(),
        subject_name: "某单位".into(),
        officers: officers.iter().map(|o| o.to_string()).collect(),
        start: t("2026-11-02 09:00"),
        end: t("2026-11-02 10:00"),
        case_no: None,
        flags,
    }
}

/// One day on which every rule goes wrong: A1 (one officer, late start, early end, a gap on each
/// of three devices, a lent device, a missing file number), A2 (mandatory, unrecorded, its
/// non-recording record unapproved), A3 (its only file made after its end and offloaded days
/// late), a device used without checkout, a damaged recording, a bad pre-use check and a fast
/// clock.
fn every_rule_broken(p: &Profile) -> Facts {
    // R7 needs a mandatory activity: a mandatory checklist kind, or a flag a mandatory rule names.
    let (mandatory_kind, mandatory_flags) = match p
        .checklist
        .iter()
        .find(|r| r.obligation == Obligation::Mandatory)
    {
        Some(row) => (row.kind.get_ref().clone(), vec![]),
        None => (
            p.checklist[0].kind.get_ref().clone(),
            vec![p.mandatory_rules[0].flags[0].get_ref().clone()],
        ),
    };
    // R9: a kind its article governs.
    let officers_kind = p
        .officers
        .applies_to
        .first()
        .map(|k| k.get_ref().clone())
        .unwrap_or_else(|| mandatory_kind.clone());
    let voiced = p
        .interruption
        .reasons
        .iter()
        .find(|r| r.voice_statement)
        .map(|r| r.id.get_ref().clone());
    let unvoiced = p
        .interruption
        .reasons
        .iter()
        .find(|r| !r.voice_statement)
        .map(|r| r.id.get_ref().clone());
    let officer = |id: &str| Officer {
        id: id.into(),
        name: id.into(),
        unit: "U1".into(),
        role: "officer".into(),
    };
    let mut lent = rec("b", "D1", "1", "2026-11-02 09:40", 600, 3);
    lent.name_officer = Some("3".into());
    let mut late = rec("c", "D1", "1", "2026-11-02 11:00", 60, 4);
    late.offloaded_at = t("2026-11-06 12:00");
    late.session = "S-late".into();
    let mut damaged = rec("i", "D4", "1", "2026-11-02 09:00", 60, 1);
    (damaged.capture_start, damaged.capture_end, damaged.sequence) = (None, None, None);
    damaged.integrity_failed = true;
    let recordings = vec![
        rec("a", "D1", "1", "2026-11-02 09:05", 1500, 1),
        lent,
        late,
        rec("d", "D2", "2", "2026-11-02 09:05", 900, 1),
        rec("e", "D2", "2", "2026-11-02 09:30", 1500, 2),
        rec("g", "D3", "2", "2026-11-02 09:05", 900, 1),
        rec("h", "D3", "2", "2026-11-02 09:30", 1500, 2),
        rec("z", "D9", "1", "2026-11-02 12:00", 60, 1),
        damaged,
    ];
    let mut bad = checkout("C1", "D1", "1");
    (bad.battery_pct, bad.free_gb, bad.clock_ok) = (Some(10), Some(1), false);
    let interruption = |id: &str, after: &str, reason: Option<String>| {
        reason.map(|reason| Interruption {
            id: id.into(),
            activity: "A1".into(),
            after: after.into(),
            reason,
            voice_stated: false,
            approved: false,
        })
    };
    Facts {
        officers: vec![officer("1"), officer("2"), officer("3")],
        devices: ["D1", "D2", "D3", "D4", "D9"]
            .iter()
            .map(|d| Device {
                serial: d.to_string(),
                unit: "U1".into(),
                status: "in_use".into(),
            })
            .collect(),
        checkouts: vec![bad, checkout("C2", "D2", "2"), checkout("C3", "D3", "2")],
        activities: vec![
            activity("A1", &officers_kind, &["1"], mandatory_flags.clone()),
            activity("A2", &mandatory_kind, &["1", "2"], mandatory_flags.clone()),
            activity("A3", &mandatory_kind, &["1", "2"], mandatory_flags),
        ],
        links: ["a", "b", "c", "d", "e", "g", "h"]
            .iter()
            .map(|s| {
                (
                    s.to_string(),
                    if *s == "c" { "A3" } else { "A1" }.to_string(),
                )
            })
            .collect(),
        recordings,
        offloads: vec![Offload {
            id: "O1".into(),
            device: "D1".into(),
            officer: "1".into(),
            at: t("2026-11-02 15:00"),
            clock_offset_ms: Some(600_000),
        }],
        norecords: vec![NoRecord {
            id: "N1".into(),
            activity: "A2".into(),
            reason: p.norecord.reasons[0].id.get_ref().clone(),
            approved: false,
        }],
        interruptions: [
            interruption("I1", "d", voiced),
            interruption("I2", "g", unvoiced),
        ]
        .into_iter()
        .flatten()
        .collect(),
        ..Facts::default()
    }
}

fn findings(p: &Profile) -> Vec<Finding> {
    check(
        p,
        &Calendar::builtin(),
        &every_rule_broken(p),
        t("2030-01-01 00:00"),
    )
}

/// Whitespace and the source's Markdown list bullets and headings are layout, not words.
fn normalise(s: &str) -> String {
    s.lines()
        .map(|l| {
            let l = l.trim();
            let l = l.trim_start_matches('#').trim_start();
            l.strip_prefix("- ").unwrap_or(l)
        })
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// `§13` → `第十三条`.
fn heading(key: &str) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let n: usize = key.trim_start_matches('§').parse().expect("article number");
    let tens = match n / 10 {
        0 => String::new(),
        1 => "十".into(),
        k => format!("{}十", D[k]),
    };
    format!("第{tens}{}条", D[n % 10])
}

#[test]
fn r4_r20_every_finding_cites_an_article_whose_text_contains_its_rule() {
    for (id, _) in PRESETS {
        let p = preset(id);
        let got = findings(&p);
        for f in &got {
            let quote = f
                .quote
                .as_deref()
                .unwrap_or_else(|| panic!("{id} {} {}: no quote of {}", f.rule, f.code, f.article));
            assert_eq!(p.quote_cited(&f.article), Some(quote));
            let words = keywords(f.rule, f.code);
            assert!(
                words.iter().any(|w| quote.contains(w)),
                "{id} {} {} cites {}, whose text says none of {words:?}:\n{quote}",
                f.rule,
                f.code,
                f.article
            );
        }
        // Not vacuous: every rule the regulation says was raised, and no other.
        let raised: BTreeSet<(&str, &str)> = got.iter().map(|f| (f.rule, f.code)).collect();
        let expected: BTreeSet<(&str, &str)> = ALL
            .iter()
            .copied()
            .filter(|rc| !silent(id).contains(rc))
            .collect();
        assert_eq!(raised, expected, "{id}");
    }
}

#[test]
fn every_article_a_preset_cites_is_stored_and_every_stored_text_is_verbatim_from_its_regulation() {
    for (id, source) in REGULATIONS {
        let p = preset(id);
        let source = normalise(source);
        for (field, article) in p.citations() {
            let quote = p
                .quote(article)
                .unwrap_or_else(|| panic!("{id} {field} = {article}: no stored text"));
            assert!(!quote.trim().is_empty(), "{id} {article}");
        }
        assert!(!p.articles.is_empty(), "{id}");
        for (key, text) in &p.articles {
            assert!(
                text.starts_with(&heading(key)),
                "{id} {key} should start with {}: {text}",
                heading(key)
            );
            assert!(
                source.contains(&normalise(text)),
                "{id} {key} is not the regulation's text:\n{text}"
            );
        }
    }
    let law = normalise(NATIONAL_LAW_SOURCE);
    let cited = national_citations();
    assert!(cited.contains(&"行政处罚法 §42".to_string()));
    for c in cited {
        let text = zhilu_policy::profile::national_article(&c).expect("stored");
        assert!(law.contains(&normalise(text)), "{c}:\n{text}");
    }
    assert!(NATIONAL_LAW.contains("行政处罚法 §42"));
}

#[test]
fn r9_two_officers_cites_national_law_where_the_regulation_is_silent() {
    for (id, governed, other) in [
        ("zhejiang-rf", "routine_inspection", "licensing_survey"),
        ("lushan-sj", "investigation", "service_notice"),
    ] {
        let p = preset(id);
        let alone = |kind: &str| Facts {
            activities: vec![activity("A", kind, &["1"], vec![])],
            norecords: vec![NoRecord {
                id: "N".into(),
                activity: "A".into(),
                reason: p.norecord.reasons[0].id.get_ref().clone(),
                approved: true,
            }],
            ..Facts::default()
        };
        let r9 = |kind: &str| -> Vec<Finding> {
            check(
                &p,
                &Calendar::builtin(),
                &alone(kind),
                t("2026-11-03 00:00"),
            )
            .into_iter()
            .filter(|f| f.rule == "R9")
            .collect()
        };
        let got = r9(governed);
        assert_eq!(got.len(), 1, "{id}: {got:?}");
        assert_eq!(got[0].article, "行政处罚法 §42", "{id}");
        assert!(
            got[0]
                .quote
                .as_deref()
                .is_some_and(|q| q.contains("执法人员不得少于两人")),
            "{id}: {:?}",
            got[0].quote
        );
        assert!(got[0].agency_choice.is_empty(), "two is the law's number");
        // The penalty law does not govern this kind, and the regulation says nothing: no finding.
        assert_eq!(r9(other), vec![], "{id} {other}");
    }
    // Where the regulation says it, its own article is cited, for every kind.
    let dalian = preset("dalian-ftz");
    assert!(dalian.officers.applies_to.is_empty());
    assert_eq!(dalian.cite(&dalian.officers.article), "dalian-ftz §13");
    assert!(
        dalian
            .quote(&dalian.officers.article)
            .is_some_and(|q| q.contains("双人携带"))
    );
}

#[test]
fn r4_r8_r14_findings_name_the_numbers_that_are_the_agencys_choice() {
    let p = preset("jinpu-wj");
    let got = findings(&p);
    let choice = |code: &str| -> Vec<String> {
        got.iter()
            .find(|f| f.code == code)
            .map(|f| f.agency_choice.clone())
            .unwrap_or_else(|| panic!("no {code}"))
    };
    assert_eq!(choice("device_clock_offset"), ["pre_use.clock_tolerance_s"]);
    assert_eq!(
        choice("pre_use_check_failed"),
        ["pre_use.min_battery_pct", "pre_use.min_free_gb"]
    );
    assert_eq!(choice("late_start"), ["coverage.start_tolerance_s"]);
    assert_eq!(choice("unexplained_gap"), ["segments.split_tolerance_s"]);
    assert_eq!(
        choice("not_linked_to_activity"),
        ["offload.link_grace_hours"]
    );
    // Numbers the text gives itself: same-day offload (§18), two officers (§13), 6 months (§19).
    assert_eq!(choice("late_offload"), Vec::<String>::new());
    assert_eq!(choice("too_few_officers"), Vec::<String>::new());
    assert_eq!(choice("retention_expired"), Vec::<String>::new());
    // lushan-sj §13 sets no hour for the ordinary offload: the same day is the agency's reading.
    let lushan = findings(&preset("lushan-sj"));
    let late = lushan
        .iter()
        .find(|f| f.code == "late_offload")
        .expect("late");
    assert_eq!(late.agency_choice, ["offload.base"]);
    // In JSON: snake_case, and absent when there is nothing to say.
    let json = serde_json::to_value(late).expect("json");
    assert_eq!(json["agency_choice"][0], "offload.base");
    assert!(
        json["quote"]
            .as_str()
            .is_some_and(|q| q.starts_with("第十三条"))
    );
}

#[test]
fn a_profile_citing_an_article_it_does_not_store_or_an_unknown_law_is_refused() {
    let src = PRESETS[1].1;
    let missing = src.replace("article = \"§21\"", "article = \"§3\"");
    let e = Profile::parse(&missing).expect_err("§3 is not stored");
    assert_eq!(e.field, "access.article");
    assert!(e.message.contains("§3"), "{e}");
    let unknown = src.replace("行政处罚法 §42\"\n", "行政强制法 §18\"\n");
    let e = Profile::parse(&unknown).expect_err("not embedded");
    assert_eq!(e.field, "officers.article");
    assert!(e.message.contains("行政处罚法 §42"), "{e}");
    let choice = src.replace(
        "agency_choice = [\"ratio\", \"weights\"]",
        "agency_choice = [\"article\"]",
    );
    let e = Profile::parse(&choice).expect_err("not a number");
    assert_eq!(e.field, "sampling.agency_choice");
    let kind = src.replace(
        "applies_to = [\"routine_inspection\"]",
        "applies_to = [\"penalty\"]",
    );
    assert_eq!(
        Profile::parse(&kind).expect_err("no such kind").field,
        "officers.applies_to"
    );
}

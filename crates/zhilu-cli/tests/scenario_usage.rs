//! The usage ledger (R3) and the one-household view (R19), through the CLI.

mod support;

use support::{TestApp, Zhilu, seg};

fn code() -> String {
    let first = "91210213MA0XYW12P";
    format!(
        "{first}{}",
        zhilu_app::zhilu_policy::ids::credit_code_check_char(first).unwrap()
    )
}

/// r3: each checkout and return is a row with who, when and what was recorded; the device cannot
/// leave twice.
#[test]
fn r3_checkout_and_return_form_the_usage_ledger() {
    let a = TestApp::agency("jinpu-wj", "2026-11-02 08:00:00");
    a.officer("000101", "王强", "监督一科", "officer");
    a.officer("000102", "李娜", "监督一科", "officer");
    a.device("DSJ01", "监督一科");
    let out = a.ok(&[
        "device",
        "checkout",
        "--device",
        "DSJ01",
        "--officer",
        "000101",
        "--battery",
        "88",
        "--free-gb",
        "20",
        "--clock-ok",
    ]);
    assert_eq!(out["officer"], "000101");
    a.activity(
        "routine_inspection",
        "某诊所",
        "000101,000102",
        "2026-11-02 09:00:00",
        "2026-11-02 10:00:00",
        &[],
    );
    a.at("2026-11-02 15:00:00");
    a.offload(
        "DSJ01",
        "000101",
        &[
            seg("2026-11-02 09:00:00", 1800, 1),
            seg("2026-11-02 09:30:00", 1800, 2),
        ],
        &[],
    );
    let back = a.ok(&["device", "return", "--device", "DSJ01"]);
    assert_eq!(back["returned_at"], "2026-11-02T07:00:00Z", "RFC 3339, UTC");
    assert_eq!(back["recorded_summary"], "已导出 2 个文件，合计 60 分钟");
    assert!(
        a.fails(&["device", "return", "--device", "DSJ01"])
            .contains("没有未归还")
    );
}

/// r19: everything about one subject — activities across dates, their recordings, the records
/// written about them and the findings — in one query, by code or by name.
#[test]
fn r19_subject_view_gathers_everything_about_one_subject() {
    let a = TestApp::agency("jinpu-wj", "2026-11-02 08:00:00");
    a.officer("000101", "王强", "监督一科", "officer");
    a.officer("000102", "李娜", "监督一科", "officer");
    a.device("DSJ01", "监督一科");
    a.checkout("DSJ01", "000101");
    let c = code();
    let first = a.activity(
        "routine_inspection",
        "金普某诊所",
        "000101,000102",
        "2026-11-02 09:00:00",
        "2026-11-02 10:00:00",
        &["--subject-code", &c],
    );
    let other = a.activity(
        "routine_inspection",
        "别的单位",
        "000101,000102",
        "2026-11-02 11:00:00",
        "2026-11-02 11:30:00",
        &[],
    );
    a.at("2026-11-02 15:00:00");
    a.offload(
        "DSJ01",
        "000101",
        &[
            seg("2026-11-02 09:00:00", 3600, 1),
            seg("2026-11-02 11:00:00", 1800, 2),
        ],
        &[],
    );
    a.at("2026-11-05 12:00:00");
    let again = a.activity(
        "routine_inspection",
        "金普某诊所",
        "000101",
        "2026-11-05 09:00:00",
        "2026-11-05 10:00:00",
        &["--subject-code", &c],
    );
    a.ok(&[
        "norecord",
        "add",
        "--activity",
        &again,
        "--reason",
        "secret",
        "--basis",
        "涉及患者隐私",
    ]);
    let v = a.ok(&["subject", "show", "--code", &c]);
    let ids: Vec<&str> = v["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str(), again.as_str()]);
    assert_eq!(
        v["recordings"].as_array().unwrap().len(),
        1,
        "only the clinic's own recording"
    );
    assert_eq!(v["norecords"].as_array().unwrap().len(), 1);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"R9") && rules.contains(&"R10"), "{rules:?}");
    assert!(
        !v.to_string().contains(&other),
        "another subject's activity stays out"
    );
    let by_name = a.ok(&["subject", "show", "--name", "金普某诊所"]);
    assert_eq!(by_name["activities"].as_array().unwrap().len(), 2);
}

//! `zhilu sheet` (R3, R23, and the registers of issue 13): every ledger as an xlsx workbook,
//! read back by a tool that is not ours (Python `openpyxl`): the Chinese header row, the rows,
//! their values, and times as real date cells.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use support::{TestApp, Zhilu, seg};

/// What openpyxl reads from a workbook: per sheet its name, rows (a date cell as
/// `{"dt": "<ISO>"}`, so it cannot pass for text), the frozen pane, the autofilter, whether the
/// header is bold and the number format of each cell of the first data row.
fn read_xlsx(file: &Path) -> Vec<Value> {
    let script = r#"
import datetime, json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
def cell(c):
    if isinstance(c, datetime.datetime):
        return {"dt": c.isoformat()}
    if isinstance(c, datetime.date):
        return {"date": c.isoformat()}
    return c
out = []
for ws in wb.worksheets:
    out.append({
        "title": ws.title,
        "rows": [[cell(c) for c in r] for r in ws.iter_rows(values_only=True)],
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "bold": bool(ws.cell(1, 1).font.b),
        "formats": [ws.cell(2, i + 1).number_format for i in range(ws.max_column)],
    })
print(json.dumps(out, ensure_ascii=False))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "openpyxl reads {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("json")
        .as_array()
        .expect("sheets")
        .clone()
}

fn dt(iso: &str) -> Value {
    json!({ "dt": iso })
}

/// Exports one sheet through the CLI and reads it back: (the command's report, the one sheet).
fn export(a: &TestApp, kind: &str, extra: &[&str]) -> (Value, Value) {
    let file = a.scratch().join(format!("{kind}-{}.xlsx", extra.len()));
    let _ = std::fs::remove_file(&file);
    let f = file.to_str().unwrap();
    let mut args = vec!["sheet", kind, "--out", f];
    args.extend_from_slice(extra);
    let report = a.ok(&args);
    let mut sheets = read_xlsx(&file);
    assert_eq!(sheets.len(), 1, "one sheet");
    (report, sheets.remove(0))
}

/// [`export`] without `--actor`: the operator at the shell, as every read-only command.
fn export_at_shell(a: &TestApp, kind: &str, extra: &[&str]) -> (Value, Value) {
    let file = a
        .scratch()
        .join(format!("{kind}-shell-{}.xlsx", extra.len()));
    let _ = std::fs::remove_file(&file);
    let out = a
        .cmd()
        .env_remove("ZHILU_ACTOR")
        .args(["--json", "sheet", kind, "--out", file.to_str().unwrap()])
        .args(extra)
        .output()
        .expect("run zhilu");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut sheets = read_xlsx(&file);
    assert_eq!(sheets.len(), 1, "one sheet");
    (report, sheets.remove(0))
}

fn header(s: &Value) -> Vec<String> {
    s["rows"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap_or("").to_string())
        .collect()
}

fn rows(s: &Value) -> Vec<Vec<Value>> {
    s["rows"].as_array().unwrap()[1..]
        .iter()
        .map(|r| r.as_array().unwrap().clone())
        .collect()
}

/// A day's work at a jinpu-wj agency: DSJ01 out to 王强 and back with two recordings of an
/// inspection (and none of a second one), DSJ02 out to 李娜 and not back, one approved request to view a recording.
struct Scenario {
    a: TestApp,
    shas: Vec<String>,
    request: String,
}

fn scenario() -> Scenario {
    let a = TestApp::agency("jinpu-wj", "2026-11-02 08:00:00");
    a.officer("000101", "王强", "监督一科", "officer");
    a.officer("000102", "李娜", "监督一科", "officer");
    a.officer("500009", "主管领导", "局领导", "case_leader");
    a.device("DSJ01", "监督一科");
    a.device("DSJ02", "监督一科");
    a.checkout("DSJ01", "000101");
    a.activity(
        "routine_inspection",
        "某诊所",
        "000101,000102",
        "2026-11-02 09:00:00",
        "2026-11-02 10:00:00",
        &[],
    );
    // Mandatory to record (life and health), and nothing recorded: a finding (R7).
    a.activity(
        "routine_inspection",
        "某药店",
        "000101,000102",
        "2026-11-02 13:00:00",
        "2026-11-02 13:30:00",
        &["--flag", "life_health"],
    );
    a.at("2026-11-02 15:00:00");
    let (shas, _) = a.offload(
        "DSJ01",
        "000101",
        &[
            seg("2026-11-02 09:00:00", 1800, 1),
            seg("2026-11-02 09:30:00", 1800, 2),
        ],
        &[],
    );
    a.give_back("DSJ01");
    a.checkout("DSJ02", "000102");
    a.at("2026-11-03 10:00:00");
    let request = a.ok(&[
        "access",
        "request",
        "--recording",
        &shas[0],
        "--by",
        "000102",
        "--reason",
        "复核",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        a.ok(&["approve", &request, "--by", "500009"])["status"],
        "approved"
    );
    a.at("2026-11-20 10:00:00");
    Scenario { a, shas, request }
}

/// r3: the usage ledger: one row per checkout with device, officer, checkout and return as date
/// cells, the pre-use check as numbers and 是/否, and what was recorded (count, minutes, bytes).
#[test]
fn r3_usage_ledger_sheet_has_typed_rows_per_checkout() {
    let Scenario { a, shas, .. } = scenario();
    let (report, s) = export(&a, "usage", &[]);
    assert_eq!(report["rows"], 2);
    assert_eq!(s["title"], "使用台账");
    assert_eq!(
        header(&s),
        [
            "领用编号",
            "设备",
            "执法人员",
            "领用时间",
            "归还时间",
            "电量（%）",
            "剩余空间（GB）",
            "时钟已核对",
            "记录条数",
            "记录时长（分钟）",
            "归还时登记",
            "状态",
            "记录大小（字节）",
        ]
    );
    assert_eq!(s["freeze"], "A2", "the header row is frozen");
    assert_eq!(s["filter"], "A1:M3");
    assert_eq!(s["bold"], true);
    assert_eq!(s["formats"][3], "yyyy-mm-dd hh:mm");
    let size: u64 = a
        .recordings()
        .iter()
        .filter(|r| shas.iter().any(|s| r["sha256"] == s.as_str()))
        .map(|r| r["size"].as_u64().unwrap())
        .sum();
    let r = rows(&s);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0][1], "DSJ01");
    assert_eq!(r[0][2], "王强（000101）");
    assert_eq!(
        r[0][3],
        dt("2026-11-02T08:00:00"),
        "Beijing time, a date cell"
    );
    assert_eq!(r[0][4], dt("2026-11-02T15:00:00"));
    assert_eq!(
        r[0][5..10],
        [json!(95), json!(30), json!("是"), json!(2), json!(60)]
    );
    assert_eq!(r[0][10], "已导出 2 个文件，合计 60 分钟");
    assert_eq!(r[0][11], "已归还");
    assert_eq!(r[0][12], json!(size));
    assert_eq!(r[1][1], "DSJ02");
    assert_eq!(r[1][2], "李娜（000102）");
    assert_eq!(r[1][3], dt("2026-11-02T15:00:00"));
    assert_eq!(r[1][4], Value::Null, "not returned");
    assert_eq!(r[1][11], "在用");

    // A period keeps the checkouts that overlap it: DSJ02 is still out.
    let (_, later) = export(&a, "usage", &["--from", "2026-11-03", "--to", "2026-11-30"]);
    let r = rows(&later);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0][1], "DSJ02");
}

/// r1: the device register: every field the registry holds, registration as a date cell.
#[test]
fn r1_device_register_sheet_lists_every_device() {
    let Scenario { a, .. } = scenario();
    let (_, s) = export(&a, "devices", &[]);
    assert_eq!(s["title"], "设备登记");
    assert_eq!(
        header(&s),
        [
            "设备编号",
            "设备类型",
            "型号",
            "资产编号",
            "单位",
            "保管人",
            "状态",
            "登记时间"
        ]
    );
    let r = rows(&s);
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0][..7],
        [
            json!("DSJ01"),
            json!("执法记录仪"),
            json!("DSJ-V9"),
            Value::Null,
            json!("监督一科"),
            json!("装备管理员"),
            json!("在用"),
        ]
    );
    assert_eq!(r[0][7], dt("2026-11-02T08:00:00"));
    assert_eq!(r[1][0], "DSJ02");
    // The register is the state of now: a period does not apply to it (a usage error).
    let f = a.scratch().join("d.xlsx");
    let out = a.run(&[
        "sheet",
        "devices",
        "--out",
        f.to_str().unwrap(),
        "--from",
        "2026-11-01",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!f.exists());
}

/// r30: the findings of a period, the same as `check --from --to` gives, oldest first, each with
/// its rule, article, officer, unit and time as a date cell; only for a reader of findings.
#[test]
fn r30_findings_sheet_of_a_period_matches_check() {
    let Scenario { a, .. } = scenario();
    let period = ["--from", "2026-11-01", "--to", "2026-11-30"];
    let mut found = a
        .ok(&["check", period[0], period[1], period[2], period[3]])
        .as_array()
        .unwrap()
        .clone();
    assert!(!found.is_empty(), "the scenario has findings");
    found.sort_by_key(|f| f["at"].as_str().unwrap().to_string());
    // The custodian keeps the registers but does not read findings: refused, nothing written.
    let f = a.scratch().join("findings-keeper.xlsx");
    let e = a.fails(&["sheet", "findings", "--out", f.to_str().unwrap()]);
    assert!(
        e.message.contains("无权查看检查发现的问题"),
        "{}",
        e.message
    );
    assert!(!f.exists());
    let (_, s) = export_at_shell(&a, "findings", &period);
    assert_eq!(s["title"], "问题清单");
    assert_eq!(
        header(&s),
        [
            "发生时间",
            "规则",
            "条款",
            "级别",
            "执法人员",
            "单位",
            "执法活动",
            "设备",
            "音像记录",
            "说明"
        ]
    );
    let r = rows(&s);
    assert_eq!(r.len(), found.len());
    for (row, f) in r.iter().zip(&found) {
        assert!(row[0]["dt"].is_string(), "a date cell: {row:?}");
        assert_eq!(row[1], f["rule"]);
        assert_eq!(row[2], f["article"]);
        assert_eq!(row[9], f["message"]);
        if let Some(o) = f["officer"].as_str() {
            assert!(row[4].as_str().unwrap().contains(o), "{row:?}");
            assert_eq!(row[5], "监督一科");
        }
    }
    // An empty period: the header alone.
    let (report, s) = export_at_shell(
        &a,
        "findings",
        &["--from", "2026-10-01", "--to", "2026-10-02"],
    );
    assert_eq!(report["rows"], 0);
    assert_eq!(s["rows"].as_array().unwrap().len(), 1);
}

/// r23: the custodian's access register: the request, who asked, the approval and the grant's
/// end as a date cell.
#[test]
fn r23_access_register_sheet_lists_the_request_and_its_approval() {
    let Scenario { a, shas, request } = scenario();
    let (_, s) = export(&a, "access", &[]);
    assert_eq!(s["title"], "调阅登记");
    assert_eq!(
        header(&s),
        [
            "申请编号",
            "申请时间",
            "申请人",
            "方式",
            "事由",
            "音像记录",
            "审批",
            "授权至",
            "查阅/复制"
        ]
    );
    let r = rows(&s);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0][0], request.as_str());
    assert_eq!(r[0][1], dt("2026-11-03T10:00:00"));
    assert_eq!(r[0][2], "李娜（000102）");
    assert_eq!(r[0][4], "复核");
    assert_eq!(r[0][5], shas[0].as_str());
    let approval = r[0][6].as_str().unwrap();
    assert!(
        approval.starts_with("已批准：") && approval.contains("主管领导（500009）"),
        "{approval}"
    );
    assert!(r[0][7]["dt"].is_string(), "the grant's end: {:?}", r[0][7]);
    // Requests outside the period are left out.
    let (_, s) = export(&a, "access", &["--from", "2026-11-04"]);
    assert_eq!(rows(&s).len(), 0);
}

/// r3: an existing file is never overwritten without --force; with it, it is replaced whole.
#[test]
fn r3_sheet_refuses_to_overwrite_unless_forced() {
    let a = TestApp::agency("jinpu-wj", "2026-11-02 08:00:00");
    a.device("DSJ01", "监督一科");
    let file = a.scratch().join("台账.xlsx");
    std::fs::write(&file, b"keep me").unwrap();
    let f = file.to_str().unwrap();
    let e = a.fails(&["sheet", "devices", "--out", f]);
    assert_eq!(e.code, "file_exists");
    assert!(e.message.contains("--force"), "{}", e.message);
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    a.ok(&["sheet", "devices", "--out", f, "--force"]);
    assert_eq!(rows(&read_xlsx(&file)[0]).len(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(a.scratch())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file left: {leftovers:?}"
    );
    // A directory that does not exist: a Chinese error, nothing written.
    let missing = a.scratch().join("无此目录").join("x.xlsx");
    let e = a.fails(&["sheet", "devices", "--out", missing.to_str().unwrap()]);
    assert_eq!(e.code, "file_unwritable");
    assert!(e.message.contains("无法写入文件"), "{}", e.message);
}

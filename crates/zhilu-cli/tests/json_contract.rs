//! X4: the `--json` contract of every command, pinned as snapshots. One deterministic working day
//! under `zhejiang-rf` is driven through the real binary (replay clock, fixture media), and every
//! command's JSON stdout is a snapshot; so is the JSON error of failures of each kind, with the exit
//! status. A renamed field, a changed type (an instant no longer RFC 3339 UTC, a flag no longer a
//! boolean, a list no longer an array) or a message no longer in Chinese shows up as a diff.
//!
//! Values that differ from run to run are redacted, never snapshotted (see [`scrub`] and
//! [`VOLATILE`]): the binary's random UUIDs (offload sessions, device events), the temporary
//! folder, timings, and the ledger root (it hashes entries that carry the random verifying key and
//! those UUIDs). Everything else — structure, times, booleans, arrays, Chinese text — is kept.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{TestApp, Zhilu, fixture};

const MP4: &str = "DSJ0001_000123_20261120093000_0001.MP4";
const CUT: &str = "DSJ0001_000123_20261120093100_0002_cut.MP4";
const WAV: &str = "REC_20261120_094000.WAV";

/// Whether `b` (36 bytes) is a UUID in its text form.
fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `s` with every UUID in it replaced by `[uuid]`.
fn redact_uuids(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if i + 36 <= b.len() && is_uuid(&b[i..i + 36]) {
            out.push_str("[uuid]");
            i += 36;
        } else {
            // Step one whole character (the text is Chinese as often as not).
            let c = s[i..].chars().next().expect("char boundary");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The test's volatile values, by position, redacted by insta: the time an offload or a fixity run
/// took (and the rate derived from it), and the ledger root (it hashes the random verifying key
/// and random UUIDs, so it differs on every run).
macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::assert_json_snapshot!($name, $value, {
            ".seconds" => "[seconds]",
            ".mb_per_s" => "[mb_per_s]",
            ".ledger_root" => "[root]",
            ".root" => "[root]",
            ".administrators[].password" => "[password]",
        })
    };
}

/// Replaces what differs between runs by value rather than by position: the temporary folder
/// (`[tmp]`, in the data directory, the offload source and vault roots) and UUIDs (`[uuid]`: the
/// binary draws them at random for offload sessions and device events).
fn scrub(t: &TestApp, mut v: Value) -> Value {
    let mut prefixes = vec![t.scratch().display().to_string()];
    if let Ok(c) = std::fs::canonicalize(t.scratch()) {
        prefixes.insert(0, c.display().to_string());
    }
    fn walk(v: &mut Value, prefixes: &[String]) {
        match v {
            Value::String(s) => {
                for p in prefixes {
                    if s.contains(p.as_str()) {
                        *s = s.replace(p.as_str(), "[tmp]");
                    }
                }
                *s = redact_uuids(s);
                // The OS user running the tests, recorded beside the acting user.
                while let Some(at) = s.find("(cli:")
                    && !s[at..].starts_with("(cli:[os])")
                {
                    let end = s[at..].find(')').map_or(s.len(), |e| at + e + 1);
                    s.replace_range(at..end, "(cli:[os])");
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, prefixes)),
            Value::Object(map) => map.values_mut().for_each(|i| walk(i, prefixes)),
            _ => {}
        }
    }
    walk(&mut v, &prefixes);
    v
}

/// Runs with `--json`, must succeed; the scrubbed stdout.
fn ok(t: &TestApp, args: &[&str]) -> Value {
    scrub(t, t.ok(args))
}

/// Runs with `--json`, must fail; the exit status and the scrubbed JSON error.
fn err(t: &TestApp, args: &[&str]) -> Value {
    let out = t.run(args);
    assert!(!out.status.success(), "zhilu {args:?} should have failed");
    let error: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "zhilu {args:?}: a failure with --json must print a JSON error ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert!(error["code"].is_string(), "{error}");
    assert!(error["message"].is_string(), "{error}");
    scrub(t, json!({ "status": out.status.code(), "error": error }))
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn sha_of(list: &Value, name: &str) -> String {
    list.as_array()
        .expect("array")
        .iter()
        .find(|r| r["original_name"] == name)
        .and_then(|r| r["sha256"].as_str())
        .unwrap_or_else(|| panic!("recording {name}"))
        .to_string()
}

/// An intact body-camera clip, the same clip cut off, a WAV, the clip again under another name,
/// and an empty file.
fn device_folder(t: &TestApp) -> PathBuf {
    let dir = t.device_dir("DSJ0001");
    let copy = |from: &str, to: &Path| {
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(fixture(from), to).expect("copy fixture");
    };
    copy(MP4, &dir.join("DCIM").join(MP4));
    copy(CUT, &dir.join("DCIM").join(CUT));
    copy(WAV, &dir.join("AUDIO").join(WAV));
    copy(MP4, &dir.join("DCIM").join("RESEND_0001.MP4"));
    std::fs::write(dir.join("DCIM").join("EMPTY.MP4"), b"").expect("empty file");
    dir
}

fn credit_code() -> String {
    let first17 = "91330100MA2GXX0A1";
    let c = zhilu_app::zhilu_policy::ids::credit_code_check_char(first17).expect("check char");
    format!("{first17}{c}")
}

fn write(t: &TestApp, name: &str, text: &str) -> String {
    let p = t.scratch().join(name);
    std::fs::write(&p, text).expect("write");
    p.to_str().expect("utf8").to_string()
}

#[test]
fn x4_every_json_output_keeps_its_contract() {
    let t = TestApp::empty();

    // 08:00 the data directory and its policy.
    t.at("2026-11-20 08:00:00");
    snap!("01_init", ok(&t, &["init", "--profile", "zhejiang-rf"]));
    snap!("02_init_again", ok(&t, &["init"]));
    t.people();
    snap!("03_profile_list", ok(&t, &["profile", "list"]));
    let preset = write(
        &t,
        "zhejiang-rf.toml",
        zhilu_app::setup::preset_text("zhejiang-rf").expect("preset"),
    );
    snap!(
        "04_profile_validate",
        ok(&t, &["profile", "validate", &preset])
    );
    snap!("05_profile_apply", ok(&t, &["profile", "apply", &preset]));
    snap!("06_profile_show", ok(&t, &["profile", "show"]));
    snap!("07_calendar_show", ok(&t, &["calendar", "show"]));
    let calendar = write(
        &t,
        "2027.toml",
        "[years.2027]\nsource = \"国办发明电〔2026〕N号\"\nholidays = [\"2027-01-01\"]\n",
    );
    snap!("08_calendar_load", ok(&t, &["calendar", "load", &calendar]));

    // 08:05 the registry.
    t.at("2026-11-20 08:05:00");
    snap!(
        "09_device_register",
        ok(
            &t,
            &[
                "--actor",
                "sysadmin",
                "device",
                "register",
                "--serial",
                "DSJ0001",
                "--kind",
                "执法记录仪",
                "--model",
                "DSJ-V9",
                "--unit",
                "执法一处",
                "--keeper",
                "装备管理员",
                "--asset-no",
                "ZC-2026-001",
            ]
        )
    );
    snap!(
        "10_device_event",
        ok(
            &t,
            &[
                "--actor",
                "sysadmin",
                "device",
                "event",
                "--serial",
                "DSJ0001",
                "--event",
                "发放",
                "--detail",
                "发放至执法一处",
                "--keeper",
                "周明",
            ]
        )
    );
    let mut officers = Vec::new();
    for (id, name, unit, role) in [
        ("000123", "周明", "执法一处", "officer"),
        ("000124", "吴芳", "执法一处", "officer"),
        ("100010", "郑处长", "执法一处", "unit_head"),
        ("100020", "钱分管", "办领导", "division_leader"),
        ("100030", "孙分管", "资料保管处", "custody_leader"),
    ] {
        officers.push(ok(
            &t,
            &[
                "--actor", "sysadmin", "officer", "add", "--id", id, "--name", name, "--unit",
                unit, "--role", role,
            ],
        ));
    }
    snap!("11_officer_add", officers);
    snap!("12_officer_list", ok(&t, &["officer", "list"]));
    snap!("13_device_list", ok(&t, &["device", "list"]));

    // 08:30 checkout with the pre-use check.
    t.at("2026-11-20 08:30:00");
    snap!(
        "14_device_checkout",
        ok(
            &t,
            &[
                "device",
                "checkout",
                "--device",
                "DSJ0001",
                "--officer",
                "000123",
                "--battery",
                "95",
                "--free-gb",
                "30",
                "--clock-ok",
            ]
        )
    );

    // 09:20 the day's activities as their documents record them.
    t.at("2026-11-20 09:20:00");
    let code = credit_code();
    let inspection = ok(
        &t,
        &[
            "activity",
            "add",
            "--kind",
            "routine_inspection",
            "--subject-name",
            "某人防工程使用单位",
            "--subject-code",
            &code,
            "--place",
            "杭州市某地下车库",
            "--officers",
            "000123,000124",
            "--start",
            "2026-11-20 09:28",
            "--end",
            "2026-11-20T09:50:00+08:00",
            "--case",
            "浙人防罚〔2026〕12号",
            "--flag",
            "evidence",
            "--flag",
            "complaint",
        ],
    );
    let delivery = ok(
        &t,
        &[
            "activity",
            "add",
            "--kind",
            "service",
            "--subject-name",
            "某人防工程使用单位",
            "--place",
            "当事人经营场所",
            "--officers",
            "000123,000124",
            "--start",
            "2026-11-20 10:00",
            "--end",
            "2026-11-20 10:10",
        ],
    );
    let (a1, a2) = (id(&inspection), id(&delivery));
    snap!("15_activity_add", [&inspection, &delivery]);

    // 10:30 the camera at the collection station.
    t.at("2026-11-20 10:30:00");
    let folder = device_folder(&t);
    snap!(
        "16_ingest",
        ok(
            &t,
            &[
                "ingest",
                folder.to_str().expect("utf8"),
                "--device",
                "DSJ0001",
                "--officer",
                "000123",
                "--station",
                "CJZ-01",
                "--device-clock",
                "2026-11-20 10:30:07",
            ]
        )
    );
    let list = ok(&t, &["recordings", "list"]);
    let (mp4, wav) = (sha_of(&list, MP4), sha_of(&list, WAV));
    snap!("17_recordings_list", list);
    snap!(
        "18_recordings_list_device",
        ok(&t, &["recordings", "list", "--device", "DSJ0001"])
    );

    // 11:00 returned; the usage ledger and the device's history.
    t.at("2026-11-20 11:00:00");
    snap!(
        "19_device_return",
        ok(&t, &["device", "return", "--device", "DSJ0001"])
    );
    snap!("20_device_usage", ok(&t, &["device", "usage"]));
    snap!(
        "21_device_show",
        ok(&t, &["device", "show", "--serial", "DSJ0001"])
    );
    snap!("22_activity_list", ok(&t, &["activity", "list"]));

    // 11:10 a link by hand and the written records with their approvals.
    t.at("2026-11-20 11:10:00");
    snap!(
        "23_link",
        ok(&t, &["link", "--recording", &mp4[..12], "--activity", &a2])
    );
    t.at("2026-11-20 11:20:00");
    let nr = ok(
        &t,
        &[
            "norecord",
            "add",
            "--activity",
            &a2,
            "--reason",
            "objective",
            "--basis",
            "执法记录仪电量耗尽，备用设备未到",
            "--by",
            "000124",
        ],
    );
    let nr_id = id(&nr);
    snap!("24_norecord_add", nr);
    t.at("2026-11-20 11:30:00");
    let ir = ok(
        &t,
        &[
            "interruption",
            "add",
            "--activity",
            &a1,
            "--after",
            &mp4,
            "--reason",
            "cannot_continue",
            "--by",
            "000123",
        ],
    );
    let ir_id = id(&ir);
    snap!("25_interruption_add", ir);
    t.at("2026-11-20 11:40:00");
    let ex = ok(
        &t,
        &[
            "extension",
            "add",
            "--activity",
            &a2,
            "--reason",
            "送达地点偏远，当日无法返回采集站",
            "--by",
            "000123",
        ],
    );
    let ex_id = id(&ex);
    snap!("26_extension_add", ex);
    t.at("2026-11-20 14:00:00");
    let ar = ok(
        &t,
        &[
            "access",
            "request",
            "--recording",
            &mp4,
            "--by",
            "000124",
            "--reason",
            "复议答复需要调阅现场录像",
        ],
    );
    let ar_id = id(&ar);
    snap!("27_access_request", ar);
    snap!("28_approve_list", ok(&t, &["approve", "--list"]));
    t.at("2026-11-20 14:30:00");
    snap!(
        "29_approve_refused",
        err(&t, &["approve", &nr_id, "--by", "100010"])
    );
    let approvals: Vec<Value> = [
        (&nr_id, "100020"),
        (&ir_id, "100010"),
        (&ex_id, "100010"),
        (&ar_id, "100030"),
    ]
    .iter()
    .map(|(id, by)| ok(&t, &["approve", id, "--by", by]))
    .collect();
    snap!("30_approve", approvals);
    snap!("31_approve_list_empty", ok(&t, &["approve", "--list"]));

    // 15:00 a legal hold, released the next morning.
    t.at("2026-11-20 15:00:00");
    let hold = ok(
        &t,
        &[
            "hold",
            "add",
            "--recording",
            &mp4,
            "--reason",
            "行政复议期间保全",
        ],
    );
    let hold_id = id(&hold);
    snap!("32_hold_add", hold);
    snap!("33_retention_list_held", ok(&t, &["retention", "list"]));
    t.at("2026-11-21 09:00:00");
    snap!("34_hold_release", ok(&t, &["hold", "release", &hold_id]));
    snap!(
        "35_hold_release_again",
        err(&t, &["hold", "release", &hold_id])
    );

    // 09:30 the compliance views.
    t.at("2026-11-21 09:30:00");
    snap!("36_check", ok(&t, &["check"]));
    snap!(
        "37_check_dates",
        ok(&t, &["check", "--from", "2026-11-20", "--to", "2026-11-20"])
    );
    snap!(
        "38_check_officer",
        ok(&t, &["check", "--officer", "000124", "--unit", "执法一处"])
    );
    snap!("39_retention_list", ok(&t, &["retention", "list"]));
    snap!(
        "40_subject_show_code",
        ok(&t, &["subject", "show", "--code", &code])
    );
    snap!(
        "41_subject_show_name",
        ok(&t, &["subject", "show", "--name", "某人防工程使用单位"])
    );
    snap!("42_calendar_show_loaded", ok(&t, &["calendar", "show"]));

    // 10:00 integrity: a clean fixity run, a lost copy found and repaired, the ledger verified.
    t.at("2026-11-21 10:00:00");
    snap!("43_fixity", ok(&t, &["fixity"]));
    let lost = t.object_path("vault/replica", &wav);
    std::fs::remove_file(&lost).expect("delete the replica copy");
    snap!("44_fixity_finds_missing", err_report(&t, &["fixity"]));
    snap!("45_fixity_repair", ok(&t, &["fixity", "--repair"]));
    assert!(lost.is_file(), "repaired");
    snap!("46_verify", ok(&t, &["verify"]));

    // Failures in the middle of the day, each with its code.
    snap!(
        "47_checkout_twice",
        [
            ok(
                &t,
                &[
                    "device",
                    "checkout",
                    "--device",
                    "DSJ0001",
                    "--officer",
                    "000124",
                ]
            ),
            err(
                &t,
                &[
                    "device",
                    "checkout",
                    "--device",
                    "DSJ0001",
                    "--officer",
                    "000123",
                ]
            ),
        ]
    );
    snap!(
        "48_extension_for_unknown_activity",
        err(
            &t,
            &[
                "extension",
                "add",
                "--activity",
                "A20261120-009",
                "--reason",
                "x",
                "--by",
                "000123",
            ]
        )
    );
}

/// A command that ran but found something wrong (exit 1, its report on stdout, no error object).
fn err_report(t: &TestApp, args: &[&str]) -> Value {
    let out = t.run(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "zhilu {args:?} should report a problem"
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("a report");
    scrub(t, report)
}

#[test]
fn x4_json_errors_carry_a_stable_code_and_a_chinese_message() {
    let t = TestApp::empty();
    t.at("2026-11-20 08:00:00");
    snap!("e01_not_initialized", err(&t, &["device", "list"]));
    snap!(
        "e02_unknown_preset",
        err(&t, &["init", "--profile", "no-such-profile"])
    );
    // Refused before anything was created.
    assert!(
        !t.data().exists(),
        "a refused init leaves no data directory"
    );
    t.ok(&["init"]);
    t.people();
    snap!("e03_no_profile", err(&t, &["check"]));
    snap!(
        "e04_missing_profile_file",
        err(&t, &["profile", "validate", "/nonexistent/profile.toml"])
    );
    t.ok(&["profile", "apply", "zhejiang-rf"]);
    snap!("e05_unknown_flag", err(&t, &["device", "list", "--colour"]));
    snap!("e06_missing_argument", err(&t, &["device", "register"]));
    let dir = t.device_dir("NOPE");
    std::fs::copy(fixture(MP4), dir.join(MP4)).expect("copy");
    snap!(
        "e07_unregistered_device",
        err(
            &t,
            &[
                "ingest",
                dir.to_str().expect("utf8"),
                "--device",
                "NOPE",
                "--officer",
                "000123",
                "--station",
                "CJZ-01",
            ]
        )
    );
    snap!(
        "e08_invalid_time",
        err(
            &t,
            &[
                "activity",
                "add",
                "--kind",
                "service",
                "--subject-name",
                "某单位",
                "--place",
                "某地",
                "--officers",
                "000123",
                "--start",
                "昨天",
                "--end",
                "2026-11-20 10:00",
            ]
        )
    );
    snap!(
        "e09_unknown_recording",
        err(
            &t,
            &["hold", "add", "--recording", "deadbeef00", "--reason", "x"]
        )
    );
    snap!(
        "e10_unknown_officer_role",
        err(
            &t,
            &[
                "--actor", "sysadmin", "officer", "add", "--id", "000200", "--name", "某人",
                "--unit", "某处", "--role", "sheriff",
            ]
        )
    );
    snap!("e11_bad_check_date", err(&t, &["check", "--from", "11/01"]));
    t.device("DSJ0002", "执法一处");
    let gone = t.scratch().join("not-mounted");
    let ingest = |dir: &str, officer: &str| {
        err(
            &t,
            &[
                "ingest",
                dir,
                "--device",
                "DSJ0002",
                "--officer",
                officer,
                "--station",
                "CJZ-01",
                "--clear-device",
            ],
        )
    };
    snap!(
        "e13_unregistered_officer",
        ingest(gone.to_str().expect("utf8"), "000999")
    );
    t.officer("000123", "周明", "执法一处", "officer");
    snap!(
        "e14_source_is_evidence_store",
        ingest(t.data().to_str().expect("utf8"), "000123")
    );
    snap!(
        "e12_source_unreadable",
        err(
            &t,
            &[
                "ingest",
                gone.to_str().expect("utf8"),
                "--device",
                "DSJ0002",
                "--officer",
                "000123",
                "--station",
                "CJZ-01",
            ]
        )
    );
}

//! Acceptance tests of the command-line contract (issue #2), driving the real `zhilu` binary on
//! the one shared harness ([`TestApp`]): a fresh data directory and catalog (SQLite, or PostgreSQL
//! when `ZHILU_TEST_POSTGRES_URL` is set), the replay clock passed as `ZHILU_NOW`, and on teardown
//! the check that the ledger verifies and every recording is in every vault root.

mod support;

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use serde_json::Value;
use support::{KEEPER, TestApp, Zhilu, fixture, sha256_of, utc};

fn mp4(path: &Path, size: u64, start: DateTime<Utc>, duration: f64, seed: u64) {
    let mut f = std::io::BufWriter::new(fs::File::create(path).expect("create"));
    zhilu_media::synth::write_large_mp4(&mut f, size, start, duration, seed).expect("mp4");
    f.flush().expect("flush");
}

fn wav(path: &Path, secs: f64, tone: f64) {
    fs::write(path, zhilu_media::synth::wav(secs, 8_000, tone)).expect("wav");
}

/// A device folder with two intact clips, a clip cut off before its index, an empty file and a log.
fn typical_device(t: &TestApp) -> PathBuf {
    let d = t.device_dir("typical");
    mp4(
        &d.join("DSJ0001_000123_20261120093000_0001.MP4"),
        300_000,
        utc(2026, 11, 20, 1, 30, 0),
        60.0,
        1,
    );
    wav(&d.join("REC_20261120_094000.WAV"), 1.5, 440.0);
    let mut cut = Vec::new();
    zhilu_media::synth::write_large_mp4(&mut cut, 200_000, utc(2026, 11, 20, 1, 31, 0), 60.0, 2)
        .expect("mp4");
    // The index (moov) is written last: cutting the tail is what a dead battery does.
    cut.truncate(150_000);
    fs::write(d.join("DSJ0001_000123_20261120093100_0002.MP4"), &cut).expect("cut");
    fs::write(d.join("EMPTY.MP4"), b"").expect("empty");
    fs::write(d.join("device.log"), "09:30:00 开始录像\n").expect("log");
    d
}

/// Runs with `--json` a command that reports a problem it found (`fixity`, `verify`): it must exit
/// non-zero and print its report (not an error) as JSON.
fn finds_problems(t: &TestApp, args: &[&str]) -> Value {
    let out = t.run(args);
    assert!(
        !out.status.success(),
        "zhilu {args:?} should report a problem: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "zhilu {args:?}: the report is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn ingest_args<'a>(dir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "ingest",
        dir,
        "--device",
        "DSJ0001",
        "--officer",
        "000123",
        "--station",
        "CJZ-01",
    ];
    v.extend_from_slice(extra);
    v
}

/// Every file under `objects/sha256` of both vault roots.
fn stored_objects(t: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(rd) = fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    for root in ["vault/primary", "vault/replica"] {
        walk(&t.data().join(root).join("objects/sha256"), &mut out);
    }
    out.sort();
    out
}

#[test]
fn r1_offload_from_an_unregistered_device_is_refused_and_imports_nothing() {
    let t = TestApp::empty();
    t.ok(&["init"]);
    t.people();
    let d = typical_device(&t);
    let before = t.ledger_size();
    let err = t.ingest_fails(&d, "NOPE-1");
    assert_eq!(err.code, "device_not_registered", "{err}");
    assert!(err.contains("NOPE-1") && err.contains("未登记"), "{err}");
    assert!(err.stderr.contains("错误："), "{err}");
    assert!(
        err.stderr.contains("提示：") && err.stderr.contains("zhilu device register"),
        "the refusal says what to run next: {err}"
    );
    assert!(t.recordings().is_empty());
    assert!(t.vault_files("objects/sha256").is_empty());
    assert_eq!(t.ledger_size(), before, "a refused offload writes nothing");
    // The device folder is untouched.
    assert_eq!(fs::read_dir(&d).expect("ls").count(), 5);
}

#[test]
fn r1_device_register_rejects_bad_input_with_a_clear_message() {
    let t = TestApp::empty();
    t.ok(&["init"]);
    t.people();
    let err = t.fails(&[
        "--actor",
        "sysadmin",
        "device",
        "register",
        "--serial",
        "../etc",
        "--kind",
        "执法记录仪",
        "--model",
        "M",
        "--unit",
        "U",
        "--keeper",
        "K",
    ]);
    assert_eq!(err.code, "invalid", "{err}");
    assert!(err.message.contains("设备编号"), "names the field: {err}");
    let err = t.fails(&[
        "--actor", "sysadmin", "device", "register", "--serial", "S1", "--kind", "toaster",
        "--model", "M", "--unit", "U", "--keeper", "K",
    ]);
    assert_eq!(err.code, "invalid", "{err}");
    assert!(
        err.message.contains("设备类型") && err.message.contains("toaster"),
        "{err}"
    );
    assert!(
        err.message.contains("执法记录仪"),
        "lists the choices: {err}"
    );
    t.ok(&[
        "--actor",
        "sysadmin",
        "device",
        "register",
        "--serial",
        "S1",
        "--kind",
        "body-camera",
        "--model",
        "<b>M</b>",
        "--unit",
        "U",
        "--keeper",
        "K",
    ]);
    let err = t.fails(&[
        "--actor",
        "sysadmin",
        "device",
        "register",
        "--serial",
        "S1",
        "--kind",
        "执法记录仪",
        "--model",
        "M",
        "--unit",
        "U",
        "--keeper",
        "K",
    ]);
    assert_eq!(err.code, "already_exists", "{err}");
    assert!(err.contains("已登记"), "{err}");
    let list = t.ok(&["device", "list"]);
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["serial"], "S1");
    assert_eq!(
        list[0]["kind"], "执法记录仪",
        "the alias is stored as its kind"
    );
    assert_eq!(
        list[0]["model"], "<b>M</b>",
        "stored as given, not interpreted"
    );
}

#[test]
fn r16_offload_reports_imported_damaged_and_skipped_files_with_reasons() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = typical_device(&t);
    let r = t.ingest(&d, "DSJ0001");
    assert_eq!(r["imported"], 2, "{r}");
    assert_eq!(r["duplicates"], 0);
    let damaged = r["damaged"].as_array().expect("damaged");
    assert_eq!(damaged.len(), 1, "{r}");
    assert_eq!(damaged[0]["file"], "DSJ0001_000123_20261120093100_0002.MP4");
    assert!(
        damaged[0]["reason"].as_str().unwrap_or("").contains("moov"),
        "{r}"
    );
    let skipped: Vec<&str> = r["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| s["file"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(skipped, ["EMPTY.MP4", "device.log"]);
    assert!(
        r["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .all(|s| !s["reason"].as_str().unwrap_or("").is_empty())
    );
    let stored: u64 = [
        "DSJ0001_000123_20261120093000_0001.MP4",
        "REC_20261120_094000.WAV",
        "DSJ0001_000123_20261120093100_0002.MP4",
    ]
    .iter()
    .map(|n| fs::metadata(d.join(n)).expect("meta").len())
    .sum();
    assert_eq!(r["bytes"], stored);
    assert_eq!(r["device"], "DSJ0001");
    assert_eq!(r["device_cleared"], false);
    assert!(r["session"].is_string(), "{r}");
    assert_eq!(r["linked"], 0, "no activity registered yet: {r}");
    assert_eq!(r["recovered_sessions"], serde_json::json!([]), "{r}");

    // The damaged clip is evidence: stored byte-exact, listed as damaged.
    let recs = t.recordings();
    assert_eq!(recs.len(), 3);
    let cut = recs
        .iter()
        .find(|r| r["original_name"] == "DSJ0001_000123_20261120093100_0002.MP4")
        .expect("cut clip");
    assert_eq!(cut["damaged"], true);
    assert_eq!(
        cut["sha256"],
        sha256_of(&d.join("DSJ0001_000123_20261120093100_0002.MP4"))
    );
    let clip = recs
        .iter()
        .find(|r| r["original_name"] == "DSJ0001_000123_20261120093000_0001.MP4")
        .expect("clip");
    assert_eq!(clip["capture_start"], "2026-11-20T01:30:00Z");
    assert_eq!(clip["duration_ms"], 60_000);
    assert_eq!(clip["device"], "DSJ0001");
    assert_eq!(clip["session"], r["session"]);
    assert_eq!(clip["officer"], "000123");
    assert_eq!(clip["station"], "CJZ-01");
    assert_eq!(clip["media_kind"], "mp4");
    assert_eq!(clip["damaged"], false);
    assert_eq!(clip["sm3"].as_str().map(str::len), Some(64));
    assert_eq!(clip["size"], 300_000);
    assert_eq!(
        clip["offloaded_at"], "2026-11-20T12:00:00Z",
        "the replay clock"
    );
    for old in ["device_serial", "session_id", "duration_s"] {
        assert!(clip.get(old).is_none(), "old field {old} in {clip}");
    }
    // Both vault roots hold every stored object, named by its hash.
    for r in &recs {
        let sha = r["sha256"].as_str().expect("sha");
        for root in ["vault/primary", "vault/replica"] {
            assert_eq!(sha256_of(&t.object_path(root, sha)), sha);
        }
    }

    // For people: Chinese, Beijing time, staff are 执法人员 (never 民警), damage marked.
    let (text, _, ok) = t.text(&["recordings", "list"]);
    assert!(ok, "{text}");
    assert!(!text.contains("民警"), "{text}");
    assert!(text.contains("执法人员 000123"), "{text}");
    assert!(
        text.contains("2026-11-20 09:30:00"),
        "capture start in Beijing time: {text}"
    );
    assert!(!text.contains("2026-11-20T01:30:00Z"), "{text}");
    assert!(text.contains("[损坏]"), "{text}");
    assert!(text.contains("共 3 个"), "{text}");
}

#[test]
fn r16_offloading_the_same_device_twice_imports_nothing_twice() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = typical_device(&t);
    t.ingest(&d, "DSJ0001");
    let again = t.ingest(&d, "DSJ0001");
    assert_eq!(again["imported"], 0, "{again}");
    assert_eq!(again["duplicates"], 3, "{again}");
    assert_eq!(again["damaged"].as_array().map(Vec::len), Some(0));
    assert_eq!(again["bytes"], 0);
    assert_eq!(t.recordings().len(), 3);
    assert_eq!(t.ok(&["verify"])["ok"], true);
}

#[test]
fn r16_same_bytes_under_another_name_are_stored_once_and_the_name_recorded() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.device_dir("dup");
    wav(&d.join("A.WAV"), 1.0, 300.0);
    fs::copy(d.join("A.WAV"), d.join("B.WAV")).expect("copy");
    let start = t.ledger_size();
    let r = t.ingest(&d, "DSJ0001");
    assert_eq!(
        (r["imported"].as_u64(), r["duplicates"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let first = t.ledger_size() - start;
    let recs = t.recordings();
    assert_eq!(recs.len(), 1);
    assert_eq!(
        recs[0]["original_name"], "A.WAV",
        "the first name it was found under"
    );
    assert_eq!(
        t.vault_files("objects/sha256").len(),
        2,
        "one object directory per root"
    );
    assert_eq!(stored_objects(&t).len(), 2, "one object per root");
    // The second name was recorded by that first offload: offloading the folder again learns
    // nothing new (it writes no more entries than the offload after it), and the first wrote,
    // beyond what a session writes for itself, the new station, the recording and both names.
    let mut deltas = Vec::new();
    for _ in 0..2 {
        let before = t.ledger_size();
        let again = t.ingest(&d, "DSJ0001");
        assert_eq!(
            (again["imported"].as_u64(), again["duplicates"].as_u64()),
            (Some(0), Some(2)),
            "{again}"
        );
        deltas.push(t.ledger_size() - before);
    }
    assert_eq!(
        deltas[0], deltas[1],
        "the second offload recorded something new"
    );
    assert_eq!(
        first,
        deltas[0] + 4,
        "station, recording, name A.WAV, name B.WAV"
    );
}

#[test]
fn r16_hostile_file_names_are_stored_under_their_exact_names() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.device_dir("names");
    let names = [
        "执法 记录 一.WAV",
        "line\nbreak.WAV",
        "..dots..WAV",
        "<img src=x onerror=alert(1)>.WAV",
    ];
    for (i, n) in names.iter().enumerate() {
        wav(&d.join(n), 0.5, 200.0 + i as f64 * 50.0);
    }
    let r = t.ingest(&d, "DSJ0001");
    assert_eq!(r["imported"], 4, "{r}");
    let mut got: Vec<String> = t
        .recordings()
        .iter()
        .map(|r| r["original_name"].as_str().unwrap_or("").to_string())
        .collect();
    got.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    // Nothing was written outside the vault because of a name.
    assert!(!t.data().join("..dots..WAV").exists());
    assert!(!t.scratch().join("..dots..WAV").exists());
    // For people, a name with a line break is shown escaped on one line.
    let (text, _, ok) = t.text(&["recordings", "list"]);
    assert!(ok, "{text}");
    assert!(text.contains(r"line\nbreak.WAV"), "{text}");
    assert!(!text.contains("line\nbreak"), "{text}");
}

#[test]
fn r16_symbolic_links_are_never_followed_out_of_the_device_folder() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let outside = t.device_dir("outside");
    wav(&outside.join("SECRET.WAV"), 0.5, 500.0);
    let d = t.device_dir("links");
    wav(&d.join("OWN.WAV"), 0.5, 600.0);
    std::os::unix::fs::symlink(outside.join("SECRET.WAV"), d.join("LINK.WAV")).expect("symlink");
    std::os::unix::fs::symlink(&outside, d.join("LINKDIR")).expect("symlink dir");
    let r = t.ingest(&d, "DSJ0001");
    assert_eq!(r["imported"], 1, "{r}");
    let skipped = r["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 2, "{r}");
    assert!(
        skipped
            .iter()
            .all(|s| s["reason"].as_str().unwrap_or("").contains("符号链接")),
        "{r}"
    );
    let recs = t.recordings();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["original_name"], "OWN.WAV");
    assert_ne!(recs[0]["sha256"], sha256_of(&outside.join("SECRET.WAV")));
}

#[test]
fn r16_an_unreadable_folder_or_missing_device_path_fails_the_offload() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let before = t.ledger_size();
    let err = t.ingest_fails(Path::new("/nonexistent/device"), "DSJ0001");
    assert_eq!(err.code, "source_unreadable", "{err}");
    assert!(err.contains("无法读取设备目录"), "{err}");
    let file = t.scratch().join("plain.txt");
    fs::write(&file, "x").expect("write");
    let err = t.ingest_fails(&file, "DSJ0001");
    assert_eq!(err.code, "source_unreadable", "{err}");
    assert!(err.contains("不是目录"), "{err}");
    assert_eq!(t.ledger_size(), before, "a failed offload writes nothing");
}

#[test]
fn r16_an_unreadable_file_is_skipped_with_its_reason_and_the_rest_imported() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.device_dir("perm");
    wav(&d.join("OK.WAV"), 0.5, 300.0);
    wav(&d.join("LOCKED.WAV"), 0.5, 350.0);
    fs::set_permissions(d.join("LOCKED.WAV"), fs::Permissions::from_mode(0o000)).expect("chmod");
    let is_root = fs::read(d.join("LOCKED.WAV")).is_ok();
    let dir = d.to_str().expect("utf8");
    let out: Output = if is_root {
        // Root reads everything: run the station as an unprivileged user instead, with the data
        // directory (and SQLite catalog) opened up to it and only the one file locked.
        chmod_tree(t.scratch());
        fs::set_permissions(d.join("LOCKED.WAV"), fs::Permissions::from_mode(0o000))
            .expect("chmod");
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_zhilu"),
            "--json",
        ])
        .args(ingest_args(dir, &[]))
        .env("ZHILU_ACTOR", KEEPER)
        .stdin(Stdio::null());
        for (k, v) in t.env() {
            c.env(k, v);
        }
        c.output()
            .expect("setpriv (util-linux) is needed to run this test as root")
    } else {
        t.run(&ingest_args(dir, &[]))
    };
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(r["imported"], 1, "{r}");
    assert_eq!(r["skipped"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["skipped"][0]["file"], "LOCKED.WAV");
    assert!(
        r["skipped"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("无法读取"),
        "{r}"
    );
    let recs = t.recordings();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["original_name"], "OK.WAV");
}

fn chmod_tree(p: &Path) {
    fs::set_permissions(
        p,
        fs::Permissions::from_mode(if p.is_dir() { 0o777 } else { 0o666 }),
    )
    .ok();
    if p.is_dir() {
        for e in fs::read_dir(p).expect("read_dir").flatten() {
            chmod_tree(&e.path());
        }
    }
}

#[test]
fn r4_device_clock_offset_is_recorded_at_offload() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.device_dir("clock");
    wav(&d.join("A.WAV"), 0.5, 300.0);
    t.at("2026-11-20 10:00:00");
    let dir = d.to_str().expect("utf8");
    let r = t.ok(&ingest_args(
        dir,
        &["--device-clock", "2026-11-20T10:01:30+08:00"],
    ));
    assert_eq!(r["device_clock_offset_ms"], 90_000, "{r}");
    // Beijing wall-clock input means the same instant.
    let d2 = t.device_dir("clock2");
    wav(&d2.join("B.WAV"), 0.5, 310.0);
    let r = t.ok(&ingest_args(
        d2.to_str().expect("utf8"),
        &["--device-clock", "2026-11-20 09:59:00"],
    ));
    assert_eq!(r["device_clock_offset_ms"], -60_000, "{r}");
}

#[test]
fn r26_clear_device_removes_offloaded_media_only_after_it_is_stored_and_keeps_the_rest() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = typical_device(&t);
    let shas: Vec<String> = [
        "DSJ0001_000123_20261120093000_0001.MP4",
        "REC_20261120_094000.WAV",
        "DSJ0001_000123_20261120093100_0002.MP4",
    ]
    .iter()
    .map(|n| sha256_of(&d.join(n)))
    .collect();
    let r = t.ok(&ingest_args(d.to_str().expect("utf8"), &["--clear-device"]));
    assert_eq!(r["device_cleared"], true, "{r}");
    let mut left: Vec<String> = fs::read_dir(&d)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["EMPTY.MP4", "device.log"]);
    assert_eq!(t.recordings().len(), 3);
    for sha in &shas {
        for root in ["vault/primary", "vault/replica"] {
            assert_eq!(&sha256_of(&t.object_path(root, sha)), sha);
        }
    }
    let fx = t.ok(&["fixity"]);
    assert_eq!(fx["ok"], true, "{fx}");
}

#[test]
fn r2_device_lifecycle_events_change_status_and_are_audited() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.ok(&[
        "--actor",
        "sysadmin",
        "device",
        "event",
        "--serial",
        "DSJ0001",
        "--event",
        "维修",
        "--detail",
        "镜头进水",
    ]);
    assert_eq!(d["status"], "维修");
    let d = t.ok(&[
        "--actor",
        "sysadmin",
        "device",
        "event",
        "--serial",
        "DSJ0001",
        "--event",
        "调拨",
        "--detail",
        "调往二大队",
        "--unit",
        "二大队",
    ]);
    assert_eq!(
        (d["status"].as_str(), d["unit"].as_str()),
        (Some("维修"), Some("二大队"))
    );
    let before = t.ledger_size();
    let err = t.fails(&[
        "--actor", "sysadmin", "device", "event", "--serial", "DSJ0001", "--event", "丢了",
        "--detail", "x",
    ]);
    assert_eq!(err.code, "invalid", "{err}");
    assert!(err.contains("未知的设备事件"), "{err}");
    assert_eq!(t.ledger_size(), before);
    let err = t.fails(&[
        "--actor", "sysadmin", "device", "event", "--serial", "NOPE-1", "--event", "维修",
        "--detail", "x",
    ]);
    assert_eq!(err.code, "not_found", "{err}");
    let v = t.ok(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        v["entries"], 22,
        "init, the administrators (unit, 3×(person+account+password)), the custodian \
         (person+account), register+event, officer+account+unit, 2×(update+event)"
    );
    let shown = t.ok(&["device", "show", "--serial", "DSJ0001"]);
    let events: Vec<&str> = shown["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(events, ["登记", "维修", "调拨"], "{shown}");
}

#[test]
fn r18_fixity_finds_an_altered_copy_and_repair_restores_it_from_the_good_copy() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.device_dir("fx");
    wav(&d.join("A.WAV"), 1.0, 300.0);
    t.ingest(&d, "DSJ0001");
    let sha = t.recordings()[0]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    // Damaged on purpose; the repair below restores it, so teardown still checks every copy.
    let obj = t.object_path("vault/replica", &sha);
    fs::set_permissions(&obj, fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut bytes = fs::read(&obj).expect("read");
    bytes[100] ^= 0xff;
    fs::write(&obj, &bytes).expect("tamper");

    let out = finds_problems(&t, &["fixity"]);
    assert_eq!(out["ok"], false, "{out}");
    let problems = out["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{out}");
    assert_eq!(problems[0]["sha256"], sha.as_str(), "{out}");
    assert_eq!(problems[0]["problem"], "damaged");
    assert_eq!(problems[0]["repaired"], false);
    assert!(
        problems[0]["root"]
            .as_str()
            .unwrap_or("")
            .contains("replica"),
        "{out}"
    );
    let (human, _, ok) = t.text(&["fixity"]);
    assert!(!ok);
    assert!(human.contains(&sha), "{human}");
    assert!(human.contains("zhilu fixity --repair"), "{human}");

    let rep = t.ok(&["fixity", "--repair"]);
    assert_eq!(rep["ok"], true, "{rep}");
    assert_eq!(rep["problems"][0]["repaired"], true, "{rep}");
    let q = rep["problems"][0]["quarantined_to"]
        .as_str()
        .expect("quarantined");
    assert!(
        Path::new(q).exists(),
        "the damaged copy is kept in quarantine"
    );
    assert_eq!(fs::read(q).expect("quarantined copy"), bytes);
    assert_eq!(sha256_of(&obj), sha);
    let mode = fs::metadata(&obj).expect("meta").permissions().mode();
    assert_eq!(mode & 0o222, 0, "the repaired copy is read-only: {mode:o}");
    assert_eq!(t.ok(&["fixity"])["ok"], true);
    let v = t.ok(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");
}

#[test]
fn r18_fixity_finds_a_missing_copy_and_repair_restores_it() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.device_dir("fx2");
    wav(&d.join("A.WAV"), 1.0, 330.0);
    t.ingest(&d, "DSJ0001");
    let sha = t.recordings()[0]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    // Removed on purpose; the repair below restores it, so teardown still checks every copy.
    fs::remove_file(t.object_path("vault/primary", &sha)).expect("rm");
    let out = finds_problems(&t, &["fixity"]);
    assert_eq!(out["problems"][0]["problem"], "missing", "{out}");
    assert_eq!(out["problems"][0]["sha256"], sha.as_str(), "{out}");
    let rep = t.ok(&["fixity", "--repair"]);
    assert_eq!(rep["problems"][0]["repaired"], true, "{rep}");
    assert_eq!(sha256_of(&t.object_path("vault/primary", &sha)), sha);
    assert_eq!(t.ok(&["fixity"])["ok"], true);
}

#[test]
fn r24_stored_originals_are_read_only_on_disk() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    t.ok(&["profile", "apply", "zhejiang-rf"]);
    let d = t.device_dir("ro");
    wav(&d.join("A.WAV"), 0.5, 300.0);
    t.ingest(&d, "DSJ0001");
    let sha = t.recordings()[0]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    for root in ["vault/primary", "vault/replica"] {
        let mode = fs::metadata(t.object_path(root, &sha))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o222, 0, "object in {root} is writable: {mode:o}");
    }
}

#[test]
fn x1_verify_fails_and_says_so_when_the_signed_checkpoint_file_is_altered() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    assert_eq!(t.ok(&["verify"])["ok"], true);
    t.tampered();
    let cp = t.data().join("ledger/checkpoint");
    let text = fs::read_to_string(&cp).expect("checkpoint");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[1] = "999".into();
    fs::write(&cp, lines.join("\n") + "\n").expect("tamper");
    let (out, _, ok) = t.text(&["verify"]);
    assert!(!ok, "{out}");
    assert!(out.contains("检查点"), "{out}");
    let v = finds_problems(&t, &["verify"]);
    assert_eq!(v["ok"], false, "{v}");
    assert!(
        v["problems"].as_array().is_some_and(|p| p
            .iter()
            .any(|p| p["message"].as_str().unwrap_or("").contains("检查点"))),
        "{v}"
    );
}

/// A child process killed (and reaped) if the test ends before it does.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn r16_killed_mid_copy_then_rerun_completes_with_no_duplicate_orphan_or_partial_object() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.device_dir("kill");
    wav(&d.join("A_FIRST.WAV"), 1.0, 300.0);
    mp4(
        &d.join("B_BIG.MP4"),
        400_000_000,
        utc(2026, 11, 20, 2, 0, 0),
        1800.0,
        7,
    );
    wav(&d.join("C_LAST.WAV"), 1.0, 500.0);
    let dir = d.to_str().expect("utf8");

    let mut child = Reap(
        t.cmd()
            .arg("--json")
            .args(ingest_args(dir, &[]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    // Wait until the big file is part-way into the vault, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let partial: u64 = t
            .vault_files("tmp")
            .iter()
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| m.len())
            .max()
            .unwrap_or(0);
        if partial > 20_000_000 {
            break;
        }
        assert!(
            child.0.try_wait().expect("wait").is_none(),
            "ingest finished before it could be killed"
        );
        assert!(Instant::now() < deadline, "no partial object appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.0.kill().expect("kill -9");
    child.0.wait().expect("reap");
    let left_by_kill = t.vault_files("tmp");
    assert!(
        !left_by_kill.is_empty(),
        "the kill left a partial copy to recover from"
    );

    let r = t.ingest(&d, "DSJ0001");
    assert_eq!(
        r["recovered_sessions"].as_array().map(Vec::len),
        Some(1),
        "{r}"
    );
    assert_eq!(
        r["imported"].as_u64().unwrap_or(0) + r["duplicates"].as_u64().unwrap_or(0),
        3,
        "{r}"
    );
    assert_eq!(r["damaged"].as_array().map(Vec::len), Some(0), "{r}");
    let recs = t.recordings();
    let mut names: Vec<&str> = recs
        .iter()
        .filter_map(|r| r["original_name"].as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["A_FIRST.WAV", "B_BIG.MP4", "C_LAST.WAV"],
        "every file recorded exactly once"
    );
    for (name, rec) in ["A_FIRST.WAV", "B_BIG.MP4", "C_LAST.WAV"].iter().map(|n| {
        (
            n,
            recs.iter()
                .find(|r| r["original_name"] == *n)
                .expect("recorded"),
        )
    }) {
        assert_eq!(rec["sha256"], sha256_of(&d.join(name)), "{name}");
    }
    // No partial object was ever put under a final name: every stored file is complete and
    // named by its hash, one per recording per root.
    let objects = stored_objects(&t);
    assert_eq!(objects.len(), 6, "{objects:?}");
    for p in &objects {
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        assert_eq!(sha256_of(p), name, "partial object {}", p.display());
    }
    // The re-run leaves no temporary file of its own. The dead writer's may remain until a later
    // open finds it unlocked and more than a minute old (a live writer holds its lock).
    let after: Vec<PathBuf> = t.vault_files("tmp");
    assert!(
        after.iter().all(|p| left_by_kill.contains(p)),
        "the re-run left temporary files: {after:?} (the kill left {left_by_kill:?})"
    );
    let fx = t.ok(&["fixity"]);
    assert_eq!(fx["ok"], true, "{fx}");
    assert_eq!(fx["orphans"].as_array().map(Vec::len), Some(0), "{fx}");
    let v = t.ok(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");

    // A minute later the dead writer's temporary file is unlocked and old: the next open removes
    // it. A live writer's file, just as old but locked, is left alone.
    let live = t.data().join("vault/primary/tmp/live-writer.part");
    fs::write(&live, b"a writer still at work").expect("live");
    let minute_ago = SystemTime::now() - Duration::from_secs(120);
    for p in t.vault_files("tmp") {
        fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(minute_ago))
            .expect("age the temporary file");
    }
    let lock = fs::File::open(&live).expect("open live");
    lock.try_lock().expect("lock live");
    t.ok(&["recordings", "list"]);
    assert_eq!(
        t.vault_files("tmp"),
        std::slice::from_ref(&live),
        "only the live writer's file is left"
    );
    drop(lock);
    t.ok(&["recordings", "list"]);
    assert!(
        t.vault_files("tmp").is_empty(),
        "{:?}",
        t.vault_files("tmp")
    );
}

/// Unmounts a test's small disk when dropped.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn r16_vault_disk_full_fails_the_offload_cleanly_and_keeps_what_was_stored() {
    // The small disk outlives the TestApp (declared first, dropped last), so that teardown still
    // sees the vault root on it.
    let disks = tempfile::tempdir().expect("tempdir");
    let small = disks.path().join("small-disk");
    fs::create_dir_all(&small).expect("mkdir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&small)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!("SKIPPED r16_vault_disk_full: cannot mount a small tmpfs here (needs root)");
        return;
    }
    let _unmount = Unmount(small.clone());
    let t = TestApp::empty();
    let big_root = t.scratch().join("big-disk");
    t.ok(&[
        "init",
        "--vault-root",
        big_root.to_str().expect("utf8"),
        "--vault-root",
        small.to_str().expect("utf8"),
    ]);
    t.people();
    t.ok(&[
        "--actor",
        "sysadmin",
        "device",
        "register",
        "--serial",
        "DSJ0001",
        "--kind",
        "执法记录仪",
        "--model",
        "M",
        "--unit",
        "U",
        "--keeper",
        "K",
    ]);
    t.officer("000123", "周明", "一大队", "officer");
    let d = t.device_dir("full");
    wav(&d.join("A_SMALL.WAV"), 4.0, 300.0); // 64 KB
    mp4(
        &d.join("B_HUGE.MP4"),
        5_000_000,
        utc(2026, 11, 20, 2, 0, 0),
        60.0,
        3,
    );
    let err = t.ingest_fails(&d, "DSJ0001");
    assert_eq!(err.code, "offload_failed", "{err}");
    assert!(
        err.contains("写入证据库失败") && err.contains("B_HUGE.MP4"),
        "{err}"
    );
    let recs = t.recordings();
    assert_eq!(
        recs.len(),
        1,
        "the file stored before the disk filled is kept"
    );
    assert_eq!(recs[0]["original_name"], "A_SMALL.WAV");
    let sha = recs[0]["sha256"].as_str().expect("sha");
    for root in [&big_root, &small] {
        let p = root
            .join("objects/sha256")
            .join(&sha[..2])
            .join(&sha[2..4])
            .join(sha);
        assert_eq!(sha256_of(&p), sha, "{}", p.display());
    }
    let tmp_left: Vec<_> = fs::read_dir(small.join("tmp")).expect("tmp").collect();
    assert!(
        tmp_left.is_empty(),
        "no partial object left on the full disk"
    );
    assert_eq!(t.ok(&["fixity"])["ok"], true);
    assert_eq!(t.ok(&["verify"])["ok"], true);
}

#[test]
fn x4_demo_builds_a_verified_vault_on_a_fresh_directory() {
    let t = TestApp::empty();
    let r = t.ok(&["demo"]);
    assert_eq!(r["ingest"]["imported"], 5, "{}", r["ingest"]);
    assert_eq!(r["ingest"]["damaged"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["ingest"]["skipped"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["reingest_imported"], 0);
    assert_eq!(r["reingest_duplicates"], 6);
    assert!(
        r["verify"]["problems"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{}",
        r["verify"]
    );
    assert_eq!(r["recordings"].as_array().map(Vec::len), Some(6));
    // The directory it built is an ordinary data directory the other commands work on, with the
    // same environment (data directory and catalog database) the demo was run with.
    assert_eq!(
        t.recordings().len(),
        6,
        "`zhilu demo` must write the catalog that ZHILU_DATABASE_URL names, like every command"
    );
    assert_eq!(t.ok(&["verify"])["ok"], true);
}

#[test]
fn bench_ingest_prints_throughput_next_to_its_baselines() {
    let t = TestApp::empty();
    let work = t.scratch().join("bench");
    let r = t.ok(&[
        "bench",
        "ingest",
        "--size-gib",
        "0.01",
        "--work-dir",
        work.to_str().expect("utf8"),
    ]);
    for k in [
        "ingest_mb_s",
        "own_sha256_mb_s",
        "own_sm3_mb_s",
        "disk_write_fsync_mb_s",
    ] {
        assert!(r[k].as_f64().is_some_and(|v| v > 0.0), "{k}: {r}");
    }
    assert_eq!(r["vault_copies"], 2);
    let left: Vec<_> = fs::read_dir(&work)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "the benchmark removes what it made: {left:?}"
    );
}

#[test]
fn r16_an_empty_device_folder_is_refused_and_records_nothing() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.device_dir("empty");
    let before = t.ledger_size();
    let err = t.ingest_fails(&d, "DSJ0001");
    assert_eq!(err.code, "empty_source", "{err}");
    assert!(
        err.contains(d.to_str().expect("utf8")),
        "names the folder: {err}"
    );
    assert_eq!(
        t.ledger_size(),
        before,
        "nothing written, not even a session"
    );
    assert!(t.recordings().is_empty());
    assert!(t.vault_files("objects/sha256").is_empty());

    // A folder with only files that are not media is offloaded: everything skipped, with reasons.
    let logs = t.device_dir("logs-only");
    fs::write(logs.join("device.log"), "09:30:00 开机\n").expect("log");
    let r = t.ingest(&logs, "DSJ0001");
    assert_eq!(
        (
            r["imported"].as_u64(),
            r["duplicates"].as_u64(),
            r["bytes"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{r}"
    );
    assert!(r["damaged"].as_array().is_some_and(Vec::is_empty), "{r}");
    assert_eq!(r["skipped"][0]["file"], "device.log", "{r}");
    assert_eq!(r["skipped"].as_array().map(Vec::len), Some(1), "{r}");
    assert!(t.recordings().is_empty());
    assert!(t.ledger_size() > before, "the session is recorded");
}

#[test]
fn r16_real_encoded_recordings_offload_with_their_metadata_and_damage_reasons() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let fixtures = fixture("");
    let expected: Value =
        serde_json::from_slice(&fs::read(fixture("expected.json")).expect("expected"))
            .expect("json");
    let d = t.device_dir("real");
    for f in fs::read_dir(&fixtures).expect("fixtures").flatten() {
        fs::copy(f.path(), d.join(f.file_name())).expect("copy");
    }
    let r = t.ingest(&d, "DSJ0001");
    let good = expected["good"].as_object().expect("good");
    // demo_template.jpg is byte-identical to photo.jpg: stored once, counted as a duplicate.
    assert_eq!(r["imported"].as_u64(), Some(good.len() as u64), "{r}");
    assert_eq!(r["duplicates"], 1, "{r}");
    let mut damaged: Vec<&str> = r["damaged"]
        .as_array()
        .expect("damaged")
        .iter()
        .filter_map(|d| d["file"].as_str())
        .collect();
    damaged.sort();
    let mut want: Vec<&str> = expected["damaged"]
        .as_object()
        .expect("damaged")
        .keys()
        .map(String::as_str)
        .collect();
    want.sort();
    assert_eq!(damaged, want);
    // Each damage reason says what the media parser found (where the fixtures pin a word).
    for d in r["damaged"].as_array().expect("damaged") {
        let file = d["file"].as_str().expect("file");
        let word = expected["damaged"][file].as_str().expect("word");
        let reason = d["reason"].as_str().expect("reason");
        assert!(
            !reason.is_empty() && reason.contains(word),
            "{file}: {reason}"
        );
    }
    let skipped: Vec<&str> = r["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter_map(|d| d["file"].as_str())
        .collect();
    assert_eq!(skipped, ["expected.json", "random.MP4"]);
    let recs = t.recordings();
    let clip = recs
        .iter()
        .find(|r| r["original_name"] == "clip.mov")
        .expect("mov");
    assert_eq!(
        (clip["media_kind"].as_str(), clip["capture_start"].as_str()),
        (Some("mov"), Some("2026-11-20T02:15:30Z"))
    );
    assert_eq!(clip["duration_ms"], 3_000);
    let photo = recs
        .iter()
        .find(|r| r["original_name"] == "photo_with_offset.jpg")
        .expect("photo");
    assert_eq!(
        photo["capture_start"], "2026-11-20T01:46:00Z",
        "EXIF 09:46 at +08:00"
    );
    assert_eq!(photo["media_kind"], "jpeg");
    assert!(photo["duration_ms"].is_null(), "{photo}");
    let named = recs
        .iter()
        .find(|r| r["original_name"] == "DSJ0001_000123_20261120093000_0001.MP4")
        .expect("named");
    assert_eq!(named["sequence"], 1);
}

#[test]
fn r16_init_is_idempotent_and_other_commands_need_it() {
    let t = TestApp::empty();
    let err = t.fails(&["recordings", "list"]);
    assert_eq!(err.code, "not_initialized", "{err}");
    assert!(err.stderr.contains("zhilu init"), "{err}");
    let mut first = t.ok(&["init"]);
    let second = t.ok(&["init"]);
    // The first init also created the three administrators (and showed their passwords once).
    assert_eq!(first["administrators"].as_array().map(Vec::len), Some(3));
    first["administrators"] = serde_json::json!([]);
    assert_eq!(first, second, "a second init changes nothing");
    assert_eq!(
        first["entries"], 11,
        "the first entry, the unit, and each administrator's person, account and password: {first}"
    );
    // init creates the vault roots; opening a directory whose root is missing is refused, and the
    // root is not silently recreated (an unmounted disk must not become an empty folder).
    for root in ["vault/primary", "vault/replica"] {
        for sub in ["objects/sha256", "tmp", "quarantine"] {
            assert!(t.data().join(root).join(sub).is_dir(), "{root}/{sub}");
        }
    }
    let replica = t.data().join("vault/replica");
    let aside = t.scratch().join("replica-unmounted");
    fs::rename(&replica, &aside).expect("unmount");
    let err = t.fails(&["recordings", "list"]);
    assert!(err.contains("replica"), "names the missing root: {err}");
    assert_ne!(err.code, "not_initialized", "{err}");
    assert!(!replica.exists(), "the missing root was recreated");
    fs::rename(&aside, &replica).expect("mount again");
    assert!(t.recordings().is_empty());
}

#[test]
fn r23_a_hash_prefix_of_eight_digits_names_a_recording() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let d = t.device_dir("prefix");
    // Two recordings whose SHA-256 share their first 8 hex digits (a birthday search over a few
    // tens of thousands of one-hundredth-of-a-second WAVs), and one other.
    let base = zhilu_media::synth::wav(0.01, 8_000, 440.0);
    let variant = |n: u64| {
        let mut b = base.clone();
        let at = b.len() - 8;
        b[at..].copy_from_slice(&n.to_le_bytes());
        b
    };
    let digest = |b: &[u8]| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(b))
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let (a, b) = (0u64..)
        .find_map(|n| {
            let p = digest(&variant(n))[..8].to_string();
            seen.insert(p, n).map(|m| (m, n))
        })
        .expect("collision");
    fs::write(d.join("A.WAV"), variant(a)).expect("a");
    fs::write(d.join("B.WAV"), variant(b)).expect("b");
    wav(&d.join("C.WAV"), 0.5, 700.0);
    let r = t.ingest(&d, "DSJ0001");
    assert_eq!(r["imported"], 3, "{r}");
    let (sha_a, sha_b) = (digest(&variant(a)), digest(&variant(b)));
    let sha_c = sha256_of(&d.join("C.WAV"));
    assert_eq!(sha_a[..8], sha_b[..8]);
    assert_ne!(sha_a, sha_b);

    // Eight digits name one recording, in upper case too.
    let h = t.ok(&[
        "hold",
        "add",
        "--recording",
        &sha_c[..8].to_ascii_uppercase(),
        "--reason",
        "行政复议",
    ]);
    assert_eq!(h["sha256"], sha_c.as_str(), "{h}");
    // Seven are refused as invalid, whatever they match.
    let before = t.ledger_size();
    let err = t.fails(&[
        "hold",
        "add",
        "--recording",
        &sha_c[..7],
        "--reason",
        "行政复议",
    ]);
    assert_eq!(err.code, "invalid", "{err}");
    // Eight digits two recordings share are ambiguous; enough digits to tell them apart work.
    let err = t.fails(&[
        "hold",
        "add",
        "--recording",
        &sha_a[..8],
        "--reason",
        "行政复议",
    ]);
    assert_eq!(err.code, "ambiguous_prefix", "{err}");
    assert!(err.stderr.contains("提示："), "{err}");
    let unknown = ["00000000", "ffffffff"]
        .into_iter()
        .find(|p| ![&sha_a, &sha_b, &sha_c].iter().any(|s| s.starts_with(p)))
        .expect("a prefix no recording has");
    let err = t.fails(&[
        "hold",
        "add",
        "--recording",
        unknown,
        "--reason",
        "行政复议",
    ]);
    assert_eq!(err.code, "not_found", "{err}");
    assert_eq!(t.ledger_size(), before, "refusals write nothing");
    let differ = (0..64)
        .find(|&i| sha_a.as_bytes()[i] != sha_b.as_bytes()[i])
        .expect("differ");
    let h = t.ok(&[
        "hold",
        "add",
        "--recording",
        &sha_b[..differ + 1],
        "--reason",
        "行政复议",
    ]);
    assert_eq!(h["sha256"], sha_b.as_str(), "{h}");
    // `hold sync` sets the storage legal hold as the catalog says (X5; local roots have none, so
    // nothing is sent): held for a recording under a hold, released for one without.
    let s = t.ok(&["hold", "sync", "--recording", &sha_c[..8]]);
    assert_eq!(s["held"], true, "{s}");
    let s = t.ok(&["hold", "sync", "--recording", &sha_a]);
    assert_eq!(s["held"], false, "{s}");
}

/// Copies a directory tree (files and folders only).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir").flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// Makes a tree readable by anyone and writable by no one but root.
fn read_only_tree(p: &Path) {
    if p.is_dir() {
        for e in fs::read_dir(p).expect("read_dir").flatten() {
            read_only_tree(&e.path());
        }
    }
    fs::set_permissions(
        p,
        fs::Permissions::from_mode(if p.is_dir() { 0o555 } else { 0o444 }),
    )
    .expect("chmod");
}

/// X1 (issue #10): an auditor's read-only copy of a data directory (or a disk mounted read-only)
/// is read at once — `verify`, `fixity`, `recordings list`, `check` work — and a write is refused
/// at once in Chinese, with nothing changed.
#[test]
fn x1_read_only_commands_work_on_a_read_only_copy_and_writes_fail_at_once() {
    if std::env::var("ZHILU_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        return; // the catalog of a read-only copy is the embedded one
    }
    let t = TestApp::empty();
    t.ready("DSJ0001");
    t.ok(&["profile", "apply", "zhejiang-rf"]);
    let d = t.device_dir("ro");
    wav(&d.join("A.WAV"), 0.5, 300.0);
    t.ok(&ingest_args(d.to_str().expect("utf8"), &[]));
    let copy = t.scratch().join("auditor-copy");
    copy_tree(&t.data(), &copy);
    let _ = fs::remove_file(copy.join("zhilu.lock"));
    // The test's catalog lives beside the data directory; the copy carries its own, as a real
    // one does (`catalog.db`, no `database_url`).
    fs::copy(t.scratch().join("catalog.db"), copy.join("catalog.db")).expect("catalog");
    let config = fs::read_to_string(copy.join("zhilu.toml")).expect("config");
    let config: String = config
        .lines()
        .filter(|l| !l.starts_with("database_url"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(copy.join("zhilu.toml"), config).expect("config");
    read_only_tree(&copy);
    let is_root = fs::OpenOptions::new()
        .append(true)
        .open(copy.join("zhilu.toml"))
        .is_ok();
    if is_root {
        // Root writes anywhere: the auditor is an unprivileged user (the tree stays world-readable).
        fs::set_permissions(t.scratch(), fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let run = |args: &[&str]| -> Output {
        let mut c = if is_root {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                env!("CARGO_BIN_EXE_zhilu"),
            ]);
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_zhilu"))
        };
        c.arg("--json")
            .args(args)
            .env("ZHILU_DATA_DIR", &copy)
            .env_remove("ZHILU_DATABASE_URL")
            .env_remove("ZHILU_NOW")
            .stdin(Stdio::null());
        c.output().expect("setpriv (util-linux) runs the auditor")
    };
    for args in [
        &["verify"][..],
        &["fixity"],
        &["recordings", "list"],
        &["check"],
    ] {
        let started = Instant::now();
        let out = run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{args:?} must not stall"
        );
    }
    let r: Value = serde_json::from_slice(&run(&["verify"]).stdout).expect("json");
    assert_eq!(r["problems"].as_array().map(Vec::len), Some(0), "{r}");
    let out = run(REGISTER_2019);
    assert!(!out.status.success());
    let e: Value = serde_json::from_slice(&out.stdout).expect("json error");
    assert!(e["message"].as_str().unwrap_or("").contains("只读"), "{e}");
}

const REGISTER_2019: &[&str] = &[
    "--actor",
    "sysadmin",
    "device",
    "register",
    "--serial",
    "DSJ2019",
    "--kind",
    "执法记录仪",
    "--model",
    "M",
    "--unit",
    "U",
    "--keeper",
    "K",
];

/// X1, time (issue #10): `--now` rewrote history (an offload recorded in 2019, before its device
/// was registered). A directory made on the real clock refuses a replayed one, in Chinese; a
/// replay directory (made with `--now`, or `init --replay`) takes it and says so.
#[test]
fn x1_now_is_refused_in_a_real_directory_and_accepted_in_a_replay_one() {
    let t = TestApp::empty();
    let zhilu = |dir: &Path, args: &[&str], now: Option<&str>| -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_zhilu"));
        c.arg("--json")
            .args(args)
            .env("ZHILU_DATA_DIR", dir)
            .env_remove("ZHILU_NOW")
            .env_remove("ZHILU_DATABASE_URL")
            .stdin(Stdio::null());
        if let Some(n) = now {
            c.env("ZHILU_NOW", n);
        }
        c.output().expect("zhilu runs")
    };
    let real = t.scratch().join("real");
    let out = zhilu(&real, &["init"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let init: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(init["replay"], false);
    let out = zhilu(&real, REGISTER_2019, Some("2019-01-01 09:00"));
    assert!(!out.status.success());
    let e: Value = serde_json::from_slice(&out.stdout).expect("json error");
    assert_eq!(e["code"], "replay_not_allowed", "{e}");
    assert!(e["message"].as_str().unwrap_or("").contains("重放"), "{e}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("zhilu init --replay"),
        "the hint says how to make a replay directory"
    );

    let replay = t.scratch().join("replay");
    let out = zhilu(&replay, &["init", "--replay"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let init: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(init["replay"], true);
    let out = zhilu(&replay, REGISTER_2019, Some("2019-01-01 09:00"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let note = fs::read_to_string(replay.join("ledger/checkpoint")).expect("checkpoint");
    assert!(
        note.lines().next().unwrap_or("").ends_with("/replay"),
        "{note}"
    );
}

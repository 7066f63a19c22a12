//! Acceptance tests of the command-line contract (issue #2), driving the real `zhilu` binary against
//! a fresh data directory and catalog (SQLite, or PostgreSQL when `ZHILU_TEST_POSTGRES_URL` is set).

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
    db: String,
}

fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = rt.block_on(zhilu_store::testing::fresh_database_url(dir.path()));
    Env { dir, db }
}

impl Env {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_zhilu"));
        c.env("ZHILU_DATA_DIR", self.data())
            .env("ZHILU_DATABASE_URL", &self.db)
            .env_remove("ZHILU_NOW")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run zhilu")
    }

    /// Runs with `--json`, asserts success, parses stdout.
    fn json(&self, args: &[&str]) -> Value {
        let out = self
            .cmd()
            .arg("--json")
            .args(args)
            .output()
            .expect("run zhilu");
        assert!(
            out.status.success(),
            "zhilu {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        serde_json::from_slice(&out.stdout).expect("json output")
    }

    /// Runs with `--json`, expecting failure; returns (stdout json if any, stderr).
    fn fails(&self, args: &[&str]) -> (Option<Value>, String) {
        let out = self
            .cmd()
            .arg("--json")
            .args(args)
            .output()
            .expect("run zhilu");
        assert!(
            !out.status.success(),
            "zhilu {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        (
            serde_json::from_slice(&out.stdout).ok(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn device_dir(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join("dev").join(name);
        fs::create_dir_all(&p).expect("mkdir");
        p
    }

    fn ready(&self, serial: &str) {
        self.json(&["init"]);
        self.json(&[
            "device",
            "register",
            "--serial",
            serial,
            "--kind",
            "执法记录仪",
            "--model",
            "DSJ-V9",
            "--unit",
            "一大队",
            "--keeper",
            "张伟",
        ]);
    }

    /// Runs an ingest of `dir` from `serial` that must fail; returns stderr.
    fn ingest_fails(&self, dir: &Path, serial: &str) -> String {
        let d = dir.to_str().expect("utf8");
        self.fails(&[
            "ingest",
            d,
            "--device",
            serial,
            "--officer",
            "000123",
            "--station",
            "CJZ-01",
        ])
        .1
    }

    fn ingest(&self, dir: &Path, serial: &str) -> Value {
        self.json(&[
            "ingest",
            dir.to_str().expect("utf8"),
            "--device",
            serial,
            "--officer",
            "000123",
            "--station",
            "CJZ-01",
        ])
    }

    fn recordings(&self) -> Vec<Value> {
        self.json(&["recordings", "list"])
            .as_array()
            .cloned()
            .expect("array")
    }

    fn vault_files(&self, sub: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for root in ["vault/primary", "vault/replica"] {
            let d = self.data().join(root).join(sub);
            if let Ok(rd) = fs::read_dir(&d) {
                out.extend(rd.filter_map(|e| e.ok().map(|e| e.path())));
            }
        }
        out
    }

    fn object_path(&self, root: &str, sha: &str) -> PathBuf {
        self.data()
            .join(root)
            .join("objects/sha256")
            .join(&sha[..2])
            .join(&sha[2..4])
            .join(sha)
    }
}

fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("time")
}

fn mp4(path: &Path, size: u64, start: chrono::DateTime<Utc>, duration: f64, seed: u64) {
    let mut f = std::io::BufWriter::new(fs::File::create(path).expect("create"));
    zhilu_media::synth::write_large_mp4(&mut f, size, start, duration, seed).expect("mp4");
    f.flush().expect("flush");
}

fn wav(path: &Path, secs: f64, tone: f64) {
    fs::write(path, zhilu_media::synth::wav(secs, 8_000, tone)).expect("wav");
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(fs::read(path).expect("read")))
}

/// A device folder with two intact clips, a clip cut off before its index, an empty file and a log.
fn typical_device(e: &Env) -> PathBuf {
    let d = e.device_dir("typical");
    mp4(
        &d.join("DSJ0001_000123_20261120093000_0001.MP4"),
        300_000,
        t(2026, 11, 20, 1, 30, 0),
        60.0,
        1,
    );
    wav(&d.join("REC_20261120_094000.WAV"), 1.5, 440.0);
    let mut cut = Vec::new();
    zhilu_media::synth::write_large_mp4(&mut cut, 200_000, t(2026, 11, 20, 1, 31, 0), 60.0, 2)
        .expect("mp4");
    // The index (moov) is written last: cutting the tail is what a dead battery does.
    cut.truncate(150_000);
    fs::write(d.join("DSJ0001_000123_20261120093100_0002.MP4"), &cut).expect("cut");
    fs::write(d.join("EMPTY.MP4"), b"").expect("empty");
    fs::write(d.join("device.log"), "09:30:00 开始录像\n").expect("log");
    d
}

#[test]
fn r1_offload_from_an_unregistered_device_is_refused_and_imports_nothing() {
    let e = env();
    e.json(&["init"]);
    let d = typical_device(&e);
    let err = e.ingest_fails(&d, "NOPE-1");
    assert!(
        err.contains("未登记") && err.contains("not registered"),
        "{err}"
    );
    assert!(e.recordings().is_empty());
    assert!(e.vault_files("objects/sha256").is_empty());
}

#[test]
fn r1_device_register_rejects_bad_input_with_a_clear_message() {
    let e = env();
    e.json(&["init"]);
    let (_, err) = e.fails(&[
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
    assert!(err.contains("--serial"), "{err}");
    let (_, err) = e.fails(&[
        "device", "register", "--serial", "S1", "--kind", "toaster", "--model", "M", "--unit", "U",
        "--keeper", "K",
    ]);
    assert!(err.contains("未知的设备类型"), "{err}");
    e.json(&[
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
    let (_, err) = e.fails(&[
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
    assert!(err.contains("已登记"), "{err}");
    assert_eq!(
        e.json(&["device", "list"]).as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn r16_offload_reports_imported_damaged_and_skipped_files_with_reasons() {
    let e = env();
    e.ready("DSJ0001");
    let d = typical_device(&e);
    let r = e.ingest(&d, "DSJ0001");
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

    // The damaged clip is evidence: stored byte-exact, listed as damaged.
    let recs = e.recordings();
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
    assert_eq!(clip["duration_s"], 60.0);
    assert_eq!(clip["device"], "DSJ0001");
    assert_eq!(clip["officer"], "000123");
    assert_eq!(clip["media_kind"], "mp4");
    assert_eq!(clip["damaged"], false);
    assert_eq!(clip["sm3"].as_str().map(str::len), Some(64));
    assert_eq!(clip["size"], 300_000);
    // Both vault roots hold every stored object, named by its hash.
    for r in &recs {
        let sha = r["sha256"].as_str().expect("sha");
        for root in ["vault/primary", "vault/replica"] {
            assert_eq!(sha256_of(&e.object_path(root, sha)), sha);
        }
    }
}

#[test]
fn r16_offloading_the_same_device_twice_imports_nothing_twice() {
    let e = env();
    e.ready("DSJ0001");
    let d = typical_device(&e);
    e.ingest(&d, "DSJ0001");
    let again = e.ingest(&d, "DSJ0001");
    assert_eq!(again["imported"], 0, "{again}");
    assert_eq!(again["duplicates"], 3, "{again}");
    assert_eq!(again["damaged"].as_array().map(Vec::len), Some(0));
    assert_eq!(again["bytes"], 0);
    assert_eq!(e.recordings().len(), 3);
    assert!(e.run(&["verify"]).status.success());
}

#[test]
fn r16_same_bytes_under_another_name_are_stored_once_and_the_name_recorded() {
    let e = env();
    e.ready("DSJ0001");
    let d = e.device_dir("dup");
    wav(&d.join("A.WAV"), 1.0, 300.0);
    fs::copy(d.join("A.WAV"), d.join("B.WAV")).expect("copy");
    let r = e.ingest(&d, "DSJ0001");
    assert_eq!(
        (r["imported"].as_u64(), r["duplicates"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(e.recordings().len(), 1);
    assert_eq!(
        e.vault_files("objects/sha256").len(),
        2,
        "one object directory per root"
    );
}

#[test]
fn r16_hostile_file_names_are_stored_under_their_exact_names() {
    let e = env();
    e.ready("DSJ0001");
    let d = e.device_dir("names");
    let names = [
        "执法 记录 一.WAV",
        "line\nbreak.WAV",
        "..dots..WAV",
        "<img src=x onerror=alert(1)>.WAV",
    ];
    for (i, n) in names.iter().enumerate() {
        wav(&d.join(n), 0.5, 200.0 + i as f64 * 50.0);
    }
    let r = e.ingest(&d, "DSJ0001");
    assert_eq!(r["imported"], 4, "{r}");
    let mut got: Vec<String> = e
        .recordings()
        .iter()
        .map(|r| r["original_name"].as_str().unwrap_or("").to_string())
        .collect();
    got.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    // Nothing was written outside the vault because of a name.
    assert!(!e.data().join("..dots..WAV").exists());
}

#[test]
fn r16_symbolic_links_are_never_followed_out_of_the_device_folder() {
    let e = env();
    e.ready("DSJ0001");
    let outside = e.device_dir("outside");
    wav(&outside.join("SECRET.WAV"), 0.5, 500.0);
    let d = e.device_dir("links");
    wav(&d.join("OWN.WAV"), 0.5, 600.0);
    std::os::unix::fs::symlink(outside.join("SECRET.WAV"), d.join("LINK.WAV")).expect("symlink");
    std::os::unix::fs::symlink(&outside, d.join("LINKDIR")).expect("symlink dir");
    let r = e.ingest(&d, "DSJ0001");
    assert_eq!(r["imported"], 1, "{r}");
    let skipped = r["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 2, "{r}");
    assert!(
        skipped
            .iter()
            .all(|s| s["reason"].as_str().unwrap_or("").contains("符号链接"))
    );
    let recs = e.recordings();
    assert_eq!(recs.len(), 1);
    assert_ne!(recs[0]["sha256"], sha256_of(&outside.join("SECRET.WAV")));
}

#[test]
fn r16_an_unreadable_folder_or_missing_device_path_fails_the_offload() {
    let e = env();
    e.ready("DSJ0001");
    let err = e.ingest_fails(Path::new("/nonexistent/device"), "DSJ0001");
    assert!(err.contains("无法读取设备目录"), "{err}");
    let file = e.dir.path().join("plain.txt");
    fs::write(&file, "x").expect("write");
    let err = e.ingest_fails(&file, "DSJ0001");
    assert!(err.contains("不是目录"), "{err}");
}

#[test]
fn r16_an_unreadable_file_is_skipped_with_its_reason_and_the_rest_imported() {
    let e = env();
    e.ready("DSJ0001");
    let d = e.device_dir("perm");
    wav(&d.join("OK.WAV"), 0.5, 300.0);
    wav(&d.join("LOCKED.WAV"), 0.5, 350.0);
    fs::set_permissions(d.join("LOCKED.WAV"), fs::Permissions::from_mode(0o000)).expect("chmod");
    let is_root = fs::read(d.join("LOCKED.WAV")).is_ok();
    let out = if is_root {
        // Root reads everything: run the station as an unprivileged user instead, with the data
        // directory (and SQLite catalog) opened up to it and only the one file locked.
        chmod_tree(e.dir.path());
        fs::set_permissions(d.join("LOCKED.WAV"), fs::Permissions::from_mode(0o000))
            .expect("chmod");
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_zhilu"),
            "--json",
            "ingest",
        ])
        .arg(&d)
        .args([
            "--device",
            "DSJ0001",
            "--officer",
            "000123",
            "--station",
            "CJZ-01",
        ])
        .env("ZHILU_DATA_DIR", e.data())
        .env("ZHILU_DATABASE_URL", &e.db);
        c.output()
            .expect("setpriv (util-linux) is needed to run this test as root")
    } else {
        e.cmd()
            .args(["--json", "ingest"])
            .arg(&d)
            .args([
                "--device",
                "DSJ0001",
                "--officer",
                "000123",
                "--station",
                "CJZ-01",
            ])
            .output()
            .expect("run")
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(r["imported"], 1, "{r}");
    assert_eq!(r["skipped"][0]["file"], "LOCKED.WAV");
    assert!(
        r["skipped"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("无法读取"),
        "{r}"
    );
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
    let e = env();
    e.ready("DSJ0001");
    let d = e.device_dir("clock");
    wav(&d.join("A.WAV"), 0.5, 300.0);
    let r = e.json(&[
        "--now",
        "2026-11-20T10:00:00+08:00",
        "ingest",
        d.to_str().expect("utf8"),
        "--device",
        "DSJ0001",
        "--officer",
        "000123",
        "--station",
        "CJZ-01",
        "--device-clock",
        "2026-11-20T10:01:30+08:00",
    ]);
    assert_eq!(r["device_clock_offset_ms"], 90_000, "{r}");
}

#[test]
fn r26_clear_device_removes_offloaded_media_only_after_it_is_stored_and_keeps_the_rest() {
    let e = env();
    e.ready("DSJ0001");
    let d = typical_device(&e);
    let r = e.json(&[
        "ingest",
        d.to_str().expect("utf8"),
        "--device",
        "DSJ0001",
        "--officer",
        "000123",
        "--station",
        "CJZ-01",
        "--clear-device",
    ]);
    assert_eq!(r["device_cleared"], true, "{r}");
    let mut left: Vec<String> = fs::read_dir(&d)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["EMPTY.MP4", "device.log"]);
    assert_eq!(e.recordings().len(), 3);
    let fx = e.json(&["fixity"]);
    assert_eq!(fx["ok"], true, "{fx}");
}

#[test]
fn r2_device_lifecycle_events_change_status_and_are_audited() {
    let e = env();
    e.ready("DSJ0001");
    let d = e.json(&[
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
    let d = e.json(&[
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
    let (_, err) = e.fails(&[
        "device", "event", "--serial", "DSJ0001", "--event", "丢了", "--detail", "x",
    ]);
    assert!(err.contains("未知的设备事件"), "{err}");
    let v = e.json(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["entries"], 7, "init, register+event, 2×(update+event)");
}

#[test]
fn r18_fixity_finds_an_altered_copy_and_repair_restores_it_from_the_good_copy() {
    let e = env();
    e.ready("DSJ0001");
    let d = e.device_dir("fx");
    wav(&d.join("A.WAV"), 1.0, 300.0);
    e.ingest(&d, "DSJ0001");
    let sha = e.recordings()[0]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    let obj = e.object_path("vault/replica", &sha);
    fs::set_permissions(&obj, fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut bytes = fs::read(&obj).expect("read");
    bytes[100] ^= 0xff;
    fs::write(&obj, &bytes).expect("tamper");

    let (out, _) = e.fails(&["fixity"]);
    let out = out.expect("json");
    assert_eq!(out["problems"][0]["sha256"], sha.as_str(), "{out}");
    assert_eq!(out["problems"][0]["problem"], "damaged");
    let human = e.run(&["fixity"]);
    assert!(!human.status.success());
    assert!(String::from_utf8_lossy(&human.stdout).contains(&sha));

    let rep = e.json(&["fixity", "--repair"]);
    assert_eq!(rep["problems"][0]["repaired"], true, "{rep}");
    let q = rep["problems"][0]["quarantined_to"]
        .as_str()
        .expect("quarantined");
    assert!(
        Path::new(q).exists(),
        "the damaged copy is kept in quarantine"
    );
    assert_eq!(sha256_of(&obj), sha);
    assert_eq!(e.json(&["fixity"])["ok"], true);
    let v = e.json(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");
}

#[test]
fn r18_fixity_finds_a_missing_copy_and_repair_restores_it() {
    let e = env();
    e.ready("DSJ0001");
    let d = e.device_dir("fx2");
    wav(&d.join("A.WAV"), 1.0, 330.0);
    e.ingest(&d, "DSJ0001");
    let sha = e.recordings()[0]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    fs::remove_file(e.object_path("vault/primary", &sha)).expect("rm");
    let (out, _) = e.fails(&["fixity"]);
    assert_eq!(out.expect("json")["problems"][0]["problem"], "missing");
    assert_eq!(
        e.json(&["fixity", "--repair"])["problems"][0]["repaired"],
        true
    );
    assert_eq!(sha256_of(&e.object_path("vault/primary", &sha)), sha);
}

#[test]
fn r24_stored_originals_are_read_only_on_disk() {
    let e = env();
    e.ready("DSJ0001");
    let d = e.device_dir("ro");
    wav(&d.join("A.WAV"), 0.5, 300.0);
    e.ingest(&d, "DSJ0001");
    let sha = e.recordings()[0]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    for root in ["vault/primary", "vault/replica"] {
        let mode = fs::metadata(e.object_path(root, &sha))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o222, 0, "object in {root} is writable: {mode:o}");
    }
}

#[test]
fn x1_verify_fails_and_says_so_when_the_signed_checkpoint_file_is_altered() {
    let e = env();
    e.ready("DSJ0001");
    assert!(e.run(&["verify"]).status.success());
    let cp = e.data().join("ledger/checkpoint");
    let text = fs::read_to_string(&cp).expect("checkpoint");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[1] = "999".into();
    fs::write(&cp, lines.join("\n") + "\n").expect("tamper");
    let out = e.run(&["verify"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("检查点"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn r16_killed_mid_copy_then_rerun_completes_with_no_duplicate_orphan_or_partial_object() {
    let e = env();
    e.ready("DSJ0001");
    let d = e.device_dir("kill");
    wav(&d.join("A_FIRST.WAV"), 1.0, 300.0);
    mp4(
        &d.join("B_BIG.MP4"),
        400_000_000,
        t(2026, 11, 20, 2, 0, 0),
        1800.0,
        7,
    );
    wav(&d.join("C_LAST.WAV"), 1.0, 500.0);

    let mut child = e
        .cmd()
        .args(["--json", "ingest"])
        .arg(&d)
        .args([
            "--device",
            "DSJ0001",
            "--officer",
            "000123",
            "--station",
            "CJZ-01",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until the big file is part-way into the vault, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let partial: u64 = e
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
            child.try_wait().expect("wait").is_none(),
            "ingest finished before it could be killed"
        );
        assert!(Instant::now() < deadline, "no partial object appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    assert!(
        !e.vault_files("tmp").is_empty(),
        "the kill left a partial copy to recover from"
    );

    let r = e.ingest(&d, "DSJ0001");
    assert_eq!(
        r["recovered_sessions"].as_array().map(Vec::len),
        Some(1),
        "{r}"
    );
    let recs = e.recordings();
    assert_eq!(recs.len(), 3, "every file recorded exactly once");
    assert!(e.vault_files("tmp").is_empty(), "no partial object left");
    let fx = e.json(&["fixity"]);
    assert_eq!(fx["ok"], true, "{fx}");
    assert_eq!(fx["orphans"].as_array().map(Vec::len), Some(0), "{fx}");
    let v = e.json(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");
}

#[test]
fn r16_vault_disk_full_fails_the_offload_cleanly_and_keeps_what_was_stored() {
    let e = env();
    let small = e.dir.path().join("small-disk");
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
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(small.clone());
    let big_root = e.dir.path().join("big-disk");
    e.json(&[
        "init",
        "--vault-root",
        big_root.to_str().expect("utf8"),
        "--vault-root",
        small.to_str().expect("utf8"),
    ]);
    e.json(&[
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
    let d = e.device_dir("full");
    wav(&d.join("A_SMALL.WAV"), 4.0, 300.0); // 64 KB
    mp4(
        &d.join("B_HUGE.MP4"),
        5_000_000,
        t(2026, 11, 20, 2, 0, 0),
        60.0,
        3,
    );
    let err = e.ingest_fails(&d, "DSJ0001");
    assert!(
        err.contains("写入证据库失败") && err.contains("B_HUGE.MP4"),
        "{err}"
    );
    let recs = e.recordings();
    assert_eq!(
        recs.len(),
        1,
        "the file stored before the disk filled is kept"
    );
    assert_eq!(recs[0]["original_name"], "A_SMALL.WAV");
    let tmp_left: Vec<_> = fs::read_dir(small.join("tmp")).expect("tmp").collect();
    assert!(
        tmp_left.is_empty(),
        "no partial object left on the full disk"
    );
    assert_eq!(e.json(&["fixity"])["ok"], true);
    assert_eq!(e.json(&["verify"])["ok"], true);
}

#[test]
fn x4_demo_builds_a_verified_vault_on_a_fresh_directory() {
    let e = env();
    let r = e.json(&["demo"]);
    assert_eq!(r["ingest"]["imported"], 5, "{}", r["ingest"]);
    assert_eq!(r["ingest"]["damaged"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["ingest"]["skipped"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["reingest_imported"], 0);
    assert_eq!(r["reingest_duplicates"], 6);
    assert!(
        r["verify"]["problems"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}

#[test]
fn bench_ingest_prints_throughput_next_to_its_baselines() {
    let e = env();
    let work = e.dir.path().join("bench");
    let r = e.json(&[
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
    assert!(!work.join(format!("bench-{}", 0)).exists());
}

#[test]
fn r16_an_empty_device_offloads_nothing_and_succeeds() {
    let e = env();
    e.ready("DSJ0001");
    let d = e.device_dir("empty");
    let r = e.ingest(&d, "DSJ0001");
    assert_eq!(
        (
            r["imported"].as_u64(),
            r["duplicates"].as_u64(),
            r["bytes"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert!(
        r["skipped"].as_array().is_some_and(Vec::is_empty)
            && r["damaged"].as_array().is_some_and(Vec::is_empty)
    );
    assert!(e.recordings().is_empty());
}

#[test]
fn r16_real_encoded_recordings_offload_with_their_metadata_and_damage_reasons() {
    let e = env();
    e.ready("DSJ0001");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../zhilu-media/tests/fixtures");
    let expected: Value =
        serde_json::from_slice(&fs::read(fixtures.join("expected.json")).expect("expected"))
            .expect("json");
    let d = e.device_dir("real");
    for f in fs::read_dir(&fixtures).expect("fixtures").flatten() {
        fs::copy(f.path(), d.join(f.file_name())).expect("copy");
    }
    let r = e.ingest(&d, "DSJ0001");
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
    let skipped: Vec<&str> = r["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter_map(|d| d["file"].as_str())
        .collect();
    assert_eq!(skipped, ["expected.json", "random.MP4"]);
    let recs = e.recordings();
    let clip = recs
        .iter()
        .find(|r| r["original_name"] == "clip.mov")
        .expect("mov");
    assert_eq!(
        (clip["media_kind"].as_str(), clip["capture_start"].as_str()),
        (Some("mov"), Some("2026-11-20T02:15:30Z"))
    );
    assert_eq!(clip["duration_s"], 3.0);
    let photo = recs
        .iter()
        .find(|r| r["original_name"] == "photo_with_offset.jpg")
        .expect("photo");
    assert_eq!(
        photo["capture_start"], "2026-11-20T01:46:00Z",
        "EXIF 09:46 at +08:00"
    );
    let named = recs
        .iter()
        .find(|r| r["original_name"] == "DSJ0001_000123_20261120093000_0001.MP4")
        .expect("named");
    assert_eq!(named["sequence"], 1);
}

#[test]
fn r16_init_is_idempotent_and_other_commands_need_it() {
    let e = env();
    let (_, err) = e.fails(&["recordings", "list"]);
    assert!(err.contains("zhilu init"), "{err}");
    let first = e.json(&["init"]);
    let second = e.json(&["init"]);
    assert_eq!(first, second, "a second init changes nothing");
    assert_eq!(first["ledger_entries"], 1);
}

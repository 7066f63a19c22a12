//! The command-line side of the one test harness: [`TestApp`] (zhilu-app, feature `testing`) plus
//! running the real `zhilu` binary against its data directory, database and clock, and the
//! helpers the month-long agency scenarios share (body-camera files with real MP4 structure).

#![allow(dead_code)] // each test file uses part of the harness

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
pub use zhilu_app::testing::{TestApp, beijing_time, fixture};

/// A command that failed: its JSON error (`{"code", "message"}`) and its stderr.
#[derive(Debug)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub stderr: String,
    pub status: Option<i32>,
}

/// One file a body camera wrote: China local start time ("2026-11-02 09:00:00"), length, number.
pub struct Seg<'a> {
    pub start: &'a str,
    pub secs: u32,
    pub seq: u32,
}

pub fn seg(start: &str, secs: u32, seq: u32) -> Seg<'_> {
    Seg { start, secs, seq }
}

/// China local time ("2026-11-02 09:00:00") as RFC 3339 with its offset.
pub fn cst(local: &str) -> String {
    let t = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").expect("local time");
    format!("{}+08:00", t.format("%Y-%m-%dT%H:%M:%S"))
}

fn template() -> Vec<u8> {
    fs::read(fixture("demo_template.mp4")).expect("demo template")
}

pub fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(fs::read(path).expect("read")))
}

/// Builds an expected findings summary from string literals.
pub fn expect(rows: &[(&str, &str, &str, &str)]) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = rows
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    v.sort();
    v
}

/// Who the commands act as unless a test says otherwise: the custodian [`Zhilu::people`]
/// registers (checkouts, offloads, activities, written records, holds).
pub const KEEPER: &str = "keeper";
/// The system administrator `init` creates (users, devices).
pub const SYSADMIN: &str = "sysadmin";

/// `ingest DIR --device SERIAL --officer 000123 --station CJZ-01`.
fn ingest_args<'a>(dir: &'a Path, serial: &'a str) -> [&'a str; 8] {
    [
        "ingest",
        dir.to_str().expect("utf8"),
        "--device",
        serial,
        "--officer",
        "000123",
        "--station",
        "CJZ-01",
    ]
}

/// Running the `zhilu` binary against a [`TestApp`].
pub trait Zhilu {
    /// The binary, pointed at this data directory, database and clock.
    fn cmd(&self) -> Command;
    /// Runs with `--json`.
    fn run(&self, args: &[&str]) -> Output;
    /// Runs with `--json`; must succeed; the parsed stdout.
    fn ok(&self, args: &[&str]) -> Value;
    /// Runs with `--json`; must fail; the JSON error and stderr.
    fn fails(&self, args: &[&str]) -> Failure;
    /// Runs without `--json`: (stdout, stderr, success).
    fn text(&self, args: &[&str]) -> (String, String, bool);

    /// A fresh directory under `profile`, the clock at `now` (China local time), with its
    /// custodian ([`Zhilu::people`]).
    fn agency(profile: &str, now: &str) -> Self;
    /// After `init`: the custodian `keeper` the commands act as by default, added by the system
    /// administrator (again: nothing).
    fn people(&self);
    /// `init`, one registered body camera and the officer `000123` who brings it in.
    fn ready(&self, serial: &str);
    fn officer(&self, id: &str, name: &str, unit: &str, role: &str);
    fn device(&self, serial: &str, unit: &str);
    /// Checkout with a passing pre-use check.
    fn checkout(&self, serial: &str, officer: &str);
    fn give_back(&self, serial: &str);
    /// Registers an activity (local times); returns its id.
    fn activity(
        &self,
        kind: &str,
        subject: &str,
        officers: &str,
        start: &str,
        end: &str,
        extra: &[&str],
    ) -> String;
    /// Offloads a device folder as officer 000123 at station CJZ-01.
    fn ingest(&self, dir: &Path, serial: &str) -> Value;
    fn ingest_fails(&self, dir: &Path, serial: &str) -> Failure;
    /// Writes the files a body camera holds and offloads them at the current clock: the
    /// files' SHA-256 in order and the report.
    fn offload(
        &self,
        serial: &str,
        officer: &str,
        segs: &[Seg<'_>],
        extra: &[&str],
    ) -> (Vec<String>, Value);
    fn recordings(&self) -> Vec<Value>;
    fn findings(&self) -> Vec<Value>;
    /// Findings as sorted `(rule, code, article, activity-or-device)`, for exact comparison.
    fn summary(&self) -> Vec<(String, String, String, String)>;
    /// Day by day from `first` (China local date) up to the clock, the windowed checks together
    /// report exactly what the full check reports as arising since `first`.
    fn assert_daily_windows_match_full(&self, first: &str);
    fn retention(&self) -> Vec<Value>;
    /// The number of ledger entries (to prove a refused command wrote nothing).
    fn ledger_size(&self) -> u64;
    fn profile(&self) -> Value;
    /// `<profile id> <article>` for a JSON pointer into the profile (`/offload/article`).
    fn cite(&self, pointer: &str) -> String;
    /// The citation of a checklist row by kind.
    fn cite_kind(&self, kind: &str) -> String;
    /// The id of the first reason in a list (`/norecord/reasons`) matching `pred`.
    fn reason(&self, pointer: &str, pred: impl Fn(&Value) -> bool) -> String;
    /// Files in `sub` (`tmp`, `quarantine`) of both vault roots.
    fn vault_files(&self, sub: &str) -> Vec<PathBuf>;
    fn object_path(&self, root: &str, sha: &str) -> PathBuf;
}

impl Zhilu for TestApp {
    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_zhilu"));
        for (k, v) in self.env() {
            c.env(k, v);
        }
        c.env("ZHILU_ACTOR", KEEPER).stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd()
            .arg("--json")
            .args(args)
            .output()
            .expect("run zhilu")
    }

    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "zhilu {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "zhilu {args:?}: stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn fails(&self, args: &[&str]) -> Failure {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "zhilu {args:?} should have failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "zhilu {args:?}: a failure with --json must print a JSON error ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        Failure {
            code: json["code"].as_str().expect("code").to_string(),
            message: json["message"].as_str().expect("message").to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            status: out.status.code(),
        }
    }

    fn text(&self, args: &[&str]) -> (String, String, bool) {
        let out = self.cmd().args(args).output().expect("run zhilu");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.success(),
        )
    }

    fn agency(profile: &str, now: &str) -> Self {
        let t = TestApp::empty();
        t.at(now);
        t.ok(&["init", "--profile", profile]);
        t.people();
        t
    }

    fn people(&self) {
        let out = self.run(&[
            "--actor",
            SYSADMIN,
            "user",
            "add",
            "--id",
            KEEPER,
            "--name",
            "保管员",
            "--unit",
            "一大队",
            "--role",
            "custodian",
        ]);
        let again = String::from_utf8_lossy(&out.stdout).contains("already_exists");
        assert!(
            out.status.success() || again,
            "adding the custodian failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn ready(&self, serial: &str) {
        self.ok(&["init"]);
        self.people();
        self.device(serial, "一大队");
        self.officer("000123", "周明", "一大队", "officer");
    }

    fn officer(&self, id: &str, name: &str, unit: &str, role: &str) {
        // With a valid enforcement certificate (执法证): an agency's officers hold one, and a
        // penalty activity by one without it is a finding of its own (行政处罚法 §42).
        let certificate = format!("ZF-{id}");
        self.ok(&[
            "--actor",
            SYSADMIN,
            "user",
            "add",
            "--id",
            id,
            "--name",
            name,
            "--unit",
            unit,
            "--role",
            role,
            "--certificate",
            &certificate,
            "--certificate-from",
            "2000-01-01",
            "--certificate-to",
            "2099-12-31",
        ]);
    }

    fn device(&self, serial: &str, unit: &str) {
        self.ok(&[
            "--actor",
            SYSADMIN,
            "device",
            "register",
            "--serial",
            serial,
            "--kind",
            "执法记录仪",
            "--model",
            "DSJ-V9",
            "--unit",
            unit,
            "--keeper",
            "装备管理员",
        ]);
    }

    fn checkout(&self, serial: &str, officer: &str) {
        self.ok(&[
            "device",
            "checkout",
            "--device",
            serial,
            "--officer",
            officer,
            "--battery",
            "95",
            "--free-gb",
            "30",
            "--clock-ok",
        ]);
    }

    fn give_back(&self, serial: &str) {
        self.ok(&["device", "return", "--device", serial]);
    }

    fn activity(
        &self,
        kind: &str,
        subject: &str,
        officers: &str,
        start: &str,
        end: &str,
        extra: &[&str],
    ) -> String {
        let (s, e) = (cst(start), cst(end));
        let mut args = vec![
            "activity",
            "add",
            "--kind",
            kind,
            "--subject-name",
            subject,
            "--place",
            "当事人经营场所",
            "--officers",
            officers,
            "--start",
            &s,
            "--end",
            &e,
        ];
        args.extend_from_slice(extra);
        self.ok(&args)["id"]
            .as_str()
            .expect("activity id")
            .to_string()
    }

    fn ingest(&self, dir: &Path, serial: &str) -> Value {
        self.ok(&ingest_args(dir, serial))
    }

    fn ingest_fails(&self, dir: &Path, serial: &str) -> Failure {
        self.fails(&ingest_args(dir, serial))
    }

    fn offload(
        &self,
        serial: &str,
        officer: &str,
        segs: &[Seg<'_>],
        extra: &[&str],
    ) -> (Vec<String>, Value) {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dev = self
            .scratch()
            .join(format!("dev{}", N.fetch_add(1, Ordering::Relaxed)));
        fs::create_dir_all(&dev).expect("mkdir");
        let tpl = template();
        let mut shas = Vec::new();
        for s in segs {
            let t = beijing_time(s.start);
            let local = NaiveDateTime::parse_from_str(s.start, "%Y-%m-%d %H:%M:%S").expect("time");
            let salt = format!("{serial}-{officer}-{}-{}", s.start, s.seq);
            let bytes =
                zhilu_media::synth::restamp_mp4_with_duration(&tpl, t, s.secs, salt.as_bytes())
                    .expect("synth");
            let name = format!(
                "{serial}_{officer}_{}_{:04}.MP4",
                local.format("%Y%m%d%H%M%S"),
                s.seq
            );
            fs::write(dev.join(name), &bytes).expect("write");
            use sha2::Digest;
            shas.push(hex::encode(sha2::Sha256::digest(&bytes)));
        }
        let d = dev.to_str().expect("utf8").to_string();
        let mut args = vec![
            "ingest",
            d.as_str(),
            "--device",
            serial,
            "--officer",
            officer,
            "--station",
            "CJZ01",
        ];
        args.extend_from_slice(extra);
        let report = self.ok(&args);
        (shas, report)
    }

    fn recordings(&self) -> Vec<Value> {
        self.ok(&["recordings", "list"])
            .as_array()
            .cloned()
            .expect("array")
    }

    fn findings(&self) -> Vec<Value> {
        self.ok(&["check"]).as_array().expect("array").clone()
    }

    fn summary(&self) -> Vec<(String, String, String, String)> {
        let mut v: Vec<_> = self
            .findings()
            .iter()
            .map(|f| {
                let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
                let target = if f["activity"].is_string() {
                    s("activity")
                } else {
                    s("device")
                };
                (s("rule"), s("code"), s("article"), target)
            })
            .collect();
        v.sort();
        v
    }

    fn assert_daily_windows_match_full(&self, first: &str) {
        let now = self.now();
        let key = |v: &Value| v.to_string();
        let mut day = beijing_time(&format!("{first} 00:00:00"));
        let mut full: Vec<String> = self
            .findings()
            .iter()
            .filter(|v| {
                let at = v["at"].as_str().expect("at");
                DateTime::parse_from_rfc3339(at).expect("rfc3339") >= day
            })
            .map(key)
            .collect();
        full.sort();
        let mut daily: Vec<String> = Vec::new();
        let mut days = 0;
        while day < now {
            let next = (day + chrono::Duration::days(1)).min(now);
            let (f, t) = (day.to_rfc3339(), next.to_rfc3339());
            let found = self.ok(&["check", "--from", &f, "--to", &t]);
            daily.extend(found.as_array().expect("array").iter().map(key));
            day = next;
            days += 1;
        }
        daily.sort();
        assert!(days >= 28, "a month of windows, got {days}");
        assert!(!full.is_empty(), "the scenario plants findings");
        assert_eq!(daily, full, "daily windows differ from the full check");
    }

    fn retention(&self) -> Vec<Value> {
        self.ok(&["retention", "list"])
            .as_array()
            .expect("array")
            .clone()
    }

    fn ledger_size(&self) -> u64 {
        let v = self.ok(&["verify"]);
        assert_eq!(v["ok"], true, "verify: {v}");
        v["entries"].as_u64().expect("entries")
    }

    fn profile(&self) -> Value {
        self.ok(&["profile", "show"])
    }

    fn cite(&self, pointer: &str) -> String {
        let p = self.profile();
        format!(
            "{} {}",
            p["id"].as_str().expect("id"),
            p.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{pointer}"))
        )
    }

    fn cite_kind(&self, kind: &str) -> String {
        let p = self.profile();
        let row = p["checklist"]
            .as_array()
            .expect("checklist")
            .iter()
            .find(|r| r["kind"] == kind)
            .unwrap_or_else(|| panic!("kind {kind}"));
        format!(
            "{} {}",
            p["id"].as_str().expect("id"),
            row["article"].as_str().expect("article")
        )
    }

    fn reason(&self, pointer: &str, pred: impl Fn(&Value) -> bool) -> String {
        let p = self.profile();
        p.pointer(pointer)
            .and_then(Value::as_array)
            .expect("reasons")
            .iter()
            .find(|r| pred(r))
            .unwrap_or_else(|| panic!("no reason in {pointer}"))["id"]
            .as_str()
            .expect("id")
            .to_string()
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

/// An instant in UTC.
pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("time")
}

impl Failure {
    /// Whether the message or stderr says `s`.
    pub fn contains(&self, s: &str) -> bool {
        self.message.contains(s) || self.stderr.contains(s)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}\n{}", self.code, self.message, self.stderr)
    }
}

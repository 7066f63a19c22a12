//! A harness for the month-long agency scenarios (issue #3): drives the real `zhilu` binary with a
//! replayed clock (`ZHILU_NOW`) against a fresh data directory and catalog (SQLite, or PostgreSQL
//! when `ZHILU_TEST_POSTGRES_URL` is set), and makes body-camera files with real MP4 structure.

#![allow(dead_code)] // each scenario file uses part of the harness

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

pub struct Agency {
    dir: tempfile::TempDir,
    db: String,
    now: String,
    devices: u32,
}

/// One file a body camera wrote: China local start time ("2026-11-02 09:00:00") and length.
pub struct Seg<'a> {
    pub start: &'a str,
    pub secs: u32,
    pub seq: u32,
}

pub fn seg(start: &str, secs: u32, seq: u32) -> Seg<'_> {
    Seg { start, secs, seq }
}

/// China local time ("2026-11-02 09:00:00") as RFC 3339.
pub fn cst(local: &str) -> String {
    let t = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").expect("local time");
    format!("{}+08:00", t.format("%Y-%m-%dT%H:%M:%S"))
}

fn utc(local: &str) -> DateTime<Utc> {
    let t = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").expect("local time");
    chrono::FixedOffset::east_opt(8 * 3600)
        .expect("offset")
        .from_local_datetime(&t)
        .single()
        .expect("time")
        .with_timezone(&Utc)
}

fn template() -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../zhilu-media/tests/fixtures/demo_template.mp4");
    fs::read(p).expect("demo template")
}

impl Agency {
    /// A fresh data directory with the profile applied, at `now` (China local time).
    pub fn new(profile: &str, now: &str) -> Agency {
        let dir = tempfile::tempdir().expect("tempdir");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let db = rt.block_on(zhilu_store::testing::fresh_database_url(dir.path()));
        let a = Agency {
            dir,
            db,
            now: cst(now),
            devices: 0,
        };
        a.ok(&["init", "--profile", profile]);
        a
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Moves the replayed clock (China local time).
    pub fn at(&mut self, local: &str) -> &mut Self {
        self.now = cst(local);
        self
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_zhilu"));
        c.env("ZHILU_DATA_DIR", self.data())
            .env("ZHILU_DATABASE_URL", &self.db)
            .env("ZHILU_NOW", &self.now)
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd()
            .arg("--json")
            .args(args)
            .output()
            .expect("run zhilu")
    }

    /// Runs with `--json`; must succeed; parsed stdout.
    pub fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "zhilu {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// Runs with `--json`; must fail; stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "zhilu {args:?} should have failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// The number of audit-ledger entries (to prove a refused command wrote nothing).
    pub fn ledger_size(&self) -> u64 {
        let out = self
            .cmd()
            .args(["--json", "verify"])
            .output()
            .expect("verify");
        assert!(
            out.status.success(),
            "verify failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        v["entries"].as_u64().expect("entries")
    }

    pub fn officer(&self, id: &str, name: &str, unit: &str, role: &str) {
        self.ok(&[
            "officer", "add", "--id", id, "--name", name, "--unit", unit, "--role", role,
        ]);
    }

    pub fn device(&self, serial: &str, unit: &str) {
        self.ok(&[
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

    /// Checkout with a passing pre-use check.
    pub fn checkout(&self, serial: &str, officer: &str) {
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

    pub fn give_back(&self, serial: &str) {
        self.ok(&["device", "return", "--device", serial]);
    }

    /// Registers an activity; returns its id.
    pub fn activity(
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

    /// Writes the files a device holds and offloads them at the current clock. Returns the
    /// files' SHA-256 in order and the ingest report.
    pub fn offload(
        &mut self,
        serial: &str,
        officer: &str,
        segs: &[Seg<'_>],
        extra: &[&str],
    ) -> (Vec<String>, Value) {
        self.devices += 1;
        let dev = self.dir.path().join(format!("dev{}", self.devices));
        fs::create_dir_all(&dev).expect("mkdir");
        let tpl = template();
        let mut shas = Vec::new();
        for s in segs {
            let t = utc(s.start);
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

    /// `zhilu check --json` over the whole record.
    pub fn findings(&self) -> Vec<Value> {
        self.ok(&["check"]).as_array().expect("array").clone()
    }

    /// Findings as sorted `(rule, code, article, activity-or-device)` tuples, for exact comparison.
    pub fn summary(&self) -> Vec<(String, String, String, String)> {
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

    /// `check --from --to` reads only the part of the catalog a window can need. Day by day from
    /// `first` (China local date, "2026-11-01") up to the clock, the windowed checks together must
    /// report exactly what the full check reports as arising since `first` — no finding lost,
    /// none doubled.
    pub fn assert_daily_windows_match_full(&self, first: &str) {
        let now = DateTime::parse_from_rfc3339(&self.now)
            .expect("clock")
            .with_timezone(&Utc);
        let key = |v: &Value| v.to_string();
        let mut day = utc(&format!("{first} 00:00:00"));
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

    pub fn retention(&self) -> Vec<Value> {
        self.ok(&["retention", "list"])
            .as_array()
            .expect("array")
            .clone()
    }
}

/// Builds an expected summary from string literals.
pub fn expect(rows: &[(&str, &str, &str, &str)]) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = rows
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    v.sort();
    v
}

impl Agency {
    /// The profile in force, as `profile show --json` prints it.
    pub fn profile(&self) -> Value {
        self.ok(&["profile", "show"])
    }

    /// `<profile id> <article>` for a JSON pointer into the profile, e.g. `/offload/article`.
    pub fn cite(&self, pointer: &str) -> String {
        let p = self.profile();
        format!(
            "{} {}",
            p["id"].as_str().unwrap(),
            p.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{pointer}"))
        )
    }

    /// The citation of a checklist row by kind.
    pub fn cite_kind(&self, kind: &str) -> String {
        let p = self.profile();
        let row = p["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == kind)
            .unwrap_or_else(|| panic!("kind {kind}"));
        format!(
            "{} {}",
            p["id"].as_str().unwrap(),
            row["article"].as_str().unwrap()
        )
    }

    /// The id of the first reason in a list (`/norecord/reasons`) matching `pred`.
    pub fn reason(&self, pointer: &str, pred: impl Fn(&Value) -> bool) -> String {
        let p = self.profile();
        p.pointer(pointer)
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .find(|r| pred(r))
            .unwrap_or_else(|| panic!("no reason in {pointer}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

//! The one test harness (feature `testing`): a ready data directory in one line, on SQLite by
//! default or on a fresh PostgreSQL database when `ZHILU_TEST_POSTGRES_URL` is set, with a clock
//! the test moves by hand (no sleeps, no real time) and UUIDs from a counter, so that a run's
//! ledger bytes can be pinned.
//!
//! On teardown it checks the two promises the product exists for, whatever the test did: the
//! audit ledger verifies with no problem, and every stored recording is present, at its size, in
//! every vault root. A test that tampers on purpose says so with [`TestApp::tampered`].
//!
//! Suites that drive the `zhilu` binary use the same harness: [`TestApp::env`] gives the
//! environment that points the binary at this data directory, database and clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, TimeZone, Utc};

use crate::setup::{DataDir, InitOptions, ProfileSource};
use crate::uuids::SequentialUuids;
use crate::{App, Clock, ManualClock, rfc3339};

/// A data directory for one test.
pub struct TestApp {
    dir: tempfile::TempDir,
    db_url: String,
    clock: Arc<ManualClock>,
    app: Option<Arc<App>>,
    tampered: AtomicBool,
}

/// 20 November 2026, 12:00 UTC (20:00 Beijing time): every test's "now" unless it moves it.
/// The fixture footage [`TestApp::offload_fixtures`] offloads.
pub const FIXTURE_MP4: &str = "DSJ0001_000123_20261120093000_0001.MP4";
pub const FIXTURE_WAV: &str = "REC_20261120_094000.WAV";

/// The first password of the users [`TestApp::login_as`] registers, and the one they change it to.
pub const INITIAL_PASSWORD: &str = "Initial-Pass-2026";
pub const PASSWORD: &str = "Strong-Pass-2026";

pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// China local time (`2026-11-02 09:00:00`) as a UTC instant.
pub fn beijing_time(local: &str) -> DateTime<Utc> {
    let t = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S")
        .unwrap_or_else(|e| panic!("{local:?} is not yyyy-mm-dd hh:mm:ss: {e}"));
    zhilu_policy::facts::china()
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("{local:?} is not a Beijing time"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("test runtime: {e}"))
}

impl TestApp {
    /// An initialised data directory with no profile yet, opened.
    pub async fn new() -> TestApp {
        Self::init(None, false).await
    }

    /// An initialised data directory with a preset profile in force, opened.
    pub async fn with_profile(preset: &str) -> TestApp {
        Self::init(Some(ProfileSource::Preset(preset.into())), false).await
    }

    /// [`TestApp::with_profile`] whose *real* time is made up as well (from [`default_now`], one
    /// millisecond per reading), so that the ledger's bytes can be pinned. Only for a test that
    /// writes through this `App` alone: another writer (the binary) would record the machine's
    /// real time, which `verify` would see running backwards.
    pub async fn with_profile_pinned(preset: &str) -> TestApp {
        Self::init(Some(ProfileSource::Preset(preset.into())), true).await
    }

    async fn init(profile: Option<ProfileSource>, pinned_real: bool) -> TestApp {
        let mut t = Self::empty_async().await;
        if pinned_real {
            t.clock = Arc::new(ManualClock::with_pinned_real(default_now(), default_now()));
        }
        let app = App::init(
            t.data_dir(),
            InitOptions {
                database_url: Some(t.db_url.clone()),
                profile,
                ..InitOptions::default()
            },
            t.clock.clone(),
        )
        .await
        .unwrap_or_else(|e| panic!("init: {e}"));
        drop(app);
        let app = App::open_with(
            t.data_dir(),
            t.clock.clone(),
            Some(t.db_url.clone()),
            Arc::new(SequentialUuids::default()),
        )
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
        t.app = Some(Arc::new(app));
        t
    }

    async fn empty_async() -> TestApp {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let db_url = zhilu_store::testing::fresh_database_url(dir.path()).await;
        TestApp {
            dir,
            db_url,
            clock: Arc::new(ManualClock::new(default_now())),
            app: None,
            tampered: AtomicBool::new(false),
        }
    }

    /// A temporary folder and a fresh database, nothing initialised: for suites that drive the
    /// binary from `zhilu init` on. Usable from a plain (non-async) test.
    /// Registers `user` with [`INITIAL_PASSWORD`] (as a test actor), logs in, changes it to
    /// [`PASSWORD`] and logs in again: the actor of a real login session, roles and clearances
    /// read from the catalog as a person's would be.
    pub async fn login_as(&self, mut user: crate::identity::NewUser) -> crate::Actor {
        use crate::identity;
        let id = user.id.clone();
        user.password = Some(INITIAL_PASSWORD.into());
        identity::add_user(self.app(), &crate::Actor::test("setup"), user)
            .await
            .expect("add user");
        let first = identity::login(self.app(), &id, INITIAL_PASSWORD, "127.0.0.1")
            .await
            .expect("first login");
        identity::change_password(self.app(), &first.actor, INITIAL_PASSWORD, PASSWORD)
            .await
            .expect("change password");
        identity::login(self.app(), &id, PASSWORD, "127.0.0.1")
            .await
            .expect("login")
            .actor
    }

    /// Offloads the two fixture recordings of camera DSJ0001 (captured 20 November 2026, 09:30
    /// and 09:40: [`FIXTURE_MP4`], [`FIXTURE_WAV`]) for officer 000123 at station CJZ-01, at the
    /// clock's time; both must be new. Returns their SHA-256 (MP4, WAV).
    pub async fn offload_fixtures(&self) -> (String, String) {
        use crate::offload;
        let setup = crate::Actor::test("setup");
        let dir = self.device_dir("DSJ0001");
        for f in [FIXTURE_MP4, FIXTURE_WAV] {
            std::fs::copy(fixture(f), dir.join(f)).expect("copy");
        }
        let report = offload::offload(
            self.app(),
            &setup,
            &offload::OffloadRequest {
                source: dir,
                device: "DSJ0001".into(),
                officer: "000123".into(),
                station: "CJZ-01".into(),
                device_clock: None,
                clear_device: false,
            },
            &offload::Silent,
        )
        .await
        .expect("offload");
        assert_eq!(report.imported, 2, "{report:#?}");
        let all = offload::recordings(self.app(), &setup, None).await.unwrap();
        let sha = |name: &str| {
            all.iter()
                .find(|r| r.original_name == name)
                .expect("recording")
                .sha256
                .to_string()
        };
        (sha(FIXTURE_MP4), sha(FIXTURE_WAV))
    }

    /// [`TestApp::login_as`] a user `用户<id>` of `unit` with `roles`.
    pub async fn person(&self, id: &str, unit: &str, roles: &[&str]) -> crate::Actor {
        self.login_as(crate::identity::NewUser {
            id: id.into(),
            name: format!("用户{id}"),
            unit: unit.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        })
        .await
    }

    pub fn empty() -> TestApp {
        runtime().block_on(Self::empty_async())
    }

    /// The open application (not available for [`TestApp::empty`]).
    pub fn app(&self) -> &Arc<App> {
        self.app
            .as_ref()
            .unwrap_or_else(|| panic!("TestApp::empty has no open App"))
    }

    pub fn data_dir(&self) -> DataDir {
        DataDir::new(self.dir.path().join("data"))
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn db_url(&self) -> &str {
        &self.db_url
    }

    /// The test's own scratch folder (outside the data directory).
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// A folder standing in for a mounted device.
    pub fn device_dir(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join("devices").join(name);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        p
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock (the app's and the binary's).
    pub fn set_now(&self, t: DateTime<Utc>) {
        self.clock.set(t);
    }

    /// Moves the clock to a Beijing wall-clock time, `2026-11-02 09:00:00`.
    pub fn at(&self, local: &str) {
        self.clock.set(beijing_time(local));
    }

    /// The environment that points the `zhilu` binary at this data directory, database and clock.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ZHILU_DATA_DIR", self.data().display().to_string()),
            ("ZHILU_DATABASE_URL", self.db_url.clone()),
            ("ZHILU_NOW", rfc3339(self.clock.now())),
        ]
    }

    /// The test changed stored bytes or rows on purpose: teardown does not check the promises.
    pub fn tampered(&self) {
        self.tampered.store(true, Ordering::Relaxed);
    }

    /// A raw connection URL to the catalog, to play an administrator editing rows behind the
    /// program.
    pub fn raw_url(&self) -> &str {
        &self.db_url
    }

    /// Runs `sql` on the catalog over a connection of its own, behind the program (an
    /// administrator at the database); the rows the last statement changed.
    pub async fn raw_exec(&self, sql: &str) -> u64 {
        zhilu_store::testing::raw_exec(&self.db_url, sql).await
    }

    /// The teardown checks, callable early: the ledger verifies and every recording not purged
    /// (R20) is in every root at its size. Panics with what is wrong.
    pub async fn assert_promises_kept(&self) {
        let app = App::open(
            self.data_dir(),
            self.clock.clone(),
            Some(self.db_url.clone()),
        )
        .await
        .unwrap_or_else(|e| panic!("teardown open: {e}"));
        let report = crate::integrity::verify(&app, &crate::Actor::system("teardown"))
            .await
            .unwrap_or_else(|e| panic!("teardown verify: {e}"));
        assert!(
            report.problems.is_empty(),
            "teardown: the ledger does not verify: {:#?}",
            report.problems
        );
        let recordings = app
            .catalog()
            .recordings(None)
            .await
            .unwrap_or_else(|e| panic!("teardown recordings: {e}"));
        for r in recordings {
            // Purged after an approved request (R20): its absence is the promise kept.
            if app
                .catalog()
                .tombstone(&r.sha256)
                .await
                .unwrap_or_else(|e| panic!("teardown tombstone: {e}"))
                .is_some()
            {
                continue;
            }
            let everywhere = app
                .vault()
                .has_everywhere(r.sha256.as_str(), r.size)
                .unwrap_or_else(|e| panic!("teardown vault: {e}"));
            assert!(
                everywhere,
                "teardown: recording {} is missing from a vault root",
                r.sha256
            );
        }
        app.close().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking()
            || self.tampered.load(Ordering::Relaxed)
            || !self.data_dir().config().exists()
        {
            return;
        }
        // A runtime of its own on a thread of its own: works whether the test was async or not.
        let this: &TestApp = self;
        let outcome = std::thread::scope(|s| {
            s.spawn(|| runtime().block_on(this.assert_promises_kept()))
                .join()
        });
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

/// A body camera to register: `serial`, model DSJ-V9, unit 一大队, keeper 张伟.
pub fn camera(serial: &str) -> crate::registry::NewDevice {
    crate::registry::NewDevice {
        serial: serial.into(),
        kind: "执法记录仪".into(),
        model: "DSJ-V9".into(),
        unit: "一大队".into(),
        keeper: "张伟".into(),
        asset_no: None,
    }
}

/// Fixture media from the media crate (real encoded files).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../zhilu-media/tests/fixtures")
        .join(name)
}

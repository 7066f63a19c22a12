//! X5, R18: a data directory with a local primary root and an S3 replica (a `moto_server` on
//! 127.0.0.1, started by the test; skipped with a notice when moto is not installed, a failure
//! when `CI=true`). Footage offloaded lands in both; fixity re-hashes both and reports a copy
//! deleted from the bucket behind our back; a grant holder's playback reads byte ranges straight
//! from the bucket when no local copy is left; a missing bucket or missing credentials stop
//! `App::open` with a Chinese error. In a bucket with object lock, every stored recording gets
//! COMPLIANCE retention until offload time + the profile's minimum retention, and a legal hold on
//! a recording is an S3 legal hold on its object while any hold covers it.
//!
//! Credentials come from the environment only. A test cannot set its own environment (that is
//! `unsafe`), so each test re-runs itself in a child process with moto's test credentials set.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use zhilu_app::access::{self, Use};
use zhilu_app::integrity::{self, ProblemKind};
use zhilu_app::offload::{self, OffloadRequest, Silent};
use zhilu_app::records;
use zhilu_app::registry::{NewOfficer, add_officer, register_device};
use zhilu_app::setup::S3Settings;
use zhilu_app::testing::{FIXTURE_MP4, FIXTURE_WAV, camera, default_now, fixture};
use zhilu_app::{Actor, App, Config, DataDir, InitOptions, ManualClock, ProfileSource, identity};
use zhilu_store::testing::moto::Moto;

const PROFILE: &str = "lushan-sj";

/// Runs `test` in a child process with S3 credentials in its environment, unless this process
/// already is that child. Returns `true` in the parent (which then has nothing more to do).
fn ran_in_child(test: &str) -> bool {
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        return false;
    }
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .expect("re-run the test");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(out.status.success(), "the test failed in its child process");
    assert!(text.contains("1 passed"), "the child ran the test");
    true
}

fn admin() -> Actor {
    Actor::test("000900")
}

/// A data directory whose replica is `s3://<bucket>/zhilu/replica` on moto.
struct S3Dir {
    dir: tempfile::TempDir,
    moto: Arc<Moto>,
    bucket: String,
    db_url: String,
}

impl S3Dir {
    async fn new(moto: Arc<Moto>, bucket: &str) -> S3Dir {
        let dir = tempfile::tempdir().expect("tmp");
        let db_url = zhilu_store::testing::fresh_database_url(dir.path()).await;
        let cfg = Config {
            vault_roots: vec![
                "vault/primary".into(),
                format!("s3://{bucket}/zhilu/replica").into(),
            ],
            s3: Some(S3Settings {
                endpoint: Some(moto.endpoint()),
                region: "us-east-1".into(),
                allow_http: true,
            }),
            ..Config::default()
        };
        // `init` keeps a zhilu.toml it finds: the operator writes the [vault.s3] table.
        std::fs::write(dir.path().join(Config::FILE), cfg.to_toml()).expect("zhilu.toml");
        S3Dir {
            dir,
            moto,
            bucket: bucket.into(),
            db_url,
        }
    }

    async fn init(&self) -> Result<App, zhilu_app::AppError> {
        App::init(
            DataDir::new(self.dir.path()),
            InitOptions {
                database_url: Some(self.db_url.clone()),
                profile: Some(ProfileSource::Preset(PROFILE.into())),
                ..InitOptions::default()
            },
            Arc::new(ManualClock::new(default_now())),
        )
        .await
    }

    fn key(&self, sha: &str) -> String {
        format!(
            "/{}/zhilu/replica/objects/sha256/{}/{}/{sha}",
            self.bucket,
            &sha[..2],
            &sha[2..4]
        )
    }
}

/// Registers a person and logs them in, as a login session would.
async fn person(app: &App, id: &str, roles: &[&str]) -> Actor {
    let pass = "Initial-Pass-2026";
    identity::add_user(
        app,
        &Actor::test("setup"),
        identity::NewUser {
            id: id.into(),
            name: format!("用户{id}"),
            unit: "一大队".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            password: Some(pass.into()),
            ..Default::default()
        },
    )
    .await
    .expect("add user");
    let first = identity::login(app, id, pass, "127.0.0.1")
        .await
        .expect("login");
    identity::change_password(app, &first.actor, pass, "Strong-Pass-2026")
        .await
        .expect("change password");
    identity::login(app, id, "Strong-Pass-2026", "127.0.0.1")
        .await
        .expect("login")
        .actor
}

async fn offload_fixtures(app: &App, scratch: &Path) -> (String, String) {
    register_device(app, &admin(), camera("DSJ0001"))
        .await
        .expect("device");
    add_officer(
        app,
        &admin(),
        NewOfficer {
            id: "000123".into(),
            name: "周明".into(),
            unit: "一大队".into(),
            role: None,
        },
    )
    .await
    .expect("officer");
    let dev = scratch.join("DSJ0001");
    std::fs::create_dir_all(&dev).expect("device dir");
    for f in [FIXTURE_MP4, FIXTURE_WAV] {
        std::fs::copy(fixture(f), dev.join(f)).expect("copy");
    }
    let report = offload::offload(
        app,
        &admin(),
        &OffloadRequest {
            source: dev,
            device: "DSJ0001".into(),
            officer: "000123".into(),
            station: "CJZ-01".into(),
            device_clock: None,
            clear_device: false,
        },
        &Silent,
    )
    .await
    .expect("offload");
    assert_eq!(report.imported, 2, "{report:#?}");
    let all = offload::recordings(app, &admin(), None)
        .await
        .expect("list");
    let sha = |name: &str| {
        all.iter()
            .find(|r| r.original_name == name)
            .expect("recording")
            .sha256
            .to_string()
    };
    (sha(FIXTURE_MP4), sha(FIXTURE_WAV))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_r18_an_s3_replica_holds_every_recording_and_fixity_catches_a_deleted_copy() {
    if ran_in_child("x5_r18_an_s3_replica_holds_every_recording_and_fixity_catches_a_deleted_copy")
    {
        return;
    }
    let Some(moto) = Moto::shared() else { return };
    moto.create_bucket("evidence-fixity", None);
    let d = S3Dir::new(moto, "evidence-fixity").await;
    let app = d.init().await.expect("init");
    let scratch = tempfile::tempdir().expect("scratch");
    let (mp4, wav) = offload_fixtures(&app, scratch.path()).await;
    for sha in [&mp4, &wav] {
        let a = d.moto.request("HEAD", &d.key(sha), &[], b"").expect("head");
        assert_eq!(a.status, 200, "the replica is in the bucket");
    }
    let report = integrity::fixity(&app, &admin(), false)
        .await
        .expect("fixity");
    assert_eq!(report.copies_checked, 4, "{report:#?}");
    assert!(report.problems.is_empty(), "{report:#?}");
    assert!(report.orphans.is_empty(), "{report:#?}");
    // Deleted from the bucket behind our back.
    let gone = d
        .moto
        .request("DELETE", &d.key(&wav), &[], b"")
        .expect("delete");
    assert_eq!(gone.status, 204);
    let report = integrity::fixity(&app, &admin(), false)
        .await
        .expect("fixity");
    assert_eq!(report.problems.len(), 1, "{report:#?}");
    let p = &report.problems[0];
    assert_eq!(p.sha256.as_str(), wav);
    assert_eq!(p.problem, ProblemKind::Missing);
    assert!(
        p.root.starts_with("s3://evidence-fixity/zhilu/replica"),
        "{}",
        p.root
    );
    // Repair copies it back from the local primary, through the same write-once path.
    let repaired = integrity::fixity(&app, &admin(), true)
        .await
        .expect("repair");
    assert!(repaired.problems[0].repaired, "{repaired:#?}");
    let report = integrity::fixity(&app, &admin(), false)
        .await
        .expect("fixity");
    assert!(report.problems.is_empty(), "{report:#?}");
    let v = integrity::verify(&app, &admin()).await.expect("verify");
    assert!(v.problems.is_empty(), "{v:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_r23_playback_reads_ranges_straight_from_the_bucket_when_no_local_copy_is_left() {
    if ran_in_child(
        "x5_r23_playback_reads_ranges_straight_from_the_bucket_when_no_local_copy_is_left",
    ) {
        return;
    }
    let Some(moto) = Moto::shared() else { return };
    moto.create_bucket("evidence-playback", None);
    let d = S3Dir::new(moto, "evidence-playback").await;
    let app = d.init().await.expect("init");
    let scratch = tempfile::tempdir().expect("scratch");
    let (mp4, _) = offload_fixtures(&app, scratch.path()).await;
    let viewer = person(&app, "V1", &["officer"]).await;
    let ar = access::request_access(
        &app,
        &viewer,
        access::AccessAsk {
            recordings: vec![mp4.clone()],
            kind: Some("view".into()),
            reason: "复核".into(),
            ..Default::default()
        },
    )
    .await
    .expect("access request");
    let chain = app
        .profile()
        .await
        .expect("profile")
        .access
        .approvers
        .clone();
    for (i, role) in chain.iter().enumerate() {
        let a = person(&app, &format!("A{i}"), &[role.get_ref().as_str()]).await;
        access::approve(&app, &a, ar.id.as_str(), None)
            .await
            .expect("approve");
    }
    let granted = access::authorize(&app, &viewer, &mp4, Use::Stream)
        .await
        .expect("granted");
    let original = std::fs::read(fixture(FIXTURE_MP4)).expect("fixture");
    // The local primary's disk is gone: only the bucket holds the recording.
    std::fs::remove_dir_all(d.dir.path().join("vault/primary/objects")).expect("lose primary");
    let remote = access::open_remote(&app, &granted).await.expect("from S3");
    assert_eq!(remote.len, original.len() as u64);
    assert!(
        remote.root.name().starts_with("s3://"),
        "{}",
        remote.root.name()
    );
    let n = original.len() as u64;
    let r = tokio::task::spawn_blocking(move || {
        (
            remote.read_range(0, 64).expect("head"),
            remote.read_range(n / 2, 1000).expect("middle"),
            remote.read_range(n - 10, 100).expect("tail"),
        )
    })
    .await
    .expect("join");
    let mid = usize::try_from(n / 2).expect("size");
    assert_eq!(r.0, original[..64]);
    assert_eq!(r.1, original[mid..mid + 1000]);
    assert_eq!(r.2, original[original.len() - 10..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_r18_a_missing_bucket_stops_init_and_nothing_is_created() {
    if ran_in_child("x5_r18_a_missing_bucket_stops_init_and_nothing_is_created") {
        return;
    }
    let Some(moto) = Moto::shared() else { return };
    let d = S3Dir::new(moto, "never-created").await;
    let e = d.init().await.expect_err("missing bucket refused");
    let msg = e.to_string();
    assert!(
        msg.contains("对象存储") || msg.contains("存储位置"),
        "{msg}"
    );
    let list = d.moto.request("GET", "/", &[], b"").expect("buckets");
    assert!(
        !String::from_utf8_lossy(&list.body).contains("never-created"),
        "no bucket made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_without_credentials_in_the_environment_an_s3_root_is_refused_in_chinese() {
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        // Credentials are set for this process (a child of another test, or the operator's):
        // what this test checks cannot happen here.
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let db_url = zhilu_store::testing::fresh_database_url(dir.path()).await;
    let cfg = Config {
        vault_roots: vec!["vault/primary".into(), "s3://evidence-2026/replica".into()],
        ..Config::default()
    };
    std::fs::write(dir.path().join(Config::FILE), cfg.to_toml()).expect("zhilu.toml");
    let e = App::init(
        DataDir::new(dir.path()),
        InitOptions {
            database_url: Some(db_url),
            ..InitOptions::default()
        },
        Arc::new(ManualClock::new(default_now())),
    )
    .await
    .expect_err("no credentials");
    let msg = e.to_string();
    assert!(msg.contains("AWS_ACCESS_KEY_ID"), "{msg}");
    assert!(msg.contains("不写入 zhilu.toml"), "{msg}");
}

impl S3Dir {
    /// `(mode, retain-until, legal hold)` of the S3 copy, as the bucket reports it on HEAD.
    fn lock_of(&self, sha: &str) -> (Option<String>, Option<String>, Option<String>) {
        let a = self
            .moto
            .request("HEAD", &self.key(sha), &[], b"")
            .expect("head");
        assert_eq!(a.status, 200, "the replica is in the bucket");
        let h = |n: &str| a.header(n).map(str::to_string);
        (
            h("x-amz-object-lock-mode"),
            h("x-amz-object-lock-retain-until-date"),
            h("x-amz-object-lock-legal-hold"),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_object_lock_compliance_retention_set_on_store() {
    if ran_in_child("x5_object_lock_compliance_retention_set_on_store") {
        return;
    }
    let Some(moto) = Moto::shared() else { return };
    moto.create_lock_bucket_without_default("evidence-locked");
    let d = S3Dir::new(moto, "evidence-locked").await;
    let app = d.init().await.expect("init");
    let scratch = tempfile::tempdir().expect("scratch");
    let (mp4, wav) = offload_fixtures(&app, scratch.path()).await;
    let months = *app
        .profile()
        .await
        .expect("profile")
        .retention
        .minimum_months
        .get_ref();
    assert_eq!(months, 24, "lushan-sj keeps footage 24 months");
    for sha in [&mp4, &wav] {
        let rec = offload::recordings(&app, &admin(), None)
            .await
            .expect("list")
            .into_iter()
            .find(|r| &r.sha256.to_string() == sha)
            .expect("recording");
        // Offloaded at 2026-11-20 12:00 UTC (20:00 in Beijing): + 24 months.
        assert_eq!(rec.offloaded_at, default_now());
        let (mode, until, hold) = d.lock_of(sha);
        assert_eq!(mode.as_deref(), Some("COMPLIANCE"));
        let until = chrono::DateTime::parse_from_rfc3339(&until.expect("retain-until"))
            .expect("date")
            .with_timezone(&chrono::Utc);
        let expected = rec
            .offloaded_at
            .checked_add_months(chrono::Months::new(24))
            .expect("date");
        assert_eq!(until, expected);
        assert_eq!(until.to_rfc3339(), "2028-11-20T12:00:00+00:00");
        assert_ne!(hold.as_deref(), Some("ON"), "no legal hold placed");
    }
    // The local primary has no lock; fixity still passes on both copies.
    let report = integrity::fixity(&app, &admin(), false)
        .await
        .expect("fixity");
    assert_eq!(report.copies_checked, 4, "{report:#?}");
    assert!(report.problems.is_empty(), "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_legal_hold_follows_record_hold() {
    if ran_in_child("x5_legal_hold_follows_record_hold") {
        return;
    }
    let Some(moto) = Moto::shared() else { return };
    moto.create_lock_bucket_without_default("evidence-held");
    let d = S3Dir::new(moto, "evidence-held").await;
    let app = d.init().await.expect("init");
    let scratch = tempfile::tempdir().expect("scratch");
    let (mp4, wav) = offload_fixtures(&app, scratch.path()).await;
    assert_eq!(d.lock_of(&mp4).2, None, "no legal hold before a hold");
    let first = records::place_hold(&app, &admin(), &mp4, "行政复议期间保全")
        .await
        .expect("hold");
    assert_eq!(d.lock_of(&mp4).2.as_deref(), Some("ON"));
    assert_ne!(
        d.lock_of(&wav).2.as_deref(),
        Some("ON"),
        "only the held one"
    );
    let second = records::place_hold(&app, &admin(), &mp4, "诉讼")
        .await
        .expect("second hold");
    // Releasing one of two holds leaves the recording held: the S3 hold stays ON.
    records::release_hold(&app, &admin(), first.id.as_str())
        .await
        .expect("release first");
    assert_eq!(d.lock_of(&mp4).2.as_deref(), Some("ON"));
    records::release_hold(&app, &admin(), second.id.as_str())
        .await
        .expect("release second");
    assert_eq!(d.lock_of(&mp4).2.as_deref(), Some("OFF"));
    // The sync use case (the retry after a failure) agrees with the catalog.
    assert!(
        !records::sync_storage_hold(&app, &admin(), &mp4)
            .await
            .expect("sync")
    );
    assert_eq!(d.lock_of(&mp4).2.as_deref(), Some("OFF"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_a_legal_hold_the_bucket_refuses_is_reported_and_the_hold_stands() {
    if ran_in_child("x5_a_legal_hold_the_bucket_refuses_is_reported_and_the_hold_stands") {
        return;
    }
    let Some(moto) = Moto::shared() else { return };
    moto.create_lock_bucket_without_default("evidence-refusing");
    let d = S3Dir::new(moto, "evidence-refusing").await;
    let app = d.init().await.expect("init");
    let scratch = tempfile::tempdir().expect("scratch");
    let (mp4, _) = offload_fixtures(&app, scratch.path()).await;
    // The S3 copy is hidden behind a delete marker (someone with bucket access): S3 refuses a
    // legal hold on it.
    let marked = d
        .moto
        .request("DELETE", &d.key(&mp4), &[], b"")
        .expect("delete");
    assert_eq!(marked.status, 204);
    let e = records::place_hold(&app, &admin(), &mp4, "诉讼")
        .await
        .expect_err("reported");
    let msg = e.to_string();
    assert!(
        msg.contains("已记录") && msg.contains("S3 合法保留"),
        "{msg}"
    );
    // The hold stands in the catalog (the authority), ledgered.
    let active = app.catalog().active_holds().await.expect("holds");
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].sha256.as_str(), mp4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_r18_a_repaired_copy_in_a_locked_bucket_is_locked_and_held_like_the_first() {
    if ran_in_child("x5_r18_a_repaired_copy_in_a_locked_bucket_is_locked_and_held_like_the_first") {
        return;
    }
    let Some(moto) = Moto::shared() else { return };
    moto.create_lock_bucket_without_default("evidence-repaired");
    let d = S3Dir::new(moto, "evidence-repaired").await;
    let app = d.init().await.expect("init");
    let scratch = tempfile::tempdir().expect("scratch");
    let (mp4, wav) = offload_fixtures(&app, scratch.path()).await;
    records::place_hold(&app, &admin(), &mp4, "诉讼")
        .await
        .expect("hold");
    // Someone with bucket access hides both S3 copies behind delete markers (the locked versions
    // stay, but the vault no longer finds them).
    for sha in [&mp4, &wav] {
        let marked = d
            .moto
            .request("DELETE", &d.key(sha), &[], b"")
            .expect("delete");
        assert_eq!(marked.status, 204);
        let head = d.moto.request("HEAD", &d.key(sha), &[], b"").expect("head");
        assert_eq!(head.status, 404, "hidden: the vault no longer finds it");
    }
    let repaired = integrity::fixity(&app, &admin(), true)
        .await
        .expect("repair");
    assert_eq!(repaired.problems.len(), 2, "{repaired:#?}");
    assert!(
        repaired.problems.iter().all(|p| p.repaired),
        "{repaired:#?}"
    );
    // The new copies are locked as an offloaded copy is: COMPLIANCE until the recording's offload
    // time + 24 months (not the repair time), and the held one under the S3 legal hold.
    let expected = default_now()
        .checked_add_months(chrono::Months::new(24))
        .expect("date");
    for (sha, held) in [(&mp4, true), (&wav, false)] {
        let (mode, until, hold) = d.lock_of(sha);
        assert_eq!(mode.as_deref(), Some("COMPLIANCE"), "{sha}");
        let until = chrono::DateTime::parse_from_rfc3339(&until.expect("retain-until"))
            .expect("date")
            .with_timezone(&chrono::Utc);
        assert_eq!(until, expected, "{sha}");
        assert_eq!(hold.as_deref() == Some("ON"), held, "{sha}: {hold:?}");
    }
    let report = integrity::fixity(&app, &admin(), false)
        .await
        .expect("fixity");
    assert!(report.problems.is_empty(), "{report:#?}");
}

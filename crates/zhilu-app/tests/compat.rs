//! X1 across releases: a data directory written by the first release (before the capability
//! layout, `fixtures/v1-data`, see `fixtures/README.md`) opens with today's code — its catalog is
//! migrated — and verifies with nothing to report: every row's state is byte-for-byte the state
//! its ledger entry recorded, so the hashed format did not move.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zhilu_app::compliance::{CheckScope, check};
use zhilu_app::integrity::{fixity, verify};
use zhilu_app::{App, DataDir, SystemClock};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// A fresh copy of the first release's data directory (its catalog is upgraded on first open),
/// and the system clock: the first release had no replay mode, so its directories are real ones,
/// and a replayed "now" is refused there.
fn v1_copy() -> (tempfile::TempDir, PathBuf, Arc<SystemClock>) {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-data"),
        &data,
    );
    // Git keeps no empty folder: put back the roots' empty `tmp/` and `quarantine/`.
    for root in ["primary", "replica"] {
        for sub in ["tmp", "quarantine"] {
            std::fs::create_dir_all(data.join("vault").join(root).join(sub)).expect("mkdir");
        }
    }
    (tmp, data, Arc::new(SystemClock))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_a_data_directory_written_by_the_first_release_still_verifies() {
    if zhilu_store::testing::postgres() {
        return; // the witness is a SQLite data directory; the catalog suite covers PostgreSQL
    }
    let (_tmp, data, clock) = v1_copy();
    let app = App::open(DataDir::new(&data), clock, None)
        .await
        .expect("the old directory opens (and its catalog is migrated)");
    let auditor = zhilu_app::Actor::test("auditor");
    let r = verify(&app, &auditor).await.expect("verify");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
    assert_eq!(r.entries, 59);
    assert_eq!(
        r.root, "968127d408ab7e17eb8740c254c1ebed2707397e9cd65ff3b2b4a7f6e49fcd32",
        "the root the first release signed"
    );
    assert_eq!(r.rows_checked, 46, "every table's rows");
    // The profile in force and the loaded calendar year come from the ledger, not from files.
    assert_eq!(app.profile().await.expect("profile").id(), "zhejiang-rf");
    assert!(
        app.calendar()
            .await
            .expect("calendar")
            .years()
            .contains(&2027)
    );
    // The first release's check found exactly one thing on this directory; so does this one.
    // (The period ends when the first release wrote it, so the real date of the run cannot
    // change what is due.)
    let written = chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00+08:00")
        .expect("time")
        .to_utc();
    let scope = CheckScope {
        to: Some(written),
        ..CheckScope::default()
    };
    let found = check(&app, &auditor, &scope).await.expect("check");
    let codes: Vec<_> = found.iter().map(|f| (f.rule, f.code)).collect();
    assert_eq!(
        codes,
        vec![("R11", "gap_not_stated_by_voice")],
        "{found:#?}"
    );
    let f = fixity(&app, &auditor, false).await.expect("fixity");
    assert_eq!((f.objects, f.unrepaired()), (5, 0));
    // Today's code goes on writing there: the head the first release signed is its own key's,
    // so the next commit signs over it (entries of version 2 follow version 1).
    zhilu_app::registry::register_device(&app, &auditor, zhilu_app::testing::camera("DSJ-NEW"))
        .await
        .expect("an upgraded directory is written to");
    let r = verify(&app, &auditor).await.expect("verify");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
    assert_eq!((r.entries, r.signed_entries), (61, 61));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn x5_several_programs_opening_an_old_directory_at_once_upgrade_it_once() {
    if zhilu_store::testing::postgres() {
        return; // sqlx's migrator locks PostgreSQL itself
    }
    let (_tmp, data, clock) = v1_copy();
    // A server and several CLI commands started together after an upgrade of the program.
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let (data, clock) = (data.clone(), clock.clone());
            tokio::spawn(async move { App::open(DataDir::new(&data), clock, None).await })
        })
        .collect();
    let mut apps = Vec::new();
    for o in opens {
        apps.push(o.await.expect("task").expect("every open succeeds"));
    }
    let r = verify(&apps[0], &zhilu_app::Actor::system("auditor"))
        .await
        .expect("verify");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
    for a in apps {
        a.close().await;
    }
}

//! X1: the audit ledger detects every edit, insert or delete made directly in the database.

mod common;

use common::TestApp;
use zhilu_ledger as ledger;

async fn exec(t: &TestApp, sql: &'static str) -> u64 {
    let mut c = t.raw().await;
    sqlx::query(sql)
        .execute(&mut c)
        .await
        .expect(sql)
        .rows_affected()
}

async fn app_with_devices() -> TestApp {
    let t = TestApp::new().await;
    t.register("DSJ-1").await;
    t.register("DSJ-2").await;
    t.app
        .device_event("test", "DSJ-2", "维修", "屏幕损坏送修", None, None)
        .await
        .expect("event");
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_verify_passes_on_an_untouched_ledger() {
    let t = app_with_devices().await;
    let r = t.app.verify().await.expect("verify");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    // init + 2×(register + event) + (update + event)
    assert_eq!(r.entries, 7);
    assert_eq!(r.checkpoint_size, Some(7));
    assert!(r.rows_checked >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_row_altered_in_the_database_is_detected_and_named() {
    let t = app_with_devices().await;
    assert_eq!(
        exec(
            &t,
            "UPDATE devices SET keeper = '李四' WHERE serial = 'DSJ-1'"
        )
        .await,
        1
    );
    let r = t.app.verify().await.expect("verify");
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    let p = &r.problems[0];
    assert_eq!(p.subject.as_deref(), Some("device:DSJ-1"));
    assert!(p.message.contains("keeper"), "{}", p.message);
    assert_eq!(p.entry, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_row_deleted_in_the_database_is_detected() {
    let t = app_with_devices().await;
    assert_eq!(
        exec(&t, "DELETE FROM device_events WHERE event = '维修'").await,
        1
    );
    let r = t.app.verify().await.expect("verify");
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert!(
        r.problems[0]
            .subject
            .as_deref()
            .unwrap_or("")
            .starts_with("device_event:")
    );
    assert!(r.problems[0].message.contains("删除"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_row_inserted_behind_the_ledger_is_detected() {
    let t = app_with_devices().await;
    exec(
        &t,
        "INSERT INTO stations (id, first_seen, ledger_seq) VALUES ('FAKE', 0, 3)",
    )
    .await;
    let r = t.app.verify().await.expect("verify");
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.problems[0].subject.as_deref(), Some("station:FAKE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_ledger_entry_edited_is_detected_and_named() {
    let t = app_with_devices().await;
    exec(
        &t,
        "UPDATE ledger_entries SET body = REPLACE(body, '屏幕损坏送修', '正常') WHERE seq = 6",
    )
    .await;
    let r = t.app.verify().await.expect("verify");
    assert!(
        r.problems
            .iter()
            .any(|p| p.entry == Some(6) && p.message.contains("叶哈希")),
        "{:?}",
        r.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_consistent_rewrite_of_entry_leaf_and_nodes_is_caught_by_the_signed_checkpoint() {
    let t = app_with_devices().await;
    // An attacker who rewrites an entry *and* recomputes its leaf hash, the stored tree nodes and
    // the head still cannot forge the signature on the checkpoint.
    let mut c = t.raw().await;
    let body: String = sqlx::query_scalar("SELECT body FROM ledger_entries WHERE seq = 2")
        .fetch_one(&mut c)
        .await
        .expect("body");
    let forged = body.replace("张伟", "王五");
    assert_ne!(forged, body);
    let alg = t.app.catalog().hash_alg();
    let leaf = alg.leaf_hash(forged.as_bytes());
    sqlx::query("UPDATE ledger_entries SET body = $1, leaf_hash = $2 WHERE seq = 2")
        .bind(&forged)
        .bind(hex::encode(leaf))
        .execute(&mut c)
        .await
        .expect("forge");
    let leaves: Vec<String> =
        sqlx::query_scalar("SELECT leaf_hash FROM ledger_entries ORDER BY seq")
            .fetch_all(&mut c)
            .await
            .expect("leaves");
    let mut nodes = std::collections::HashMap::new();
    for (i, l) in leaves.iter().enumerate() {
        let mut h = [0u8; 32];
        hex::decode_to_slice(l, &mut h).expect("hex");
        for (id, n) in ledger::append(alg, i as u64, h, &nodes).expect("append") {
            nodes.insert(id, n);
        }
    }
    let root = ledger::root(alg, leaves.len() as u64, &nodes).expect("root");
    sqlx::query("DELETE FROM ledger_nodes")
        .execute(&mut c)
        .await
        .expect("nodes");
    for (id, h) in &nodes {
        sqlx::query("INSERT INTO ledger_nodes (level, idx, hash) VALUES ($1, $2, $3)")
            .bind(i64::from(id.level))
            .bind(id.index as i64)
            .bind(hex::encode(h))
            .execute(&mut c)
            .await
            .expect("node");
    }
    sqlx::query("UPDATE ledger_head SET root = $1")
        .bind(hex::encode(root))
        .execute(&mut c)
        .await
        .expect("head");
    let r = t.app.verify().await.expect("verify");
    assert!(
        r.problems
            .iter()
            .any(|p| p.entry == Some(2) && p.message.contains("签名")),
        "{:?}",
        r.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_truncated_ledger_is_detected() {
    let t = app_with_devices().await;
    exec(&t, "DELETE FROM ledger_entries WHERE seq = 6").await;
    exec(&t, "DELETE FROM ledger_checkpoints WHERE size = 7").await;
    let r = t.app.verify().await.expect("verify");
    assert!(
        r.problems.iter().any(|p| p.message.contains("截断")),
        "{:?}",
        r.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_inclusion_and_consistency_proofs_from_the_catalog_verify_against_signed_checkpoints() {
    let t = app_with_devices().await;
    let (size, root) = t.app.catalog().ledger_head().await.expect("head");
    let alg = t.app.catalog().hash_alg();
    let entries = t
        .app
        .catalog()
        .ledger_entries(0, size)
        .await
        .expect("entries");
    for e in &entries {
        let i = e.seq as u64;
        let proof = t
            .app
            .catalog()
            .inclusion_proof(i, size)
            .await
            .expect("proof");
        ledger::verify_inclusion(
            alg,
            &alg.leaf_hash(e.body.as_bytes()),
            i,
            size,
            &proof,
            &root,
        )
        .expect("inclusion");
    }
    for old in 1..size {
        let old_root = t.app.catalog().root_at(old).await.expect("old root");
        let proof = t
            .app
            .catalog()
            .consistency_proof(old, size)
            .await
            .expect("proof");
        ledger::verify_consistency(alg, old, size, &old_root, &root, &proof).expect("consistency");
    }
}

#[test]
fn x1_entry_body_bytes_are_pinned() {
    let body = zhilu_store::entry_body(
        7,
        1_763_640_000_000_000,
        "officer-1",
        "device.registered",
        "device:DSJ-1",
        serde_json::json!({"serial": "DSJ-1", "keeper": "张伟"}),
    );
    assert_eq!(
        body,
        r#"{"v":1,"seq":7,"at":1763640000000000,"actor":"officer-1","kind":"device.registered","subject":"device:DSJ-1","state":{"keeper":"张伟","serial":"DSJ-1"}}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_embedded_sqlite_catalog_runs_in_wal_mode_with_full_sync() {
    if zhilu_store::testing::postgres() {
        return; // this property is SQLite's; the PostgreSQL run checks the same behaviour elsewhere
    }
    let t = TestApp::new().await;
    t.register("DSJ-1").await;
    let mut c = t.raw().await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut c)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
}

/// X1 for the domain tables (issue #3): an officer's role raised, or an approval deleted, in the
/// database behind the program's back is found and named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_domain_rows_altered_or_deleted_behind_the_ledger_are_detected() {
    let t = TestApp::new().await;
    t.app
        .apply_profile(zhilu_app::preset_text("jinpu-wj").expect("preset"), "test")
        .await
        .expect("profile");
    t.app
        .add_officer("000101", "王强", "监督一科", None)
        .await
        .expect("officer");
    t.app
        .add_officer("000900", "陈局", "局领导", Some("agency_head"))
        .await
        .expect("officer");
    let r = t.app.verify().await.expect("verify");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        exec(
            &t,
            "UPDATE officers SET role = 'agency_head' WHERE id = '000101'"
        )
        .await,
        1
    );
    assert_eq!(
        exec(&t, "DELETE FROM officers WHERE id = '000900'").await,
        1
    );
    let r = t.app.verify().await.expect("verify");
    let subjects: Vec<_> = r
        .problems
        .iter()
        .filter_map(|p| p.subject.clone())
        .collect();
    assert!(
        subjects.contains(&"officer:000101".to_string()),
        "{:?}",
        r.problems
    );
    assert!(
        subjects.contains(&"officer:000900".to_string()),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.message.contains("role")),
        "{:?}",
        r.problems
    );
}

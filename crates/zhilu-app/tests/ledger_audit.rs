//! X1: the audit ledger detects every edit, insert or delete made directly in the database — by an
//! administrator with a database shell, not through the program.

use zhilu_app::Actor;
use zhilu_app::integrity::verify;
use zhilu_app::registry::{NewDevice, NewOfficer, add_officer, device_event, register_device};
use zhilu_app::testing::TestApp;
use zhilu_ledger as ledger;

/// A connection to the catalog that goes around the program, as an attacker's would.
enum Raw {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Raw {
    async fn open(t: &TestApp) -> Raw {
        use sqlx::Connection;
        let url = t.raw_url();
        if url.starts_with("sqlite:") {
            Raw::Sqlite(
                sqlx::SqliteConnection::connect(url)
                    .await
                    .expect("raw sqlite"),
            )
        } else {
            Raw::Postgres(
                sqlx::PgConnection::connect(url)
                    .await
                    .expect("raw postgres"),
            )
        }
    }

    /// Runs a statement with text parameters; rows changed.
    async fn exec(&mut self, sql: &str, binds: &[&str]) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Raw::Sqlite(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(b.to_string());
                }
                q.execute(c).await.expect("exec").rows_affected()
            }
            Raw::Postgres(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(b.to_string());
                }
                q.execute(c).await.expect("exec").rows_affected()
            }
        }
    }

    /// The first column of every row, as text.
    async fn strings(&mut self, sql: &str) -> Vec<String> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Raw::Sqlite(c) => sqlx::query_scalar(sql).fetch_all(c).await.expect("query"),
            Raw::Postgres(c) => sqlx::query_scalar(sql).fetch_all(c).await.expect("query"),
        }
    }
}

/// What an attacker with the database (and no key) can do after changing entries: recompute every
/// entry's tree nodes from the stored leaf hashes. Returns the new root.
async fn rebuild_tree(c: &mut Raw, alg: ledger::HashAlg) -> ledger::Hash {
    let leaves = c
        .strings("SELECT leaf_hash FROM ledger_entries ORDER BY seq")
        .await;
    let mut nodes = std::collections::HashMap::new();
    for (i, l) in leaves.iter().enumerate() {
        let mut h = [0u8; 32];
        hex::decode_to_slice(l, &mut h).expect("hex");
        let mut above = String::new();
        for (id, n) in ledger::append(alg, i as u64, h, &nodes).expect("append") {
            if id.level > 0 {
                above.push_str(&hex::encode(n));
            }
            nodes.insert(id, n);
        }
        c.exec(
            &format!("UPDATE ledger_entries SET nodes = $1 WHERE seq = {i}"),
            &[&above],
        )
        .await;
    }
    ledger::root(alg, leaves.len() as u64, &nodes).expect("root")
}

async fn exec(t: &TestApp, sql: &str) -> u64 {
    t.tampered();
    Raw::open(t).await.exec(sql, &[]).await
}

async fn register(t: &TestApp, serial: &str) {
    register_device(
        t.app(),
        &Actor::test("test"),
        NewDevice {
            serial: serial.into(),
            kind: "执法记录仪".into(),
            model: "DSJ-T1".into(),
            unit: "一大队".into(),
            keeper: "张伟".into(),
            asset_no: None,
        },
    )
    .await
    .expect("register");
}

async fn app_with_devices() -> TestApp {
    let t = TestApp::new().await;
    register(&t, "DSJ-1").await;
    register(&t, "DSJ-2").await;
    device_event(
        t.app(),
        &Actor::test("test"),
        "DSJ-2",
        "维修",
        "屏幕损坏送修",
        None,
        None,
    )
    .await
    .expect("event");
    // The checkpoint file (written in the background) holds the head before anyone tampers.
    t.app().settle().await;
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_verify_passes_on_an_untouched_ledger() {
    let t = app_with_devices().await;
    t.app().settle().await;
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
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
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
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
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
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
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.problems[0].subject.as_deref(), Some("station:FAKE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_row_claiming_an_entry_past_the_head_is_detected() {
    // Rows past the verified head are taken as written during the run and confirmed against their
    // own entries; one that names an entry that does not exist is still found.
    let t = app_with_devices().await;
    exec(
        &t,
        "INSERT INTO stations (id, first_seen, ledger_seq) VALUES ('FUTURE', 0, 999)",
    )
    .await;
    exec(
        &t,
        "UPDATE devices SET keeper = '王五', ledger_seq = 50 WHERE serial = 'DSJ-1'",
    )
    .await;
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
    let mut subjects: Vec<&str> = r
        .problems
        .iter()
        .filter_map(|p| p.subject.as_deref())
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        ["device:DSJ-1", "station:FUTURE"],
        "{:?}",
        r.problems
    );
    assert!(
        r.problems
            .iter()
            .all(|p| p.message.contains("第 999 条") || p.message.contains("第 50 条")),
        "{:?}",
        r.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_ledger_entry_edited_is_detected_and_named() {
    let t = app_with_devices().await;
    exec(
        &t,
        "UPDATE ledger_entries SET body = REPLACE(body, '屏幕损坏送修', '正常') WHERE seq = 6",
    )
    .await;
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
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
    t.tampered();
    let mut c = Raw::open(&t).await;
    let body = c
        .strings("SELECT body FROM ledger_entries WHERE seq = 2")
        .await
        .remove(0);
    let forged = body.replace("张伟", "王五");
    assert_ne!(forged, body);
    let alg = t.app().catalog().hash_alg();
    let leaf = alg.leaf_hash(forged.as_bytes());
    c.exec(
        "UPDATE ledger_entries SET body = $1, leaf_hash = $2 WHERE seq = 2",
        &[&forged, &hex::encode(leaf)],
    )
    .await;
    rebuild_tree(&mut c, alg).await;
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
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
    // The last entry, with its commit's checkpoint.
    exec(&t, "DELETE FROM ledger_entries WHERE seq = 6").await;
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
    assert!(
        r.problems.iter().any(|p| p.message.contains("截断")),
        "{:?}",
        r.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_inclusion_and_consistency_proofs_from_the_catalog_verify_against_signed_checkpoints() {
    let t = app_with_devices().await;
    let (size, root) = t.app().catalog().ledger_head().await.expect("head");
    let alg = t.app().catalog().hash_alg();
    let entries = t
        .app()
        .catalog()
        .ledger_entries(0, size)
        .await
        .expect("entries");
    for e in &entries {
        let i = e.seq;
        let proof = t
            .app()
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
        let old_root = t.app().catalog().root_at(old).await.expect("old root");
        let proof = t
            .app()
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
        1_763_640_002_000_000,
        "officer-1",
        "device.registered",
        "device:DSJ-1",
        &serde_json::json!({"serial": "DSJ-1", "keeper": "张伟"}),
    );
    assert_eq!(
        body,
        r#"{"v":2,"seq":7,"at":1763640000000000,"real_at":1763640002000000,"actor":"officer-1","kind":"device.registered","subject":"device:DSJ-1","state":{"keeper":"张伟","serial":"DSJ-1"}}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_embedded_sqlite_catalog_runs_in_wal_mode_with_full_sync() {
    if zhilu_store::testing::postgres() {
        return; // this property is SQLite's; the PostgreSQL run checks the same behaviour elsewhere
    }
    let t = TestApp::new().await;
    register(&t, "DSJ-1").await;
    let mode = Raw::open(&t).await.strings("PRAGMA journal_mode").await;
    assert_eq!(mode, vec!["wal".to_string()]);
}

/// X1 for the domain tables (issue #3): an officer's role raised, or an approval deleted, in the
/// database behind the program's back is found and named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_domain_rows_altered_or_deleted_behind_the_ledger_are_detected() {
    let t = TestApp::with_profile("jinpu-wj").await;
    for (id, name, unit, role) in [
        ("000101", "王强", "监督一科", None),
        ("000900", "陈局", "局领导", Some("agency_head")),
    ] {
        add_officer(
            t.app(),
            &Actor::test("test"),
            NewOfficer {
                id: id.into(),
                name: name.into(),
                unit: unit.into(),
                role: role.map(str::to_string),
            },
        )
        .await
        .expect("officer");
    }
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        exec(
            &t,
            "UPDATE officers SET role = 'agency_head' WHERE id = '000101'"
        )
        .await,
        1
    );
    // Since issue 11 a person's roles live on their account too: raising them there is the
    // same attack, and deleting the person means deleting the account first.
    assert_eq!(
        exec(
            &t,
            "UPDATE accounts SET roles = '[\"agency_head\"]' WHERE id = '000101'"
        )
        .await,
        1
    );
    assert_eq!(
        exec(&t, "DELETE FROM accounts WHERE id = '000900'").await,
        1
    );
    assert_eq!(
        exec(&t, "DELETE FROM officers WHERE id = '000900'").await,
        1
    );
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
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
    for s in ["account:000101", "account:000900"] {
        assert!(subjects.contains(&s.to_string()), "{s}: {:?}", r.problems);
    }
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

/// X1: a catalog shorter than the checkpoint signed beside it — rolled back from a backup, or
/// another directory's catalog given by a wrong URL — can be read and verified, never written:
/// a second ledger must not grow beside the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_a_rolled_back_or_foreign_catalog_is_read_but_never_written() {
    let t = app_with_devices().await;
    t.app().settle().await;
    std::fs::create_dir_all(t.scratch().join("elsewhere")).expect("mkdir");
    let other = zhilu_store::testing::fresh_database_url(&t.scratch().join("elsewhere")).await;
    let foreign = zhilu_app::App::open(
        t.data_dir(),
        std::sync::Arc::new(zhilu_app::SystemClock),
        Some(other),
    )
    .await
    .expect("opens for reading");
    assert_eq!(foreign.catalog_behind(), Some((0, 7)));
    let refused = register_device(
        &foreign,
        &Actor::test("test"),
        NewDevice {
            serial: "DSJ-9".into(),
            kind: "执法记录仪".into(),
            model: "M".into(),
            unit: "U".into(),
            keeper: "K".into(),
            asset_no: None,
        },
    )
    .await
    .expect_err("refused");
    assert_eq!(refused.code(), "catalog_behind", "{refused}");
    let r = verify(&foreign, &Actor::test("test"))
        .await
        .expect("verify reads");
    assert!(
        r.problems.iter().any(|p| p.message.contains("截断")),
        "{:?}",
        r.problems
    );
    foreign.close().await;
    assert_eq!(
        t.app().catalog_behind(),
        None,
        "the directory's own catalog is whole"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_a_change_committed_is_reported_done_even_if_the_checkpoint_file_cannot_be_written() {
    let t = app_with_devices().await;
    let path = t.data_dir().checkpoint();
    // The file cannot be replaced while a directory stands in its place.
    std::fs::remove_file(&path).expect("remove");
    std::fs::create_dir(&path).expect("dir");
    register(&t, "DSJ-3").await;
    t.app().settle().await;
    let (size, _) = zhilu_app::integrity::head(t.app(), &Actor::test("test"))
        .await
        .expect("head");
    assert_eq!(size, 9, "the device was registered and is in the ledger");
    std::fs::remove_dir(&path).expect("rmdir");
    register(&t, "DSJ-4").await;
    t.app().settle().await;
    let note = std::fs::read_to_string(&path).expect("the next commit writes the file again");
    let cp = zhilu_ledger::verify_checkpoint(&note, t.app().verifying_key()).expect("signed");
    assert_eq!(cp.size, 11);
}

/// X1 (issue #10): an insider with the database but not the key appends entries after the last
/// signed checkpoint and recomputes leaf, nodes and head. `verify` names every unsigned entry, and
/// the next legitimate write refuses to sign over them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_entries_appended_after_the_last_signature_are_named_and_never_signed_over() {
    let t = app_with_devices().await;
    t.tampered();
    let mut c = Raw::open(&t).await;
    let alg = t.app().catalog().hash_alg();
    for seq in [7u64, 8] {
        let subject = format!("device:FAKE-{seq}");
        let body = zhilu_store::entry_body(
            seq,
            1_763_640_000_000_000,
            1_763_640_000_000_000,
            "admin",
            "device.registered",
            &subject,
            &serde_json::json!({"serial": format!("FAKE-{seq}")}),
        );
        let leaf = alg.leaf_hash(body.as_bytes());
        c.exec(
            &format!(
                "INSERT INTO ledger_entries (seq, at, kind, subject, body, leaf_hash, nodes) \
                 VALUES ({seq}, 1763640000000000, 'device.registered', $1, $2, $3, '')"
            ),
            &[&subject, &body, &hex::encode(leaf)],
        )
        .await;
    }
    rebuild_tree(&mut c, alg).await;

    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
    assert_eq!((r.entries, r.signed_entries), (9, 7));
    assert!(
        r.problems.iter().any(|p| p.entry == Some(7)
            && p.message.contains("第 7 条至第 8 条")
            && p.message.contains("没有本系统签名的检查点覆盖")),
        "{:#?}",
        r.problems
    );

    // The next legitimate change is refused: signing now would vouch for the forged entries.
    let refused = register_device(
        t.app(),
        &Actor::test("test"),
        zhilu_app::testing::camera("DSJ-3"),
    )
    .await
    .expect_err("refused");
    assert!(
        refused.to_string().contains("没有本系统签名的检查点"),
        "{refused}"
    );
    let again = verify(t.app(), &Actor::test("test")).await.expect("verify");
    assert_eq!(
        (again.entries, again.signed_entries),
        (9, 7),
        "nothing was signed over the tail"
    );
}

/// The credential's ledger entry holds a digest of the Argon2id string, never the string: a
/// hash swapped in the catalog behind the program is named by verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_credential_in_ledger_is_a_digest_and_a_swapped_hash_is_detected() {
    let t = TestApp::with_profile("zhejiang-rf").await;
    zhilu_app::identity::add_user(
        t.app(),
        &Actor::test("setup"),
        zhilu_app::identity::NewUser {
            id: "U1".into(),
            name: "某".into(),
            unit: "一处".into(),
            roles: vec!["officer".into()],
            password: Some("Strong-Pass-2026".into()),
            ..Default::default()
        },
    )
    .await
    .expect("user");
    let entries = t.app().catalog().ledger_entries(0, 10_000).await.unwrap();
    let cred: Vec<_> = entries
        .iter()
        .filter(|e| e.body.contains("\"kind\":\"credential."))
        .collect();
    assert!(!cred.is_empty());
    for e in &cred {
        assert!(!e.body.contains("$argon2"), "{}", e.body);
        assert!(e.body.contains("phc_sha256"), "{}", e.body);
    }
    let r = zhilu_app::integrity::verify(t.app(), &Actor::test("audit"))
        .await
        .unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        exec(
            &t,
            "UPDATE credentials SET phc = 'swapped' WHERE user_id = 'U1'"
        )
        .await,
        1
    );
    let r = zhilu_app::integrity::verify(t.app(), &Actor::test("audit"))
        .await
        .unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.subject.as_deref() == Some("credential:U1")),
        "{:?}",
        r.problems
    );
}

/// The entries the lookup by subject finds about device DSJ-2.
async fn about(t: &TestApp) -> usize {
    t.app()
        .catalog()
        .ledger_entries_about("device:DSJ-2", 100)
        .await
        .expect("about")
        .len()
}

/// The subject and kind lookups (audit pages, the profile in force) read `ledger_keys`, which
/// commits bring up to date every 128 entries. A key row removed or pointed at another subject
/// hides an entry from those lookups without touching the log: verify names both counts, and the
/// log itself still verifies entry by entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_a_lookup_key_removed_or_changed_is_named_by_verify() {
    let t = app_with_devices().await;
    // 7 entries so far; 66 registrations (2 entries each) carry the ledger past 128.
    for i in 0..66 {
        register(&t, &format!("KEY-{i}")).await;
    }
    t.app().settle().await;
    let (size, _) = t.app().catalog().ledger_head().await.expect("head");
    assert!(size >= 128, "{size}");
    let seqs: Vec<u64> = t
        .app()
        .catalog()
        .ledger_entries(0, size)
        .await
        .expect("entries")
        .into_iter()
        .filter(|e| e.subject == "device:DSJ-2")
        .map(|e| e.seq)
        .collect();
    assert!(seqs.len() >= 2, "{seqs:?}");
    assert_eq!(about(&t).await, seqs.len(), "every entry found before");
    let clean = verify(t.app(), &Actor::test("test")).await.expect("verify");
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);

    exec(
        &t,
        &format!("DELETE FROM ledger_keys WHERE seq = {}", seqs[0]),
    )
    .await;
    exec(
        &t,
        &format!(
            "UPDATE ledger_keys SET subject = 'device:KEY-0' WHERE seq = {}",
            seqs[1]
        ),
    )
    .await;
    assert_eq!(
        about(&t).await,
        seqs.len() - 2,
        "the lookup now misses both"
    );
    let r = verify(t.app(), &Actor::test("test")).await.expect("verify");
    assert_eq!(r.problems.len(), 1, "{:#?}", r.problems);
    assert!(
        r.problems[0].message.contains("检索索引")
            && r.problems[0].message.contains("1 行与日志记录不符")
            && r.problems[0].message.contains("缺少 1 条"),
        "{:#?}",
        r.problems
    );
    assert_eq!(r.signed_entries, r.entries, "the log itself is intact");
}

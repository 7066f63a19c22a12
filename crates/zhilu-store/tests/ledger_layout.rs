//! X1: the ledger's storage migrations keep every node and checkpoint where the code reads it, on
//! every backend: 0015 moves each tree node of an older catalog to its in-order position
//! (`zhilu_ledger::NodeId::position`); 0016 moves each node into the entry that completed it and
//! each checkpoint onto its commit's last entry, and fills the lookup keys.

use std::collections::{BTreeMap, HashMap};

use sqlx::Connection;
use zhilu_ledger::{HashAlg, NodeId, append};
use zhilu_store::testing::{fresh_postgres_database, postgres_admin_url};

/// The statements of 0015 that create `ledger_tree` and fill it from `ledger_nodes`.
fn conversion(backend: &str) -> String {
    let path = format!(
        "{}/migrations/{backend}/0015_ledger_layout.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("migration 0015");
    let start = text.find("CREATE TABLE ledger_tree").expect("ledger_tree");
    let end = text.find("DROP TABLE ledger_nodes;").expect("drop");
    text[start..end].to_string()
}

/// Every node of a tree of `n` leaves: (level, index) → hex hash.
fn nodes(n: u64) -> HashMap<NodeId, String> {
    let alg = HashAlg::Sha256;
    let mut out = HashMap::new();
    let mut hashes = HashMap::new();
    for i in 0..n {
        for (id, h) in append(alg, i, alg.leaf_hash(&i.to_be_bytes()), &hashes).expect("append") {
            hashes.insert(id, h);
            out.insert(id, hex::encode(h));
        }
    }
    out
}

const OLD_TABLE: &str = "CREATE TABLE ledger_nodes (level BIGINT NOT NULL, idx BIGINT NOT NULL, \
                         hash TEXT NOT NULL, PRIMARY KEY (level, idx))";

macro_rules! convert {
    ($conn:expr, $backend:expr, $nodes:expr) => {{
        sqlx::query(OLD_TABLE)
            .execute(&mut $conn)
            .await
            .expect("old table");
        for (id, h) in $nodes {
            sqlx::query("INSERT INTO ledger_nodes (level, idx, hash) VALUES ($1, $2, $3)")
                .bind(i64::from(id.level))
                .bind(id.index as i64)
                .bind(h)
                .execute(&mut $conn)
                .await
                .expect("old row");
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(conversion($backend)))
            .execute(&mut $conn)
            .await
            .expect("the migration's conversion");
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT pos, hash FROM ledger_tree")
            .fetch_all(&mut $conn)
            .await
            .expect("new rows");
        rows
    }};
}

#[tokio::test]
async fn x1_migration_0015_puts_every_node_at_its_position_on_every_backend() {
    // 1,000 leaves: nodes up to level 9, every shape of a partial tree's right edge.
    let nodes = nodes(1000);
    let want: BTreeMap<i64, String> = nodes
        .iter()
        .map(|(id, h)| (id.position().expect("fits") as i64, h.clone()))
        .collect();
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
    let got: BTreeMap<i64, String> = convert!(conn, "sqlite", &nodes).into_iter().collect();
    assert_eq!(got.len(), nodes.len(), "sqlite: one row per node");
    assert_eq!(got, want, "sqlite");
    if let Some(admin) = postgres_admin_url() {
        let url = fresh_postgres_database(&admin).await;
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("postgres");
        let got: BTreeMap<i64, String> = convert!(conn, "postgres", &nodes).into_iter().collect();
        assert_eq!(got, want, "postgres");
    }
}

/// The v15 ledger tables, as migration 0015 left them (the key type per backend).
fn v15_tables(key: &str) -> String {
    format!(
        "CREATE TABLE ledger_entries (seq {key} PRIMARY KEY, at BIGINT NOT NULL, kind TEXT NOT NULL, \
           subject TEXT NOT NULL, body TEXT NOT NULL, leaf_hash TEXT NOT NULL); \
         CREATE INDEX ledger_entries_subject ON ledger_entries(subject, seq); \
         CREATE INDEX ledger_entries_kind ON ledger_entries(kind, seq); \
         CREATE TABLE ledger_tree (pos {key} PRIMARY KEY, hash TEXT NOT NULL); \
         CREATE TABLE ledger_head (id BIGINT PRIMARY KEY, alg TEXT NOT NULL, size BIGINT NOT NULL, \
           root TEXT NOT NULL); \
         CREATE TABLE ledger_checkpoints (size {key} PRIMARY KEY, at BIGINT NOT NULL, note TEXT NOT NULL);"
    )
}

/// An entry's number, its `nodes` and its `note`, as v16 holds them.
type V16Row = (i64, String, Option<String>);

/// A v15 ledger of `n` entries whose commits end at every size in `signed`: the statements that
/// store it, and per entry what v16 must hold (nodes joined, the checkpoint note if any).
fn v15_ledger(n: u64, signed: &[u64]) -> (Vec<String>, Vec<V16Row>) {
    let alg = HashAlg::Sha256;
    let mut hashes = HashMap::new();
    let mut stmts = vec![format!(
        "INSERT INTO ledger_head (id, alg, size, root) VALUES (1, 'sha256', {n}, 'x')"
    )];
    let mut want = Vec::new();
    for i in 0..n {
        let leaf = alg.leaf_hash(&i.to_be_bytes());
        stmts.push(format!(
            "INSERT INTO ledger_entries (seq, at, kind, subject, body, leaf_hash) \
             VALUES ({i}, {i}, 'k{}', 's{}', 'b{i}', '{}')",
            i % 3,
            i % 5,
            hex::encode(leaf)
        ));
        let mut above = String::new();
        for (id, h) in append(alg, i, leaf, &hashes).expect("append") {
            stmts.push(format!(
                "INSERT INTO ledger_tree (pos, hash) VALUES ({}, '{}')",
                id.position().expect("fits"),
                hex::encode(h)
            ));
            if id.level > 0 {
                above.push_str(&hex::encode(h));
            }
            hashes.insert(id, h);
        }
        let note = signed
            .contains(&(i + 1))
            .then(|| format!("note for {}", i + 1));
        if let Some(note) = &note {
            stmts.push(format!(
                "INSERT INTO ledger_checkpoints (size, at, note) VALUES ({}, {i}, '{note}')",
                i + 1
            ));
        }
        want.push((i as i64, above, note));
    }
    (stmts, want)
}

macro_rules! to_v16 {
    ($conn:expr, $backend:expr, $key:expr, $n:expr, $signed:expr) => {{
        sqlx::raw_sql(sqlx::AssertSqlSafe(v15_tables($key)))
            .execute(&mut $conn)
            .await
            .expect("v15 tables");
        let (stmts, want) = v15_ledger($n, $signed);
        for s in stmts {
            sqlx::query(sqlx::AssertSqlSafe(s))
                .execute(&mut $conn)
                .await
                .expect("v15 row");
        }
        let path = format!(
            "{}/migrations/{}/0016_ledger_one_row.sql",
            env!("CARGO_MANIFEST_DIR"),
            $backend
        );
        let migration = std::fs::read_to_string(path).expect("migration 0016");
        sqlx::raw_sql(sqlx::AssertSqlSafe(migration))
            .execute(&mut $conn)
            .await
            .expect("migration 0016");
        let got: Vec<V16Row> =
            sqlx::query_as("SELECT seq, nodes, note FROM ledger_entries ORDER BY seq")
                .fetch_all(&mut $conn)
                .await
                .expect("v16 rows");
        assert_eq!(got, want, "{}: every entry's nodes and note", $backend);
        let keys: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, kind, subject FROM ledger_keys ORDER BY seq")
                .fetch_all(&mut $conn)
                .await
                .expect("keys");
        let expect: Vec<(i64, String, String)> = (0..$n as i64)
            .map(|i| (i, format!("k{}", i % 3), format!("s{}", i % 5)))
            .collect();
        assert_eq!(keys, expect, "{}: every entry's lookup keys", $backend);
        let alg: String = sqlx::query_scalar("SELECT alg FROM ledger_meta WHERE id = 1")
            .fetch_one(&mut $conn)
            .await
            .expect("meta");
        assert_eq!(alg, "sha256");
    }};
}

#[tokio::test]
async fn x1_migration_0016_moves_every_node_and_checkpoint_into_its_entry_on_every_backend() {
    // 300 entries: nodes up to level 8 on the entries that complete them, commits of one entry,
    // of several, and an unsigned tail (entries 296..299 have no checkpoint).
    let signed: Vec<u64> = (1..=296).filter(|s| s % 7 == 0 || *s < 20).collect();
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("v15.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
    to_v16!(conn, "sqlite", "INTEGER", 300u64, &signed);
    if let Some(admin) = postgres_admin_url() {
        let url = fresh_postgres_database(&admin).await;
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("postgres");
        to_v16!(conn, "postgres", "BIGINT", 300u64, &signed);
    }
}

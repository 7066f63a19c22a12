//! X1: migration 0015 moves every tree node of an existing catalog to its in-order position
//! (`zhilu_ledger::NodeId::position`), on every backend: the statement the migration runs, on a
//! table of nodes as catalogs before it kept them, gives exactly the positions the code reads.

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

//! Helpers for test suites (ours and downstream crates'): a fresh catalog database per test, on
//! SQLite by default or on PostgreSQL when `ZHILU_TEST_POSTGRES_URL` names a server, so the same
//! tests run against both backends.

use std::path::Path;

use sqlx::Connection;

/// A new, empty database URL: `CREATE DATABASE zhilu_t_<uuid>` on the PostgreSQL server named by
/// `ZHILU_TEST_POSTGRES_URL`, or a SQLite file `catalog.db` in `dir`.
///
/// # Panics
/// If PostgreSQL is configured but unreachable: a test that silently fell back to SQLite would
/// report PostgreSQL coverage it does not have.
pub async fn fresh_database_url(dir: &Path) -> String {
    match std::env::var("ZHILU_TEST_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!("zhilu_t_{}", uuid_like());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("ZHILU_TEST_POSTGRES_URL={admin} is unreachable: {e}"));
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}?mode=rwc", dir.join("catalog.db").display()),
    }
}

/// Whether the tests run against PostgreSQL.
pub fn postgres() -> bool {
    std::env::var("ZHILU_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty())
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{t:x}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

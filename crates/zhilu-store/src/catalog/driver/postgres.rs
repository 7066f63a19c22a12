//! PostgreSQL's side of the catalog-wide locks ([`super::Driver::shared_lock`]): a session-level
//! advisory lock, held on a connection of its own (never one of the pool's, which would keep the
//! lock after going back to the pool) for as long as the guard lives.
//!
//! Why it is safe when a holder dies: a session-level advisory lock belongs to its connection.
//! A killed process's socket is closed by the kernel; the server ends that backend and the lock
//! with it. A guard dropped without [`HeldLock::release`] closes its socket the same way.
//!
//! The key is 64 bits of SHA-256 over the catalog's schema and the lock's name: advisory locks
//! are per database, and agencies may be schemas of one database (their serials must not block
//! each other). Two names meeting on one key would only make their holders queue.

use futures_util::future::BoxFuture;
use sha2::Digest;
use sqlx::{Connection, PgConnection, PgPool};

use super::{HeldLock, Result, SharedLock, db};

/// A held advisory lock and the connection that holds it.
pub(super) struct AdvisoryLock {
    conn: PgConnection,
    key: i64,
}

impl std::fmt::Debug for AdvisoryLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdvisoryLock")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The advisory-lock key of `name` in `schema`.
fn key(schema: &str, name: &str) -> i64 {
    let mut h = sha2::Sha256::new();
    h.update(b"zhilu lock\0");
    h.update(schema.as_bytes());
    h.update(b"\0");
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    i64::from_be_bytes(first)
}

/// Takes the lock `name` on a new connection made with the pool's options (same server,
/// database, user and `search_path`). `wait`: queue in the server until it is free.
pub(super) async fn advisory_lock(pool: &PgPool, name: &str, wait: bool) -> Result<SharedLock> {
    let mut conn = PgConnection::connect_with(&pool.connect_options())
        .await
        .map_err(db)?;
    let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&mut conn)
        .await
        .map_err(db)?;
    let key = key(schema.as_deref().unwrap_or_default(), name);
    if wait {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(key)
            .execute(&mut conn)
            .await
            .map_err(db)?;
    } else {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await
            .map_err(db)?;
        if !got {
            let _ = conn.close().await;
            return Ok(SharedLock::Busy);
        }
    }
    Ok(SharedLock::Held(Box::new(AdvisoryLock { conn, key })))
}

impl HeldLock for AdvisoryLock {
    fn release(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let AdvisoryLock { mut conn, key } = *self;
            // Closing the connection releases the lock too; unlocking first says so at once.
            if let Err(e) = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut conn)
                .await
            {
                tracing::warn!(error = %e, "releasing an advisory lock; its connection is closed instead");
            }
            let _ = conn.close().await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::key;

    const PINNED: i64 = -8_953_707_916_943_249_873;

    #[test]
    fn x4_lock_keys_are_stable_and_per_schema() {
        // Pinned: servers of two releases must meet on the same key.
        assert_eq!(key("public", "offload:DSJ0001"), PINNED);
        assert_ne!(
            key("public", "offload:DSJ0001"),
            key("agency_b", "offload:DSJ0001")
        );
        assert_ne!(
            key("public", "offload:DSJ0001"),
            key("public", "offload:DSJ0002")
        );
    }
}

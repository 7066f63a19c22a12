//! Who can act: accounts (roles, clearances, certificate) and credentials, both ledger state; and
//! two operational tables kept beside the ledger: login sessions and failed-login counters.
//! Logins, logouts, failures and lockouts are ledger *events* written by the app.

use zhilu_model::*;

use super::driver::RawRow;
use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, Versioned, int, stmt, text};

table!(
    Account, table = "accounts", noun = "account",
    inserted = "account.created", updated = "account.updated",
    key = { id => "id" },
    subject = |r| format!("account:{}", r.id),
    state = v1::Account,
    columns = {
        id => "id", roles => "roles", clearances => "clearances", certificate => "certificate",
        certificate_from => "certificate_from", certificate_to => "certificate_to",
        disabled => "disabled", updated_at => "updated_at",
    },
);

table!(
    Credential, table = "credentials", noun = "credential",
    inserted = "credential.set", updated = "credential.changed",
    key = { user => "user_id" },
    subject = |r| format!("credential:{}", r.user),
    state = v1::Credential,
    columns = {
        user => "user_id", phc => "phc", set_at => "set_at", must_change => "must_change",
    },
);

/// A login session as kept in the catalog (the cookie holds the id; the row only its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// Hex SHA-256 of the session id.
    pub id_hash: String,
    /// The user logged in, once logged in.
    pub user: Option<String>,
    /// The session's own data (JSON text).
    pub data: String,
    /// Real-clock µs.
    pub created_at: i64,
    pub seen_at: i64,
    pub expires_at: i64,
}

/// Failed logins of one user in a row, and the lock they led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    pub failures: u32,
    /// Real-clock µs of the last failure.
    pub last_at: i64,
    pub locked_until: Option<i64>,
}

impl Catalog {
    pub async fn account(&self, id: &OfficerId) -> Result<Option<Versioned<Account>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// Every account, by id.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        self.select("1 = 1", vec![], "id").await
    }

    pub async fn credential(&self, user: &OfficerId) -> Result<Option<Versioned<Credential>>> {
        self.get(vec![text(user.as_str())]).await
    }

    /// Creates or replaces a session row.
    pub async fn save_web_session(&self, s: &WebSession) -> Result<()> {
        self.db
            .execute(
                stmt(
                    "INSERT INTO web_sessions (id_hash, user_id, data, created_at, seen_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id_hash) DO UPDATE SET \
                     user_id = $2, data = $3, seen_at = $5, expires_at = $6",
                ),
                vec![
                    text(&s.id_hash),
                    super::opt_text(s.user.as_deref()),
                    text(&s.data),
                    int(s.created_at),
                    int(s.seen_at),
                    int(s.expires_at),
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn web_session(&self, id_hash: &str) -> Result<Option<WebSession>> {
        let mut out = None;
        self.db
            .each(
                stmt(
                    "SELECT id_hash, user_id, data, created_at, seen_at, expires_at \
                     FROM web_sessions WHERE id_hash = $1",
                ),
                vec![text(id_hash)],
                &mut |row: &dyn RawRow| {
                    out = Some(WebSession {
                        id_hash: row.text(0)?.unwrap_or("").to_string(),
                        user: row.text(1)?.map(str::to_string),
                        data: row.text(2)?.unwrap_or("{}").to_string(),
                        created_at: row.int(3)?.unwrap_or(0),
                        seen_at: row.int(4)?.unwrap_or(0),
                        expires_at: row.int(5)?.unwrap_or(0),
                    });
                    Ok(())
                },
            )
            .await?;
        Ok(out)
    }

    /// Marks a session as used at `seen_at` (real µs).
    pub async fn touch_web_session(&self, id_hash: &str, seen_at: i64) -> Result<()> {
        self.db
            .execute(
                stmt("UPDATE web_sessions SET seen_at = $2 WHERE id_hash = $1"),
                vec![text(id_hash), int(seen_at)],
            )
            .await?;
        Ok(())
    }

    pub async fn delete_web_session(&self, id_hash: &str) -> Result<()> {
        self.db
            .execute(
                stmt("DELETE FROM web_sessions WHERE id_hash = $1"),
                vec![text(id_hash)],
            )
            .await?;
        Ok(())
    }

    /// Ends every session of a user (disabled, password reset, roles changed).
    pub async fn delete_web_sessions_of(&self, user: &OfficerId) -> Result<u64> {
        self.db
            .execute(
                stmt("DELETE FROM web_sessions WHERE user_id = $1"),
                vec![text(user.as_str())],
            )
            .await
    }

    /// Removes sessions whose absolute expiry has passed (real µs).
    pub async fn delete_expired_web_sessions(&self, now: i64) -> Result<u64> {
        self.db
            .execute(
                stmt("DELETE FROM web_sessions WHERE expires_at <= $1"),
                vec![int(now)],
            )
            .await
    }

    /// Counts one more failed login of `user` at `at` (real µs) and returns the count.
    pub async fn add_login_failure(&self, user: &OfficerId, at: i64) -> Result<LoginFailures> {
        self.db
            .execute(
                stmt(
                    "INSERT INTO login_failures (user_id, failures, last_at, locked_until) \
                     VALUES ($1, 1, $2, NULL) ON CONFLICT (user_id) DO UPDATE SET \
                     failures = login_failures.failures + 1, last_at = $2",
                ),
                vec![text(user.as_str()), int(at)],
            )
            .await?;
        Ok(self.login_failures(user).await?.unwrap_or(LoginFailures {
            failures: 1,
            last_at: at,
            locked_until: None,
        }))
    }

    /// Locks `user` out until `until` (real µs).
    pub async fn lock_login(&self, user: &OfficerId, until: i64) -> Result<()> {
        self.db
            .execute(
                stmt("UPDATE login_failures SET locked_until = $2 WHERE user_id = $1"),
                vec![text(user.as_str()), int(until)],
            )
            .await?;
        Ok(())
    }

    pub async fn login_failures(&self, user: &OfficerId) -> Result<Option<LoginFailures>> {
        let mut out = None;
        self.db
            .each(
                stmt(
                    "SELECT failures, last_at, locked_until FROM login_failures WHERE user_id = $1",
                ),
                vec![text(user.as_str())],
                &mut |row: &dyn RawRow| {
                    out = Some(LoginFailures {
                        failures: u32::try_from(row.int(0)?.unwrap_or(0)).unwrap_or(u32::MAX),
                        last_at: row.int(1)?.unwrap_or(0),
                        locked_until: row.int(2)?,
                    });
                    Ok(())
                },
            )
            .await?;
        Ok(out)
    }

    /// Forgets the failures of `user` (a successful login, an administrator's unlock).
    pub async fn clear_login_failures(&self, user: &OfficerId) -> Result<()> {
        self.db
            .execute(
                stmt("DELETE FROM login_failures WHERE user_id = $1"),
                vec![text(user.as_str())],
            )
            .await?;
        Ok(())
    }
}

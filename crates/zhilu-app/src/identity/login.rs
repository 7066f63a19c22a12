//! Logging in and out, lockout, and login sessions. Times here are the *real* clock: a replayed
//! business clock must not stretch a session or lift a lockout.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use zhilu_model::OfficerId;
use zhilu_store::{Change, WebSession};

use super::passwords;
use super::users::actor_for;
use crate::App;
use crate::actor::{Actor, Via};
use crate::error::AppError;

/// Failed logins in a row that lock an account.
pub const LOCK_AFTER: u32 = 5;
/// How long a lockout lasts.
pub const LOCK_MINUTES: i64 = 15;
/// A session unused this long has ended.
pub const IDLE_MINUTES: i64 = 30;
/// A session ends this long after login, used or not.
pub const ABSOLUTE_HOURS: i64 = 12;
/// A session's last use is written at most this often (not on every request).
const TOUCH_SECONDS: i64 = 60;

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub actor: Actor,
    /// The password was set by an administrator: the user must choose their own before doing
    /// anything else.
    pub must_change_password: bool,
}

/// A real Argon2id hash to verify against when the user does not exist, so that a wrong user
/// id costs the same time as a wrong password (no user enumeration by timing).
static DUMMY_PHC: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn burn_time(password: &str) {
    let phc = match DUMMY_PHC.get() {
        Some(p) => p.clone(),
        None => {
            let p = passwords::hash(passwords::generate())
                .await
                .unwrap_or_default();
            DUMMY_PHC.get_or_init(|| p).clone()
        }
    };
    passwords::verify(password.to_string(), phc).await;
}

/// Checks a user id and password. A wrong one counts towards the lockout (and is a ledger event
/// for a known user); the message never says which of the two was wrong.
pub async fn login(
    app: &App,
    user_id: &str,
    password: &str,
    from: &str,
) -> Result<LoggedIn, AppError> {
    let real_now = app.clock.real_now();
    if password.chars().count() > passwords::MAX_LEN {
        return Err(AppError::LoginFailed);
    }
    let Ok(uid) = OfficerId::parse(user_id) else {
        burn_time(password).await;
        return Err(AppError::LoginFailed);
    };
    if let Some(f) = app.catalog.login_failures(&uid).await?
        && let Some(until) = f.locked_until
        && until > real_now.timestamp_micros()
    {
        return Err(AppError::LockedOut {
            until: DateTime::from_timestamp_micros(until).unwrap_or(real_now),
        });
    }
    let account = app.catalog.account(&uid).await?.map(|v| v.record);
    let credential = app.catalog.credential(&uid).await?.map(|v| v.record);
    let (Some(account), Some(credential)) = (account, credential) else {
        burn_time(password).await;
        tracing::info!(user = %uid, from, "login refused: no such user or no password");
        return Err(AppError::LoginFailed);
    };
    let ok = passwords::verify(password.to_string(), credential.phc.clone()).await;
    if !ok {
        let f = app
            .catalog
            .add_login_failure(&uid, real_now.timestamp_micros())
            .await?;
        let mut changes = vec![Change::event(
            "auth.login_failed",
            format!("login:{uid}"),
            json!({"user": uid.as_str(), "from": from, "failures": f.failures}),
        )];
        let locked = f.failures >= LOCK_AFTER;
        let until = real_now + Duration::minutes(LOCK_MINUTES);
        if locked {
            app.catalog
                .lock_login(&uid, until.timestamp_micros())
                .await?;
            changes.push(Change::event(
                "auth.locked",
                format!("login:{uid}"),
                json!({"user": uid.as_str(), "until": until.timestamp_micros()}),
            ));
        }
        app.record(&Actor::system("auth"), changes).await?;
        return Err(if locked {
            AppError::LockedOut { until }
        } else {
            AppError::LoginFailed
        });
    }
    if account.disabled {
        return Err(AppError::AccountDisabled(uid.to_string()));
    }
    app.catalog.clear_login_failures(&uid).await?;
    let actor = actor_for(app, &uid, Via::Session)
        .await?
        .with_password_change_due(credential.must_change);
    app.record(
        &actor,
        vec![Change::event(
            "auth.login",
            format!("login:{uid}"),
            json!({"user": uid.as_str(), "from": from}),
        )],
    )
    .await?;
    Ok(LoggedIn {
        actor,
        must_change_password: credential.must_change,
    })
}

/// Records a logout (the web layer deletes the session).
pub async fn logout(app: &App, actor: &Actor) -> Result<(), AppError> {
    let Some(uid) = actor.person_id() else {
        return Ok(());
    };
    app.record(
        actor,
        vec![Change::event(
            "auth.logout",
            format!("login:{uid}"),
            json!({"user": uid.as_str()}),
        )],
    )
    .await?;
    Ok(())
}

/// A session's row, as the web layer keeps it (`id_hash` is the SHA-256 of the cookie's id).
pub async fn save_session(app: &App, session: &WebSession) -> Result<(), AppError> {
    Ok(app.catalog.save_web_session(session).await?)
}

pub async fn load_session(app: &App, id_hash: &str) -> Result<Option<WebSession>, AppError> {
    Ok(app.catalog.web_session(id_hash).await?)
}

pub async fn delete_session(app: &App, id_hash: &str) -> Result<(), AppError> {
    Ok(app.catalog.delete_web_session(id_hash).await?)
}

/// The absolute expiry of a session made now (real clock).
pub fn session_expiry(app: &App) -> DateTime<Utc> {
    app.clock.real_now() + Duration::hours(ABSOLUTE_HOURS)
}

pub fn real_now(app: &App) -> DateTime<Utc> {
    app.clock.real_now()
}

/// Whether a session has ended at `now` (real µs): past its absolute expiry, or idle too long.
fn ended(session: &WebSession, now: i64) -> bool {
    let idle = Duration::minutes(IDLE_MINUTES)
        .num_microseconds()
        .unwrap_or(i64::MAX);
    now >= session.expires_at || now.saturating_sub(session.seen_at) >= idle
}

/// The actor of a logged-in session, checked on every request: the absolute and idle expiry on
/// the real clock, and the account still enabled with the roles the catalog holds now (a role
/// taken away takes effect at once). An ended session is deleted.
pub async fn session_actor(app: &App, session: &WebSession) -> Result<Actor, AppError> {
    let now = app.clock.real_now().timestamp_micros();
    let Some(user) = session.user.as_deref() else {
        return Err(AppError::NotAuthenticated);
    };
    if ended(session, now) {
        app.catalog.delete_web_session(&session.id_hash).await?;
        return Err(AppError::NotAuthenticated);
    }
    let uid = OfficerId::parse(user).map_err(|_| AppError::NotAuthenticated)?;
    let actor = match actor_for(app, &uid, Via::Session).await {
        Ok(a) => a,
        Err(AppError::AccountDisabled(_) | AppError::UnknownActor(_)) => {
            app.catalog.delete_web_session(&session.id_hash).await?;
            return Err(AppError::NotAuthenticated);
        }
        Err(e) => return Err(e),
    };
    let due = app
        .catalog
        .credential(&uid)
        .await?
        .is_some_and(|c| c.record.must_change);
    let actor = actor.with_password_change_due(due);
    if now - session.seen_at >= TOUCH_SECONDS * 1_000_000 {
        app.catalog.touch_web_session(&session.id_hash, now).await?;
    }
    Ok(actor)
}

/// Deletes sessions past their absolute expiry (run now and then by the server).
pub async fn sweep_sessions(app: &App) -> Result<u64, AppError> {
    Ok(app
        .catalog
        .delete_expired_web_sessions(app.clock.real_now().timestamp_micros())
        .await?)
}

/// The actor of the logged-in session whose id hashes to `id_hash`, as [`session_actor`] decides,
/// remembered for the ledger head it was decided at (see `decisions.rs`): a request of a session
/// already seen costs no catalog read but the head's, at most once a second.
pub async fn session_by_key(app: &App, id_hash: &str) -> Result<Arc<Actor>, AppError> {
    use crate::decisions::Decisions;
    let head = app.decision_head().await?;
    let key = id_hash.to_string();
    if let Some(entry) = Decisions::get(&app.decisions.sessions, &key)
        && entry.0 == head
    {
        let (h, row, actor) = &*entry;
        let now = app.clock.real_now().timestamp_micros();
        if ended(row, now) {
            app.catalog.delete_web_session(id_hash).await?;
            app.decisions
                .sessions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key);
            return Err(AppError::NotAuthenticated);
        }
        if now - row.seen_at >= TOUCH_SECONDS * 1_000_000 {
            app.catalog.touch_web_session(id_hash, now).await?;
            let mut row = row.clone();
            row.seen_at = now;
            Decisions::remember(
                &app.decisions.sessions,
                key,
                Arc::new((*h, row, actor.clone())),
            );
        }
        return Ok(actor.clone());
    }
    let Some(row) = app.catalog.web_session(id_hash).await? else {
        return Err(AppError::NotAuthenticated);
    };
    let actor = Arc::new(session_actor(app, &row).await?);
    Decisions::remember(
        &app.decisions.sessions,
        key,
        Arc::new((head, row, actor.clone())),
    );
    Ok(actor)
}

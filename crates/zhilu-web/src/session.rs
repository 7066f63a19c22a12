//! Login sessions: `tower-sessions` with our own store on the catalog's `web_sessions` table
//! (through `zhilu_app::identity::login`), and the extractor that turns a session into the
//! [`Actor`] every use case takes.
//!
//! The row keeps only the SHA-256 of the session id, so a copy of the catalog does not hand out
//! live cookies. Expiry (idle and absolute, real clock) is the app's rule
//! ([`zhilu_app::identity::session_actor`]); the cookie only carries the absolute expiry.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use zhilu_app::identity::login;
use zhilu_app::{Actor, App, AppError};
use zhilu_model::OfficerId;

use crate::error::ApiError;
use crate::state::AppState;

/// The cookie's name.
pub const COOKIE: &str = "zhilu_session";
/// Session keys.
pub const USER_KEY: &str = "user";
pub const CSRF_KEY: &str = "csrf";

/// The hex SHA-256 of a session id: what the row is keyed by.
pub fn id_hash(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

/// Sessions kept in the catalog.
#[derive(Clone)]
pub struct CatalogStore {
    app: Arc<App>,
}

impl std::fmt::Debug for CatalogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CatalogStore")
    }
}

impl CatalogStore {
    pub fn new(app: Arc<App>) -> CatalogStore {
        CatalogStore { app }
    }
}

fn backend(e: AppError) -> session_store::Error {
    tracing::error!(error = %e, "session store");
    session_store::Error::Backend(e.code().to_string())
}

fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

#[async_trait]
impl SessionStore for CatalogStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // 128 random bits collide only in theory; a new id is drawn if one ever does.
        while login::load_session(&self.app, &id_hash(&record.id))
            .await
            .map_err(backend)?
            .is_some()
        {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let now = login::real_now(&self.app).timestamp_micros();
        let row = zhilu_store::WebSession {
            id_hash: id_hash(&record.id),
            user: record
                .data
                .get(USER_KEY)
                .and_then(|v| v.as_str())
                .map(str::to_string),
            data: serde_json::to_string(&record.data)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?,
            created_at: now,
            seen_at: now,
            expires_at: micros(record.expiry_date),
        };
        login::save_session(&self.app, &row).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = login::load_session(&self.app, &id_hash(id))
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        if row.expires_at <= login::real_now(&self.app).timestamp_micros() {
            return Ok(None);
        }
        let data: HashMap<String, serde_json::Value> = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(row.expires_at) * 1_000)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        login::delete_session(&self.app, &id_hash(id))
            .await
            .map_err(backend)
    }
}

/// The session layer: cookie `zhilu_session`, HttpOnly, SameSite=Strict, Path=/, Secure with
/// TLS. A session lives until the browser closes until login sets its absolute expiry.
pub fn layer(state: &AppState) -> SessionManagerLayer<CatalogStore> {
    SessionManagerLayer::new(CatalogStore::new(state.app.clone()))
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_secure(state.secure_cookies)
        .with_expiry(Expiry::OnSessionEnd)
}

/// The absolute expiry of a session made now, as the cookie carries it.
pub fn expiry_at(app: &App) -> Expiry {
    let at = login::session_expiry(app).timestamp_micros();
    Expiry::AtDateTime(
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
    )
}

/// The session of the request (put there by the session layer).
pub async fn session(parts: &mut Parts, state: &AppState) -> Result<Session, ApiError> {
    Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, m)| ApiError::internal(&m))
}

/// The logged-in person acting, checked on every request by the app (expiry on the real clock,
/// account enabled, roles as the catalog holds them now). 401 otherwise.
#[derive(Debug, Clone)]
pub struct CurrentActor {
    pub actor: std::sync::Arc<Actor>,
    /// The session's row key: one viewer key per login session.
    pub key: String,
    pub session: Session,
}

impl FromRequestParts<AppState> for CurrentActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = session(parts, state).await?;
        let Some(id) = session.id() else {
            return Err(ApiError::not_authenticated());
        };
        let key = id_hash(&id);
        let actor = login::session_by_key(&state.app, &key).await?;
        Ok(CurrentActor {
            actor,
            key,
            session,
        })
    }
}

/// Starts a logged-in session for `user`: a new id (no fixation), the user, a fresh CSRF token
/// and the absolute expiry. Returns the token.
pub async fn begin(app: &App, session: &Session, user: &OfficerId) -> Result<String, ApiError> {
    let token = crate::csrf::new_token()?;
    session
        .cycle_id()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    session.set_expiry(Some(expiry_at(app)));
    session
        .insert(USER_KEY, user.as_str())
        .await
        .map_err(|e| ApiError::internal(&e))?;
    session
        .insert(CSRF_KEY, &token)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    // Written now, not after the response: the row must carry the user before the client can
    // use the cookie.
    session.save().await.map_err(|e| ApiError::internal(&e))?;
    Ok(token)
}

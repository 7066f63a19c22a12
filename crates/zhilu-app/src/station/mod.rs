//! Networked collection stations (采集站, R16, R26; issue 15): a station in a unit sends device
//! files to the platform over the network, resumably, authenticated as a station — not as a
//! person — by a bearer credential the system administrator registers and may revoke.
//!
//! - [`register`], [`revoke`], [`list`]: the credentials (ledger state; only the token's SHA-256
//!   is kept, the token is shown once). [`authenticate`] turns a presented token into a station
//!   [`Actor`], which the permission table gives nothing: it may only use [`uploads`].
//! - [`uploads`]: the server side of the resumable upload protocol.
//! - [`client`]: the station side (`zhilu station ingest`).

pub mod client;
pub mod uploads;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::Digest;
use zhilu_model::{Station, StationId};
use zhilu_store::{Change, StationCredential};

use crate::App;
use crate::actor::{Action, Actor, Target};
use crate::error::{AppError, Field, Thing, id};

/// The prefix of every station token: `zst_<station id>_<64 hex digits>`.
pub const TOKEN_PREFIX: &str = "zst_";
/// The longest token accepted (a 64-character id, the prefix, the secret).
const TOKEN_MAX: usize = 4 + 64 + 1 + 64;

/// A station to register.
#[derive(Debug, Clone, Default)]
pub struct NewStation {
    pub id: String,
    pub name: String,
    pub unit: Option<String>,
}

/// A station's credential as shown (never its token or the token's hash).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StationInfo {
    pub station: StationId,
    pub name: String,
    pub unit: Option<String>,
    pub registered_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Not revoked: the station may upload.
    pub active: bool,
}

impl From<&StationCredential> for StationInfo {
    fn from(c: &StationCredential) -> Self {
        StationInfo {
            station: c.station.clone(),
            name: c.name.clone(),
            unit: c.unit.clone(),
            registered_at: c.registered_at,
            revoked_at: c.revoked_at,
            active: c.revoked_at.is_none(),
        }
    }
}

/// A registered station and its token, which is shown this once and never again.
#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    #[serde(flatten)]
    pub station: StationInfo,
    pub token: String,
}

fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

fn text_field(field: Field, s: &str, max: usize) -> Result<String, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::invalid(field, "不能为空"));
    }
    if s.chars().count() > max {
        return Err(AppError::invalid(field, format!("不能超过 {max} 个字")));
    }
    if s.chars().any(|c| c.is_control() || matches!(c, '<' | '>')) {
        return Err(AppError::invalid(field, "不能含控制字符或尖括号"));
    }
    Ok(s.to_string())
}

/// Registers a station's credential (系统管理员) and returns its token, once. A revoked
/// station may be registered again: it gets a new token (the old one stays refused).
pub async fn register(app: &App, actor: &Actor, new: NewStation) -> Result<Registered, AppError> {
    actor.require(Action::ManageStations, Target::default())?;
    let station = id(Field::Station, StationId::parse, &new.id)?;
    let name = text_field(Field::Name, &new.name, 64)?;
    let unit = new
        .unit
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|u| text_field(Field::Unit, u, 64))
        .transpose()?;
    let existing = app.catalog.station_credential(&station).await?;
    if existing
        .as_ref()
        .is_some_and(|c| c.record.revoked_at.is_none())
    {
        return Err(AppError::AlreadyExists {
            what: Thing::Station,
            id: station.to_string(),
        });
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| AppError::OffloadFailed(format!("无法生成随机凭据：{e}")))?;
    let token = format!("{TOKEN_PREFIX}{station}_{}", hex::encode(secret));
    let now = app.now();
    let cred = StationCredential {
        station: station.clone(),
        name,
        unit,
        token_sha256: token_hash(&token),
        registered_at: now,
        revoked_at: None,
    };
    let mut changes = Vec::new();
    if app.catalog.station(&station).await?.is_none() {
        changes.push(Change::insert(Station {
            id: station.clone(),
            first_seen: now,
        }));
    }
    changes.push(match existing {
        Some(old) => Change::update(cred.clone(), old.version),
        None => Change::insert(cred.clone()),
    });
    app.record(actor, changes).await?;
    Ok(Registered {
        station: StationInfo::from(&cred),
        token,
    })
}

/// Revokes a station's credential: from now on its token gets 401.
pub async fn revoke(app: &App, actor: &Actor, station: &str) -> Result<StationInfo, AppError> {
    actor.require(Action::ManageStations, Target::default())?;
    let station = id(Field::Station, StationId::parse, station)?;
    let Some(v) = app.catalog.station_credential(&station).await? else {
        return Err(AppError::NotFound {
            what: Thing::Station,
            id: station.to_string(),
        });
    };
    if v.record.revoked_at.is_some() {
        return Err(AppError::Conflict(format!(
            "采集站 {station} 的凭据已经吊销"
        )));
    }
    let mut cred = v.record;
    cred.revoked_at = Some(app.now());
    app.record(actor, vec![Change::update(cred.clone(), v.version)])
        .await?;
    Ok(StationInfo::from(&cred))
}

/// Every registered station, by id.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<StationInfo>, AppError> {
    actor.require(Action::ManageStations, Target::default())?;
    Ok(app
        .catalog
        .station_credentials()
        .await?
        .iter()
        .map(StationInfo::from)
        .collect())
}

/// The station presenting `token`, as an [`Actor`]; `NotAuthenticated` for a malformed,
/// unknown or revoked token (the caller answers all three alike).
pub async fn authenticate(app: &App, token: &str) -> Result<Actor, AppError> {
    let token = token.trim();
    let Some(rest) = token.strip_prefix(TOKEN_PREFIX) else {
        return Err(AppError::NotAuthenticated);
    };
    if token.len() > TOKEN_MAX || !token.is_ascii() {
        return Err(AppError::NotAuthenticated);
    }
    // The id may hold `_`; the secret (hex) never does.
    let Some((station, _secret)) = rest.rsplit_once('_') else {
        return Err(AppError::NotAuthenticated);
    };
    let Some(cred) = app
        .catalog
        .station_credential_by_token(&token_hash(token))
        .await?
    else {
        tracing::info!("unknown station token refused");
        return Err(AppError::NotAuthenticated);
    };
    if cred.station.as_str() != station || cred.revoked_at.is_some() {
        tracing::info!(station = %cred.station, "revoked station token refused");
        return Err(AppError::NotAuthenticated);
    }
    Ok(Actor::station(&cred.station))
}

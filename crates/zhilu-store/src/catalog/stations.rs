//! Networked collection stations (R16, R26): each station's registered credential (ledger state:
//! only the SHA-256 of its bearer token is kept), and the resumable uploads in progress, kept
//! beside the ledger like login sessions (transport state; what an upload stores is recorded by
//! the offload pipeline as any recording is).

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_model::StationId;

use super::driver::RawRow;
use super::table::table;
use super::{Catalog, Result, Versioned, int, opt_text, stmt, text};

/// A station's credential: the station authenticates with a bearer token whose SHA-256 this
/// holds. Revoked credentials stay (the ledger names them); `revoked_at` refuses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationCredential {
    pub station: StationId,
    /// What the station is called (采集站 of which building or unit).
    pub name: String,
    pub unit: Option<String>,
    /// Hex SHA-256 of the bearer token (the token itself is shown once, never stored).
    pub token_sha256: String,
    pub registered_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

table!(
    StationCredential, table = "station_credentials", noun = "station-credential",
    inserted = "station.credential_registered", updated = "station.credential_changed",
    key = { station => "station" },
    subject = |r| format!("station-credential:{}", r.station),
    state = StationCredentialV1,
    columns = {
        station => "station", name => "name", unit => "unit", token_sha256 => "token_sha256",
        registered_at => "registered_at", revoked_at => "revoked_at",
    },
);

/// The v1 ledger state of a station credential (field names and raw values fixed).
#[derive(Serialize)]
pub(crate) struct StationCredentialV1<'a> {
    station: &'a str,
    name: &'a str,
    unit: Option<&'a str>,
    token_sha256: &'a str,
    registered_at: i64,
    revoked_at: Option<i64>,
}

impl<'a> From<&'a StationCredential> for StationCredentialV1<'a> {
    fn from(c: &'a StationCredential) -> Self {
        StationCredentialV1 {
            station: c.station.as_str(),
            name: &c.name,
            unit: c.unit.as_deref(),
            token_sha256: &c.token_sha256,
            registered_at: c.registered_at.timestamp_micros(),
            revoked_at: c.revoked_at.map(|t| t.timestamp_micros()),
        }
    }
}

/// Where a resumable upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadStatus {
    /// Receiving bytes.
    Open,
    /// Completed: the file went through the offload pipeline (`outcome` says how).
    Stored,
    /// Completed, but the bytes received did not hash to what the station declared: nothing
    /// was stored or recorded.
    Refused,
    /// Not moved for longer than the platform waits: swept (its part file removed, one ledger
    /// entry); the station starts again from 0.
    Abandoned,
}

impl UploadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Open => "open",
            UploadStatus::Stored => "stored",
            UploadStatus::Refused => "refused",
            UploadStatus::Abandoned => "abandoned",
        }
    }

    fn parse(s: &str) -> Option<UploadStatus> {
        Some(match s {
            "open" => UploadStatus::Open,
            "stored" => UploadStatus::Stored,
            "refused" => UploadStatus::Refused,
            "abandoned" => UploadStatus::Abandoned,
            _ => return None,
        })
    }
}

/// One resumable upload of one device file from one station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationUpload {
    pub id: String,
    pub station: String,
    pub device: String,
    pub officer: String,
    /// The file's path on the device, as the station found it.
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    pub sm3: String,
    /// Bytes durably received (the part file was fsynced to at least this length first).
    pub offset: u64,
    pub status: UploadStatus,
    /// The answer to `complete` (JSON text), kept so that a repeated `complete` gets it again.
    pub outcome: Option<String>,
    /// Real-clock µs.
    pub created_at: i64,
    pub updated_at: i64,
}

const UPLOAD_COLUMNS: &str = "id, station, device_serial, officer, file_name, size, sha256, sm3, \
                              upload_offset, status, outcome, created_at, updated_at";

fn decode_upload(row: &dyn RawRow) -> Result<StationUpload> {
    let t = |i: usize| -> Result<String> { Ok(row.text(i)?.unwrap_or_default().to_string()) };
    let n = |i: usize| -> Result<i64> { Ok(row.int(i)?.unwrap_or(0)) };
    let status = t(9)?;
    Ok(StationUpload {
        id: t(0)?,
        station: t(1)?,
        device: t(2)?,
        officer: t(3)?,
        file_name: t(4)?,
        size: u64::try_from(n(5)?).unwrap_or(0),
        sha256: t(6)?,
        sm3: t(7)?,
        offset: u64::try_from(n(8)?).unwrap_or(0),
        status: UploadStatus::parse(&status).unwrap_or(UploadStatus::Refused),
        outcome: row.text(10)?.map(str::to_string),
        created_at: n(11)?,
        updated_at: n(12)?,
    })
}

fn count(n: u64) -> super::driver::Value {
    int(i64::try_from(n).unwrap_or(i64::MAX))
}

impl Catalog {
    pub async fn station_credential(
        &self,
        station: &StationId,
    ) -> Result<Option<Versioned<StationCredential>>> {
        self.get(vec![text(station.as_str())]).await
    }

    /// Every station credential, by station id.
    pub async fn station_credentials(&self) -> Result<Vec<StationCredential>> {
        self.select("1 = 1", vec![], "station").await
    }

    /// The credential whose token hashes to `token_sha256`, revoked or not.
    pub async fn station_credential_by_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<StationCredential>> {
        Ok(self
            .select("token_sha256 = $1", vec![text(token_sha256)], "")
            .await?
            .pop())
    }

    async fn uploads_where(
        &self,
        filter: &'static str,
        args: Vec<super::driver::Value>,
    ) -> Result<Vec<StationUpload>> {
        let mut out = Vec::new();
        self.db
            .each(
                stmt(format!(
                    "SELECT {UPLOAD_COLUMNS} FROM station_uploads WHERE {filter} ORDER BY created_at, id"
                )),
                args,
                &mut |row: &dyn RawRow| {
                    out.push(decode_upload(row)?);
                    Ok(())
                },
            )
            .await?;
        Ok(out)
    }

    pub async fn station_upload(&self, id: &str) -> Result<Option<StationUpload>> {
        Ok(self.uploads_where("id = $1", vec![text(id)]).await?.pop())
    }

    /// The open upload of `sha256` by `station`, if any (at most one: a unique index).
    pub async fn open_station_upload(
        &self,
        station: &str,
        sha256: &str,
    ) -> Result<Option<StationUpload>> {
        Ok(self
            .uploads_where(
                "station = $1 AND sha256 = $2 AND status = 'open'",
                vec![text(station), text(sha256)],
            )
            .await?
            .pop())
    }

    /// The open uploads last moved (real-clock µs) before `before`, oldest first.
    pub async fn stale_station_uploads(&self, before: i64) -> Result<Vec<StationUpload>> {
        self.uploads_where("status = 'open' AND updated_at < $1", vec![int(before)])
            .await
    }

    /// Inserts a new upload unless the station already has one open for the same content
    /// (then nothing is written: the caller reads the open one). Returns whether it inserted.
    pub async fn create_station_upload(&self, u: &StationUpload) -> Result<bool> {
        let n = self
            .db
            .execute(
                stmt(format!(
                    "INSERT INTO station_uploads ({UPLOAD_COLUMNS}) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING"
                )),
                vec![
                    text(&u.id),
                    text(&u.station),
                    text(&u.device),
                    text(&u.officer),
                    text(&u.file_name),
                    count(u.size),
                    text(&u.sha256),
                    text(&u.sm3),
                    count(u.offset),
                    text(u.status.as_str()),
                    opt_text(u.outcome.as_deref()),
                    int(u.created_at),
                    int(u.updated_at),
                ],
            )
            .await?;
        Ok(n > 0)
    }

    /// Sets the bytes durably received of an open upload (the part file is fsynced first).
    pub async fn set_station_upload_offset(&self, id: &str, offset: u64, now: i64) -> Result<()> {
        self.db
            .execute(
                stmt(
                    "UPDATE station_uploads SET upload_offset = $2, updated_at = $3 \
                     WHERE id = $1 AND status = 'open'",
                ),
                vec![text(id), count(offset), int(now)],
            )
            .await?;
        Ok(())
    }

    /// Closes an open upload with its final status and answer. Returns whether this call closed
    /// it (false: another request closed it first).
    pub async fn close_station_upload(
        &self,
        id: &str,
        status: UploadStatus,
        outcome: &str,
        now: i64,
    ) -> Result<bool> {
        let n = self
            .db
            .execute(
                stmt(
                    "UPDATE station_uploads SET status = $2, outcome = $3, updated_at = $4 \
                     WHERE id = $1 AND status = 'open'",
                ),
                vec![text(id), text(status.as_str()), text(outcome), int(now)],
            )
            .await?;
        Ok(n > 0)
    }
}

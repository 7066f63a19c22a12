//! Networked collection stations (R16, R26): each station's registered credential (ledger state:
//! only the SHA-256 of its bearer token is kept), and the resumable uploads (ledger state: opened,
//! then closed as stored, refused or abandoned, each one entry; only the bytes received so far
//! and when they last moved are progress written beside the ledger, like a failed-login counter).

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_model::StationId;

use super::column::Column;
use super::driver::{RawRow, Value};
use super::table::{Table, table};
use super::{Catalog, Result, Versioned, int, stmt, text};
use crate::error::StoreError;

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

    pub fn parse(s: &str) -> Option<UploadStatus> {
        Some(match s {
            "open" => UploadStatus::Open,
            "stored" => UploadStatus::Stored,
            "refused" => UploadStatus::Refused,
            "abandoned" => UploadStatus::Abandoned,
            _ => return None,
        })
    }
}

impl Column for UploadStatus {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(self.as_str().to_string()))
    }
    fn decode(
        row: &dyn RawRow,
        i: usize,
    ) -> std::result::Result<std::result::Result<Self, String>, StoreError> {
        let s = row.text(i)?.unwrap_or_default();
        Ok(UploadStatus::parse(s).ok_or_else(|| format!("未知的上传状态 {s:?}")))
    }
}

/// One resumable upload of one device file from one station. Its lifecycle (opened, then closed
/// as stored, refused or abandoned) is ledger state, written only through `Catalog::commit`; its
/// progress (`offset`, `updated_at`) is not part of that state and moves beside the ledger
/// ([`Catalog::set_station_upload_offset`]).
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
    /// Progress: not in the ledger state.
    pub offset: u64,
    pub status: UploadStatus,
    /// The answer to `complete` (JSON text), kept so that a repeated `complete` gets it again;
    /// for an abandoned upload, what the sweep found (bytes received, idle since).
    pub outcome: Option<String>,
    /// Real-clock µs.
    pub created_at: i64,
    /// Real-clock µs of the last move (offset or status). Progress: not in the ledger state.
    pub updated_at: i64,
}

table!(
    StationUpload, table = "station_uploads", noun = "station-upload",
    inserted = "station.upload_opened", updated = "station.upload_closed",
    key = { id => "id" },
    subject = |r| format!("station-upload:{}", r.id),
    state = StationUploadV1,
    columns = {
        id => "id", station => "station", device => "device_serial", officer => "officer",
        file_name => "file_name", size => "size", sha256 => "sha256", sm3 => "sm3",
        offset => "upload_offset", status => "status", outcome => "outcome",
        created_at => "created_at", updated_at => "updated_at",
    },
);

/// The v1 ledger state of a station upload (field names and raw values fixed). The offset and
/// `updated_at` are progress, left out: they move without an entry.
#[derive(Serialize)]
pub(crate) struct StationUploadV1<'a> {
    id: &'a str,
    station: &'a str,
    device: &'a str,
    officer: &'a str,
    file_name: &'a str,
    size: u64,
    sha256: &'a str,
    sm3: &'a str,
    status: &'a str,
    outcome: Option<&'a str>,
    created_at: i64,
}

impl<'a> From<&'a StationUpload> for StationUploadV1<'a> {
    fn from(u: &'a StationUpload) -> Self {
        StationUploadV1 {
            id: &u.id,
            station: &u.station,
            device: &u.device,
            officer: &u.officer,
            file_name: &u.file_name,
            size: u.size,
            sha256: &u.sha256,
            sm3: &u.sm3,
            status: u.status.as_str(),
            outcome: u.outcome.as_deref(),
            created_at: u.created_at,
        }
    }
}

/// Uploads opened before catalog v14 (when their rows were kept beside the ledger): the
/// migration moved them, unchanged, to this table, which nothing writes again. An open one is
/// taken into the ledger (one `station.upload_opened` entry) the first time it is asked about
/// or swept; an ended one is only read.
const LEGACY: &str = "station_uploads_v13";

fn count(n: u64) -> Value {
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

    /// The upload `id`, and its version (for closing it).
    pub async fn station_upload_versioned(
        &self,
        id: &str,
    ) -> Result<Option<Versioned<StationUpload>>> {
        self.get(vec![text(id)]).await
    }

    pub async fn station_upload(&self, id: &str) -> Result<Option<StationUpload>> {
        Ok(self.station_upload_versioned(id).await?.map(|v| v.record))
    }

    /// The open upload of `sha256` by `station`, if any (at most one: a unique index).
    pub async fn open_station_upload(
        &self,
        station: &str,
        sha256: &str,
    ) -> Result<Option<StationUpload>> {
        Ok(self
            .select(
                "station = $1 AND sha256 = $2 AND status = 'open'",
                vec![text(station), text(sha256)],
                "",
            )
            .await?
            .pop())
    }

    /// The open uploads last moved (real-clock µs) before `before`, oldest first.
    pub async fn stale_station_uploads(&self, before: i64) -> Result<Vec<StationUpload>> {
        self.select(
            "status = 'open' AND updated_at < $1",
            vec![int(before)],
            "created_at, id",
        )
        .await
    }

    /// Sets the bytes durably received of an open upload (the part file is fsynced first).
    /// Progress, not state: written beside the ledger, leaving the row's version as it was (see
    /// [`StationUpload`]).
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

    /// Uploads of the pre-v14 table (see [`LEGACY`]) matching `filter`, not yet in the ledger.
    async fn legacy_uploads(&self, filter: &str, args: Vec<Value>) -> Result<Vec<StationUpload>> {
        let columns = StationUpload::COLUMNS.join(", ");
        let sql = format!(
            "SELECT {columns}, CAST(0 AS BIGINT) FROM {LEGACY} WHERE {filter} \
             AND id NOT IN (SELECT id FROM station_uploads) ORDER BY created_at, id"
        );
        let mut out = Vec::new();
        self.db
            .each(stmt(sql), args, &mut |row: &dyn RawRow| {
                out.push(StationUpload::decode(row)?.0);
                Ok(())
            })
            .await?;
        Ok(out)
    }

    /// The pre-v14 upload `id`, unless the ledger took it in since.
    pub async fn legacy_station_upload(&self, id: &str) -> Result<Option<StationUpload>> {
        Ok(self.legacy_uploads("id = $1", vec![text(id)]).await?.pop())
    }

    /// The pre-v14 open upload of `sha256` by `station`, unless the ledger took it in since.
    pub async fn legacy_open_station_upload(
        &self,
        station: &str,
        sha256: &str,
    ) -> Result<Option<StationUpload>> {
        Ok(self
            .legacy_uploads(
                "station = $1 AND sha256 = $2 AND status = 'open'",
                vec![text(station), text(sha256)],
            )
            .await?
            .pop())
    }

    /// The pre-v14 open uploads last moved before `before`, not yet taken into the ledger.
    pub async fn legacy_stale_station_uploads(&self, before: i64) -> Result<Vec<StationUpload>> {
        self.legacy_uploads("status = 'open' AND updated_at < $1", vec![int(before)])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R16: the ledger state of an upload leaves out its progress, so that bytes arriving (a
    /// plain update beside the ledger) never make the row differ from its entry.
    #[test]
    fn r16_upload_state_leaves_out_progress() {
        let mut u = StationUpload {
            id: "u1".into(),
            station: "ST-01".into(),
            device: "DSJ0001".into(),
            officer: "000123".into(),
            file_name: "DCIM/A.MP4".into(),
            size: 10,
            sha256: "a".repeat(64),
            sm3: "b".repeat(64),
            offset: 0,
            status: UploadStatus::Open,
            outcome: None,
            created_at: 1,
            updated_at: 1,
        };
        let before = u.state();
        u.offset = 5;
        u.updated_at = 99;
        assert_eq!(u.state(), before);
        u.status = UploadStatus::Abandoned;
        assert_ne!(u.state(), before);
        assert_eq!(u.subject(), "station-upload:u1");
        assert_eq!(before["status"], "open");
        assert!(before.get("offset").is_none() && before.get("updated_at").is_none());
    }
}

//! Catalog rows and the changes that write them.
//!
//! Each row type serialises (without its `ledger_seq`) to exactly the `state` recorded in the ledger
//! entry that wrote it, so `zhilu verify` can compare the catalog with the ledger field by field.

use serde::{Deserialize, Serialize};

/// A registered recording device (R1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct DeviceRow {
    pub serial: String,
    /// One of the R1 kinds, e.g. `执法记录仪`.
    pub kind: String,
    pub model: String,
    pub asset_no: Option<String>,
    pub unit: String,
    /// The designated keeper (专人管理).
    pub keeper: String,
    /// 在用 / 维修 / 停用 / 报废 / 遗失.
    pub status: String,
    pub registered_at: i64,
    #[serde(skip)]
    pub ledger_seq: i64,
}

/// One lifecycle event of a device (R2): 登记, 发放, 调拨, 更新, 维修, 报废, 遗失.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct DeviceEventRow {
    pub id: String,
    pub serial: String,
    pub event: String,
    pub detail: String,
    pub at: i64,
    pub actor: String,
    #[serde(skip)]
    pub ledger_seq: i64,
}

/// A collection station (采集站) that offloads devices (R16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StationRow {
    pub id: String,
    pub first_seen: i64,
    #[serde(skip)]
    pub ledger_seq: i64,
}

/// One offload of one device at one station (R16, R4 clock offset, R26 device cleared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub device_serial: String,
    pub officer: String,
    pub station: String,
    pub source: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `finished`, `failed` or `interrupted` (found running at the next start).
    pub status: String,
    /// Device clock minus station clock, when the device reported its time (R4).
    pub device_clock_offset_ms: Option<i64>,
    /// 1 when the station cleared the device after a verified offload (R26).
    pub device_cleared: i64,
    pub files_seen: i64,
    pub imported: i64,
    pub duplicates: i64,
    pub damaged: i64,
    pub skipped: i64,
    pub bytes: i64,
    #[serde(skip)]
    pub ledger_seq: i64,
}

/// One stored recording: an original object plus what the station learned about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RecordingRow {
    pub sha256: String,
    pub sm3: String,
    pub size: i64,
    pub media_kind: String,
    pub capture_start: Option<i64>,
    pub capture_end: Option<i64>,
    pub duration_ms: Option<i64>,
    /// Where `capture_start` came from: `metadata`, `file_name` or `unknown`.
    pub time_source: String,
    pub device_serial: String,
    pub officer: String,
    pub name_device_id: Option<String>,
    pub name_officer_id: Option<String>,
    pub sequence: Option<i64>,
    pub important: i64,
    pub original_name: String,
    pub original_path: String,
    pub offloaded_at: i64,
    pub station: String,
    pub session_id: String,
    pub damaged: i64,
    pub damage_reason: Option<String>,
    #[serde(skip)]
    pub ledger_seq: i64,
}

/// The columns of a recording the compliance check reads: a narrow projection, since the check
/// reads every recording of a year and decoding unused columns would be most of its cost.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordingFactRow {
    pub sha256: String,
    pub capture_start: Option<i64>,
    pub capture_end: Option<i64>,
    pub offloaded_at: i64,
    pub sequence: Option<i64>,
    pub name_officer_id: Option<String>,
    pub officer: String,
    pub device_serial: String,
    pub session_id: String,
}

impl RecordingFactRow {
    pub const COLUMNS: &'static str = "sha256, capture_start, capture_end, offloaded_at, sequence, \
        name_officer_id, officer, device_serial, session_id";
}

/// A name under which a stored object was found on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RecordingNameRow {
    pub sha256: String,
    pub device_serial: String,
    pub original_path: String,
    pub size: i64,
    pub session_id: String,
    pub seen_at: i64,
    #[serde(skip)]
    pub ledger_seq: i64,
}

/// A state change. [`crate::Catalog::commit`] turns each into one ledger entry plus its row write.
#[derive(Debug, Clone)]
pub enum Change {
    RegisterDevice(DeviceRow),
    UpdateDevice(DeviceRow),
    AddDeviceEvent(DeviceEventRow),
    RegisterStation(StationRow),
    StartSession(SessionRow),
    UpdateSession(SessionRow),
    StoreRecording(RecordingRow),
    AddName(RecordingNameRow),
    /// A new row of a domain table (officers, activities, approvals…).
    Insert(crate::domain::DomainRow),
    /// A new version of an existing domain row, matched by its key.
    Update(crate::domain::DomainRow),
    /// A change with no catalog row: a repair, a quarantine, an interrupted session found at start…
    Event {
        kind: String,
        subject: String,
        data: serde_json::Value,
    },
}

impl Change {
    /// The ledger entry's `kind`.
    pub fn kind(&self) -> &str {
        match self {
            Change::RegisterDevice(_) => "device.registered",
            Change::UpdateDevice(_) => "device.updated",
            Change::AddDeviceEvent(_) => "device.event",
            Change::RegisterStation(_) => "station.registered",
            Change::StartSession(_) => "offload.started",
            Change::UpdateSession(_) => "offload.updated",
            Change::StoreRecording(_) => "recording.stored",
            Change::AddName(_) => "recording.name_added",
            Change::Insert(r) => r.kind(true),
            Change::Update(r) => r.kind(false),
            Change::Event { kind, .. } => kind,
        }
    }

    /// The ledger entry's `subject`: the catalog row it describes, as `<table>:<key>`.
    pub fn subject(&self) -> String {
        match self {
            Change::RegisterDevice(d) | Change::UpdateDevice(d) => subject::device(&d.serial),
            Change::AddDeviceEvent(e) => subject::device_event(&e.id),
            Change::RegisterStation(s) => subject::station(&s.id),
            Change::StartSession(s) | Change::UpdateSession(s) => subject::session(&s.id),
            Change::StoreRecording(r) => subject::recording(&r.sha256),
            Change::AddName(n) => subject::name(n),
            Change::Insert(r) | Change::Update(r) => r.subject(),
            Change::Event { subject, .. } => subject.clone(),
        }
    }

    /// The row snapshot (or event data) recorded in the entry.
    pub fn state(&self) -> serde_json::Value {
        let v = match self {
            Change::RegisterDevice(d) | Change::UpdateDevice(d) => serde_json::to_value(d),
            Change::AddDeviceEvent(e) => serde_json::to_value(e),
            Change::RegisterStation(s) => serde_json::to_value(s),
            Change::StartSession(s) | Change::UpdateSession(s) => serde_json::to_value(s),
            Change::StoreRecording(r) => serde_json::to_value(r),
            Change::AddName(n) => serde_json::to_value(n),
            Change::Insert(r) | Change::Update(r) => Ok(r.state()),
            Change::Event { data, .. } => Ok(data.clone()),
        };
        // Serialising these plain structs cannot fail: no maps with non-string keys, no floats.
        v.unwrap_or(serde_json::Value::Null)
    }
}

/// Subject keys, shared by the writer and the verifier so they cannot drift apart.
pub mod subject {
    use super::RecordingNameRow;

    pub fn device(serial: &str) -> String {
        format!("device:{serial}")
    }
    pub fn device_event(id: &str) -> String {
        format!("device_event:{id}")
    }
    pub fn station(id: &str) -> String {
        format!("station:{id}")
    }
    pub fn session(id: &str) -> String {
        format!("offload:{id}")
    }
    pub fn recording(sha256: &str) -> String {
        format!("recording:{sha256}")
    }
    pub fn object(sha256: &str) -> String {
        format!("object:{sha256}")
    }
    /// Names are keyed by device, path and content; JSON-quoting the path keeps `:` and newlines unambiguous.
    pub fn name(n: &RecordingNameRow) -> String {
        format!(
            "name:{}:{}:{}",
            n.sha256,
            n.device_serial,
            serde_json::Value::String(n.original_path.clone())
        )
    }
}

//! The platform's side of a station's resumable upload (断点续传) of one device file.
//!
//! 1. [`create`]: the station declares the file (device, officer, device path, size, SHA-256,
//!    SM3). Content the vault already holds is answered "already stored" at once; an upload the
//!    same station has open for the same content is resumed; otherwise a new one is opened.
//! 2. [`begin_append`] … [`Appending::finish`]: a chunk at the offset the platform holds. The
//!    chunk goes to `<data>/uploads/<id>.part`, is fsynced, and only then is the new offset
//!    written to the catalog.
//! 3. [`complete`]: the whole part file is hashed again (SHA-256 and SM3); a mismatch is refused
//!    (the part file is discarded — the device still holds the original — and nothing is
//!    recorded); a match is stored through the offload pipeline
//!    ([`crate::offload::store_received`]).
//!
//! Crash safety. The catalog offset is written only after the part file was fsynced to at least
//! that length, so the durable offset is `min(catalog offset, part file length)`: each request
//! takes the part file's lock, truncates the file to that and writes it back before anything
//! else. Bytes of a chunk cut off (client or server killed) lie past it and are cut away; the
//! station asks the offset and sends them again. A crash during `complete` leaves the upload
//! open with its part file whole: the next `complete` stores it (the pipeline adopts an object
//! already in the vault and finds a recording already made), so nothing is stored twice.
//!
//! Ledger state. An upload's lifecycle is a ledgered row like any other: opened
//! (`station.upload_opened`), then closed once as stored, refused or abandoned
//! (`station.upload_closed`, its `status` and `outcome` in the entry), each transition one entry
//! with its row write in one commit, and an update only at the version it was computed from: of
//! two requests or sweepers closing the same upload, exactly one wins and the other gets a
//! conflict, which it answers from the row as the winner left it. Only the progress — the offset
//! and when it last moved — is written beside the ledger, without an entry. Uploads opened before
//! catalog v14 are taken into the ledger (one `station.upload_opened` entry) when next asked
//! about or swept.
//!
//! Abandoned uploads. An open upload whose offset has not moved for [`ABANDONED_AFTER_DAYS`]
//! days on the real clock (the one every ledger entry records, never the replayed business
//! time) is swept by [`sweep_abandoned`] — the server's housekeeping runs it hourly, `zhilu
//! station sweep` on demand: under its part file's lock, the row is closed as `abandoned` with
//! its one ledger entry in one commit (of several sweepers the one whose commit does so goes
//! on; a sweep cut off before it leaves the upload open, swept by the next run), and then the
//! part file is removed. The device still holds the original, and nothing the vault holds is
//! touched; a later request about it is answered "abandoned" (410), and the station's next run
//! declares the file again and starts from 0.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zhilu_model::{DeviceSerial, OfficerId, Sha256, Sm3, StationId};
use zhilu_store::{Change, StationUpload, StoreError, UploadStatus, Version};

use crate::App;
use crate::actor::{Action, Actor, Target};
use crate::error::{AppError, Field, Thing, id};
use crate::offload::{FileOutcome, Received};

/// The largest chunk one request may carry.
pub const CHUNK_MAX: u64 = 16 * 1024 * 1024;
/// The largest file a station may declare (a day of 4K footage is far less).
pub const FILE_MAX: u64 = 256 * 1024 * 1024 * 1024;
/// The longest device path accepted, in bytes.
const NAME_MAX: usize = 1024;
/// An open upload whose offset has not moved for this many days (real clock) is abandoned. A
/// station retries within minutes; a week covers a station switched off over a long holiday.
pub const ABANDONED_AFTER_DAYS: i64 = 7;
/// The ledger entry of an upload closed — stored, refused or, swept, abandoned (its state's
/// `status` says which).
pub const CLOSED_KIND: &str = "station.upload_closed";
/// The ledger entry of an upload swept as abandoned: a close whose state's `status` is
/// `abandoned`.
pub const ABANDONED_KIND: &str = CLOSED_KIND;

/// What a station declares before sending a file.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUpload {
    /// The device's serial (registered).
    pub device: String,
    /// The officer whose footage it is (registered).
    pub officer: String,
    /// The file's path on the device, relative (`DCIM/100/A.MP4`).
    pub file_name: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 computed at the station (64 hex digits).
    pub sha256: String,
    /// SM3 computed at the station (64 hex digits).
    pub sm3: String,
}

/// An upload the platform holds open.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadView {
    pub id: String,
    /// Bytes durably received: the next chunk starts here.
    pub offset: u64,
    pub size: u64,
    /// `open`, `stored`, `refused` or `abandoned` (swept: declare the file again).
    pub status: String,
}

impl From<&StationUpload> for UploadView {
    fn from(u: &StationUpload) -> Self {
        UploadView {
            id: u.id.clone(),
            offset: u.offset,
            size: u.size,
            status: u.status.as_str().to_string(),
        }
    }
}

/// The platform's answer once a file is in (or was already): only `stored` and
/// `verified_in_every_root` both true let the station clear the file from the device.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Completed {
    /// The vault holds the bytes (stored now, stored before, or stored though damaged).
    pub stored: bool,
    /// Every vault root holds its own copy at the declared size, checked now.
    pub verified_in_every_root: bool,
    pub sha256: String,
    /// `stored`, `duplicate`, `damaged`, `skipped` (not media: not stored) or `already_stored`.
    pub outcome: String,
    /// Why, in Chinese (damaged, skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What [`create`] answers.
#[derive(Debug, Clone)]
pub enum Created {
    /// Send the bytes from `offset` (a new upload, or one resumed).
    Upload { upload: UploadView, resumed: bool },
    /// The vault already holds this content: nothing to send.
    AlreadyStored(Completed),
}

fn station_of(actor: &Actor) -> Result<StationId, AppError> {
    actor
        .station_id()
        .and_then(|s| StationId::parse(s).ok())
        .ok_or_else(|| AppError::Forbidden {
            actor: actor.ledger_name().to_string(),
            action: "以采集站身份上传",
        })
}

/// Checks a device path: relative, no `..`, no empty or hidden-root component, no control
/// characters, no backslash (a Windows path would be one name with separators in it).
fn device_path(s: &str) -> Result<String, AppError> {
    let bad = |why: &str| AppError::invalid(Field::Source, format!("文件名 {s:?} {why}"));
    if s.is_empty() || s.len() > NAME_MAX {
        return Err(bad(&format!("为空或超过 {NAME_MAX} 字节")));
    }
    if s.chars().any(|c| c.is_control() || c == '\\') {
        return Err(bad("含控制字符或反斜杠"));
    }
    if s.starts_with('/') {
        return Err(bad("是绝对路径"));
    }
    if s.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Err(bad("含空的、“.”或“..”路径段"));
    }
    Ok(s.to_string())
}

/// The id of an upload as a path segment: what the platform made (a UUID), nothing else.
fn upload_id(s: &str) -> Result<&str, AppError> {
    if !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        Ok(s)
    } else {
        Err(AppError::NotFound {
            what: Thing::Upload,
            id: s.chars().take(64).collect(),
        })
    }
}

fn part_path(app: &App, id: &str) -> PathBuf {
    app.dir.uploads().join(format!("{id}.part"))
}

fn real_us(app: &App) -> i64 {
    app.clock.real_now().timestamp_micros()
}

/// Whether every root holds its own copy of `sha256` at `size`.
fn verified(app: &App, sha256: &str, size: u64) -> Result<bool, AppError> {
    Ok(crate::blocking(|| app.vault.copies_short(sha256, size))?.is_none())
}

/// The upload `id` of the station acting; another station's is "not found". One opened before
/// catalog v14 and still open is taken into the ledger first.
async fn own_upload(app: &App, actor: &Actor, id: &str) -> Result<StationUpload, AppError> {
    let station = station_of(actor)?;
    let id = upload_id(id)?;
    let found = match app.catalog.station_upload(id).await? {
        Some(u) => Some(u),
        None => match app.catalog.legacy_station_upload(id).await? {
            Some(u) if u.station == station.as_str() && u.status == UploadStatus::Open => {
                Some(adopt(app, actor, u).await?)
            }
            other => other,
        },
    };
    match found {
        Some(u) if u.station == station.as_str() => Ok(u),
        _ => Err(AppError::NotFound {
            what: Thing::Upload,
            id: id.to_string(),
        }),
    }
}

/// Takes an open upload of the pre-v14 table into the ledger as it stands (one
/// `station.upload_opened` entry); returns the row as the ledger holds it now (taken in by
/// another request meanwhile, it is that one's).
async fn adopt(app: &App, actor: &Actor, u: StationUpload) -> Result<StationUpload, AppError> {
    match app.record(actor, vec![Change::insert(u.clone())]).await {
        Ok(_) => {
            tracing::info!(upload = %u.id, station = %u.station, "upload of catalog v13 taken into the ledger");
            Ok(u)
        }
        Err(AppError::Store(StoreError::Duplicate { .. })) => {
            app.catalog.station_upload(&u.id).await?.ok_or_else(|| {
                AppError::Conflict("本采集站已有同一文件的另一个上传，请重新申报该文件".into())
            })
        }
        Err(e) => Err(e),
    }
}

/// Closes the upload `u` (read at `version`) as `status` with `outcome`: one entry, in one
/// commit with the row. `Ok(None)`: another request or sweeper closed it first (a conflict,
/// handled quietly); the caller reads the row as that one left it.
async fn close(
    app: &App,
    actor: &Actor,
    u: &StationUpload,
    version: Version,
    status: UploadStatus,
    outcome: String,
) -> Result<Option<zhilu_store::Appended>, AppError> {
    let closed = StationUpload {
        status,
        outcome: Some(outcome),
        updated_at: real_us(app),
        ..u.clone()
    };
    match app
        .record(actor, vec![Change::update(closed, version)])
        .await
    {
        Ok(a) => Ok(Some(a)),
        Err(AppError::Conflict(_)) => {
            tracing::info!(upload = %u.id, status = status.as_str(), "upload closed by another request first");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Declares a file (step 1 of the module documentation).
pub async fn create(app: &App, actor: &Actor, new: NewUpload) -> Result<Created, AppError> {
    let station = station_of(actor)?;
    let device = id(Field::Device, DeviceSerial::parse, &new.device)?;
    let officer = id(Field::Officer, OfficerId::parse, &new.officer)?;
    let file_name = device_path(&new.file_name)?;
    if new.size == 0 || new.size > FILE_MAX {
        return Err(AppError::invalid(
            Field::Source,
            format!("文件大小须在 1 字节到 {FILE_MAX} 字节之间"),
        ));
    }
    let sha256 = Sha256::parse(&new.sha256.to_ascii_lowercase())
        .map_err(|e| AppError::invalid(Field::Recording, format!("SHA-256：{e}")))?;
    let sm3 = Sm3::parse(&new.sm3.to_ascii_lowercase())
        .map_err(|e| AppError::invalid(Field::Recording, format!("SM3：{e}")))?;
    if app.catalog.device(&device).await?.is_none() {
        return Err(AppError::DeviceNotRegistered(device));
    }
    let Some(person) = app.catalog.officer(&officer).await? else {
        return Err(AppError::OfficerNotRegistered(officer));
    };
    // A station registered for a unit takes only that unit's officers' footage: a token taken
    // from one unit's station cannot file footage under another unit's people.
    if let Some(unit) = app
        .catalog
        .station_credential(&station)
        .await?
        .and_then(|c| c.record.unit)
        && person.unit != unit
    {
        return Err(AppError::Forbidden {
            actor: actor.ledger_name().to_string(),
            action: "上传其他单位执法人员的音像记录（本采集站只接收本单位执法人员的记录）",
        });
    }
    if let Some(rec) = app.catalog.recording(&sha256).await? {
        if rec.size != new.size || rec.sm3 != sm3 {
            return Err(AppError::Conflict(format!(
                "证据库中 SHA-256 为 {sha256} 的文件与申报的大小或 SM3 不一致，拒绝上传"
            )));
        }
        return Ok(Created::AlreadyStored(Completed {
            stored: true,
            verified_in_every_root: verified(app, sha256.as_str(), rec.size)?,
            sha256: sha256.to_string(),
            outcome: "already_stored".into(),
            reason: None,
        }));
    }
    let same = |u: &StationUpload| {
        if u.size == new.size && u.sm3 == sm3.as_str() {
            Ok(())
        } else {
            Err(AppError::Conflict(format!(
                "本采集站已有一个 SHA-256 为 {sha256} 的上传，但大小或 SM3 与此次申报不一致"
            )))
        }
    };
    if let Some(u) = app
        .catalog
        .open_station_upload(station.as_str(), sha256.as_str())
        .await?
    {
        same(&u)?;
        return Ok(Created::Upload {
            upload: UploadView::from(&u),
            resumed: true,
        });
    }
    if let Some(u) = app
        .catalog
        .legacy_open_station_upload(station.as_str(), sha256.as_str())
        .await?
    {
        same(&u)?;
        let u = adopt(app, actor, u).await?;
        if u.status == UploadStatus::Open {
            return Ok(Created::Upload {
                upload: UploadView::from(&u),
                resumed: true,
            });
        }
    }
    let now = real_us(app);
    let u = StationUpload {
        id: app.uuids.next(),
        station: station.to_string(),
        device: device.to_string(),
        officer: officer.to_string(),
        file_name,
        size: new.size,
        sha256: sha256.to_string(),
        sm3: sm3.to_string(),
        offset: 0,
        status: UploadStatus::Open,
        outcome: None,
        created_at: now,
        updated_at: now,
    };
    match app.record(actor, vec![Change::insert(u.clone())]).await {
        Ok(_) => {
            tracing::info!(upload = %u.id, station = %station, size = u.size, "upload opened");
            return Ok(Created::Upload {
                upload: UploadView::from(&u),
                resumed: false,
            });
        }
        // The unique index of open uploads: nothing was written.
        Err(AppError::Store(StoreError::Duplicate { .. })) => {}
        Err(e) => return Err(e),
    }
    // Another request of the same station opened it first.
    match app
        .catalog
        .open_station_upload(station.as_str(), sha256.as_str())
        .await?
    {
        Some(u) => {
            same(&u)?;
            Ok(Created::Upload {
                upload: UploadView::from(&u),
                resumed: true,
            })
        }
        None => Err(AppError::Conflict(
            "同一文件的上传刚刚完成或被拒绝，请重新申报".into(),
        )),
    }
}

/// Opens and locks the part file of `u`, and brings it to the durable offset (see the module
/// documentation); returns the file, positioned there, and the upload as now held, with its
/// version (lowering the offset, progress, leaves that as it was).
async fn locked_part(
    app: &App,
    u: &StationUpload,
) -> Result<(File, StationUpload, Version), AppError> {
    let path = part_path(app, &u.id);
    let dir = app.dir.uploads();
    let file = crate::blocking(|| -> Result<File, AppError> {
        std::fs::create_dir_all(&dir).map_err(|e| AppError::io(&dir, e))?;
        let created = !path.exists();
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| AppError::io(&path, e))?;
        if created {
            File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| AppError::io(&dir, e))?;
        }
        Ok(f)
    })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(AppError::Conflict(
                "该上传正由另一个请求写入，请稍后查询进度后继续".into(),
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(AppError::io(&path, e)),
    }
    // Read again under the lock: another request may have moved it on.
    let held = app
        .catalog
        .station_upload_versioned(&u.id)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Upload,
            id: u.id.clone(),
        })?;
    let (mut u, version) = (held.record, held.version);
    if u.status == UploadStatus::Open {
        let len = file.metadata().map_err(|e| AppError::io(&path, e))?.len();
        let durable = u.offset.min(len).min(u.size);
        if len != durable {
            crate::blocking(|| file.set_len(durable).and_then(|()| file.sync_all()))
                .map_err(|e| AppError::io(&path, e))?;
        }
        if durable != u.offset {
            tracing::warn!(upload = %u.id, catalog = u.offset, durable, "upload offset lowered to the part file");
            app.catalog
                .set_station_upload_offset(&u.id, durable, real_us(app))
                .await?;
            u.offset = durable;
        }
    }
    Ok((file, u, version))
}

/// The upload `id` as the platform holds it now (the offset a station resumes from).
pub async fn status(app: &App, actor: &Actor, id: &str) -> Result<UploadView, AppError> {
    let u = own_upload(app, actor, id).await?;
    if u.status != UploadStatus::Open {
        return Ok(UploadView::from(&u));
    }
    match locked_part(app, &u).await {
        Ok((_file, u, _)) => Ok(UploadView::from(&u)),
        // A chunk is being written: the catalog's offset is durable.
        Err(AppError::Conflict(_)) => Ok(UploadView::from(&u)),
        Err(e) => Err(e),
    }
}

/// A chunk being received (see [`begin_append`]).
#[derive(Debug)]
pub struct Appending<'a> {
    app: &'a App,
    upload: StationUpload,
    file: File,
    written: u64,
}

/// Why a chunk is not taken (see [`begin_append`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotTaken {
    /// The platform holds this many bytes, not the offset sent: send from here.
    Offset(u64),
    /// The upload was swept as abandoned: declare the file again (from 0).
    Abandoned,
}

/// The Chinese answer about an upload swept as abandoned.
pub fn abandoned_message(id: &str) -> String {
    format!(
        "上传 {id} 超过 {ABANDONED_AFTER_DAYS} 天未继续，已作废，平台已删除收到的部分数据：请重新申报该文件，从头上传（设备上的原始文件不受影响）"
    )
}

/// Starts receiving a chunk that the station says starts at `offset`. `Ok(Err(_))`: not taken
/// (the platform holds another offset, or the upload was abandoned).
pub async fn begin_append<'a>(
    app: &'a App,
    actor: &Actor,
    id: &str,
    offset: u64,
) -> Result<Result<Appending<'a>, NotTaken>, AppError> {
    let u = own_upload(app, actor, id).await?;
    if u.status == UploadStatus::Abandoned {
        return Ok(Err(NotTaken::Abandoned));
    }
    if u.status != UploadStatus::Open {
        return Err(AppError::Conflict(format!(
            "上传 {} 已经结束（{}），不再接收数据",
            u.id,
            u.status.as_str()
        )));
    }
    let (mut file, u, _) = locked_part(app, &u).await?;
    if u.status == UploadStatus::Abandoned {
        return Ok(Err(NotTaken::Abandoned));
    }
    if u.status != UploadStatus::Open {
        return Err(AppError::Conflict(format!("上传 {} 已经结束", u.id)));
    }
    if offset != u.offset {
        return Ok(Err(NotTaken::Offset(u.offset)));
    }
    file.seek(SeekFrom::Start(u.offset))
        .map_err(|e| AppError::io(part_path(app, &u.id), e))?;
    Ok(Ok(Appending {
        app,
        upload: u,
        file,
        written: 0,
    }))
}

impl Appending<'_> {
    /// Appends bytes of the chunk. Refuses (and keeps none of the chunk) past [`CHUNK_MAX`] or
    /// past the declared size.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), AppError> {
        let n = bytes.len() as u64;
        if self.written + n > CHUNK_MAX {
            return Err(AppError::TooLarge(format!(
                "一次上传的数据块不能超过 {} MiB",
                CHUNK_MAX / 1024 / 1024
            )));
        }
        if self.upload.offset + self.written + n > self.upload.size {
            return Err(AppError::TooLarge(format!(
                "数据超出申报的文件大小（{} 字节）",
                self.upload.size
            )));
        }
        crate::blocking(|| self.file.write_all(bytes))
            .map_err(|e| AppError::io(part_path(self.app, &self.upload.id), e))?;
        self.written += n;
        Ok(())
    }

    /// Makes the chunk durable (fsync), then records the new offset; returns it.
    pub async fn finish(self) -> Result<u64, AppError> {
        let path = part_path(self.app, &self.upload.id);
        crate::blocking(|| self.file.sync_data()).map_err(|e| AppError::io(&path, e))?;
        let offset = self.upload.offset + self.written;
        self.app
            .catalog
            .set_station_upload_offset(&self.upload.id, offset, real_us(self.app))
            .await?;
        drop(self.file);
        Ok(offset)
    }
}

fn refused_message(u: &StationUpload) -> String {
    format!(
        "收到的文件 {} 与采集站申报的哈希值（SHA-256、SM3）不一致：未入库，已丢弃收到的数据，请重新上传",
        u.file_name
    )
}

/// Finishes an upload (step 3 of the module documentation). Repeated after success, it answers
/// the same.
pub async fn complete(app: &App, actor: &Actor, upload: &str) -> Result<Completed, AppError> {
    let u = own_upload(app, actor, upload).await?;
    let (file, u, version) = match u.status {
        UploadStatus::Open => locked_part(app, &u).await?,
        _ => return finished(app, &u).await,
    };
    if u.status != UploadStatus::Open {
        return finished(app, &u).await;
    }
    if u.offset != u.size {
        return Err(AppError::Conflict(format!(
            "上传尚未收齐：已收到 {} 字节，共 {} 字节",
            u.offset, u.size
        )));
    }
    let path = part_path(app, &u.id);
    let digests = crate::blocking(|| {
        let mut r = &file;
        r.seek(SeekFrom::Start(0))?;
        crate::hashing::hash_stream(&mut r)
    })
    .map_err(|e| AppError::io(&path, e))?;
    if digests.size != u.size || digests.sha256_hex() != u.sha256 || digests.sm3_hex() != u.sm3 {
        let message = refused_message(&u);
        tracing::warn!(upload = %u.id, station = %u.station, "upload refused: hashes differ from the declared ones");
        if close(app, actor, &u, version, UploadStatus::Refused, "{}".into())
            .await?
            .is_none()
        {
            return finished_now(app, &u.id).await;
        }
        drop(file);
        let _ = std::fs::remove_file(&path);
        return Err(AppError::Conflict(message));
    }
    let device = id(Field::Device, DeviceSerial::parse, &u.device)?;
    let officer = id(Field::Officer, OfficerId::parse, &u.officer)?;
    let station = id(Field::Station, StationId::parse, &u.station)?;
    let result = crate::offload::store_received(
        app,
        actor,
        Received {
            path: &path,
            device_path: &u.file_name,
            device: &device,
            officer: &officer,
            station: &station,
        },
    )
    .await?;
    let stored = matches!(
        result.outcome,
        FileOutcome::Stored | FileOutcome::Duplicate | FileOutcome::Damaged
    );
    let done = Completed {
        stored,
        verified_in_every_root: stored && verified(app, &u.sha256, u.size)?,
        sha256: u.sha256.clone(),
        outcome: match result.outcome {
            FileOutcome::Stored => "stored",
            FileOutcome::Duplicate => "duplicate",
            FileOutcome::Damaged => "damaged",
            FileOutcome::Skipped => "skipped",
        }
        .into(),
        reason: result.reason,
    };
    let text = serde_json::to_string(&done).map_err(|e| AppError::OffloadFailed(e.to_string()))?;
    if close(app, actor, &u, version, UploadStatus::Stored, text)
        .await?
        .is_none()
    {
        return finished_now(app, &u.id).await;
    }
    drop(file);
    // The vault holds the bytes now (or they are not evidence): the part file has served.
    if let Err(e) = std::fs::remove_file(&path) {
        tracing::warn!(upload = %u.id, error = %e, "part file not removed");
    }
    tracing::info!(upload = %u.id, station = %u.station, outcome = %done.outcome, "upload completed");
    Ok(done)
}

/// The answer of an upload that already ended. An answer saying "stored" is given only while
/// the catalog holds the recording (a row of the pre-v14 table, kept beside the ledger, is not
/// trusted further than that).
async fn finished(app: &App, u: &StationUpload) -> Result<Completed, AppError> {
    match (u.status, u.outcome.as_deref()) {
        (UploadStatus::Stored, Some(text)) => {
            let done: Completed = serde_json::from_str(text).map_err(|e| {
                AppError::OffloadFailed(format!("上传 {} 的结果无法读取：{e}", u.id))
            })?;
            if done.stored {
                let sha = Sha256::parse(&done.sha256).map_err(|e| {
                    AppError::OffloadFailed(format!("上传 {} 的结果无法读取：{e}", u.id))
                })?;
                if app.catalog.recording(&sha).await?.is_none() {
                    return Err(AppError::Conflict(format!(
                        "上传 {} 记为已入库，但证据库目录中没有 SHA-256 为 {sha} 的记录：请勿清除设备上的文件，重新申报该文件",
                        u.id
                    )));
                }
            }
            Ok(done)
        }
        (UploadStatus::Abandoned, _) => Err(AppError::Conflict(abandoned_message(&u.id))),
        _ => Err(AppError::Conflict(refused_message(u))),
    }
}

/// The answer of upload `id` as another request closed it (see [`close`]).
async fn finished_now(app: &App, id: &str) -> Result<Completed, AppError> {
    match app.catalog.station_upload(id).await? {
        Some(u) if u.status != UploadStatus::Open => finished(app, &u).await,
        _ => Err(AppError::Conflict(
            "该上传正由另一个请求处理，请稍后查询进度".into(),
        )),
    }
}

/// One upload swept as abandoned.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Swept {
    pub id: String,
    pub station: String,
    pub device: String,
    pub file_name: String,
    pub size: u64,
    /// Bytes received before it stopped (now removed).
    pub offset: u64,
    /// When its offset last moved (real clock).
    pub idle_since: chrono::DateTime<chrono::Utc>,
    /// The ledger entry recording the sweep.
    pub entry: u64,
}

/// What a sweep did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SweepReport {
    /// The limit: uploads idle for longer than this many days are swept.
    pub after_days: i64,
    pub swept: Vec<Swept>,
    /// Idle uploads left alone because a request was writing them at that moment.
    pub busy: usize,
    /// Idle uploads whose received bytes are in another server's data directory (left to it).
    pub elsewhere: usize,
}

/// Sweeps the open uploads idle for longer than [`ABANDONED_AFTER_DAYS`] (real clock): see the
/// module documentation. `actor`: a system administrator (`zhilu station sweep`) or the
/// server's housekeeping (`Actor::system`).
pub async fn sweep_abandoned(app: &App, actor: &Actor) -> Result<SweepReport, AppError> {
    if actor.person_id().is_some() {
        actor.require(Action::ManageStations, Target::default())?;
    } else if actor.station_id().is_some() {
        return Err(AppError::Forbidden {
            actor: actor.ledger_name().to_string(),
            action: "清理作废的上传",
        });
    }
    let limit_us = ABANDONED_AFTER_DAYS * 24 * 3600 * 1_000_000;
    let cutoff = real_us(app) - limit_us;
    let mut report = SweepReport {
        after_days: ABANDONED_AFTER_DAYS,
        swept: Vec::new(),
        busy: 0,
        elsewhere: 0,
    };
    if let Some((catalog, signed)) = app.catalog_behind() {
        return Err(AppError::CatalogBehind { catalog, signed });
    }
    // Idle uploads opened before catalog v14: taken into the ledger first (each its own commit;
    // cut off between, the next sweep finds it in the ledger, still open).
    for old in app.catalog.legacy_stale_station_uploads(cutoff).await? {
        match adopt(app, actor, old).await {
            Ok(_) => {}
            // Its station has another open upload of the same content: left beside the ledger.
            Err(AppError::Conflict(e)) => {
                tracing::warn!(error = %e, "upload of catalog v13 not taken in")
            }
            Err(e) => return Err(e),
        }
    }
    for stale in app.catalog.stale_station_uploads(cutoff).await? {
        let path = part_path(app, &stale.id);
        // Never `locked_part` here: it would create a missing part file and lower the offset
        // to it. A part file missing while bytes were received lives in another server's data
        // directory (servers sharing a catalog each keep their own): that server sweeps it.
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(AppError::io(&path, e)),
        };
        if file.is_none() && stale.offset > 0 {
            report.elsewhere += 1;
            continue;
        }
        // The part file's lock keeps out a request writing it now.
        if let Some(f) = &file {
            match f.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    report.busy += 1;
                    continue;
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(AppError::io(&path, e)),
            }
        }
        // Read again under the lock: it may have moved, ended, or been swept by another sweep.
        let Some(held) = app.catalog.station_upload_versioned(&stale.id).await? else {
            continue;
        };
        let (u, version) = (held.record, held.version);
        if u.status != UploadStatus::Open || u.updated_at >= cutoff {
            continue;
        }
        // The row closed and its one entry in one commit, at the version read: of several
        // sweepers (servers sharing a catalog, a CLI) or a request completing it meanwhile,
        // exactly one commit wins; the others get a conflict and leave it.
        let outcome = serde_json::json!({
            "received": u.offset,
            "idle_since": u.updated_at,
            "after_days": ABANDONED_AFTER_DAYS,
        })
        .to_string();
        let Some(appended) =
            close(app, actor, &u, version, UploadStatus::Abandoned, outcome).await?
        else {
            continue;
        };
        drop(file);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(upload = %u.id, error = %e, "part file of an abandoned upload not removed")
            }
        }
        tracing::info!(upload = %u.id, station = %u.station, received = u.offset, "abandoned upload swept");
        report.swept.push(Swept {
            idle_since: chrono::DateTime::from_timestamp_micros(u.updated_at).unwrap_or_default(),
            id: u.id,
            station: u.station,
            device: u.device,
            file_name: u.file_name,
            size: u.size,
            offset: u.offset,
            entry: appended.first_seq,
        });
    }
    Ok(report)
}

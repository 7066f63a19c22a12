//! Offload (R16): take every file off a mounted device folder at a collection station, store each
//! original in every vault root in one pass with both hashes, verify it, and record it.
//!
//! Order of effects for one file, and why a crash anywhere is safe:
//! 1. the copies are written to temporary files, fsynced, read back and linked into place
//!    (see `zhilu_store::vault`); a crash here leaves only temporary files, removed later;
//! 2. the recording row, its name and their ledger entries are committed in one transaction;
//!    a crash between 1 and 2 leaves a complete object with no row, which the re-run adopts
//!    (the link finds it present and the row is then written).
//!
//! The session row is `running` until the end. An offload holds its device's lock for as long as
//! it runs ([`lock_device`]: where every writer of the catalog meets, on any server), so a
//! session of that device found `running` by the next offload (which holds the lock) belongs to
//! a process that died: it is marked `interrupted` in the ledger.

mod clear;
pub(crate) mod guard;
mod pipeline;
mod walk;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_media::DeviceFileName;
use zhilu_model::explain::io_error;
use zhilu_model::*;
use zhilu_store::{Change, StoreError};

pub(crate) use self::clear::clear_checked;
use self::clear::{Clearable, clear_device};
pub(crate) use self::pipeline::Opened;
use self::pipeline::{Outcome, process_file};
pub(crate) use self::walk::{Found, Walk, walk};
use crate::App;
use crate::actor::{Action, Actor};
use crate::error::{AppError, Field, id};

/// What an offload is asked to do.
#[derive(Debug, Clone)]
pub struct OffloadRequest {
    /// The mounted device folder.
    pub source: PathBuf,
    pub device: String,
    /// The officer who brought the device.
    pub officer: String,
    pub station: String,
    /// The time the device showed when it was connected (R4); its offset to the station clock
    /// is recorded.
    pub device_clock: Option<DateTime<Utc>>,
    /// Delete the offloaded files from the device once every one of them is verified in every
    /// vault root (R26: officers keep no copies; the station clears the device).
    pub clear_device: bool,
}

/// A file that was not imported as intact media, and why (Chinese, for the officer).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ListedFile {
    pub file: String,
    pub reason: String,
}

/// The outcome of one offload. `imported + duplicates + damaged + skipped` = files found.
#[derive(Debug, Clone, Serialize)]
pub struct OffloadReport {
    pub session: SessionId,
    pub device: DeviceSerial,
    /// Whose footage it is: the registered officer who brought the device.
    pub officer: OfficerId,
    /// Who operated the station (the actor the ledger records for every entry of this offload).
    pub operator: String,
    pub station: StationId,
    /// Intact recordings stored for the first time.
    pub imported: u64,
    /// Files whose bytes were already stored (counted once; the extra name is recorded).
    pub duplicates: u64,
    /// Media that could not be parsed (e.g. cut off when the battery died): stored byte-exact.
    pub damaged: Vec<ListedFile>,
    /// Empty files, non-media files, links and unreadable files, with reasons. Not stored.
    pub skipped: Vec<ListedFile>,
    /// Bytes of newly stored originals (imported and damaged).
    pub bytes: u64,
    /// Bytes read from the device.
    pub bytes_read: u64,
    pub seconds: f64,
    pub mb_per_s: f64,
    pub device_clock_offset_ms: Option<i64>,
    pub device_cleared: bool,
    /// Files left on the device although clearing was asked for, each with the reason (changed
    /// or replaced after the copy, a vault copy short…). Empty unless clearing was asked for.
    pub kept_on_device: Vec<ListedFile>,
    /// Earlier offloads of this device that had been cut off and are now marked interrupted.
    pub recovered_sessions: Vec<SessionId>,
    /// Recordings linked to registered activities after the offload (officer + device + time).
    pub linked: usize,
    /// Something on the device could not be read; the device is then never cleared.
    #[serde(skip)]
    unread: bool,
    /// The device files found already stored (their name, the stored object), for the
    /// session's per-file record (`offload.results`).
    #[serde(skip)]
    duplicate_files: Vec<(String, String)>,
}

/// Progress of an offload as it goes (a station's progress bar, a page's progress).
pub trait Progress: Sync {
    fn planned(&self, _files: u64, _bytes: u64) {}
    fn file_started(&self, _name: &str, _size: u64) {}
    fn bytes(&self, _n: u64) {}
    fn file_done(&self, _name: &str) {}
    /// Every file is copied and recorded; clearing the device (`files` candidates) starts now.
    fn clearing(&self, _files: u64) {}
}

/// Progress nobody watches.
#[derive(Debug, Default)]
pub struct Silent;
impl Progress for Silent {}

/// What one offload passes to each file's steps.
struct Ctx<'a> {
    actor: &'a Actor,
    device: &'a DeviceSerial,
    officer: &'a OfficerId,
    station: &'a StationId,
    session: &'a SessionId,
    progress: &'a dyn Progress,
    /// COMPLIANCE retention for copies in roots with object lock ([`object_lock_until`], taken
    /// when the session starts: never later than any of its files' offload time + the minimum).
    retain_until: Option<DateTime<Utc>>,
}

/// Offloads one device folder. See the module documentation for the crash-safety argument.
pub async fn offload(
    app: &App,
    actor: &Actor,
    req: &OffloadRequest,
    progress: &dyn Progress,
) -> Result<OffloadReport, AppError> {
    let started = Instant::now();
    let device = id(Field::Device, DeviceSerial::parse, &req.device)?;
    let officer = id(Field::Officer, OfficerId::parse, &req.officer)?;
    let station = id(Field::Station, StationId::parse, &req.station)?;
    if app.catalog.device(&device).await?.is_none() {
        return Err(AppError::DeviceNotRegistered(device));
    }
    // Whose footage it is must be a registered officer: an unknown id would file evidence under
    // nobody (or under a typo) and no check or access rule could find it.
    if app.catalog.officer(&officer).await?.is_none() {
        return Err(AppError::OfficerNotRegistered(officer));
    }
    app.require_for(actor, Action::Offload, std::slice::from_ref(&officer), &[])
        .await?;
    let source = fs::canonicalize(&req.source).map_err(|e| AppError::SourceUnreadable {
        path: req.source.clone(),
        reason: io_error(&e),
    })?;
    if !source.is_dir() {
        return Err(AppError::SourceUnreadable {
            path: req.source.clone(),
            reason: "不是目录".into(),
        });
    }
    guard::refuse_protected(app, &source)?;
    let Some(lock) = lock_device(app, &device, false).await? else {
        return Err(AppError::OffloadInProgress(device));
    };
    let Walk {
        found: files,
        mut skipped,
        unread,
    } = walk(&source, &guard::protected_idents(app))?;
    if files.is_empty() && skipped.is_empty() {
        return Err(AppError::EmptySource(req.source.clone()));
    }

    let now = app.now();
    let mut setup = Vec::new();
    let mut recovered = Vec::new();
    // We hold the device's lock: a session of it still marked running was cut off.
    for s in app.catalog.running_sessions(&device).await? {
        recovered.push(s.record.id.clone());
        let mut done = s.record.clone();
        done.status = SessionStatus::Interrupted;
        done.finished_at = Some(now);
        setup.push(Change::update(done, s.version));
    }
    if app.catalog.station(&station).await?.is_none() {
        setup.push(Change::insert(Station {
            id: station.clone(),
            first_seen: now,
        }));
    }
    let offset_ms = req.device_clock.map(|t| (t - app.now()).num_milliseconds());
    let mut session = OffloadSession {
        id: id(Field::Source, SessionId::parse, &app.uuids.next())?,
        device: device.clone(),
        officer: officer.clone(),
        station: station.clone(),
        source: source.display().to_string(),
        started_at: now,
        finished_at: None,
        status: SessionStatus::Running,
        device_clock_offset_ms: offset_ms,
        device_cleared: false,
        files_seen: (files.len() + skipped.len()) as u64,
        imported: 0,
        duplicates: 0,
        damaged: 0,
        skipped: 0,
        bytes: 0,
    };
    setup.push(Change::insert(session.clone()));
    // Before the session is recorded: a failure here leaves no session running.
    let retain_until = object_lock_until(app, app.now()).await?;
    app.record(actor, setup).await?;

    progress.planned(files.len() as u64, files.iter().map(|f| f.size).sum());
    let mut report = OffloadReport {
        linked: 0,
        session: session.id.clone(),
        device: device.clone(),
        officer: officer.clone(),
        operator: actor.ledger_name().to_string(),
        station: station.clone(),
        imported: 0,
        duplicates: 0,
        damaged: Vec::new(),
        skipped: Vec::new(),
        bytes: 0,
        bytes_read: 0,
        seconds: 0.0,
        mb_per_s: 0.0,
        device_clock_offset_ms: offset_ms,
        device_cleared: false,
        kept_on_device: Vec::new(),
        recovered_sessions: recovered,
        unread,
        duplicate_files: Vec::new(),
    };
    let mut clearable: Vec<Clearable<'_>> = Vec::new();
    let mut failure = None;
    // Pipelined: file N is made durable and verified in the background while file N+1 is
    // copied; N is recorded once both are done, so records stay in order and a record is only
    // ever written for a verified, durable object.
    let ctx = Ctx {
        actor,
        device: &device,
        officer: &officer,
        station: &station,
        session: &session.id,
        progress,
        retain_until,
    };
    let mut waiting: Option<(&Found, Outcome)> = None;
    for f in &files {
        let next = match prepare(app, f, &ctx).await {
            Ok(o) => o,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        let ready: Vec<(&Found, Outcome)> = match next {
            Outcome::Stored { .. } => waiting.replace((f, next)).into_iter().collect(),
            other => waiting.take().into_iter().chain([(f, other)]).collect(),
        };
        for (rf, outcome) in ready {
            match settle(app, rf, outcome, &ctx, &mut report).await {
                Ok(Some((sha256, opened))) => clearable.push(Clearable {
                    found: rf,
                    sha256,
                    opened,
                }),
                Ok(None) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if failure.is_some() {
            break;
        }
    }
    // The last copied file is recorded even if a later one failed: its copies are independent
    // and, once verified, are evidence like any other.
    if let Some((rf, outcome)) = waiting.take() {
        match settle(app, rf, outcome, &ctx, &mut report).await {
            Ok(Some((sha256, opened))) => clearable.push(Clearable {
                found: rf,
                sha256,
                opened,
            }),
            Ok(None) => {}
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    report.skipped.append(&mut skipped);
    report.skipped.sort_by(|a, b| a.file.cmp(&b.file));

    let mut close = Vec::new();
    // What became of each file that left no recording of its own (skipped, with why; already
    // stored, with which object), kept with the session so the station's record can be read
    // later, not only in this report. Capped: a device full of junk must not make one entry huge.
    if !report.skipped.is_empty() || !report.duplicate_files.is_empty() {
        close.push(Change::event(
            RESULTS,
            format!("offload_session:{}", session.id),
            serde_json::json!({
                "skipped": report.skipped.iter().take(RESULTS_CAP)
                    .map(|l| serde_json::json!({"file": l.file, "reason": l.reason}))
                    .collect::<Vec<_>>(),
                "duplicates": report.duplicate_files.iter().take(RESULTS_CAP)
                    .map(|(file, sha)| serde_json::json!({"file": file, "sha256": sha}))
                    .collect::<Vec<_>>(),
                "omitted": report.skipped.len().saturating_sub(RESULTS_CAP)
                    + report.duplicate_files.len().saturating_sub(RESULTS_CAP),
            }),
        ));
    }
    if failure.is_none() && req.clear_device && !report.unread {
        progress.clearing(clearable.len() as u64);
        let cleared = clear_device(app, &clearable).await;
        report.device_cleared = cleared.error.is_none() && cleared.kept.is_empty();
        report.kept_on_device = cleared.kept;
        if let Some(e) = cleared.error {
            // Every file is safely in the vault; only the clearing stopped. The session is closed
            // all the same, and the ledger names the files already removed from the device.
            close.push(Change::event(
                DEVICE_CLEAR_FAILED,
                format!("offload_session:{}", session.id),
                serde_json::json!({
                    "removed": cleared.removed,
                    "error": e.to_string(),
                }),
            ));
            failure = Some(AppError::OffloadFailed(format!(
                "所有文件均已安全入库，但清除设备上的文件时出错（已清除 {} 个，其余仍在设备上）：{e}",
                cleared.removed.len()
            )));
        }
    }
    session.finished_at = Some(app.now());
    session.status = if failure.is_some() {
        SessionStatus::Failed
    } else {
        SessionStatus::Finished
    };
    session.device_cleared = report.device_cleared;
    session.imported = report.imported;
    session.duplicates = report.duplicates;
    session.damaged = report.damaged.len() as u64;
    session.skipped = report.skipped.len() as u64;
    session.bytes = report.bytes;
    let version = closing_version(app, &session.id).await?;
    let session_id = session.id.clone();
    close.insert(0, Change::update(session, version));
    let closed = app.record(actor, close).await;
    if let Some(e) = failure {
        return Err(e);
    }
    closed?;
    // The files are stored and the session closed: linking is a convenience on top. If it fails,
    // the offload still succeeded, and the compliance check lists what remains unlinked (R17).
    report.linked = match crate::records::autolink_session(app, &session_id).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(session = %session_id, error = %e, "automatic linking after offload failed");
            0
        }
    };
    report.seconds = started.elapsed().as_secs_f64();
    report.mb_per_s = if report.seconds > 0.0 {
        report.bytes_read as f64 / 1e6 / report.seconds
    } else {
        0.0
    };
    lock.release().await;
    Ok(report)
}

/// The version at which this offload or upload closes its session: the row as the entry that
/// started it left it, still `running` (only the device lock's holder changes it). Another
/// server marks it `interrupted` only after taking the device's lock, which it can do when this
/// process lost the lock mid-way (its database connection cut while the copy went on): the
/// session is then that server's account of a cut-off transfer, and this close is refused
/// instead of written over it. The files stored meanwhile stay stored, each in its own entry. A
/// takeover between this read and the close makes the close's version check fail (a conflict):
/// nothing is overwritten either way.
async fn closing_version(app: &App, id: &SessionId) -> Result<zhilu_store::Version, AppError> {
    let current = app
        .catalog
        .session(id)
        .await?
        .ok_or_else(|| AppError::OffloadFailed(format!("导入批次 {id} 丢失")))?;
    if current.record.status != SessionStatus::Running {
        return Err(AppError::OffloadFailed(format!(
            "导入批次 {id} 已被标记为“{}”：本机持有的设备锁在导入途中丢失（与数据库的连接曾中断），另一处已接手该设备。已入库的文件均已保留；请核对导入记录后重新导入该设备，已入库的文件不会重复保存",
            current.record.status.label()
        )));
    }
    Ok(current.version)
}

/// Holds `device`'s lock, which one offload or station upload of the device holds at a time.
/// Every process writing the catalog meets at it, whichever server it runs on: on PostgreSQL an
/// advisory lock (a killed process's dies with its connection) and, on every backend, the data
/// directory's lock file, where this machine's processes meet (on SQLite, whose writers all run
/// on one machine, the whole lock). `wait`: queue for it; otherwise `None` while another holds it.
pub async fn lock_device(
    app: &App,
    device: &DeviceSerial,
    wait: bool,
) -> Result<Option<zhilu_store::DeviceLock>, AppError> {
    Ok(app
        .catalog
        .device_lock(device, wait, &app.dir.offload_lock(device))
        .await?)
}

/// One device file a networked station sent (issue 15, R16), received whole at `path` and
/// checked against the hashes the station declared.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The received bytes (the upload's part file).
    pub path: &'a Path,
    /// Its path on the device, as the station found it.
    pub device_path: &'a str,
    pub device: &'a DeviceSerial,
    pub officer: &'a OfficerId,
    pub station: &'a StationId,
}

/// Stores one file a station sent through the very steps of a local offload (sniff, probe, copy
/// into every root hashing both ways, read back, record), as an offload session of its own
/// (`source` = `station:<id>`), holding the device's lock as a local offload does. The caller
/// has checked who sends it and that the device and officer are registered.
pub async fn store_received(
    app: &App,
    actor: &Actor,
    r: Received<'_>,
) -> Result<FileResult, AppError> {
    // Waits for an offload or another upload of the same device, on any server, to finish.
    let lock = lock_device(app, r.device, true)
        .await?
        .ok_or_else(|| AppError::OffloadInProgress(r.device.clone()))?;
    let meta = fs::symlink_metadata(r.path).map_err(|e| AppError::io(r.path, e))?;
    let found = Found {
        rel: r.device_path.to_string(),
        abs: r.path.to_path_buf(),
        size: meta.len(),
        dev: std::os::unix::fs::MetadataExt::dev(&meta),
        ino: std::os::unix::fs::MetadataExt::ino(&meta),
    };
    let now = app.now();
    let mut setup = Vec::new();
    // We hold the device's lock: a session of it still marked running was cut off.
    for s in app.catalog.running_sessions(r.device).await? {
        let mut done = s.record.clone();
        done.status = SessionStatus::Interrupted;
        done.finished_at = Some(now);
        setup.push(Change::update(done, s.version));
    }
    if app.catalog.station(r.station).await?.is_none() {
        setup.push(Change::insert(Station {
            id: r.station.clone(),
            first_seen: now,
        }));
    }
    let mut session = OffloadSession {
        id: id(Field::Source, SessionId::parse, &app.uuids.next())?,
        device: r.device.clone(),
        officer: r.officer.clone(),
        station: r.station.clone(),
        source: format!("station:{}", r.station),
        started_at: now,
        finished_at: None,
        status: SessionStatus::Running,
        device_clock_offset_ms: None,
        device_cleared: false,
        files_seen: 1,
        imported: 0,
        duplicates: 0,
        damaged: 0,
        skipped: 0,
        bytes: 0,
    };
    setup.push(Change::insert(session.clone()));
    // Before the session is recorded: a failure here leaves no session running.
    let retain_until = object_lock_until(app, app.now()).await?;
    app.record(actor, setup).await?;
    let mut report = OffloadReport {
        linked: 0,
        session: session.id.clone(),
        device: r.device.clone(),
        officer: r.officer.clone(),
        operator: actor.ledger_name().to_string(),
        station: r.station.clone(),
        imported: 0,
        duplicates: 0,
        damaged: Vec::new(),
        skipped: Vec::new(),
        bytes: 0,
        bytes_read: 0,
        seconds: 0.0,
        mb_per_s: 0.0,
        device_clock_offset_ms: None,
        device_cleared: false,
        kept_on_device: Vec::new(),
        recovered_sessions: Vec::new(),
        unread: false,
        duplicate_files: Vec::new(),
    };
    let ctx = Ctx {
        actor,
        device: r.device,
        officer: r.officer,
        station: r.station,
        session: &session.id,
        progress: &Silent,
        retain_until,
    };
    let stored = match prepare(app, &found, &ctx).await {
        Ok(outcome) => settle(app, &found, outcome, &ctx, &mut report).await,
        Err(e) => Err(e),
    };
    let mut close = Vec::new();
    if !report.skipped.is_empty() || !report.duplicate_files.is_empty() {
        close.push(Change::event(
            RESULTS,
            format!("offload_session:{}", session.id),
            serde_json::json!({
                "skipped": report.skipped.iter()
                    .map(|l| serde_json::json!({"file": l.file, "reason": l.reason}))
                    .collect::<Vec<_>>(),
                "duplicates": report.duplicate_files.iter()
                    .map(|(file, sha)| serde_json::json!({"file": file, "sha256": sha}))
                    .collect::<Vec<_>>(),
                "omitted": 0,
            }),
        ));
    }
    session.finished_at = Some(app.now());
    session.status = if stored.is_err() {
        SessionStatus::Failed
    } else {
        SessionStatus::Finished
    };
    session.imported = report.imported;
    session.duplicates = report.duplicates;
    session.damaged = report.damaged.len() as u64;
    session.skipped = report.skipped.len() as u64;
    session.bytes = report.bytes;
    let version = closing_version(app, &session.id).await?;
    let session_id = session.id.clone();
    close.insert(0, Change::update(session, version));
    let closed = app.record(actor, close).await;
    let stored = stored?;
    closed?;
    if let Err(e) = crate::records::autolink_session(app, &session_id).await {
        tracing::warn!(session = %session_id, error = %e, "automatic linking after a station upload failed");
    }
    lock.release().await;
    let (outcome, reason) = if let Some(d) = report.damaged.first() {
        (FileOutcome::Damaged, Some(d.reason.clone()))
    } else if let Some(s) = report.skipped.first() {
        (FileOutcome::Skipped, Some(s.reason.clone()))
    } else if report.imported > 0 {
        (FileOutcome::Stored, None)
    } else {
        (FileOutcome::Duplicate, None)
    };
    Ok(FileResult {
        file: r.device_path.to_string(),
        outcome,
        reason,
        sha256: stored.map(|(sha, _)| sha.to_string()),
    })
}

/// Copies one file into the vault (first phase of an offload of one file).
async fn prepare(app: &App, f: &Found, ctx: &Ctx<'_>) -> Result<Outcome, AppError> {
    let known: Vec<String> = app
        .catalog
        .names_at(ctx.device, &f.rel)
        .await?
        .into_iter()
        .filter(|n| n.size == f.size)
        .map(|n| n.sha256.to_string())
        .collect();
    crate::blocking(|| process_file(&app.vault, f, &known, ctx.progress, ctx.retain_until))
}

/// Until when a vault root with object lock (an S3 bucket with object lock enabled) keeps a copy
/// of a recording offloaded at `offloaded` in COMPLIANCE retention (X5): the offload time plus the
/// profile's minimum retention,
/// in months on the China calendar day, as `zhilu_policy::retention` counts them. The lock is a
/// floor no account can lift; the catalog decides the rest (case, long-term, holds). `None`
/// without a profile.
pub(crate) async fn object_lock_until(
    app: &App,
    offloaded: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let Some(profile) = app.profile_opt().await? else {
        return Ok(None);
    };
    let months = u32::try_from(*profile.retention.minimum_months.get_ref()).ok();
    Ok(months.and_then(|m| {
        offloaded
            .with_timezone(&zhilu_policy::facts::china())
            .checked_add_months(chrono::Months::new(m))
            .map(|t| t.with_timezone(&Utc))
    }))
}

/// Records one prepared file, after its copies are durable and verified. Returns the stored
/// object's SHA-256, and the device file as it was opened, when the file is now safely in the
/// vault (so it may be cleared from the device).
async fn settle(
    app: &App,
    f: &Found,
    outcome: Outcome,
    ctx: &Ctx<'_>,
    report: &mut OffloadReport,
) -> Result<Option<(Sha256, Opened)>, AppError> {
    let (digests, kind, media, name, opened) = match outcome {
        Outcome::Skipped { reason, unread } => {
            report.unread |= unread;
            report.skipped.push(ListedFile {
                file: f.rel.clone(),
                reason,
            });
            return Ok(None);
        }
        Outcome::AlreadyRecorded(sha, opened) => {
            report.duplicates += 1;
            report.duplicate_files.push((f.rel.clone(), sha.clone()));
            report.bytes_read += f.size;
            return Ok(Sha256::parse(&sha).ok().map(|s| (s, opened)));
        }
        Outcome::Stored {
            digests,
            kind,
            media,
            name,
            finishing,
            opened,
        } => {
            crate::blocking(|| finishing.join())
                .unwrap_or_else(|_| Err(StoreError::NotFound("写入线程异常退出".into())))
                .map_err(|e| {
                    AppError::OffloadFailed(format!("写入证据库失败（{}）：{e}", f.rel))
                })?;
            ctx.progress.file_done(&f.rel);
            (digests, kind, media, name, opened)
        }
    };
    report.bytes_read += digests.size;
    let sha = Sha256::from_bytes(&digests.sha256);
    let now = app.now();
    let name_row = RecordingName {
        sha256: sha.clone(),
        device: ctx.device.clone(),
        original_path: f.rel.clone(),
        size: digests.size,
        session: ctx.session.clone(),
        seen_at: now,
    };
    if app.catalog.recording(&sha).await?.is_some() {
        let already = app
            .catalog
            .names_at(ctx.device, &f.rel)
            .await?
            .iter()
            .any(|n| n.sha256 == sha);
        if !already {
            app.record(ctx.actor, vec![Change::insert(name_row)])
                .await?;
        }
        report.duplicates += 1;
        report
            .duplicate_files
            .push((f.rel.clone(), sha.to_string()));
        return Ok(Some((sha, opened)));
    }
    let row = recording_row(f, &digests, kind, media, name.as_ref(), ctx, now);
    let damage = row.damage_reason.clone();
    match app
        .record(
            ctx.actor,
            vec![Change::insert(row), Change::insert(name_row.clone())],
        )
        .await
    {
        Ok(_) => {}
        // Another station stored the same bytes between our look and our write (the same file
        // on two devices): the object is there, this is one more name for it.
        Err(AppError::Store(StoreError::Duplicate { .. }))
            if app.catalog.recording(&sha).await?.is_some() =>
        {
            if !app
                .catalog
                .names_at(ctx.device, &f.rel)
                .await?
                .iter()
                .any(|n| n.sha256 == sha)
            {
                app.record(ctx.actor, vec![Change::insert(name_row)])
                    .await?;
            }
            report.duplicates += 1;
            report
                .duplicate_files
                .push((f.rel.clone(), sha.to_string()));
            return Ok(Some((sha, opened)));
        }
        Err(e) => return Err(e),
    }
    report.bytes += digests.size;
    match damage {
        Some(reason) => report.damaged.push(ListedFile {
            file: f.rel.clone(),
            reason,
        }),
        None => report.imported += 1,
    }
    Ok(Some((sha, opened)))
}

/// What the station learned about one stored file.
fn recording_row(
    f: &Found,
    digests: &crate::hashing::Digests,
    kind: zhilu_media::MediaKind,
    media: Result<zhilu_media::MediaInfo, String>,
    name: Option<&DeviceFileName>,
    ctx: &Ctx<'_>,
    now: DateTime<Utc>,
) -> Recording {
    let original_name = Path::new(&f.rel)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| f.rel.clone());
    let (info, damage) = match media {
        Ok(info) => (Some(info), None),
        Err(reason) => (None, Some(reason)),
    };
    let (start, source) =
        zhilu_media::capture_start(info.as_ref().and_then(|i| i.capture_start.as_ref()), name);
    let duration_ms = info
        .as_ref()
        .and_then(|i| i.duration_s)
        .filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e9)
        .map(|d| (d * 1000.0).round() as u64);
    Recording {
        sha256: Sha256::from_bytes(&digests.sha256),
        sm3: Sm3::from_bytes(&digests.sm3),
        size: digests.size,
        media_kind: MediaKind::parse(kind.as_str()).unwrap_or(MediaKind::Unknown),
        capture_start: start,
        capture_end: match (start, duration_ms) {
            (Some(s), Some(d)) => {
                Some(s + chrono::Duration::milliseconds(i64::try_from(d).unwrap_or(i64::MAX)))
            }
            _ => None,
        },
        duration_ms,
        time_source: TimeSource::parse(source.as_str()).unwrap_or(TimeSource::Unknown),
        device: ctx.device.clone(),
        officer: ctx.officer.clone(),
        name_device_id: name.and_then(|n| n.device_id.clone()),
        name_officer_id: name.and_then(|n| n.officer_id.clone()),
        sequence: name.and_then(|n| n.sequence),
        important: name.is_some_and(|n| n.important),
        original_name,
        original_path: f.rel.clone(),
        offloaded_at: now,
        station: ctx.station.clone(),
        session: ctx.session.clone(),
        damaged: damage.is_some(),
        damage_reason: damage,
    }
}

/// Ledger kind of the event recorded when clearing a device stopped part-way.
pub const DEVICE_CLEAR_FAILED: &str = "offload.device_clear_failed";
/// The ledger event naming an offload's skipped and already-stored files.
pub const RESULTS: &str = "offload.results";
/// The most files of each kind one `offload.results` entry names.
const RESULTS_CAP: usize = 1000;

/// What became of one file found on the device at an offload.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileResult {
    /// Its path on the device.
    pub file: String,
    pub outcome: FileOutcome,
    /// Why (skipped, damaged), in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The stored object (stored, damaged, duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FileOutcome {
    Stored,
    Duplicate,
    Damaged,
    Skipped,
}

impl FileOutcome {
    pub fn label(self) -> &'static str {
        match self {
            FileOutcome::Stored => "已入库",
            FileOutcome::Duplicate => "重复（已存在）",
            FileOutcome::Damaged => "已入库（文件损坏）",
            FileOutcome::Skipped => "未导入",
        }
    }
}

/// The per-file results of one offload session, by device path: what it stored (intact or
/// damaged) from the catalog, what it skipped and found already stored from the session's
/// `offload.results` entry. Only for whoever may see the session (its officer's scope).
pub async fn session_files(
    app: &App,
    actor: &Actor,
    session: &str,
) -> Result<Vec<FileResult>, AppError> {
    let Some(s) = sessions(app, actor)
        .await?
        .into_iter()
        .find(|s| s.id.as_str() == session)
    else {
        return Err(AppError::NotFound {
            what: crate::error::Thing::OffloadSession,
            id: session.to_string(),
        });
    };
    let mut out: Vec<FileResult> = app
        .catalog
        .recording_facts_of_session(&s.id)
        .await?
        .into_iter()
        .map(|f| f.sha256)
        .collect::<Vec<_>>()
        .into_iter()
        .map(|sha| FileResult {
            file: String::new(),
            outcome: FileOutcome::Stored,
            reason: None,
            sha256: Some(sha.to_string()),
        })
        .collect();
    for r in &mut out {
        let Some(sha) = r.sha256.as_deref().and_then(|x| Sha256::parse(x).ok()) else {
            continue;
        };
        if let Some(rec) = app.catalog.recording(&sha).await? {
            r.file = rec.original_path;
            if rec.damaged {
                r.outcome = FileOutcome::Damaged;
                r.reason = rec.damage_reason;
            }
        }
    }
    for e in app
        .catalog
        .ledger_entries_about(&format!("offload_session:{}", s.id), 64)
        .await?
        .into_iter()
        .filter(|e| e.kind == RESULTS)
    {
        let st = e.state();
        for x in st["skipped"].as_array().into_iter().flatten() {
            out.push(FileResult {
                file: x["file"].as_str().unwrap_or_default().to_string(),
                outcome: FileOutcome::Skipped,
                reason: x["reason"].as_str().map(str::to_string),
                sha256: None,
            });
        }
        for x in st["duplicates"].as_array().into_iter().flatten() {
            out.push(FileResult {
                file: x["file"].as_str().unwrap_or_default().to_string(),
                outcome: FileOutcome::Duplicate,
                reason: None,
                sha256: x["sha256"].as_str().map(str::to_string),
            });
        }
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(out)
}

/// Stored recordings, optionally of one device, in reading order (capture time, unknown last).
pub async fn recordings(
    app: &App,
    actor: &Actor,
    device: Option<&str>,
) -> Result<Vec<Recording>, AppError> {
    actor.require_any(Action::ReadRecords)?;
    actor.reads("recordings");
    let device = device
        .map(|d| id(Field::Device, DeviceSerial::parse, d))
        .transpose()?;
    let vis = crate::access::visibility(app, actor).await?;
    let mut out = Vec::new();
    for r in app.catalog.recordings(device.as_ref()).await? {
        if vis.sees(&crate::access::Item::Recording(r.sha256.clone()))
            && app
                .sees_people(actor, Action::ReadRecords, std::slice::from_ref(&r.officer))
                .await?
        {
            out.push(r);
        }
    }
    app.log_classified_shown(
        actor,
        &vis,
        "recordings",
        out.iter()
            .map(|r| crate::access::Item::Recording(r.sha256.clone())),
    )
    .await?;
    Ok(out)
}

/// Offload sessions at the stations, newest first: what was offloaded from which device, by
/// whom, how it ended (devices' history, R30).
pub async fn sessions(app: &App, actor: &Actor) -> Result<Vec<OffloadSession>, AppError> {
    actor.require_any(Action::ReadDevices)?;
    actor.reads("offload sessions");
    let mut out = Vec::new();
    for s in app.catalog.sessions().await? {
        if app
            .sees_people(actor, Action::ReadDevices, std::slice::from_ref(&s.officer))
            .await?
        {
            out.push(s);
        }
    }
    out.reverse();
    Ok(out)
}

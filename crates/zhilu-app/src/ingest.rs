//! Offload (R16): take every file off a mounted device folder at a collection station, store each
//! original in every vault root in one pass with both hashes, verify it, and record it.
//!
//! Order of effects for one file, and why a crash anywhere is safe:
//! 1. the copies are written to temporary files, fsynced, read back and linked into place
//!    (see `zhilu_store::vault`); a crash here leaves only temporary files, removed at next start;
//! 2. the recording row, its name and their ledger entries are committed in one transaction;
//!    a crash between 1 and 2 leaves a complete object with no row, which the re-run adopts
//!    (the link finds it present and the row is then written);
//! 3. a checkpoint is signed.
//!
//! The session row is `running` until the end; one found `running` by the next offload (which holds
//! the data-directory lock, so its owner is dead) is marked `interrupted` in the ledger.

use std::fs::{self, File};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_media::{CaptureTime, DeviceFileName, MediaInfo, ProbeError};
use zhilu_store::{
    Change, RecordingNameRow, RecordingRow, SessionRow, StationRow, StoreError, Vault,
};

use crate::app::App;
use crate::error::AppError;
use crate::hashing::{self, CopyError, Digests};
use crate::time::{china_local_to_utc, to_micros};
use crate::validate;

/// What `zhilu ingest` was asked to do.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The mounted device folder.
    pub source: PathBuf,
    pub device: String,
    pub officer: String,
    pub station: String,
    /// The time the device reported when it was connected (R4); the offset to the station clock is recorded.
    pub device_clock: Option<DateTime<Utc>>,
    /// Delete the offloaded files from the device after every one of them is verified in every
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
pub struct IngestReport {
    pub session: String,
    pub device: String,
    pub station: String,
    /// Intact recordings stored for the first time.
    pub imported: u64,
    /// Files whose bytes were already stored (counted once; the extra name is recorded).
    pub duplicates: u64,
    /// Media that could not be parsed (e.g. cut off when the battery died): stored byte-exact anyway.
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
    /// Earlier offloads of this data directory that had been cut off and are now marked interrupted.
    pub recovered_sessions: Vec<String>,
    /// Recordings linked to registered activities after the offload (officer + device + time).
    pub linked: usize,
    /// Something on the device could not be read; the device is then never cleared.
    #[serde(skip)]
    pub(crate) unread: bool,
}

/// Progress callbacks (the CLI draws a bar with them).
pub trait IngestObserver: Sync {
    fn planned(&self, _files: u64, _bytes: u64) {}
    fn file_started(&self, _name: &str, _size: u64) {}
    fn bytes(&self, _n: u64) {}
    fn file_done(&self, _name: &str) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct NoProgress;
impl IngestObserver for NoProgress {}

struct Found {
    rel: String,
    abs: PathBuf,
    size: u64,
    dev: u64,
    ino: u64,
}

const MAX_DEPTH: usize = 32;

/// What the walk of a device folder found.
struct Walk {
    found: Vec<Found>,
    skipped: Vec<ListedFile>,
    /// Some entry could not be read at all (so the device must not be cleared).
    unread: bool,
}

/// Lists regular files under `root` (sorted), never following a symbolic link.
fn walk(root: &Path) -> Result<Walk, AppError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut unread = false;
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let rd = fs::read_dir(&dir).map_err(|e| AppError::SourceUnreadable {
            path: dir.clone(),
            reason: e.to_string(),
        });
        let rd = match rd {
            Ok(rd) => rd,
            Err(e) if dir == root => return Err(e),
            Err(_) => {
                unread = true;
                skipped.push(ListedFile {
                    file: rel_of(root, &dir),
                    reason: "无法读取该子目录".into(),
                });
                continue;
            }
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        let mut subdirs = Vec::new();
        for p in entries {
            let rel = rel_of(root, &p);
            let meta = match fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    unread = true;
                    skipped.push(ListedFile {
                        file: rel,
                        reason: format!("无法读取文件信息：{e}"),
                    });
                    continue;
                }
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                skipped.push(ListedFile {
                    file: rel,
                    reason: "符号链接：不跟随，设备目录以外的内容不会被读取".into(),
                });
            } else if ft.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    skipped.push(ListedFile {
                        file: rel,
                        reason: "目录层级过深（超过 32 层），未进入".into(),
                    });
                } else {
                    subdirs.push(p);
                }
            } else if ft.is_file() {
                found.push(Found {
                    rel,
                    abs: p,
                    size: meta.len(),
                    dev: meta.dev(),
                    ino: meta.ino(),
                });
            } else {
                skipped.push(ListedFile {
                    file: rel,
                    reason: "不是普通文件（设备文件、管道或套接字）".into(),
                });
            }
        }
        for d in subdirs.into_iter().rev() {
            stack.push((d, depth + 1));
        }
    }
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(Walk {
        found,
        skipped,
        unread,
    })
}

fn rel_of(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// What one offload passes to each file's steps.
struct Ctx<'a> {
    device: &'a str,
    officer: &'a str,
    station: &'a str,
    session: &'a str,
    obs: &'a dyn IngestObserver,
}

/// What happened to one file before it reached the catalog.
#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived value per file; boxing buys nothing"
)]
enum Outcome {
    /// Not stored. `unread` is true when the file may hold evidence we could not read (so the
    /// device must not be cleared); false for empty and non-media files.
    Skipped { reason: String, unread: bool },
    /// Same device, same path, same bytes as an earlier offload: nothing to do.
    AlreadyRecorded(String),
    /// Copied and hashed; `finishing` is making the copies durable and checking them read back,
    /// in the background while the next file is copied. Recorded only once it has succeeded.
    Stored {
        digests: Digests,
        media: Result<MediaInfo, String>,
        name: Option<DeviceFileName>,
        finishing: std::thread::JoinHandle<Result<bool, StoreError>>,
    },
}

/// Reads, probes and copies one file, and starts making the copies durable and verifying them.
/// Storage failures abort the offload (`Err`); problems with the file itself are outcomes.
fn process_file(
    vault: &Vault,
    f: &Found,
    known_sha256: &[String],
    obs: &dyn IngestObserver,
) -> Result<Outcome, AppError> {
    if f.size == 0 {
        return Ok(Outcome::Skipped {
            reason: "空文件（0 字节）".into(),
            unread: false,
        });
    }
    let mut file = match File::open(&f.abs) {
        Ok(file) => file,
        Err(e) => {
            return Ok(Outcome::Skipped {
                reason: format!("无法读取：{e}"),
                unread: true,
            });
        }
    };
    // The path was checked with lstat; make sure the file we opened is that same regular file and
    // not a link swapped in since (which could point outside the device folder).
    match file.metadata() {
        Ok(m) if m.is_file() && m.dev() == f.dev && m.ino() == f.ino => {}
        _ => {
            return Ok(Outcome::Skipped {
                reason: "文件在读取时被替换，未导入".into(),
                unread: true,
            });
        }
    }
    let mut head = [0u8; 64];
    let n = match read_head(&mut file, &mut head) {
        Ok(n) => n,
        Err(e) => {
            return Ok(Outcome::Skipped {
                reason: format!("无法读取：{e}"),
                unread: true,
            });
        }
    };
    let Some(kind) = zhilu_media::sniff(&head[..n]) else {
        return Ok(Outcome::Skipped {
            reason: "不是音视频或照片文件（内容无法识别），未导入".into(),
            unread: false,
        });
    };
    let file_name = Path::new(&f.rel)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = zhilu_media::parse_device_file_name(&file_name);

    if !known_sha256.is_empty() {
        if file.seek(SeekFrom::Start(0)).is_err() {
            return Ok(Outcome::Skipped {
                reason: "无法读取：定位失败".into(),
                unread: true,
            });
        }
        match hashing::sha256_stream(&mut file) {
            Ok(h) if known_sha256.contains(&hex::encode(h)) => {
                return Ok(Outcome::AlreadyRecorded(hex::encode(h)));
            }
            Ok(_) => {}
            Err(e) => {
                return Ok(Outcome::Skipped {
                    reason: format!("读取中断：{e}"),
                    unread: true,
                });
            }
        }
    }

    if file.seek(SeekFrom::Start(0)).is_err() {
        return Ok(Outcome::Skipped {
            reason: "无法读取：定位失败".into(),
            unread: true,
        });
    }
    let media = {
        let mut r = BufReader::new(&mut file);
        match zhilu_media::probe(&mut r, f.size) {
            Ok(info) => Ok(info),
            Err(ProbeError::Damaged { reason, .. }) => Err(reason.to_string()),
            Err(ProbeError::NotMedia) => Err(format!("文件头像 {} 但内容无法解析", kind.as_str())),
            Err(ProbeError::Io(e)) => {
                return Ok(Outcome::Skipped {
                    reason: format!("读取中断：{e}"),
                    unread: true,
                });
            }
        }
    };

    if file.seek(SeekFrom::Start(0)).is_err() {
        return Ok(Outcome::Skipped {
            reason: "无法读取：定位失败".into(),
            unread: true,
        });
    }
    obs.file_started(&f.rel, f.size);
    let mut pending = vault.begin()?;
    let digests = {
        let mut sinks: Vec<&mut dyn std::io::Write> = pending
            .iter_mut()
            .map(|p| p.as_mut() as &mut dyn std::io::Write)
            .collect();
        match hashing::copy_and_hash(&mut file, &mut sinks, &|n| obs.bytes(n)) {
            Ok(d) => d,
            Err(CopyError::Read(e)) => {
                return Ok(Outcome::Skipped {
                    reason: format!("复制时读取中断：{e}"),
                    unread: true,
                });
            }
            Err(CopyError::Write(e)) => {
                return Err(AppError::OffloadFailed(format!(
                    "写入证据库失败（{}）：{e}",
                    f.rel
                )));
            }
        }
    };
    if digests.size != f.size {
        return Ok(Outcome::Skipped {
            reason: format!(
                "文件在复制期间发生变化（{} → {} 字节），未导入：请确认设备已停止录制后重新导入",
                f.size, digests.size
            ),
            unread: true,
        });
    }
    let sha = digests.sha256;
    let finishing = std::thread::spawn(move || Vault::finish_all(pending, &sha));
    Ok(Outcome::Stored {
        digests,
        media,
        name,
        finishing,
    })
}

fn read_head(file: &mut File, head: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Chooses the capture start: the file's own metadata, unless the device-style file name shows the
/// metadata is local time written as if it were UTC (a common body-camera fault: an exact 8-hour
/// shift). Returns (instant, source).
pub(crate) fn capture_start(
    meta: Option<&CaptureTime>,
    name: Option<&DeviceFileName>,
) -> (Option<DateTime<Utc>>, &'static str) {
    let from_name = name.and_then(|n| china_local_to_utc(n.start_local));
    let by_name = (
        from_name,
        if from_name.is_some() {
            "file_name"
        } else {
            "unknown"
        },
    );
    match meta {
        Some(CaptureTime::Utc(t)) => {
            if let Some(n) = from_name {
                let shifted = *t - chrono::Duration::hours(8);
                if (shifted - n).num_seconds().abs() <= 120
                    && (*t - n).num_seconds().abs() > 7 * 3600
                {
                    return (Some(n), "file_name");
                }
            }
            (Some(*t), "metadata")
        }
        Some(CaptureTime::Local(l)) => match china_local_to_utc(*l) {
            Some(t) => (Some(t), "metadata"),
            None => by_name,
        },
        None => by_name,
    }
}

impl App {
    /// Offloads one device folder. See the module documentation for the crash-safety argument.
    pub async fn ingest(
        &self,
        opts: &IngestOptions,
        obs: &dyn IngestObserver,
    ) -> Result<IngestReport, AppError> {
        let started = Instant::now();
        let device = validate::ident("--device", &opts.device)?;
        let officer = validate::ident("--officer", &opts.officer)?;
        let station = validate::ident("--station", &opts.station)?;
        if self.catalog.device(&device).await?.is_none() {
            return Err(AppError::DeviceNotRegistered(device));
        }
        let source = fs::canonicalize(&opts.source).map_err(|e| AppError::SourceUnreadable {
            path: opts.source.clone(),
            reason: e.to_string(),
        })?;
        if !source.is_dir() {
            return Err(AppError::SourceUnreadable {
                path: opts.source.clone(),
                reason: "不是目录".into(),
            });
        }
        let Walk {
            found: files,
            mut skipped,
            unread,
        } = walk(&source)?;

        let now = self.now_micros();
        let mut setup = Vec::new();
        let mut recovered = Vec::new();
        for s in self.catalog.sessions().await? {
            if s.status == "running" {
                recovered.push(s.id.clone());
                setup.push(Change::UpdateSession(SessionRow {
                    status: "interrupted".into(),
                    finished_at: Some(now),
                    ..s
                }));
            }
        }
        if self.catalog.station(&station).await?.is_none() {
            setup.push(Change::RegisterStation(StationRow {
                id: station.clone(),
                first_seen: now,
                ledger_seq: 0,
            }));
        }
        let offset_ms = opts
            .device_clock
            .map(|t| (t - self.clock.now()).num_milliseconds());
        let mut session = SessionRow {
            id: uuid::Uuid::now_v7().to_string(),
            device_serial: device.clone(),
            officer: officer.clone(),
            station: station.clone(),
            source: source.display().to_string(),
            started_at: now,
            finished_at: None,
            status: "running".into(),
            device_clock_offset_ms: offset_ms,
            device_cleared: 0,
            files_seen: (files.len() + skipped.len()) as i64,
            imported: 0,
            duplicates: 0,
            damaged: 0,
            skipped: 0,
            bytes: 0,
            ledger_seq: 0,
        };
        setup.push(Change::StartSession(session.clone()));
        self.record(&officer, setup).await?;

        obs.planned(files.len() as u64, files.iter().map(|f| f.size).sum());
        let mut report = IngestReport {
            linked: 0,
            session: session.id.clone(),
            device: device.clone(),
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
            recovered_sessions: recovered,
            unread,
        };
        let mut clearable: Vec<(&Found, String)> = Vec::new();
        let mut failure = None;
        // Pipelined: file N is made durable and verified in the background while file N+1 is
        // copied; N is recorded once both are done, so records stay in order and a record is only
        // ever written for a verified, durable object.
        let ctx = Ctx {
            device: &device,
            officer: &officer,
            station: &station,
            session: &session.id,
            obs,
        };
        let mut waiting: Option<(&Found, Outcome)> = None;
        for f in &files {
            let next = match self.prepare(f, &ctx).await {
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
                match self.settle(rf, outcome, &ctx, &mut report).await {
                    Ok(Some(sha)) => clearable.push((rf, sha)),
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
            match self.settle(rf, outcome, &ctx, &mut report).await {
                Ok(Some(sha)) => clearable.push((rf, sha)),
                Ok(None) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        report.skipped.append(&mut skipped);
        report.skipped.sort_by(|a, b| a.file.cmp(&b.file));

        if failure.is_none() && opts.clear_device && !report.unread {
            report.device_cleared = self.clear_device(&clearable)?;
        }
        session.finished_at = Some(self.now_micros());
        session.status = if failure.is_some() {
            "failed"
        } else {
            "finished"
        }
        .into();
        session.device_cleared = i64::from(report.device_cleared);
        session.imported = report.imported as i64;
        session.duplicates = report.duplicates as i64;
        session.damaged = report.damaged.len() as i64;
        session.skipped = report.skipped.len() as i64;
        session.bytes = report.bytes as i64;
        let session_id = session.id.clone();
        let closed = self
            .record(&officer, vec![Change::UpdateSession(session)])
            .await;
        if let Some(e) = failure {
            return Err(e);
        }
        closed?;
        report.linked = self.autolink_session(&session_id).await?;
        report.seconds = started.elapsed().as_secs_f64();
        report.mb_per_s = if report.seconds > 0.0 {
            report.bytes_read as f64 / 1e6 / report.seconds
        } else {
            0.0
        };
        Ok(report)
    }

    /// Copies one file into the vault (first phase of an offload of one file).
    async fn prepare(&self, f: &Found, ctx: &Ctx<'_>) -> Result<Outcome, AppError> {
        let known: Vec<String> = self
            .catalog
            .names_at(ctx.device, &f.rel)
            .await?
            .into_iter()
            .filter(|n| n.size == f.size as i64)
            .map(|n| n.sha256)
            .collect();
        tokio::task::block_in_place(|| process_file(&self.vault, f, &known, ctx.obs))
    }

    /// Records one prepared file, after its copies are durable and verified. Returns the stored
    /// object's SHA-256 when the file is now safely in the vault (so it may be cleared from the device).
    async fn settle(
        &self,
        f: &Found,
        outcome: Outcome,
        ctx: &Ctx<'_>,
        report: &mut IngestReport,
    ) -> Result<Option<String>, AppError> {
        let (device, officer, station, session) =
            (ctx.device, ctx.officer, ctx.station, ctx.session);
        let (digests, media, name) = match outcome {
            Outcome::Skipped { reason, unread } => {
                report.unread |= unread;
                report.skipped.push(ListedFile {
                    file: f.rel.clone(),
                    reason,
                });
                return Ok(None);
            }
            Outcome::AlreadyRecorded(sha) => {
                report.duplicates += 1;
                report.bytes_read += f.size;
                return Ok(Some(sha));
            }
            Outcome::Stored {
                digests,
                media,
                name,
                finishing,
            } => {
                tokio::task::block_in_place(|| finishing.join())
                    .unwrap_or_else(|_| Err(StoreError::NotFound("写入线程异常退出".into())))
                    .map_err(|e| {
                        AppError::OffloadFailed(format!("写入证据库失败（{}）：{e}", f.rel))
                    })?;
                ctx.obs.file_done(&f.rel);
                (digests, media, name)
            }
        };
        report.bytes_read += digests.size;
        let sha = digests.sha256_hex();
        let now = self.now_micros();
        let name_row = RecordingNameRow {
            sha256: sha.clone(),
            device_serial: device.to_string(),
            original_path: f.rel.clone(),
            size: digests.size as i64,
            session_id: session.to_string(),
            seen_at: now,
            ledger_seq: 0,
        };
        if self.catalog.recording(&sha).await?.is_some() {
            let already = self
                .catalog
                .names_at(device, &f.rel)
                .await?
                .iter()
                .any(|n| n.sha256 == sha);
            if !already {
                self.record(officer, vec![Change::AddName(name_row)])
                    .await?;
            }
            report.duplicates += 1;
            return Ok(Some(sha));
        }
        let original_name = Path::new(&f.rel)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| f.rel.clone());
        let (info, damage) = match media {
            Ok(info) => (Some(info), None),
            Err(reason) => (None, Some(reason)),
        };
        let (start, time_source) = capture_start(
            info.as_ref().and_then(|i| i.capture_start.as_ref()),
            name.as_ref(),
        );
        let duration_ms = info
            .as_ref()
            .and_then(|i| i.duration_s)
            .filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e9)
            .map(|d| (d * 1000.0).round() as i64);
        let kind = info
            .as_ref()
            .map(|i| i.kind)
            .or_else(|| {
                let mut head = [0u8; 64];
                File::open(&f.abs)
                    .ok()
                    .and_then(|mut fh| read_head(&mut fh, &mut head).ok())
                    .and_then(|n| zhilu_media::sniff(&head[..n]))
            })
            .map(|k| k.as_str().to_string())
            .unwrap_or_else(|| "unknown".into());
        let row = RecordingRow {
            sha256: sha.clone(),
            sm3: digests.sm3_hex(),
            size: digests.size as i64,
            media_kind: kind,
            capture_start: start.map(to_micros),
            capture_end: match (start, duration_ms) {
                (Some(s), Some(d)) => Some(to_micros(s) + d * 1000),
                _ => None,
            },
            duration_ms,
            time_source: time_source.to_string(),
            device_serial: device.to_string(),
            officer: officer.to_string(),
            name_device_id: name.as_ref().and_then(|n| n.device_id.clone()),
            name_officer_id: name.as_ref().and_then(|n| n.officer_id.clone()),
            sequence: name.as_ref().and_then(|n| n.sequence).map(i64::from),
            important: i64::from(name.as_ref().is_some_and(|n| n.important)),
            original_name,
            original_path: f.rel.clone(),
            offloaded_at: now,
            station: station.to_string(),
            session_id: session.to_string(),
            damaged: i64::from(damage.is_some()),
            damage_reason: damage.clone(),
            ledger_seq: 0,
        };
        self.record(
            officer,
            vec![Change::StoreRecording(row), Change::AddName(name_row)],
        )
        .await?;
        report.bytes += digests.size;
        match damage {
            Some(reason) => report.damaged.push(ListedFile {
                file: f.rel.clone(),
                reason,
            }),
            None => report.imported += 1,
        }
        Ok(Some(sha))
    }

    /// R26: removes offloaded files from the device, each only after checking that every vault
    /// root holds its object at the right size. The caller skips this if anything was unreadable.
    fn clear_device(&self, stored: &[(&Found, String)]) -> Result<bool, AppError> {
        for (f, sha) in stored {
            if !self.vault.has_everywhere(sha, f.size)? {
                return Ok(false);
            }
        }
        for (f, _) in stored {
            fs::remove_file(&f.abs).map_err(|e| AppError::io(&f.abs, e))?;
        }
        Ok(true)
    }
}

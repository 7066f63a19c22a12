//! Footage on a grant (R23, R24, R25): the one way to original bytes. [`authorize`] is the only
//! maker of a [`Granted`], and [`open`] — the only function that opens an original for a person —
//! takes one, so serving bytes without an approved, unexpired grant does not compile.
//!
//! A viewing is recorded durably before its first byte is sent ([`viewing`]): who, which grant,
//! when. The byte ranges served are added in batches ([`served`]), so a player's many range
//! requests cost one ledger entry per batch, not one each.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use zhilu_model::*;
use zhilu_store::{Change, Counter};

use super::secrecy::visibility;
use crate::App;
use crate::actor::Actor;
use crate::error::{AppError, Field, Thing, id};

/// What the bytes are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Use {
    /// Watched in the browser (a view, copy or provide grant).
    Stream,
    /// The original file downloaded (a copy or provide grant only).
    Download,
}

/// Proof that the actor holds a valid grant for this recording and use. Only [`authorize`]
/// makes one.
#[derive(Debug, Clone)]
pub struct Granted {
    grant: std::sync::Arc<Grant>,
    sha: Sha256,
    size: u64,
    user: OfficerId,
    usage: Use,
    media: MediaKind,
}

impl Granted {
    pub fn grant(&self) -> &Grant {
        &self.grant
    }
    pub fn sha256(&self) -> &Sha256 {
        &self.sha
    }
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn usage(&self) -> Use {
        self.usage
    }
    pub fn media_kind(&self) -> MediaKind {
        self.media
    }
}

/// Checks that `actor` may have the bytes of recording `sha` for `usage` now: the recording
/// exists and the actor is cleared for it and its activities (otherwise it does not exist for
/// them: `NotFound`), and they hold a grant that covers it, unexpired, unrevoked, of a kind that
/// allows the use (otherwise `NoGrant`).
pub async fn authorize(
    app: &App,
    actor: &Actor,
    sha: &str,
    usage: Use,
) -> Result<Granted, AppError> {
    actor.check_password_current()?;
    let sha = id(Field::Recording, Sha256::parse, sha)?;
    let user = actor
        .person_id()
        .cloned()
        .ok_or(AppError::NotAuthenticated)?;
    // The same question at the same ledger head has the same answer (see `decisions.rs`); only
    // the grant's expiry is checked again.
    let head = app.decision_head().await?;
    let key = (user.to_string(), sha.to_string(), usage == Use::Download);
    if let Some(entry) = crate::decisions::Decisions::get(&app.decisions.grants, &key)
        && entry.0 == head
        && entry.1.grant.covers(&sha, app.now())
    {
        return Ok(entry.1.clone());
    }
    let granted = decide_grant(app, actor, sha, user, usage).await?;
    crate::decisions::Decisions::remember(
        &app.decisions.grants,
        key,
        std::sync::Arc::new((head, granted.clone())),
    );
    Ok(granted)
}

async fn decide_grant(
    app: &App,
    actor: &Actor,
    sha: Sha256,
    user: OfficerId,
    usage: Use,
) -> Result<Granted, AppError> {
    let not_found = || AppError::NotFound {
        what: Thing::Recording,
        id: sha.to_string(),
    };
    let recording = app.catalog.recording(&sha).await?.ok_or_else(not_found)?;
    let vis = visibility(app, actor).await?;
    let activities: Vec<ActivityId> = app
        .catalog
        .links_of_recording(&sha)
        .await?
        .into_iter()
        .map(|l| l.activity)
        .collect();
    if !vis.sees_recording(&sha, &activities) {
        return Err(not_found());
    }
    // Purged by an approved decision (R20): nothing to view or export, whatever the grant says.
    if let Some(t) = app.catalog.tombstone(&sha).await? {
        return Err(AppError::Purged {
            sha256: sha.to_string(),
            at: t.purged_at,
            request: t.request.to_string(),
        });
    }
    let now = app.now();
    let grants = app.catalog.grants_of(&user).await?;
    let valid: Vec<&Grant> = grants.iter().filter(|g| g.covers(&sha, now)).collect();
    let fit = valid
        .iter()
        .find(|g| usage == Use::Stream || g.kind.downloads());
    let Some(grant) = fit else {
        let why = if !valid.is_empty() {
            "现有授权只允许在线查阅，不允许下载原件".to_string()
        } else if grants
            .iter()
            .any(|g| g.items.contains(&sha) && g.revoked_at.is_some())
        {
            "对该音像记录的授权已被撤销".to_string()
        } else if grants.iter().any(|g| g.items.contains(&sha)) {
            "对该音像记录的授权已过期".to_string()
        } else {
            "请先提出调阅申请，经批准后才能查看".to_string()
        };
        return Err(AppError::NoGrant(why));
    };
    Ok(Granted {
        grant: std::sync::Arc::new((*grant).clone()),
        sha,
        size: recording.size,
        user,
        usage,
        media: recording.media_kind,
    })
}

/// Refuses a request to change or delete an original (R24) and records the attempt in the
/// audit ledger: who, which recording, which method. Returns the refusal to answer with (or the
/// failure to record it).
pub async fn refuse_change(app: &App, actor: &Actor, sha: &str, method: &str) -> AppError {
    let sha = match id(Field::Recording, Sha256::parse, sha) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let event = Change::event(
        "original.change_refused",
        format!("original:{sha}"),
        serde_json::json!({"sha256": sha.as_str(), "method": method}),
    );
    match app.record(actor, vec![event]).await {
        Ok(_) => AppError::OriginalsImmutable(sha.to_string()),
        Err(e) => e,
    }
}

/// An original opened for positioned reads, read-only. The handle is shared: an original
/// never changes, so one handle serves every request for it (no `open`/`dup` per request).
#[derive(Debug)]
pub struct Servable {
    pub file: std::sync::Arc<std::fs::File>,
    pub len: u64,
}

/// Opens the original a grant covers, from the first root holding a regular file of the
/// recorded size. (Every read of the whole object is checked against its hash by fixity; a
/// range served here is not re-hashed per request.)
pub async fn open(app: &App, granted: &Granted) -> Result<Servable, AppError> {
    if let Some(file) = crate::decisions::Decisions::get(&app.decisions.files, granted.sha.as_str())
    {
        return Ok(Servable {
            file,
            len: granted.size,
        });
    }
    let opened = open_first(app, granted).await?;
    crate::decisions::Decisions::remember(
        &app.decisions.files,
        granted.sha.to_string(),
        opened.file.clone(),
    );
    Ok(opened)
}

async fn open_first(app: &App, granted: &Granted) -> Result<Servable, AppError> {
    let paths: Vec<std::path::PathBuf> = app
        .vault
        .roots()
        .iter()
        .filter_map(|r| r.local_path(granted.sha.as_str()))
        .collect();
    let size = granted.size;
    let sha = granted.sha.to_string();
    tokio::task::spawn_blocking(move || {
        for p in paths {
            let Ok(file) = std::fs::File::open(&p) else {
                continue;
            };
            match file.metadata() {
                Ok(m) if m.is_file() && m.len() == size => {
                    return Ok(Servable {
                        file: std::sync::Arc::new(file),
                        len: size,
                    });
                }
                _ => continue,
            }
        }
        Err(AppError::NotFound {
            what: Thing::Recording,
            id: format!("{sha}（存储中没有完好的副本）"),
        })
    })
    .await
    .map_err(|e| AppError::OffloadFailed(format!("读取线程失败：{e}")))?
}

/// An original in a root with no local file (an S3 bucket), read by byte range (X5: playback
/// serves ranges straight from the bucket).
#[derive(Debug, Clone)]
pub struct RemoteOriginal {
    pub root: std::sync::Arc<dyn zhilu_store::ObjectRoot>,
    pub sha256: String,
    pub len: u64,
}

impl RemoteOriginal {
    /// Up to `len` bytes from `start` (blocking: run it off the async workers).
    pub fn read_range(&self, start: u64, len: u64) -> Result<Vec<u8>, AppError> {
        Ok(self.root.read_range(&self.sha256, start, len)?)
    }
}

/// Like [`open`], for when no root holds a local file (every local copy missing): the first
/// root without a local path that holds the object at its recorded size.
pub async fn open_remote(app: &App, granted: &Granted) -> Result<RemoteOriginal, AppError> {
    let roots: Vec<_> = app
        .vault
        .roots()
        .iter()
        .filter(|r| r.local_path(granted.sha.as_str()).is_none())
        .cloned()
        .collect();
    let (sha, size) = (granted.sha.to_string(), granted.size);
    tokio::task::spawn_blocking(move || {
        for root in roots {
            if let Ok(Some(st)) = root.stat(&sha)
                && st.size == size
            {
                return Ok(RemoteOriginal {
                    root,
                    sha256: sha,
                    len: size,
                });
            }
        }
        Err(AppError::NotFound {
            what: Thing::Recording,
            id: format!("{sha}（存储中没有完好的副本）"),
        })
    })
    .await
    .map_err(|e| AppError::OffloadFailed(format!("读取线程失败：{e}")))?
}

/// A viewing or copying in progress, recorded before its first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewing {
    pub id: RecordId,
}

/// Ranges waiting to be added to a playback row.
#[derive(Debug)]
struct Open {
    id: RecordId,
    pending: Vec<(u64, u64)>,
    last_flush: Instant,
    last_use: Instant,
    actor: Actor,
    /// One batch written at a time per viewing (no two writers of one row).
    writing: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// The viewings this process has open, by (viewer key, grant, recording, use).
#[derive(Debug, Default)]
pub(crate) struct Viewings {
    open: Mutex<HashMap<(String, String, String, bool), Open>>,
}

/// Ranges per batch, and the longest a served range waits to be written.
const BATCH: usize = 4096;
/// The playback row keeps at most this many merged spans (a person watching makes a handful);
/// every batch's spans are in the ledger as a `playback.ranges` event in any case.
const ROW_SPANS: usize = 128;
const FLUSH_SECS: u64 = 10;
/// A viewer silent this long starts a new viewing next time.
const VIEWING_IDLE_SECS: u64 = 30 * 60;

/// The viewing for this grant and viewer (`key`: one per login session), recorded durably —
/// who, which grant, which recording, view or copy, when — before the caller sends a byte.
/// Later requests of the same viewer reuse it.
pub async fn viewing(
    app: &App,
    actor: &Actor,
    granted: &Granted,
    key: &str,
) -> Result<Viewing, AppError> {
    let k = (
        key.to_string(),
        granted.grant.id.to_string(),
        granted.sha.to_string(),
        granted.usage == Use::Download,
    );
    {
        let mut open = app.viewings.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(o) = open.get_mut(&k)
            && o.last_use.elapsed().as_secs() < VIEWING_IDLE_SECS
        {
            o.last_use = Instant::now();
            return Ok(Viewing { id: o.id.clone() });
        }
    }
    let row = Playback {
        id: id(
            Field::Record,
            RecordId::parse,
            &app.catalog.next_id(&Counter::Playback).await?,
        )?,
        grant: granted.grant.id.clone(),
        user: granted.user.clone(),
        sha256: granted.sha.clone(),
        kind: match granted.usage {
            Use::Stream => AccessKind::View,
            Use::Download => AccessKind::Copy,
        },
        started_at: app.now(),
        ranges: Vec::new(),
        bytes: 0,
        updated_at: app.now(),
    };
    app.record(actor, vec![Change::insert(row.clone())]).await?;
    let stale = {
        let mut open = app.viewings.open.lock().unwrap_or_else(|e| e.into_inner());
        open.insert(
            k,
            Open {
                id: row.id.clone(),
                pending: Vec::new(),
                last_flush: Instant::now(),
                last_use: Instant::now(),
                actor: actor.clone(),
                writing: Default::default(),
            },
        )
    };
    if let Some(o) = stale {
        write_ranges(app, &o.actor, &o.id, o.pending).await?;
    }
    Ok(Viewing { id: row.id })
}

/// Notes that bytes `start..=end` were sent on a viewing; written in batches.
pub async fn served(app: &App, viewing: &Viewing, start: u64, end: u64) -> Result<(), AppError> {
    match note_served(app, viewing, start, end) {
        Some(batch) => write_batch(app, batch).await,
        None => Ok(()),
    }
}

/// A batch of served ranges due to be written.
#[derive(Debug)]
pub struct DueBatch {
    actor: Actor,
    id: RecordId,
    ranges: Vec<(u64, u64)>,
    writing: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// [`served`] without waiting: notes the range in memory and hands back a batch when one is due
/// (every [`BATCH`] ranges or [`FLUSH_SECS`]), for the caller to write with [`write_batch`].
/// Serving a range thus costs no task and no catalog access.
pub fn note_served(app: &App, viewing: &Viewing, start: u64, end: u64) -> Option<DueBatch> {
    let mut open = app.viewings.open.lock().unwrap_or_else(|e| e.into_inner());
    let o = open.values_mut().find(|o| o.id == viewing.id)?;
    o.pending.push((start, end));
    if o.pending.len() >= BATCH || o.last_flush.elapsed().as_secs() >= FLUSH_SECS {
        o.last_flush = Instant::now();
        Some(DueBatch {
            actor: o.actor.clone(),
            id: o.id.clone(),
            ranges: std::mem::take(&mut o.pending),
            writing: o.writing.clone(),
        })
    } else {
        None
    }
}

/// Writes a due batch (one writer per viewing at a time).
pub async fn write_batch(app: &App, batch: DueBatch) -> Result<(), AppError> {
    let _one_at_a_time = batch.writing.lock().await;
    write_ranges(app, &batch.actor, &batch.id, batch.ranges).await
}

/// Writes every range still waiting (at shutdown, and by tests).
pub async fn flush_viewings(app: &App) -> Result<(), AppError> {
    flush_where(app, |_| true).await
}

/// Writes the ranges that have waited [`FLUSH_SECS`] or more: a server calls this every few
/// seconds, so that what a viewer watched last reaches the ledger even when no request follows
/// it (otherwise it would wait for the next request, or be lost with the process).
pub async fn flush_due_viewings(app: &App) -> Result<(), AppError> {
    flush_where(app, |o| o.last_flush.elapsed().as_secs() >= FLUSH_SECS).await
}

async fn flush_where(app: &App, due: impl Fn(&Open) -> bool) -> Result<(), AppError> {
    let batches: Vec<DueBatch> = {
        let mut open = app.viewings.open.lock().unwrap_or_else(|e| e.into_inner());
        open.values_mut()
            .filter(|o| !o.pending.is_empty() && due(o))
            .map(|o| {
                o.last_flush = Instant::now();
                DueBatch {
                    actor: o.actor.clone(),
                    id: o.id.clone(),
                    ranges: std::mem::take(&mut o.pending),
                    writing: o.writing.clone(),
                }
            })
            .collect()
    };
    for batch in batches {
        write_batch(app, batch).await?;
    }
    Ok(())
}

async fn write_ranges(
    app: &App,
    actor: &Actor,
    id: &RecordId,
    ranges: Vec<(u64, u64)>,
) -> Result<(), AppError> {
    if ranges.is_empty() {
        return Ok(());
    }
    let batch = merge(ranges);
    let bytes: u64 = batch.iter().map(|(s, e)| e - s + 1).sum();
    for _ in 0..5 {
        let Some(current) = app.catalog.playback(id).await? else {
            return Ok(());
        };
        let mut row = current.record.clone();
        let mut all: Vec<(u64, u64)> = row.ranges.iter().filter_map(|r| parse_range(r)).collect();
        all.extend(batch.iter().copied());
        let all = merge(all);
        if all.len() <= ROW_SPANS {
            row.ranges = all.into_iter().map(|(s, e)| format!("{s}-{e}")).collect();
        }
        row.bytes += bytes;
        row.updated_at = app.now();
        let event = Change::event(
            "playback.ranges",
            format!("playback-ranges:{id}"),
            serde_json::json!({
                "playback": id.as_str(),
                "ranges": batch.iter().map(|(s, e)| format!("{s}-{e}")).collect::<Vec<_>>(),
                "bytes": bytes,
            }),
        );
        match app
            .record(actor, vec![Change::update(row, current.version), event])
            .await
        {
            Err(AppError::Conflict(_)) => continue,
            other => return other.map(|_| ()),
        }
    }
    Err(AppError::Conflict(format!("查看记录 {id}")))
}

fn parse_range(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Sorted, overlapping and touching ranges joined.
fn merge(mut r: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    r.sort();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (s, e) in r {
        match out.last_mut() {
            Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::merge;

    #[test]
    fn ranges_merge_when_they_overlap_or_touch() {
        assert_eq!(
            merge(vec![(10, 19), (0, 9), (30, 40), (35, 50)]),
            vec![(0, 19), (30, 50)]
        );
    }
}

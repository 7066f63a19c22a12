//! Fixity (R18): re-hash every stored object in every root with both algorithms, report missing and
//! damaged copies — and copies that are not copies (a symbolic link, or a hard link to another
//! root's file: one physical copy where two are promised) — and on request repair a bad copy from a
//! good one. A damaged copy or a link is moved to the root's quarantine, never deleted, and every
//! repair is a ledger entry. An object with no good copy anywhere is lost: said so, never offered
//! a repair. An object in a root that the catalog does not know is a finding; repair moves it to
//! that root's quarantine (recorded), unless an offload is running that may be about to record it.

use std::time::Instant;

use serde::Serialize;
use zhilu_model::{Recording, Sha256};
use zhilu_store::{Change, ObjectRoot};

use super::{QUARANTINED, REPAIR_FAILED, REPAIRED};
use crate::App;
use crate::actor::Actor;
use crate::error::AppError;
use crate::hashing::{self, CopyError};

/// What is wrong with a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    Missing,
    Damaged,
    /// A symbolic link, or the same file (inode) as another root's copy.
    NotACopy,
}

impl ProblemKind {
    /// The ledger's word for it (part of the `object.repaired` entry).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Missing => "missing",
            ProblemKind::Damaged => "damaged",
            ProblemKind::NotACopy => "not_a_copy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::Missing => "缺失",
            ProblemKind::Damaged => "损坏",
            ProblemKind::NotACopy => "非独立副本",
        }
    }
}

/// One bad copy.
#[derive(Debug, Clone, Serialize)]
pub struct FixityProblem {
    pub sha256: Sha256,
    pub root: String,
    pub problem: ProblemKind,
    pub detail: String,
    pub repaired: bool,
    pub quarantined_to: Option<String>,
}

/// An object present in a root but unknown to the catalog (e.g. from an offload cut off between
/// storing and recording; offloading that device again records it).
#[derive(Debug, Clone, Serialize)]
pub struct Orphan {
    pub root: String,
    pub sha256: Sha256,
    /// Where a repair moved it (the root's quarantine).
    pub quarantined_to: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FixityReport {
    pub objects: u64,
    pub copies_checked: u64,
    pub bytes_hashed: u64,
    pub seconds: f64,
    pub problems: Vec<FixityProblem>,
    /// Recordings with no good copy in any root: lost, nothing to repair from.
    pub lost: Vec<Sha256>,
    pub orphans: Vec<Orphan>,
    /// Roots that share one filesystem (`st_dev`): one disk failing takes both copies.
    pub shared_filesystems: Vec<Vec<String>>,
    /// Purged recordings (R20, tombstone committed) whose bytes some root still holds: a purge
    /// cut off before it deleted them (清除未完成); `zhilu purge resume` finishes it. Not damage.
    /// Left out of the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfinished_purges: Vec<Sha256>,
}

impl FixityReport {
    /// Problems and unknown objects left unrepaired: these make `zhilu fixity` exit non-zero.
    pub fn unrepaired(&self) -> usize {
        self.problems.iter().filter(|p| !p.repaired).count()
            + self
                .orphans
                .iter()
                .filter(|o| o.quarantined_to.is_none())
                .count()
    }

    /// Unrepaired problems that a repair could fix (a good copy exists).
    pub fn repairable(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| !p.repaired && !self.lost.contains(&p.sha256))
            .count()
            + self
                .orphans
                .iter()
                .filter(|o| o.quarantined_to.is_none())
                .count()
    }
}

enum CopyState {
    Good,
    Missing,
    Damaged(String),
    NotACopy(String),
}

/// Checks one root's copy; `earlier` are the (dev, ino) of the copies in the roots before it.
fn check_copy(
    root: &dyn ObjectRoot,
    rec: &Recording,
    earlier: &mut Vec<(u64, u64, String)>,
) -> Result<CopyState, AppError> {
    let Some(st) = root.stat(rec.sha256.as_str())? else {
        return Ok(CopyState::Missing);
    };
    if !st.regular {
        return Ok(CopyState::NotACopy(
            "不是独立副本：该位置是符号链接或非普通文件".into(),
        ));
    }
    if let Some((_, _, other)) = earlier
        .iter()
        .find(|(d, i, _)| (*d, *i) == (st.dev, st.ino))
    {
        return Ok(CopyState::NotACopy(format!(
            "不是独立副本：与 {other} 中的副本是同一个文件（硬链接），实际只有一份"
        )));
    }
    earlier.push((st.dev, st.ino, root.name().to_string()));
    if st.size != rec.size {
        return Ok(CopyState::Damaged(format!(
            "大小不符：应为 {} 字节，实为 {} 字节",
            rec.size, st.size
        )));
    }
    let mut r = root.open(rec.sha256.as_str())?;
    let d = match hashing::hash_stream(&mut r) {
        Ok(d) => d,
        Err(e) => {
            return Ok(CopyState::Damaged(format!(
                "读取失败：{}",
                zhilu_model::explain::io_error(&e)
            )));
        }
    };
    if d.sha256_hex() != rec.sha256.as_str() {
        return Ok(CopyState::Damaged(
            "SHA-256 不符：内容已被改动或损坏".into(),
        ));
    }
    if d.sm3_hex() != rec.sm3.as_str() {
        return Ok(CopyState::Damaged("SM3 不符：内容已被改动或损坏".into()));
    }
    Ok(CopyState::Good)
}

/// Copies a good object into `to`, checking both hashes of what was read. A root with object lock
/// keeps the new copy as it keeps every copy: COMPLIANCE retention until `retain_until`, and the
/// storage legal hold when `held` (X5).
fn copy_object(
    from: &dyn ObjectRoot,
    to: &dyn ObjectRoot,
    rec: &Recording,
    retain_until: Option<chrono::DateTime<chrono::Utc>>,
    held: bool,
) -> Result<(), AppError> {
    let mut src = from.open(rec.sha256.as_str())?;
    let mut pending = to.begin_retained(retain_until)?;
    let d = {
        let mut sinks: [&mut dyn std::io::Write; 1] = [pending.as_mut()];
        hashing::copy_and_hash(&mut src, &mut sinks, &|_| {}).map_err(|e| match e {
            CopyError::Read(e) => AppError::io(from.name(), e),
            CopyError::Write(e) => AppError::io(to.name(), e),
        })?
    };
    if d.sha256_hex() != rec.sha256.as_str() || d.sm3_hex() != rec.sm3.as_str() {
        return Err(AppError::OffloadFailed(format!(
            "修复时源副本 {} 校验失败",
            from.name()
        )));
    }
    pending.finish(&d.sha256)?;
    if held {
        to.set_legal_hold(rec.sha256.as_str(), true)?;
    }
    Ok(())
}

/// Re-hashes every copy of every recording; with `repair`, restores bad copies from good ones
/// (the damaged copy goes to quarantine) and records every repair in the ledger.
pub async fn fixity(app: &App, actor: &Actor, repair: bool) -> Result<FixityReport, AppError> {
    actor.reads("vault");
    let started = Instant::now();
    let recordings = app.catalog.recordings(None).await?;
    let roots = app.vault.roots();
    let mut report = FixityReport {
        objects: recordings.len() as u64,
        copies_checked: 0,
        bytes_hashed: 0,
        seconds: 0.0,
        problems: Vec::new(),
        lost: Vec::new(),
        orphans: Vec::new(),
        shared_filesystems: crate::setup::shared_filesystems(app),
        unfinished_purges: Vec::new(),
    };
    // Purged recordings are absent by an approved decision (R20): neither missing nor lost.
    let purged: std::collections::HashSet<Sha256> = app
        .catalog
        .tombstones()
        .await?
        .into_iter()
        .map(|t| t.sha256)
        .collect();
    for rec in &recordings {
        if purged.contains(&rec.sha256) {
            report.objects -= 1;
            let left = crate::blocking(|| {
                roots.iter().try_fold(false, |any, r| {
                    Ok::<_, AppError>(any || r.stat(rec.sha256.as_str())?.is_some())
                })
            })?;
            if left {
                report.unfinished_purges.push(rec.sha256.clone());
            }
            continue;
        }
        let states: Vec<CopyState> = crate::blocking(|| {
            let mut earlier = Vec::new();
            roots
                .iter()
                .map(|r| check_copy(r.as_ref(), rec, &mut earlier))
                .collect::<Result<_, _>>()
        })?;
        report.copies_checked += states.len() as u64;
        report.bytes_hashed += rec.size
            * states
                .iter()
                .filter(|s| matches!(s, CopyState::Good | CopyState::Damaged(_)))
                .count() as u64;
        let good = states.iter().position(|s| matches!(s, CopyState::Good));
        if good.is_none() {
            report.lost.push(rec.sha256.clone());
        }
        for (i, state) in states.iter().enumerate() {
            let (problem, mut detail) = match state {
                CopyState::Good => continue,
                CopyState::Missing => (ProblemKind::Missing, "副本缺失".to_string()),
                CopyState::Damaged(d) => (ProblemKind::Damaged, d.clone()),
                CopyState::NotACopy(d) => (ProblemKind::NotACopy, d.clone()),
            };
            if good.is_none() {
                detail.push_str("；所有存储位置均无完好副本，无法修复");
            }
            let root = roots[i].as_ref();
            let mut p = FixityProblem {
                sha256: rec.sha256.clone(),
                root: root.name().to_string(),
                problem,
                detail,
                repaired: false,
                quarantined_to: None,
            };
            if let (true, Some(g)) = (repair, good) {
                let tag = format!("{}-quarantined", app.now().timestamp_micros());
                if problem != ProblemKind::Missing {
                    p.quarantined_to = Some(root.quarantine(rec.sha256.as_str(), &tag)?);
                }
                let retain_until = crate::offload::object_lock_until(app, rec.offloaded_at).await?;
                let held = app
                    .catalog
                    .active_holds()
                    .await?
                    .iter()
                    .any(|h| h.sha256 == rec.sha256);
                let copied = crate::blocking(|| {
                    copy_object(roots[g].as_ref(), root, rec, retain_until, held)
                });
                p.repaired = copied.is_ok();
                app.record(
                    actor,
                    vec![Change::event(
                        if p.repaired { REPAIRED } else { REPAIR_FAILED },
                        format!("object:{}", rec.sha256),
                        serde_json::json!({
                            "root": p.root,
                            "problem": p.problem.as_str(),
                            "detail": p.detail,
                            "quarantined_to": p.quarantined_to,
                            "source_root": roots[g].name(),
                            "error": copied.as_ref().err().map(|e| e.to_string()),
                        }),
                    )],
                )
                .await?;
            }
            report.problems.push(p);
        }
    }
    let known: std::collections::HashSet<&str> =
        recordings.iter().map(|r| r.sha256.as_str()).collect();
    // An offload running now links each object before recording it: its objects are not
    // orphans to move aside, so while one runs unknown objects are only reported.
    let offloading = repair && offload_running(app).await?;
    for root in roots {
        for sha in crate::blocking(|| root.list())? {
            if !known.contains(sha.as_str())
                && let Ok(sha256) = Sha256::parse(&sha)
                // Recorded while this run went on (an offload at the station): not an orphan.
                && app.catalog.recording(&sha256).await?.is_none()
            {
                let mut orphan = Orphan {
                    root: root.name().to_string(),
                    sha256,
                    quarantined_to: None,
                };
                if repair && !offloading {
                    let tag = format!("{}-unknown", app.now().timestamp_micros());
                    let to = crate::blocking(|| root.quarantine(&sha, &tag))?;
                    app.record(
                        actor,
                        vec![Change::event(
                            QUARANTINED,
                            format!("object:{sha}"),
                            serde_json::json!({
                                "root": orphan.root,
                                "reason": "unknown_to_catalog",
                                "quarantined_to": to,
                            }),
                        )],
                    )
                    .await?;
                    orphan.quarantined_to = Some(to);
                }
                report.orphans.push(orphan);
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Whether an offload holds its device's lock right now: another process, this one, or another
/// server on the same catalog (the lock lives in the catalog where it is shared). Only devices
/// with a session marked running are probed; the probe holds a free lock for an instant only,
/// and such a device's session was cut off (an offload starting on it in that instant is told
/// one is in progress and may retry).
async fn offload_running(app: &App) -> Result<bool, AppError> {
    for s in app.catalog.sessions().await? {
        if s.status != zhilu_model::SessionStatus::Running {
            continue;
        }
        match crate::offload::lock_device(app, &s.device, false).await? {
            None => return Ok(true),
            Some(lock) => lock.release().await,
        }
    }
    Ok(false)
}

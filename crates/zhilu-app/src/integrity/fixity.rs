//! Fixity (R18): re-hash every stored object in every root with both algorithms, report missing and
//! damaged copies, and on request repair a bad copy from a good one. A damaged copy is moved to the
//! root's quarantine, never deleted, and every repair is a ledger entry.

use std::time::Instant;

use serde::Serialize;
use zhilu_model::{Recording, Sha256};
use zhilu_store::{Change, ObjectRoot};

use super::{REPAIR_FAILED, REPAIRED};
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
}

impl ProblemKind {
    /// The ledger's word for it (part of the `object.repaired` entry).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Missing => "missing",
            ProblemKind::Damaged => "damaged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::Missing => "缺失",
            ProblemKind::Damaged => "损坏",
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
}

#[derive(Debug, Clone, Serialize)]
pub struct FixityReport {
    pub objects: u64,
    pub copies_checked: u64,
    pub bytes_hashed: u64,
    pub seconds: f64,
    pub problems: Vec<FixityProblem>,
    pub orphans: Vec<Orphan>,
}

impl FixityReport {
    /// Problems left unrepaired: these make `zhilu fixity` exit non-zero.
    pub fn unrepaired(&self) -> usize {
        self.problems.iter().filter(|p| !p.repaired).count()
    }
}

enum CopyState {
    Good,
    Missing,
    Damaged(String),
}

fn check_copy(root: &dyn ObjectRoot, rec: &Recording) -> Result<CopyState, AppError> {
    match root.size_of(rec.sha256.as_str())? {
        None => return Ok(CopyState::Missing),
        Some(size) if size != rec.size => {
            return Ok(CopyState::Damaged(format!(
                "大小不符：应为 {} 字节，实为 {size} 字节",
                rec.size
            )));
        }
        Some(_) => {}
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

/// Copies a good object into `to`, checking both hashes of what was read.
fn copy_object(
    from: &dyn ObjectRoot,
    to: &dyn ObjectRoot,
    rec: &Recording,
) -> Result<(), AppError> {
    let mut src = from.open(rec.sha256.as_str())?;
    let mut pending = to.begin()?;
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
        orphans: Vec::new(),
    };
    for rec in &recordings {
        let states: Vec<CopyState> = crate::blocking(|| {
            roots
                .iter()
                .map(|r| check_copy(r.as_ref(), rec))
                .collect::<Result<_, _>>()
        })?;
        report.copies_checked += states.len() as u64;
        report.bytes_hashed += rec.size
            * states
                .iter()
                .filter(|s| !matches!(s, CopyState::Missing))
                .count() as u64;
        let good = states.iter().position(|s| matches!(s, CopyState::Good));
        for (i, state) in states.iter().enumerate() {
            let (problem, detail) = match state {
                CopyState::Good => continue,
                CopyState::Missing => (ProblemKind::Missing, "副本缺失".to_string()),
                CopyState::Damaged(d) => (ProblemKind::Damaged, d.clone()),
            };
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
                if problem == ProblemKind::Damaged {
                    p.quarantined_to = Some(root.quarantine(rec.sha256.as_str(), &tag)?);
                }
                let copied = crate::blocking(|| copy_object(roots[g].as_ref(), root, rec));
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
    for root in roots {
        for sha in crate::blocking(|| root.list())? {
            if !known.contains(sha.as_str())
                && let Ok(sha256) = Sha256::parse(&sha)
                // Recorded while this run went on (an offload at the station): not an orphan.
                // One still being recorded at this instant may show here; orphans are only
                // reported, never removed.
                && app.catalog.recording(&sha256).await?.is_none()
            {
                report.orphans.push(Orphan {
                    root: root.name().to_string(),
                    sha256,
                });
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

//! Evidence extraction (证据提取, R22, R23, X3): the recordings of an approved copy or provide
//! grant written as a BagIt package a court, a reconsideration body or an auditor checks without
//! our software — the original bytes, manifests in SHA-256 and SM3, the facts of the extraction,
//! and per file the audit-ledger entry that stored it with an inclusion proof against a signed
//! checkpoint (`audit.rs`), plus `verify.py` and Chinese instructions.
//!
//! Bytes are read only through `access::open` on a `Granted` from `access::authorize`, hashed as
//! they are written, and held against the catalog before anything else is written: on a mismatch
//! the partial package is removed. One ledger entry (`evidence.exported`) records who exported
//! which files with both hashes on which grant, for which case and receiver.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use zhilu_export::bag::{self, BagError, BagInfo, BagWriter, FileDigests};
use zhilu_export::statement::{self, Label, Statement, StatementFile};
use zhilu_model::*;
use zhilu_store::Change;

use crate::access::{self, Use};
use crate::actor::Actor;
use crate::error::{AppError, Thing};
use crate::offload::guard;
use crate::{App, beijing, beijing_day, rfc3339};

mod audit;
mod disc;
pub mod preserve;
pub mod server;
pub mod sheets;

pub use audit::{PackageReport, verify_package};
pub use disc::{Disc, DiscImage, numbered, parse_disc_size, write as write_disc_images};

/// The written statement's file name in a package: a tag file, outside `data/` (R22).
pub const STATEMENT_PDF: &str = "statement.pdf";

/// The facts a written statement names (R22), as the extractor gives them.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// 制作人: who made the package.
    pub maker: String,
    /// 提取人: who takes it (the receiver's person).
    pub extractor: String,
    /// 事由.
    pub reason: String,
    /// 案件编号 or other reference of the receiver; the grant's id when empty.
    pub case: String,
    /// 案件名称; the case number when empty.
    pub case_name: String,
    /// 接收单位.
    pub receiver: String,
    /// 提取单位 (the agency); the profile's agency when empty.
    pub agency: String,
}

/// One exported file.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedFile {
    pub original_name: String,
    /// Its path in the package, `data/<safe name>`.
    pub path: String,
    pub sha256: String,
    pub sm3: String,
    pub size: u64,
    /// The ledger entry that stored it (its leaf index).
    pub ledger_seq: u64,
}

/// A written evidence package.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub dir: PathBuf,
    pub grant: String,
    pub files: Vec<ExportedFile>,
    /// The size of the signed checkpoint the proofs are against.
    pub checkpoint_size: u64,
    /// When (RFC 3339).
    pub at: String,
    /// The disc image(s) written of the package (none unless asked for).
    pub discs: Vec<DiscImage>,
}

impl From<BagError> for AppError {
    fn from(e: BagError) -> Self {
        match e {
            BagError::Io { path, source } => AppError::Io { path, source },
            BagError::NotEmpty(p) => AppError::ExportTargetNotEmpty(p),
            e @ (BagError::BadName(_) | BagError::Invalid(_)) => {
                AppError::ExportInvalid(e.to_string())
            }
        }
    }
}

/// Reads a shared original handle from the start with positioned reads, so other readers of the
/// same handle are not disturbed.
struct At {
    file: Arc<File>,
    pos: u64,
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Removes what an export wrote: everything in `dir` (empty or absent before), and `dir` itself
/// when the export created it.
fn remove_partial(dir: &Path, created: bool) {
    if created {
        let _ = std::fs::remove_dir_all(dir);
        return;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

/// Writes the recordings of grant `grant_id` as an evidence package into `out_dir` (absent or
/// empty, outside the data directory and every vault root). Only the grant's holder, on an
/// approved, unexpired, unrevoked grant of kind copy or provide (`NoGrant` otherwise); nothing
/// is written when refused.
pub async fn evidence(
    app: &App,
    actor: &Actor,
    grant_id: &str,
    out_dir: &Path,
    facts: Facts,
) -> Result<Exported, AppError> {
    evidence_with(app, actor, grant_id, out_dir, facts, None).await
}

/// [`evidence`], then, when `disc` is given, the package's disc image(s) (R22): one image if it
/// fits the disc, else several, each with its share of `data/` and all the tag files. The images'
/// names and SHA-256 are in the same ledger entry; on any failure nothing is left behind.
pub async fn evidence_with(
    app: &App,
    actor: &Actor,
    grant_id: &str,
    out_dir: &Path,
    facts: Facts,
    disc: Option<&Disc>,
) -> Result<Exported, AppError> {
    actor.check_password_current()?;
    let user = actor
        .person_id()
        .cloned()
        .ok_or(AppError::NotAuthenticated)?;
    let grant = access::grants::load(app, grant_id).await?.record;
    let gid = &grant.id;
    let now = app.now();
    if grant.holder != user {
        return Err(AppError::NoGrant(format!(
            "授权 {gid} 不是发给 {user} 的，只有被授权人本人可以提取"
        )));
    }
    if !grant.kind.downloads() {
        return Err(AppError::NoGrant(format!(
            "授权 {gid} 只允许在线查阅，提取证据须有复制或对外提供的授权"
        )));
    }
    if grant.revoked_at.is_some() {
        return Err(AppError::NoGrant(format!("授权 {gid} 已被撤销")));
    }
    if now >= grant.expires_at {
        return Err(AppError::NoGrant(format!("授权 {gid} 已过期")));
    }
    if let Some(store) = guard::overlapping(app, out_dir) {
        return Err(AppError::ExportIntoStore {
            path: out_dir.to_path_buf(),
            store,
        });
    }
    if let Some(d) = disc {
        if d.image.starts_with(out_dir) {
            return Err(AppError::ExportDisc(format!(
                "光盘映像 {} 不能写在证据包目录 {} 之内",
                d.image.display(),
                out_dir.display()
            )));
        }
        if let Some(store) = guard::overlapping(app, &d.image) {
            return Err(AppError::ExportIntoStore {
                path: d.image.clone(),
                store,
            });
        }
        if d.image.exists() {
            return Err(AppError::ExportDisc(format!(
                "光盘映像 {} 已存在，拒绝覆盖：请指定一个新的文件名",
                d.image.display()
            )));
        }
    }
    // The statement needs a Chinese font: without one nothing is written.
    let font =
        statement::require_cjk_font().map_err(|e| AppError::ExportStatement(e.to_string()))?;
    let mut sources = Vec::new();
    for sha in &grant.items {
        let granted = access::authorize(app, actor, sha.as_str(), Use::Download).await?;
        let recording = app
            .catalog
            .recording(sha)
            .await?
            .ok_or_else(|| AppError::NotFound {
                what: Thing::Recording,
                id: sha.to_string(),
            })?;
        let file = access::open(app, &granted).await?.file;
        sources.push((recording, file));
    }
    let created = !out_dir.exists();
    let writer = BagWriter::create(out_dir)?;
    let result = write_package(
        app, actor, &grant, out_dir, writer, sources, &facts, font, disc,
    )
    .await;
    if result.is_err() {
        remove_partial(out_dir, created);
    }
    result
}

/// What every kind of package shares once written: the digests computed while writing (in the
/// order of the sources), the audit proofs and the disc images.
pub(crate) struct Package {
    pub digests: Vec<FileDigests>,
    pub seqs: Vec<u64>,
    pub checkpoint_size: u64,
    pub discs: Vec<DiscImage>,
}

/// Writes a package of any kind (evidence, preservation disc) into the bag `writer` started at
/// `out_dir`: the payload hashed as it is written and held against the catalog, the audit proofs,
/// the statement (`head` with its file list filled from the digests), the tag files; then reads
/// the bag back and writes the disc image(s) when asked. Nothing is ledgered here.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn build_package(
    app: &App,
    out_dir: &Path,
    writer: BagWriter,
    sources: &[(Recording, Arc<File>)],
    info: BagInfo,
    head: Statement,
    font: (Vec<u8>, u32),
    disc: Option<&Disc>,
    recorded_at: i64,
) -> Result<Package, AppError> {
    let names: Vec<(String, Arc<File>)> = sources
        .iter()
        .map(|(r, f)| (r.original_name.clone(), f.clone()))
        .collect();
    let (writer, digests) = tokio::task::spawn_blocking(move || {
        let mut writer = writer;
        let out = writer.add_all(
            names
                .into_iter()
                .map(|(name, file)| (name, Box::new(At { file, pos: 0 }) as Box<dyn Read + Send>))
                .collect(),
        )?;
        Ok::<_, BagError>((writer, out))
    })
    .await
    .map_err(|e| AppError::ExportMismatch(format!("写入线程失败：{e}")))??;
    for ((rec, _), d) in sources.iter().zip(&digests) {
        check_against_catalog(rec, d)?;
    }
    let recordings: Vec<&Recording> = sources.iter().map(|(r, _)| r).collect();
    let audit = audit::collect(app, &recordings, &digests).await?;
    let mut s = head;
    s.files = statement_files(app, sources, &digests).await?;
    let pdf = tokio::task::spawn_blocking(move || statement::statement_pdf(&s, &font.0, font.1))
        .await
        .map_err(|e| AppError::ExportMismatch(format!("写入线程失败：{e}")))?
        .map_err(|e| AppError::ExportStatement(e.to_string()))?;
    let mut tags = audit.files.clone();
    tags.push(("verify.py".into(), bag::VERIFY_PY.as_bytes().to_vec()));
    tags.push(("README.txt".into(), bag::README_TXT.as_bytes().to_vec()));
    tags.push((STATEMENT_PDF.into(), pdf));
    tokio::task::spawn_blocking(move || writer.finish(&info, &tags))
        .await
        .map_err(|e| AppError::ExportMismatch(format!("写入线程失败：{e}")))??;
    // Read back what the receiver will get, before it is recorded.
    audit::verify_written_package(out_dir).await?;
    let discs = match disc {
        Some(d) => {
            let (bag, d) = (out_dir.to_path_buf(), d.clone());
            tokio::task::spawn_blocking(move || disc::write(&bag, &d, recorded_at))
                .await
                .map_err(|e| AppError::ExportDisc(format!("写入线程失败：{e}")))??
        }
        None => Vec::new(),
    };
    Ok(Package {
        digests,
        seqs: audit.seqs,
        checkpoint_size: audit.checkpoint_size,
        discs,
    })
}

#[allow(clippy::too_many_arguments)]
async fn write_package(
    app: &App,
    actor: &Actor,
    grant: &Grant,
    out_dir: &Path,
    writer: BagWriter,
    sources: Vec<(Recording, Arc<File>)>,
    facts: &Facts,
    font: (Vec<u8>, u32),
    disc: Option<&Disc>,
) -> Result<Exported, AppError> {
    let now = app.now();
    let agency = if facts.agency.trim().is_empty() {
        app.profile_opt()
            .await?
            .map(|p| p.agency.clone())
            .unwrap_or_default()
    } else {
        facts.agency.clone()
    };
    let case = if facts.case.trim().is_empty() {
        format!("调阅授权 {}", grant.id)
    } else {
        facts.case.clone()
    };
    let info = BagInfo {
        agency: agency.clone(),
        case: case.clone(),
        receiver: facts.receiver.clone(),
        maker: facts.maker.clone(),
        extractor: facts.extractor.clone(),
        reason: facts.reason.clone(),
        time: format!("{}（北京时间）", beijing(now)),
        bagging_date: beijing_day(now),
    };
    let head = statement_head(&agency, &case, facts, now);
    let Package {
        digests,
        seqs,
        checkpoint_size,
        discs,
    } = build_package(
        app,
        out_dir,
        writer,
        &sources,
        info,
        head,
        font,
        disc,
        now.timestamp(),
    )
    .await?;
    let files: Vec<ExportedFile> = digests
        .iter()
        .zip(&seqs)
        .map(|(d, seq)| ExportedFile {
            original_name: d.original_name.clone(),
            path: d.path.clone(),
            sha256: hex::encode(d.sha256),
            sm3: hex::encode(d.sm3),
            size: d.size,
            ledger_seq: *seq,
        })
        .collect();
    let event = Change::event(
        "evidence.exported",
        format!("export:{}", grant.id),
        serde_json::json!({
            "grant": grant.id.as_str(),
            "kind": grant.kind.as_str(),
            "case": facts.case,
            "receiver": facts.receiver,
            "maker": facts.maker,
            "extractor": facts.extractor,
            "reason": facts.reason,
            "checkpoint_size": checkpoint_size,
            "files": files.iter().map(|f| serde_json::json!({
                "name": f.original_name,
                "path": f.path,
                "sha256": f.sha256,
                "sm3": f.sm3,
                "size": f.size,
            })).collect::<Vec<_>>(),
            "statement": STATEMENT_PDF,
            "discs": discs.iter().map(|d| serde_json::json!({
                "image": d.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                "path": d.path.display().to_string(),
                "size": d.size,
                "sha256": d.sha256,
                "payload_files": d.payload_files,
            })).collect::<Vec<_>>(),
        }),
    );
    if let Err(e) = app.record(actor, vec![event]).await {
        disc::remove(&discs);
        return Err(e);
    }
    Ok(Exported {
        dir: out_dir.to_path_buf(),
        grant: grant.id.to_string(),
        files,
        checkpoint_size,
        at: rfc3339(now),
        discs,
    })
}

/// `1,048,576 字节`.
fn bytes_text(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out + " 字节"
}

/// Per file, what the written statement lists: from the catalog and the digests just computed.
async fn statement_files(
    app: &App,
    sources: &[(Recording, Arc<File>)],
    digests: &[FileDigests],
) -> Result<Vec<StatementFile>, AppError> {
    let mut files = Vec::new();
    for ((rec, _), d) in sources.iter().zip(digests) {
        let officer = match app.catalog.officer(&rec.officer).await? {
            Some(o) => format!("{}（{}）", o.name, o.id.as_str()),
            None => rec.officer.as_str().to_string(),
        };
        let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(beijing).unwrap_or_else(|| "不详".to_string())
        };
        files.push(StatementFile {
            original_name: d.original_name.clone(),
            capture_start: when(rec.capture_start),
            capture_end: when(rec.capture_end),
            device: rec.device.as_str().to_string(),
            officer,
            size: bytes_text(d.size),
            sha256: hex::encode(d.sha256),
            sm3: hex::encode(d.sm3),
        });
    }
    Ok(files)
}

/// The written statement of an extraction (R22) without its file list; its label lines are the
/// disc label's (R21).
fn statement_head(
    agency: &str,
    case: &str,
    facts: &Facts,
    now: chrono::DateTime<chrono::Utc>,
) -> Statement {
    let case_name = if facts.case_name.trim().is_empty() {
        case.to_string()
    } else {
        facts.case_name.clone()
    };
    let label = Label {
        unit: agency.to_string(),
        maker: facts.maker.clone(),
        date: beijing_day(now),
        name: case_name.clone(),
        number: case.to_string(),
        copy_no: 1,
        copies: 1,
    };
    Statement {
        agency: agency.to_string(),
        title: "行政执法音像记录证据提取说明".into(),
        case_no: case.to_string(),
        case_name,
        maker: facts.maker.clone(),
        extractor: facts.extractor.clone(),
        made_at: beijing(now),
        reason: facts.reason.clone(),
        receiver: facts.receiver.clone(),
        files: Vec::new(),
        label_lines: label.lines(),
    }
}

/// Refuses bytes that are not the catalog's: a damaged copy must never leave as evidence.
fn check_against_catalog(rec: &Recording, d: &FileDigests) -> Result<(), AppError> {
    if hex::encode(d.sha256) != rec.sha256.as_str()
        || hex::encode(d.sm3) != rec.sm3.as_str()
        || d.size != rec.size
    {
        return Err(AppError::ExportMismatch(format!(
            "{}（{}）读出的内容与编目记录的哈希值或大小不符，存储中的副本可能已损坏：请先运行完整性检查（fixity）",
            rec.original_name, rec.sha256
        )));
    }
    Ok(())
}

//! Long-term preservation on disc (长期保存刻录光盘, R21: lushan-sj §16 "一式两份", dalian-ftz §20,
//! jinpu-wj §20, zhejiang-rf §20) and the disc register.
//!
//! `preserve` selects the recordings the profile keeps long-term or permanently (its retention
//! triggers: dispute, complaint, obstruction, incident…) that no disc holds yet, groups them per
//! case (an activity with a case number) or else per activity, and writes each group as a package
//! — the same BagIt bag, SHA-256 + SM3 manifests, audit proofs, `verify.py` and statement as an
//! evidence package, so a disc read decades later checks without this software — on one or more
//! ISO images of at most the chosen size. Each image is a register entry ([`PreservationDisc`])
//! with every file's hashes, burned as the profile's number of copies, each its own
//! [`DiscCopy`] row and its own label PDF. `check` reads a copy back (an image read from the disc,
//! or the mounted disc) against the register and ledgers what it found; `register` shows which
//! copies are due for their periodic check (`retention.disc_check_months`).
//!
//! Bytes are read from the vault by this use case itself, not through a grant: preservation is
//! the custodian's keeping of the record, not a person viewing it, and every disc it makes is
//! ledgered with both hashes of every file.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Months, Utc};
use serde::Serialize;
use zhilu_export::bag::{BagInfo, BagWriter};
use zhilu_export::statement::{self, Label, Statement};
use zhilu_model::{DiscCopy, DiscFile, PreservationDisc, RecordId, Recording, Sha256};
use zhilu_policy::engine::Index;
use zhilu_policy::profile::RetentionClass;
use zhilu_store::{Change, Counter};

use super::{Disc, DiscImage, Package, build_package};
use crate::actor::{Action, Actor};
use crate::error::{AppError, Field, Thing, id};
use crate::hashing::hash_stream;
use crate::offload::guard;
use crate::{App, beijing, beijing_day};

/// Where a new copy is until someone records where it is kept.
const NOT_PLACED: &str = "待入库";

/// A group of recordings to preserve together: one case or one activity.
#[derive(Debug, Clone, Serialize)]
pub struct PlanGroup {
    /// `case:<number>` or `activity:<id>`.
    pub group: String,
    /// The name on the label.
    pub title: String,
    pub class: RetentionClass,
    /// Why (Chinese, citing the article), as retention gives it.
    pub reason: String,
    pub items: Vec<Sha256>,
    pub bytes: u64,
}

/// What `preserve` selects now: long-term or permanent, not yet on a disc.
pub async fn plan(app: &App, actor: &Actor) -> Result<Vec<PlanGroup>, AppError> {
    actor.require_any(Action::Preserve)?;
    let profile = app.profile().await?;
    let facts = crate::compliance::facts::read(app, None).await?;
    let ix = Index::new(&facts);
    let on_disc: HashSet<String> = app
        .catalog
        .discs()
        .await?
        .into_iter()
        .flat_map(|d| d.items.into_iter().map(Sha256::into_string))
        .collect();
    // Purged bytes (R20) are gone: nothing to burn.
    let purged: HashSet<String> = app
        .catalog
        .tombstones()
        .await?
        .into_iter()
        .map(|t| t.sha256.into_string())
        .collect();
    let mut groups: BTreeMap<String, PlanGroup> = BTreeMap::new();
    for r in &facts.recordings {
        if on_disc.contains(r.sha256.as_str()) || purged.contains(r.sha256.as_str()) {
            continue;
        }
        let acts = ix.activities_of(&r.sha256);
        // The class the profile gives, a legal hold aside: a hold is temporary, preservation is
        // about what the regulation keeps long-term.
        let ret = zhilu_policy::retention::retention(&profile, r, acts, false);
        if !matches!(
            ret.class,
            RetentionClass::LongTerm | RetentionClass::Permanent
        ) {
            continue;
        }
        let (group, title) = match acts.iter().find_map(|a| a.case_no.as_deref()) {
            Some(case) => (format!("case:{case}"), format!("案件 {case}")),
            None => match acts.first() {
                Some(a) => (
                    format!("activity:{}", a.id),
                    format!("执法活动 {}（{}）", a.id, a.subject_name),
                ),
                None => (format!("recording:{}", r.sha256), "未关联的音像记录".into()),
            },
        };
        let g = groups.entry(group.clone()).or_insert_with(|| PlanGroup {
            group,
            title,
            class: ret.class,
            reason: ret.reason.clone(),
            items: Vec::new(),
            bytes: 0,
        });
        if ret.class == RetentionClass::Permanent {
            g.class = RetentionClass::Permanent;
        }
        let sha = Sha256::parse(&r.sha256)
            .map_err(|e| AppError::invalid(Field::Recording, e.to_string()))?;
        if let Some(rec) = app.catalog.recording(&sha).await? {
            g.bytes += rec.size;
        }
        g.items.push(sha);
    }
    Ok(groups.into_values().collect())
}

/// One disc made by `preserve`.
#[derive(Debug, Clone, Serialize)]
pub struct MadeDisc {
    pub id: String,
    pub group: String,
    pub title: String,
    pub part: u32,
    pub parts: u32,
    pub image: PathBuf,
    pub image_size: u64,
    pub image_sha256: String,
    pub files: usize,
    /// One label PDF per physical copy.
    pub labels: Vec<PathBuf>,
}

/// What `preserve` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Preserved {
    pub out_dir: PathBuf,
    pub discs: Vec<MadeDisc>,
    pub copies_per_disc: u32,
}

/// The facts of a preservation run as the custodian gives them.
#[derive(Debug, Clone, Default)]
pub struct PreserveOptions {
    /// 制作人; the actor's name when empty.
    pub maker: String,
    /// Usable bytes of one disc.
    pub capacity: u64,
}

/// Writes disc images and labels for everything [`plan`] selects into `out_dir` (absent or
/// empty, outside the data directory) and registers each disc and each copy, in one ledger
/// commit. On a failure nothing is registered and what was written is removed.
pub async fn preserve(
    app: &App,
    actor: &Actor,
    out_dir: &Path,
    opts: &PreserveOptions,
) -> Result<Preserved, AppError> {
    let groups = plan(app, actor).await?;
    let user = actor
        .person_id()
        .cloned()
        .ok_or(AppError::NotAuthenticated)?;
    if let Some(store) = guard::overlapping(app, out_dir) {
        return Err(AppError::ExportIntoStore {
            path: out_dir.to_path_buf(),
            store,
        });
    }
    if std::fs::read_dir(out_dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(AppError::ExportTargetNotEmpty(out_dir.to_path_buf()));
    }
    let profile = app.profile().await?;
    let copies = u32::try_from(*profile.retention.disc_copies.get_ref())
        .unwrap_or(1)
        .max(1);
    if groups.is_empty() {
        return Ok(Preserved {
            out_dir: out_dir.to_path_buf(),
            discs: Vec::new(),
            copies_per_disc: copies,
        });
    }
    let font =
        statement::require_cjk_font().map_err(|e| AppError::ExportStatement(e.to_string()))?;
    let maker = if opts.maker.trim().is_empty() {
        match app.catalog.officer(&user).await? {
            Some(o) => format!("{}（{}）", o.name, o.id),
            None => user.to_string(),
        }
    } else {
        crate::registry::text(Field::Name, &opts.maker)?
    };
    let created = !out_dir.exists();
    std::fs::create_dir_all(out_dir).map_err(|source| AppError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let result = write_all(
        app,
        actor,
        out_dir,
        &groups,
        &maker,
        opts.capacity,
        copies,
        font,
    )
    .await;
    if result.is_err() {
        super::remove_partial(out_dir, created);
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn write_all(
    app: &App,
    actor: &Actor,
    out_dir: &Path,
    groups: &[PlanGroup],
    maker: &str,
    capacity: u64,
    copies: u32,
    font: (Vec<u8>, u32),
) -> Result<Preserved, AppError> {
    let profile = app.profile().await?;
    let user = actor
        .person_id()
        .cloned()
        .ok_or(AppError::NotAuthenticated)?;
    let now = app.now();
    let mut changes = Vec::new();
    let mut made = Vec::new();
    for (n, g) in groups.iter().enumerate() {
        let mut sources = Vec::new();
        for sha in &g.items {
            let rec = app
                .catalog
                .recording(sha)
                .await?
                .ok_or_else(|| AppError::NotFound {
                    what: Thing::Recording,
                    id: sha.to_string(),
                })?;
            let file = open_original(app, &rec).await?;
            sources.push((rec, file));
        }
        let bag_dir = out_dir.join(format!(".bag-{}", n + 1));
        let stem = out_dir.join(format!("group-{}.iso", n + 1));
        let (number, _) = g.group.split_once(':').map_or(("", ""), |(_, v)| (v, ""));
        let reason = format!("{}：{}", g.class.label(), g.reason);
        let info = BagInfo {
            agency: profile.agency.clone(),
            case: number.to_string(),
            receiver: "本机关（长期保存）".into(),
            maker: maker.to_string(),
            extractor: String::new(),
            reason: reason.clone(),
            time: format!("{}（北京时间）", beijing(now)),
            bagging_date: beijing_day(now),
        };
        let head = Statement {
            agency: profile.agency.clone(),
            title: "行政执法音像记录长期保存光盘说明".into(),
            case_no: number.to_string(),
            case_name: g.title.clone(),
            maker: maker.to_string(),
            extractor: "—".into(),
            made_at: beijing(now),
            reason: reason.clone(),
            receiver: "本机关档案保管".into(),
            files: Vec::new(),
            label_lines: label(&profile.agency, maker, now, &g.title, number, 1, copies).lines(),
        };
        let writer = BagWriter::create(&bag_dir)?;
        let disc = Disc {
            image: stem,
            capacity,
        };
        let Package { digests, discs, .. } = build_package(
            app,
            &bag_dir,
            writer,
            &sources,
            info,
            head,
            font.clone(),
            Some(&disc),
            now.timestamp(),
        )
        .await?;
        // The images are what is burned; the staging bag is not kept.
        let _ = std::fs::remove_dir_all(&bag_dir);
        let parts = u32::try_from(discs.len()).unwrap_or(u32::MAX);
        for (k, image) in discs.into_iter().enumerate() {
            let disc_id = id(
                Field::Disc,
                RecordId::parse,
                &app.catalog.next_id(&Counter::Disc).await?,
            )?;
            let DiscImage {
                path,
                size,
                sha256,
                payload,
                ..
            } = image;
            let dest = out_dir.join(format!("{disc_id}.iso"));
            std::fs::rename(&path, &dest).map_err(|source| AppError::Io {
                path: dest.clone(),
                source,
            })?;
            let mut files = Vec::new();
            let mut items = Vec::new();
            for ((rec, _), d) in sources.iter().zip(&digests) {
                if payload.contains(&d.path) {
                    files.push(DiscFile {
                        path: d.path.clone(),
                        sha256: rec.sha256.clone(),
                        sm3: rec.sm3.clone(),
                        size: d.size,
                    });
                    items.push(rec.sha256.clone());
                }
            }
            let part = u32::try_from(k + 1).unwrap_or(u32::MAX);
            let disc_row = PreservationDisc {
                id: disc_id.clone(),
                group: g.group.clone(),
                title: g.title.clone(),
                part,
                parts,
                items,
                files,
                image_sha256: Sha256::parse(&sha256)
                    .map_err(|e| AppError::ExportDisc(e.to_string()))?,
                image_size: size,
                copies,
                made_at: now,
                made_by: user.clone(),
            };
            let mut labels = Vec::new();
            for c in 1..=copies {
                let copy_id = id(Field::Disc, RecordId::parse, &format!("{disc_id}-{c}"))?;
                let mut l = label(&profile.agency, maker, now, &g.title, number, c, copies);
                l.number = if parts > 1 {
                    format!("{disc_id}（{number} 第{part}张/共{parts}张）")
                } else {
                    format!("{disc_id}（{number}）")
                };
                let (f, i) = (font.0.clone(), font.1);
                let pdf = tokio::task::spawn_blocking(move || statement::label_pdf(&l, &f, i))
                    .await
                    .map_err(|e| AppError::ExportStatement(format!("写入线程失败：{e}")))?
                    .map_err(|e| AppError::ExportStatement(e.to_string()))?;
                let lp = out_dir.join(format!("{copy_id}.label.pdf"));
                std::fs::write(&lp, pdf).map_err(|source| AppError::Io {
                    path: lp.clone(),
                    source,
                })?;
                labels.push(lp);
                changes.push(Change::insert(DiscCopy {
                    id: copy_id,
                    disc: disc_id.clone(),
                    copy_no: c,
                    location: NOT_PLACED.into(),
                    holder: maker.to_string(),
                    placed_at: now,
                    checked_at: None,
                    check_ok: None,
                    check_note: None,
                }));
            }
            made.push(MadeDisc {
                id: disc_id.to_string(),
                group: g.group.clone(),
                title: g.title.clone(),
                part,
                parts,
                image: dest,
                image_size: size,
                image_sha256: sha256,
                files: disc_row.files.len(),
                labels,
            });
            // The disc row before its copies (they refer to it).
            let at = changes.len() - usize::try_from(copies).unwrap_or(0);
            changes.insert(at, Change::insert(disc_row));
        }
    }
    app.record(actor, changes).await?;
    Ok(Preserved {
        out_dir: out_dir.to_path_buf(),
        discs: made,
        copies_per_disc: copies,
    })
}

fn label(
    agency: &str,
    maker: &str,
    now: DateTime<Utc>,
    title: &str,
    number: &str,
    copy_no: u32,
    copies: u32,
) -> Label {
    Label {
        unit: agency.to_string(),
        maker: maker.to_string(),
        date: beijing_day(now),
        name: title.to_string(),
        number: number.to_string(),
        copy_no,
        copies,
    }
}

/// The first root's regular file of the recorded size.
async fn open_original(app: &App, rec: &Recording) -> Result<Arc<File>, AppError> {
    let paths: Vec<PathBuf> = app
        .vault
        .roots()
        .iter()
        .filter_map(|r| r.local_path(rec.sha256.as_str()))
        .collect();
    let (size, sha) = (rec.size, rec.sha256.to_string());
    tokio::task::spawn_blocking(move || {
        for p in paths {
            let Ok(file) = File::open(&p) else { continue };
            if file
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() == size)
            {
                return Ok(Arc::new(file));
            }
        }
        Err(AppError::NotFound {
            what: Thing::Recording,
            id: format!("{sha}（存储中没有完好的副本）"),
        })
    })
    .await
    .map_err(|e| AppError::ExportDisc(format!("读取线程失败：{e}")))?
}

/// One copy in the register, with its disc and whether its periodic check is due.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterRow {
    pub copy: DiscCopy,
    pub disc: PreservationDisc,
    /// When the next check is due (`None`: the profile sets no interval).
    pub due_at: Option<DateTime<Utc>>,
    pub due: bool,
    /// Recordings on this disc whose vault bytes were purged (R20): this disc and its sibling
    /// copies are now the only place they live.
    pub purged_items: usize,
}

/// The disc register: every copy, with its disc and when its check is due (R21).
pub async fn register(app: &App, actor: &Actor) -> Result<Vec<RegisterRow>, AppError> {
    actor.require_any(Action::ReadRetention)?;
    actor.reads("disc-register");
    let profile = app.profile().await?;
    let months = profile
        .retention
        .disc_check_months
        .as_ref()
        .and_then(|m| u32::try_from(*m.get_ref()).ok());
    let discs: BTreeMap<RecordId, PreservationDisc> = app
        .catalog
        .discs()
        .await?
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    let purged: HashSet<Sha256> = app
        .catalog
        .tombstones()
        .await?
        .into_iter()
        .map(|t| t.sha256)
        .collect();
    let now = app.now();
    let mut out = Vec::new();
    for copy in app.catalog.disc_copies().await? {
        let Some(disc) = discs.get(&copy.disc).cloned() else {
            continue;
        };
        let since = copy.checked_at.unwrap_or(disc.made_at);
        let due_at = months.and_then(|m| since.checked_add_months(Months::new(m)));
        out.push(RegisterRow {
            purged_items: disc.items.iter().filter(|s| purged.contains(*s)).count(),
            due: due_at.is_some_and(|d| d <= now) || copy.check_ok == Some(false),
            due_at,
            copy,
            disc,
        });
    }
    Ok(out)
}

/// Records where a copy is kept and who holds it.
pub async fn place(
    app: &App,
    actor: &Actor,
    copy: &str,
    location: &str,
    holder: &str,
) -> Result<DiscCopy, AppError> {
    actor.require_any(Action::Preserve)?;
    let location = crate::registry::text(Field::Location, location)?;
    let holder = crate::registry::text(Field::Keeper, holder)?;
    let (_, current) = load_copy(app, copy).await?;
    let mut next = current.record.clone();
    next.location = location;
    next.holder = holder;
    next.placed_at = app.now();
    app.record(actor, vec![Change::update(next.clone(), current.version)])
        .await?;
    Ok(next)
}

/// A copy of the register by the id a person typed.
async fn load_copy(
    app: &App,
    copy: &str,
) -> Result<(RecordId, zhilu_store::Versioned<DiscCopy>), AppError> {
    let copy_id = id(Field::Disc, RecordId::parse, copy)?;
    let current = app
        .catalog
        .disc_copy(&copy_id)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Disc,
            id: copy_id.to_string(),
        })?;
    Ok((copy_id, current))
}

/// What a check reads: an image file (read from the disc, e.g. with `dd`) or the mounted disc.
#[derive(Debug, Clone)]
pub enum CheckSource {
    Image(PathBuf),
    Mount(PathBuf),
}

/// What a check found.
#[derive(Debug, Clone, Serialize)]
pub struct DiscCheck {
    pub copy: String,
    pub disc: String,
    pub ok: bool,
    pub files_checked: usize,
    pub bytes_read: u64,
    /// Chinese, one line per problem.
    pub problems: Vec<String>,
}

/// Reads a copy back against the register — the image's SHA-256, or every file's size, SHA-256
/// and SM3 on the mounted disc — and ledgers the result on the copy (`disc.checked`).
pub async fn check(
    app: &App,
    actor: &Actor,
    copy: &str,
    source: CheckSource,
) -> Result<DiscCheck, AppError> {
    actor.require_any(Action::Preserve)?;
    let (copy_id, current) = load_copy(app, copy).await?;
    let disc = app
        .catalog
        .disc(&current.record.disc)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Disc,
            id: current.record.disc.to_string(),
        })?
        .record;
    let d = disc.clone();
    let (problems, files_checked, bytes_read) =
        tokio::task::spawn_blocking(move || read_back(&d, &source))
            .await
            .map_err(|e| AppError::ExportDisc(format!("读取线程失败：{e}")))??;
    let ok = problems.is_empty();
    let note = if ok {
        format!("{files_checked} 个文件完好")
    } else {
        problems.join("；")
    };
    let mut next = current.record.clone();
    next.checked_at = Some(app.now());
    next.check_ok = Some(ok);
    next.check_note = Some(note.chars().take(2000).collect());
    app.record(
        actor,
        vec![
            Change::update(next, current.version),
            Change::event(
                "disc.checked",
                format!("disc-check:{copy_id}"),
                serde_json::json!({
                    "disc": disc.id.as_str(),
                    "ok": ok,
                    "files_checked": files_checked,
                    "bytes_read": bytes_read,
                    "problems": problems,
                }),
            ),
        ],
    )
    .await?;
    Ok(DiscCheck {
        copy: copy_id.to_string(),
        disc: disc.id.to_string(),
        ok,
        files_checked,
        bytes_read,
        problems,
    })
}

type ReadBack = (Vec<String>, usize, u64);

fn read_back(disc: &PreservationDisc, source: &CheckSource) -> Result<ReadBack, AppError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AppError::Io { path, source }
    };
    match source {
        CheckSource::Image(path) => {
            let file = File::open(path).map_err(io(path))?;
            let len = file.metadata().map_err(io(path))?.len();
            let mut problems = Vec::new();
            if len < disc.image_size {
                problems.push(format!(
                    "映像只有 {len} 字节，登记的光盘映像为 {} 字节：光盘不完整或读取中断",
                    disc.image_size
                ));
                return Ok((problems, 0, len));
            }
            // A disc read with `dd` may carry padding past the image: only the image is hashed,
            // and padding must be zeros.
            let mut head = file.take(disc.image_size);
            let d = hash_stream(&mut head).map_err(io(path))?;
            if d.sha256_hex() != disc.image_sha256.as_str() {
                problems.push(format!(
                    "映像的 SHA-256 为 {}，与登记的 {} 不符：光盘内容已变化或不是这张光盘",
                    d.sha256_hex(),
                    disc.image_sha256
                ));
            }
            let mut rest = head.into_inner();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = rest.read(&mut buf).map_err(io(path))?;
                if n == 0 {
                    break;
                }
                if buf[..n].iter().any(|b| *b != 0) {
                    problems.push("映像之后还有非零数据：不是登记的那张光盘映像".into());
                    break;
                }
            }
            let files = if problems.is_empty() {
                disc.files.len()
            } else {
                0
            };
            Ok((problems, files, len))
        }
        CheckSource::Mount(dir) => {
            if !dir.is_dir() {
                return Err(AppError::invalid(
                    Field::Source,
                    format!("{} 不是目录：请给出光盘的挂载目录", dir.display()),
                ));
            }
            let mut problems = Vec::new();
            let mut read = 0u64;
            let mut checked = 0usize;
            for f in &disc.files {
                let p = dir.join(&f.path);
                let mut file = match File::open(&p) {
                    Ok(file) => file,
                    Err(_) => {
                        problems.push(format!("缺少文件 {}", f.path));
                        continue;
                    }
                };
                let d = hash_stream(&mut file).map_err(io(&p))?;
                read += d.size;
                checked += 1;
                if d.size != f.size {
                    problems.push(format!(
                        "{} 大小为 {} 字节，登记为 {} 字节",
                        f.path, d.size, f.size
                    ));
                } else if d.sha256_hex() != f.sha256.as_str() || d.sm3_hex() != f.sm3.as_str() {
                    problems.push(format!("{} 的哈希值与登记的不符：内容已变化", f.path));
                }
            }
            Ok((problems, checked, read))
        }
    }
}

/// Where the bytes of a recording also live: the disc copies that hold it (for a purge, after
/// which the register says the bytes live only there).
pub async fn copies_holding(app: &App, sha: &Sha256) -> Result<Vec<String>, AppError> {
    let discs: Vec<RecordId> = app
        .catalog
        .discs()
        .await?
        .into_iter()
        .filter(|d| d.items.contains(sha))
        .map(|d| d.id)
        .collect();
    Ok(app
        .catalog
        .disc_copies()
        .await?
        .into_iter()
        .filter(|c| discs.contains(&c.disc))
        .map(|c| format!("{}（{}，{}）", c.id, c.location, c.holder))
        .collect())
}

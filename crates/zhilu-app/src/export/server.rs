//! Evidence packages made on the server (R22), for the API and the web page: the same package as
//! `zhilu export evidence --iso` ([`super::evidence_with`], with all its checks), written under
//! `<data>/exports/<id>/` — the bag in `bag/`, the disc image(s) beside it — so that its maker
//! can download the image and burn it.
//!
//! The ledger is the list: an export made here is its `evidence.exported` entry, whose images lie
//! in `<data>/exports/<id>/`; nothing else is kept about it. Downloading an image is allowed to
//! the maker (the grant's holder) and to whoever the permission table lets check other people's
//! packages (`Action::DownloadExports`: the custodian, the legal office), and is ledgered
//! (`evidence.downloaded`) before the first byte leaves.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use zhilu_model::OfficerId;
use zhilu_store::Change;
use zhilu_store::LedgerEntry;

use super::{Disc, Facts, evidence_with, parse_disc_size};
use crate::actor::{Action, Actor, Target};
use crate::error::AppError;
use crate::offload::guard;
use crate::{App, rfc3339};

/// The folder of the data directory that holds the packages made here.
pub const EXPORTS_DIR: &str = "exports";
/// The ledger entry of an export (written by [`super::evidence_with`]).
const EXPORTED: &str = "evidence.exported";
/// The ledger entry of a download of one of its images.
pub const DOWNLOADED: &str = "evidence.downloaded";

/// What the maker asks for: the grant, the facts of the statement, and the disc size (`dvd` when
/// not given; see [`parse_disc_size`]).
#[derive(Debug, Clone, Default)]
pub struct ExportAsk {
    pub grant: String,
    pub facts: Facts,
    /// Usable bytes of one disc.
    pub disc_capacity: Option<u64>,
}

/// One file of a package.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageFile {
    pub original_name: String,
    /// Its path in the package, `data/<safe name>`.
    pub path: String,
    pub sha256: String,
    pub sm3: String,
    pub size: u64,
}

/// One disc image of a package: what to burn, and the SHA-256 to write on the disc's label.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageImage {
    /// 1, 2, … (the download's number).
    pub n: u32,
    /// The file name (`<id>.iso`, or `<id>-n.iso` when split).
    pub name: String,
    pub size: u64,
    pub sha256: String,
    /// How many recordings it carries.
    pub payload_files: u64,
}

/// An evidence package made on the server, as its ledger entry records it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// `<grant>-<Beijing time yyyymmddHHMMSS>` (a suffix `-2`… if taken).
    pub id: String,
    pub grant: String,
    /// The user who made it (the grant's holder).
    pub made_by: String,
    /// When (RFC 3339).
    pub at: String,
    /// The ledger entry that records it.
    pub ledger_seq: u64,
    /// 制作人, 提取人, 事由, 案件编号, 接收单位, as in the statement.
    pub maker: String,
    pub extractor: String,
    pub reason: String,
    pub case: String,
    pub receiver: String,
    pub files: Vec<PackageFile>,
    pub images: Vec<PackageImage>,
}

/// A disc image opened for download (its download already ledgered).
#[derive(Debug)]
pub struct ImageFile {
    pub file: File,
    pub len: u64,
    pub name: String,
    pub sha256: String,
}

fn exports_dir(app: &App) -> PathBuf {
    app.dir.root.join(EXPORTS_DIR)
}

/// An export id as typed at an edge: letters, digits and `-` only, so it can never name a path
/// outside its folder.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 120
        && !id.starts_with('-')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The same refusal for a package that does not exist and one the actor may not have: the
/// answer says nothing about other people's packages.
fn no_package(id: &str) -> AppError {
    AppError::NoGrant(format!("没有编号为 {id} 的证据包，或您无权下载它"))
}

/// Creates `<exports>/<grant>-<time>` (or `…-2`, `…-3` when taken) and returns its id and path.
fn new_folder(
    exports: &Path,
    grant: &str,
    now: DateTime<Utc>,
) -> Result<(String, PathBuf), AppError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AppError::Io { path, source }
    };
    std::fs::create_dir_all(exports).map_err(io(exports))?;
    let safe: String = grant
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let stamp = crate::beijing(now)
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let base = format!("{}-{stamp}", safe.trim_matches('-'));
    for n in 1.. {
        let id = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let dir = exports.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((id, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io(&dir)(e)),
        }
    }
    unreachable!("an unbounded range ends only by returning")
}

/// Makes the package of grant `ask.grant` under `<data>/exports/<id>/` with its disc image(s)
/// (R22). Everything [`super::evidence_with`] checks applies unchanged (the holder only, on an
/// approved, unexpired, unrevoked copy or provide grant); on any refusal or failure nothing is
/// left in `exports/`.
pub async fn make(app: &App, actor: &Actor, ask: ExportAsk) -> Result<Package, AppError> {
    actor.check_password_current()?;
    let me = actor
        .person_id()
        .cloned()
        .ok_or(AppError::NotAuthenticated)?;
    // The grant's typed id names the folder; a grant that does not exist is refused here.
    let grant = crate::access::grants::load(app, &ask.grant).await?.record;
    if grant.holder != me {
        return Err(AppError::NoGrant(format!(
            "授权 {} 不是发给 {me} 的，只有被授权人本人可以提取",
            grant.id
        )));
    }
    let exports = exports_dir(app);
    let (id, folder) = new_folder(&exports, grant.id.as_str(), app.now())?;
    let capacity = match ask.disc_capacity {
        Some(c) => c,
        None => parse_disc_size("dvd").map_err(AppError::ExportDisc)?,
    };
    let disc = Disc {
        image: folder.join(format!("{id}.iso")),
        capacity,
    };
    let bag = folder.join("bag");
    let done = guard::into_exports(
        exports.clone(),
        evidence_with(app, actor, grant.id.as_str(), &bag, ask.facts, Some(&disc)),
    )
    .await;
    if let Err(e) = done {
        let _ = std::fs::remove_dir_all(&folder);
        return Err(e);
    }
    packages(app)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| {
            AppError::ExportMismatch(format!("证据包 {id} 已写入，但审计日志中找不到它的记录"))
        })
}

/// The packages the actor made here, newest first.
pub async fn exports_of(app: &App, actor: &Actor) -> Result<Vec<Package>, AppError> {
    actor.check_password_current()?;
    let Some(me) = actor.person_id() else {
        return Ok(Vec::new());
    };
    actor.reads("exports");
    let mut mine: Vec<Package> = packages(app)
        .await?
        .into_iter()
        .filter(|p| p.made_by == me.as_str())
        .collect();
    mine.reverse();
    Ok(mine)
}

/// Opens image `n` (1, 2, …) of package `id` for download, after ledgering the download. Only
/// its maker, or who may check other people's packages (`Action::DownloadExports`); anyone else
/// gets the same refusal as for a package that does not exist.
pub async fn open_image(app: &App, actor: &Actor, id: &str, n: u32) -> Result<ImageFile, AppError> {
    actor.check_password_current()?;
    if !valid_id(id) {
        return Err(no_package(id));
    }
    let package = packages(app)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| no_package(id))?;
    let maker = OfficerId::parse(&package.made_by).ok();
    let own = maker.is_some() && actor.person_id() == maker.as_ref();
    let people: Vec<OfficerId> = maker.into_iter().collect();
    if !own
        && !actor.allows(
            Action::DownloadExports,
            Target {
                people: &people,
                units: &[],
            },
        )
    {
        return Err(no_package(id));
    }
    let image = package
        .images
        .iter()
        .find(|i| i.n == n)
        .ok_or_else(|| AppError::NoGrant(format!("证据包 {id} 没有第 {n} 张光盘映像")))?;
    let path = exports_dir(app).join(id).join(&image.name);
    let file = File::open(&path).map_err(|source| AppError::Io {
        path: path.clone(),
        source,
    })?;
    let len = file
        .metadata()
        .map_err(|source| AppError::Io {
            path: path.clone(),
            source,
        })?
        .len();
    if len != image.size {
        return Err(AppError::ExportMismatch(format!(
            "光盘映像 {} 的大小（{len} 字节）与审计日志记录的 {} 字节不符，可能已被改动：请重新制作证据包",
            path.display(),
            image.size
        )));
    }
    // Recorded before the first byte leaves.
    app.record(
        actor,
        vec![Change::event(
            DOWNLOADED,
            format!("export:{}", package.grant),
            serde_json::json!({
                "export": package.id,
                "grant": package.grant,
                "image": image.name,
                "size": image.size,
                "sha256": image.sha256,
            }),
        )],
    )
    .await?;
    Ok(ImageFile {
        file,
        len,
        name: image.name.clone(),
        sha256: image.sha256.clone(),
    })
}

/// Every package made here, oldest first, read from the ledger.
async fn packages(app: &App) -> Result<Vec<Package>, AppError> {
    let exports = exports_dir(app);
    Ok(app
        .catalog
        .events_of_kinds(&[EXPORTED])
        .await?
        .iter()
        .filter_map(|e| package_of(&exports, e))
        .collect())
}

/// The package an `evidence.exported` entry records, if it was made here: its images lie in one
/// folder directly under `exports`, whose name is the id.
fn package_of(exports: &Path, e: &LedgerEntry) -> Option<Package> {
    let body: Value = serde_json::from_str(&e.body).ok()?;
    let state = &body["state"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut id = None;
    let mut images = Vec::new();
    for (i, d) in state["discs"].as_array()?.iter().enumerate() {
        let path = PathBuf::from(d["path"].as_str()?);
        let folder = path.parent()?;
        if folder.parent()? != exports {
            return None;
        }
        let name = folder.file_name()?.to_str()?.to_string();
        if id.get_or_insert_with(|| name.clone()) != &name || !valid_id(&name) {
            return None;
        }
        images.push(PackageImage {
            n: u32::try_from(i + 1).ok()?,
            name: path.file_name()?.to_str()?.to_string(),
            size: d["size"].as_u64()?,
            sha256: text(&d["sha256"]),
            payload_files: d["payload_files"].as_u64().unwrap_or_default(),
        });
    }
    let files = state["files"]
        .as_array()?
        .iter()
        .map(|f| PackageFile {
            original_name: text(&f["name"]),
            path: text(&f["path"]),
            sha256: text(&f["sha256"]),
            sm3: text(&f["sm3"]),
            size: f["size"].as_u64().unwrap_or_default(),
        })
        .collect();
    // The ledger's actor is the user id, or `id (cli:os user)` at the shell.
    let actor = body["actor"].as_str()?;
    let made_by = actor
        .split_once(' ')
        .map_or(actor, |(id, _)| id)
        .to_string();
    Some(Package {
        id: id?,
        grant: text(&state["grant"]),
        made_by,
        at: DateTime::<Utc>::from_timestamp_micros(e.at)
            .map(rfc3339)
            .unwrap_or_default(),
        ledger_seq: e.seq,
        maker: text(&state["maker"]),
        extractor: text(&state["extractor"]),
        reason: text(&state["reason"]),
        case: text(&state["case"]),
        receiver: text(&state["receiver"]),
        files,
        images,
    })
}

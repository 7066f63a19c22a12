//! A data directory: creating it (`init`), opening it, its configuration, the policy profile in
//! force and the working-day calendar.

mod config;
mod profile;
mod safety;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use zhilu_ledger::{SigningKey, VerifyingKey};
use zhilu_store::{Catalog, Change, LocalRoot, ObjectRoot, StoreError, Vault};

pub use config::OverseeAgency;
pub use config::{Config, RootSpec, S3Settings};
pub use profile::{
    ProfileSource, apply_profile, calendar_years, load_calendar, preset_text, presets,
    validate_profile,
};
pub use safety::shared_filesystems;

use crate::actor::Actor;
use crate::clock::Clock;
use crate::error::AppError;
use crate::policy::PolicyCache;
use crate::uuids::{RandomUuids, Uuids};
use crate::{App, Signer};

/// Paths inside a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
    /// `uploads_dir` of its configuration, once the directory is opened.
    uploads: Option<PathBuf>,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir {
            root: root.into(),
            uploads: None,
        }
    }
    /// Stations' uploads in progress (`<id>.part`): the configured `uploads_dir`, shared by the
    /// servers behind one address, or `uploads/` here.
    pub fn uploads(&self) -> PathBuf {
        self.uploads
            .clone()
            .unwrap_or_else(|| self.root.join("uploads"))
    }
    pub fn config(&self) -> PathBuf {
        self.root.join(Config::FILE)
    }
    pub fn catalog_db(&self) -> PathBuf {
        self.root.join("catalog.db")
    }
    pub fn secret_key(&self) -> PathBuf {
        self.root.join("keys/ledger.key")
    }
    pub fn public_key(&self) -> PathBuf {
        self.root.join("keys/ledger.pub")
    }
    /// The latest signed checkpoint, kept outside the database so that rolling the ledger back is
    /// detected even by someone who controls the database.
    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("ledger/checkpoint")
    }
    pub(crate) fn checkpoint_lock(&self) -> PathBuf {
        self.root.join("ledger/checkpoint.lock")
    }
    /// Held while a data directory is being initialised.
    pub(crate) fn init_lock(&self) -> PathBuf {
        self.root.join("zhilu.lock")
    }
    /// Held by the offload of one device, for as long as it runs.
    pub(crate) fn offload_lock(&self, device: &zhilu_model::DeviceSerial) -> PathBuf {
        self.root
            .join("locks")
            .join(format!("offload-{device}.lock"))
    }
    /// A vault root's folder.
    pub fn vault_root(&self, configured: &Path) -> PathBuf {
        if configured.is_absolute() {
            configured.to_path_buf()
        } else {
            self.root.join(configured)
        }
    }
}

/// Options for `init`.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Overrides the default vault roots (at least two).
    pub vault_roots: Vec<PathBuf>,
    pub database_url: Option<String>,
    pub ledger_hash: Option<zhilu_ledger::HashAlg>,
    pub signature: Option<zhilu_ledger::SignatureKind>,
    /// The policy profile to put in force, if the directory has none yet.
    pub profile: Option<ProfileSource>,
    /// Create a replay directory (demo, tests, training), whose business clock may be set by
    /// hand. Implied when `init` is given a clock that replays. Fixed at creation: the first
    /// ledger entry and every checkpoint's origin say so.
    pub replay: bool,
}

pub(crate) fn write_file_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), AppError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| AppError::io(dir, e))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(|e| AppError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| AppError::io(&tmp, e))?;
    f.sync_all().map_err(|e| AppError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| AppError::io(path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AppError::io(dir, e))
}

/// Opens (creating) a lock file; the caller locks it.
pub(crate) fn lock_file(path: &Path) -> Result<File, AppError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| AppError::io(dir, e))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| AppError::io(path, e))
}

/// Waits for and holds the data directory's lock. A directory this process may not write to
/// (an auditor's read-only copy) has no lock to take, and none is needed: nothing can be upgraded
/// or written there.
async fn directory_lock(dir: &DataDir) -> Result<Option<File>, AppError> {
    let path = dir.init_lock();
    let file = match OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(AppError::io(&path, e)),
    };
    crate::blocking(|| file.lock()).map_err(|e| AppError::io(&path, e))?;
    Ok(Some(file))
}

/// Opens one configured vault root (`create`: at `init`, making a local folder or writing an S3
/// root's marker). A missing folder or bucket is an error, never replaced by an empty one.
fn open_root(
    dir: &DataDir,
    config: &Config,
    configured: &Path,
    create: bool,
) -> Result<Box<dyn ObjectRoot>, AppError> {
    let bad = |message: String| AppError::Config {
        path: dir.config(),
        message,
    };
    match RootSpec::parse(configured).map_err(bad)? {
        RootSpec::Local(_) => {
            let path = dir.vault_root(configured);
            let opened = if create {
                LocalRoot::create(&path)
            } else {
                LocalRoot::open(&path)
            };
            match opened {
                Ok(root) => Ok(Box::new(root)),
                Err(StoreError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    Err(AppError::VaultRootMissing(path))
                }
                Err(e) => Err(e.into()),
            }
        }
        RootSpec::S3 { bucket, prefix } => {
            let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
            let (Some(access_key_id), Some(secret_access_key)) =
                (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
            else {
                return Err(bad(format!(
                    "存储位置 {} 需要环境变量 AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY（凭据只从环境变量读取，不写入 zhilu.toml）",
                    configured.display()
                )));
            };
            let s3 = config.s3.clone().unwrap_or(S3Settings {
                endpoint: None,
                region: "us-east-1".into(),
                allow_http: false,
            });
            let loc = zhilu_store::S3Location {
                bucket,
                prefix,
                endpoint: s3.endpoint,
                region: s3.region,
                allow_http: s3.allow_http,
                access_key_id,
                secret_access_key,
                session_token: env("AWS_SESSION_TOKEN"),
            };
            let root = crate::blocking(|| {
                let root = zhilu_store::ObjectStoreRoot::s3(&loc)?;
                if create { root.create() } else { root.open() }
            })?;
            Ok(Box::new(root))
        }
    }
}

/// Checks a configured `uploads_dir` against the disk: an existing folder (a missing one is an
/// error, never made: a shared folder not mounted would split uploads between servers) that
/// neither overlaps a local vault root (whose contents only the vault writes) nor the data
/// directory (keys, catalog, checkpoint: not a folder other servers write into).
fn check_uploads_dir(dir: &DataDir, config: &Config, uploads: &Path) -> Result<(), AppError> {
    let bad = |message: String| AppError::Config {
        path: dir.config(),
        message,
    };
    let shown = uploads.display();
    let meta = fs::metadata(uploads).map_err(|e| {
        bad(format!(
            "uploads_dir（采集站上传暂存目录）{shown} 无法访问：{}。请先创建该目录（多台服务器共用时须先挂载共享存储）",
            zhilu_model::explain::io_error(&e)
        ))
    })?;
    if !meta.is_dir() {
        return Err(bad(format!(
            "uploads_dir（采集站上传暂存目录）{shown} 不是目录"
        )));
    }
    let real = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let overlap = |a: &Path, b: &Path| a.starts_with(b) || b.starts_with(a);
    let up = real(uploads);
    for r in &config.vault_roots {
        if let Ok(RootSpec::Local(_)) = RootSpec::parse(r) {
            let root = real(&dir.vault_root(r));
            if overlap(&up, &root) {
                return Err(bad(format!(
                    "uploads_dir（采集站上传暂存目录）{shown} 与存储位置 {} 重叠：请另选一个目录",
                    root.display()
                )));
            }
        }
    }
    let sqlite_file = config
        .database_url
        .strip_prefix("sqlite://")
        .map(|rest| Path::new(rest.split('?').next().unwrap_or(rest)));
    if let Some(db) = sqlite_file
        && overlap(&up, &real(db))
    {
        return Err(bad(format!(
            "uploads_dir（采集站上传暂存目录）{shown} 与编目库 {} 重叠：请另选一个目录",
            db.display()
        )));
    }
    if overlap(&up, &real(&dir.root)) {
        return Err(bad(format!(
            "uploads_dir（采集站上传暂存目录）{shown} 与数据目录 {} 重叠（数据目录含编目库、密钥和审计日志）：请另选一个目录，或删去此项以使用数据目录下的 uploads/",
            dir.root.display()
        )));
    }
    Ok(())
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}{}", &url[..s + 3], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

fn random_seed(path: &Path) -> Result<[u8; 32], AppError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| AppError::io(path, std::io::Error::other(e.to_string())))?;
    Ok(seed)
}

/// A directory joining a catalog that others already write (a second server on one PostgreSQL):
/// its checkpoint file starts from the latest checkpoint its key signed in the catalog. The key
/// is the one the catalog's first directory made, copied into `keys/` by the operator; it never
/// goes into the catalog. A directory with another key is refused here, before it writes anything
/// (its first commit would find a head it did not sign).
async fn join(app: &App) -> Result<(), AppError> {
    let key = &app.signer.verifying_key;
    let stored = app.catalog.checkpoints().await?;
    let ours = stored.iter().rev().find(|(size, note)| {
        zhilu_ledger::verify_checkpoint(note, key).is_ok_and(|cp| cp.size == *size)
    });
    match ours {
        Some((size, note)) => {
            let (dir, key, lock) = (&app.dir, key, &*app.checkpoint_file);
            crate::blocking(|| crate::keep_checkpoint(dir, key, lock, *size, note))
        }
        None if !stored.is_empty() => Err(AppError::Config {
            path: app.dir.secret_key(),
            message: "编目库中的审计日志不是由本数据目录的签名密钥签署的。\
                      加入已有编目库的服务器须使用同一把密钥：请从第一个数据目录复制 \
                      keys/ledger.key 和 keys/ledger.pub 后再初始化"
                .into(),
        }),
        None => Ok(()),
    }
}

impl App {
    /// Creates the data directory, configuration, signing key, catalog and vault roots, logs the
    /// initialisation in the ledger and puts the chosen profile in force. Idempotent: an
    /// initialised directory is opened as it is (and a different profile is refused, not
    /// swapped in: changing the profile is `apply_profile`'s job).
    pub async fn init(
        dir: DataDir,
        opts: InitOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<App, AppError> {
        // A profile that cannot be put in force refuses init before anything is created.
        let wanted = opts
            .profile
            .as_ref()
            .map(ProfileSource::parse)
            .transpose()?;
        fs::create_dir_all(&dir.root).map_err(|e| AppError::io(&dir.root, e))?;
        let lock = lock_file(&dir.init_lock())?;
        lock.lock().map_err(|e| AppError::io(dir.init_lock(), e))?;
        if !dir.config().exists() {
            let mut cfg = Config::default();
            if !opts.vault_roots.is_empty() {
                cfg.vault_roots = opts.vault_roots.clone();
            }
            if let Some(h) = opts.ledger_hash {
                cfg.ledger_hash = h;
            }
            if let Some(s) = opts.signature {
                cfg.signature = s;
            }
            // The catalog's address is part of the directory: later commands must not silently
            // open another one. A password is never written to the file (it is world-readable):
            // later runs give it through `PGPASSWORD` or the full URL in the environment.
            if let Some(u) = opts.database_url.as_deref().filter(|u| !u.is_empty()) {
                cfg.database_url = without_password(u);
            }
            cfg.check(&dir.config())?;
            write_file_atomically(&dir.config(), cfg.to_toml().as_bytes(), 0o644)?;
        }
        let config = Config::load(&dir.config())?;
        if !dir.secret_key().exists() {
            let key = SigningKey::from_seed(
                config.signature,
                "zhilu-ledger",
                random_seed(&dir.secret_key())?,
            )?;
            write_file_atomically(
                &dir.public_key(),
                format!("{}\n", key.verifying_key()).as_bytes(),
                0o644,
            )?;
            write_file_atomically(
                &dir.secret_key(),
                format!("{}\n", key.to_secret_string()).as_bytes(),
                0o600,
            )?;
        }
        for r in &config.vault_roots {
            open_root(&dir, &config, r, true)?;
        }
        // The embedded catalog is created here, and only here.
        let init_url = match opts.database_url.clone().filter(|u| !u.is_empty()) {
            Some(u) => Some(u),
            None if config.database_url.is_empty() => {
                Some(format!("sqlite://{}?mode=rwc", dir.catalog_db().display()))
            }
            None => None,
        };
        let replay = opts.replay || clock.replays();
        let app =
            App::open_inner(dir, clock, init_url, Arc::new(RandomUuids), Some(replay)).await?;
        safety::restrict(&app.dir, &app.config.vault_roots)?;
        let size = app.catalog.ledger_size().await?;
        if size > 0 && !app.dir.checkpoint().exists() {
            join(&app).await?;
        }
        if size == 0 {
            let data = serde_json::json!({
                "vault_roots": app.config.vault_roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "ledger_hash": app.config.ledger_hash.as_str(),
                "verifying_key": app.signer.verifying_key.to_string(),
                "replay": app.signer.replay,
            });
            app.record(
                &Actor::system("system"),
                vec![Change::event("system.initialized", "system", data)],
            )
            .await?;
        }
        if let (Some(source), Some(wanted)) = (&opts.profile, wanted) {
            match app.profile_opt().await? {
                Some(current) if current.id() != wanted.id() => {
                    return Err(AppError::ProfileAlreadySet {
                        current: current.id().to_string(),
                        requested: wanted.id().to_string(),
                    });
                }
                Some(_) => {}
                None => {
                    apply_profile(&app, &Actor::system("system"), source).await?;
                }
            }
        }
        drop(lock);
        Ok(app)
    }

    /// Opens an initialised data directory. Any number of processes may have it open at once.
    pub async fn open(
        dir: DataDir,
        clock: Arc<dyn Clock>,
        database_url: Option<String>,
    ) -> Result<App, AppError> {
        App::open_with(dir, clock, database_url, Arc::new(RandomUuids)).await
    }

    /// [`App::open`] with the UUID source given (tests pin ledger bytes with a counter).
    pub async fn open_with(
        dir: DataDir,
        clock: Arc<dyn Clock>,
        database_url: Option<String>,
        uuids: Arc<dyn Uuids>,
    ) -> Result<App, AppError> {
        App::open_inner(dir, clock, database_url, uuids, None).await
    }

    /// `init_replay`: called from `init` (which already holds the directory's lock — a second
    /// `flock` of it from this process would wait for ever) with the mode a new directory gets.
    async fn open_inner(
        mut dir: DataDir,
        clock: Arc<dyn Clock>,
        database_url: Option<String>,
        uuids: Arc<dyn Uuids>,
        init_replay: Option<bool>,
    ) -> Result<App, AppError> {
        let init_holds_lock = init_replay.is_some();
        if !dir.config().exists() {
            return Err(AppError::NotInitialized(dir.root.clone()));
        }
        let config = Config::load(&dir.config())?;
        if let Some(u) = &config.uploads_dir {
            check_uploads_dir(&dir, &config, u)?;
            dir.uploads = Some(u.clone());
        }
        let url = match database_url.filter(|u| !u.is_empty()) {
            Some(u) => u,
            None if !config.database_url.is_empty() => config.database_url.clone(),
            // `init` created the file; a missing catalog later is an error, never a new empty one.
            None => {
                if !dir.catalog_db().exists() {
                    return Err(AppError::CatalogMissing(dir.catalog_db()));
                }
                format!("sqlite://{}?mode=rw", dir.catalog_db().display())
            }
        };
        let mut roots: Vec<Box<dyn ObjectRoot>> = Vec::new();
        for r in &config.vault_roots {
            roots.push(open_root(&dir, &config, r, false)?);
        }
        let secret =
            fs::read_to_string(dir.secret_key()).map_err(|e| AppError::io(dir.secret_key(), e))?;
        let key = SigningKey::from_secret_string(secret.trim())?;
        let public =
            fs::read_to_string(dir.public_key()).map_err(|e| AppError::io(dir.public_key(), e))?;
        let verifying_key = VerifyingKey::parse(public.trim())?;
        // The signed checkpoint kept beside the catalog, read before the catalog's head: it is
        // written after each commit, so a catalog shorter than it was rolled back or belongs to
        // another directory (a wrong URL), and must not be written to.
        let signed = fs::read_to_string(dir.checkpoint())
            .ok()
            .and_then(|t| zhilu_ledger::verify_checkpoint(&t, &verifying_key).ok())
            .map(|cp| cp.size);
        // Opening may upgrade the catalog's schema; two processes starting at once must not both
        // try (sqlx's migrator locks PostgreSQL but not SQLite), so opening takes the directory's
        // lock, as `init` does, for as long as it takes.
        let upgrading = if init_holds_lock {
            None
        } else {
            directory_lock(&dir).await?
        };
        let catalog = Catalog::open(&url, config.ledger_hash).await?;
        drop(upgrading);
        let head = catalog.ledger_size().await?;
        let behind = signed.filter(|s| *s > head).map(|s| (head, s));
        // The directory's mode is what its first entry recorded (a first-release directory,
        // which predates replay mode, is a real one).
        let replay = match catalog.ledger_entries(0, 1).await?.first() {
            Some(first) => first.state().get("replay").and_then(|v| v.as_bool()) == Some(true),
            None => init_replay.unwrap_or(false),
        };
        if clock.replays() && !replay {
            return Err(AppError::ReplayNotAllowed(dir.root.clone()));
        }
        Ok(App {
            dir,
            config,
            catalog: Arc::new(catalog),
            vault: Vault::new(roots),
            signer: Signer::new(key, verifying_key, replay),
            clock,
            uuids,
            policy: PolicyCache::default(),
            checkpoint_file: Arc::new(Mutex::new(())),
            background: Default::default(),
            behind,
            viewings: Default::default(),
            viewcopies: Default::default(),
            decisions: Default::default(),
            findings_synced: Default::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn x5_a_database_password_is_never_written_to_the_configuration() {
        assert_eq!(
            without_password("postgres://zhilu:s3cret@db:5432/zhilu"),
            "postgres://zhilu@db:5432/zhilu"
        );
        assert_eq!(
            without_password("postgres://zhilu@db/z"),
            "postgres://zhilu@db/z"
        );
        assert_eq!(
            without_password("sqlite:///x/catalog.db"),
            "sqlite:///x/catalog.db"
        );
    }
}

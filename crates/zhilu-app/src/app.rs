//! The application handle: the data directory, the catalog, the vault, the signing key and the
//! clock, and [`App::record`], the one place where state changes are written.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zhilu_ledger::{Checkpoint, HashAlg, SignatureKind, SigningKey, VerifyingKey};
use zhilu_store::{Catalog, Change, Committed, LocalRoot, ObjectRoot, Vault};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::AppError;
use crate::time::to_micros;

/// Paths inside a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
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
    /// The latest signed checkpoint, kept outside the database so that truncating the ledger
    /// table is detected even by someone who controls the database.
    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("ledger/checkpoint")
    }
    /// The policy profile in force (see `policy.rs`).
    pub fn profile(&self) -> PathBuf {
        self.root.join("profile.toml")
    }
    /// Calendar years loaded by an administrator.
    pub fn calendar_dir(&self) -> PathBuf {
        self.root.join("calendar")
    }
    pub fn lock(&self) -> PathBuf {
        self.root.join("zhilu.lock")
    }
}

/// Options for `zhilu init`.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Overrides the default vault roots (at least two).
    pub vault_roots: Vec<PathBuf>,
    pub database_url: Option<String>,
    pub ledger_hash: Option<String>,
    pub signature: Option<String>,
}

/// An open data directory.
pub struct App {
    pub(crate) dir: DataDir,
    pub(crate) config: Config,
    pub(crate) catalog: Catalog,
    pub(crate) vault: Vault,
    key: SigningKey,
    pub(crate) verifying_key: VerifyingKey,
    pub(crate) clock: Arc<dyn Clock>,
    _lock: Option<File>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("dir", &self.dir.root)
            .finish_non_exhaustive()
    }
}

pub(crate) fn write_file_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), AppError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| AppError::io(dir, e))?;
    let tmp = path.with_extension("tmp");
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

impl App {
    /// Creates the data directory, configuration, signing key, catalog and vault roots, and logs the
    /// initialisation in the ledger. Idempotent: an initialised directory is opened as it is.
    pub async fn init(
        dir: DataDir,
        opts: InitOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<App, AppError> {
        fs::create_dir_all(&dir.root).map_err(|e| AppError::io(&dir.root, e))?;
        let lock = take_lock(&dir)?;
        if !dir.config().exists() {
            let mut cfg = Config::default();
            if !opts.vault_roots.is_empty() {
                cfg.vault_roots = opts.vault_roots.clone();
            }
            if let Some(u) = &opts.database_url {
                cfg.database_url = u.clone();
            }
            if let Some(h) = &opts.ledger_hash {
                cfg.ledger_hash = h.clone();
            }
            if let Some(s) = &opts.signature {
                cfg.signature = s.clone();
            }
            cfg.check(&dir.config())?;
            write_file_atomically(&dir.config(), cfg.to_toml().as_bytes(), 0o644)?;
        }
        let config = Config::load(&dir.config())?;
        if !dir.secret_key().exists() {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| {
                AppError::io(dir.secret_key(), std::io::Error::other(e.to_string()))
            })?;
            let kind = if config.signature == "sm2" {
                SignatureKind::Sm2
            } else {
                SignatureKind::Ed25519
            };
            let key = SigningKey::from_seed(kind, "zhilu-ledger", seed)?;
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
        let app = App::open_with_lock(dir, clock, Some(lock), opts.database_url).await?;
        let (size, _) = app.catalog.ledger_head().await?;
        if size == 0 {
            let data = serde_json::json!({
                "vault_roots": app.config.vault_roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "ledger_hash": app.config.ledger_hash,
                "verifying_key": app.verifying_key.to_string(),
            });
            app.record(
                "system",
                vec![Change::Event {
                    kind: "system.initialized".into(),
                    subject: "system".into(),
                    data,
                }],
            )
            .await?;
        }
        Ok(app)
    }

    /// Opens an initialised data directory for reading and writing (takes the write lock).
    pub async fn open(
        dir: DataDir,
        clock: Arc<dyn Clock>,
        database_url: Option<String>,
    ) -> Result<App, AppError> {
        if !dir.config().exists() {
            return Err(AppError::NotInitialized(dir.root.clone()));
        }
        let lock = take_lock(&dir)?;
        App::open_with_lock(dir, clock, Some(lock), database_url).await
    }

    /// Opens without the write lock, for commands that only read (`verify`, `recordings list`).
    pub async fn open_read_only(
        dir: DataDir,
        clock: Arc<dyn Clock>,
        database_url: Option<String>,
    ) -> Result<App, AppError> {
        if !dir.config().exists() {
            return Err(AppError::NotInitialized(dir.root.clone()));
        }
        App::open_with_lock(dir, clock, None, database_url).await
    }

    async fn open_with_lock(
        dir: DataDir,
        clock: Arc<dyn Clock>,
        lock: Option<File>,
        database_url: Option<String>,
    ) -> Result<App, AppError> {
        let config = Config::load(&dir.config())?;
        let alg = HashAlg::parse(&config.ledger_hash).unwrap_or(HashAlg::Sha256);
        let url = match database_url.filter(|u| !u.is_empty()) {
            Some(u) => u,
            None if !config.database_url.is_empty() => config.database_url.clone(),
            None => format!("sqlite://{}?mode=rwc", dir.catalog_db().display()),
        };
        let catalog = Catalog::open(&url, alg).await?;
        let mut roots: Vec<Box<dyn ObjectRoot>> = Vec::new();
        for r in &config.vault_roots {
            let p = if r.is_absolute() {
                r.clone()
            } else {
                dir.root.join(r)
            };
            // Only a writer may clean up partial objects; a reader opens roots as they are.
            let root = if lock.is_some() {
                LocalRoot::open(p)?
            } else {
                LocalRoot::open_existing(p)?
            };
            roots.push(Box::new(root));
        }
        let secret =
            fs::read_to_string(dir.secret_key()).map_err(|e| AppError::io(dir.secret_key(), e))?;
        let key = SigningKey::from_secret_string(secret.trim())?;
        let public =
            fs::read_to_string(dir.public_key()).map_err(|e| AppError::io(dir.public_key(), e))?;
        let verifying_key = VerifyingKey::parse(public.trim())?;
        Ok(App {
            dir,
            config,
            catalog,
            vault: Vault::new(roots),
            key,
            verifying_key,
            clock,
            _lock: lock,
        })
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn now_micros(&self) -> i64 {
        to_micros(self.clock.now())
    }

    /// The one write path: commits the changes with their ledger entries, then signs a checkpoint
    /// of the new tree head and stores it in the catalog and in `ledger/checkpoint`.
    pub async fn record(&self, actor: &str, changes: Vec<Change>) -> Result<Committed, AppError> {
        let committed = self
            .catalog
            .commit(self.now_micros(), actor, &changes)
            .await?;
        self.checkpoint(committed.size, committed.root).await?;
        Ok(committed)
    }

    async fn checkpoint(&self, size: u64, root: zhilu_ledger::Hash) -> Result<(), AppError> {
        let cp = Checkpoint {
            origin: format!("zhilu.ledger/v1 {}", self.verifying_key.name()),
            size,
            root,
            alg: self.catalog.hash_alg(),
        };
        let note = self.key.sign(&cp)?;
        self.catalog
            .store_checkpoint(size, self.now_micros(), &note)
            .await?;
        write_file_atomically(&self.dir.checkpoint(), note.as_bytes(), 0o644)
    }

    /// Releases the catalog cleanly.
    pub async fn close(self) {
        self.catalog.close().await;
    }
}

fn take_lock(dir: &DataDir) -> Result<File, AppError> {
    let path = dir.lock();
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| AppError::io(&path, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(AppError::Locked(dir.root.clone())),
        Err(std::fs::TryLockError::Error(e)) => Err(AppError::io(&path, e)),
    }
}

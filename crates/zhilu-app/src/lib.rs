//! Zhilu's use cases, one folder per capability: `setup` (data directory, configuration, policy
//! profile, calendar), `registry` (devices, officers, checkouts), `offload` (a device at a
//! collection station), `records` (activities, links, written records, holds), `access`
//! (requests and approvals), `compliance` (check, retention, one subject), `integrity` (fixity,
//! verify).
//!
//! Every use case is a function that takes the shared [`App`], the [`Actor`] doing it and typed
//! input, and returns typed output or a matchable [`AppError`]. None of them speaks of command-line
//! flags or pages: the CLI and (next) the web server translate. The only state change goes through
//! [`App::record`], which commits the catalog changes with their ledger entries and signed
//! checkpoint in one transaction.
//!
//! `App` is meant to be shared (`Arc<App>`): any number of use cases may run at once, in this
//! process or beside another process on the same data directory. The database serialises the
//! ledger; each pending object in the vault is locked by its writer; an offload locks its device.

pub mod access;
mod actor;
mod clock;
pub mod compliance;
mod error;
mod hashing;
pub mod integrity;
pub mod offload;
mod policy;
pub mod records;
pub mod registry;
pub mod setup;
#[cfg(feature = "testing")]
pub mod testing;
mod time;
mod uuids;

use std::sync::{Arc, Mutex};

use zhilu_ledger::{Checkpoint, Hash, SigningKey, VerifyingKey};
use zhilu_store::{Appended, Catalog, Change, CheckpointSigner, Vault};

pub use actor::Actor;
pub use clock::{Clock, FixedClock, ManualClock, SystemClock};
pub use error::{AppError, Field, Thing};
pub use hashing::Digests;
pub use setup::{Config, DataDir, InitOptions, ProfileSource};
pub use time::{Bound, beijing, beijing_day, parse_bound, parse_instant, rfc3339, start_of_day};
pub use uuids::{RandomUuids, SequentialUuids, Uuids};
pub use zhilu_model as model;
pub use zhilu_policy;

/// The shared application handle: the data directory, the catalog, the vault, the signing key, the
/// clock and the cached policy. Open it once and share it.
pub struct App {
    pub(crate) dir: DataDir,
    pub(crate) config: Config,
    pub(crate) catalog: Catalog,
    pub(crate) vault: Vault,
    pub(crate) signer: Signer,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) uuids: Arc<dyn Uuids>,
    pub(crate) policy: policy::PolicyCache,
    /// Serialises writes of the checkpoint file within this process (across processes: a lock file).
    checkpoint_file: Mutex<()>,
    /// (catalog head, signed checkpoint size) when the catalog is shorter than the checkpoint
    /// kept beside it: nothing may be written (`verify` says what happened).
    behind: Option<(u64, u64)>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("dir", &self.dir.root)
            .finish_non_exhaustive()
    }
}

/// The ledger's signing key, which signs a checkpoint inside every commit.
pub(crate) struct Signer {
    key: SigningKey,
    pub(crate) verifying_key: VerifyingKey,
    /// The directory was created in replay mode (its first entry says so); its checkpoints say so
    /// in their origin, so a witness or an auditor can never take a replayed history for a real one.
    pub(crate) replay: bool,
}

impl Signer {
    pub(crate) fn new(key: SigningKey, verifying_key: VerifyingKey, replay: bool) -> Self {
        Signer {
            key,
            verifying_key,
            replay,
        }
    }

    /// The origin line of every checkpoint this ledger signs: `zhilu.ledger/v1/<key id>`, with
    /// `/replay` appended for a replay directory. The key id makes it unique per installation,
    /// which is what a witness keys its state by.
    pub(crate) fn origin(&self) -> String {
        origin(&self.verifying_key, self.replay)
    }
}

/// The checkpoint origin of a ledger signed by `key` (see [`Signer::origin`]).
pub fn origin(key: &VerifyingKey, replay: bool) -> String {
    format!(
        "zhilu.ledger/v1/{}{}",
        hex::encode(key.key_id()),
        if replay { "/replay" } else { "" }
    )
}

pub(crate) struct CommitSigner<'a> {
    signer: &'a Signer,
    alg: zhilu_ledger::HashAlg,
    clock: &'a dyn Clock,
}

impl CheckpointSigner for CommitSigner<'_> {
    fn sign_checkpoint(&self, size: u64, root: &Hash) -> Result<String, String> {
        let cp = Checkpoint {
            origin: self.signer.origin(),
            size,
            root: *root,
            alg: self.alg,
        };
        self.signer.key.sign(&cp).map_err(|e| e.to_string())
    }

    fn covers(&self, note: &str, size: u64, root: &Hash) -> bool {
        zhilu_ledger::verify_checkpoint(note, &self.signer.verifying_key)
            .is_ok_and(|cp| cp.size == size && cp.root == *root)
    }

    fn real_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.real_now()
    }
}

impl App {
    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The catalog, for reading. (Writing is [`App::record`]'s alone.)
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.signer.verifying_key
    }

    /// Whether this is a replay directory (its business clock may be set by hand).
    pub fn is_replay(&self) -> bool {
        self.signer.replay
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// `Some((catalog entries, signed entries))` when the catalog holds fewer ledger entries
    /// than the checkpoint signed beside it: rolled back, or not this directory's catalog.
    pub fn catalog_behind(&self) -> Option<(u64, u64)> {
        self.behind
    }

    /// The one write path: commits the changes with their ledger entries and a signed
    /// checkpoint of the new head, in one transaction; then keeps the latest checkpoint in
    /// `ledger/checkpoint` as well, outside the database, so that rolling the database back
    /// is detected.
    pub(crate) async fn record(
        &self,
        actor: &Actor,
        changes: Vec<Change>,
    ) -> Result<Appended, AppError> {
        if let Some((catalog, signed)) = self.behind {
            return Err(AppError::CatalogBehind { catalog, signed });
        }
        let signer = CommitSigner {
            signer: &self.signer,
            alg: self.catalog.hash_alg(),
            clock: self.clock.as_ref(),
        };
        let appended = self
            .catalog
            .commit(self.clock.now(), actor.ledger_name(), &changes, &signer)
            .await?;
        // The change is committed and its signed checkpoint stored with it; the file outside the
        // database is a second copy. Failing to refresh it (disk full, permissions) must not make
        // the caller believe the change was lost: warn, and the next commit writes it again.
        if let Err(e) = self.keep_checkpoint(&appended) {
            tracing::warn!(size = appended.size, error = %e, "checkpoint file not refreshed");
        }
        Ok(appended)
    }

    /// Writes the checkpoint file unless a larger checkpoint is already there (another writer
    /// committed after us and wrote first).
    fn keep_checkpoint(&self, appended: &Appended) -> Result<(), AppError> {
        let _in_process = self
            .checkpoint_file
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let path = self.dir.checkpoint();
        let lock = setup::lock_file(&self.dir.checkpoint_lock())?;
        lock.lock()
            .map_err(|e| AppError::io(self.dir.checkpoint_lock(), e))?;
        let held = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| zhilu_ledger::verify_checkpoint(&t, &self.signer.verifying_key).ok())
            .map(|cp| cp.size);
        if held.is_none_or(|size| size < appended.size) {
            setup::write_file_atomically(&path, appended.checkpoint.as_bytes(), 0o644)?;
        }
        Ok(())
    }

    /// Releases the catalog cleanly (lets SQLite fold its write-ahead log back).
    pub async fn close(&self) {
        self.catalog.close().await;
    }
}

/// Runs blocking file work (hashing, copying) without stalling the runtime's other tasks on a
/// multi-threaded runtime; on a current-thread runtime (where `block_in_place` would panic) it
/// simply runs.
pub(crate) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

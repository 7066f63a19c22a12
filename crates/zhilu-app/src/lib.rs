//! Zhilu's use cases, one folder per capability: `setup` (data directory, configuration, policy
//! profile, calendar), `registry` (devices, officers, checkouts), `offload` (a device at a
//! collection station), `records` (activities, links, written records, holds), `access`
//! (requests and approvals), `export` (evidence packages), `compliance` (check, retention, one subject), `integrity` (fixity,
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
mod background;
mod clock;
pub mod compliance;
mod decisions;
pub use decisions::HEAD_TTL;
mod error;
pub mod export;
mod hashing;
pub mod identity;
pub mod integrity;
mod nonces;
pub use nonces::Nonces;
pub mod offload;
mod policy;
pub mod records;
pub mod registry;
pub mod setup;
pub mod station;
pub mod supervision;
#[cfg(feature = "testing")]
pub mod testing;
mod time;
mod uuids;
pub mod witness;

use std::sync::{Arc, Mutex};

use zhilu_ledger::{Checkpoint, Hash, SigningKey, VerifyingKey};
use zhilu_store::{Appended, Catalog, Change, CheckpointSigner, Vault};

pub use actor::{Action, Actor, PERMISSIONS, PROFILE_APPROVER, Scope, Target, Via};
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
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) vault: Vault,
    pub(crate) signer: Signer,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) uuids: Arc<dyn Uuids>,
    pub(crate) policy: policy::PolicyCache,
    /// Serialises writes of the checkpoint file within this process (across processes: a lock file).
    checkpoint_file: Arc<Mutex<()>>,
    /// The checkpoint file and the witness offers, after each commit (never holding it up).
    background: background::Background,
    /// Viewings of footage in progress, whose served ranges are written in batches.
    pub(crate) viewings: access::Viewings,
    /// Which originals the browser plays, and their viewing copies.
    pub(crate) viewcopies: access::ViewCopies,
    /// Authorisation decisions, per ledger head.
    pub(crate) decisions: decisions::Decisions,
    /// The last findings sync of this process: (ledger size after it, business minute).
    pub(crate) findings_synced: std::sync::Mutex<Option<(u64, i64)>>,
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
    /// The last checkpoint this key signed, as (note, size, root): the next commit finds it at
    /// the head unless another process appended meanwhile, and then need not verify it again
    /// (an Ed25519 verification is a large share of a single-entry commit's CPU).
    last_signed: Mutex<Option<(String, u64, Hash)>>,
    /// Nonces made ahead for the signatures inside commits.
    nonces: Nonces,
}

impl Signer {
    pub(crate) fn new(key: SigningKey, verifying_key: VerifyingKey, replay: bool) -> Self {
        Signer {
            nonces: Nonces::for_key(&key),
            key,
            verifying_key,
            replay,
            last_signed: Mutex::new(None),
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
        let note = self
            .signer
            .nonces
            .sign(&self.signer.key, &cp)
            .map_err(|e| e.to_string())?;
        *self
            .signer
            .last_signed
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((note.clone(), size, *root));
        Ok(note)
    }

    fn covers(&self, note: &str, size: u64, root: &Hash) -> bool {
        // A note byte for byte the one this key just signed for (size, root) is covered (signed,
        // even if its transaction then failed, so still this key's signature over exactly that
        // head); anything else — another process appended, or the head was tampered with — is
        // verified as a stranger's.
        let remembered = self
            .signer
            .last_signed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|(n, s, r)| n == note && *s == size && r == root);
        remembered
            || zhilu_ledger::verify_checkpoint(note, &self.signer.verifying_key)
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

    /// Refuses unless `actor` may do `action` on something that concerns these people (their
    /// units are looked up): the scoped check of the permission table.
    pub(crate) async fn require_for(
        &self,
        actor: &Actor,
        action: Action,
        people: &[zhilu_model::OfficerId],
        extra_units: &[String],
    ) -> Result<(), AppError> {
        if actor.scope(action) == Some(Scope::All) {
            return Ok(());
        }
        let mut units: Vec<String> = extra_units.to_vec();
        for p in people {
            if let Some(o) = self.catalog.officer(p).await? {
                units.push(o.unit);
            }
        }
        actor.require(
            action,
            Target {
                people,
                units: &units,
            },
        )
    }

    /// Whether a scoped read reaches something that concerns these people.
    pub(crate) async fn sees_people(
        &self,
        actor: &Actor,
        action: Action,
        people: &[zhilu_model::OfficerId],
    ) -> Result<bool, AppError> {
        match actor.scope(action) {
            None => Ok(false),
            Some(Scope::All) => Ok(true),
            Some(_) => Ok(self.require_for(actor, action, people, &[]).await.is_ok()),
        }
    }

    /// Every view of a classified item is logged (R25): one ledger event per classified item
    /// the reader was shown, naming the item, its classes and where it was shown (`via`: the
    /// list or page), in one commit. Nothing is written when none of `items` is classified.
    pub(crate) async fn log_classified_shown(
        &self,
        actor: &Actor,
        vis: &access::Visibility,
        via: &str,
        items: impl IntoIterator<Item = access::Item>,
    ) -> Result<(), AppError> {
        let mut seen = std::collections::HashSet::new();
        let events: Vec<Change> = items
            .into_iter()
            .filter_map(|item| {
                let classes = vis.classes_of(&item);
                if classes.is_empty() || !seen.insert(item.key()) {
                    return None;
                }
                let names: Vec<&str> = classes.iter().map(|c| c.as_str()).collect();
                Some(Change::event(
                    "classified.viewed",
                    format!("view:{}", item.key()),
                    serde_json::json!({"class": names.join(","), "via": via}),
                ))
            })
            .collect();
        if events.is_empty() {
            return Ok(());
        }
        self.record(actor, events).await?;
        Ok(())
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
        // The ranges of a viewing can alter no authorisation decision.
        let neutral = changes.iter().all(|c| c.kind().starts_with("playback."));
        self.decisions
            .committed(appended.first_seq, appended.size, neutral);
        self.after_commit(&appended).await;
        Ok(appended)
    }

    /// After a commit, in the background: the checkpoint file (a second copy outside the
    /// database; failing to refresh it — disk full, permissions — must not make the caller
    /// believe the change was lost: it warns, and the next commit writes it again), and the
    /// offer to every witness with an address.
    async fn after_commit(&self, appended: &Appended) {
        let item = (appended.size, appended.checkpoint.clone());
        let (dir, key, lock) = (
            self.dir.clone(),
            self.signer.verifying_key.clone(),
            Arc::clone(&self.checkpoint_file),
        );
        self.background
            .submit("file", item.clone(), move |(size, note)| {
                let (dir, key, lock) = (dir.clone(), key.clone(), Arc::clone(&lock));
                async move {
                    let kept = tokio::task::spawn_blocking(move || {
                        keep_checkpoint(&dir, &key, &lock, size, &note)
                    })
                    .await;
                    match kept {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => {
                            tracing::warn!(size, error = %e, "checkpoint file not refreshed")
                        }
                        Err(e) => tracing::warn!(size, error = %e, "checkpoint file task failed"),
                    }
                }
            });
        let witnesses = match witness::configured(&self.catalog).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "witnesses not read; no offer after this commit");
                return;
            }
        };
        for w in witnesses.into_iter().filter(|w| w.url.is_some()) {
            let o = self.offering();
            let lane = format!("witness:{}", w.name);
            self.background
                .submit(&lane, item.clone(), move |(size, note)| {
                    let (o, w) = (o.clone(), w.clone());
                    async move {
                        let offered = witness::offer_to(&o, &o.catalog, &w, size, &note).await;
                        let offered = match offered {
                            Ok((r, Some(c))) => o
                                .catalog
                                .keep_cosignature(&c)
                                .await
                                .map(|_| r)
                                .map_err(AppError::from),
                            Ok((r, None)) => Ok(r),
                            Err(e) => Err(e),
                        };
                        match offered {
                            Ok(r) if r.is_conflict() => {
                                tracing::error!(witness = %w.name, size, "{}", r.describe(&w.name))
                            }
                            Ok(r) => {
                                tracing::debug!(witness = %w.name, size, "{}", r.describe(&w.name))
                            }
                            Err(e) => {
                                tracing::warn!(witness = %w.name, size, error = %e, "offer failed")
                            }
                        }
                    }
                });
        }
    }

    /// Waits for the checkpoint file and the witness offers under way (an unreachable witness
    /// times out on its own, in seconds).
    pub async fn settle(&self) {
        let all = self.background.settle(|_| true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), all).await;
    }

    /// Finishes the background work (see [`App::settle`]) and releases the catalog cleanly (lets
    /// SQLite fold its write-ahead log back).
    ///
    /// The checkpoint file is always finished; witness offers get two more seconds (a command
    /// must not hang on a witness out of reach: the next commit, or `zhilu witness offer`,
    /// offers again).
    pub async fn close(&self) {
        self.background.settle(|lane| lane == "file").await;
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            self.background.settle(|_| true),
        )
        .await;
        self.catalog.close().await;
    }
}

/// Writes the checkpoint file unless a larger checkpoint is already there (another writer
/// committed after us and wrote first).
fn keep_checkpoint(
    dir: &DataDir,
    key: &VerifyingKey,
    in_process: &Mutex<()>,
    size: u64,
    note: &str,
) -> Result<(), AppError> {
    let _in_process = in_process.lock().unwrap_or_else(|p| p.into_inner());
    let path = dir.checkpoint();
    let lock = setup::lock_file(&dir.checkpoint_lock())?;
    lock.lock()
        .map_err(|e| AppError::io(dir.checkpoint_lock(), e))?;
    let held = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| zhilu_ledger::verify_checkpoint(&t, key).ok())
        .map(|cp| cp.size);
    if held.is_none_or(|held| held < size) {
        setup::write_file_atomically(&path, note.as_bytes(), 0o644)?;
    }
    Ok(())
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

#[cfg(test)]
mod commit_signer_tests {
    use super::*;
    use zhilu_ledger::{HashAlg, SignatureKind};

    fn signer(seed: u8) -> Signer {
        let key =
            SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [seed; 32]).expect("key");
        let verifying_key = key.verifying_key();
        Signer::new(key, verifying_key, false)
    }

    /// The remembered last signature spares a verification only for exactly the note it signed
    /// for exactly that head; a head moved by another process is verified (and still covered when
    /// the same key signed it), a stranger's note or another head never is.
    #[test]
    fn x1_covers_skips_only_its_own_last_note_and_verifies_everything_else() {
        let clock = SystemClock;
        let (a, stranger) = (signer(1), signer(2));
        let ours = CommitSigner {
            signer: &a,
            alg: HashAlg::Sha256,
            clock: &clock,
        };
        let (r1, r2) = ([1u8; 32], [2u8; 32]);
        let note = ours.sign_checkpoint(5, &r1).expect("sign");
        assert!(ours.covers(&note, 5, &r1));
        assert!(!ours.covers(&note, 5, &r2), "same note, another root");
        assert!(!ours.covers(&note, 6, &r1), "same note, another size");
        // Another process holding the same key (a second server) appended and signed: not the
        // remembered note, so verified — and covered.
        let other_process = signer(1);
        let theirs = CommitSigner {
            signer: &other_process,
            alg: HashAlg::Sha256,
            clock: &clock,
        };
        let newer = theirs.sign_checkpoint(7, &r2).expect("sign");
        assert!(ours.covers(&newer, 7, &r2));
        // A note a foreign key signed for that head is refused.
        let foreign = CommitSigner {
            signer: &stranger,
            alg: HashAlg::Sha256,
            clock: &clock,
        }
        .sign_checkpoint(7, &r2)
        .expect("sign");
        assert!(!ours.covers(&foreign, 7, &r2));
        // Altered by one byte, the remembered note is no longer taken on trust.
        let mut tampered = note.clone();
        tampered.push(' ');
        assert!(!ours.covers(&tampered, 5, &r1));
    }
}

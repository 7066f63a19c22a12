//! Ed25519 nonces made ahead of the commits that sign with them, on a thread of their own (see
//! `zhilu_ledger::Nonce` for why this is sound). A single-entry commit signs inside its
//! transaction; with a nonce ready, its signature is a fraction of the work it was, and the point
//! multiplication it saves runs on the other core while commits wait for their fsyncs.
//!
//! Why a mutex and a condition variable rather than a channel: taking from a bounded channel
//! whose sender waits for room wakes that sender on every take, and on a virtual machine waking a
//! thread on another core costs about 25 µs — as much as the signature it was meant to save. Here
//! a take only locks and pops; the maker is woken once per `AHEAD - LOW` takes.

use std::sync::{Arc, Condvar, Mutex, OnceLock};

use zeroize::Zeroizing;
use zhilu_ledger::{Checkpoint, LedgerError, Nonce, NonceSource, SigningKey};

/// Nonces kept ready at most: a burst of commits faster than the maker signs the rest
/// deterministically.
const AHEAD: usize = 32;
/// The maker is woken when this few are left.
const LOW: usize = 16;

/// A supply of nonces for one signing key. The maker thread starts at the first signature (a
/// command that only reads never starts it) and ends when this is dropped.
pub struct Nonces {
    /// Until the first signature: what makes the key's nonces (`None` for an SM2 key).
    source: Mutex<Option<NonceSource>>,
    shared: OnceLock<Option<Arc<Shared>>>,
}

struct Shared {
    state: Mutex<Supply>,
    /// Wakes the maker (the supply fell to `LOW`, or it is closed).
    wake: Condvar,
}

struct Supply {
    ready: Vec<Nonce>,
    closed: bool,
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nonces").finish_non_exhaustive()
    }
}

impl Nonces {
    /// Nonces for `key`, and for no other key (`sign` with another key is refused).
    pub fn for_key(key: &SigningKey) -> Self {
        Nonces {
            source: Mutex::new(key.nonce_source()),
            shared: OnceLock::new(),
        }
    }

    /// Signs `cp` with `key`, with a nonce made ahead when one is ready and as RFC 8032's
    /// deterministic signing otherwise (the first signature, a burst, an SM2 key, no thread).
    pub fn sign(&self, key: &SigningKey, cp: &Checkpoint) -> Result<String, LedgerError> {
        match self.take() {
            Some(nonce) => key.sign_with(cp, nonce),
            None => key.sign(cp),
        }
    }

    fn take(&self) -> Option<Nonce> {
        let shared = self.shared.get_or_init(|| self.start()).as_ref()?;
        let mut supply = shared.state.lock().ok()?;
        let nonce = supply.ready.pop();
        let wake = supply.ready.len() == LOW;
        drop(supply);
        if wake {
            shared.wake.notify_one();
        }
        nonce
    }

    fn start(&self) -> Option<Arc<Shared>> {
        let source = self.source.lock().ok()?.take()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(Supply {
                ready: Vec::with_capacity(AHEAD),
                closed: false,
            }),
            wake: Condvar::new(),
        });
        let maker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("zhilu-nonces".into())
            .spawn(move || make(source, &maker))
            .ok()?;
        Some(shared)
    }
}

impl Drop for Nonces {
    fn drop(&mut self) {
        if let Some(Some(shared)) = self.shared.get() {
            if let Ok(mut supply) = shared.state.lock() {
                supply.closed = true;
            }
            shared.wake.notify_one();
        }
    }
}

/// Fills the supply to `AHEAD` whenever it falls to `LOW`, until it is closed or the OS has no
/// randomness to give (then every later signature is deterministic).
fn make(mut source: NonceSource, shared: &Shared) {
    loop {
        let Ok(mut supply) = shared.state.lock() else {
            return;
        };
        while !supply.closed && supply.ready.len() > LOW {
            supply = match shared.wake.wait(supply) {
                Ok(s) => s,
                Err(_) => return,
            };
        }
        if supply.closed {
            return;
        }
        drop(supply);
        loop {
            let mut random = Zeroizing::new([0u8; 32]);
            if getrandom::fill(random.as_mut_slice()).is_err() {
                tracing::warn!("no randomness for checkpoint nonces: signing deterministically");
                return;
            }
            // Made without the lock held: takes never wait for a point multiplication.
            let nonce = source.make(&random);
            let Ok(mut supply) = shared.state.lock() else {
                return;
            };
            if supply.closed {
                return;
            }
            supply.ready.push(nonce);
            if supply.ready.len() >= AHEAD {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use zhilu_ledger::{HashAlg, SignatureKind, verify_checkpoint};

    fn cp(size: u64) -> Checkpoint {
        Checkpoint {
            origin: "zhilu.ledger/v1 test".into(),
            size,
            root: [7u8; 32],
            alg: HashAlg::Sha256,
        }
    }

    /// Waits up to 10 s for `done`.
    fn eventually(mut done: impl FnMut() -> bool) -> bool {
        (0..1000).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            done()
        })
    }

    #[test]
    fn x1_checkpoints_signed_from_the_supply_use_nonces_made_ahead_and_all_verify() {
        let key = SigningKey::from_seed(SignatureKind::Ed25519, "k", [1u8; 32]).expect("key");
        let vk = key.verifying_key();
        let nonces = Nonces::for_key(&key);
        let mut made_ahead = 0;
        for size in 1..300 {
            // Give the maker time now and then, as commits' fsyncs do.
            if size % 8 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
            let note = nonces.sign(&key, &cp(size)).expect("sign");
            assert_eq!(verify_checkpoint(&note, &vk).expect("verifies"), cp(size));
            if note != key.sign(&cp(size)).expect("sign") {
                made_ahead += 1;
            }
        }
        // More than one supply's worth: the maker was woken again after the first fill.
        assert!(
            made_ahead > AHEAD,
            "{made_ahead} signatures used a nonce made ahead"
        );
        // Once a nonce is ready, signing with another key is refused (never signed with it).
        let other = SigningKey::from_seed(SignatureKind::Ed25519, "k", [2u8; 32]).expect("key");
        assert!(
            eventually(|| nonces.sign(&other, &cp(1)).is_err()),
            "a nonce of one key was used with another"
        );
    }

    #[test]
    fn x1_the_maker_thread_ends_when_its_supply_is_dropped() {
        let key = SigningKey::from_seed(SignatureKind::Ed25519, "k", [1u8; 32]).expect("key");
        let nonces = Nonces::for_key(&key);
        nonces.sign(&key, &cp(1)).expect("sign");
        let shared = nonces
            .shared
            .get()
            .and_then(|s| s.as_ref())
            .map(Arc::downgrade)
            .expect("started");
        // Full, so the maker waits on the condition variable when it is told to stop.
        assert!(eventually(|| shared.upgrade().is_some_and(|s| s
            .state
            .lock()
            .expect("lock")
            .ready
            .len()
            == AHEAD)));
        drop(nonces);
        assert!(
            eventually(|| shared.upgrade().is_none()),
            "the maker thread still holds the supply"
        );
    }

    #[test]
    fn x2_an_sm2_key_signs_without_a_supply() {
        let key = SigningKey::from_seed(SignatureKind::Sm2, "k", [3u8; 32]).expect("key");
        let nonces = Nonces::for_key(&key);
        let note = nonces.sign(&key, &cp(5)).expect("sign");
        assert_eq!(
            verify_checkpoint(&note, &key.verifying_key()).expect("verifies"),
            cp(5)
        );
        assert!(nonces.shared.get().is_some_and(Option::is_none));
    }
}

//! Authorisation decisions remembered per ledger head, so that serving byte ranges does not ask
//! the catalog the same questions on every request.
//!
//! *Why this is safe:* every change that can alter a decision — a grant issued or revoked, an
//! account's roles, clearances, password or state, a classification, a login or logout — is a
//! ledger entry, so it moves the head. A decision is reused only while the head is the one it
//! was made at. A commit by this process moves the cached head at once; a commit by another
//! process (the CLI beside the server) is seen when the head is next read, at most
//! [`HEAD_TTL`] later. Expiries (grants, sessions) are checked on every use against the clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zhilu_store::WebSession;

use crate::access::Granted;
use crate::actor::Actor;
use crate::error::AppError;

/// How stale the head may be for changes made by another process.
pub const HEAD_TTL: Duration = Duration::from_secs(1);
/// Entries kept per map before it is emptied (a bound, not a policy).
const CAP: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Decisions {
    head: Mutex<Option<(u64, Instant)>>,
    pub(crate) sessions: Mutex<HashMap<String, (u64, WebSession, Actor)>>,
    pub(crate) grants: Mutex<HashMap<(String, String, bool), (u64, Granted)>>,
    pub(crate) files: Mutex<HashMap<String, Arc<std::fs::File>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Decisions {
    /// Notes a commit of this process.
    pub(crate) fn committed(&self, size: u64) {
        *lock(&self.head) = Some((size, Instant::now()));
    }

    pub(crate) fn remember<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, k: K, v: V) {
        let mut m = lock(map);
        if m.len() >= CAP {
            m.clear();
        }
        m.insert(k, v);
    }

    pub(crate) fn get<K: std::hash::Hash + Eq, V: Clone>(
        map: &Mutex<HashMap<K, V>>,
        k: &K,
    ) -> Option<V> {
        lock(map).get(k).cloned()
    }
}

impl crate::App {
    /// The ledger head decisions are keyed on: this process's last commit, or the catalog's
    /// head read at most [`HEAD_TTL`] ago.
    pub(crate) async fn decision_head(&self) -> Result<u64, AppError> {
        if let Some((size, at)) = *lock(&self.decisions.head)
            && at.elapsed() < HEAD_TTL
        {
            return Ok(size);
        }
        let (size, _) = self.catalog.ledger_head().await?;
        let mut h = lock(&self.decisions.head);
        // A commit of ours may have landed meanwhile: keep the larger.
        let size = h.map_or(size, |(s, _)| s.max(size));
        *h = Some((size, Instant::now()));
        Ok(size)
    }
}

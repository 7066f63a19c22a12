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

/// A logged-in session as decided at a head: (head, row, actor).
pub(crate) type SessionDecision = (u64, WebSession, Arc<Actor>);
/// (user, recording, download).
pub(crate) type GrantKey = (String, String, bool);

/// What the cache knows of the ledger head.
#[derive(Debug, Clone, Copy)]
struct Head {
    /// The head as last committed by this process or read from the catalog.
    known: u64,
    /// The head at the last change that could alter a decision: the key decisions are kept by.
    generation: u64,
    read_at: Instant,
}

#[derive(Debug, Default)]
pub(crate) struct Decisions {
    head: Mutex<Option<Head>>,
    pub(crate) sessions: Mutex<HashMap<String, Arc<SessionDecision>>>,
    pub(crate) grants: Mutex<HashMap<GrantKey, Arc<(u64, Granted)>>>,
    pub(crate) files: Mutex<HashMap<String, Arc<std::fs::File>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Decisions {
    /// Notes a commit of this process of entries `first_seq..size`. A commit that can alter no
    /// decision (`neutral`: the ranges of a viewing) keeps the decisions, unless someone else
    /// committed since the head was last known.
    pub(crate) fn committed(&self, first_seq: u64, size: u64, neutral: bool) {
        let mut h = lock(&self.head);
        let external = h.is_none_or(|h| h.known != first_seq);
        let generation = match *h {
            Some(old) if neutral && !external => old.generation,
            _ => size,
        };
        *h = Some(Head {
            known: size,
            generation,
            read_at: Instant::now(),
        });
    }

    pub(crate) fn remember<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, k: K, v: V) {
        let mut m = lock(map);
        if m.len() >= CAP {
            m.clear();
        }
        m.insert(k, v);
    }

    pub(crate) fn get<K, Q, V>(map: &Mutex<HashMap<K, V>>, k: &Q) -> Option<V>
    where
        K: std::hash::Hash + Eq + std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
        V: Clone,
    {
        lock(map).get(k).cloned()
    }
}

impl crate::App {
    /// Drops every remembered decision: each is made again, from the catalog, at its next use.
    /// Always safe (a decision is only ever a copy of what the catalog says); `bench serve`
    /// uses it to measure what an unremembered grant check costs.
    pub fn forget_decisions(&self) {
        lock(&self.decisions.sessions).clear();
        lock(&self.decisions.grants).clear();
        lock(&self.decisions.files).clear();
    }

    /// The ledger head decisions are keyed on: this process's last commit, or the catalog's
    /// head read at most [`HEAD_TTL`] ago.
    pub(crate) async fn decision_head(&self) -> Result<u64, AppError> {
        if let Some(h) = *lock(&self.decisions.head)
            && h.read_at.elapsed() < HEAD_TTL
        {
            return Ok(h.generation);
        }
        let size = self.catalog.ledger_size().await?;
        let mut h = lock(&self.decisions.head);
        let next = match *h {
            // Nobody else wrote since: the decisions stand.
            Some(old) if old.known >= size => Head {
                read_at: Instant::now(),
                ..old
            },
            _ => Head {
                known: size,
                generation: size,
                read_at: Instant::now(),
            },
        };
        *h = Some(next);
        Ok(next.generation)
    }
}

//! Work that follows a commit but must never hold it up: keeping the newest signed checkpoint in
//! `ledger/checkpoint` (a synced file and a synced folder) and offering it to the witnesses (a
//! network round trip, or a timeout). The commit itself — entries, rows, head and the signed
//! checkpoint — is already durable in the database when this starts.
//!
//! Each kind of work runs one at a time and always on the newest checkpoint: commits that land
//! while a run is under way are folded into the next run (only the newest checkpoint matters to
//! the file and to a witness), so a burst of commits costs one file write and one offer per
//! witness, not one each. [`Background::settle`] waits for what is under way (a command before it
//! exits, a test before it looks).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

/// A signed checkpoint: (size, note).
pub(crate) type Signed = (u64, String);

/// The newest item waiting, and whether a run is under way.
#[derive(Default)]
struct Coalescer {
    latest: Mutex<Option<Signed>>,
    running: AtomicBool,
}

impl Coalescer {
    /// Keeps `item` if it is newer than what waits; true if the caller must start a run.
    fn submit(&self, item: Signed) -> bool {
        {
            let mut l = self.latest.lock().unwrap_or_else(|p| p.into_inner());
            if l.as_ref().is_none_or(|(size, _)| *size < item.0) {
                *l = Some(item);
            }
        }
        !self.running.swap(true, Ordering::AcqRel)
    }

    /// The next item for the run under way, or `None` when it may stop (no item is left behind:
    /// one submitted as it stops starts the run again here or in its submitter).
    fn next(&self) -> Option<Signed> {
        loop {
            if let Some(item) = self.latest.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Some(item);
            }
            self.running.store(false, Ordering::Release);
            let waiting = self
                .latest
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some();
            if !waiting || self.running.swap(true, Ordering::AcqRel) {
                return None;
            }
        }
    }
}

#[derive(Default)]
pub(crate) struct Background {
    /// One coalescer per kind of work ("file", "witness:<name>").
    lanes: Mutex<HashMap<String, Arc<Coalescer>>>,
    tasks: Mutex<Vec<(String, JoinHandle<()>)>>,
}

impl Background {
    /// Runs `work` on `item` (or on a newer one) in lane `lane`, in the background.
    pub(crate) fn submit<F, Fut>(&self, lane: &str, item: Signed, work: F)
    where
        F: Fn(Signed) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let lane_name = lane.to_string();
        let lane = {
            let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(lanes.entry(lane_name.clone()).or_default())
        };
        if !lane.submit(item) {
            return;
        }
        let handle = tokio::spawn(async move {
            while let Some(item) = lane.next() {
                work(item).await;
            }
        });
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|(_, t)| !t.is_finished());
        tasks.push((lane_name, handle));
    }

    /// Waits until nothing is under way in the lanes `which` accepts.
    pub(crate) async fn settle(&self, which: impl Fn(&str) -> bool) {
        loop {
            let pending: Vec<JoinHandle<()>> = {
                let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut *tasks)
                    .into_iter()
                    .partition(|(l, _)| which(l));
                *tasks = rest;
                mine.into_iter().map(|(_, t)| t).collect()
            };
            if pending.is_empty() {
                return;
            }
            for t in pending {
                let _ = t.await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn x1_a_burst_of_commits_is_folded_and_the_newest_always_lands() {
        let bg = Background::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let runs = Arc::new(AtomicU64::new(0));
        for size in 1..=200u64 {
            let (seen, runs) = (seen.clone(), runs.clone());
            bg.submit("file", (size, String::new()), move |(s, _)| {
                let (seen, runs) = (seen.clone(), runs.clone());
                async move {
                    runs.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    seen.lock().unwrap().push(s);
                }
            });
        }
        bg.settle(|_| true).await;
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.last(), Some(&200), "the newest is always handled");
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "never an older one after a newer"
        );
        assert!(
            runs.load(Ordering::Relaxed) < 200,
            "a burst is folded ({} runs)",
            runs.load(Ordering::Relaxed)
        );
    }
}

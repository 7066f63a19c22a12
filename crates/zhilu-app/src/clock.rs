//! The clock every use case reads, so a test (or `--now`) can replay a given moment.

use chrono::{DateTime, Utc};

/// Source of "now". Logic never calls `Utc::now()` directly.
///
/// Two times are kept apart: the *business* time a command acts at (deadlines, findings, grant
/// expiry), which a replay data directory (demo, tests, training) may move back and forth, and the
/// *real* time the ledger records beside it, which only the machine's clock gives.
pub trait Clock: Send + Sync {
    /// The business time.
    fn now(&self) -> DateTime<Utc>;
    /// The real time recorded in every ledger entry. Only a test clock overrides this (to pin
    /// ledger bytes); everything else reads the system clock.
    fn real_now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    /// Whether this clock replays a business time other than the real one. Such a clock is
    /// accepted only by a data directory created in replay mode.
    fn replays(&self) -> bool {
        true
    }
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn replays(&self) -> bool {
        false
    }
}

/// A clock stopped at one instant (`--now`, tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A clock a script moves by hand (the demo's story of a working day).
#[derive(Debug)]
pub struct ManualClock {
    now: std::sync::Mutex<DateTime<Utc>>,
    /// `Some(start)`: the "real" time is start + 1 ms per reading, so a test's ledger bytes can be
    /// pinned. `None`: the real time is the system clock's.
    pinned_real: Option<(DateTime<Utc>, std::sync::atomic::AtomicI64)>,
}

impl ManualClock {
    pub fn new(t: DateTime<Utc>) -> Self {
        ManualClock {
            now: std::sync::Mutex::new(t),
            pinned_real: None,
        }
    }

    /// A manual clock whose real time is also made up: `real_start`, then one millisecond later
    /// at every reading. For tests that pin ledger bytes; never for a data directory people use.
    pub fn with_pinned_real(t: DateTime<Utc>, real_start: DateTime<Utc>) -> Self {
        ManualClock {
            now: std::sync::Mutex::new(t),
            pinned_real: Some((real_start, std::sync::atomic::AtomicI64::new(0))),
        }
    }

    pub fn set(&self, t: DateTime<Utc>) {
        if let Ok(mut g) = self.now.lock() {
            *g = t;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.now.lock().map(|g| *g).unwrap_or_default()
    }

    fn real_now(&self) -> DateTime<Utc> {
        match &self.pinned_real {
            Some((start, n)) => {
                let ms = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                *start + chrono::Duration::milliseconds(ms)
            }
            None => Utc::now(),
        }
    }
}

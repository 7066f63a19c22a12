//! The facts the engine judges: plain values the application layer reads from the catalog.
//!
//! Instants are UTC. Calendar-day rules convert to China Standard Time (UTC+8, no daylight saving
//! since 1991) with [`local_date`] and [`end_of_local_day`].

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;

/// A shared, immutable string for the ids a year of facts repeats millions of times (devices,
/// officers, offload sessions): one allocation per distinct value when made by an [`Interner`],
/// so a recording holds 16 bytes per id instead of a `String` and its heap block. Compares,
/// hashes and orders as its text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(Arc<str>);

impl Sym {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Sym {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Sym {
        Sym(Arc::from(s))
    }
}

impl From<String> for Sym {
    fn from(s: String) -> Sym {
        Sym(Arc::from(s))
    }
}

impl From<&String> for Sym {
    fn from(s: &String) -> Sym {
        Sym(Arc::from(s.as_str()))
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Sym {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Sym> for String {
    fn eq(&self, other: &Sym) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Sym> for &str {
    fn eq(&self, other: &Sym) -> bool {
        **self == *other.0
    }
}

/// Makes each distinct string one [`Sym`]: the reader of a year's recordings keeps one copy of
/// each device, officer and session id. Consecutive rows mostly repeat the last value (one
/// offload session's files are stored together), which is checked before the map.
#[derive(Default)]
pub struct Interner {
    map: foldhash::HashMap<Box<str>, Sym>,
    last: Option<Sym>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(last) = &self.last
            && last.as_str() == s
        {
            return last.clone();
        }
        let sym = match self.map.get(s) {
            Some(sym) => sym.clone(),
            None => {
                let sym = Sym::from(s);
                self.map.insert(s.into(), sym.clone());
                sym
            }
        };
        self.last = Some(sym.clone());
        sym
    }
}

/// A recording's hash as text, kept inline (no heap block) when it fits in 64 bytes, as every
/// SHA-256 in hex does: a year's two million hashes as `String`s were a fifth of a full check's
/// memory. Compares, hashes and orders as its text.
#[derive(Clone)]
pub enum HashStr {
    Inline { len: u8, buf: [u8; 64] },
    Long(Box<str>),
}

impl HashStr {
    pub fn new(s: &str) -> HashStr {
        let b = s.as_bytes();
        if b.len() <= 64 {
            let mut buf = [0u8; 64];
            buf[..b.len()].copy_from_slice(b);
            HashStr::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            HashStr::Long(s.into())
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            HashStr::Inline { len, buf } => &buf[..usize::from(*len)],
            HashStr::Long(s) => s.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Always valid: the bytes were copied whole from a `&str`.
            HashStr::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            HashStr::Long(s) => s,
        }
    }
}

impl Deref for HashStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for HashStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for HashStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for HashStr {
    fn eq(&self, other: &HashStr) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for HashStr {}

impl PartialOrd for HashStr {
    fn partial_cmp(&self, other: &HashStr) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for HashStr {
    fn cmp(&self, other: &HashStr) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::hash::Hash for HashStr {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // As `str` hashes, so that a map keyed by `HashStr` is searched by `&str`.
        self.as_str().hash(h)
    }
}

impl PartialEq<str> for HashStr {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for HashStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<String> for HashStr {
    fn eq(&self, other: &String) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl From<&str> for HashStr {
    fn from(s: &str) -> HashStr {
        HashStr::new(s)
    }
}

impl From<String> for HashStr {
    fn from(s: String) -> HashStr {
        HashStr::new(&s)
    }
}

impl From<&String> for HashStr {
    fn from(s: &String) -> HashStr {
        HashStr::new(s)
    }
}

impl fmt::Display for HashStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HashStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for HashStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// China Standard Time. A fixed offset is exact here: China has not observed DST since 1991.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// The calendar day in China of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// 24:00 China time at the end of `d`, as a UTC instant.
pub fn end_of_local_day(d: NaiveDate) -> DateTime<Utc> {
    let next = d.checked_add_days(Days::new(1)).unwrap_or(d);
    china()
        .from_local_datetime(&next.and_time(NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[derive(Debug, Clone, Serialize)]
pub struct Officer {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub role: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Device {
    pub serial: String,
    pub unit: String,
    pub status: String,
}

/// A device checked out to an officer (R3) with the pre-use check (R4).
#[derive(Debug, Clone, Serialize)]
pub struct Checkout {
    pub id: String,
    pub device: String,
    pub officer: String,
    pub out_at: DateTime<Utc>,
    pub returned_at: Option<DateTime<Utc>>,
    pub battery_pct: Option<i64>,
    pub free_gb: Option<i64>,
    pub clock_ok: bool,
}

/// An enforcement activity as written in its documents (R7).
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    pub id: String,
    pub kind: String,
    pub subject_name: String,
    pub officers: Vec<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub case_no: Option<String>,
    pub flags: Vec<String>,
}

impl Activity {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// A stored recording, with what the station learned at offload.
#[derive(Debug, Clone, Serialize)]
pub struct Recording {
    pub sha256: HashStr,
    pub device: Sym,
    /// The officer named at offload.
    pub officer: Sym,
    /// The officer id from the body-camera file name, when it had one.
    pub name_officer: Option<Sym>,
    pub capture_start: Option<DateTime<Utc>>,
    pub capture_end: Option<DateTime<Utc>>,
    pub sequence: Option<i64>,
    pub offloaded_at: DateTime<Utc>,
    pub session: Sym,
    /// No good copy is left whose content matches the stored hash (fixity could not repair it).
    pub integrity_failed: bool,
}

/// One offload session, for the device clock (R4).
#[derive(Debug, Clone, Serialize)]
pub struct Offload {
    pub id: String,
    pub device: String,
    pub officer: String,
    pub at: DateTime<Utc>,
    pub clock_offset_ms: Option<i64>,
}

/// A non-recording record (R10).
#[derive(Debug, Clone, Serialize)]
pub struct NoRecord {
    pub id: String,
    pub activity: String,
    pub reason: String,
    pub approved: bool,
}

/// An interruption record (R11): the gap after recording `after`.
#[derive(Debug, Clone, Serialize)]
pub struct Interruption {
    pub id: String,
    pub activity: String,
    pub after: String,
    pub reason: String,
    pub voice_stated: bool,
    /// For reasons that must be reported (cannot continue): the head acknowledged the report.
    pub approved: bool,
}

/// An approved request to offload later than the ordinary deadline (zhejiang-rf §19).
#[derive(Debug, Clone, Serialize)]
pub struct Extension {
    pub id: String,
    pub activity: String,
    pub approved: bool,
}

/// An account's enforcement certificate (执法证, 行政处罚法 §42 "具有行政执法资格"): its number
/// and the days it is valid (inclusive). Only people with an account have one on record.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub officer: String,
    pub number: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A sanction that stops an officer's enforcement work (R29), over `[from, to)` (Beijing days).
#[derive(Debug, Clone, Serialize)]
pub struct Suspension {
    /// The sanction's id (`CF00001`).
    pub sanction: String,
    pub officer: String,
    /// The sanction's catalogue id in the profile (`suspend_one_month`).
    pub kind: String,
    pub from: NaiveDate,
    /// The first day on which the officer may work again.
    pub to: NaiveDate,
}

/// Everything the engine looks at. The application fills it for the period being checked.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub officers: Vec<Officer>,
    pub devices: Vec<Device>,
    pub checkouts: Vec<Checkout>,
    pub activities: Vec<Activity>,
    pub recordings: Vec<Recording>,
    /// (recording sha256, activity id).
    pub links: Vec<(String, String)>,
    /// More links, by position: (index in `recordings`, index in `activities`). A full check
    /// gives its links this way (two million pairs of strings were a fifth of its memory); they
    /// count after those in `links`.
    pub link_positions: Vec<(u32, u32)>,
    pub offloads: Vec<Offload>,
    pub norecords: Vec<NoRecord>,
    pub interruptions: Vec<Interruption>,
    pub extensions: Vec<Extension>,
    /// Recordings under an active legal hold.
    pub holds: Vec<String>,
    /// Accounts' enforcement certificates (行政处罚法 §42); an officer without an account is not
    /// judged.
    pub certificates: Vec<Certificate>,
    /// Sanctions stopping enforcement (R29).
    pub suspensions: Vec<Suspension>,
    /// The calendar years an annual review was recorded for (R28).
    pub annual_reviews: Vec<i32>,
    /// Since when the agency keeps its records here (the first officer registered): the annual
    /// review is due from that year on.
    pub in_use_since: Option<DateTime<Utc>>,
}

//! Sampling review (R27: zhejiang-rf §23, jinpu-wj §26, lushan-sj §17): the period a draw covers,
//! the reproducible draw, the population digest, and the enforcement-quality assessment
//! (执法质量考评) rolled up from the reviews with the profile's weights. Pure: no IO, no clock.
//!
//! # Algorithm `zhilu-sample-v1`
//!
//! 1. The population is the activities starting in the period (Beijing calendar days, inclusive).
//!    Its digest is SHA-256 (lower-case hex) over the activity ids, sorted ascending (byte order),
//!    joined by `\n` (no trailing newline).
//! 2. Each activity falls in one stratum: the unit of its first officer (`--by unit`), its kind
//!    (`--by kind`), or the single stratum `全部`.
//! 3. Within each stratum of `n > 0` activities, order them by the lower-case hex of
//!    SHA-256(seed ‖ 0x00 ‖ activity id) ascending (ties by id) and take the first
//!    ⌈ratio × n⌉ (a product within 1e-9 of an integer counts as that integer).
//! 4. The sample is the strata in name order (byte order), each stratum's items in draw order.
//!
//! The same seed over the same population always gives the same sample; anyone can re-run it
//! with `sha256sum`.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::facts::china;
use crate::profile::SamplingWeights;

/// The algorithm this module implements.
pub const ALGORITHM: &str = "zhilu-sample-v1";

/// The stratum name when the population is not stratified.
pub const ONE_STRATUM: &str = "全部";

/// A period of Beijing calendar days, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// Reads `2026-Q4`, `2026-11`, `2026` or `2026-10-01..2026-12-31`. The error is Chinese.
    pub fn parse(s: &str) -> Result<Period, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "“{s}”不是有效的期间，请写作 2026（年）、2026-Q4（季度）、2026-11（月）或 2026-10-01..2026-12-31"
            )
        };
        let year = |y: &str| -> Result<i32, String> {
            if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) {
                y.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad);
        let month_span = |y: i32, m: u32, months: u32| -> Result<Period, String> {
            let from = day(y, m, 1)?;
            let to = from
                .checked_add_months(Months::new(months))
                .and_then(|d| d.checked_sub_days(Days::new(1)))
                .ok_or_else(bad)?;
            Ok(Period { from, to })
        };
        if let Some((a, b)) = s.split_once("..") {
            let parse =
                |d: &str| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| bad());
            let (from, to) = (parse(a)?, parse(b)?);
            if to < from {
                return Err(format!("期间“{s}”的结束日早于开始日"));
            }
            return Ok(Period { from, to });
        }
        if let Some((y, q)) = s.split_once(['-', ' ']) {
            let y = year(y)?;
            let q = q.trim();
            if let Some(n) = q.strip_prefix(['Q', 'q']) {
                let n: u32 = n.parse().map_err(|_| bad())?;
                if !(1..=4).contains(&n) {
                    return Err(bad());
                }
                return month_span(y, (n - 1) * 3 + 1, 3);
            }
            if q.len() == 2 && q.bytes().all(|b| b.is_ascii_digit()) {
                let m: u32 = q.parse().map_err(|_| bad())?;
                if !(1..=12).contains(&m) {
                    return Err(bad());
                }
                return month_span(y, m, 1);
            }
            return Err(bad());
        }
        month_span(year(s)?, 1, 12)
    }

    /// The first instant of the period and the first instant after it (UTC).
    pub fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = |d: NaiveDate| {
            china()
                .from_local_datetime(&d.and_time(NaiveTime::MIN))
                .single()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        };
        let after = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        (start(self.from), start(after))
    }

    /// Whether the instant falls in the period (Beijing days).
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        let (a, b) = self.bounds();
        t >= a && t < b
    }

    /// Whether two periods share a day.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.from <= other.to && other.from <= self.to
    }

    /// `2026-10-01..2026-12-31`, or the short form when it is a year, quarter or month.
    pub fn label(&self) -> String {
        let (f, t) = (self.from, self.to);
        let last_of = |months: u32| {
            f.checked_add_months(Months::new(months))
                .and_then(|d| d.checked_sub_days(Days::new(1)))
                == Some(t)
        };
        if f.day() == 1 {
            if f.month() == 1 && last_of(12) {
                return format!("{}", f.year());
            }
            if (f.month() - 1) % 3 == 0 && last_of(3) {
                return format!("{}-Q{}", f.year(), (f.month() - 1) / 3 + 1);
            }
            if last_of(1) {
                return format!("{}-{:02}", f.year(), f.month());
            }
        }
        format!("{f}..{t}")
    }
}

/// One member of the population: an activity id and the stratum it falls in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub stratum: String,
}

/// One stratum of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stratum {
    pub name: String,
    pub population: usize,
    pub drawn: usize,
}

/// A draw: the sample in order and the strata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draw {
    pub items: Vec<String>,
    pub strata: Vec<Stratum>,
    pub population_count: usize,
    pub population_digest: String,
}

/// SHA-256 (hex) over the ids, sorted, joined by `\n`.
pub fn population_digest<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut ids: Vec<&str> = ids.into_iter().collect();
    ids.sort_unstable();
    hex::encode(Sha256::digest(ids.join("\n").as_bytes()))
}

/// The draw key of an activity: hex SHA-256(seed ‖ 0x00 ‖ id).
pub fn draw_key(seed: &str, id: &str) -> String {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update([0u8]);
    h.update(id.as_bytes());
    hex::encode(h.finalize())
}

/// ⌈ratio × n⌉ for `n > 0`, a product within 1e-9 of an integer counting as that integer
/// (0.05 × 20 is 1, not 2); never more than `n`.
pub fn sample_size(ratio: f64, n: usize) -> usize {
    if n == 0 || ratio <= 0.0 {
        return 0;
    }
    let p = ratio * n as f64;
    let r = p.round();
    let k = if (p - r).abs() < 1e-9 { r } else { p.ceil() };
    // `k` is between 0 and n (ratio ≤ 1): the cast keeps it.
    (k.max(0.0) as usize).min(n)
}

/// Draws the sample (`zhilu-sample-v1`, see the module documentation).
pub fn draw(seed: &str, ratio: f64, population: &[Candidate]) -> Draw {
    let mut strata: BTreeMap<&str, Vec<(String, &str)>> = BTreeMap::new();
    for c in population {
        strata
            .entry(c.stratum.as_str())
            .or_default()
            .push((draw_key(seed, &c.id), c.id.as_str()));
    }
    let mut items = Vec::new();
    let mut out = Vec::new();
    for (name, mut members) in strata {
        members.sort();
        let k = sample_size(ratio, members.len());
        items.extend(members.iter().take(k).map(|(_, id)| (*id).to_string()));
        out.push(Stratum {
            name: name.to_string(),
            population: members.len(),
            drawn: k,
        });
    }
    Draw {
        items,
        strata: out,
        population_count: population.len(),
        population_digest: population_digest(population.iter().map(|c| c.id.as_str())),
    }
}

/// The keys of the regulation's three check items, in order, with their wording.
pub const CORE_ITEMS: [(&str, &str); 3] = [
    ("events_recorded", "应当记录的环节是否完整记录"),
    ("uninterrupted", "是否连续不间断"),
    ("handled_properly", "移交、管理、使用是否规范"),
];

/// The key of the notification item (R13).
pub const NOTIFICATION_ITEM: &str = "notification";

/// The prefix of the checklist's content items (R6): `content_1`, `content_2`…
pub const CONTENT_PREFIX: &str = "content_";

/// The five weighted groups of check items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ItemGroup {
    EventsRecorded,
    Uninterrupted,
    HandledProperly,
    Content,
    Notification,
}

impl ItemGroup {
    /// The group of an item key, if the key is one.
    pub fn of(key: &str) -> Option<ItemGroup> {
        match key {
            "events_recorded" => Some(ItemGroup::EventsRecorded),
            "uninterrupted" => Some(ItemGroup::Uninterrupted),
            "handled_properly" => Some(ItemGroup::HandledProperly),
            NOTIFICATION_ITEM => Some(ItemGroup::Notification),
            k => k
                .strip_prefix(CONTENT_PREFIX)
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .map(|_| ItemGroup::Content),
        }
    }

    /// The group's name for people.
    pub fn label(self) -> &'static str {
        match self {
            ItemGroup::EventsRecorded => "环节完整",
            ItemGroup::Uninterrupted => "连续不间断",
            ItemGroup::HandledProperly => "移交管理使用规范",
            ItemGroup::Content => "记录内容",
            ItemGroup::Notification => "告知用语",
        }
    }

    pub fn weight(self, w: &SamplingWeights) -> f64 {
        match self {
            ItemGroup::EventsRecorded => w.events_recorded,
            ItemGroup::Uninterrupted => w.uninterrupted,
            ItemGroup::HandledProperly => w.handled_properly,
            ItemGroup::Content => w.content,
            ItemGroup::Notification => w.notification,
        }
    }
}

/// A check item's grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Grade {
    Pass,
    Partial,
    Fail,
    /// Not applicable: left out, the other weights renormalised.
    NotApplicable,
}

impl Grade {
    /// Pass 1, partial 0.5, fail 0; not applicable has none.
    pub fn score(self) -> Option<f64> {
        match self {
            Grade::Pass => Some(1.0),
            Grade::Partial => Some(0.5),
            Grade::Fail => Some(0.0),
            Grade::NotApplicable => None,
        }
    }
}

/// One review's score out of 100: within each group the mean of its applicable items (the content
/// group has one item per checklist content line), then Σ weight × group score over the groups
/// with an applicable item, divided by the sum of their weights, × 100. `None` when nothing
/// applies (or the applicable groups weigh nothing). Items with unknown keys are ignored.
pub fn review_score(items: &[(&str, Grade)], weights: &SamplingWeights) -> Option<f64> {
    let mut groups: BTreeMap<ItemGroup, (f64, usize)> = BTreeMap::new();
    for (key, grade) in items {
        let (Some(g), Some(s)) = (ItemGroup::of(key), grade.score()) else {
            continue;
        };
        let e = groups.entry(g).or_insert((0.0, 0));
        e.0 += s;
        e.1 += 1;
    }
    let mut sum = 0.0;
    let mut weight = 0.0;
    for (g, (total, n)) in groups {
        let w = g.weight(weights);
        sum += w * total / n as f64;
        weight += w;
    }
    (weight > 0.0).then(|| sum / weight * 100.0)
}

/// One reviewed activity for the assessment: the people who took part with their units, and the
/// review's grades.
#[derive(Debug, Clone)]
pub struct Reviewed<'a> {
    pub activity: &'a str,
    /// (officer id, unit) of each officer of the activity.
    pub officers: Vec<(&'a str, &'a str)>,
    pub items: Vec<(&'a str, Grade)>,
}

/// One line of the assessment: an officer or a unit, its mean score over its reviewed activities
/// (`None` when none scored) and how many reviewed activities it has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// The officer id or the unit name.
    pub who: String,
    /// The officer's unit (empty for a unit line).
    pub unit: String,
    pub score: Option<f64>,
    pub reviewed: usize,
}

/// The enforcement-quality assessment (执法质量考评).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub officers: Vec<Score>,
    pub units: Vec<Score>,
}

/// Rolls reviews up per officer (every activity they took part in) and per unit (every activity
/// one of its officers took part in, counted once), each the mean of the reviews' scores. Lines
/// are sorted by id or name.
pub fn assess(reviews: &[Reviewed<'_>], weights: &SamplingWeights) -> Assessment {
    #[derive(Default)]
    struct Acc {
        unit: String,
        sum: f64,
        scored: usize,
        reviewed: usize,
    }
    let mut officers: BTreeMap<String, Acc> = BTreeMap::new();
    let mut units: BTreeMap<String, Acc> = BTreeMap::new();
    for r in reviews {
        let score = review_score(&r.items, weights);
        let add = |acc: &mut Acc| {
            acc.reviewed += 1;
            if let Some(s) = score {
                acc.sum += s;
                acc.scored += 1;
            }
        };
        let mut seen_units: Vec<&str> = Vec::new();
        let mut seen_officers: Vec<&str> = Vec::new();
        for (officer, unit) in &r.officers {
            if !seen_officers.contains(officer) {
                seen_officers.push(officer);
                let acc = officers.entry((*officer).to_string()).or_default();
                acc.unit = (*unit).to_string();
                add(acc);
            }
            if !seen_units.contains(unit) {
                seen_units.push(unit);
                add(units.entry((*unit).to_string()).or_default());
            }
        }
    }
    let lines = |m: BTreeMap<String, Acc>| {
        m.into_iter()
            .map(|(who, a)| Score {
                who,
                unit: a.unit,
                score: (a.scored > 0).then(|| a.sum / a.scored as f64),
                reviewed: a.reviewed,
            })
            .collect()
    };
    Assessment {
        officers: lines(officers),
        units: lines(units),
    }
}

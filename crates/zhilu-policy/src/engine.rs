//! The compliance engine: profile + facts in, findings out. Each rule of a regulation is one
//! function here, tested with plain values; nothing here reads a database or a clock.

use std::cell::OnceCell;
use std::collections::BTreeMap;

// A fast hash for the indexes over a year of facts: their keys come from our own catalog, not from
// an adversary, and SipHash over 64-digit hashes was a third of the check.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::calendar::Calendar;
use crate::deadline::{DeadlineInput, NoDeadline, offload_deadline};
use crate::facts::{
    Activity, Certificate, Checkout, Facts, Recording, Suspension, end_of_local_day, local_date,
};
use crate::profile::{Obligation, Profile, RetentionClass};
use crate::retention::{retention, retention_until};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record (e.g. an expired recording entering purge review).
    Info,
    Warning,
    /// A breach of a mandatory rule.
    Violation,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "提示",
            Severity::Warning => "预警",
            Severity::Violation => "违规",
        }
    }
}

/// One compliance problem (预警/问题), citing the article it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// Requirement id, e.g. `R17`.
    pub rule: &'static str,
    /// A stable machine code for the kind of problem, e.g. `late_offload`.
    pub code: &'static str,
    /// e.g. `jinpu-wj §18`, or `行政处罚法 §42` where the regulation is silent and national law
    /// says it.
    pub article: String,
    /// The words of the cited article, verbatim, so the finding can be read against its rule;
    /// absent only for a custom profile that stores no article texts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// The parameters this finding applies that the regulation leaves open and the agency set
    /// (e.g. `pre_use.clock_tolerance_s`): the text asks for it, the number is the agency's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agency_choice: Vec<String>,
    pub severity: Severity,
    /// Chinese, for people.
    pub message: String,
    /// When the problem arose; `check --from/--to` selects on it.
    pub at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub officer: Option<String>,
}

impl Finding {
    fn new(
        rule: &'static str,
        code: &'static str,
        article: String,
        severity: Severity,
        at: DateTime<Utc>,
        message: String,
    ) -> Self {
        Finding {
            rule,
            code,
            article,
            quote: None,
            agency_choice: Vec::new(),
            severity,
            message,
            at,
            activity: None,
            recording: None,
            device: None,
            officer: None,
        }
    }
    fn activity(mut self, id: &str) -> Self {
        self.activity = Some(id.to_string());
        self
    }
    fn recording(mut self, sha: &str) -> Self {
        self.recording = Some(sha.to_string());
        self
    }
    fn device(mut self, serial: &str) -> Self {
        self.device = Some(serial.to_string());
        self
    }
    fn officer(mut self, id: &str) -> Self {
        self.officer = Some(id.to_string());
        self
    }
    /// Marks which of `params` the profile leaves to the agency's choice.
    fn applying(mut self, profile: &Profile, params: &[&str]) -> Self {
        self.agency_choice = profile.agency_choice(params);
        self
    }

    /// The finding's stable identity (issue 14: findings as work items): its rule and code and
    /// the records it concerns — activity, recording, device, officer, whichever are set — never
    /// its message or the numbers in it, so re-running the check finds the same one again.
    /// A finding naming neither an activity nor a recording (a device's pre-use check, its clock,
    /// its file sequence on a day) is one occurrence in time: its China-local day is part of it.
    pub fn key(&self) -> String {
        let mut k = format!("{}/{}", self.rule, self.code);
        for (tag, v) in [
            ("activity", &self.activity),
            ("recording", &self.recording),
            ("device", &self.device),
            ("officer", &self.officer),
        ] {
            if let Some(v) = v {
                k.push_str(&format!(" {tag}={v}"));
            }
        }
        if self.activity.is_none() && self.recording.is_none() {
            k.push_str(&format!(" day={}", local_date(self.at)));
        }
        k
    }
}

/// Indexes over the facts that several rules share, built once per check.
pub struct Index<'a> {
    pub facts: &'a Facts,
    /// Each activity's position in `facts.activities` (the last one, should an id repeat).
    activities: HashMap<&'a str, u32>,
    /// Each recording's position in `facts.recordings` (the last one, should a hash repeat),
    /// built on first use: the rules walk the recordings by position, and a full check gives its
    /// links by position, so a year's check never builds this map of two million hashes.
    recordings: OnceCell<HashMap<&'a str, u32>>,
    /// The recordings of each activity, by the activity's position (that of its id): a range of
    /// `linked_recordings`, in link order. Flat lists rather than a `Vec` per activity.
    recording_ranges: Vec<(u32, u32)>,
    linked_recordings: Vec<&'a Recording>,
    /// The activities of each recording, by its position in `facts.recordings`: a range of
    /// `linked_activities`, in link order. One flat list rather than a `Vec` per recording (a
    /// year holds millions of recordings, nearly all with one activity, and a small allocation
    /// each was a tenth of the check's memory), and indexed by position rather than by a second
    /// map keyed by hash (another ~100 MB at two million recordings).
    activity_ranges: Vec<(u32, u32)>,
    linked_activities: Vec<&'a Activity>,
    checkouts_by_device: HashMap<&'a str, Vec<&'a Checkout>>,
    /// Each device's return times, sorted, for [`Index::returned_after`] by binary search.
    returns_by_device: HashMap<&'a str, Vec<DateTime<Utc>>>,
    units: HashMap<&'a str, &'a str>,
    device_units: HashMap<&'a str, &'a str>,
    /// Activities with an approved non-recording record (R10).
    approved_norecords: HashSet<&'a str>,
    /// Activities whose offload extension was approved (R17).
    approved_extensions: HashSet<&'a str>,
    /// Interruption records by (activity, recording the gap follows) (R11).
    interruptions: HashMap<(&'a str, &'a str), &'a crate::facts::Interruption>,
}

/// Turns per-item counts (`.1`) into ranges of one flat list: `(start, start)`, the end
/// advancing as the items are placed.
fn count_to_ranges(ranges: &mut [(u32, u32)]) {
    let mut next = 0u32;
    for range in ranges.iter_mut() {
        let count = range.1;
        *range = (next, next);
        next += count;
    }
}

fn recording_positions(facts: &Facts) -> HashMap<&str, u32> {
    let mut recordings: HashMap<&str, u32> = HashMap::with_capacity(facts.recordings.len());
    for (i, r) in facts.recordings.iter().enumerate() {
        recordings.insert(r.sha256.as_str(), i as u32);
    }
    recordings
}

impl<'a> Index<'a> {
    pub fn new(facts: &'a Facts) -> Self {
        let mut activities: HashMap<&str, u32> = HashMap::with_capacity(facts.activities.len());
        for (i, a) in facts.activities.iter().enumerate() {
            activities.insert(a.id.as_str(), i as u32);
        }
        let recordings = OnceCell::new();
        if !facts.links.is_empty() {
            let _ = recordings.set(recording_positions(facts));
        }
        let unique_ids = activities.len() == facts.activities.len();
        // Two passes over the links: count each recording's activities and each activity's
        // recordings, then place them, so each one's sit together in one flat list, in link
        // order.
        let mut activity_ranges: Vec<(u32, u32)> = vec![(0, 0); facts.recordings.len()];
        let mut recording_ranges: Vec<(u32, u32)> = vec![(0, 0); facts.activities.len()];
        let mut linked = 0u32;
        let mut any: Option<(&Recording, &Activity)> = None;
        let ends = |f: &mut dyn FnMut(u32, &'a Activity, u32)| {
            Self::link_ends(facts, recordings.get(), &activities, unique_ids, f)
        };
        ends(&mut |r, a, at| {
            activity_ranges[r as usize].1 += 1;
            recording_ranges[at as usize].1 += 1;
            linked += 1;
            any = Some((&facts.recordings[r as usize], a));
        });
        count_to_ranges(&mut activity_ranges);
        count_to_ranges(&mut recording_ranges);
        // Every slot is overwritten by the second pass; `any` only fills the lists.
        let (mut linked_activities, mut linked_recordings): (Vec<&Activity>, Vec<&Recording>) =
            match any {
                Some((r, a)) => (vec![a; linked as usize], vec![r; linked as usize]),
                None => (Vec::new(), Vec::new()),
            };
        ends(&mut |r, a, at| {
            let range = &mut activity_ranges[r as usize];
            linked_activities[range.1 as usize] = a;
            range.1 += 1;
            let range = &mut recording_ranges[at as usize];
            linked_recordings[range.1 as usize] = &facts.recordings[r as usize];
            range.1 += 1;
        });
        let mut checkouts_by_device: HashMap<&str, Vec<&Checkout>> = HashMap::new();
        for c in &facts.checkouts {
            checkouts_by_device
                .entry(c.device.as_str())
                .or_default()
                .push(c);
        }
        for v in checkouts_by_device.values_mut() {
            v.sort_by_key(|c| c.out_at);
        }
        let returns_by_device: HashMap<&str, Vec<DateTime<Utc>>> = checkouts_by_device
            .iter()
            .map(|(device, list)| {
                let mut back: Vec<DateTime<Utc>> =
                    list.iter().filter_map(|c| c.returned_at).collect();
                back.sort_unstable();
                (*device, back)
            })
            .collect();
        Index {
            facts,
            activities,
            recordings,
            recording_ranges,
            linked_recordings,
            activity_ranges,
            linked_activities,
            checkouts_by_device,
            returns_by_device,
            units: facts
                .officers
                .iter()
                .map(|o| (o.id.as_str(), o.unit.as_str()))
                .collect(),
            device_units: facts
                .devices
                .iter()
                .map(|d| (d.serial.as_str(), d.unit.as_str()))
                .collect(),
            approved_norecords: facts
                .norecords
                .iter()
                .filter(|n| n.approved)
                .map(|n| n.activity.as_str())
                .collect(),
            approved_extensions: facts
                .extensions
                .iter()
                .filter(|x| x.approved)
                .map(|x| x.activity.as_str())
                .collect(),
            interruptions: facts
                .interruptions
                .iter()
                .rev()
                .map(|i| ((i.activity.as_str(), i.after.as_str()), i))
                .collect(),
        }
    }

    /// Every link whose two ends are among the facts, those given by id first, then those given
    /// by position: (position in `facts.recordings`, the activity, the position of its id in
    /// `activities`). `recordings` is there whenever `facts.links` is not empty.
    fn link_ends(
        facts: &'a Facts,
        recordings: Option<&HashMap<&'a str, u32>>,
        activities: &HashMap<&'a str, u32>,
        unique_ids: bool,
        f: &mut dyn FnMut(u32, &'a Activity, u32),
    ) {
        if let Some(recordings) = recordings {
            for (sha, act) in &facts.links {
                if let (Some(&r), Some(&at)) =
                    (recordings.get(sha.as_str()), activities.get(act.as_str()))
                {
                    f(r, &facts.activities[at as usize], at);
                }
            }
        }
        for &(r, a) in &facts.link_positions {
            if (r as usize) >= facts.recordings.len() {
                continue;
            }
            let Some(act) = facts.activities.get(a as usize) else {
                continue;
            };
            // With repeated ids, an activity's recordings are those of its id.
            let at = if unique_ids {
                a
            } else {
                activities.get(act.id.as_str()).copied().unwrap_or(a)
            };
            f(r, act, at);
        }
    }

    /// The checkout of `device` that covers instant `t`.
    pub fn holder_at(&self, device: &str, t: DateTime<Utc>) -> Option<&'a Checkout> {
        let list = self.checkouts_by_device.get(device)?;
        let i = list.partition_point(|c| c.out_at <= t);
        let c = list.get(i.checked_sub(1)?)?;
        match c.returned_at {
            Some(back) if back < t => None,
            _ => Some(c),
        }
    }

    /// The first return of `device` at or after `t`.
    pub fn returned_after(&self, device: &str, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let back = self.returns_by_device.get(device)?;
        back.get(back.partition_point(|b| *b < t)).copied()
    }

    pub fn recordings_of(&self, activity: &str) -> &[&'a Recording] {
        self.activities
            .get(activity)
            .and_then(|&i| self.recording_ranges.get(i as usize))
            .and_then(|&(from, to)| self.linked_recordings.get(from as usize..to as usize))
            .unwrap_or(&[])
    }

    fn position(&self, sha: &str) -> Option<u32> {
        self.recordings
            .get_or_init(|| recording_positions(self.facts))
            .get(sha)
            .copied()
    }

    pub fn activities_of(&self, sha: &str) -> &[&'a Activity] {
        self.position(sha)
            .map_or(&[], |i| self.activities_at(i as usize))
    }

    /// The activities of the recording at position `i` of `facts.recordings`.
    pub fn activities_at(&self, i: usize) -> &[&'a Activity] {
        self.activity_ranges
            .get(i)
            .and_then(|&(from, to)| self.linked_activities.get(from as usize..to as usize))
            .unwrap_or(&[])
    }

    pub fn activity(&self, id: &str) -> Option<&'a Activity> {
        self.activities
            .get(id)
            .and_then(|&i| self.facts.activities.get(i as usize))
    }

    pub fn recording(&self, sha: &str) -> Option<&'a Recording> {
        self.position(sha)
            .and_then(|i| self.facts.recordings.get(i as usize))
    }
}

/// Runs every rule. Findings come sorted by time, then requirement.
pub fn check(
    profile: &Profile,
    calendar: &Calendar,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let ix = Index::new(facts);
    let acc = Accountability::new(facts);
    let mut out = Vec::new();
    pre_use_check(profile, &ix, &mut out);
    device_clock(profile, &ix, &mut out);
    lending(profile, &ix, &mut out);
    for a in &facts.activities {
        if a.end > now {
            continue; // not over yet: nothing is due
        }
        unrecorded_mandatory(profile, &ix, a, &mut out);
        coverage(profile, &ix, a, &mut out);
        officers(profile, a, &mut out);
        gaps(profile, &ix, a, &mut out);
        after_the_fact(profile, &ix, a, &mut out);
        certificates(profile, &acc, a, &mut out);
        while_suspended(profile, &acc, a, &mut out);
    }
    annual_review(profile, facts, now, &mut out);
    pending_approvals(profile, &ix, now, &mut out);
    sequence_gaps(profile, &ix, &mut out);
    integrity(profile, &ix, &mut out);
    late_offload(profile, calendar, &ix, &mut out);
    unlinked(profile, calendar, &ix, now, &mut out);
    expired(profile, &ix, now, &mut out);
    for f in &mut out {
        f.quote = profile.quote_cited(&f.article).map(str::to_string);
    }
    out.sort_by(|a, b| {
        (a.at, a.rule, &a.code, &a.activity, &a.recording).cmp(&(
            b.at,
            b.rule,
            &b.code,
            &b.activity,
            &b.recording,
        ))
    });
    out
}

fn fmt_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::facts::china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn fmt_secs(s: i64) -> String {
    if s >= 3600 {
        format!("{} 小时 {} 分", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} 分 {} 秒", s / 60, s % 60)
    } else {
        format!("{s} 秒")
    }
}

/// R4: the pre-use check at checkout — battery, free storage, clock.
pub fn pre_use_check(profile: &Profile, ix: &Index<'_>, out: &mut Vec<Finding>) {
    let rule = &profile.pre_use;
    for c in &ix.facts.checkouts {
        let mut bad = Vec::new();
        match c.battery_pct {
            None => bad.push("未记录电量".to_string()),
            Some(b) if b < *rule.min_battery_pct.get_ref() => bad.push(format!(
                "电量 {b}% 低于 {}%",
                rule.min_battery_pct.get_ref()
            )),
            _ => {}
        }
        match c.free_gb {
            None => bad.push("未记录剩余存储空间".to_string()),
            Some(g) if g < *rule.min_free_gb.get_ref() => bad.push(format!(
                "剩余空间 {g} GB 低于 {} GB",
                rule.min_free_gb.get_ref()
            )),
            _ => {}
        }
        if !c.clock_ok {
            bad.push("未确认设备时间已校准".to_string());
        }
        if !bad.is_empty() {
            out.push(
                Finding::new(
                    "R4",
                    "pre_use_check_failed",
                    profile.cite(&rule.article),
                    Severity::Warning,
                    c.out_at,
                    format!(
                        "设备 {} 领用时使用前检查不合格：{}",
                        c.device,
                        bad.join("；")
                    ),
                )
                .device(&c.device)
                .officer(&c.officer)
                .applying(profile, &["pre_use.min_battery_pct", "pre_use.min_free_gb"]),
            );
        }
    }
}

/// R4: the device clock measured at offload.
pub fn device_clock(profile: &Profile, ix: &Index<'_>, out: &mut Vec<Finding>) {
    let tol = *profile.pre_use.clock_tolerance_s.get_ref();
    for o in &ix.facts.offloads {
        let Some(ms) = o.clock_offset_ms else {
            continue;
        };
        if ms.abs() > tol * 1000 {
            let dir = if ms > 0 { "快" } else { "慢" };
            out.push(
                Finding::new("R4", "device_clock_offset", profile.cite(&profile.pre_use.article), Severity::Warning, o.at,
                    format!("设备 {} 的时钟比采集站{dir} {}，超过允许的 {tol} 秒；该设备记录的拍摄时间需人工核对", o.device, fmt_secs(ms.abs() / 1000)))
                .device(&o.device)
                .officer(&o.officer)
                .applying(profile, &["pre_use.clock_tolerance_s"]),
            );
        }
    }
}

/// R5: recordings made on a device not checked out to the officer who made them, or by someone
/// outside the device's unit.
///
/// Only under a regulation that forbids lending (its `lend_device` violation): work-only use
/// (R14's article) says nothing of who holds the device.
pub fn lending(profile: &Profile, ix: &Index<'_>, out: &mut Vec<Finding>) {
    let Some(lend_article) = profile
        .violations
        .iter()
        .find(|v| v.id.get_ref() == "lend_device")
        .map(|v| profile.cite(&v.article))
    else {
        return;
    };
    // One finding per device, officer and checkout state, not one per file.
    let mut seen: HashSet<(crate::facts::Sym, Option<String>, &'static str)> = HashSet::new();
    for r in &ix.facts.recordings {
        let Some(t) = r.capture_start else { continue };
        let claimed = r.name_officer.as_deref().unwrap_or(&r.officer);
        match ix.holder_at(&r.device, t) {
            None => {
                if seen.insert((r.device.clone(), None, "no_checkout")) {
                    out.push(
                        Finding::new(
                            "R5",
                            "used_without_checkout",
                            lend_article.clone(),
                            Severity::Violation,
                            t,
                            format!(
                                "设备 {} 在未登记领用期间产生了记录（{}，{}），无法确定使用人",
                                r.device,
                                fmt_local(t),
                                short(&r.sha256)
                            ),
                        )
                        .device(&r.device)
                        .recording(&r.sha256),
                    );
                }
            }
            Some(c) if c.officer != claimed => {
                if seen.insert((r.device.clone(), Some(c.id.clone()), "lent")) {
                    out.push(
                        Finding::new("R5", "device_lent", lend_article.clone(), Severity::Violation, t,
                            format!("设备 {} 领用人为 {}，但记录 {} 显示使用人为 {}：疑似擅自借给他人使用", r.device, c.officer, short(&r.sha256), claimed))
                        .device(&r.device)
                        .officer(&c.officer)
                        .recording(&r.sha256),
                    );
                }
            }
            Some(c) => {
                let (Some(u), Some(du)) = (
                    ix.units.get(c.officer.as_str()),
                    ix.device_units.get(r.device.as_str()),
                ) else {
                    continue;
                };
                if u != du && seen.insert((r.device.clone(), Some(c.id.clone()), "unit")) {
                    out.push(
                        Finding::new(
                            "R5",
                            "outside_unit",
                            lend_article.clone(),
                            Severity::Violation,
                            t,
                            format!(
                                "设备 {} 属于 {du}，由非本单位人员 {}（{u}）使用",
                                r.device, c.officer
                            ),
                        )
                        .device(&r.device)
                        .officer(&c.officer),
                    );
                }
            }
        }
    }
}

fn mandatory_article(profile: &Profile, a: &Activity) -> Option<String> {
    if let Some(rule) = profile
        .mandatory_rules
        .iter()
        .find(|m| m.flags.iter().any(|f| a.has_flag(f.get_ref())))
    {
        return Some(profile.cite(&rule.article));
    }
    profile
        .kind(&a.kind)
        .filter(|row| row.obligation == Obligation::Mandatory)
        .map(|row| profile.cite(&row.article))
}

fn approved_norecord(ix: &Index<'_>, activity: &str) -> bool {
    ix.approved_norecords.contains(activity)
}

/// R7: a mandatory activity with no recording and no approved non-recording record.
pub fn unrecorded_mandatory(
    profile: &Profile,
    ix: &Index<'_>,
    a: &Activity,
    out: &mut Vec<Finding>,
) {
    let Some(article) = mandatory_article(profile, a) else {
        return;
    };
    if !ix.recordings_of(&a.id).is_empty() || approved_norecord(ix, &a.id) {
        return;
    }
    let situation = profile
        .kind(&a.kind)
        .map(|r| r.situation.as_str())
        .unwrap_or(&a.kind);
    out.push(
        Finding::new("R7", "mandatory_not_recorded", article, Severity::Violation, a.end,
            format!("应当记录的执法活动 {}（{situation}，{}）没有音像记录，也没有经批准的未记录工作记录", a.id, a.subject_name))
        .activity(&a.id),
    );
}

/// R8: the recordings must run from arrival to the end, within the profile's tolerance.
pub fn coverage(profile: &Profile, ix: &Index<'_>, a: &Activity, out: &mut Vec<Finding>) {
    let recs = ix.recordings_of(&a.id);
    if recs.is_empty() || approved_norecord(ix, &a.id) {
        return;
    }
    let rule = &profile.coverage;
    let first = recs.iter().filter_map(|r| r.capture_start).min();
    let last = recs
        .iter()
        .filter_map(|r| r.capture_end.or(r.capture_start))
        .max();
    let article = profile.cite(&rule.article);
    if let Some(first) = first {
        let late = (first - a.start).num_seconds();
        if late > *rule.start_tolerance_s.get_ref() {
            out.push(
                Finding::new(
                    "R8",
                    "late_start",
                    article.clone(),
                    Severity::Violation,
                    a.start,
                    format!(
                        "活动 {} 文书记载 {} 开始，音像记录 {} 才开始，晚了 {}",
                        a.id,
                        fmt_local(a.start),
                        fmt_local(first),
                        fmt_secs(late)
                    ),
                )
                .activity(&a.id)
                .applying(profile, &["coverage.start_tolerance_s"]),
            );
        }
    }
    if let Some(last) = last {
        let early = (a.end - last).num_seconds();
        if early > *rule.end_tolerance_s.get_ref() {
            out.push(
                Finding::new(
                    "R8",
                    "early_end",
                    article,
                    Severity::Violation,
                    a.end,
                    format!(
                        "活动 {} 文书记载 {} 结束，音像记录 {} 即结束，提前了 {}",
                        a.id,
                        fmt_local(a.end),
                        fmt_local(last),
                        fmt_secs(early)
                    ),
                )
                .activity(&a.id)
                .applying(profile, &["coverage.end_tolerance_s"]),
            );
        }
    }
}

/// R9: at least the profile's number of officers, for the activity kinds its article governs.
pub fn officers(profile: &Profile, a: &Activity, out: &mut Vec<Finding>) {
    let rule = &profile.officers;
    if !rule.applies_to.is_empty() && !rule.applies_to.iter().any(|k| k.get_ref() == &a.kind) {
        return;
    }
    let min = *rule.min_per_activity.get_ref();
    if (a.officers.len() as i64) < min {
        out.push(
            Finding::new(
                "R9",
                "too_few_officers",
                profile.cite(&profile.officers.article),
                Severity::Violation,
                a.start,
                format!(
                    "活动 {} 只有 {} 名执法人员，至少需要 {min} 名",
                    a.id,
                    a.officers.len()
                ),
            )
            .activity(&a.id)
            .applying(profile, &["officers.min_per_activity"]),
        );
    }
}

/// R11: gaps between consecutive recordings of one device within an activity. A pause no longer
/// than the split tolerance is the device cutting files; a longer one needs an interruption record.
pub fn gaps(profile: &Profile, ix: &Index<'_>, a: &Activity, out: &mut Vec<Finding>) {
    let tol = *profile.segments.split_tolerance_s.get_ref();
    // Only continuous media (video, audio) can have gaps; a photo is an instant.
    /// A continuous file with its start and end.
    type Span<'a> = (&'a Recording, DateTime<Utc>, DateTime<Utc>);
    let mut by_device: BTreeMap<&str, Vec<Span<'_>>> = BTreeMap::new();
    for r in ix.recordings_of(&a.id) {
        if let (Some(s), Some(e)) = (r.capture_start, r.capture_end)
            && e > s
        {
            by_device
                .entry(r.device.as_str())
                .or_default()
                .push((r, s, e));
        }
    }
    let article = profile.cite(&profile.interruption.article);
    for (device, mut recs) in by_device {
        recs.sort_by_key(|(_, s, _)| *s);
        // Walk in start order keeping how far the files so far reach, so an overlapping or
        // nested file (a second audio track) never makes a gap appear.
        let Some(&(first, _, first_end)) = recs.first() else {
            continue;
        };
        let (mut prev, mut prev_end) = (first, first_end);
        for &(next, next_start, next_end) in &recs[1..] {
            if next_end > prev_end && next_start <= prev_end {
                (prev, prev_end) = (next, next_end);
                continue;
            }
            if next_end <= prev_end {
                continue;
            }
            let gap_from = (prev, prev_end);
            (prev, prev_end) = (next, next_end);
            let (prev, prev_end) = gap_from;
            let gap = (next_start - prev_end).num_seconds();
            if gap <= tol {
                continue;
            }
            // The first record for this gap, as a scan in record order would find.
            let record = ix
                .interruptions
                .get(&(a.id.as_str(), prev.sha256.as_str()))
                .copied();
            let Some(rec) = record else {
                out.push(
                    Finding::new(
                        "R11",
                        "unexplained_gap",
                        article.clone(),
                        Severity::Violation,
                        prev_end,
                        format!(
                            "活动 {} 设备 {device} 的记录在 {} 中断 {}，没有中断说明",
                            a.id,
                            fmt_local(prev_end),
                            fmt_secs(gap)
                        ),
                    )
                    .activity(&a.id)
                    .device(device)
                    .recording(&prev.sha256)
                    .applying(profile, &["segments.split_tolerance_s"]),
                );
                continue;
            };
            let reason = profile
                .interruption
                .reasons
                .iter()
                .find(|r| r.id.get_ref() == &rec.reason);
            if reason.is_some_and(|r| r.voice_statement) && !rec.voice_stated {
                out.push(
                    Finding::new(
                        "R11",
                        "gap_not_stated_by_voice",
                        article.clone(),
                        Severity::Warning,
                        next_start,
                        format!(
                            "活动 {} 中断后重新开始记录时未对中断原因进行语音说明（{}）",
                            a.id,
                            reason.map(|r| r.label.as_str()).unwrap_or("")
                        ),
                    )
                    .activity(&a.id)
                    .device(device)
                    .recording(&next.sha256),
                );
            }
            if reason.is_some_and(|r| !r.voice_statement)
                && profile.interruption.report_to.is_some()
                && !rec.approved
            {
                let role = profile
                    .interruption
                    .report_to
                    .as_ref()
                    .map(|r| profile.role_label(r.get_ref()))
                    .unwrap_or("");
                out.push(
                    Finding::new(
                        "R11",
                        "interruption_not_reported",
                        article.clone(),
                        Severity::Warning,
                        prev_end,
                        format!(
                            "活动 {} 无法继续记录，但中断说明 {} 尚未经{role}确认",
                            a.id, rec.id
                        ),
                    )
                    .activity(&a.id)
                    .device(device),
                );
            }
        }
    }
}

/// R12: a recording captured after its activity ended (补录).
pub fn after_the_fact(profile: &Profile, ix: &Index<'_>, a: &Activity, out: &mut Vec<Finding>) {
    let Some(article) = &profile.originals.after_the_fact_article else {
        return;
    };
    let tol = Duration::seconds(*profile.coverage.end_tolerance_s.get_ref());
    for r in ix.recordings_of(&a.id) {
        let Some(t) = r.capture_start else { continue };
        if t > a.end + tol {
            out.push(
                Finding::new(
                    "R12",
                    "recorded_after_activity",
                    profile.cite(article),
                    Severity::Violation,
                    t,
                    format!(
                        "记录 {} 拍摄于 {}，晚于活动 {} 结束时间 {}：疑似事后补录",
                        short(&r.sha256),
                        fmt_local(t),
                        a.id,
                        fmt_local(a.end)
                    ),
                )
                .activity(&a.id)
                .recording(&r.sha256)
                .device(&r.device)
                .applying(profile, &["coverage.end_tolerance_s"]),
            );
        }
    }
}

/// R10, R11: records that still wait for their approval once the activity is over.
pub fn pending_approvals(
    profile: &Profile,
    ix: &Index<'_>,
    now: DateTime<Utc>,
    out: &mut Vec<Finding>,
) {
    let Some(article) = &profile.norecord.approval_article else {
        return;
    };
    for n in &ix.facts.norecords {
        if n.approved {
            continue;
        }
        let Some(a) = ix.activity(&n.activity) else {
            continue;
        };
        if a.end > now {
            continue;
        }
        let chain: Vec<&str> = profile
            .norecord
            .approvers
            .iter()
            .map(|r| profile.role_label(r.get_ref()))
            .collect();
        out.push(
            Finding::new(
                "R10",
                "norecord_not_approved",
                profile.cite(article),
                Severity::Warning,
                a.end,
                format!(
                    "活动 {} 的未记录工作记录 {} 尚未经{}审批",
                    a.id,
                    n.id,
                    chain.join("、")
                ),
            )
            .activity(&a.id),
        );
    }
}

/// R12: numbers missing from a device's file series on one day (a file not offloaded or deleted).
pub fn sequence_gaps(profile: &Profile, ix: &Index<'_>, out: &mut Vec<Finding>) {
    let Some(article) = &profile.originals.editing_article else {
        return;
    };
    let article = profile.cite(article);
    // One flat list of (device rank, day, number, time), sorted once: a device's days in
    // order, each day's numbers in order. A map of small lists per device and day (365,000 of
    // them in a year) was a tenth of a year's check's memory; a tree map would compare device
    // ids tens of times per recording.
    let mut rank: HashMap<&str, u32> = HashMap::new();
    for r in &ix.facts.recordings {
        if r.sequence.is_some() && r.capture_start.is_some() {
            rank.entry(r.device.as_str()).or_insert(0);
        }
    }
    let mut devices: Vec<&str> = rank.keys().copied().collect();
    devices.sort_unstable();
    for (i, d) in devices.iter().enumerate() {
        rank.insert(d, i as u32);
    }
    let mut numbered: Vec<(u32, chrono::NaiveDate, i64, DateTime<Utc>)> = Vec::new();
    for r in &ix.facts.recordings {
        if let (Some(seq), Some(t)) = (r.sequence, r.capture_start) {
            numbered.push((rank[r.device.as_str()], local_date(t), seq, t));
        }
    }
    numbered.sort_unstable();
    for group in numbered.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let (device, day) = (devices[group[0].0 as usize], group[0].1);
        let mut seqs: Vec<(i64, DateTime<Utc>)> = group.iter().map(|x| (x.2, x.3)).collect();
        seqs.dedup_by_key(|s| s.0);
        let mut missing = Vec::new();
        for w in seqs.windows(2) {
            let (a, b) = (w[0].0, w[1].0);
            if b - a > 1 {
                missing.extend((a + 1..b).take(20 - missing.len().min(20)));
            }
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("{m:04}")).collect();
            out.push(
                Finding::new("R12", "sequence_gap", article.clone(), Severity::Violation, seqs[0].1,
                    format!("设备 {device} 在 {day} 的文件序号不连续，缺少 {}：可能有文件未导出或被删除", list.join("、")))
                .device(device),
            );
        }
    }
}

/// R12: content that no longer matches its hash in any copy.
pub fn integrity(profile: &Profile, ix: &Index<'_>, out: &mut Vec<Finding>) {
    let Some(article) = &profile.originals.editing_article else {
        return;
    };
    for r in ix.facts.recordings.iter().filter(|r| r.integrity_failed) {
        out.push(
            Finding::new(
                "R12",
                "hash_mismatch",
                profile.cite(article),
                Severity::Violation,
                r.offloaded_at,
                format!(
                    "记录 {} 的内容与导出时的哈希值不符，且没有完好的副本可以修复",
                    short(&r.sha256)
                ),
            )
            .recording(&r.sha256)
            .device(&r.device),
        );
    }
}

fn deadline_for(
    profile: &Profile,
    calendar: &Calendar,
    ix: &Index<'_>,
    r: &Recording,
    a: Option<&Activity>,
) -> Result<crate::deadline::Deadline, NoDeadline> {
    let work_end = match a {
        Some(a) => a.end,
        None => r.capture_end.or(r.capture_start).unwrap_or(r.offloaded_at),
    };
    let extension_approved = a.is_some_and(|a| ix.approved_extensions.contains(a.id.as_str()));
    offload_deadline(
        profile,
        calendar,
        DeadlineInput {
            work_end,
            activity: a,
            returned_at: ix.returned_after(&r.device, work_end),
            extension_approved,
        },
    )
}

/// The offload deadline's parameters (R17, and R14 counting from it).
const OFFLOAD_DEADLINE: &[&str] = &[
    "offload.base",
    "offload.hours",
    "offload.after_return_hours",
];

/// R17: offloaded after the profile's deadline. One finding per activity and offload session.
pub fn late_offload(
    profile: &Profile,
    calendar: &Calendar,
    ix: &Index<'_>,
    out: &mut Vec<Finding>,
) {
    let mut seen: HashSet<(Option<&str>, &str)> = HashSet::new();
    for (i, r) in ix.facts.recordings.iter().enumerate() {
        let acts = ix.activities_at(i);
        let targets = acts
            .iter()
            .map(|a| Some(*a))
            .chain(acts.is_empty().then_some(None));
        for a in targets {
            if !seen.insert((a.map(|a| a.id.as_str()), r.session.as_str())) {
                continue;
            }
            match deadline_for(profile, calendar, ix, r, a) {
                Ok(d) if r.offloaded_at > d.at => {
                    let late = (r.offloaded_at - d.at).num_seconds();
                    let what = a
                        .map(|a| format!("活动 {} 的记录", a.id))
                        .unwrap_or_else(|| format!("设备 {} 的记录", r.device));
                    let mut f = Finding::new(
                        "R17",
                        "late_offload",
                        d.article,
                        Severity::Violation,
                        r.offloaded_at,
                        format!(
                            "{what}于 {} 导出，超过期限（{}，{}）{}",
                            fmt_local(r.offloaded_at),
                            d.rule,
                            fmt_local(d.at),
                            fmt_secs(late)
                        ),
                    )
                    .device(&r.device)
                    .officer(&r.officer)
                    .recording(&r.sha256)
                    .applying(profile, OFFLOAD_DEADLINE);
                    if let Some(a) = a {
                        f = f.activity(&a.id);
                    }
                    out.push(f);
                }
                Ok(_) | Err(NoDeadline::NotReturned) => {}
                Err(NoDeadline::Calendar(msg)) => out.push(
                    Finding::new(
                        "R17",
                        "calendar_missing",
                        profile.cite(&profile.offload.article),
                        Severity::Warning,
                        r.offloaded_at,
                        format!("无法计算导出期限：{msg}"),
                    )
                    .recording(&r.sha256),
                ),
            }
        }
    }
}

/// R14: still linked to no activity well after the offload deadline — possible non-work use.
pub fn unlinked(
    profile: &Profile,
    calendar: &Calendar,
    ix: &Index<'_>,
    now: DateTime<Utc>,
    out: &mut Vec<Finding>,
) {
    let grace = Duration::hours(*profile.offload.link_grace_hours.get_ref());
    for (i, r) in ix.facts.recordings.iter().enumerate() {
        if !ix.activities_at(i).is_empty() {
            continue;
        }
        let Ok(d) = deadline_for(profile, calendar, ix, r, None) else {
            continue;
        };
        let due = d.at.max(r.offloaded_at) + grace;
        if now > due {
            out.push(
                Finding::new("R14", "not_linked_to_activity", profile.cite(&profile.offload.link_article), Severity::Warning, due,
                    format!("记录 {}（设备 {}，{}）未关联任何执法活动：可能用于非工作用途，请关联或说明", short(&r.sha256), r.device, r.capture_start.map(fmt_local).unwrap_or_else(|| "拍摄时间不明".into())))
                .recording(&r.sha256)
                .device(&r.device)
                .officer(&r.officer)
                .applying(
                    profile,
                    &[OFFLOAD_DEADLINE, &["offload.link_grace_hours"]].concat(),
                ),
            );
        }
    }
}

/// The article of the long-term trigger an activity of the recording met.
fn long_term_article<'p>(profile: &'p Profile, activities: &[&Activity]) -> &'p String {
    profile
        .retention
        .triggers
        .iter()
        .find(|t| {
            t.class == RetentionClass::LongTerm
                && t.flags
                    .iter()
                    .any(|f| activities.iter().any(|a| a.has_flag(f.get_ref())))
        })
        .map_or(&profile.retention.minimum_article, |t| &t.article)
}

/// R20: recordings past their retention date enter the purge review; nothing is deleted here.
pub fn expired(profile: &Profile, ix: &Index<'_>, now: DateTime<Utc>, out: &mut Vec<Finding>) {
    let holds: HashSet<&str> = ix.facts.holds.iter().map(String::as_str).collect();
    for (i, r) in ix.facts.recordings.iter().enumerate() {
        let acts = ix.activities_at(i);
        let on_hold = !holds.is_empty() && holds.contains(r.sha256.as_str());
        // The date first; the reason only for a recording past it.
        if !retention_until(profile, r, acts, on_hold).expired(now) {
            continue;
        }
        let ret = retention(profile, r, acts, on_hold);
        if let (true, Some(until)) = (ret.expired(now), ret.retain_until) {
            let approvers: Vec<&str> = profile
                .retention
                .purge_approvers
                .iter()
                .map(|r| profile.role_label(r.get_ref()))
                .collect();
            // The period that ran out: the case file's follows its own article; the others count
            // from the minimum period's.
            let (article, period) = match ret.class {
                RetentionClass::Case => (&profile.retention.case_article, "retention.case_years"),
                RetentionClass::LongTerm => (
                    long_term_article(profile, acts),
                    "retention.long_term_years",
                ),
                _ => (
                    &profile.retention.minimum_article,
                    "retention.minimum_months",
                ),
            };
            out.push(
                Finding::new(
                    "R20",
                    "retention_expired",
                    profile.cite(article),
                    Severity::Info,
                    until,
                    format!(
                        "记录 {} 已于 {} 届满保存期限（{}），进入清除审核，须经{}批准后方可清除",
                        short(&r.sha256),
                        fmt_local(until),
                        ret.reason,
                        approvers.join("、")
                    ),
                )
                .recording(&r.sha256)
                .device(&r.device)
                .applying(profile, &[period]),
            );
        }
    }
}

// ---- Accountability: certificates (行政处罚法 §42), suspensions (R29), the annual review (R28).

/// The national-law article on who may impose a penalty (执法资格, two officers).
pub const XZCF_42: &str = "行政处罚法 §42";

/// Per-officer lookups for the accountability rules, built once per check.
pub struct Accountability<'a> {
    certificates: HashMap<&'a str, &'a Certificate>,
    suspensions: HashMap<&'a str, Vec<&'a Suspension>>,
}

impl<'a> Accountability<'a> {
    pub fn new(facts: &'a Facts) -> Self {
        let mut suspensions: HashMap<&str, Vec<&Suspension>> = HashMap::new();
        for s in &facts.suspensions {
            suspensions.entry(s.officer.as_str()).or_default().push(s);
        }
        Accountability {
            certificates: facts
                .certificates
                .iter()
                .map(|c| (c.officer.as_str(), c))
                .collect(),
            suspensions,
        }
    }
}

/// Whether an activity kind is part of a penalty procedure, as the profile says it: the kinds its
/// R9 rule governs when that rule cites 行政处罚法 §42 (every kind when it names none), and the
/// kinds it lists as `penalty_kinds` (a profile whose R9 rests on its own regulation).
pub fn is_penalty_kind(profile: &Profile, kind: &str) -> bool {
    let rule = &profile.officers;
    (rule.article == XZCF_42
        && (rule.applies_to.is_empty() || rule.applies_to.iter().any(|k| k.get_ref() == kind)))
        || rule.penalty_kinds.iter().any(|k| k.get_ref() == kind)
}

/// Why `c` is not a valid certificate on `day`, in Chinese; `None` when it is.
pub fn certificate_problem(c: &Certificate, day: NaiveDate) -> Option<String> {
    let Some(number) = c.number.as_deref().filter(|n| !n.trim().is_empty()) else {
        return Some("未登记执法证，无法核实其执法资格".into());
    };
    if let Some(from) = c.from.filter(|f| day < *f) {
        return Some(format!("执法证 {number} 自 {from} 起才有效"));
    }
    if let Some(to) = c.to.filter(|t| day > *t) {
        return Some(format!("执法证 {number} 已于 {to} 到期"));
    }
    None
}

/// 行政处罚法 §42 (R9): a penalty activity by an officer without a valid enforcement certificate
/// on its day (none, not yet valid, expired). Officers without an account have no certificate on
/// record and are not judged.
pub fn certificates(
    profile: &Profile,
    acc: &Accountability<'_>,
    a: &Activity,
    out: &mut Vec<Finding>,
) {
    if !is_penalty_kind(profile, &a.kind) {
        return;
    }
    let day = local_date(a.start);
    for o in &a.officers {
        let Some(c) = acc.certificates.get(o.as_str()) else {
            continue;
        };
        if let Some(problem) = certificate_problem(c, day) {
            // No number on record is a gap in the register (a warning: the qualification cannot
            // be shown); a certificate not valid that day is a breach of §42.
            let recorded = c.number.as_deref().is_some_and(|n| !n.trim().is_empty());
            let (code, severity) = if recorded {
                ("no_valid_certificate", Severity::Violation)
            } else {
                ("certificate_not_recorded", Severity::Warning)
            };
            out.push(
                Finding::new(
                    "R9",
                    code,
                    profile.cite(XZCF_42),
                    severity,
                    a.start,
                    format!(
                        "执法人员 {o} 在活动 {} 当日（{day}）没有有效的执法证：{problem}",
                        a.id
                    ),
                )
                .activity(&a.id)
                .officer(o),
            );
        }
    }
}

/// The first day an officer may work again after a sanction of `kind` starting on `from`, if the
/// profile says that sanction stops enforcement (`suspends_months`): `[from, end)`.
pub fn suspension_end(profile: &Profile, kind: &str, from: NaiveDate) -> Option<NaiveDate> {
    let months = profile
        .sanctions
        .iter()
        .find(|s| s.id.get_ref() == kind)?
        .suspends_months
        .as_ref()?;
    from.checked_add_months(chrono::Months::new(u32::try_from(*months.get_ref()).ok()?))
}

/// R29: an activity recorded with an officer during a sanction that stopped their enforcement
/// work. It happened, so it is kept; this says so.
pub fn while_suspended(
    profile: &Profile,
    acc: &Accountability<'_>,
    a: &Activity,
    out: &mut Vec<Finding>,
) {
    let day = local_date(a.start);
    for o in &a.officers {
        for s in acc.suspensions.get(o.as_str()).into_iter().flatten() {
            if s.from <= day && day < s.to {
                let article = profile
                    .sanctions
                    .iter()
                    .find(|k| k.id.get_ref() == &s.kind)
                    .map_or("", |k| k.article.as_str());
                let last = s.to.pred_opt().unwrap_or(s.to);
                out.push(
                    Finding::new(
                        "R29",
                        "enforcement_while_suspended",
                        profile.cite(article),
                        Severity::Violation,
                        a.start,
                        format!(
                            "执法人员 {o} 在 {} 至 {last} 停止执法（处理决定 {}），期间仍参与了执法活动 {}",
                            s.from, s.sanction, a.id
                        ),
                    )
                    .activity(&a.id)
                    .officer(o),
                );
            }
        }
    }
}

/// R28: each calendar year since the agency started keeping records here needs an annual review
/// by the profile's day; past it with none recorded, a finding at the end of that day.
pub fn annual_review(profile: &Profile, facts: &Facts, now: DateTime<Utc>, out: &mut Vec<Finding>) {
    let (Some(rule), Some(since)) = (&profile.annual_review, facts.in_use_since) else {
        return;
    };
    for year in local_date(since).year()..=local_date(now).year() {
        let Some(deadline) = rule.deadline(year) else {
            continue;
        };
        let at = end_of_local_day(deadline);
        if at > now || facts.annual_reviews.contains(&year) {
            continue;
        }
        out.push(
            Finding::new(
                "R28",
                "annual_review_missing",
                profile.cite(&rule.article),
                Severity::Violation,
                at,
                format!("{year} 年度的音像记录资料评查应于 {deadline} 前组织，尚未登记"),
            )
            .applying(profile, &["annual_review.by"]),
        );
    }
}

/// The requirement a rule id names, in a few Chinese words, for people reading findings by rule
/// (the catalogue's titles, `../shared/spec/requirements.md`).
pub fn rule_title(rule: &str) -> &'static str {
    match rule {
        "R1" => "设备登记",
        "R2" => "设备履历",
        "R3" => "使用台账",
        "R4" => "使用前检查与设备时钟",
        "R5" => "禁止出借设备",
        "R6" => "音像记录清单",
        "R7" => "应记录而未记录",
        "R8" => "全程记录（开始和结束）",
        "R9" => "执法人员不少于两人",
        "R10" => "未记录说明及审批",
        "R11" => "中断及其说明",
        "R12" => "不得选择性记录、补录或删改",
        "R13" => "告知用语",
        "R14" => "仅用于执法工作",
        "R15" => "拍照与时间轴",
        "R16" => "采集导出",
        "R17" => "按时导出",
        "R18" => "备份",
        "R19" => "一户式管理",
        "R20" => "保存期限",
        "R21" => "长期保存与刻盘",
        "R22" => "证据提取",
        "R23" => "查阅调阅审批",
        "R24" => "不得修改删除原始记录",
        "R25" => "涉密记录",
        "R26" => "不得私自留存",
        "R27" => "抽查评查",
        "R28" => "年度评查",
        "R29" => "违规责任",
        "R30" => "法制机构监督",
        "R31" => "装备经费",
        _ => "其他",
    }
}

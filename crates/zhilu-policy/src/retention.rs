//! R20–R21: how long each recording must be kept, and why.

use chrono::{DateTime, Months, Utc};
use serde::Serialize;

use crate::facts::{Activity, Recording, china};
use crate::profile::{Profile, RetentionClass};

/// The retention decision for one recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retention {
    pub class: RetentionClass,
    /// `None`: kept until a person decides otherwise (permanent, or under legal hold).
    pub retain_until: Option<DateTime<Utc>>,
    /// Chinese, citing the article.
    pub reason: String,
}

impl Retention {
    /// Past its date: the recording enters the purge review (it is never deleted automatically).
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.retain_until.is_some_and(|t| t <= now)
    }
}

fn add_months(t: DateTime<Utc>, months: i64) -> DateTime<Utc> {
    // Month arithmetic on the China calendar day: 6 months after 31 Aug is 28/29 Feb, as people count.
    let local = t.with_timezone(&china());
    u32::try_from(months)
        .ok()
        .and_then(|m| local.checked_add_months(Months::new(m)))
        .map(|l| l.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Decides the retention of `rec`, given the activities it is linked to and whether a legal hold
/// applies. The strongest class wins (hold > permanent > long-term > case > minimum); between dated
/// classes the later date wins.
pub fn retention(
    profile: &Profile,
    rec: &Recording,
    activities: &[&Activity],
    on_hold: bool,
) -> Retention {
    decide(profile, rec, activities, on_hold, true)
}

/// [`retention`]'s class and date only, its `reason` left empty: the same decision without
/// writing a reason for each of a year's recordings (the check writes one only for those past
/// their date).
pub fn retention_until(
    profile: &Profile,
    rec: &Recording,
    activities: &[&Activity],
    on_hold: bool,
) -> Retention {
    decide(profile, rec, activities, on_hold, false)
}

fn decide(
    profile: &Profile,
    rec: &Recording,
    activities: &[&Activity],
    on_hold: bool,
    reasons: bool,
) -> Retention {
    // Reasons are written only when asked for; the decision never reads them.
    let say = |f: &dyn Fn() -> String| if reasons { f() } else { String::new() };
    let r = &profile.retention;
    if on_hold {
        return Retention {
            class: RetentionClass::Hold,
            retain_until: None,
            reason: say(&|| "法律保全（冻结）中，解除前不得到期清除".into()),
        };
    }
    let base = rec.capture_start.unwrap_or(rec.offloaded_at);
    let months = *r.minimum_months.get_ref();
    let mut best = Retention {
        class: RetentionClass::Minimum,
        retain_until: Some(add_months(base, months)),
        reason: say(&|| {
            format!(
                "最少保存 {months} 个月（{}）",
                profile.cite(&r.minimum_article)
            )
        }),
    };
    let mut consider = |cand: Retention| {
        let stronger = cand.class > best.class
            || (cand.class == best.class
                && match (cand.retain_until, best.retain_until) {
                    (None, Some(_)) => true,
                    (Some(a), Some(b)) => a > b,
                    _ => false,
                });
        if stronger {
            best = cand;
        }
    };
    for a in activities {
        for t in &r.triggers {
            if let Some(f) = t.flags.iter().find(|f| a.has_flag(f.get_ref())) {
                let why = crate::profile::FLAGS
                    .iter()
                    .find(|(id, _)| id == f.get_ref())
                    .map(|(_, l)| *l)
                    .unwrap_or("");
                match t.class {
                    RetentionClass::Permanent => consider(Retention {
                        class: RetentionClass::Permanent,
                        retain_until: None,
                        reason: say(&|| {
                            format!(
                                "活动 {} {why}，永久保存（{}）",
                                a.id,
                                profile.cite(&t.article)
                            )
                        }),
                    }),
                    _ => {
                        let y = *r.long_term_years.get_ref();
                        consider(Retention {
                            class: RetentionClass::LongTerm,
                            retain_until: Some(add_months(a.end.max(base), y * 12)),
                            reason: say(&|| {
                                format!(
                                    "活动 {} {why}，长期保存 {y} 年并刻录光盘（{}）",
                                    a.id,
                                    profile.cite(&t.article)
                                )
                            }),
                        })
                    }
                }
            }
        }
        if a.case_no.is_some() || a.has_flag("evidence") {
            let y = *r.case_years.get_ref();
            let case = a.case_no.as_deref().unwrap_or("作为证据使用");
            consider(Retention {
                class: RetentionClass::Case,
                retain_until: Some(add_months(a.end.max(base), y * 12)),
                reason: say(&|| {
                    let join = r
                        .case_file_join_days
                        .as_ref()
                        .map(|d| format!("，结案后 {} 日内归入案卷", d.get_ref()))
                        .unwrap_or_default();
                    format!(
                        "随案卷（{case}）保存 {y} 年{join}（{}）",
                        profile.cite(&r.case_article)
                    )
                }),
            });
        }
    }
    best
}

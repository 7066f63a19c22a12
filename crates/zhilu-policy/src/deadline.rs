//! R17: when a recording must have been offloaded, by the profile's rule and the working-day calendar.

use chrono::{DateTime, Duration, Utc};

use crate::calendar::Calendar;
use crate::facts::{Activity, end_of_local_day, local_date};
use crate::profile::{DeadlineBase, Profile};

/// The deadline and the rule that set it, for the finding's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub at: DateTime<Utc>,
    /// Chinese, e.g. "当天（24:00 前）", "2 个工作日（经批准延期）".
    pub rule: String,
    /// The article the deadline comes from.
    pub article: String,
}

/// What the deadline depends on besides the profile.
#[derive(Debug, Clone, Copy)]
pub struct DeadlineInput<'a> {
    /// When the recorded work ended: the activity's documented end, or the recording's own end.
    pub work_end: DateTime<Utc>,
    pub activity: Option<&'a Activity>,
    /// The device's return to the unit after `work_end`, if it has been returned.
    pub returned_at: Option<DateTime<Utc>>,
    /// An approved extension exists for the activity.
    pub extension_approved: bool,
}

/// Why no deadline could be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoDeadline {
    /// Remote work and the device is not back yet: the clock has not started.
    NotReturned,
    /// The working-day calendar does not cover the year; the message says which.
    Calendar(String),
}

/// Computes the offload deadline (R17).
///
/// * Ordinary: `same_day` → 24:00 China time of the day the work ended; `hours` → `hours` after it.
/// * Remote or continuous work (activity flag `remote`) where the profile has `after_return_hours`:
///   that many hours after the device came back to the unit.
/// * An approved extension (zhejiang-rf §19) moves the deadline to the end of the N-th working day
///   after the day the work ended — unless the activity carries an excluded flag (a dispute or an
///   emergency), in which case the ordinary deadline stands.
pub fn offload_deadline(
    profile: &Profile,
    calendar: &Calendar,
    input: DeadlineInput<'_>,
) -> Result<Deadline, NoDeadline> {
    let rule = &profile.offload;
    let cite = profile.cite(&rule.article);
    let remote = input.activity.is_some_and(|a| a.has_flag("remote"));
    if let (true, Some(h)) = (remote, &rule.after_return_hours) {
        let Some(back) = input.returned_at else {
            return Err(NoDeadline::NotReturned);
        };
        let h = *h.get_ref();
        return Ok(Deadline {
            at: back.max(input.work_end) + Duration::hours(h),
            rule: format!("返回单位后 {h} 小时内"),
            article: cite,
        });
    }
    let ordinary = match rule.base {
        DeadlineBase::SameDay => Deadline {
            at: end_of_local_day(local_date(input.work_end)),
            rule: "执法活动当天（24:00 前）".into(),
            article: cite.clone(),
        },
        DeadlineBase::Hours => {
            let h = rule.hours.as_ref().map(|h| *h.get_ref()).unwrap_or(24);
            Deadline {
                at: input.work_end + Duration::hours(h),
                rule: format!("执法活动结束后 {h} 小时内"),
                article: cite.clone(),
            }
        }
    };
    let Some(ext) = &rule.extension else {
        return Ok(ordinary);
    };
    if !input.extension_approved {
        return Ok(ordinary);
    }
    let excluded = input
        .activity
        .and_then(|a| ext.excluded_flags.iter().find(|f| a.has_flag(f.get_ref())));
    if let Some(f) = excluded {
        return Ok(Deadline {
            rule: format!(
                "{}（已批准延期，但现场有“{}”情形，不适用延期）",
                ordinary.rule,
                flag_label(f.get_ref())
            ),
            article: profile.cite(&ext.article),
            ..ordinary
        });
    }
    let n = u32::try_from(*ext.working_days.get_ref()).unwrap_or(0);
    let day = calendar
        .add_working_days(local_date(input.work_end), n)
        .map_err(|e| NoDeadline::Calendar(e.to_string()))?;
    let extended = end_of_local_day(day);
    Ok(Deadline {
        at: extended.max(ordinary.at),
        rule: format!("经批准延期至 {n} 个工作日内（{day} 24:00 前）"),
        article: profile.cite(&ext.article),
    })
}

fn flag_label(flag: &str) -> &str {
    crate::profile::FLAGS
        .iter()
        .find(|(id, _)| *id == flag)
        .map(|(_, l)| *l)
        .unwrap_or(flag)
}

//! Activities as their documents record them (R7), linked at once to the recordings they
//! already have.

use chrono::{DateTime, Duration, Utc};
use zhilu_model::*;
use zhilu_policy::ids::SubjectCode;
use zhilu_store::{Change, Counter};

use super::links::auto_link_changes;
use crate::App;
use crate::actor::{Action, Actor};
use crate::error::{AppError, Field, Thing, id};
use crate::registry::{opt_text, text};

/// What registering an activity asks for.
#[derive(Debug, Clone, Default)]
pub struct NewActivity {
    /// A checklist kind of the profile in force.
    pub kind: String,
    pub subject_name: String,
    /// Unified social credit code or resident ID number; its check digit is verified.
    pub subject_code: Option<String>,
    pub place: String,
    pub officers: Vec<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub case_no: Option<String>,
    pub flags: Vec<String>,
}

/// The longest activity accepted: longer is almost always a typing mistake in a date.
const LONGEST: i64 = 7;

/// Registers an activity (R7) and links the recordings that match it. Returns the activity and
/// how many recordings were linked.
pub async fn add_activity(
    app: &App,
    actor: &Actor,
    a: NewActivity,
) -> Result<(Activity, usize), AppError> {
    let profile = app.profile().await?;
    let kind = profile.activity_kind(&a.kind)?.kind.get_ref().clone();
    let subject_name = text(Field::SubjectName, &a.subject_name)?;
    let place = text(Field::Place, &a.place)?;
    let code = match a
        .subject_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(c) => Some(
            SubjectCode::parse(c)
                .map_err(|e| AppError::invalid(Field::SubjectCode, e.to_string()))?,
        ),
        None => None,
    };
    if a.end <= a.start {
        return Err(AppError::invalid(
            Field::End,
            format!(
                "结束时间 {} 早于或等于开始时间 {}",
                crate::beijing(a.end),
                crate::beijing(a.start)
            ),
        ));
    }
    if a.end - a.start > Duration::days(LONGEST) {
        return Err(AppError::invalid(
            Field::End,
            format!("一次执法活动不能超过 {LONGEST} 天，请核对时间"),
        ));
    }
    if a.officers.is_empty() {
        return Err(AppError::invalid(Field::Officers, "至少需要一名执法人员"));
    }
    let mut officers: Vec<OfficerId> = Vec::new();
    for o in &a.officers {
        let o = id(Field::Officers, OfficerId::parse, o)?;
        if app.catalog.officer(&o).await?.is_none() {
            return Err(AppError::NotFound {
                what: Thing::Officer,
                id: o.to_string(),
            });
        }
        if officers.contains(&o) {
            return Err(AppError::invalid(
                Field::Officers,
                format!("执法人员 {o} 重复"),
            ));
        }
        officers.push(o);
    }
    app.require_for(actor, Action::WriteRecords, &officers, &[])
        .await?;
    let mut flags = Vec::new();
    for f in &a.flags {
        let f = f.trim();
        zhilu_policy::profile::check_flag(f)?;
        if !flags.iter().any(|x: &String| x == f) {
            flags.push(f.to_string());
        }
    }
    let case_no = opt_text(Field::Case, a.case_no.as_deref())?;
    let day = zhilu_policy::facts::local_date(a.start)
        .format("%Y%m%d")
        .to_string();
    let activity = Activity {
        id: id(
            Field::Activity,
            ActivityId::parse,
            &app.catalog.next_id(&Counter::ActivityDay(day)).await?,
        )?,
        kind,
        subject_name,
        subject_code: code.as_ref().map(|c| c.as_str().to_string()),
        subject_code_kind: code.as_ref().and_then(|c| {
            serde_json::to_value(c.kind())
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
        }),
        place,
        officers,
        start: a.start,
        end: a.end,
        case_no,
        flags,
        created_at: app.now(),
        created_by: actor.ledger_name().to_string(),
    };
    let mut changes = vec![Change::insert(activity.clone())];
    let links = auto_link_changes(app, &profile, std::slice::from_ref(&activity), None).await?;
    let linked = links.len();
    changes.extend(links);
    app.record(actor, changes).await?;
    Ok((activity, linked))
}

/// One activity.
pub async fn activity(app: &App, actor: &Actor, activity: &str) -> Result<Activity, AppError> {
    actor.require_any(Action::ReadRecords)?;
    actor.reads("activity");
    let id = id(Field::Activity, ActivityId::parse, activity)?;
    let not_found = || AppError::NotFound {
        what: Thing::Activity,
        id: id.to_string(),
    };
    let a = app.catalog.activity(&id).await?.ok_or_else(not_found)?;
    let vis = crate::access::visibility(app, actor).await?;
    let item = crate::access::Item::Activity(a.id.clone());
    if !vis.sees(&item)
        || !app
            .sees_people(actor, Action::ReadRecords, &a.officers)
            .await?
    {
        return Err(not_found());
    }
    app.log_classified_shown(actor, &vis, "activity", [item])
        .await?;
    Ok(a)
}

/// Every activity, by start.
pub async fn activities(app: &App, actor: &Actor) -> Result<Vec<Activity>, AppError> {
    actor.require_any(Action::ReadRecords)?;
    actor.reads("activities");
    let vis = crate::access::visibility(app, actor).await?;
    let mut out = Vec::new();
    for a in app.catalog.activities().await? {
        if vis.sees(&crate::access::Item::Activity(a.id.clone()))
            && app
                .sees_people(actor, Action::ReadRecords, &a.officers)
                .await?
        {
            out.push(a);
        }
    }
    app.log_classified_shown(
        actor,
        &vis,
        "activities",
        out.iter()
            .map(|a| crate::access::Item::Activity(a.id.clone())),
    )
    .await?;
    Ok(out)
}

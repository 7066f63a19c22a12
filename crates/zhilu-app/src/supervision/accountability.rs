//! Accountability (R28, R29): annual reviews (年度评查, lushan-sj §17), violations recorded
//! against officers from the profile's catalogue with the finding cases and ledger entries that
//! prove them, and the sanctions decided on them. A sanction the profile marks as stopping
//! enforcement (`suspends_months`, 停止执法工作一个月) is enforced: the checkout refuses that
//! officer during it ([`refuse_if_suspended`]); an activity recorded with them anyway is kept and
//! the compliance check flags it (`enforcement_while_suspended`).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use zhilu_model::*;
use zhilu_policy::engine::suspension_end;
use zhilu_policy::facts::{end_of_local_day, local_date};
use zhilu_policy::profile::{CatalogItem, NotInProfile, Profile};
use zhilu_store::{Change, Counter};

use crate::App;
use crate::actor::{Action, Actor, Scope};
use crate::error::{AppError, Field, Thing, id};

/// Longest description or summary, in characters.
pub const MAX_TEXT: usize = 2000;
/// Most linked finding cases or ledger entries on one violation.
pub const MAX_LINKS: usize = 100;

/// What recording a violation asks for.
#[derive(Debug, Clone, Default)]
pub struct NewViolation {
    pub officer: String,
    /// The catalogue id in the profile (`lend_device`).
    pub kind: String,
    pub description: String,
    pub occurred_on: Option<NaiveDate>,
    /// Finding cases that prove it (`WT00001`).
    pub findings: Vec<String>,
    /// Ledger entries (sequence numbers) that prove it.
    pub entries: Vec<u64>,
}

/// What recording a sanction asks for.
#[derive(Debug, Clone, Default)]
pub struct NewSanction {
    pub violation: String,
    /// The catalogue id in the profile (`suspend_one_month`).
    pub kind: String,
    pub decided_on: Option<NaiveDate>,
    /// When it takes effect; the decision day when not given.
    pub from: Option<NaiveDate>,
    /// Who decided it, as written on the decision; the recorder's name when not given.
    pub decided_by: Option<String>,
}

/// What recording an annual review asks for.
#[derive(Debug, Clone, Default)]
pub struct NewAnnualReview {
    pub year: i32,
    pub held_on: Option<NaiveDate>,
    pub summary: String,
}

/// A sanction with its catalogue text and whether it stops enforcement today.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SanctionView {
    #[serde(flatten)]
    pub sanction: Sanction,
    /// The catalogue's words (`停止执法工作一个月`).
    pub text: String,
    /// The article it rests on, cited (`jinpu-wj §28(三)`).
    pub article: String,
    /// The last day of a suspension of enforcement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_day: Option<NaiveDate>,
    /// The suspension runs today.
    pub suspending_now: bool,
}

/// A violation with its catalogue text and its sanctions.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ViolationView {
    #[serde(flatten)]
    pub violation: Violation,
    pub officer_name: String,
    pub text: String,
    pub article: String,
    pub sanctions: Vec<SanctionView>,
}

/// One calendar year's annual review (R28) as it stands.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewYear {
    pub year: i32,
    /// The last day to hold it (the profile's `annual_review.by`).
    pub due: NaiveDate,
    pub reviews: Vec<AnnualReview>,
    /// Past the due day with none recorded.
    pub overdue: bool,
}

/// The annual reviews: the recorded ones, and per year since the agency started keeping records
/// here, whether the profile's date has passed without one.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnnualReviews {
    /// The article requiring one (`lushan-sj §17`); none when the profile requires none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    pub years: Vec<ReviewYear>,
    /// Every recorded review, by year.
    pub reviews: Vec<AnnualReview>,
}

/// Everything the accountability page shows.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub violations: Vec<ViolationView>,
    pub annual: AnnualReviews,
    /// The profile's catalogues, for the forms.
    pub violation_kinds: Vec<KindView>,
    pub sanction_kinds: Vec<KindView>,
}

/// One entry of a catalogue.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindView {
    pub id: String,
    pub text: String,
    pub article: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspends_months: Option<i64>,
}

fn kind_view(p: &Profile, k: &CatalogItem) -> KindView {
    KindView {
        id: k.id.get_ref().clone(),
        text: k.text.clone(),
        article: p.cite(&k.article),
        suspends_months: k.suspends_months.as_ref().map(|m| *m.get_ref()),
    }
}

fn catalogue_item<'p>(
    p: &'p Profile,
    list: &'p [CatalogItem],
    given: &str,
    what: &str,
) -> Result<&'p CatalogItem, AppError> {
    let given = given.trim();
    list.iter()
        .find(|k| k.id.get_ref() == given)
        .ok_or_else(|| {
            AppError::NotInProfile(NotInProfile {
                what: format!("配置 {} 的{what}", p.id()),
                given: given.to_string(),
                choices: list
                    .iter()
                    .map(|k| (k.id.get_ref().clone(), k.text.clone()))
                    .collect(),
            })
        })
}

/// Free text of up to [`MAX_TEXT`] characters (line breaks allowed).
fn long_text(field: Field, s: &str) -> Result<String, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::invalid(field, "不能为空"));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(AppError::invalid(
            field,
            format!("不能超过 {MAX_TEXT} 个字符"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::invalid(field, "不能包含控制字符"));
    }
    Ok(s.to_string())
}

fn recorder(actor: &Actor, action: &'static str) -> Result<OfficerId, AppError> {
    actor
        .person_id()
        .cloned()
        .ok_or_else(|| AppError::ActorNotOfficer {
            actor: actor.to_string(),
            action,
        })
}

fn not_future(field: Field, day: NaiveDate, now: DateTime<Utc>) -> Result<NaiveDate, AppError> {
    let today = local_date(now);
    if day > today {
        return Err(AppError::invalid(
            field,
            format!("{day} 晚于今天（{today}）"),
        ));
    }
    Ok(day)
}

/// Records a violation by an officer (R29).
pub async fn add_violation(
    app: &App,
    actor: &Actor,
    v: NewViolation,
) -> Result<Violation, AppError> {
    actor.require_any(Action::RecordAccountability)?;
    let officer = crate::registry::officer(app, &v.officer).await?;
    app.require_for(
        actor,
        Action::RecordAccountability,
        std::slice::from_ref(&officer.id),
        &[],
    )
    .await?;
    let recorded_by = recorder(actor, "登记违规行为")?;
    let profile = app.profile().await?;
    let kind = catalogue_item(&profile, &profile.violations, &v.kind, "违规行为目录")?;
    let description = long_text(Field::Detail, &v.description)?;
    let now = app.now();
    let occurred_on = not_future(
        Field::Day,
        v.occurred_on.unwrap_or_else(|| local_date(now)),
        now,
    )?;
    if v.findings.len() > MAX_LINKS || v.entries.len() > MAX_LINKS {
        return Err(AppError::invalid(
            Field::Record,
            format!("关联的问题或审计日志条目不能超过 {MAX_LINKS} 个"),
        ));
    }
    let mut findings = Vec::new();
    for f in &v.findings {
        let f = id(Field::Record, RecordId::parse, f.trim())?;
        if !findings.contains(&f.to_string()) {
            findings.push(f.into_string());
        }
    }
    let size = app.catalog.ledger_size().await?;
    let mut entries: Vec<u64> = Vec::new();
    for e in &v.entries {
        if *e >= size {
            return Err(AppError::invalid(
                Field::Record,
                format!("审计日志第 {e} 条不存在（共 {size} 条，自 0 起编号）"),
            ));
        }
        if !entries.contains(e) {
            entries.push(*e);
        }
    }
    entries.sort_unstable();
    let row = Violation {
        id: id(
            Field::Record,
            RecordId::parse,
            &app.catalog.next_id(&Counter::Violation).await?,
        )?,
        officer: officer.id,
        kind: kind.id.get_ref().clone(),
        description,
        occurred_on,
        findings,
        entries,
        recorded_by,
        recorded_at: now,
    };
    app.record(actor, vec![Change::insert(row.clone())]).await?;
    Ok(row)
}

/// Records a sanction decided on a violation (R29). One the profile marks `suspends_months`
/// stops the officer's enforcement work over `[from, from + n months)`.
pub async fn add_sanction(app: &App, actor: &Actor, s: NewSanction) -> Result<Sanction, AppError> {
    actor.require_any(Action::RecordAccountability)?;
    let vid = id(Field::Record, RecordId::parse, s.violation.trim())?;
    let violation = app
        .catalog
        .violation(&vid)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Violation,
            id: vid.to_string(),
        })?
        .record;
    app.require_for(
        actor,
        Action::RecordAccountability,
        std::slice::from_ref(&violation.officer),
        &[],
    )
    .await?;
    let recorded_by = recorder(actor, "登记处理措施")?;
    let profile = app.profile().await?;
    let kind = catalogue_item(&profile, &profile.sanctions, &s.kind, "处理措施目录")?;
    let now = app.now();
    let decided_on = not_future(
        Field::Day,
        s.decided_on.unwrap_or_else(|| local_date(now)),
        now,
    )?;
    let from = s.from.unwrap_or(decided_on);
    if from < decided_on {
        return Err(AppError::invalid(
            Field::Start,
            format!("执行日期 {from} 早于决定日期 {decided_on}"),
        ));
    }
    let decided_by = match s
        .decided_by
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(by) => crate::registry::text(Field::Name, by)?,
        None => match app.catalog.officer(&recorded_by).await? {
            Some(o) => o.name,
            None => recorded_by.to_string(),
        },
    };
    let row = Sanction {
        id: id(
            Field::Record,
            RecordId::parse,
            &app.catalog.next_id(&Counter::Sanction).await?,
        )?,
        violation: violation.id,
        officer: violation.officer,
        kind: kind.id.get_ref().clone(),
        decided_on,
        from,
        to: suspension_end(&profile, kind.id.get_ref(), from),
        decided_by,
        recorded_by,
        recorded_at: now,
    };
    app.record(actor, vec![Change::insert(row.clone())]).await?;
    Ok(row)
}

/// Records an annual review (R28).
pub async fn add_annual_review(
    app: &App,
    actor: &Actor,
    r: NewAnnualReview,
) -> Result<AnnualReview, AppError> {
    actor.require_any(Action::RecordAccountability)?;
    let recorded_by = recorder(actor, "登记年度评查")?;
    let now = app.now();
    let this_year = local_date(now).year();
    if !(2000..=this_year).contains(&r.year) {
        return Err(AppError::invalid(
            Field::Year,
            format!("应在 2000 至 {this_year} 之间（{}）", r.year),
        ));
    }
    let held_on = not_future(
        Field::Day,
        r.held_on.unwrap_or_else(|| local_date(now)),
        now,
    )?;
    if held_on.year() < r.year {
        return Err(AppError::invalid(
            Field::Day,
            format!("{held_on} 早于所评查的 {} 年度", r.year),
        ));
    }
    let row = AnnualReview {
        id: id(
            Field::Record,
            RecordId::parse,
            &app.catalog.next_id(&Counter::AnnualReview).await?,
        )?,
        year: r.year,
        held_on,
        summary: long_text(Field::Detail, &r.summary)?,
        recorded_by,
        recorded_at: now,
    };
    app.record(actor, vec![Change::insert(row.clone())]).await?;
    Ok(row)
}

/// The sanction that stops `officer`'s enforcement work on `day`, if any.
pub async fn suspension_on(
    app: &App,
    officer: &OfficerId,
    day: NaiveDate,
) -> Result<Option<Sanction>, AppError> {
    Ok(app
        .catalog
        .sanctions_of(officer)
        .await?
        .into_iter()
        .find(|s| s.to.is_some_and(|to| s.from <= day && day < to)))
}

/// Refuses a checkout to an officer whose enforcement work is stopped on the day of `at` (R29).
pub(crate) async fn refuse_if_suspended(
    app: &App,
    officer: &OfficerId,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    match suspension_on(app, officer, local_date(at)).await? {
        Some(s) => Err(AppError::Suspended {
            officer: officer.to_string(),
            from: s.from,
            last: s.to.and_then(|t| t.pred_opt()).unwrap_or(s.from),
            sanction: s.id.to_string(),
        }),
        None => Ok(()),
    }
}

fn sanction_view(p: &Profile, s: Sanction, today: NaiveDate) -> SanctionView {
    let item = p.sanctions.iter().find(|k| k.id.get_ref() == &s.kind);
    SanctionView {
        text: item.map_or_else(|| s.kind.clone(), |k| k.text.clone()),
        article: item.map_or_else(String::new, |k| p.cite(&k.article)),
        last_day: s.to.and_then(|t| t.pred_opt()),
        suspending_now: s.to.is_some_and(|to| s.from <= today && today < to),
        sanction: s,
    }
}

/// The violations the actor may see (an officer: their own), each with its sanctions.
pub async fn violations(app: &App, actor: &Actor) -> Result<Vec<ViolationView>, AppError> {
    let scope = actor.require_any(Action::ReadSupervision)?;
    actor.reads("violations");
    let profile = app.profile().await?;
    let today = local_date(app.now());
    let names: std::collections::HashMap<OfficerId, String> = app
        .catalog
        .officers()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut sanctions = app.catalog.sanctions().await?;
    let mut out = Vec::new();
    for v in app.catalog.violations().await? {
        if scope != Scope::All
            && !app
                .sees_people(
                    actor,
                    Action::ReadSupervision,
                    std::slice::from_ref(&v.officer),
                )
                .await?
        {
            continue;
        }
        let item = profile
            .violations
            .iter()
            .find(|k| k.id.get_ref() == &v.kind);
        let (mine, rest): (Vec<Sanction>, Vec<Sanction>) =
            sanctions.into_iter().partition(|s| s.violation == v.id);
        sanctions = rest;
        out.push(ViolationView {
            officer_name: names.get(&v.officer).cloned().unwrap_or_default(),
            text: item.map_or_else(|| v.kind.clone(), |k| k.text.clone()),
            article: item.map_or_else(String::new, |k| profile.cite(&k.article)),
            sanctions: mine
                .into_iter()
                .map(|s| sanction_view(&profile, s, today))
                .collect(),
            violation: v,
        });
    }
    Ok(out)
}

/// The sanctions the actor may see (an officer: their own).
pub async fn sanctions(app: &App, actor: &Actor) -> Result<Vec<SanctionView>, AppError> {
    Ok(violations(app, actor)
        .await?
        .into_iter()
        .flat_map(|v| v.sanctions)
        .collect())
}

/// The annual reviews and, per year since the first officer was registered, whether one is due
/// or overdue (R28).
pub async fn annual_reviews(app: &App, actor: &Actor) -> Result<AnnualReviews, AppError> {
    actor.require_any(Action::ReadSupervision)?;
    actor.reads("annual reviews");
    let profile = app.profile().await?;
    let reviews = app.catalog.annual_reviews().await?;
    let now = app.now();
    let since = app
        .catalog
        .officers()
        .await?
        .iter()
        .map(|o| o.created_at)
        .min();
    let mut years = Vec::new();
    if let (Some(rule), Some(since)) = (&profile.annual_review, since) {
        for year in (local_date(since).year()..=local_date(now).year()).rev() {
            let Some(due) = rule.deadline(year) else {
                continue;
            };
            let of_year: Vec<AnnualReview> =
                reviews.iter().filter(|r| r.year == year).cloned().collect();
            years.push(ReviewYear {
                year,
                due,
                overdue: of_year.is_empty() && end_of_local_day(due) <= now,
                reviews: of_year,
            });
        }
    }
    Ok(AnnualReviews {
        article: profile
            .annual_review
            .as_ref()
            .map(|r| profile.cite(&r.article)),
        years,
        reviews,
    })
}

/// What the accountability page shows (责任追究).
pub async fn overview(app: &App, actor: &Actor) -> Result<Overview, AppError> {
    let violations = violations(app, actor).await?;
    let annual = annual_reviews(app, actor).await?;
    let profile = app.profile().await?;
    Ok(Overview {
        violations,
        annual,
        violation_kinds: profile
            .violations
            .iter()
            .map(|k| kind_view(&profile, k))
            .collect(),
        sanction_kinds: profile
            .sanctions
            .iter()
            .map(|k| kind_view(&profile, k))
            .collect(),
    })
}

/// A Beijing calendar day typed as `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Result<NaiveDate, AppError> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(Field::Day, format!("“{s}”不是有效的日期，例如 2026-11-20")))
}

/// A year as typed (`2026`).
pub fn parse_year(s: &str) -> Result<i32, AppError> {
    let s = s.trim();
    s.parse::<i32>()
        .ok()
        .filter(|y| (2000..=9999).contains(y))
        .ok_or_else(|| AppError::invalid(Field::Year, format!("“{s}”不是有效的年度，例如 2026")))
}

//! Sampling review (R27: zhejiang-rf §23, jinpu-wj §26, lushan-sj §17): a supervisor draws a
//! reproducible sample of a period's activities (`zhilu_policy::sampling`, algorithm
//! `zhilu-sample-v1`: the seed, the population digest and the algorithm are ledgered with every
//! draw), reviewers score each sampled activity on the regulation's three check items plus the
//! checklist's content items (R6) and the notification phrase (R13), and the reviews roll up into
//! the enforcement-quality assessment (执法质量考评) per officer and unit with the profile's weights.
//!
//! No seed shopping: a second draw for a period overlapping an earlier one needs a stated reason,
//! which is ledgered with it. A reviewer never reviews an activity they took part in.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_model::*;
use zhilu_policy::profile::Profile;
use zhilu_policy::sampling::{self as rule, Candidate, Grade, Period};
use zhilu_store::{Change, Counter};

use crate::App;
use crate::access::{Item, visibility};
use crate::actor::{Action, Actor, Target};
use crate::error::{AppError, Field, Thing, id};
use crate::export::sheets::{Cell, Sheet, SheetKind};
use crate::registry::text;
use crate::time::beijing;

/// How the algorithm is described to people (CLI output, pages).
pub const ALGORITHM_TEXT: &str = "zhilu-sample-v1：在每个分层内，按 SHA-256(种子 ‖ 0x00 ‖ 活动编号) 的十六进制值升序排列，取前 ⌈比例 × 分层数量⌉ 个；总体摘要为按编号排序、以换行连接的活动编号的 SHA-256";

/// What a draw asks for.
#[derive(Debug, Clone)]
pub struct DrawAsk {
    /// `2026-Q4`, `2026-11`, `2026` or `2026-10-01..2026-12-31`.
    pub period: String,
    /// Default: the profile's `sampling.ratio`.
    pub ratio: Option<f64>,
    pub by: SampleBy,
    pub seed: String,
    /// Required when an earlier draw covers part of the period.
    pub reason: Option<String>,
}

/// A draw with its reviews, as a reader may see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawDetail {
    #[serde(flatten)]
    pub draw: SampleDraw,
    /// The period as typed (`2026-Q4`).
    pub period: String,
    /// How the algorithm works, in Chinese.
    pub algorithm_text: String,
    /// The sampled activities the reader may see, each with its review if any.
    pub entries: Vec<DrawEntry>,
    /// Sampled activities hidden from this reader (scope or clearance).
    pub hidden: usize,
}

/// One sampled activity of a draw.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawEntry {
    pub activity: ActivityId,
    pub kind: String,
    pub start: DateTime<Utc>,
    pub officers: Vec<OfficerId>,
    pub review: Option<SampleReview>,
}

/// What `verify` found: whether the population and the sample are still what was drawn.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    pub draw: RecordId,
    pub population_matches: bool,
    pub sample_matches: bool,
    pub population_count: u64,
    pub population_digest: String,
    /// The sample drawn again now, with the draw's seed.
    pub items: Vec<ActivityId>,
}

/// A review as asked: the results typed per item key.
#[derive(Debug, Clone, Default)]
pub struct ReviewAsk {
    pub draw: String,
    pub activity: String,
    /// (item key, result as 符合/基本符合/不符合/不适用 or pass/partial/fail/na).
    pub items: Vec<(String, String)>,
    /// The result of every item not given.
    pub others: Option<String>,
    pub comment: String,
}

/// One line of the assessment.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessmentLine {
    /// An officer id, or the unit's name.
    pub id: String,
    /// The officer's name, or the unit's name.
    pub name: String,
    pub unit: String,
    /// 0–100, `None` when nothing reviewed applied.
    pub score: Option<f64>,
    pub reviewed: usize,
}

/// One group of check items and its weight.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Weight {
    pub group: String,
    /// The group's name for people (环节完整, 连续不间断…).
    pub label: String,
    pub weight: f64,
}

/// The enforcement-quality assessment (执法质量考评) of a period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessmentView {
    pub period: String,
    pub period_from: chrono::NaiveDate,
    pub period_to: chrono::NaiveDate,
    /// The check-item groups' weights from the profile, the agency's choice.
    pub weights: Vec<Weight>,
    pub officers: Vec<AssessmentLine>,
    pub units: Vec<AssessmentLine>,
}

fn period(s: &str) -> Result<Period, AppError> {
    Period::parse(s).map_err(|e| AppError::invalid(Field::Period, e))
}

fn draw_id(s: &str) -> Result<RecordId, AppError> {
    id(Field::Record, RecordId::parse, s)
}

fn draw_period(d: &SampleDraw) -> Period {
    Period {
        from: d.period_from,
        to: d.period_to,
    }
}

/// The population of a period: every activity starting in it, whatever its class (the digest
/// must not depend on who draws), with its stratum.
async fn population(
    app: &App,
    p: &Period,
    by: SampleBy,
) -> Result<(Vec<Activity>, Vec<Candidate>), AppError> {
    let (from, to) = p.bounds();
    let activities = app.catalog.activities_starting(from, to).await?;
    let units: HashMap<OfficerId, String> = app
        .catalog
        .officers()
        .await?
        .into_iter()
        .map(|o| (o.id, o.unit))
        .collect();
    let candidates = activities
        .iter()
        .map(|a| Candidate {
            id: a.id.to_string(),
            stratum: match by {
                SampleBy::Unit => a
                    .officers
                    .first()
                    .and_then(|o| units.get(o))
                    .cloned()
                    .unwrap_or_else(|| "（未登记单位）".into()),
                SampleBy::Kind => a.kind.clone(),
                SampleBy::All => rule::ONE_STRATUM.into(),
            },
        })
        .collect();
    Ok((activities, candidates))
}

fn activity_ids(items: &[String]) -> Result<Vec<ActivityId>, AppError> {
    items
        .iter()
        .map(|i| id(Field::Activity, ActivityId::parse, i))
        .collect()
}

/// Draws a sample (R27) and ledgers it with its seed, algorithm and population digest. Refuses a
/// draw for a period overlapping an earlier draw's unless a reason is given.
pub async fn draw(app: &App, actor: &Actor, ask: DrawAsk) -> Result<SampleDraw, AppError> {
    actor.require_any(Action::DrawSample)?;
    let drawn_by = actor
        .person_id()
        .cloned()
        .ok_or_else(|| AppError::ActorNotOfficer {
            actor: actor.to_string(),
            action: "抽取抽查样本",
        })?;
    let p = period(&ask.period)?;
    let profile = app.profile().await?;
    let ratio = ask.ratio.unwrap_or(*profile.sampling.ratio.get_ref());
    if !(ratio > 0.0 && ratio <= 1.0) {
        return Err(AppError::invalid(
            Field::Ratio,
            format!("抽查比例必须大于 0 且不超过 1（{ratio}）"),
        ));
    }
    let seed = text(Field::Seed, &ask.seed)?;
    let reason = match ask.reason.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => Some(text(Field::Reason, r)?),
        _ => None,
    };
    if reason.is_none() {
        let earlier: Vec<String> = app
            .catalog
            .sample_draws()
            .await?
            .into_iter()
            .filter(|d| draw_period(d).overlaps(&p))
            .map(|d| format!("{}（{}，种子 {}）", d.id, draw_period(&d).label(), d.seed))
            .collect();
        if !earlier.is_empty() {
            return Err(AppError::SampleRefused(format!(
                "期间 {} 已抽取过样本：{}。再次抽取须用 --reason 说明事由（不允许换种子重抽），未作任何改动",
                p.label(),
                earlier.join("、")
            )));
        }
    }
    let (_, candidates) = population(app, &p, ask.by).await?;
    let drawn = rule::draw(&seed, ratio, &candidates);
    let row = SampleDraw {
        id: draw_id(&app.catalog.next_id(&Counter::Sample).await?)?,
        period_from: p.from,
        period_to: p.to,
        ratio,
        by: ask.by,
        seed,
        algorithm: rule::ALGORITHM.into(),
        population_count: drawn.population_count as u64,
        population_digest: drawn.population_digest,
        items: activity_ids(&drawn.items)?,
        strata: drawn
            .strata
            .into_iter()
            .map(|s| SampleStratum {
                name: s.name,
                population: s.population as u64,
                drawn: s.drawn as u64,
            })
            .collect(),
        reason,
        drawn_by,
        drawn_at: app.now(),
    };
    app.record(actor, vec![Change::insert(row.clone())]).await?;
    Ok(row)
}

async fn load(app: &App, draw: &str) -> Result<SampleDraw, AppError> {
    let rid = draw_id(draw)?;
    app.catalog
        .sample_draw(&rid)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::SampleDraw,
            id: rid.to_string(),
        })
}

/// Every draw, newest first (samples are the supervisor's and the legal office's business;
/// anyone who may read supervision sees that they exist).
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<SampleDraw>, AppError> {
    actor.require_any(Action::ReadSupervision)?;
    actor.reads("抽查样本");
    let reach = Reach::read(app, actor).await?;
    let mut all = app.catalog.sample_draws().await?;
    all.reverse();
    for d in &mut all {
        let mut shown = Vec::new();
        for a in &d.items {
            if reach.activity(app, actor, a).await?.is_some() {
                shown.push(a.clone());
            }
        }
        d.items = shown;
    }
    Ok(all)
}

/// What a reader may see of sampled activities: their scope of `ReadSupervision` and their
/// clearances (R25).
struct Reach {
    vis: crate::access::Visibility,
    units: HashMap<OfficerId, String>,
}

impl Reach {
    async fn read(app: &App, actor: &Actor) -> Result<Reach, AppError> {
        Ok(Reach {
            vis: visibility(app, actor).await?,
            units: unit_map(app).await?,
        })
    }

    /// The activity, if it exists and the reader may see it.
    async fn activity(
        &self,
        app: &App,
        actor: &Actor,
        a: &ActivityId,
    ) -> Result<Option<Activity>, AppError> {
        let Some(act) = app.catalog.activity(a).await? else {
            return Ok(None);
        };
        let unit_list: Vec<String> = act
            .officers
            .iter()
            .filter_map(|o| self.units.get(o).cloned())
            .collect();
        let target = Target {
            people: &act.officers,
            units: &unit_list,
        };
        Ok((actor.allows(Action::ReadSupervision, target)
            && self.vis.sees(&Item::Activity(a.clone())))
        .then_some(act))
    }
}

/// One draw with its sampled activities and their reviews; activities outside the reader's reach
/// or clearance are counted, not shown.
pub async fn show(app: &App, actor: &Actor, draw: &str) -> Result<DrawDetail, AppError> {
    actor.require_any(Action::ReadSupervision)?;
    let d = load(app, draw).await?;
    actor.reads("抽查样本");
    let reach = Reach::read(app, actor).await?;
    let mut reviews: HashMap<ActivityId, SampleReview> = app
        .catalog
        .sample_reviews(&d.id)
        .await?
        .into_iter()
        .map(|r| (r.activity.clone(), r))
        .collect();
    let mut entries = Vec::new();
    let mut hidden = 0;
    for a in &d.items {
        let Some(act) = reach.activity(app, actor, a).await? else {
            hidden += 1;
            continue;
        };
        entries.push(DrawEntry {
            activity: a.clone(),
            kind: act.kind.clone(),
            start: act.start,
            officers: act.officers.clone(),
            review: reviews.remove(a),
        });
    }
    // The draw as the reader may see it: the items outside their reach are only counted.
    let mut d = d;
    d.items = entries.iter().map(|e| e.activity.clone()).collect();
    Ok(DrawDetail {
        period: draw_period(&d).label(),
        algorithm_text: ALGORITHM_TEXT.into(),
        draw: d,
        entries,
        hidden,
    })
}

/// Draws again from the catalog as it is now, with the draw's seed, ratio and strata, and says
/// whether the population and the sample are still those ledgered.
pub async fn verify(app: &App, actor: &Actor, draw: &str) -> Result<Verification, AppError> {
    // It names every sampled activity: for those who read all of supervision.
    if actor.require_any(Action::ReadSupervision)? != crate::actor::Scope::All {
        return Err(AppError::Forbidden {
            actor: actor.to_string(),
            action: "核对抽查样本",
        });
    }
    let d = load(app, draw).await?;
    let (_, candidates) = population(app, &draw_period(&d), d.by).await?;
    let again = rule::draw(&d.seed, d.ratio, &candidates);
    let items = activity_ids(&again.items)?;
    Ok(Verification {
        draw: d.id.clone(),
        population_matches: again.population_digest == d.population_digest
            && again.population_count as u64 == d.population_count,
        sample_matches: items == d.items,
        population_count: again.population_count as u64,
        population_digest: again.population_digest,
        items,
    })
}

/// The check items of a review of `activity` (R27): the regulation's three, the checklist's
/// content items for its kind (R6), the notification phrase (R13). (key, what it checks).
pub fn check_items(profile: &Profile, kind: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = rule::CORE_ITEMS
        .iter()
        .map(|(k, l)| ((*k).to_string(), (*l).to_string()))
        .collect();
    if let Some(row) = profile.kind(kind) {
        for (i, c) in row.content.iter().enumerate() {
            out.push((
                format!("{}{}", rule::CONTENT_PREFIX, i + 1),
                format!("记录内容：{c}"),
            ));
        }
    }
    out.push((
        rule::NOTIFICATION_ITEM.into(),
        format!("告知用语：{}", profile.notification.phrase),
    ));
    out
}

fn result(key: &str, s: &str) -> Result<ReviewResult, AppError> {
    ReviewResult::parse_label_or_code(s).map_err(|e| {
        AppError::invalid(
            Field::ReviewItem,
            format!("{key}：{e}（可选：符合、基本符合、不符合、不适用）"),
        )
    })
}

/// Scores one sampled activity (R27). Refused when the activity is not in the draw, when the
/// reviewer took part in it, when it was already reviewed in this draw, or when an item is
/// unknown or missing.
pub async fn review(app: &App, actor: &Actor, ask: ReviewAsk) -> Result<SampleReview, AppError> {
    actor.require_any(Action::ReviewSample)?;
    let reviewer = actor
        .person_id()
        .cloned()
        .ok_or_else(|| AppError::ActorNotOfficer {
            actor: actor.to_string(),
            action: "评查抽查样本",
        })?;
    let d = load(app, &ask.draw).await?;
    let aid = id(Field::Activity, ActivityId::parse, &ask.activity)?;
    if !d.items.contains(&aid) {
        return Err(AppError::SampleRefused(format!(
            "执法活动 {aid} 不在抽查样本 {} 中，不能评查",
            d.id
        )));
    }
    let act = app
        .catalog
        .activity(&aid)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Activity,
            id: aid.to_string(),
        })?;
    if act.officers.contains(&reviewer) {
        return Err(AppError::SampleRefused(format!(
            "{reviewer} 参与了执法活动 {aid}，不能评查本人参与的执法活动（请由其他监督人员评查）"
        )));
    }
    let vis = visibility(app, actor).await?;
    if !vis.sees(&Item::Activity(aid.clone())) {
        return Err(AppError::NotFound {
            what: Thing::Activity,
            id: aid.to_string(),
        });
    }
    if app
        .catalog
        .sample_reviews(&d.id)
        .await?
        .iter()
        .any(|r| r.activity == aid)
    {
        return Err(AppError::AlreadyExists {
            what: Thing::SampleReview,
            id: format!("{}/{aid}", d.id),
        });
    }
    let profile = app.profile().await?;
    let expected = check_items(&profile, &act.kind);
    let mut given: BTreeMap<String, ReviewResult> = BTreeMap::new();
    for (k, v) in &ask.items {
        let k = k.trim();
        if !expected.iter().any(|(e, _)| e == k) {
            return Err(AppError::invalid(
                Field::ReviewItem,
                format!(
                    "“{k}”不是本活动的评查项目，可选：{}",
                    expected
                        .iter()
                        .map(|(e, _)| e.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            ));
        }
        given.insert(k.to_string(), result(k, v)?);
    }
    let others = ask
        .others
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| result("其余项目", s))
        .transpose()?;
    let mut items = Vec::new();
    let mut missing = Vec::new();
    for (k, label) in expected {
        match given.get(&k).copied().or(others) {
            Some(r) => items.push(ReviewItem {
                key: k,
                label,
                result: r,
            }),
            None => missing.push(format!("{k}（{label}）")),
        }
    }
    if !missing.is_empty() {
        return Err(AppError::invalid(
            Field::ReviewItem,
            format!("缺少评查项目的结果：{}", missing.join("、")),
        ));
    }
    let comment = ask.comment.trim();
    if comment.chars().count() > 2000 || comment.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid(
            Field::Comment,
            "评查意见不能超过 2000 个字符，也不能包含控制字符",
        ));
    }
    let row = SampleReview {
        draw: d.id.clone(),
        activity: aid,
        items,
        comment: comment.to_string(),
        reviewer,
        reviewed_at: app.now(),
    };
    app.record(actor, vec![Change::insert(row.clone())]).await?;
    Ok(row)
}

async fn unit_map(app: &App) -> Result<HashMap<OfficerId, String>, AppError> {
    Ok(app
        .catalog
        .officers()
        .await?
        .into_iter()
        .map(|o| (o.id, o.unit))
        .collect())
}

fn grade(r: ReviewResult) -> Grade {
    match r {
        ReviewResult::Pass => Grade::Pass,
        ReviewResult::Partial => Grade::Partial,
        ReviewResult::Fail => Grade::Fail,
        ReviewResult::NotApplicable => Grade::NotApplicable,
    }
}

/// The enforcement-quality assessment (执法质量考评) of a period: the reviews of activities
/// starting in it, rolled up per officer and unit with the profile's weights. An officer sees
/// their own line, a unit head their unit's, the supervisor, the legal office and leaders all.
pub async fn assess(app: &App, actor: &Actor, p: &str) -> Result<AssessmentView, AppError> {
    let scope = actor.require_any(Action::ReadSupervision)?;
    actor.reads("执法质量考评");
    let p = period(p)?;
    let profile = app.profile().await?;
    let officers: HashMap<OfficerId, Officer> = app
        .catalog
        .officers()
        .await?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    let reviews = app.catalog.all_sample_reviews().await?;
    let mut acts: HashMap<ActivityId, Activity> = HashMap::new();
    for r in &reviews {
        if !acts.contains_key(&r.activity)
            && let Some(a) = app.catalog.activity(&r.activity).await?
        {
            acts.insert(a.id.clone(), a);
        }
    }
    let none = String::new();
    let mut input = Vec::new();
    for r in &reviews {
        let Some(a) = acts.get(&r.activity) else {
            continue;
        };
        if !p.contains(a.start) {
            continue;
        }
        input.push(rule::Reviewed {
            activity: a.id.as_str(),
            officers: a
                .officers
                .iter()
                .map(|o| {
                    (
                        o.as_str(),
                        officers.get(o).map_or(none.as_str(), |x| x.unit.as_str()),
                    )
                })
                .collect(),
            items: r
                .items
                .iter()
                .map(|i| (i.key.as_str(), grade(i.result)))
                .collect(),
        });
    }
    let a = rule::assess(&input, &profile.sampling.weights);
    let me = actor.person_id();
    let my_unit = actor.unit();
    let sees_officer = |id: &str, unit: &str| match scope {
        crate::actor::Scope::All => true,
        crate::actor::Scope::Unit => Some(unit) == my_unit || me.is_some_and(|m| m.as_str() == id),
        crate::actor::Scope::Own => me.is_some_and(|m| m.as_str() == id),
    };
    let sees_unit = |unit: &str| match scope {
        crate::actor::Scope::All => true,
        crate::actor::Scope::Unit => Some(unit) == my_unit,
        crate::actor::Scope::Own => false,
    };
    Ok(AssessmentView {
        period: p.label(),
        period_from: p.from,
        period_to: p.to,
        weights: profile
            .sampling
            .weights
            .named()
            .iter()
            .map(|(n, w)| Weight {
                group: (*n).to_string(),
                // The profile names the content group `content`; its items are `content_<n>`.
                label: (if *n == "content" {
                    Some(rule::ItemGroup::Content)
                } else {
                    rule::ItemGroup::of(n)
                })
                .map(|g| g.label())
                .unwrap_or(n)
                .to_string(),
                weight: *w,
            })
            .collect(),
        officers: a
            .officers
            .into_iter()
            .filter(|s| sees_officer(&s.who, &s.unit))
            .map(|s| AssessmentLine {
                name: OfficerId::parse(&s.who)
                    .ok()
                    .and_then(|o| officers.get(&o))
                    .map_or_else(|| s.who.clone(), |o| o.name.clone()),
                id: s.who,
                unit: s.unit,
                score: s.score,
                reviewed: s.reviewed,
            })
            .collect(),
        units: a
            .units
            .into_iter()
            .filter(|s| sees_unit(&s.who))
            .map(|s| AssessmentLine {
                id: s.who.clone(),
                name: s.who,
                unit: String::new(),
                score: s.score,
                reviewed: s.reviewed,
            })
            .collect(),
    })
}

/// The assessment's sheet columns.
pub const ASSESSMENT_COLUMNS: &[(&str, u16)] = &[
    ("类别", 8),
    ("编号", 12),
    ("名称", 16),
    ("单位", 20),
    ("考评得分", 10),
    ("评查活动数", 10),
];

/// A score as people read it: one decimal, or 无 when nothing applied.
pub fn score_text(s: Option<f64>) -> String {
    s.map_or_else(|| "无".into(), |s| format!("{s:.1}"))
}

/// 执法质量考评 of a period as a sheet, read as [`assess`] reads it.
pub async fn assessment_sheet(app: &App, actor: &Actor, p: &str) -> Result<Sheet, AppError> {
    let v = assess(app, actor, p).await?;
    let mut sheet = Sheet::new(SheetKind::Assessment.title(), ASSESSMENT_COLUMNS);
    // A number with two decimals, in hundredths of a point.
    let score = |s: Option<f64>| {
        s.map_or(
            Cell::Empty,
            |s| Cell::Hundredths((s * 100.0).round() as i64),
        )
    };
    for u in &v.units {
        sheet.rows.push(vec![
            Cell::text("单位"),
            Cell::text(u.id.clone()),
            Cell::text(u.name.clone()),
            Cell::text(u.name.clone()),
            score(u.score),
            (u.reviewed as u64).into(),
        ]);
    }
    for o in &v.officers {
        sheet.rows.push(vec![
            Cell::text("执法人员"),
            Cell::text(o.id.clone()),
            Cell::text(o.name.clone()),
            Cell::text(o.unit.clone()),
            score(o.score),
            (o.reviewed as u64).into(),
        ]);
    }
    Ok(sheet)
}

/// A draw as the CLI prints it (Chinese, Beijing time), with everything needed to re-run it.
pub fn describe(d: &SampleDraw) -> String {
    let mut out = format!(
        "抽查样本 {}\n期间：{}（{} 至 {}）\n抽查比例：{}\n分层方式：{}\n种子：{}\n算法：{}\n总体数量：{}\n总体摘要（SHA-256）：{}\n",
        d.id,
        draw_period(d).label(),
        d.period_from,
        d.period_to,
        d.ratio,
        d.by.label(),
        d.seed,
        ALGORITHM_TEXT,
        d.population_count,
        d.population_digest,
    );
    for s in &d.strata {
        out.push_str(&format!(
            "分层 {}：总体 {} 个，抽取 {} 个\n",
            s.name, s.population, s.drawn
        ));
    }
    out.push_str(&format!("样本（{} 个）：\n", d.items.len()));
    for a in &d.items {
        out.push_str(&format!("  {a}\n"));
    }
    if let Some(r) = &d.reason {
        out.push_str(&format!("事由：{r}\n"));
    }
    out.push_str(&format!(
        "抽取人：{}，抽取时间：{}",
        d.drawn_by,
        beijing(d.drawn_at)
    ));
    out
}

//! 抽查评查 and 执法质量考评 (R27): the list of draws with the draw form, one draw with its review
//! forms, and the assessment of a period with a bar per unit and per officer (inline SVG, no
//! script) and its xlsx.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::Datelike;
use serde::Deserialize;
use zhilu_app::Action;
use zhilu_app::export::sheets::{SheetKind, local};
use zhilu_app::supervision::sampling::{
    self, AssessmentLine, DrawAsk, DrawDetail, ReviewAsk, score_text,
};
use zhilu_model::{ReviewResult, SampleDraw};

use super::{PageError, Viewer, hx_redirect, render};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "samples.html")]
struct Samples {
    v: Viewer,
    draws: Vec<SampleDraw>,
    may_draw: bool,
    default_period: String,
    default_ratio: f64,
}

/// This quarter (Beijing), e.g. `2026-Q4`.
fn this_quarter(s: &AppState) -> String {
    let d = local(s.app.now());
    format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

pub async fn samples(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let draws = sampling::list(&s.app, &v.actor).await?;
    let profile = s.app.profile().await?;
    Ok(render(&Samples {
        may_draw: v.may(Action::DrawSample),
        default_period: this_quarter(&s),
        default_ratio: *profile.sampling.ratio.get_ref(),
        v,
        draws,
    }))
}

#[derive(Debug, Deserialize)]
pub struct DrawForm {
    period: String,
    #[serde(default)]
    ratio: String,
    #[serde(default)]
    by: String,
    seed: String,
    #[serde(default)]
    reason: String,
}

/// Draws a sample and shows it.
pub async fn draw(
    State(s): State<AppState>,
    v: Viewer,
    Form(f): Form<DrawForm>,
) -> Result<Response, PageError> {
    let ratio = match f.ratio.trim() {
        "" => None,
        r => Some(r.parse::<f64>().map_err(|_| zhilu_app::AppError::Invalid {
            field: zhilu_app::Field::Ratio,
            reason: format!("“{r}”不是数值，请写作 0.05 这样的小数"),
        })?),
    };
    let by = match f.by.trim() {
        "" => zhilu_model::SampleBy::All,
        b => zhilu_model::SampleBy::parse_label_or_code(b).map_err(|e| {
            zhilu_app::AppError::Invalid {
                field: zhilu_app::Field::Item,
                reason: e.to_string(),
            }
        })?,
    };
    let d = sampling::draw(
        &s.app,
        &v.actor,
        DrawAsk {
            period: f.period,
            ratio,
            by,
            seed: f.seed,
            reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
        },
    )
    .await?;
    Ok(hx_redirect(&format!("/samples/{}", d.id)))
}

/// A check item of the review form.
struct FormItem {
    key: String,
    label: String,
}

/// A sampled activity as the page shows it.
struct Entry {
    activity: String,
    kind: String,
    start: String,
    officers: String,
    /// `已评查（S1，2026-12-05 10:00:00）：80.0 分` or empty.
    reviewed: Option<String>,
    results: Vec<(String, &'static str)>,
    comment: String,
    /// The review form's items, when this reader may review it now.
    form: Option<Vec<FormItem>>,
}

#[derive(Template)]
#[template(path = "sample.html")]
struct Sample {
    v: Viewer,
    d: DrawDetail,
    entries: Vec<Entry>,
    results: Vec<(&'static str, &'static str)>,
}

pub async fn sample(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = sampling::show(&s.app, &v.actor, &id).await?;
    let profile = s.app.profile().await?;
    let may_review = v.may(Action::ReviewSample);
    let entries = d
        .entries
        .iter()
        .map(|e| {
            let own = e.officers.iter().any(|o| o.as_str() == v.id);
            Entry {
                activity: e.activity.to_string(),
                kind: profile
                    .kind(&e.kind)
                    .map_or_else(|| e.kind.clone(), |r| r.situation.clone()),
                start: super::fmt::bj(&e.start),
                officers: e
                    .officers
                    .iter()
                    .map(|o| o.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                reviewed: e.review.as_ref().map(|r| {
                    let items: Vec<(&str, zhilu_policy::sampling::Grade)> = r
                        .items
                        .iter()
                        .map(|i| (i.key.as_str(), grade(i.result)))
                        .collect();
                    format!(
                        "已评查（{}，{}）：{} 分",
                        r.reviewer,
                        super::fmt::bj(&r.reviewed_at),
                        score_text(zhilu_policy::sampling::review_score(
                            &items,
                            &profile.sampling.weights
                        ))
                    )
                }),
                results: e.review.as_ref().map_or_else(Vec::new, |r| {
                    r.items
                        .iter()
                        .map(|i| (i.label.clone(), i.result.label()))
                        .collect()
                }),
                comment: e
                    .review
                    .as_ref()
                    .map_or_else(String::new, |r| r.comment.clone()),
                form: (may_review && !own && e.review.is_none()).then(|| {
                    sampling::check_items(&profile, &e.kind)
                        .into_iter()
                        .map(|(key, label)| FormItem { key, label })
                        .collect()
                }),
            }
        })
        .collect();
    Ok(render(&Sample {
        v,
        d,
        entries,
        results: ReviewResult::ALL
            .iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
    }))
}

fn grade(r: ReviewResult) -> zhilu_policy::sampling::Grade {
    use zhilu_policy::sampling::Grade;
    match r {
        ReviewResult::Pass => Grade::Pass,
        ReviewResult::Partial => Grade::Partial,
        ReviewResult::Fail => Grade::Fail,
        ReviewResult::NotApplicable => Grade::NotApplicable,
    }
}

/// Records a review from the form: `activity`, `comment` and one `item.<key>` per check item.
pub async fn review(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut ask = ReviewAsk {
        draw: id.clone(),
        ..ReviewAsk::default()
    };
    for (k, val) in f {
        match k.as_str() {
            "activity" => ask.activity = val,
            "comment" => ask.comment = val,
            _ => {
                if let Some(key) = k.strip_prefix("item.") {
                    ask.items.push((key.to_string(), val));
                }
            }
        }
    }
    sampling::review(&s.app, &v.actor, ask).await?;
    Ok(hx_redirect(&format!("/samples/{id}")))
}

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    pub period: Option<String>,
}

/// The widest bar, in SVG user units (a score of 100).
const BAR_MAX: i64 = 200;

struct Bar {
    id: String,
    name: String,
    unit: String,
    score: String,
    reviewed: usize,
    width: i64,
}

fn bars(lines: &[AssessmentLine]) -> Vec<Bar> {
    lines
        .iter()
        .map(|l| Bar {
            id: l.id.clone(),
            name: l.name.clone(),
            unit: l.unit.clone(),
            score: score_text(l.score),
            reviewed: l.reviewed,
            // A score is 0–100: the cast keeps it.
            width: l.score.map_or(0, |s| {
                (s.clamp(0.0, 100.0) * BAR_MAX as f64 / 100.0).round() as i64
            }),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct Assessment {
    v: Viewer,
    period: String,
    from: String,
    to: String,
    weights: String,
    units: Vec<Bar>,
    officers: Vec<Bar>,
    bar_max: i64,
}

fn period(s: &AppState, q: &PeriodQuery) -> String {
    q.period
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map_or_else(|| this_quarter(s), str::to_string)
}

pub async fn assessment(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let a = sampling::assess(&s.app, &v.actor, &period(&s, &q)).await?;
    Ok(render(&Assessment {
        period: a.period.clone(),
        from: a.period_from.to_string(),
        to: a.period_to.to_string(),
        weights: a
            .weights
            .iter()
            .map(|w| format!("{} {}", w.label, w.weight))
            .collect::<Vec<_>>()
            .join("、"),
        units: bars(&a.units),
        officers: bars(&a.officers),
        bar_max: BAR_MAX,
        v,
    }))
}

/// The assessment as xlsx (执法质量考评).
pub async fn assessment_xlsx(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let sheet = sampling::assessment_sheet(&s.app, &v.actor, &period(&s, &q)).await?;
    super::sheets::download(SheetKind::Assessment, &sheet)
}

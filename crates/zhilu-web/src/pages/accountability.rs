//! 责任追究 (R28, R29): violations with their sanctions and whether a suspension runs today, the
//! annual reviews per year with a warning when one is overdue, and (for those who may record)
//! forms to add each.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use zhilu_app::Action;
use zhilu_app::supervision::accountability::{
    self as acc, NewAnnualReview, NewSanction, NewViolation, Overview, parse_day, parse_year,
};

use super::{PageError, Viewer, hx_redirect, render};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "accountability.html")]
struct Accountability {
    v: Viewer,
    o: Overview,
    may_record: bool,
    /// Years past their due day with no review.
    overdue: Vec<i32>,
    this_year: i32,
    today: String,
}

pub async fn accountability(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let o = acc::overview(&s.app, &v.actor).await?;
    let overdue = o
        .annual
        .years
        .iter()
        .filter(|y| y.overdue)
        .map(|y| y.year)
        .collect();
    let today = zhilu_policy::facts::local_date(s.app.now());
    Ok(render(&Accountability {
        may_record: v.may(Action::RecordAccountability),
        this_year: chrono::Datelike::year(&today),
        today: today.to_string(),
        overdue,
        v,
        o,
    }))
}

fn opt_day(s: &str) -> Result<Option<chrono::NaiveDate>, PageError> {
    match s.trim() {
        "" => Ok(None),
        d => Ok(Some(parse_day(d)?)),
    }
}

/// `WT00001, WT00002` or one per line.
fn list(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ' ', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct ViolationForm {
    officer: String,
    kind: String,
    description: String,
    #[serde(default)]
    occurred_on: String,
    #[serde(default)]
    findings: String,
    #[serde(default)]
    entries: String,
}

pub async fn add_violation(
    State(s): State<AppState>,
    v: Viewer,
    Form(f): Form<ViolationForm>,
) -> Result<Response, PageError> {
    let mut entries = Vec::new();
    for e in list(&f.entries) {
        entries.push(e.parse::<u64>().map_err(|_| zhilu_app::AppError::Invalid {
            field: zhilu_app::Field::Record,
            reason: format!("“{e}”不是审计日志条目序号"),
        })?);
    }
    acc::add_violation(
        &s.app,
        &v.actor,
        NewViolation {
            officer: f.officer,
            kind: f.kind,
            description: f.description,
            occurred_on: opt_day(&f.occurred_on)?,
            findings: list(&f.findings),
            entries,
        },
    )
    .await?;
    Ok(hx_redirect("/accountability"))
}

#[derive(Debug, Deserialize)]
pub struct SanctionForm {
    violation: String,
    kind: String,
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    decided_by: String,
}

pub async fn add_sanction(
    State(s): State<AppState>,
    v: Viewer,
    Form(f): Form<SanctionForm>,
) -> Result<Response, PageError> {
    acc::add_sanction(
        &s.app,
        &v.actor,
        NewSanction {
            violation: f.violation,
            kind: f.kind,
            decided_on: opt_day(&f.decided_on)?,
            from: opt_day(&f.from)?,
            decided_by: Some(f.decided_by).filter(|b| !b.trim().is_empty()),
        },
    )
    .await?;
    Ok(hx_redirect("/accountability"))
}

#[derive(Debug, Deserialize)]
pub struct AnnualReviewForm {
    year: String,
    #[serde(default)]
    held_on: String,
    summary: String,
}

pub async fn add_annual_review(
    State(s): State<AppState>,
    v: Viewer,
    Form(f): Form<AnnualReviewForm>,
) -> Result<Response, PageError> {
    acc::add_annual_review(
        &s.app,
        &v.actor,
        NewAnnualReview {
            year: parse_year(&f.year)?,
            held_on: opt_day(&f.held_on)?,
            summary: f.summary,
        },
    )
    .await?;
    Ok(hx_redirect("/accountability"))
}

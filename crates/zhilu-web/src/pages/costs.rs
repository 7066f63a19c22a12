//! 设备经费 (R31): the yearly cost report per unit — a table with a bar per unit — and its xlsx.
//! Costs are recorded from the CLI (`zhilu cost add`) or the API; the page only shows.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Datelike;
use serde::Deserialize;
use zhilu_app::export::sheets::{SheetKind, local};
use zhilu_app::supervision::costs::{self, CostSums, yuan};

use super::{PageError, Viewer, render};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    pub year: Option<String>,
}

/// The widest bar, in SVG user units.
const BAR_MAX: i64 = 240;

struct Line {
    unit: String,
    purchase: String,
    maintenance: String,
    repair: String,
    other: String,
    total: String,
    devices: usize,
    /// The bar's width, proportional to the total (the largest unit's is [`BAR_MAX`]).
    bar: i64,
}

fn line(unit: &str, s: &CostSums, max: i64) -> Line {
    Line {
        unit: unit.to_string(),
        purchase: yuan(s.purchase_fen),
        maintenance: yuan(s.maintenance_fen),
        repair: yuan(s.repair_fen),
        other: yuan(s.other_fen),
        total: yuan(s.total_fen),
        devices: s.devices,
        bar: if max > 0 {
            // i128: no overflow for any pair of sums an i64 holds.
            i64::try_from(i128::from(s.total_fen) * i128::from(BAR_MAX) / i128::from(max))
                .unwrap_or(BAR_MAX)
        } else {
            0
        },
    }
}

#[derive(Template)]
#[template(path = "costs.html")]
struct Costs {
    v: Viewer,
    year: i32,
    lines: Vec<Line>,
    total: Line,
    bar_max: i64,
}

fn year(s: &AppState, q: &YearQuery) -> Result<i32, PageError> {
    match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => Ok(costs::parse_year(y)?),
        None => Ok(local(s.app.now()).year()),
    }
}

pub async fn costs(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = year(&s, &q)?;
    let r = costs::cost_report(&s.app, &v.actor, year).await?;
    let max = r.units.iter().map(|u| u.sums.total_fen).max().unwrap_or(0);
    let lines = r
        .units
        .iter()
        .map(|u| line(&u.unit, &u.sums, max))
        .collect();
    let total = line("合计", &r.total, 0);
    Ok(render(&Costs {
        v,
        year,
        lines,
        total,
        bar_max: BAR_MAX,
    }))
}

/// The report as xlsx (设备经费), amounts as numbers of yuan with two decimals.
pub async fn costs_xlsx(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = year(&s, &q)?;
    let sheet = costs::report_sheet(&s.app, &v.actor, year).await?;
    super::sheets::download(SheetKind::Costs, &sheet)
}

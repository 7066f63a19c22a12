//! 登录, 我的待办 (what waits for me) and 工作台 (findings by unit, officer and rule, with the
//! month-by-month trend and a drill-down to each finding and its evidence).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Datelike, Months, TimeZone, Utc};
use serde::Deserialize;
use zhilu_app::access::{self, DeskItem};
use zhilu_app::compliance::{self, CheckScope, Finding};
use zhilu_app::{Action, Scope};
use zhilu_app::{identity, registry};
use zhilu_model::Checkout;

use super::{PageError, Viewer, hx_redirect, render};
use crate::session::CurrentActor;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// The login page; `app.js` posts the form to the API as JSON and goes on to `next`.
pub async fn login(Query(q): Query<NextQuery>) -> Response {
    // Only a path on this site: never an address elsewhere (open redirect).
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".into());
    render(&Login { next })
}

/// Ends the session and goes to the login page.
pub async fn logout(State(s): State<AppState>, me: CurrentActor) -> Result<Response, PageError> {
    identity::logout(&s.app, &me.actor).await?;
    let _ = me.session.flush().await;
    Ok(hx_redirect("/login"))
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    v: Viewer,
    now: DateTime<Utc>,
    unit_wide: bool,
    approvals: Vec<DeskItem>,
    findings: Vec<Finding>,
    open_checkouts: Vec<Checkout>,
    offloads_due: Vec<Finding>,
}

/// 我的待办: approvals for my roles, the findings that concern me (my unit, for a unit head),
/// devices not yet returned, offloads due.
pub async fn home(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let app = &s.app;
    let now = app.now();
    let approvals = access::desk(app, &v.actor).await?;
    let findings = if v.may(Action::ReadFindings) {
        let mut f = compliance::check(
            app,
            &v.actor,
            &CheckScope {
                from: now.checked_sub_months(Months::new(3)),
                to: Some(now + chrono::Duration::seconds(1)),
                ..CheckScope::default()
            },
        )
        .await?;
        f.sort_by_key(|x| std::cmp::Reverse(x.at));
        f
    } else {
        Vec::new()
    };
    let (offloads_due, findings): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|f| matches!(f.rule, "R16" | "R17"));
    let open_checkouts = if v.may(Action::ReadDevices) {
        registry::checkouts(app, &v.actor)
            .await?
            .into_iter()
            .filter(|c| c.returned_at.is_none())
            .collect()
    } else {
        Vec::new()
    };
    render_ok(&Home {
        unit_wide: matches!(
            v.actor.scope(Action::ReadFindings),
            Some(Scope::Unit | Scope::All)
        ),
        v,
        now,
        approvals,
        findings,
        open_checkouts,
        offloads_due,
    })
}

fn render_ok<T: Template>(t: &T) -> Result<Response, PageError> {
    Ok(render(t))
}

#[derive(Debug, Deserialize)]
pub struct DashQuery {
    /// `2026-01-01`, Beijing days; the last twelve months by default.
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    officer: Option<String>,
    #[serde(default)]
    rule: Option<String>,
}

/// A count by key, most first.
#[derive(Debug, Clone)]
struct Tally {
    key: String,
    label: String,
    count: usize,
}

fn tally(items: impl Iterator<Item = (String, String)>) -> Vec<Tally> {
    let mut m: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for (k, l) in items {
        m.entry(k).or_insert((l, 0)).1 += 1;
    }
    let mut v: Vec<Tally> = m
        .into_iter()
        .map(|(key, (label, count))| Tally { key, label, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    v
}

/// One month's bar of the trend chart, laid out for the SVG.
#[derive(Debug, Clone)]
struct Bar {
    label: String,
    count: usize,
    x: usize,
    y: usize,
    h: usize,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    v: Viewer,
    from: String,
    to: String,
    unit: String,
    officer: String,
    rule: String,
    total: usize,
    by_unit: Vec<Tally>,
    by_officer: Vec<Tally>,
    by_rule: Vec<Tally>,
    bars: Vec<Bar>,
    findings: Vec<Finding>,
}

const CHART_H: usize = 120;

/// 工作台: the findings of a period by unit, officer and rule, the trend by month, and the
/// findings themselves once narrowed down.
pub async fn dashboard(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<DashQuery>,
) -> Result<Response, PageError> {
    use zhilu_app::{Bound, parse_bound};
    let app = &s.app;
    let now = app.now();
    let field = zhilu_app::Field::Time;
    let from = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(f) => parse_bound(field, f, Bound::Start)?,
        None => month_start(now.checked_sub_months(Months::new(11)).unwrap_or(now)),
    };
    let to = match q.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(t) => parse_bound(field, t, Bound::End)?,
        None => now + chrono::Duration::seconds(1),
    };
    if to <= from {
        return Err(PageError::bad_request("结束日期须晚于开始日期"));
    }
    let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.trim().is_empty());
    let unit = nonempty(&q.unit);
    let officer = nonempty(&q.officer);
    let rule = nonempty(&q.rule);
    let mut findings = compliance::check(
        app,
        &v.actor,
        &CheckScope {
            from: Some(from),
            to: Some(to),
            unit: unit.clone(),
            officer: officer.clone(),
        },
    )
    .await?;
    if let Some(r) = &rule {
        findings.retain(|f| f.rule == r.as_str());
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.at));
    let officers = registry::officers(app, &v.actor).await?;
    // A finding about an activity names no officer itself: it is the activity's officers' (the
    // first named, for the tally by unit and officer).
    let activities = zhilu_app::records::activities(app, &v.actor).await?;
    let officer_of = |f: &Finding| -> Option<String> {
        f.officer.clone().or_else(|| {
            let a = f.activity.as_deref()?;
            activities
                .iter()
                .find(|x| x.id.as_str() == a)
                .and_then(|x| x.officers.first())
                .map(ToString::to_string)
        })
    };
    let person = |id: &str| officers.iter().find(|o| o.id.as_str() == id);
    let by_unit = tally(findings.iter().map(|f| {
        let u = officer_of(f)
            .as_deref()
            .and_then(person)
            .map(|o| o.unit.clone())
            .unwrap_or_else(|| "（未确定单位）".into());
        (u.clone(), u)
    }));
    let by_officer = tally(findings.iter().filter_map(|f| {
        let id = officer_of(f)?;
        let name = person(&id).map(|o| o.name.clone()).unwrap_or_default();
        Some((id.clone(), format!("{name}（{id}）")))
    }));
    let by_rule = tally(findings.iter().map(|f| {
        (
            f.rule.to_string(),
            format!("{} {}", f.rule, zhilu_policy::engine::rule_title(f.rule)),
        )
    }));
    let bars = trend(&findings, from, to);
    render_ok(&Dashboard {
        v,
        from: zhilu_app::beijing_day(from),
        to: zhilu_app::beijing_day(to - chrono::Duration::seconds(1)),
        unit: unit.unwrap_or_default(),
        officer: officer.unwrap_or_default(),
        rule: rule.unwrap_or_default(),
        total: findings.len(),
        by_unit,
        by_officer,
        by_rule,
        bars,
        findings,
    })
}

fn month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let bj = t.with_timezone(&zhilu_policy::facts::china());
    zhilu_policy::facts::china()
        .with_ymd_and_hms(bj.year(), bj.month(), 1, 0, 0, 0)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(t)
}

/// Findings per Beijing calendar month of the period (at most 36), as bars 40 px apart.
fn trend(findings: &[Finding], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Bar> {
    let china = zhilu_policy::facts::china();
    let first = from.with_timezone(&china);
    let (mut y, mut mo) = (first.year(), first.month());
    let mut months: Vec<(DateTime<Utc>, String, usize)> = Vec::new();
    while months.len() < 36 {
        let Some(start) = china.with_ymd_and_hms(y, mo, 1, 0, 0, 0).single() else {
            break;
        };
        let start = start.with_timezone(&Utc);
        if start >= to {
            break;
        }
        months.push((start, format!("{}-{:02}", y % 100, mo), 0));
        (y, mo) = if mo == 12 { (y + 1, 1) } else { (y, mo + 1) };
    }
    for f in findings {
        if let Some(i) = months.iter().rposition(|(start, _, _)| *start <= f.at) {
            months[i].2 += 1;
        }
    }
    let max = months.iter().map(|m| m.2).max().unwrap_or(0).max(1);
    months
        .into_iter()
        .enumerate()
        .map(|(i, (_, label, count))| {
            let h = count * CHART_H / max;
            Bar {
                label,
                count,
                x: 30 + i * 40,
                y: 10 + CHART_H - h,
                h,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(at: &str) -> Finding {
        Finding {
            rule: "R7",
            code: "mandatory_not_recorded",
            article: "luohe-xm §6".into(),
            quote: None,
            agency_choice: Vec::new(),
            severity: zhilu_policy::engine::Severity::Violation,
            message: "应记录而未记录".into(),
            at: zhilu_app::parse_instant(zhilu_app::Field::Time, at).expect("time"),
            activity: None,
            recording: None,
            device: None,
            officer: None,
        }
    }

    #[test]
    fn r30_the_trend_counts_findings_by_beijing_calendar_month() {
        let t = |s| zhilu_app::parse_instant(zhilu_app::Field::Time, s).expect("time");
        // 1 Dec 00:30 Beijing is still 30 Nov in UTC: it counts for December.
        let f = [
            finding("2025-11-30 23:59"),
            finding("2025-12-01 00:30"),
            finding("2026-02-28 12:00"),
        ];
        let bars = trend(&f, t("2025-11-01 00:00"), t("2026-03-01 00:00"));
        let got: Vec<(&str, usize)> = bars.iter().map(|b| (b.label.as_str(), b.count)).collect();
        assert_eq!(
            got,
            [("25-11", 1), ("25-12", 1), ("26-01", 0), ("26-02", 1)]
        );
        assert_eq!(bars[0].h, CHART_H, "the tallest bar fills the chart");
        assert_eq!(bars[2].h, 0);
    }
}

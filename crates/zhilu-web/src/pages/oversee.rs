//! 跨机关监督 (issue 15, X4): the supervising body (上级监督机关) sees the agencies its
//! installation lists in `zhilu.toml` (`[[oversee]]`) side by side, one table each, as
//! `zhilu oversee` prints them — the same use case (`supervision::oversee::configured`), which
//! decides who may and opens each agency as the account of the same id there. An agency that
//! does not open or refuses gets a row saying why; the others are shown all the same.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use zhilu_app::supervision::oversee::{self, AgencyOverview, AgencyProblem, AgencySummary};

use super::fmt::bj;
use super::{PageError, Viewer, render};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// A month, `2026-11` (Beijing time); absent or empty: every record.
    #[serde(default)]
    pub period: Option<String>,
}

/// `[from, to)` of a month.
type Month = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

impl PeriodQuery {
    /// The month as asked, trimmed; `None` when absent or empty.
    pub(crate) fn asked(&self) -> Option<String> {
        self.period
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
    }

    /// `[from, to)` of the month asked (Beijing time), or `None` for every record; the reason
    /// in Chinese when it is not a month.
    pub(crate) fn period(&self) -> Result<Option<Month>, String> {
        match self.asked() {
            Some(p) => oversee::month(&p)
                .map(Some)
                .ok_or_else(|| format!("统计月份须写成 2026-11 这样的年月，收到“{p}”")),
            None => Ok(None),
        }
    }
}

/// One figure of an agency: its label, its value, and a stable key (`data-k`) for tests.
struct Figure {
    key: &'static str,
    label: &'static str,
    value: String,
}

/// One agency's table, or the reason it has none.
struct Agency {
    name: String,
    dir: String,
    /// `None`: refused or unopened (`problem` says why).
    figures: Option<Vec<Figure>>,
    problem: String,
    /// The head check failed: the table is marked.
    damaged: bool,
}

#[derive(Template)]
#[template(path = "oversee.html")]
struct Oversee {
    v: Viewer,
    /// The month as asked (`2026-11`), or empty.
    period: String,
    agencies: Vec<Agency>,
}

fn figures(m: &AgencySummary) -> Vec<Figure> {
    let f = |key, label, value: String| Figure { key, label, value };
    let mut out = vec![
        f("profile", "执法规范配置", m.profile.clone()),
        f(
            "period",
            "统计期间",
            match (m.from, m.to) {
                (Some(from), Some(to)) => format!("{} 至 {}", bj(&from), bj(&to)),
                _ => "全部记录".into(),
            },
        ),
        f("recordings", "音像记录（个）", m.recordings.to_string()),
        f("activities", "执法活动（个）", m.activities.to_string()),
        f("findings", "检查发现问题（个）", m.findings.to_string()),
        f(
            "overdue_offloads",
            "其中未按时导入（个）",
            m.overdue_offloads.to_string(),
        ),
        f(
            "open_cases_total",
            "问题台账未关闭（个）",
            m.open_cases_total.to_string(),
        ),
    ];
    for c in &m.open_cases {
        let key = match c.severity {
            "violation" => "open_violation",
            "warning" => "open_warning",
            _ => "open_info",
        };
        let label = match c.severity {
            "violation" => "　其中 违规",
            "warning" => "　其中 预警",
            _ => "　其中 提示",
        };
        out.push(f(key, label, c.count.to_string()));
    }
    out.extend([
        f(
            "devices_out",
            "领用未归还的设备（台）",
            m.devices_out.to_string(),
        ),
        f("ledger_size", "审计日志（条）", m.ledger_size.to_string()),
        f(
            "head",
            "签名检查点核对",
            if m.head.ok {
                "与签名检查点一致".into()
            } else {
                format!(
                    "校验未通过：{}（请在该机关运行 zhilu verify）",
                    m.head.problem.as_deref().unwrap_or("")
                )
            },
        ),
        f("ledger_root", "审计日志树根", m.ledger_root.clone()),
    ]);
    out
}

/// What the page (and the API, `GET /api/v1/oversee`) says of an agency without figures. A
/// refusal's message is the agency's own (Chinese, about the account); a failure to open or read
/// is logged here and named only generally, as every server failure is.
pub(crate) fn problem(name: &str, p: AgencyProblem) -> String {
    match p {
        AgencyProblem::Refused(e) => format!("该机关拒绝：{e}"),
        AgencyProblem::Unopenable(e) => {
            tracing::warn!(agency = name, error = %e, "oversee: agency did not open");
            "无法打开该机关的数据目录：请检查本系统 zhilu.toml 中 [[oversee]] 的 dir 及其读取权限（详情见服务器日志）".into()
        }
        AgencyProblem::Failed(e) => {
            format!("读取该机关的数据时出错：{}", ApiError::from(e).message)
        }
    }
}

fn agency(o: AgencyOverview) -> Agency {
    let name = o.agency.name;
    let dir = o.agency.dir.display().to_string();
    match o.outcome {
        Ok(m) => Agency {
            damaged: !m.head.ok,
            figures: Some(figures(&m)),
            problem: String::new(),
            name,
            dir,
        },
        Err(p) => Agency {
            problem: problem(&name, p),
            figures: None,
            damaged: false,
            name,
            dir,
        },
    }
}

pub async fn oversee(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let asked = q.asked();
    let period = q.period().map_err(PageError::bad_request)?;
    let rows = oversee::configured(&s.app, &v.actor, period).await?;
    Ok(render(&Oversee {
        v,
        period: asked.unwrap_or_default(),
        agencies: rows.into_iter().map(agency).collect(),
    }))
}

//! Printable forms on A4 (print CSS; the screen shows them as a page with a print button): the
//! access request and approval form (调阅审批表) and the non-recording record (未记录工作记录),
//! each with signature lines. The usage ledger and the register print from their own pages.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use zhilu_app::access::{self, DeskItem};
use zhilu_model::{Activity, NoRecord};

use super::{PageError, Viewer, render};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "form_access.html")]
struct AccessForm {
    v: Viewer,
    d: DeskItem,
    agency: String,
}

/// 调阅审批表.
pub async fn access_form(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = access::access_form(&s.app, &v.actor, &id).await?;
    let agency = s.app.profile().await?.agency.clone();
    Ok(render(&AccessForm { v, d, agency }))
}

#[derive(Template)]
#[template(path = "form_norecord.html")]
struct NoRecordForm {
    v: Viewer,
    a: Activity,
    n: NoRecord,
    reason: String,
    approval: Option<DeskItem>,
    agency: String,
    officers: String,
}

/// 未记录工作记录.
pub async fn norecord_form(
    State(s): State<AppState>,
    v: Viewer,
    Path((activity, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (a, n, approval) = access::norecord_form(&s.app, &v.actor, &activity, &id).await?;
    let profile = s.app.profile().await?;
    let reason = profile
        .norecord_reason(&n.reason)
        .map(|r| r.label.clone())
        .unwrap_or_else(|_| n.reason.clone());
    let officers = super::records::names(&s, &v, &a.officers).await?;
    Ok(render(&NoRecordForm {
        agency: profile.agency.clone(),
        v,
        a,
        n,
        reason,
        approval,
        officers,
    }))
}

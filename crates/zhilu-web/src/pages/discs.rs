//! 长期保存光盘 (R21): the disc register — each physical copy, where it is kept, who holds it,
//! its last check and whether it is due. Made and checked from the CLI at the burning station
//! (`zhilu preserve`, `zhilu disc check`), where the disc drive is; the page only shows.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use zhilu_app::export::preserve::{self, RegisterRow};
use zhilu_app::export::sheets::{self, SheetKind};

use super::fmt::{bj, bj_opt};
use super::{PageError, Viewer, render};
use crate::state::AppState;

struct DiscRow {
    copy: String,
    title: String,
    part: String,
    copy_no: String,
    location: String,
    holder: String,
    made: String,
    checked: String,
    result: String,
    due_at: String,
    due: bool,
    files: usize,
    image_sha256: String,
    purged: usize,
}

fn row(r: &RegisterRow) -> DiscRow {
    DiscRow {
        copy: r.copy.id.to_string(),
        title: r.disc.title.clone(),
        part: format!("第 {}/{} 张", r.disc.part, r.disc.parts),
        copy_no: format!("第 {}/{} 份", r.copy.copy_no, r.disc.copies),
        location: r.copy.location.clone(),
        holder: r.copy.holder.clone(),
        made: bj(&r.disc.made_at),
        checked: bj_opt(&r.copy.checked_at),
        result: match r.copy.check_ok {
            None => "未核查".into(),
            Some(true) => "完好".into(),
            Some(false) => format!("有问题：{}", r.copy.check_note.clone().unwrap_or_default()),
        },
        due_at: r
            .due_at
            .as_ref()
            .map(bj)
            .unwrap_or_else(|| "未设定核查周期".into()),
        due: r.due,
        files: r.disc.files.len(),
        image_sha256: r.disc.image_sha256.to_string(),
        purged: r.purged_items,
    }
}

#[derive(Template)]
#[template(path = "discs.html")]
struct Discs {
    v: Viewer,
    rows: Vec<DiscRow>,
    due: usize,
}

pub async fn discs(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let rows: Vec<DiscRow> = preserve::register(&s.app, &v.actor)
        .await?
        .iter()
        .map(row)
        .collect();
    let due = rows.iter().filter(|r| r.due).count();
    Ok(render(&Discs { v, rows, due }))
}

/// The register as xlsx (光盘登记).
pub async fn discs_xlsx(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let sheet = sheets::discs(&s.app, &v.actor).await?;
    super::sheets::download(SheetKind::Discs, &sheet)
}

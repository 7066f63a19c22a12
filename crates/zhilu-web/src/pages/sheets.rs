//! Ledgers as spreadsheets: the typed sheet the app built (`zhilu_app::export::sheets`, the same
//! one `zhilu sheet` writes) as an xlsx download.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use zhilu_app::export::sheets::{self, Sheet, SheetKind};

use super::PageError;
use crate::error::ApiError;

/// The sheet as a workbook download named `<title>.xlsx` (the kind's ASCII stem for browsers
/// that ignore the UTF-8 name).
pub fn download(kind: SheetKind, sheet: &Sheet) -> Result<Response, PageError> {
    let bytes = sheets::workbook(std::slice::from_ref(sheet))?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    );
    let utf8: String = format!("{}.xlsx", kind.title())
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let value = format!(
        "attachment; filename=\"{}.xlsx\"; filename*=UTF-8''{utf8}",
        kind.stem()
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&value).map_err(|e| PageError::from(ApiError::internal(&e)))?,
    );
    Ok(r)
}

/// A sheet as a page's table: its headers, and its rows as text in the workbook's order, so
/// the page and its download hold the same rows.
pub fn table(sheet: &Sheet) -> (Vec<String>, Vec<Vec<String>>) {
    (
        sheet.headers().into_iter().map(str::to_string).collect(),
        sheet.display_rows(),
    )
}

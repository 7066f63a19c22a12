//! Ledgers as spreadsheets (xlsx, `rust_xlsxwriter`): a bold header row, then the rows as text,
//! exactly as the page shows them.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

use super::PageError;
use crate::error::ApiError;

/// The workbook as a download named `<title>.xlsx` (`ascii` for browsers that ignore the UTF-8
/// name).
pub fn download(
    title: &str,
    ascii: &str,
    columns: &[&str],
    rows: &[Vec<String>],
) -> Result<Response, PageError> {
    let bytes = workbook(title, columns, rows)?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    );
    let utf8: String = format!("{title}.xlsx")
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let value = format!("attachment; filename=\"{ascii}.xlsx\"; filename*=UTF-8''{utf8}");
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&value).map_err(|e| PageError::from(ApiError::internal(&e)))?,
    );
    Ok(r)
}

/// A workbook of one sheet named `title`.
pub fn workbook(title: &str, columns: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, PageError> {
    let fail = |e: rust_xlsxwriter::XlsxError| PageError::from(ApiError::internal(&e));
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name(title).map_err(fail)?;
    let bold = Format::new().set_bold();
    for (c, name) in columns.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet
            .write_string_with_format(0, c, *name, &bold)
            .map_err(fail)?;
        sheet.set_column_width(c, 18).map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, v) in row.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_string(r, c, v).map_err(fail)?;
        }
    }
    wb.save_to_buffer().map_err(fail)
}

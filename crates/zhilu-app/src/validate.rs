//! Checks on identifiers and free text typed by people, done once at the edge of each use case.

use crate::error::AppError;

/// An identifier (serial, officer id, station id): 1–64 ASCII letters, digits, `-`, `_`, `.`.
/// Strict because these end up in file names, ledger subjects and spreadsheets.
pub fn ident(field: &str, s: &str) -> Result<String, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::invalid(field, "不能为空"));
    }
    if s.chars().count() > 64 {
        return Err(AppError::invalid(field, "不能超过 64 个字符"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(AppError::invalid(
            field,
            format!("含有不允许的字符 {c:?}：只能使用字母、数字、-、_、."),
        ));
    }
    if s.starts_with('.') {
        return Err(AppError::invalid(field, "不能以 . 开头"));
    }
    Ok(s.to_string())
}

/// Free text (model, unit, keeper name): 1–128 characters, no control characters. Markup is kept
/// as typed — it is text, and every page that shows it escapes it.
pub fn text(field: &str, s: &str) -> Result<String, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::invalid(field, "不能为空"));
    }
    if s.chars().count() > 128 {
        return Err(AppError::invalid(field, "不能超过 128 个字符"));
    }
    if s.chars().any(char::is_control) {
        return Err(AppError::invalid(field, "不能包含换行或其他控制字符"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r1_identifiers_refuse_traversal_and_control_characters() {
        assert!(ident("serial", "DSJ-001").is_ok());
        for bad in ["", "../etc", "a/b", "a b", "x\ny", ".hidden", "设备1"] {
            assert!(ident("serial", bad).is_err(), "{bad:?} accepted");
        }
        assert!(text("model", "<script>alert(1)</script>").is_ok());
        assert!(text("model", "line\nbreak").is_err());
    }
}

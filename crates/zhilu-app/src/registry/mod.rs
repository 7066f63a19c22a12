//! Who and what: the device registry and lifecycle (R1–R2), officers and their units, and the
//! usage ledger of checkouts with the pre-use check (R3–R4).

mod checkouts;
mod devices;
mod import;
mod officers;
pub mod sheet;

pub use checkouts::{NewCheckout, UsageEntry, checkout, checkouts, return_device, usage};
pub use devices::{NewDevice, device, device_event, devices, events, register_device};
pub use import::{import_devices, import_users, register_devices};
pub use officers::{NewOfficer, add_officer, officer, officers};

use crate::error::{AppError, Field};

/// Free text typed by a person (model, unit, keeper name): 1–128 characters, no control
/// characters. Markup is kept as typed — it is text, and every page that shows it escapes it.
pub(crate) fn text(field: Field, s: &str) -> Result<String, AppError> {
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

/// Optional free text: empty means absent.
pub(crate) fn opt_text(field: Field, s: Option<&str>) -> Result<Option<String>, AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => text(field, s).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r1_free_text_keeps_markup_but_refuses_control_characters() {
        assert_eq!(
            text(Field::Model, " <script>alert(1)</script> ").unwrap(),
            "<script>alert(1)</script>"
        );
        assert!(text(Field::Model, "line\nbreak").is_err());
        assert!(text(Field::Model, "   ").is_err());
        assert!(text(Field::Model, &"长".repeat(129)).is_err());
        assert_eq!(opt_text(Field::AssetNo, Some("  ")).unwrap(), None);
    }
}

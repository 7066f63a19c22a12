//! The OpenAPI schemas of the ids and closed sets (feature `openapi`): an id is a string with the
//! pattern its `parse` checks, a closed set a string enum of its stored (JSON) forms. Kept beside
//! the macros that define the types, so a new id or set gets its schema with it.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string with what it is and the pattern it matches.
pub(crate) fn string(description: &str, pattern: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .into()
}

/// A string that is one of `values`.
pub(crate) fn one_of(
    description: &str,
    values: impl Iterator<Item = &'static str>,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .into()
}

/// The pattern of an identifier (`check_ident`): 1–64 ASCII letters, digits, `-`, `_`, `.`, not
/// starting with `.`.
pub(crate) const IDENT: &str = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$";
/// A SHA-256 or SM3 in hex, as the API writes it.
pub(crate) const HEX32: &str = "^[0-9a-f]{64}$";

//! The vocabulary every layer of Zhilu shares: typed identifiers ([`ids`]), the closed sets of
//! statuses and kinds ([`status`]) and the records the catalog keeps ([`records`]).
//!
//! Pure: no IO, no clock, no database types. An identifier is checked once, where it enters the
//! system (`DeviceSerial::parse`), and carried as its type afterwards; a status is an enum, never a
//! string compared by hand. Records serialise to the JSON contract people and other systems read
//! (RFC 3339 instants, arrays as arrays, booleans as booleans); the hashed ledger format is defined
//! elsewhere (`zhilu-store`), on purpose, so that renaming a field here can never change it.

pub mod explain;
pub mod ids;
#[cfg(feature = "openapi")]
mod openapi;
pub mod records;
pub mod status;

pub use ids::*;
pub use records::*;
pub use status::*;

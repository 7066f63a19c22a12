//! The server: `zhilu serve`. HTTP in, `zhilu-app` use cases, HTTP out. No rule lives here: who
//! may do what is decided in `zhilu-app` from the `Actor` this crate builds from the session.

pub mod content;

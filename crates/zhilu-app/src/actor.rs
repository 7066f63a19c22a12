//! Who is acting, as a value every use case takes.

use zhilu_model::OfficerId;

use crate::error::{AppError, Field};

/// The person (or part of the system) on whose behalf a use case runs. Its name is what the
/// audit ledger records as `actor`.
///
/// Today the edges say who is acting (the CLI's `--actor`); the server issue replaces that with an
/// authenticated login, and the use cases do not change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    name: String,
    person: Option<OfficerId>,
}

impl Actor {
    /// A person, by their user or officer id.
    pub fn person(id: OfficerId) -> Actor {
        Actor {
            name: id.to_string(),
            person: Some(id),
        }
    }

    /// A person named by text typed at an edge.
    pub fn parse(s: &str) -> Result<Actor, AppError> {
        OfficerId::parse(s)
            .map(Actor::person)
            .map_err(|e| AppError::invalid(Field::Actor, e.to_string()))
    }

    /// A part of the system acting on its own (`system` for automatic links, `fixity`…).
    pub fn system(component: &'static str) -> Actor {
        Actor {
            name: component.to_string(),
            person: None,
        }
    }

    /// The actor as the ledger records it.
    pub fn ledger_name(&self) -> &str {
        &self.name
    }

    /// Notes a read for the operations log. Every actor may read everything today (no roles exist
    /// yet); the server's access rules (roles, clearances, R25/R30) will be decided here, where
    /// every read use case already passes.
    pub(crate) fn reads(&self, what: &'static str) {
        tracing::debug!(actor = %self.name, what, "read");
    }

    /// The person acting, if a person is.
    pub fn person_id(&self) -> Option<&OfficerId> {
        self.person.as_ref()
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

//! Confidentiality classes on recordings and activities (R25): who may see what, and setting a
//! class. A classified item the actor is not cleared for does not exist for them: absent from
//! every list, search and count, and "not found" when named.

use std::collections::HashMap;

use serde::Serialize;
use zhilu_model::*;
use zhilu_store::Change;

use crate::App;
use crate::actor::{Action, Actor, Target};
use crate::error::{AppError, Field, Thing, id};

/// A recording or an activity, as a classification names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Item {
    Recording(Sha256),
    Activity(ActivityId),
}

impl Item {
    /// The stored key, `recording:<sha256>` or `activity:<id>`.
    pub fn key(&self) -> String {
        match self {
            Item::Recording(s) => format!("recording:{s}"),
            Item::Activity(a) => format!("activity:{a}"),
        }
    }

    /// Parses `recording:<sha256>` / `activity:<id>`, or a bare SHA-256 / activity id.
    pub fn parse(s: &str) -> Result<Item, AppError> {
        let s = s.trim();
        if let Some(r) = s.strip_prefix("recording:") {
            return Ok(Item::Recording(id(Field::Recording, Sha256::parse, r)?));
        }
        if let Some(a) = s.strip_prefix("activity:") {
            return Ok(Item::Activity(id(Field::Activity, ActivityId::parse, a)?));
        }
        if let Ok(sha) = Sha256::parse(s) {
            return Ok(Item::Recording(sha));
        }
        Ok(Item::Activity(id(Field::Item, ActivityId::parse, s)?))
    }
}

/// What one actor may see: every classified item and its class, and the actor's clearances.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    classes: HashMap<String, Secrecy>,
    clearances: Vec<Secrecy>,
    all: bool,
}

impl Visibility {
    /// The class of an item, if classified.
    pub fn class_of(&self, item: &Item) -> Option<Secrecy> {
        self.classes.get(&item.key()).copied()
    }

    /// Whether the actor may see the item (unclassified, or cleared for its class).
    pub fn sees(&self, item: &Item) -> bool {
        self.all
            || match self.class_of(item) {
                None => true,
                Some(c) => self.clearances.contains(&c),
            }
    }

    /// Whether the actor sees what a finding names (its activity and its recording).
    pub fn sees_finding(&self, f: &zhilu_policy::engine::Finding) -> bool {
        let activity = f
            .activity
            .as_deref()
            .and_then(|a| ActivityId::parse(a).ok())
            .is_none_or(|a| self.sees(&Item::Activity(a)));
        let recording = f
            .recording
            .as_deref()
            .and_then(|r| Sha256::parse(r).ok())
            .is_none_or(|r| self.sees(&Item::Recording(r)));
        activity && recording
    }

    /// Whether the actor sees a recording and every activity it is linked to that is
    /// classified (a recording of a classified activity is as secret as the activity).
    pub fn sees_recording(&self, sha: &Sha256, activities: &[ActivityId]) -> bool {
        self.sees(&Item::Recording(sha.clone()))
            && activities
                .iter()
                .all(|a| self.sees(&Item::Activity(a.clone())))
    }
}

/// The classifications in force and the actor's clearances.
pub async fn visibility(app: &App, actor: &Actor) -> Result<Visibility, AppError> {
    let classes = app
        .catalog
        .classifications()
        .await?
        .into_iter()
        .filter_map(|c| c.secrecy.map(|s| (c.item, s)))
        .collect();
    Ok(Visibility {
        classes,
        clearances: actor.clearances().to_vec(),
        all: false,
    })
}

/// The result of setting a class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classified {
    pub item: String,
    pub secrecy: Option<Secrecy>,
}

/// Sets (or, with `None`, lifts) the class of a recording or an activity. The actor must be
/// allowed to classify (安全保密管理员, 法制, or a unit head for their unit) and cleared for
/// both the old and the new class.
pub async fn classify(
    app: &App,
    actor: &Actor,
    item: &str,
    secrecy: Option<Secrecy>,
) -> Result<Classified, AppError> {
    let item = Item::parse(item)?;
    let (people, units) = match &item {
        Item::Recording(sha) => {
            let r = app
                .catalog
                .recording(sha)
                .await?
                .ok_or_else(|| AppError::NotFound {
                    what: Thing::Recording,
                    id: sha.to_string(),
                })?;
            let unit = app.catalog.officer(&r.officer).await?.map(|o| o.unit);
            (vec![r.officer], unit.into_iter().collect::<Vec<_>>())
        }
        Item::Activity(a) => {
            let act = app
                .catalog
                .activity(a)
                .await?
                .ok_or_else(|| AppError::NotFound {
                    what: Thing::Activity,
                    id: a.to_string(),
                })?;
            let mut units = Vec::new();
            for o in &act.officers {
                if let Some(off) = app.catalog.officer(o).await? {
                    units.push(off.unit);
                }
            }
            (act.officers, units)
        }
    };
    let vis = visibility(app, actor).await?;
    if !vis.sees(&item) {
        return Err(AppError::NotFound {
            what: match item {
                Item::Recording(_) => Thing::Recording,
                Item::Activity(_) => Thing::Activity,
            },
            id: item.key(),
        });
    }
    actor.require(
        Action::Classify,
        Target {
            people: &people,
            units: &units,
        },
    )?;
    if let Some(s) = secrecy
        && !actor.cleared_for(Some(s))
    {
        return Err(AppError::Forbidden {
            actor: actor.to_string(),
            action: "设置自己无权知悉的密级",
        });
    }
    let set_by = actor
        .person_id()
        .cloned()
        .ok_or_else(|| AppError::ActorNotOfficer {
            actor: actor.to_string(),
            action: "设置密级",
        })?;
    let row = Classification {
        item: item.key(),
        secrecy,
        set_by,
        set_at: app.now(),
    };
    let change = match app.catalog.classification(&row.item).await? {
        Some(v) => Change::update(row.clone(), v.version),
        None => Change::insert(row.clone()),
    };
    app.record(actor, vec![change]).await?;
    Ok(Classified {
        item: row.item,
        secrecy,
    })
}

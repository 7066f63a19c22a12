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

/// What one actor may see: every classified item and its class, the classes recordings take from
/// the classified activities they are linked to, and the actor's clearances.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    classes: HashMap<String, Secrecy>,
    /// `recording:<sha256>` → the classes of the classified activities it is linked to: a
    /// recording of a classified activity is as secret as the activity, in every list.
    inherited: HashMap<String, Vec<Secrecy>>,
    clearances: Vec<Secrecy>,
    all: bool,
}

impl Visibility {
    /// The class set on the item itself, if any.
    pub fn class_of(&self, item: &Item) -> Option<Secrecy> {
        self.classes.get(&item.key()).copied()
    }

    /// Every class the item is under: its own and, for a recording, those of the classified
    /// activities it is linked to. Empty when unclassified.
    pub fn classes_of(&self, item: &Item) -> Vec<Secrecy> {
        let key = item.key();
        let mut out: Vec<Secrecy> = self.classes.get(&key).copied().into_iter().collect();
        for c in self.inherited.get(&key).into_iter().flatten() {
            if !out.contains(c) {
                out.push(*c);
            }
        }
        out
    }

    /// Whether the actor may see the item (unclassified, or cleared for every class it is
    /// under).
    pub fn sees(&self, item: &Item) -> bool {
        self.all
            || self
                .classes_of(item)
                .iter()
                .all(|c| self.clearances.contains(c))
    }

    /// Whether the actor sees what a finding names (its activity and its recording).
    pub fn sees_finding(&self, f: &zhilu_policy::engine::Finding) -> bool {
        finding_items(f).iter().all(|i| self.sees(i))
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

/// The activity and the recording a finding names.
pub fn finding_items(f: &zhilu_policy::engine::Finding) -> Vec<Item> {
    let activity = f
        .activity
        .as_deref()
        .and_then(|a| ActivityId::parse(a).ok())
        .map(Item::Activity);
    let recording = f
        .recording
        .as_deref()
        .and_then(|r| Sha256::parse(r).ok())
        .map(Item::Recording);
    activity.into_iter().chain(recording).collect()
}

/// The classifications in force (with what recordings inherit from classified activities) and
/// the actor's clearances.
pub async fn visibility(app: &App, actor: &Actor) -> Result<Visibility, AppError> {
    let classes: HashMap<String, Secrecy> = app
        .catalog
        .classifications()
        .await?
        .into_iter()
        .filter_map(|c| c.secrecy.map(|s| (c.item, s)))
        .collect();
    let classified_activities: Vec<(ActivityId, Secrecy)> = classes
        .iter()
        .filter_map(|(k, s)| {
            let a = k.strip_prefix("activity:")?;
            Some((ActivityId::parse(a).ok()?, *s))
        })
        .collect();
    let mut inherited: HashMap<String, Vec<Secrecy>> = HashMap::new();
    if !classified_activities.is_empty() {
        let ids: Vec<ActivityId> = classified_activities
            .iter()
            .map(|(a, _)| a.clone())
            .collect();
        for l in app.catalog.links_of_activities(&ids).await? {
            if let Some((_, s)) = classified_activities.iter().find(|(a, _)| *a == l.activity) {
                let e = inherited
                    .entry(Item::Recording(l.sha256.clone()).key())
                    .or_default();
                if !e.contains(s) {
                    e.push(*s);
                }
            }
        }
    }
    Ok(Visibility {
        classes,
        inherited,
        clearances: actor.clearances().to_vec(),
        all: false,
    })
}

/// The result of setting a class.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

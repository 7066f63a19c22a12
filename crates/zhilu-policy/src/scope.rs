//! `zhilu check --officer/--unit`: a check narrowed to one officer or one unit.
//!
//! The engine judges everything it is given; supervisors then look at the findings that concern
//! their people. A finding concerns the officer it names and the officers of the activity it names;
//! it concerns a unit through those officers' unit or through the unit owning the device it names.

use std::collections::HashMap;

use crate::engine::Finding;
use crate::facts::Facts;

/// Whom a check is narrowed to. Both `None`: everything (the default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Unit id: keep findings about its officers or its devices.
    pub unit: Option<String>,
    /// Officer id: keep findings that name the officer or an activity of theirs.
    pub officer: Option<String>,
}

/// Keeps the findings that concern the officer and/or unit: with an officer, those naming the
/// officer directly or naming an activity (in `facts`) the officer took part in; with a unit, those
/// where any such person (the finding's officer or its activity's officers) belongs to the unit, or
/// the finding's device belongs to it. Both given: both must hold. Neither: all are kept.
pub fn retain_in_scope(findings: &mut Vec<Finding>, facts: &Facts, scope: &Scope) {
    if scope.officer.is_none() && scope.unit.is_none() {
        return;
    }
    let acts: HashMap<&str, &crate::facts::Activity> = facts
        .activities
        .iter()
        .map(|a| (a.id.as_str(), a))
        .collect();
    let units: HashMap<&str, &str> = facts
        .officers
        .iter()
        .map(|o| (o.id.as_str(), o.unit.as_str()))
        .collect();
    let dev_units: HashMap<&str, &str> = facts
        .devices
        .iter()
        .map(|d| (d.serial.as_str(), d.unit.as_str()))
        .collect();
    findings.retain(|x| {
        let mut people: Vec<&str> = x.officer.iter().map(String::as_str).collect();
        if let Some(a) = x.activity.as_deref().and_then(|a| acts.get(a)) {
            people.extend(a.officers.iter().map(String::as_str));
        }
        let officer_ok = scope.officer.as_deref().is_none_or(|o| people.contains(&o));
        let unit_ok = scope.unit.as_deref().is_none_or(|u| {
            people.iter().any(|p| units.get(p) == Some(&u))
                || x.device.as_deref().and_then(|d| dev_units.get(d)) == Some(&u)
        });
        officer_ok && unit_ok
    });
}

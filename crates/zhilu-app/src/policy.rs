//! The policy profile in force and the working-day calendar, read from the audit ledger and cached.
//!
//! The ledger is their only home: the profile in force is the text of the latest
//! `profile.applied` entry, the calendar is the built-in years plus every `calendar.loaded` entry.
//! So a PostgreSQL deployment keeps no policy in a local file, several servers agree, and the
//! rules in force at any past moment can be shown. A cache entry remembers the sequence number
//! it was built from; one index lookup per use tells whether it is still current.

use std::sync::{Arc, Mutex};

use zhilu_policy::calendar::Calendar;
use zhilu_policy::profile::Profile;

use crate::App;
use crate::error::AppError;

pub(crate) const PROFILE_APPLIED: &str = "profile.applied";
pub(crate) const CALENDAR_LOADED: &str = "calendar.loaded";

#[derive(Default)]
pub(crate) struct PolicyCache {
    profile: Mutex<Option<(u64, Arc<Profile>)>>,
    calendar: Mutex<Option<(Option<u64>, Arc<Calendar>)>>,
}

fn text_of(state: &serde_json::Value) -> &str {
    state.get("text").and_then(|t| t.as_str()).unwrap_or("")
}

impl App {
    /// The profile in force, or [`AppError::NoProfile`].
    pub async fn profile(&self) -> Result<Arc<Profile>, AppError> {
        self.profile_opt().await?.ok_or(AppError::NoProfile)
    }

    /// The profile in force, if one was chosen.
    pub async fn profile_opt(&self) -> Result<Option<Arc<Profile>>, AppError> {
        let Some(seq) = self.catalog.latest_seq_of(&[PROFILE_APPLIED]).await? else {
            return Ok(None);
        };
        if let Some((at, p)) = &*self
            .policy
            .profile
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            && *at == seq
        {
            return Ok(Some(Arc::clone(p)));
        }
        let Some(entry) = self.catalog.latest_event(PROFILE_APPLIED).await? else {
            return Ok(None);
        };
        let profile =
            Profile::parse(text_of(&entry.state())).map_err(|error| AppError::Profile {
                origin: format!("审计日志第 {} 条", entry.seq),
                error,
            })?;
        let profile = Arc::new(profile);
        *self
            .policy
            .profile
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((entry.seq, Arc::clone(&profile)));
        Ok(Some(profile))
    }

    /// The built-in calendar years plus every year an administrator loaded.
    pub async fn calendar(&self) -> Result<Arc<Calendar>, AppError> {
        let seq = self.catalog.latest_seq_of(&[CALENDAR_LOADED]).await?;
        if let Some((at, c)) = &*self
            .policy
            .calendar
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            && *at == seq
        {
            return Ok(Arc::clone(c));
        }
        let mut cal = Calendar::builtin();
        if seq.is_some() {
            for e in self.catalog.events_of_kinds(&[CALENDAR_LOADED]).await? {
                let extra = Calendar::from_toml(text_of(&e.state()))
                    .map_err(|err| AppError::Calendar(format!("审计日志第 {} 条：{err}", e.seq)))?;
                cal.merge(extra);
            }
        }
        let cal = Arc::new(cal);
        *self
            .policy
            .calendar
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((seq, Arc::clone(&cal)));
        Ok(cal)
    }
}

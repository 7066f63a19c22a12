//! Choosing and changing the policy profile, and loading calendar years: each checked completely
//! first and then written once, as a ledger entry that carries the full text.

use sha2::{Digest, Sha256};
use zhilu_policy::calendar::Calendar;
use zhilu_policy::profile::{PRESETS, Profile};
use zhilu_store::Change;

use crate::App;
use crate::actor::Actor;
use crate::error::{AppError, Field};
use crate::policy::{CALENDAR_LOADED, PROFILE_APPLIED};

/// Where a profile comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSource {
    /// A preset shipped with Zhilu, by id (`dalian-ftz`…).
    Preset(String),
    /// A profile text, named for messages (usually its file name).
    Text { name: String, text: String },
}

impl ProfileSource {
    /// The text and the name messages use.
    fn text(&self) -> Result<(String, &str), AppError> {
        match self {
            ProfileSource::Preset(id) => Ok((preset_text(id)?.to_string(), id.as_str())),
            ProfileSource::Text { name, text } => Ok((text.clone(), name.as_str())),
        }
    }

    /// The profile, checked completely.
    pub fn parse(&self) -> Result<Profile, AppError> {
        let (text, name) = self.text()?;
        validate_profile(name, &text)
    }
}

/// The presets: (id, agency, regulation).
pub fn presets() -> Vec<(&'static str, String, String)> {
    PRESETS
        .iter()
        .filter_map(|(id, src)| {
            Profile::parse(src)
                .ok()
                .map(|p| (*id, p.agency, p.regulation))
        })
        .collect()
}

/// A preset's text, or which presets exist.
pub fn preset_text(id: &str) -> Result<&'static str, AppError> {
    PRESETS
        .iter()
        .find(|(pid, _)| *pid == id.trim())
        .map(|(_, src)| *src)
        .ok_or_else(|| AppError::UnknownPreset {
            given: id.trim().to_string(),
            choices: PRESETS
                .iter()
                .map(|(id, _)| *id)
                .collect::<Vec<_>>()
                .join("、"),
        })
}

/// Checks a profile text; a refusal names `name`, the line, the field and what is wrong.
pub fn validate_profile(name: &str, src: &str) -> Result<Profile, AppError> {
    Profile::parse(src).map_err(|error| AppError::Profile {
        origin: name.to_string(),
        error,
    })
}

/// Puts a profile in force: checked completely, then one `profile.applied` ledger entry with
/// its full text. Applying the profile already in force changes nothing.
pub async fn apply_profile(
    app: &App,
    actor: &Actor,
    source: &ProfileSource,
) -> Result<std::sync::Arc<Profile>, AppError> {
    let (text, name) = source.text()?;
    let profile = validate_profile(name, &text)?;
    if let Some(entry) = app.catalog.latest_event(PROFILE_APPLIED).await?
        && entry.state().get("text").and_then(|t| t.as_str()) == Some(text.as_str())
    {
        return app.profile().await;
    }
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    app.record(
        actor,
        vec![Change::event(
            PROFILE_APPLIED,
            format!("profile:{}", profile.id()),
            serde_json::json!({ "id": profile.id(), "sha256": sha, "text": text }),
        )],
    )
    .await?;
    app.profile().await
}

/// Loads holiday arrangements for more years (e.g. when the State Council publishes next
/// year's notice). Checked before anything is written; logged with the full text.
pub async fn load_calendar(app: &App, actor: &Actor, src: &str) -> Result<Vec<i32>, AppError> {
    let cal =
        Calendar::from_toml(src).map_err(|e| AppError::invalid(Field::Calendar, e.to_string()))?;
    let years = cal.years();
    let Some(first) = years.first() else {
        return Err(AppError::invalid(Field::Calendar, "文件中没有任何年份"));
    };
    let name = format!("{first}-{}.toml", years.last().unwrap_or(first));
    app.record(
        actor,
        vec![Change::event(
            CALENDAR_LOADED,
            format!("calendar:{name}"),
            serde_json::json!({ "years": years, "text": src }),
        )],
    )
    .await?;
    Ok(years)
}

/// The years the calendar covers.
pub async fn calendar_years(app: &App, actor: &Actor) -> Result<Vec<i32>, AppError> {
    actor.reads("calendar");
    Ok(app.calendar().await?.years())
}

//! The agency's policy profile and working-day calendar in a data directory (R6–R29's numbers).
//!
//! `profile.toml` is the profile in force; every change of it is a `profile.applied` ledger entry
//! carrying the full text, so the rules that held at any past moment can be shown. Calendar years
//! an administrator loads live in `calendar/<year>.toml` and extend the built-in years.

use std::fs;

use sha2::{Digest, Sha256};
use zhilu_policy::calendar::Calendar;
use zhilu_policy::profile::{PRESETS, Profile};
use zhilu_store::Change;

use crate::app::{App, write_file_atomically};
use crate::error::AppError;

/// Finds a preset by id, or explains which exist.
pub fn preset_text(id: &str) -> Result<&'static str, AppError> {
    PRESETS
        .iter()
        .find(|(pid, _)| *pid == id.trim())
        .map(|(_, src)| *src)
        .ok_or_else(|| {
            let ids: Vec<&str> = PRESETS.iter().map(|(id, _)| *id).collect();
            AppError::invalid(
                "--profile",
                format!("没有名为“{id}”的预置配置，可选：{}", ids.join("、")),
            )
        })
}

/// Parses a profile file given on the command line, with the file named in the error.
pub fn validate_profile_text(path: &str, src: &str) -> Result<Profile, AppError> {
    Profile::parse(src).map_err(|e| AppError::Profile {
        path: path.to_string(),
        message: e.to_string(),
    })
}

impl App {
    /// The profile in force, or a clear error when none was chosen.
    pub fn profile(&self) -> Result<Profile, AppError> {
        let path = self.dir.profile();
        let src = match fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AppError::NoProfile),
            Err(e) => return Err(AppError::io(&path, e)),
        };
        validate_profile_text(&path.display().to_string(), &src)
    }

    /// The profile in force, if one was chosen.
    pub fn profile_opt(&self) -> Result<Option<Profile>, AppError> {
        match self.profile() {
            Ok(p) => Ok(Some(p)),
            Err(AppError::NoProfile) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Puts a profile in force: checked completely first, then written atomically and logged with
    /// its full text. A profile that fails any check changes nothing.
    pub async fn apply_profile(&self, src: &str, actor: &str) -> Result<Profile, AppError> {
        let profile = validate_profile_text("（输入）", src)?;
        if let Ok(current) = fs::read_to_string(self.dir.profile())
            && current == src
        {
            return Ok(profile);
        }
        let sha = hex::encode(Sha256::digest(src.as_bytes()));
        self.record(
            actor,
            vec![Change::Event {
                kind: "profile.applied".into(),
                subject: format!("profile:{}", profile.id()),
                data: serde_json::json!({ "id": profile.id(), "sha256": sha, "text": src }),
            }],
        )
        .await?;
        write_file_atomically(&self.dir.profile(), src.as_bytes(), 0o644)?;
        Ok(profile)
    }

    /// The built-in calendar years plus any loaded by an administrator.
    pub fn calendar(&self) -> Result<Calendar, AppError> {
        let mut cal = Calendar::builtin();
        let dir = self.dir.calendar_dir();
        let mut files: Vec<_> = match fs::read_dir(&dir) {
            Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(AppError::io(&dir, e)),
        };
        files.sort();
        for f in files
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "toml"))
        {
            let src = fs::read_to_string(&f).map_err(|e| AppError::io(&f, e))?;
            let extra = Calendar::from_toml(&src).map_err(|e| AppError::Config {
                path: f.clone(),
                message: e.to_string(),
            })?;
            cal.merge(extra);
        }
        Ok(cal)
    }

    /// Loads holiday arrangements for more years (e.g. when the State Council publishes next
    /// year's notice). Checked before anything is written; logged with the full text.
    pub async fn load_calendar(&self, src: &str, actor: &str) -> Result<Vec<i32>, AppError> {
        let cal =
            Calendar::from_toml(src).map_err(|e| AppError::invalid("calendar", e.to_string()))?;
        let years = cal.years();
        let Some(first) = years.first() else {
            return Err(AppError::invalid("calendar", "文件中没有任何年份"));
        };
        let name = format!("{first}-{}.toml", years.last().unwrap_or(first));
        self.record(
            actor,
            vec![Change::Event {
                kind: "calendar.loaded".into(),
                subject: format!("calendar:{name}"),
                data: serde_json::json!({ "years": years, "text": src }),
            }],
        )
        .await?;
        write_file_atomically(&self.dir.calendar_dir().join(name), src.as_bytes(), 0o644)?;
        Ok(years)
    }
}

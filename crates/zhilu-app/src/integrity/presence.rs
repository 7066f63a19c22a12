//! Presence of every stored recording (R18), for `verify`: a recording the catalog lists that no
//! vault root holds at its size is lost, and verify names it. A cheap look (no hashing: that is
//! fixity's job); a copy missing from only some roots is fixity's to report and repair. A
//! recording with a purge tombstone (R20) is expected to be absent.

use zhilu_model::Sha256;
use zhilu_store::StoreError;

use super::VerifyProblem;
use crate::App;
use crate::error::AppError;

/// One problem per recording that no root holds at its size.
pub(crate) async fn lost_recordings(app: &App) -> Result<Vec<VerifyProblem>, AppError> {
    let recordings = app.catalog.recordings(None).await?;
    // A purged recording's absence is its approved end, not a loss (R20).
    let purged: std::collections::HashSet<Sha256> = app
        .catalog
        .tombstones()
        .await?
        .into_iter()
        .map(|t| t.sha256)
        .collect();
    crate::blocking(|| {
        let mut problems = Vec::new();
        for rec in recordings.iter().filter(|r| !purged.contains(&r.sha256)) {
            let mut held = false;
            for root in app.vault.roots() {
                let st = root.stat(rec.sha256.as_str())?;
                // A symbolic link is no copy (whatever it points to is counted in its own root).
                held |= st.is_some_and(|s| s.regular && s.size == rec.size);
            }
            if !held {
                problems.push(VerifyProblem {
                    entry: None,
                    subject: Some(format!("recording:{}", rec.sha256)),
                    message: format!(
                        "音像记录 {}（{}）在所有存储位置都不存在：原始文件已丢失",
                        rec.sha256, rec.original_path
                    ),
                });
            }
        }
        Ok::<_, StoreError>(problems)
    })
    .map_err(AppError::from)
}

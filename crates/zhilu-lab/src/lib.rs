//! Dev tooling that is not part of the product: the scripted demo day (`zhilu demo`) and the
//! benchmarks (`zhilu bench …`). The CLI includes it only with its `lab` feature (on by default
//! for developers and demos; a production build is `--no-default-features`), because the
//! compliance-check benchmark loads millions of rows without ledger entries through
//! `zhilu_store::testing`, which a production build must not contain.

pub mod bench_check;
pub mod bench_check_pg;
pub mod bench_export;
pub mod bench_ingest;
pub mod bench_ledger;
pub mod bench_list;
pub mod bench_serve;
pub mod bench_serve_app;
pub mod bench_station;
pub mod bench_verify;
pub mod demo;
mod setup;
pub mod spread;

pub use spread::Spread;

use std::path::PathBuf;

/// What can go wrong in a demo or benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    App(#[from] zhilu_app::AppError),
    #[error(transparent)]
    Store(#[from] zhilu_store::StoreError),
    #[error("审计日志错误：{0}")]
    Ledger(#[from] zhilu_ledger::LedgerError),
    #[error("文件操作失败（{path}）：{reason}", path = .0.display(), reason = zhilu_model::explain::io_error(.1))]
    Io(PathBuf, std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

impl LabError {
    pub(crate) fn io(path: impl Into<PathBuf>, e: std::io::Error) -> Self {
        LabError::Io(path.into(), e)
    }
}

/// The benchmarks act as people do: the system administrator `init` creates, and a custodian
/// (保管人) who offloads. Returns (system administrator, custodian), as the shell would act.
pub(crate) async fn bench_people(
    app: &zhilu_app::App,
) -> Result<(zhilu_app::Actor, zhilu_app::Actor), zhilu_app::AppError> {
    use zhilu_app::identity::{self, NewUser};
    identity::bootstrap_admins(app, "bench").await?;
    let sys = identity::cli_actor(app, "sysadmin", "bench").await?;
    identity::add_user(
        app,
        &sys,
        NewUser {
            id: "K01".into(),
            name: "bench".into(),
            unit: "bench".into(),
            roles: vec!["custodian".into()],
            ..NewUser::default()
        },
    )
    .await?;
    let keeper = identity::cli_actor(app, "K01", "bench").await?;
    Ok((sys, keeper))
}

//! Test harness: a ready `App` in one line, on SQLite by default or on a fresh PostgreSQL database
//! when `ZHILU_TEST_POSTGRES_URL` is set (the same tests run on both).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use sqlx::Connection;
use zhilu_app::{App, DataDir, FixedClock, InitOptions, RegisterDevice};

pub struct TestApp {
    pub app: App,
    pub dir: tempfile::TempDir,
    pub db_url: String,
}

pub async fn fresh_db(dir: &Path) -> String {
    zhilu_store::testing::fresh_database_url(dir).await
}

pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
            .single()
            .expect("time"),
    ))
}

impl TestApp {
    pub async fn new() -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = fresh_db(dir.path()).await;
        let app = App::init(
            DataDir::new(dir.path().join("data")),
            InitOptions {
                database_url: Some(db_url.clone()),
                ..Default::default()
            },
            clock(),
        )
        .await
        .expect("init");
        TestApp { app, dir, db_url }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A folder standing in for a mounted device.
    pub fn device_dir(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join("devices").join(name);
        std::fs::create_dir_all(&p).expect("device dir");
        p
    }

    pub async fn register(&self, serial: &str) {
        self.app
            .register_device(
                "test",
                &RegisterDevice {
                    serial: serial.into(),
                    kind: "执法记录仪".into(),
                    model: "DSJ-T1".into(),
                    unit: "一大队".into(),
                    keeper: "张伟".into(),
                    asset_no: None,
                },
            )
            .await
            .expect("register");
    }

    /// Reopens the same data directory (after a simulated restart).
    pub async fn reopen(self) -> TestApp {
        let TestApp { app, dir, db_url } = self;
        app.close().await;
        let app = App::open(
            DataDir::new(dir.path().join("data")),
            clock(),
            Some(db_url.clone()),
        )
        .await
        .expect("reopen");
        TestApp { app, dir, db_url }
    }

    /// A raw connection to the catalog, to play an administrator editing rows behind the program.
    pub async fn raw(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.db_url)
            .await
            .expect("raw connection")
    }
}

/// Fixture media from the media crate (real encoded files).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../zhilu-media/tests/fixtures")
        .join(name)
}

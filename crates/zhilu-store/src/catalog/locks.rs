//! The device lock (R16, issue 15): one offload or station upload of a device at a time, across
//! every process that writes the catalog, so that a session of the device found `running` by
//! the lock's holder was cut off (its process died), never one still going on another server.
//!
//! Two parts, always taken in this order and released in the other:
//! 1. the catalog-wide lock where the database keeps one ([`super::driver::Driver::shared_lock`]:
//!    a PostgreSQL advisory lock, released when its holder's connection ends, so a killed
//!    server's lock dies with it);
//! 2. the lock file the caller names, where this machine's processes meet (on SQLite the whole
//!    lock: every writer of a catalog file runs on its machine). Taken after the first, it only
//!    ever waits for a process holding the file alone (a check looking whether an offload runs).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::Path;

use zhilu_model::DeviceSerial;

use super::driver::{HeldLock, SharedLock, blocking};
use super::{Catalog, Result};
use crate::error::StoreError;

/// A device's lock, held until [`DeviceLock::release`] or drop (or the process's end).
#[derive(Debug)]
pub struct DeviceLock {
    shared: Option<Box<dyn HeldLock>>,
    file: File,
}

impl DeviceLock {
    /// Releases it now (the lock file, then the catalog-wide lock, said so to the database).
    pub async fn release(self) {
        let DeviceLock { shared, file } = self;
        drop(file);
        if let Some(s) = shared {
            s.release().await;
        }
    }
}

fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| StoreError::io(path, e))
}

impl Catalog {
    /// Takes the lock of `device` for an offload or an upload: every process writing this
    /// catalog meets at it, on this machine through `file`. `wait`: queue until it is free;
    /// otherwise `None` at once when another holds it.
    #[tracing::instrument(skip_all, fields(device = %device, wait))]
    pub async fn device_lock(
        &self,
        device: &DeviceSerial,
        wait: bool,
        file: &Path,
    ) -> Result<Option<DeviceLock>> {
        let shared = match self
            .db
            .shared_lock(&format!("offload:{device}"), wait)
            .await?
        {
            SharedLock::Held(h) => Some(h),
            SharedLock::Busy => return Ok(None),
            SharedLock::NotShared => None,
        };
        let f = open(file)?;
        let locked = if wait {
            blocking(|| f.lock()).map_err(|e| StoreError::io(file, e))
        } else {
            match f.try_lock() {
                Ok(()) => Ok(()),
                Err(TryLockError::WouldBlock) => {
                    if let Some(s) = shared {
                        s.release().await;
                    }
                    return Ok(None);
                }
                Err(TryLockError::Error(e)) => Err(StoreError::io(file, e)),
            }
        };
        if let Err(e) = locked {
            if let Some(s) = shared {
                s.release().await;
            }
            return Err(e);
        }
        Ok(Some(DeviceLock { shared, file: f }))
    }
}

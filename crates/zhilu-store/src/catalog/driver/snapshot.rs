//! A catalog read through one read transaction: [`Catalog::snapshot`] gives a `Catalog` whose every
//! query reads the same moment of the database, so a check that compares several tables (the
//! ledger against the rows it wrote, `verify`) never sees half of a concurrent commit.

use futures_util::future::BoxFuture;
use tokio::sync::Mutex;

use super::{Backend, Driver, DriverTx, Result, Stmt, Value, Visit};
use crate::error::StoreError;

pub(crate) struct Snapshot {
    backend: Backend,
    tx: Mutex<Box<dyn DriverTx>>,
}

impl Snapshot {
    pub(crate) fn new(backend: Backend, tx: Box<dyn DriverTx>) -> Self {
        Snapshot {
            backend,
            tx: Mutex::new(tx),
        }
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

fn read_only() -> StoreError {
    StoreError::database(
        "只读快照不能写入",
        "a read snapshot refuses writes (internal error)",
    )
}

impl Driver for Snapshot {
    fn backend(&self) -> Backend {
        self.backend
    }

    fn execute<'a>(&'a self, _sql: Stmt, _args: Vec<Value>) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move { Err(read_only()) })
    }

    fn each<'a>(&'a self, sql: Stmt, args: Vec<Value>, f: Visit<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.tx.lock().await.each(sql, args, f).await })
    }

    fn begin_write(&self) -> BoxFuture<'_, Result<Box<dyn DriverTx>>> {
        Box::pin(async move { Err(read_only()) })
    }

    fn begin_read(&self) -> BoxFuture<'_, Result<Box<dyn DriverTx>>> {
        Box::pin(async move { Err(read_only()) })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        // Dropping the snapshot ends its transaction.
        Box::pin(async {})
    }
}

//! Who and what: devices and their lifecycle (R1–R2), collection stations, units, officers, and
//! the usage ledger of checkouts (R3–R4).

use chrono::{DateTime, Utc};
use zhilu_model::*;

use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, Versioned, micros, text};

table!(
    Device, table = "devices", noun = "device",
    inserted = "device.registered", updated = "device.updated",
    key = { serial => "serial" },
    subject = |r| format!("device:{}", r.serial),
    state = v1::Device,
    columns = {
        serial => "serial", kind => "kind", model => "model", asset_no => "asset_no",
        unit => "unit", keeper => "keeper", status => "status", registered_at => "registered_at",
    },
);

table!(
    DeviceEvent, table = "device_events", noun = "device_event",
    inserted = "device.event", updated = "device_event.updated",
    key = { id => "id" },
    subject = |r| format!("device_event:{}", r.id),
    state = v1::DeviceEvent,
    columns = {
        id => "id", serial => "serial", event => "event", detail => "detail", at => "at",
        actor => "actor",
    },
);

table!(
    Station, table = "stations", noun = "station",
    inserted = "station.registered", updated = "station.updated",
    key = { id => "id" },
    subject = |r| format!("station:{}", r.id),
    state = v1::Station,
    columns = { id => "id", first_seen => "first_seen" },
);

table!(
    Unit, table = "units", noun = "unit",
    inserted = "unit.added", updated = "unit.updated",
    key = { id => "id" },
    subject = |r| format!("unit:{}", r.id),
    state = v1::Unit,
    columns = { id => "id", name => "name", created_at => "created_at" },
);

table!(
    Officer, table = "officers", noun = "officer",
    inserted = "officer.added", updated = "officer.updated",
    key = { id => "id" },
    subject = |r| format!("officer:{}", r.id),
    state = v1::Officer,
    columns = {
        id => "id", name => "name", unit => "unit", role => "role", created_at => "created_at",
    },
);

table!(
    Checkout, table = "checkouts", noun = "checkout",
    inserted = "device.checked_out", updated = "device.returned",
    key = { id => "id" },
    subject = |r| format!("checkout:{}", r.id),
    state = v1::Checkout,
    columns = {
        id => "id", device => "device_serial", officer => "officer", out_at => "out_at",
        returned_at => "returned_at", battery_pct => "battery_pct", free_gb => "free_gb",
        clock_ok => "clock_ok", recorded_summary => "recorded_summary",
    },
);

impl Catalog {
    pub async fn device(&self, serial: &DeviceSerial) -> Result<Option<Versioned<Device>>> {
        self.get(vec![text(serial.as_str())]).await
    }

    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.select("", vec![], "serial").await
    }

    /// Lifecycle events, of one device or of all, in time order.
    pub async fn device_events(&self, serial: Option<&DeviceSerial>) -> Result<Vec<DeviceEvent>> {
        match serial {
            Some(s) => {
                self.select("serial = $1", vec![text(s.as_str())], "at, id")
                    .await
            }
            None => self.select("", vec![], "at, id").await,
        }
    }

    pub async fn station(&self, id: &StationId) -> Result<Option<Station>> {
        Ok(self
            .get::<Station>(vec![text(id.as_str())])
            .await?
            .map(|v| v.record))
    }

    pub async fn unit(&self, id: &str) -> Result<Option<Unit>> {
        Ok(self.get::<Unit>(vec![text(id)]).await?.map(|v| v.record))
    }

    pub async fn officer(&self, id: &OfficerId) -> Result<Option<Officer>> {
        Ok(self
            .get::<Officer>(vec![text(id.as_str())])
            .await?
            .map(|v| v.record))
    }

    pub async fn officers(&self) -> Result<Vec<Officer>> {
        self.select("", vec![], "id").await
    }

    /// The device's checkout that has not been returned, if any (at most one: a unique index).
    pub async fn open_checkout(
        &self,
        device: &DeviceSerial,
    ) -> Result<Option<Versioned<Checkout>>> {
        Ok(self
            .select_versioned(
                "device_serial = $1 AND returned_at IS NULL",
                vec![text(device.as_str())],
                "out_at",
            )
            .await?
            .pop())
    }

    /// The usage ledger (R3), in checkout order.
    pub async fn checkouts(&self) -> Result<Vec<Checkout>> {
        self.select("", vec![], "out_at, id").await
    }

    /// Checkouts that were open at some moment of `[from, to]`: returned at or after `from` (or
    /// not yet returned) and taken out at or before `to`.
    pub async fn checkouts_overlapping(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Checkout>> {
        let span = self.longest_checkout_us().await?;
        let lo = from.timestamp_micros();
        let mut out: Vec<Checkout> = self
            .select(
                "out_at >= $1 AND out_at <= $2 AND returned_at >= $3",
                vec![
                    super::int(lo.saturating_sub(span)),
                    micros(to),
                    super::int(lo),
                ],
                "out_at, id",
            )
            .await?;
        out.extend(
            self.select::<Checkout>(
                "returned_at IS NULL AND out_at <= $1",
                vec![micros(to)],
                "out_at, id",
            )
            .await?,
        );
        Ok(out)
    }

    /// The longest returned checkout (µs; 0 when there is none): with it, "checkouts that
    /// overlap [lo, hi]" is one indexed range on `out_at` (migration 0003 indexes the span).
    pub(crate) async fn longest_checkout_us(&self) -> Result<i64> {
        Ok(self
            .scalar_int(
                super::stmt("SELECT MAX(returned_at - out_at) FROM checkouts"),
                vec![],
            )
            .await?
            .unwrap_or(0)
            .max(0))
    }
}

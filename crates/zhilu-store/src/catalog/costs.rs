//! Devices' costs (R31): purchases, maintenance, repairs, in fen.

use chrono::NaiveDate;
use zhilu_model::*;

use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, text};

table!(
    DeviceCost, table = "device_costs", noun = "cost",
    inserted = "cost.recorded", updated = "cost.updated",
    key = { id => "id" },
    subject = |r| format!("cost:{}", r.id),
    state = v1::DeviceCost,
    columns = {
        id => "id", device => "device_serial", unit => "unit", kind => "kind",
        amount_fen => "amount_fen", on => "on_day", note => "note",
        recorded_by => "recorded_by", recorded_at => "recorded_at",
    },
);

impl Catalog {
    /// A device's costs, by day.
    pub async fn device_costs(&self, device: &DeviceSerial) -> Result<Vec<DeviceCost>> {
        self.select(
            "device_serial = $1",
            vec![text(device.as_str())],
            "on_day, id",
        )
        .await
    }

    /// Every cost incurred on a day in `[from, to]` (both Beijing days, inclusive), by unit and day.
    pub async fn costs_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DeviceCost>> {
        self.select(
            "on_day >= $1 AND on_day <= $2",
            vec![text(&from.to_string()), text(&to.to_string())],
            "unit, on_day, id",
        )
        .await
    }
}

-- Catalog v12: devices' costs (R31, issue 14). Keep in step with the other backend's 0012.
--
-- One row per expense on a device: its kind (purchase, maintenance, repair, other), the amount in
-- fen (integer: sums are exact), the Beijing day it was incurred (`YYYY-MM-DD`, so text order is
-- day order) and the unit the device was registered to when it was recorded.
CREATE TABLE device_costs (
    id             TEXT PRIMARY KEY,
    device_serial  TEXT NOT NULL REFERENCES devices(serial),
    unit           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    amount_fen     BIGINT NOT NULL,
    on_day         TEXT NOT NULL,
    note           TEXT,
    recorded_by    TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    ledger_seq     BIGINT NOT NULL
);
CREATE INDEX device_costs_device ON device_costs (device_serial);
CREATE INDEX device_costs_day ON device_costs (on_day);

-- Catalog v9: findings kept as work items (issue 14). Keep in step with the other backend's 0009.
--
-- One row per finding identity (`key`: rule, code and the records it concerns), with its
-- workflow: open → acknowledged → rectified → closed, or reopened. A check that runs keeps the
-- rows in step with what it finds (self-closing, reopening); the unique key makes a concurrent
-- second check a clean retry, never a duplicate.
CREATE TABLE finding_cases (
    id                  TEXT PRIMARY KEY,
    key                 TEXT NOT NULL,
    rule                TEXT NOT NULL,
    code                TEXT NOT NULL,
    article             TEXT NOT NULL,
    severity            TEXT NOT NULL,
    message             TEXT NOT NULL,
    officers            TEXT NOT NULL,
    units               TEXT NOT NULL,
    activity            TEXT,
    recording           TEXT,
    device_serial       TEXT,
    arose_at            BIGINT NOT NULL,
    first_seen          BIGINT NOT NULL,
    last_seen           BIGINT NOT NULL,
    state               TEXT NOT NULL,
    acknowledged_by     TEXT,
    acknowledged_at     BIGINT,
    rectification       TEXT,
    rectification_links TEXT NOT NULL,
    rectified_by        TEXT,
    rectified_at        BIGINT,
    closed_by           TEXT,
    closed_at           BIGINT,
    closed_reason       TEXT,
    reopen_count        BIGINT NOT NULL,
    note                TEXT,
    ledger_seq          BIGINT NOT NULL
);

CREATE UNIQUE INDEX finding_cases_key ON finding_cases (key);
CREATE INDEX finding_cases_state ON finding_cases (state);

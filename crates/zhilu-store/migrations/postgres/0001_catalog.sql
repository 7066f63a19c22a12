-- Catalog v1 (PostgreSQL). Keep in step with ../sqlite/0001_catalog.sql: same tables, same columns.
-- Instants are unix microseconds (UTC); booleans are 0/1 integers so that both backends decode alike.
-- Every row carries `ledger_seq`: the audit-ledger entry that last wrote it (see zhilu-store::catalog).

CREATE TABLE devices (
    serial        TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    model         TEXT NOT NULL,
    asset_no      TEXT,
    unit          TEXT NOT NULL,
    keeper        TEXT NOT NULL,
    status        TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    ledger_seq    BIGINT NOT NULL
);

CREATE TABLE device_events (
    id         TEXT PRIMARY KEY,
    serial     TEXT NOT NULL REFERENCES devices(serial),
    event      TEXT NOT NULL,
    detail     TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    ledger_seq BIGINT NOT NULL
);
CREATE INDEX device_events_serial ON device_events(serial, at);

CREATE TABLE stations (
    id          TEXT PRIMARY KEY,
    first_seen  BIGINT NOT NULL,
    ledger_seq  BIGINT NOT NULL
);

CREATE TABLE offload_sessions (
    id                    TEXT PRIMARY KEY,
    device_serial         TEXT NOT NULL REFERENCES devices(serial),
    officer               TEXT NOT NULL,
    station               TEXT NOT NULL REFERENCES stations(id),
    source                TEXT NOT NULL,
    started_at            BIGINT NOT NULL,
    finished_at           BIGINT,
    status                TEXT NOT NULL,
    device_clock_offset_ms BIGINT,
    device_cleared        BIGINT NOT NULL,
    files_seen            BIGINT NOT NULL,
    imported              BIGINT NOT NULL,
    duplicates            BIGINT NOT NULL,
    damaged               BIGINT NOT NULL,
    skipped               BIGINT NOT NULL,
    bytes                 BIGINT NOT NULL,
    ledger_seq            BIGINT NOT NULL
);
CREATE INDEX offload_sessions_device ON offload_sessions(device_serial, started_at);

CREATE TABLE recordings (
    sha256         TEXT PRIMARY KEY,
    sm3            TEXT NOT NULL UNIQUE,
    size           BIGINT NOT NULL,
    media_kind     TEXT NOT NULL,
    capture_start  BIGINT,
    capture_end    BIGINT,
    duration_ms    BIGINT,
    time_source    TEXT NOT NULL,
    device_serial  TEXT NOT NULL REFERENCES devices(serial),
    officer        TEXT NOT NULL,
    name_device_id TEXT,
    name_officer_id TEXT,
    sequence       BIGINT,
    important      BIGINT NOT NULL,
    original_name  TEXT NOT NULL,
    original_path  TEXT NOT NULL,
    offloaded_at   BIGINT NOT NULL,
    station        TEXT NOT NULL REFERENCES stations(id),
    session_id     TEXT NOT NULL REFERENCES offload_sessions(id),
    damaged        BIGINT NOT NULL,
    damage_reason  TEXT,
    ledger_seq     BIGINT NOT NULL
);
CREATE INDEX recordings_device_capture ON recordings(device_serial, capture_start);
CREATE INDEX recordings_officer_capture ON recordings(officer, capture_start);

-- Every name under which a stored object was seen on a device (the first one too).
CREATE TABLE recording_names (
    sha256        TEXT NOT NULL REFERENCES recordings(sha256),
    device_serial TEXT NOT NULL REFERENCES devices(serial),
    original_path TEXT NOT NULL,
    size          BIGINT NOT NULL,
    session_id    TEXT NOT NULL REFERENCES offload_sessions(id),
    seen_at       BIGINT NOT NULL,
    ledger_seq    BIGINT NOT NULL,
    PRIMARY KEY (device_serial, original_path, sha256)
);
CREATE INDEX recording_names_sha ON recording_names(sha256);

-- The audit ledger: an append-only RFC 6962 log. `body` is the exact leaf data (canonical JSON).
CREATE TABLE ledger_entries (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL,
    leaf_hash TEXT NOT NULL
);
CREATE INDEX ledger_entries_subject ON ledger_entries(subject, seq);

-- Perfect-subtree hashes (level, index) so that roots and proofs cost O(log n) reads.
CREATE TABLE ledger_nodes (
    level BIGINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);

-- One row: the tree size and root after the last commit. Writers bump it with a compare-and-set,
-- so two writers can never both append entry n.
CREATE TABLE ledger_head (
    id   BIGINT PRIMARY KEY,
    alg  TEXT NOT NULL,
    size BIGINT NOT NULL,
    root TEXT NOT NULL
);

-- Signed checkpoints (C2SP signed-note text), one per size that was signed.
CREATE TABLE ledger_checkpoints (
    size BIGINT PRIMARY KEY,
    at   BIGINT NOT NULL,
    note TEXT NOT NULL
);

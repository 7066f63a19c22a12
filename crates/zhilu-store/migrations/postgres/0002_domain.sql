-- Catalog v2: the enforcement domain (issue 3). Keep in step with the other backend's 0002.
-- Columns match zhilu-store/src/domain.rs (generated SQL); JSON arrays are stored as TEXT.

CREATE TABLE units (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    ledger_seq BIGINT NOT NULL
);

CREATE TABLE officers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    unit       TEXT NOT NULL REFERENCES units(id),
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    ledger_seq BIGINT NOT NULL
);

CREATE TABLE checkouts (
    id               TEXT PRIMARY KEY,
    device_serial    TEXT NOT NULL REFERENCES devices(serial),
    officer          TEXT NOT NULL REFERENCES officers(id),
    out_at           BIGINT NOT NULL,
    returned_at      BIGINT,
    battery_pct      BIGINT,
    free_gb          BIGINT,
    clock_ok         BIGINT NOT NULL,
    recorded_summary TEXT,
    ledger_seq       BIGINT NOT NULL
);
CREATE INDEX checkouts_device ON checkouts(device_serial, out_at);

CREATE TABLE activities (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    subject_name      TEXT NOT NULL,
    subject_code      TEXT,
    subject_code_kind TEXT,
    place             TEXT NOT NULL,
    officers          TEXT NOT NULL,
    start_at          BIGINT NOT NULL,
    end_at            BIGINT NOT NULL,
    case_no           TEXT,
    flags             TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    created_by        TEXT NOT NULL,
    ledger_seq        BIGINT NOT NULL
);
CREATE INDEX activities_end ON activities(end_at);
CREATE INDEX activities_start ON activities(start_at);
CREATE INDEX activities_subject_code ON activities(subject_code);
CREATE INDEX activities_subject_name ON activities(subject_name);

CREATE TABLE activity_links (
    sha256      TEXT NOT NULL REFERENCES recordings(sha256),
    activity_id TEXT NOT NULL REFERENCES activities(id),
    method      TEXT NOT NULL,
    linked_at   BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    ledger_seq  BIGINT NOT NULL,
    PRIMARY KEY (sha256, activity_id)
);
CREATE INDEX activity_links_activity ON activity_links(activity_id);

CREATE TABLE norecords (
    id          TEXT PRIMARY KEY,
    activity_id TEXT NOT NULL REFERENCES activities(id),
    reason      TEXT NOT NULL,
    basis       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    ledger_seq  BIGINT NOT NULL
);
CREATE INDEX norecords_activity ON norecords(activity_id);

CREATE TABLE interruptions (
    id           TEXT PRIMARY KEY,
    activity_id  TEXT NOT NULL REFERENCES activities(id),
    after_sha256 TEXT NOT NULL REFERENCES recordings(sha256),
    reason       TEXT NOT NULL,
    voice_stated BIGINT NOT NULL,
    detail       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    ledger_seq   BIGINT NOT NULL
);
CREATE INDEX interruptions_activity ON interruptions(activity_id);

CREATE TABLE offload_extensions (
    id          TEXT PRIMARY KEY,
    activity_id TEXT NOT NULL REFERENCES activities(id),
    reason      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    ledger_seq  BIGINT NOT NULL
);
CREATE INDEX offload_extensions_activity ON offload_extensions(activity_id);

CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    chain        TEXT NOT NULL,
    steps        TEXT NOT NULL,
    status       TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    ledger_seq   BIGINT NOT NULL
);

CREATE TABLE holds (
    id          TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL REFERENCES recordings(sha256),
    reason      TEXT NOT NULL,
    placed_at   BIGINT NOT NULL,
    placed_by   TEXT NOT NULL,
    released_at BIGINT,
    ledger_seq  BIGINT NOT NULL
);
CREATE INDEX holds_sha ON holds(sha256);

-- The compliance check reads recordings by capture time and by offload time.
CREATE INDEX recordings_capture ON recordings(capture_start);
CREATE INDEX recordings_offloaded ON recordings(offloaded_at);

-- Fixity outcomes and profile changes are looked up by kind.
CREATE INDEX ledger_entries_kind ON ledger_entries(kind, seq);
CREATE INDEX offload_sessions_started ON offload_sessions(started_at);
CREATE INDEX checkouts_out ON checkouts(out_at);
CREATE INDEX checkouts_returned ON checkouts(returned_at);

CREATE TABLE access_requests (
    id         TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL REFERENCES recordings(sha256),
    requester  TEXT NOT NULL REFERENCES officers(id),
    reason     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    ledger_seq BIGINT NOT NULL
);

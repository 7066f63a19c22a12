-- Catalog v7: approved purge (R20, issue 13). Keep in step with the other backend's 0007.
--
-- A purge request lists expired recordings; its approval is an `approvals` row (kind `purge`).
-- Executing it commits one tombstone per recording before the bytes are deleted from the vault;
-- the recording's own row stays, so the ledger and the catalog keep agreeing.
CREATE TABLE purge_requests (
    id          TEXT PRIMARY KEY,
    items       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    requester   TEXT NOT NULL REFERENCES officers(id),
    created_at  BIGINT NOT NULL,
    executed_at BIGINT,
    executed_by TEXT,
    ledger_seq  BIGINT NOT NULL
);

CREATE TABLE tombstones (
    sha256           TEXT PRIMARY KEY REFERENCES recordings(sha256),
    sm3              TEXT NOT NULL,
    size             BIGINT NOT NULL,
    device_serial    TEXT NOT NULL,
    original_name    TEXT NOT NULL,
    capture_start    BIGINT,
    capture_end      BIGINT,
    retention_class  TEXT NOT NULL,
    retention_reason TEXT NOT NULL,
    request          TEXT NOT NULL REFERENCES purge_requests(id),
    approvals        TEXT NOT NULL,
    purged_at        BIGINT NOT NULL,
    purged_by        TEXT NOT NULL,
    ledger_seq       BIGINT NOT NULL
);

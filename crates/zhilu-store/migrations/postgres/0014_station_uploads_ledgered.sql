-- Catalog v14: a station upload's lifecycle is ledger state (issue 15, R16). Keep in step with
-- the other backend's 0014.
--
-- Until v13 the rows of `station_uploads` were written beside the ledger. They are kept, unchanged,
-- in `station_uploads_v13`, which nothing writes again: an open one is taken into the ledger (one
-- `station.upload_opened` entry) when it is next asked about or swept; an ended one is only read.
-- The new `station_uploads` is written by `Catalog::commit` (opened; closed as stored, refused or
-- abandoned), stamped with the entry that last wrote it. Only `upload_offset` and `updated_at`
-- (progress: bytes made durable, when they last moved) are updated beside the ledger.
ALTER TABLE station_uploads RENAME TO station_uploads_v13;
DROP INDEX station_uploads_open;
CREATE TABLE station_uploads (
    id             TEXT PRIMARY KEY,
    station        TEXT NOT NULL,
    device_serial  TEXT NOT NULL,
    officer        TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    sm3            TEXT NOT NULL,
    upload_offset  BIGINT NOT NULL,
    status         TEXT NOT NULL,
    outcome        TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    ledger_seq     BIGINT NOT NULL
);
-- One open upload per station and content: a second POST of the same file resumes the first.
CREATE UNIQUE INDEX station_uploads_open ON station_uploads (station, sha256) WHERE status = 'open';
CREATE INDEX station_uploads_stale ON station_uploads (status, updated_at);

-- Catalog v13: networked collection stations (R16, R26; issue 15). Keep in step with the other
-- backend's 0013.
--
-- `station_credentials`: a station's registered credential (ledger state). Only the SHA-256 of
-- its bearer token is kept; `revoked_at` set means it is refused.
CREATE TABLE station_credentials (
    station        TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    unit           TEXT,
    token_sha256   TEXT NOT NULL,
    registered_at  BIGINT NOT NULL,
    revoked_at     BIGINT,
    ledger_seq     BIGINT NOT NULL
);
CREATE UNIQUE INDEX station_credentials_token ON station_credentials (token_sha256);

-- `station_uploads`: resumable uploads in progress, kept beside the ledger (transport state, like
-- login sessions: the stored recording is what the ledger records). `upload_offset` is the number
-- of bytes of `<data>/uploads/<id>.part` made durable (fsynced) before it was written here.
-- Status: open, stored (recording = its SHA-256), refused (hashes did not match).
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
    updated_at     BIGINT NOT NULL
);
-- One open upload per station and content: a second POST of the same file resumes the first.
CREATE UNIQUE INDEX station_uploads_open ON station_uploads (station, sha256) WHERE status = 'open';

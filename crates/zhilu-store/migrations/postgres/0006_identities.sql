-- Catalog v6: identities, grants and footage served (issue 11). Keep in step with the other
-- backend's 0006.
--
-- Every person who acts has an `officers` row (id, name, unit: the person register); `accounts`
-- adds what makes them a user (roles, clearances, certificate, disabled). Passwords are Argon2id
-- PHC strings in `credentials`; the ledger holds a digest of each, never the string.
CREATE TABLE accounts (
    id               TEXT PRIMARY KEY REFERENCES officers(id),
    roles            TEXT NOT NULL,
    clearances       TEXT NOT NULL,
    certificate      TEXT,
    certificate_from TEXT,
    certificate_to   TEXT,
    disabled         BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    ledger_seq       BIGINT NOT NULL
);

CREATE TABLE credentials (
    user_id     TEXT PRIMARY KEY REFERENCES accounts(id),
    phc         TEXT NOT NULL,
    set_at      BIGINT NOT NULL,
    must_change BIGINT NOT NULL,
    ledger_seq  BIGINT NOT NULL
);

-- An access request names more than one recording, a kind and a period (issue 11); rows of
-- earlier releases are one recording, to view.
ALTER TABLE access_requests ADD COLUMN more TEXT NOT NULL DEFAULT '[]';
ALTER TABLE access_requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'view';
ALTER TABLE access_requests ADD COLUMN days BIGINT;
ALTER TABLE access_requests ADD COLUMN activity TEXT;

CREATE TABLE grants (
    id          TEXT PRIMARY KEY,
    request     TEXT NOT NULL REFERENCES access_requests(id),
    holder      TEXT NOT NULL REFERENCES officers(id),
    kind        TEXT NOT NULL,
    items       TEXT NOT NULL,
    granted_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    revoked_by  TEXT,
    ledger_seq  BIGINT NOT NULL
);
CREATE INDEX grants_holder ON grants (holder, expires_at);

CREATE TABLE playbacks (
    id          TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL REFERENCES grants(id),
    user_id     TEXT NOT NULL REFERENCES officers(id),
    sha256      TEXT NOT NULL REFERENCES recordings(sha256),
    kind        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    ranges      TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    ledger_seq  BIGINT NOT NULL
);
CREATE INDEX playbacks_grant ON playbacks (grant_id);

CREATE TABLE classifications (
    item        TEXT PRIMARY KEY,
    secrecy     TEXT,
    set_by      TEXT NOT NULL REFERENCES officers(id),
    set_at      BIGINT NOT NULL,
    ledger_seq  BIGINT NOT NULL
);

-- Not ledger state: login sessions and failed-login counters are operational. Logins, logouts,
-- failures and lockouts are ledger *events*; a session row forged here still needs a user whose
-- account the ledger vouches for. The session id is kept only as its SHA-256.
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT,
    data        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE login_failures (
    user_id      TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    locked_until BIGINT
);

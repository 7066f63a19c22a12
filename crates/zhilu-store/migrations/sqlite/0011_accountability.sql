-- Catalog v11: accountability (R28, R29, issue 14). Keep in step with the other backend's 0011.
--
-- Annual reviews (年度评查), violations recorded against officers from the profile's catalogue
-- with the finding cases and ledger entries that prove them, and the sanctions decided on them
-- (a suspension of enforcement runs over [from_day, to_day)). Days are `YYYY-MM-DD` text.
CREATE TABLE annual_reviews (
    id            TEXT PRIMARY KEY,
    year          BIGINT NOT NULL,
    held_on       TEXT NOT NULL,
    summary       TEXT NOT NULL,
    recorded_by   TEXT NOT NULL REFERENCES officers(id),
    recorded_at   BIGINT NOT NULL,
    ledger_seq    BIGINT NOT NULL
);
CREATE INDEX annual_reviews_year ON annual_reviews (year);

CREATE TABLE violations (
    id            TEXT PRIMARY KEY,
    officer       TEXT NOT NULL REFERENCES officers(id),
    kind          TEXT NOT NULL,
    description   TEXT NOT NULL,
    occurred_on   TEXT NOT NULL,
    findings      TEXT NOT NULL,
    entries       TEXT NOT NULL,
    recorded_by   TEXT NOT NULL REFERENCES officers(id),
    recorded_at   BIGINT NOT NULL,
    ledger_seq    BIGINT NOT NULL
);
CREATE INDEX violations_officer ON violations (officer);

CREATE TABLE sanctions (
    id            TEXT PRIMARY KEY,
    violation     TEXT NOT NULL REFERENCES violations(id),
    officer       TEXT NOT NULL REFERENCES officers(id),
    kind          TEXT NOT NULL,
    decided_on    TEXT NOT NULL,
    from_day      TEXT NOT NULL,
    to_day        TEXT,
    decided_by    TEXT NOT NULL,
    recorded_by   TEXT NOT NULL REFERENCES officers(id),
    recorded_at   BIGINT NOT NULL,
    ledger_seq    BIGINT NOT NULL
);
CREATE INDEX sanctions_officer ON sanctions (officer);

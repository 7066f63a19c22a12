-- Catalog v10: sampling reviews (R27, issue 14). Keep in step with the other backend's 0010.
--
-- A draw keeps its seed, algorithm and population digest so that anyone can re-run it; items and
-- strata are JSON text. One review per draw and activity.
CREATE TABLE sample_draws (
    id                TEXT PRIMARY KEY,
    period_from       TEXT NOT NULL,
    period_to         TEXT NOT NULL,
    ratio             TEXT NOT NULL,
    stratified_by     TEXT NOT NULL,
    seed              TEXT NOT NULL,
    algorithm         TEXT NOT NULL,
    population_count  BIGINT NOT NULL,
    population_digest TEXT NOT NULL,
    items             TEXT NOT NULL,
    strata            TEXT NOT NULL,
    reason            TEXT,
    drawn_by          TEXT NOT NULL REFERENCES officers(id),
    drawn_at          BIGINT NOT NULL,
    ledger_seq        BIGINT NOT NULL
);

CREATE TABLE sample_reviews (
    draw_id     TEXT NOT NULL REFERENCES sample_draws(id),
    activity_id TEXT NOT NULL REFERENCES activities(id),
    items       TEXT NOT NULL,
    comment     TEXT NOT NULL,
    reviewer    TEXT NOT NULL REFERENCES officers(id),
    reviewed_at BIGINT NOT NULL,
    ledger_seq  BIGINT NOT NULL,
    PRIMARY KEY (draw_id, activity_id)
);

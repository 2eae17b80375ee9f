-- Event batches whose alerts are stored (internal/pipeline): a batch
-- delivered again after its holder died between storing its alerts and
-- acknowledging it is recognised here and not counted twice. Kept as long
-- as the events stream keeps events (72 h by default).
CREATE TABLE detect_done (
    stream   TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    alerts   TEXT NOT NULL DEFAULT '[]', -- JSON ids of the alerts it raised or joined
    done_at  {{TIME}} NOT NULL,
    PRIMARY KEY (stream, seq)
);
CREATE INDEX detect_done_at ON detect_done (done_at);

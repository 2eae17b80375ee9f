-- Drills (diklat, internal/drill): BSSN composes a drill from simulated
-- attack traffic (the simulator's classes) or a log file and schedules it
-- into rooms; each room's run is replayed through the detection engine
-- and its alerts are kept here, apart from the real alerts table, so that
-- they can never reach the bouncers, the DNS blocklist, the real counts,
-- the daily report or another room. {{ID}} and {{TIME}} per engine.
CREATE TABLE drills (
    id            {{ID}},
    name          TEXT NOT NULL,
    source        TEXT NOT NULL,               -- simulated, log
    classes       TEXT NOT NULL DEFAULT '[]',  -- JSON: the simulator's attack classes
    log_text      TEXT NOT NULL DEFAULT '',    -- the log file replayed (source log)
    log_format    TEXT NOT NULL DEFAULT '',
    expect_level  TEXT NOT NULL DEFAULT '',    -- where a room should escalate: province, national; '' none
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at    {{TIME}} NOT NULL
);

CREATE TABLE drill_runs (
    id             {{ID}},
    drill_id       BIGINT NOT NULL REFERENCES drills(id),
    room_id        BIGINT NOT NULL REFERENCES rooms(id),
    scheduled_at   {{TIME}} NOT NULL,
    started_at     {{TIME}},
    finished_at    {{TIME}},
    status         TEXT NOT NULL DEFAULT 'scheduled', -- scheduled, running, finished
    acked_at       {{TIME}},
    acked_by       BIGINT REFERENCES users(id),
    escalated_at   {{TIME}},
    escalated_to   TEXT NOT NULL DEFAULT '',
    escalated_by   BIGINT REFERENCES users(id),
    reported_at    {{TIME}},
    report         TEXT NOT NULL DEFAULT '',
    reported_by    BIGINT REFERENCES users(id),
    score          INTEGER,
    score_detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX drill_runs_room ON drill_runs (room_id, id);
CREATE INDEX drill_runs_due ON drill_runs (status, scheduled_at);

CREATE TABLE drill_alerts (
    id           {{ID}},
    run_id       BIGINT NOT NULL REFERENCES drill_runs(id),
    scenario     TEXT NOT NULL,
    title        TEXT NOT NULL,
    severity     TEXT NOT NULL,
    technique    TEXT NOT NULL DEFAULT '',
    source_ip    TEXT NOT NULL DEFAULT '',
    rule_ids     TEXT NOT NULL DEFAULT '[]',
    event_count  BIGINT NOT NULL DEFAULT 0,
    first_seen   {{TIME}} NOT NULL,
    last_seen    {{TIME}} NOT NULL,
    status       TEXT NOT NULL DEFAULT 'new', -- new, acknowledged
    acked_at     {{TIME}},
    acked_by     BIGINT REFERENCES users(id)
);
CREATE INDEX drill_alerts_run ON drill_alerts (run_id, id);

-- Each person's training: a drill they took part in, or a course BSSN
-- gave; a room's readiness counts its members with a record.
CREATE TABLE training_records (
    id          {{ID}},
    user_id     BIGINT NOT NULL REFERENCES users(id),
    run_id      BIGINT REFERENCES drill_runs(id),
    kind        TEXT NOT NULL,               -- drill, course
    title       TEXT NOT NULL,
    trained_by  TEXT NOT NULL DEFAULT 'bssn',
    score       INTEGER,
    at          {{TIME}} NOT NULL
);
CREATE INDEX training_records_user ON training_records (user_id, at);

-- Elections and phases entered by coordinators (internal/calendar); the
-- shipped ones (Pemilu and Pilkada 2024) live in the binary as data.
CREATE TABLE elections (
    id          {{ID}},
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  {{TIME}} NOT NULL
);

CREATE TABLE election_phases (
    id           {{ID}},
    election_id  BIGINT NOT NULL REFERENCES elections(id),
    phase_key    TEXT NOT NULL,
    name         TEXT NOT NULL,
    starts_on    TEXT NOT NULL,   -- YYYY-MM-DD, local time of each room
    ends_on      TEXT NOT NULL,   -- inclusive
    posture      TEXT NOT NULL,
    critical     TEXT NOT NULL DEFAULT '[]', -- JSON list of asset names or tags
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   {{TIME}} NOT NULL,
    UNIQUE (election_id, phase_key)
);

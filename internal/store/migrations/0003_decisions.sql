-- Blocking: decisions (ban or captcha an IP or range for a while), the
-- allow-list that overrides them, and the bouncers (enforcement points
-- speaking CrowdSec's Local API) that pull them.
-- {{ID}} and {{TIME}} are filled in per engine (see migrate.go).

-- Decisions. A decision is live while proposed, or while active with
-- until in the future; "expired" is computed on read from until, so no job
-- has to run for a block to end. At most one live decision per value is
-- kept by the decision package (it extends instead of duplicating).
CREATE TABLE decisions (
    id             {{ID}},
    value          TEXT NOT NULL,            -- canonical IP ("192.0.2.7", "2001:db8::1") or CIDR ("192.0.2.0/24")
    scope          TEXT NOT NULL,            -- "Ip" or "Range", as CrowdSec names them
    ip_size        INTEGER NOT NULL,         -- 4 or 16
    start_ip       BYTEA NOT NULL,           -- first address of the range, 16 bytes big-endian
    end_ip         BYTEA NOT NULL,           -- last address of the range, 16 bytes big-endian
    type           TEXT NOT NULL,            -- ban, captcha
    origin         TEXT NOT NULL,            -- garda (a scenario's policy), manual (a person)
    scenario       TEXT NOT NULL DEFAULT '', -- detection scenario id, e.g. http-sqli
    reason         TEXT NOT NULL DEFAULT '',
    duration_s     BIGINT NOT NULL,          -- how long the block lasts once active
    status         TEXT NOT NULL,            -- proposed, active, rejected, revoked
    created_at     {{TIME}} NOT NULL,
    created_by     TEXT NOT NULL,
    created_by_id  BIGINT REFERENCES users(id),
    starts_at      {{TIME}},                 -- when it became active (creation or approval)
    until          {{TIME}},                 -- when it ends; NULL while proposed
    decided_at     {{TIME}},                 -- approved or rejected
    decided_by     TEXT,
    ended_at       {{TIME}},                 -- revoked
    ended_by       TEXT,
    end_reason     TEXT,
    alert_id       BIGINT,                   -- the alert it came from (no foreign key yet)
    region         TEXT,
    asset_id       BIGINT REFERENCES assets(id),
    seq            BIGINT NOT NULL           -- decision_clock value of its last change bouncers must hear of
);
CREATE INDEX decisions_value ON decisions (value, status);
CREATE INDEX decisions_status_until ON decisions (status, until);
CREATE INDEX decisions_seq ON decisions (seq);
CREATE INDEX decisions_addr ON decisions (ip_size, start_ip, end_ip);
CREATE INDEX decisions_alert ON decisions (alert_id);

-- One row whose counter every decision write moves, inside its
-- transaction. Its row lock serialises decision writers on both engines,
-- and a bouncer's stream position is a value of it, so a pull never misses
-- a change that committed late.
CREATE TABLE decision_clock (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL
);
INSERT INTO decision_clock (id, seq) VALUES (1, 0);

-- Addresses Garda must never block (KPU's own scanners, the national CDN).
CREATE TABLE allowlist (
    id             {{ID}},
    value          TEXT NOT NULL,            -- canonical IP or CIDR
    reason         TEXT NOT NULL,
    created_at     {{TIME}} NOT NULL,
    created_by     TEXT NOT NULL,
    created_by_id  BIGINT REFERENCES users(id),
    expires_at     {{TIME}},                 -- NULL: until removed
    removed_at     {{TIME}},
    removed_by     TEXT
);
CREATE INDEX allowlist_live ON allowlist (removed_at);

-- Enforcement points. The key is kept only as its SHA-256.
CREATE TABLE bouncers (
    id             {{ID}},
    name           TEXT NOT NULL,
    key_hash       TEXT NOT NULL UNIQUE,
    created_at     {{TIME}} NOT NULL,
    created_by     TEXT NOT NULL,
    last_pull_at   {{TIME}},
    last_pull_ip   TEXT NOT NULL DEFAULT '',
    user_agent     TEXT NOT NULL DEFAULT '',
    stream_seq     BIGINT NOT NULL DEFAULT 0, -- decision_clock value its last stream pull covered
    stream_at      {{TIME}},                  -- the time its last stream pull covered (for expiries)
    revoked_at     {{TIME}}
);
CREATE UNIQUE INDEX bouncers_live_name ON bouncers (name) WHERE revoked_at IS NULL;

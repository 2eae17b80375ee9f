-- Garda's core schema: organisations, people, access, audit, assets, and
-- the participant tables that every shared record uses for visibility.
-- {{ID}} and {{TIME}} are filled in per engine (see migrate.go).

CREATE TABLE orgs (
    id          {{ID}},
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   BIGINT REFERENCES orgs(id),
    region      TEXT NOT NULL DEFAULT '',
    created_at  {{TIME}} NOT NULL
);
CREATE INDEX orgs_parent ON orgs (parent_id);

CREATE TABLE users (
    id             {{ID}},
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    org_id         BIGINT NOT NULL REFERENCES orgs(id),
    role           TEXT NOT NULL,
    scope          TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL,
    disabled_at    {{TIME}},
    created_at     {{TIME}} NOT NULL,
    updated_at     {{TIME}} NOT NULL
);
CREATE INDEX users_org ON users (org_id);

-- API tokens, kept only as SHA-256 hashes.
CREATE TABLE tokens (
    id            {{ID}},
    user_id       BIGINT NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at    {{TIME}} NOT NULL,
    expires_at    {{TIME}} NOT NULL,
    last_used_at  {{TIME}},
    revoked_at    {{TIME}}
);
CREATE INDEX tokens_user ON tokens (user_id);

-- Browser sessions, kept only as SHA-256 hashes of the cookie value.
CREATE TABLE sessions (
    id            {{ID}},
    hash          TEXT NOT NULL UNIQUE,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    csrf          TEXT NOT NULL,
    created_at    {{TIME}} NOT NULL,
    expires_at    {{TIME}} NOT NULL,
    last_seen_at  {{TIME}} NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins per key (username or client address), shared by every
-- instance so throttling holds behind a load balancer.
CREATE TABLE login_failures (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  {{TIME}} NOT NULL,
    locked_until  {{TIME}}
);

-- The audit chain: seq has no gaps, hash = sha256(prev_hash, fields).
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          {{TIME}} NOT NULL,
    actor_id    BIGINT,
    actor       TEXT NOT NULL,
    actor_org   TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    digest      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log (kind, record_id);

-- Election systems: what every pillar refers to.
CREATE TABLE assets (
    id            {{ID}},
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    urls          TEXT NOT NULL DEFAULT '[]',
    hostnames     TEXT NOT NULL DEFAULT '[]',
    owner_org_id  BIGINT NOT NULL REFERENCES orgs(id),
    region        TEXT NOT NULL DEFAULT '',
    criticality   TEXT NOT NULL,
    phases        TEXT NOT NULL DEFAULT '[]',
    tlp           TEXT NOT NULL,
    created_by    BIGINT REFERENCES users(id),
    created_at    {{TIME}} NOT NULL,
    updated_at    {{TIME}} NOT NULL
);
CREATE INDEX assets_region ON assets (region);
CREATE INDEX assets_owner ON assets (owner_org_id);
CREATE UNIQUE INDEX assets_owner_name ON assets (owner_org_id, name);

-- Participants of any shared record (kind names the record's table).
CREATE TABLE record_orgs (
    kind       TEXT NOT NULL,
    record_id  BIGINT NOT NULL,
    org_id     BIGINT NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (kind, record_id, org_id)
);
CREATE INDEX record_orgs_org ON record_orgs (kind, org_id, record_id);

CREATE TABLE record_users (
    kind       TEXT NOT NULL,
    record_id  BIGINT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (kind, record_id, user_id)
);
CREATE INDEX record_users_user ON record_users (kind, user_id, record_id);

-- The chain's head, moved by every append, so that removing the newest
-- entries is noticed too.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);

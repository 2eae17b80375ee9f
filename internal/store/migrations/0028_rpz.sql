-- The DNS blocklist (internal/rpz): domains whose access is cut, published
-- as a Response Policy Zone over HTTP and by zone transfer.

-- One row per block; lifting a block keeps the row (lifted_at) for the
-- record, and a domain may be blocked again later.
CREATE TABLE rpz_entries (
    id           {{ID}},
    domain       TEXT NOT NULL,            -- lower-case, punycode (IDNA), no trailing dot
    policy       TEXT NOT NULL,            -- nxdomain, or cname (to target, the landing page host)
    target       TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL,
    source       TEXT NOT NULL,            -- manual, or the takedown request that asked for it (request:<id>)
    created_by   TEXT NOT NULL,
    created_at   {{TIME}} NOT NULL,
    serial       BIGINT NOT NULL,          -- the zone serial that added it
    lifted_at    {{TIME}},
    lifted_by    TEXT NOT NULL DEFAULT '',
    lift_reason  TEXT NOT NULL DEFAULT ''
);
-- At most one live block per domain.
CREATE UNIQUE INDEX rpz_entries_live ON rpz_entries (domain) WHERE lifted_at IS NULL;
CREATE INDEX rpz_entries_created ON rpz_entries (created_at, id);

-- The zone's SOA serial: one row, moved by every change in the change's
-- transaction, so every instance publishes the same serial.
CREATE TABLE rpz_zone (
    id      INTEGER PRIMARY KEY,
    serial  BIGINT NOT NULL
);

-- What each serial changed, for IXFR (RFC 1995): a resolver that holds
-- serial N gets the rows after N instead of the whole zone.
CREATE TABLE rpz_journal (
    id      {{ID}},
    serial  BIGINT NOT NULL,
    op      TEXT NOT NULL,                 -- add, del
    domain  TEXT NOT NULL,
    policy  TEXT NOT NULL,
    target  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rpz_journal_serial ON rpz_journal (serial, id);

-- Resolvers that load the zone: registered like bouncers, with a key shown
-- once (stored as its SHA-256) for the HTTP URL, and a TSIG secret for
-- transfers (kept, as TSIG needs it to sign and verify).
CREATE TABLE rpz_resolvers (
    id              {{ID}},
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    tsig_secret     TEXT NOT NULL,         -- base64, hmac-sha256
    notify_addr     TEXT NOT NULL DEFAULT '', -- host:port told of each change by DNS NOTIFY
    created_at      {{TIME}} NOT NULL,
    created_by      TEXT NOT NULL,
    last_fetch_at   {{TIME}},
    last_fetch_ip   TEXT NOT NULL DEFAULT '',
    last_fetch_kind TEXT NOT NULL DEFAULT '', -- http, axfr, ixfr
    last_serial     BIGINT NOT NULL DEFAULT 0,
    revoked_at      {{TIME}}
);
CREATE UNIQUE INDEX rpz_resolvers_name ON rpz_resolvers (name) WHERE revoked_at IS NULL;

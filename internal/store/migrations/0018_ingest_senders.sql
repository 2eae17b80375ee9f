-- Who may send logs to an asset, and who sent what. An ingest key lets
-- a registered sender (a log shipper on the asset's host) post lines to
-- that one asset; it is kept only as its SHA-256, like bouncer keys and
-- API tokens. A decision made from an alert names the batch of lines
-- that raised the alert and the sender of that batch.
CREATE TABLE ingest_keys (
    id            {{ID}},
    asset_id      BIGINT NOT NULL REFERENCES assets(id),
    name          TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,            -- the key's first characters, to tell keys apart
    created_at    {{TIME}} NOT NULL,
    created_by    TEXT NOT NULL,
    last_used_at  {{TIME}},
    revoked_at    {{TIME}}
);
CREATE UNIQUE INDEX ingest_keys_live_name ON ingest_keys (asset_id, name) WHERE revoked_at IS NULL;

ALTER TABLE decisions ADD COLUMN batch TEXT NOT NULL DEFAULT '';   -- the ingest batch whose lines raised the alert
ALTER TABLE decisions ADD COLUMN sender TEXT NOT NULL DEFAULT '';  -- who sent that batch: user:NAME, key:NAME, syslog:ADDR, ...

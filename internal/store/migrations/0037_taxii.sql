-- TAXII 2.1 (internal/intel/taxii). taxii_status: the status resource of
-- each objects POST (what each object became). taxii_subscriptions: a
-- partner's collection pulled on a schedule with an added_after bookmark,
-- imported as the subscribing user (its organisation owns what comes in),
-- with the health of the last pull.
CREATE TABLE taxii_status (
    id                 TEXT PRIMARY KEY,           -- a UUID, the status resource's id
    api_root           TEXT NOT NULL,
    collection_id      TEXT NOT NULL,
    user_id            BIGINT NOT NULL REFERENCES users(id),
    status             TEXT NOT NULL,              -- pending, complete
    total_count        INTEGER NOT NULL DEFAULT 0,
    success_count      INTEGER NOT NULL DEFAULT 0,
    failure_count      INTEGER NOT NULL DEFAULT 0,
    pending_count      INTEGER NOT NULL DEFAULT 0,
    successes          TEXT NOT NULL DEFAULT '[]', -- JSON: status details
    failures           TEXT NOT NULL DEFAULT '[]', -- JSON: status details with messages
    request_timestamp  {{TIME}} NOT NULL
);
CREATE INDEX taxii_status_user ON taxii_status (user_id, request_timestamp);

CREATE TABLE taxii_subscriptions (
    id             {{ID}},
    name           TEXT NOT NULL,
    api_root_url   TEXT NOT NULL,              -- https://partner/taxii2/root/
    collection_id  TEXT NOT NULL,
    username       TEXT NOT NULL DEFAULT '',   -- HTTP Basic user ('' = Bearer)
    secret         TEXT NOT NULL DEFAULT '',   -- the partner's token or password
    user_id        BIGINT NOT NULL REFERENCES users(id), -- imports are made as this user
    owner_org_id   BIGINT NOT NULL REFERENCES orgs(id),
    every_seconds  INTEGER NOT NULL DEFAULT 300,
    bookmark       TEXT NOT NULL DEFAULT '',   -- added_after of the next pull (the partner's X-TAXII-Date-Added-Last)
    enabled        INTEGER NOT NULL DEFAULT 1,
    last_pull_at   {{TIME}},
    last_ok_at     {{TIME}},
    last_error     TEXT NOT NULL DEFAULT '',
    pulled_objects BIGINT NOT NULL DEFAULT 0,
    created_at     {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX taxii_subscriptions_target ON taxii_subscriptions (owner_org_id, api_root_url, collection_id);

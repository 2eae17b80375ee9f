-- Notifications: the in-app inbox, outgoing webhooks and their deliveries.
-- {{ID}} and {{TIME}} are filled in per engine.

-- The inbox: one row per recipient and event. It holds no incident content:
-- the inbox joins incidents under the reader's visibility, so an entry of an
-- incident its recipient can no longer read is not shown.
CREATE TABLE notifications (
    id           {{ID}},
    user_id      BIGINT NOT NULL REFERENCES users(id),
    incident_id  BIGINT NOT NULL REFERENCES incidents(id),
    event        TEXT NOT NULL,            -- incident.created, incident.updated, incident.escalated, incident.comment, incident.mention, incident.participants
    actor        TEXT NOT NULL DEFAULT '', -- username of who did it
    created_at   {{TIME}} NOT NULL,
    read_at      {{TIME}}
);
CREATE INDEX notifications_user ON notifications (user_id, id);

-- Webhooks an administrator registered for an organisation. The secret signs
-- bodies (HMAC-SHA256) and is shown only when the webhook is created.
CREATE TABLE webhooks (
    id          {{ID}},
    org_id      BIGINT NOT NULL REFERENCES orgs(id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    events      TEXT NOT NULL,            -- comma-separated event names
    created_by  BIGINT REFERENCES users(id),
    created_at  {{TIME}} NOT NULL,
    deleted_at  {{TIME}}
);
CREATE INDEX webhooks_org ON webhooks (org_id, id);

-- Every delivery of an event to a webhook, retried with backoff.
CREATE TABLE webhook_deliveries (
    id               {{ID}},
    webhook_id       BIGINT NOT NULL REFERENCES webhooks(id),
    event            TEXT NOT NULL,
    incident_id      BIGINT NOT NULL REFERENCES incidents(id),
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,            -- pending, delivered, failed, dropped
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    response_code    INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  {{TIME}},
    created_at       {{TIME}} NOT NULL,
    delivered_at     {{TIME}}
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

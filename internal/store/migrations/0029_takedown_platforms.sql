-- Platforms and providers a takedown request is addressed to
-- (internal/takedown): social networks, messaging, video, forums, hosting
-- providers and registrars, with their channels and the domains and URL
-- patterns that are theirs, so a URL finds its platform by itself.
CREATE TABLE takedown_platforms (
    id            {{ID}},
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,               -- social, messaging, video, forum, hosting, registrar
    org_id        BIGINT REFERENCES orgs(id),  -- the platform's own organisation: its liaisons' accounts
    email         TEXT NOT NULL DEFAULT '',    -- channels: e-mail address,
    web_form_url  TEXT NOT NULL DEFAULT '',    -- web form,
    api_url       TEXT NOT NULL DEFAULT '',    -- API/webhook
    contacts      TEXT NOT NULL DEFAULT '[]',  -- JSON: liaison contacts (name, role, email, phone)
    created_at    {{TIME}} NOT NULL,
    updated_at    {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX takedown_platforms_org ON takedown_platforms (org_id);

-- A host suffix (and optionally a path prefix) that belongs to a platform:
-- the longest host suffix wins, then the longest path prefix.
CREATE TABLE takedown_platform_domains (
    platform_id   BIGINT NOT NULL REFERENCES takedown_platforms(id),
    domain        TEXT NOT NULL,
    path_prefix   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (domain, path_prefix)
);
CREATE INDEX takedown_platform_domains_platform ON takedown_platform_domains (platform_id);

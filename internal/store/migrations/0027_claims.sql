-- Fact-checks (internal/claim): claims a fact-checker or an analyst has
-- rated, matched against what the patrol finds. Shared records (owner org,
-- region, TLP, participants in record_orgs/record_users under kind
-- 'claim'); published fact-checks default to CLEAR.
CREATE TABLE claims (
    id            {{ID}},
    claim         TEXT NOT NULL,              -- the claim as it circulates
    title         TEXT NOT NULL DEFAULT '',   -- the review's title
    rating        TEXT NOT NULL,              -- hoaks, salah, menyesatkan, ... (claim.Ratings)
    url           TEXT NOT NULL DEFAULT '',   -- the published review
    review_date   TEXT NOT NULL DEFAULT '',   -- YYYY-MM-DD
    claim_author  TEXT NOT NULL DEFAULT '',   -- who made the claim
    publisher     TEXT NOT NULL DEFAULT '',   -- who reviewed it
    source_id     TEXT NOT NULL DEFAULT '',   -- the import's id (URL, @id, CSV id); '' for one written here
    owner_org_id  BIGINT NOT NULL REFERENCES orgs(id),
    region        TEXT NOT NULL DEFAULT '',
    tlp           TEXT NOT NULL,
    created_by    BIGINT REFERENCES users(id),
    created_at    {{TIME}} NOT NULL,
    updated_at    {{TIME}} NOT NULL
);
CREATE INDEX claims_owner ON claims (owner_org_id);
CREATE INDEX claims_region ON claims (region);
CREATE INDEX claims_updated ON claims (updated_at);
-- An import is idempotent per owner: the same review twice is one claim.
CREATE UNIQUE INDEX claims_owner_source ON claims (owner_org_id, source_id) WHERE source_id <> '';

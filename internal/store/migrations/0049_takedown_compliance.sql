-- Indexes for the takedown queue and a platform's compliance
-- (internal/takedown), at 100,000 URLs in 20,000 requests.
-- The queue by deadline reads open requests in deadline order and stops
-- at a page, instead of sorting every open request.
CREATE INDEX takedowns_open_deadline ON takedowns (due_at, id) WHERE closed_at IS NULL;
-- A platform's figures and compliance read its requests with what the
-- visibility rule and the counts need, from the index alone.
CREATE INDEX takedowns_platform_figures ON takedowns (platform_id, status, tlp, owner_org_id, region, sent_at, due_at, category);
-- And each request's URLs with their outcome and Garda's checks.
CREATE INDEX takedown_urls_outcomes ON takedown_urls (takedown_id, outcome, still_online, gone_at, answered_at, decision);
-- The live blocks a takedown request made (pemutusan akses), to lift them.
CREATE INDEX rpz_entries_source ON rpz_entries (source) WHERE lifted_at IS NULL;

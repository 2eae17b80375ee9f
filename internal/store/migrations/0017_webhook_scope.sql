-- A webhook hears what its registering administrator's scope may read:
-- its organisation (org_id) and now its region scope. 'none' is no region
-- code, so a row written without a scope hears nothing, never everything.
-- Existing webhooks take their creator's scope: national only if the
-- creator was national.
ALTER TABLE webhooks ADD COLUMN scope TEXT NOT NULL DEFAULT 'none';
UPDATE webhooks SET scope = COALESCE((SELECT u.scope FROM users u WHERE u.id = webhooks.created_by), 'none');

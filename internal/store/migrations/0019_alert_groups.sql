-- The alert queue lists each group's alerts (one source on one asset,
-- alert.Groups): this index finds them without reading the other alerts.
-- The condition must stay the one of alert.Filter.Group.
CREATE INDEX alerts_group ON alerts (asset_id, source_ip, id);

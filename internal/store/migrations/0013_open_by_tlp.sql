-- The national map counts open alerts and incidents per province and
-- severity, one kind of visibility at a time (policy.CountByTLP): these partial indexes
-- hold just the open rows with every column that count reads, so it never
-- touches the tables. The WHERE clauses must stay word for word those of
-- alert.OpenByProvince and incident.OpenByProvince, or the databases will
-- not use them.
CREATE INDEX incidents_open ON incidents (tlp, owner_org_id, region, severity) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX alerts_open ON alerts (tlp, owner_org_id, region, severity) WHERE status IN ('new', 'acknowledged');

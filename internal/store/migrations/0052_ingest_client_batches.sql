-- A sender's own batch ids (X-Garda-Batch) already written to the audit
-- chain: a batch whose answer was lost (the database cut as it committed)
-- comes again with the same id, and is audited once. Kept a day, far
-- longer than a sender retries.
CREATE TABLE ingest_client_batches (
    asset_id     BIGINT NOT NULL,
    client_batch TEXT NOT NULL,
    audited_at   {{TIME}} NOT NULL,
    PRIMARY KEY (asset_id, client_batch)
);
CREATE INDEX ingest_client_batches_at ON ingest_client_batches (audited_at);

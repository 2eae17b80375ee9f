-- Who reads the TAXII collections (internal/intel/taxii): one row per user
-- and collection, counted on every objects or manifest request, so the
-- collections page can say who reads each and how much.
CREATE TABLE taxii_reads (
    api_root       TEXT NOT NULL,
    collection_id  TEXT NOT NULL,
    user_id        BIGINT NOT NULL REFERENCES users(id),
    reads          BIGINT NOT NULL DEFAULT 0,
    objects        BIGINT NOT NULL DEFAULT 0,
    first_read_at  {{TIME}} NOT NULL,
    last_read_at   {{TIME}} NOT NULL,
    PRIMARY KEY (api_root, collection_id, user_id)
);

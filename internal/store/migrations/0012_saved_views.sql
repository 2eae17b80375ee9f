-- A person's saved filters of a queue page.
CREATE TABLE saved_views (
    id          {{ID}},
    user_id     BIGINT NOT NULL REFERENCES users(id),
    page        TEXT NOT NULL,
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,
    created_at  {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX saved_views_name ON saved_views (user_id, page, name);

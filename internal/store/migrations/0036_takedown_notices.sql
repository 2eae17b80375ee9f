-- Inbox entries about a takedown request's deadline and warning stages
-- (internal/takedown's clocks, told through internal/notify).
ALTER TABLE notifications ADD COLUMN takedown_id BIGINT REFERENCES takedowns(id);

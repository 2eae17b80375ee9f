-- Shifts of the operation rooms (internal/shift): three a day (pagi,
-- siang, malam) at times each room may set, who is on, check-in and
-- check-out, the handover signed off by the incoming shift, the
-- early-detection checklist and the situation report sent upward.
-- {{ID}} and {{TIME}} are filled in per engine.

-- A room's shift start times (HH:MM, the room's time zone); a room
-- without rows uses 07:00, 15:00, 23:00.
CREATE TABLE shift_times (
    room_id  BIGINT NOT NULL REFERENCES rooms(id),
    slot     TEXT NOT NULL,              -- pagi, siang, malam
    starts   TEXT NOT NULL,              -- HH:MM local
    PRIMARY KEY (room_id, slot)
);

-- One shift of one room; made when first rostered, checked into or
-- reported on. day is the local date the shift starts on.
CREATE TABLE shifts (
    id              {{ID}},
    room_id         BIGINT NOT NULL REFERENCES rooms(id),
    day             TEXT NOT NULL,       -- YYYY-MM-DD, local
    slot            TEXT NOT NULL,
    starts_at       {{TIME}} NOT NULL,
    ends_at         {{TIME}} NOT NULL,
    notes           TEXT NOT NULL DEFAULT '',   -- the outgoing shift's notes for the next
    handover_items  TEXT NOT NULL DEFAULT '',   -- JSON: what the next shift took over, at sign-off
    signed_by       BIGINT REFERENCES users(id), -- the incoming shift's member who signed off
    signed_at       {{TIME}},
    created_at      {{TIME}} NOT NULL,
    UNIQUE (room_id, day, slot)
);
CREATE INDEX shifts_room_start ON shifts (room_id, starts_at);
CREATE INDEX shifts_ends ON shifts (ends_at);
CREATE INDEX shifts_signed ON shifts (signed_at);

-- Who is on a shift: rostered ahead, or walked in; their check-in and out.
CREATE TABLE shift_staff (
    shift_id        BIGINT NOT NULL REFERENCES shifts(id),
    user_id         BIGINT NOT NULL REFERENCES users(id),
    duty            TEXT NOT NULL DEFAULT 'member', -- lead, member
    rostered        INTEGER NOT NULL DEFAULT 1,
    checked_in_at   {{TIME}},
    checked_out_at  {{TIME}},
    PRIMARY KEY (shift_id, user_id)
);
CREATE INDEX shift_staff_user ON shift_staff (user_id, shift_id);

-- The early-detection checklist's ticks (the items are templates in code).
CREATE TABLE shift_checks (
    shift_id  BIGINT NOT NULL REFERENCES shifts(id),
    item      TEXT NOT NULL,
    done_by   BIGINT NOT NULL REFERENCES users(id),
    done_at   {{TIME}} NOT NULL,
    note      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (shift_id, item)
);

-- A shift's situation report to the room above: drafted from the data,
-- completed by the shift lead and sent; flagged to the room above when
-- late.
CREATE TABLE shift_reports (
    id              {{ID}},
    shift_id        BIGINT NOT NULL UNIQUE REFERENCES shifts(id),
    room_id         BIGINT NOT NULL REFERENCES rooms(id),
    parent_room_id  BIGINT REFERENCES rooms(id),  -- the room it goes to; NULL national
    status          TEXT NOT NULL,                -- draft, sent
    due_at          {{TIME}} NOT NULL,
    counts          TEXT NOT NULL DEFAULT '{}',   -- JSON
    notable         TEXT NOT NULL DEFAULT '[]',   -- JSON: the notable items, linked
    below           TEXT NOT NULL DEFAULT '[]',   -- JSON: the rooms below's reports (consolidation)
    summary         TEXT NOT NULL DEFAULT '',     -- the shift lead's words
    drafted_at      {{TIME}} NOT NULL,
    sent_by         BIGINT REFERENCES users(id),
    sent_at         {{TIME}},
    late_flagged_at {{TIME}}
);
CREATE INDEX shift_reports_room ON shift_reports (room_id, id);
CREATE INDEX shift_reports_parent ON shift_reports (parent_room_id, id);
CREATE INDEX shift_reports_unsent ON shift_reports (parent_room_id, status);
CREATE INDEX shift_reports_due ON shift_reports (due_at);
CREATE INDEX shift_reports_sent ON shift_reports (sent_at);

-- The last report a room sent, kept on the room for the roll-up.
ALTER TABLE rooms ADD COLUMN last_report_at {{TIME}};

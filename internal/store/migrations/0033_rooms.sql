-- Operation rooms (internal/room): the national room at BSSN, one per
-- province (its Diskominfo with the provincial KPU) and regency rooms
-- where they exist. {{ID}} and {{TIME}} are filled in per engine.
CREATE TABLE rooms (
    id              {{ID}},
    level           TEXT NOT NULL,              -- national, province, regency
    region          TEXT NOT NULL UNIQUE,       -- Kemendagri code; '' national
    name            TEXT NOT NULL,
    org_id          BIGINT NOT NULL REFERENCES orgs(id),  -- runs the room
    partner_org_id  BIGINT REFERENCES orgs(id),           -- the KPU it runs with
    staff_trained   INTEGER NOT NULL DEFAULT 0,
    checklist       TEXT NOT NULL DEFAULT '[]', -- JSON [{"item":..., "ok":bool}]
    last_drill_at   {{TIME}},
    posture         TEXT NOT NULL DEFAULT 'normal',
    posture_phase   TEXT NOT NULL DEFAULT '',   -- election/phase key that set it
    posture_since   {{TIME}},
    created_at      {{TIME}} NOT NULL
);
CREATE INDEX rooms_level ON rooms (level, id);

CREATE TABLE room_members (
    room_id   BIGINT NOT NULL REFERENCES rooms(id),
    user_id   BIGINT NOT NULL REFERENCES users(id),
    duty      TEXT NOT NULL DEFAULT 'member',  -- lead, member
    added_at  {{TIME}} NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user ON room_members (user_id);

CREATE TABLE room_contacts (
    id       {{ID}},
    room_id  BIGINT NOT NULL REFERENCES rooms(id),
    name     TEXT NOT NULL,
    duty     TEXT NOT NULL DEFAULT '',
    phone    TEXT NOT NULL DEFAULT '',
    email    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX room_contacts_room ON room_contacts (room_id, id);

-- The inbox tells room members of their room's posture switches.
ALTER TABLE notifications ADD COLUMN room_id BIGINT REFERENCES rooms(id);

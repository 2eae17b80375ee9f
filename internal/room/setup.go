package room

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// DefaultChecklist is the equipment a room checks before it opens.
var DefaultChecklist = []string{
	"Layar dinding dan komputer operator",
	"Jaringan utama dan cadangan",
	"Catu daya cadangan (UPS/genset)",
	"Telepon dan radio ke ruang di atasnya",
	"Akun Garda seluruh petugas aktif",
}

// NationalOrg is the organisation that runs the national room.
const NationalOrg = "bssn"

// Ensure creates the national room and the 38 provincial rooms that do
// not exist yet (the standard organisations must exist), and returns how
// many it created. The provincial room is its Diskominfo's, with the
// provincial KPU as partner.
func Ensure(ctx context.Context, db *store.DB, who audit.Actor) (int, error) {
	tree, err := org.Load(ctx, db)
	if err != nil {
		return 0, err
	}
	type spec struct {
		level, code, name, owner, partner string
	}
	specs := []spec{{National, "", "Ruang Operasi Nasional BSSN", NationalOrg, "kpu"}}
	for _, p := range region.Provinces() {
		specs = append(specs, spec{Province, p.Code, "Ruang Operasi Provinsi " + p.Name, org.DiskominfoSlug(p.Code), org.KPUSlug(p.Code)})
	}
	created := 0
	for _, s := range specs {
		ok, err := create(ctx, db, tree, who, s.level, s.code, s.name, s.owner, s.partner)
		if err != nil {
			return created, err
		}
		if ok {
			created++
		}
	}
	return created, nil
}

// CreateRegency opens a regency's room, run by its KPU (a regency has no
// Diskominfo of its own in the organisation tree). It reports false if
// the room exists.
func CreateRegency(ctx context.Context, db *store.DB, who audit.Actor, code string) (bool, error) {
	r, ok := region.Lookup(code)
	if !ok || region.LevelOf(code) != region.LevelRegency {
		return false, problem.Field("region", "%q is not a regency or city", code)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		return false, err
	}
	return create(ctx, db, tree, who, Regency, code, "Ruang Operasi "+r.Name, org.KPUSlug(code), org.DiskominfoSlug(region.Province(code)))
}

func create(ctx context.Context, db *store.DB, tree *org.Tree, who audit.Actor, level, code, name, owner, partner string) (bool, error) {
	o, ok := tree.BySlug(owner)
	if !ok {
		return false, fmt.Errorf("room %q: no organisation %q", name, owner)
	}
	var partnerID any
	if p, ok := tree.BySlug(partner); ok {
		partnerID = p.ID
	}
	items := make([]CheckItem, len(DefaultChecklist))
	for i, it := range DefaultChecklist {
		items[i] = CheckItem{Item: it}
	}
	checklist, _ := json.Marshal(items)
	now := store.Now()
	posture, phase := calendar.Shipped().PostureAt(now, calendar.ZoneOf(code))
	created := false
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO rooms (level, region, name, org_id, partner_org_id, checklist, posture, posture_phase, posture_since, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (region) DO NOTHING RETURNING id`,
			level, code, name, o.ID, partnerID, string(checklist), string(posture), phaseRef(phase), now, now).Scan(&id)
		if errors.Is(err, store.ErrNotFound) {
			return nil // exists
		} else if err != nil {
			return err
		}
		created = true
		return audit.Record(ctx, tx, who, "room.create", RecordKind, id, map[string]any{"level": level, "region": code, "name": name, "org": owner})
	})
	return created, err
}

func phaseRef(p calendar.Phase) string {
	if p.Key == "" {
		return ""
	}
	return p.Election + "/" + p.Key
}

// AddMember puts a user on a room's staff (duty lead or member); adding
// one twice changes the duty.
func AddMember(ctx context.Context, db *store.DB, who audit.Actor, roomID, userID int64, duty string) error {
	if duty != "lead" && duty != "member" {
		return problem.Field("duty", "must be lead or member").Keyed("room.err.duty")
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO room_members (room_id, user_id, duty, added_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (room_id, user_id) DO UPDATE SET duty = excluded.duty`, roomID, userID, duty, store.Now()); err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		return audit.Record(ctx, tx, who, "room.member.add", RecordKind, roomID, map[string]any{"user_id": userID, "duty": duty})
	})
}

// AddContact records someone a room calls.
func AddContact(ctx context.Context, db *store.DB, who audit.Actor, roomID int64, c Contact) error {
	if c.Name == "" {
		return problem.Field("name", "required")
	}
	_, err := addContact(ctx, db, who, roomID, c)
	return err
}

func addContact(ctx context.Context, db *store.DB, who audit.Actor, roomID int64, c Contact) (int64, error) {
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO room_contacts (room_id, name, duty, phone, email) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			roomID, c.Name, c.Duty, c.Phone, c.Email).Scan(&c.ID); err != nil {
			return fmt.Errorf("add contact: %w", err)
		}
		return audit.Record(ctx, tx, who, "room.contact.add", RecordKind, roomID, c)
	})
	return c.ID, err
}

// Readiness is what a room reports of its preparedness.
type Readiness struct {
	StaffTrained int         `json:"staff_trained"`
	Checklist    []CheckItem `json:"checklist"`
	LastDrillAt  *time.Time  `json:"last_drill_at"`
}

// SetReadiness records a room's readiness.
func SetReadiness(ctx context.Context, db *store.DB, who audit.Actor, roomID int64, r Readiness) error {
	if r.StaffTrained < 0 {
		return problem.Field("staff_trained", "must not be negative").Keyed("room.err.trained")
	}
	if r.Checklist == nil {
		r.Checklist = []CheckItem{}
	}
	body, _ := json.Marshal(r.Checklist)
	return db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE rooms SET staff_trained = ?, checklist = ?, last_drill_at = ? WHERE id = ?`,
			r.StaffTrained, string(body), r.LastDrillAt, roomID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no room %d", roomID)
		}
		return audit.Record(ctx, tx, who, "room.readiness", RecordKind, roomID, r)
	})
}

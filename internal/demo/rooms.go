package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// roomStaff are the demo accounts that sit in a room, by region.
var roomStaff = []struct {
	username, region, duty string
}{
	{"koordinator.bssn", "", "lead"},
	{"analis.bssn", "", "member"},
	{"operator.jabar", "32", "lead"},
	{"koordinator.jabar", "32", "member"},
	{"operator.bandung", "32.04", "lead"},
	{"operator.jatim", "35", "lead"},
	{"liaison.sumut", "12", "member"},
}

// seedRooms gives the national room and the 38 provincial rooms their
// staff (the demo accounts above, and one officer per province who does
// not sign in to the demo: their password is not written down), a few
// contacts and a readiness that differs from room to room. Bandung gets a
// regency room. It returns how many members it added.
func seedRooms(ctx context.Context, db *store.DB) (int, error) {
	if _, err := room.Ensure(ctx, db, audit.System); err != nil {
		return 0, err
	}
	if _, err := room.CreateRegency(ctx, db, audit.System, "32.04"); err != nil {
		return 0, err
	}
	ids := map[string]int64{}
	rows, err := db.Query(ctx, `SELECT region, id FROM rooms`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var reg string
		var id int64
		if err := rows.Scan(&reg, &id); err != nil {
			rows.Close()
			return 0, err
		}
		ids[reg] = id
	}
	rows.Close()
	added := 0
	for _, s := range roomStaff {
		u, err := auth.UserByName(ctx, db, s.username)
		if err != nil {
			return added, fmt.Errorf("room staff %s: %w", s.username, err)
		}
		if err := room.AddMember(ctx, db, audit.System, ids[s.region], u.ID, s.duty); err != nil {
			return added, err
		}
		added++
	}
	for i, p := range region.Provinces() {
		name := "petugas." + provinceShort[p.Code]
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: name, DisplayName: "Petugas Ruang " + p.Name,
			Org: "diskominfo-" + p.Code, Role: "operator", Scope: p.Code, Password: newPassword()})
		if pe := problem.As(err); pe != nil && pe.Field == "username" && strings.Contains(pe.Message, "taken") {
			continue // seeded before
		}
		if err != nil {
			return added, fmt.Errorf("room officer %s: %w", name, err)
		}
		if err := room.AddMember(ctx, db, audit.System, ids[p.Code], u.ID, "member"); err != nil {
			return added, err
		}
		added++
		if err := room.AddContact(ctx, db, audit.System, ids[p.Code], room.Contact{Name: "Piket KPU Provinsi " + p.Name, Duty: "KPU Provinsi",
			Phone: "+62 21 5550 " + fmt.Sprintf("%04d", i+100)}); err != nil {
			return added, err
		}
		// Readiness differs: some rooms trained and drilled, some not yet.
		drill := time.Now().UTC().AddDate(0, 0, -7*(i%9)).Truncate(24 * time.Hour)
		rd := room.Readiness{StaffTrained: 2 + i%5}
		if i%4 != 3 {
			rd.LastDrillAt = &drill
		}
		for j, item := range room.DefaultChecklist {
			rd.Checklist = append(rd.Checklist, room.CheckItem{Item: item, OK: (i+j)%4 != 0})
		}
		if err := room.SetReadiness(ctx, db, audit.System, ids[p.Code], rd); err != nil {
			return added, err
		}
	}
	if added > len(roomStaff) { // the first seed: the national room's desk too
		if err := room.AddContact(ctx, db, audit.System, ids[""], room.Contact{Name: "Pusat Kontak Siber BSSN", Duty: "Gov-CSIRT", Email: "bantuan70@bssn.example.id"}); err != nil {
			return added, err
		}
	}
	return added, nil
}

package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/shift"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestShiftLoad opens 552 rooms (the national room, 38 provinces, 513
// regencies), gives each a report and a signed handover for every shift
// of a 60-day election period (about 100,000 of each), and measures the
// national roll-up page, a province's pages and the roll-up API. It is
// long: it runs only with GARDA_LOAD=1 (and on PostgreSQL too when
// GARDA_TEST_POSTGRES is set). It logs p50 and p99; the figures go in the
// README (no wall-clock assertion: the machine's load is not the code's).
//
//	GARDA_LOAD=1 go test -run TestShiftLoad -v ./internal/web/
func TestShiftLoad(t *testing.T) {
	if os.Getenv("GARDA_LOAD") == "" {
		t.Skip("GARDA_LOAD not set: skipping the 552-room, 100,000-report load measurement")
	}
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAPIWorld(t, db)
		for _, n := range []auth.NewUser{
			{Username: "coord.national", Org: "bssn", Role: "coordinator", Scope: ""},
			{Username: "op.jabar", Org: "diskominfo-32", Role: "operator", Scope: "32"},
		} {
			n.Password = "pw-" + n.Username + "-long"
			if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
				t.Fatal(err)
			}
			var login struct {
				Token string `json:"token"`
			}
			w.call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &login)
			w.tokens[n.Username] = login.Token
		}
		start := time.Now()
		if _, err := room.Ensure(ctx, db, audit.System); err != nil {
			t.Fatal(err)
		}
		regencies := 0
		for _, p := range region.Provinces() {
			for _, r := range region.Regencies(p.Code) {
				if regencies == 513 {
					break
				}
				if _, err := room.CreateRegency(ctx, db, audit.System, r.Code); err != nil {
					t.Fatal(err)
				}
				regencies++
			}
		}
		ids := roomIDs(t, db)
		if len(ids) != 552 {
			t.Fatalf("%d rooms, want 552", len(ids))
		}
		t.Logf("opened 552 rooms in %v", time.Since(start).Round(time.Millisecond))
		coord, _ := auth.UserByName(ctx, db, "coord.national")
		op, _ := auth.UserByName(ctx, db, "op.jabar")
		if err := room.AddMember(ctx, db, audit.System, ids["32"], op.ID, "lead"); err != nil {
			t.Fatal(err)
		}
		if err := room.AddMember(ctx, db, audit.System, ids[""], coord.ID, "lead"); err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		now := store.Now()
		shifts := seedShiftHistory(t, db, ids, op.ID, now.AddDate(0, 0, -60), now)
		t.Logf("seeded %d shifts, each with a signed handover and a sent report, in %v", shifts, time.Since(start).Round(time.Millisecond))
		if db.Dialect() == store.Postgres {
			for _, stmt := range []string{`SELECT setval(pg_get_serial_sequence('shifts', 'id'), (SELECT MAX(id) FROM shifts))`,
				`SELECT setval(pg_get_serial_sequence('shift_reports', 'id'), (SELECT MAX(id) FROM shift_reports))`,
				`ANALYZE`, `VACUUM shifts, shift_reports, shift_staff, rooms`} {
				if _, err := db.Exec(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
		}
		requests := 200
		if n, err := strconv.Atoi(os.Getenv("GARDA_LOAD_REQUESTS")); err == nil && n > 0 {
			requests = n
		}
		var up shift.Rollup
		w.call("coord.national", "GET", fmt.Sprintf("/api/v1/rooms/%d/rollup", ids[""]), "", 200, &up)
		fresh := 0
		for _, r := range up.Rows {
			if r.Age == shift.AgeFresh {
				fresh++
			}
		}
		if len(up.Rows) != 38 || fresh < 30 || up.Rows[0].OnDuty == 0 {
			t.Errorf("national roll-up: %d rows, %d fresh, first on duty %d", len(up.Rows), fresh, up.Rows[0].OnDuty)
		}
		for _, c := range []struct{ user, path, want string }{
			{"coord.national", fmt.Sprintf("/ruang-operasi/%d/laporan", ids[""]), "data-rollup"},
			{"op.jabar", fmt.Sprintf("/ruang-operasi/%d/laporan", ids["32"]), "data-rollup"},
			{"op.jabar", fmt.Sprintf("/ruang-operasi/%d/sif", ids["32"]), "data-on-duty"},
			{"op.jabar", fmt.Sprintf("/ruang-operasi/%d/serah-terima?sif=prev", ids["32"]), "data-signed"},
			{"coord.national", fmt.Sprintf("/api/v1/rooms/%d/rollup", ids[""]), "open_high_incidents"},
			{"op.jabar", fmt.Sprintf("/api/v1/rooms/%d/reports?from=below&limit=50", ids["32"]), "items"},
			// The daily report, whose rooms section reads every room's day.
			{"coord.national", "/laporan", "data-rooms"},
			{"op.jabar", "/laporan", "data-rooms"},
		} {
			u, err := auth.UserByName(ctx, db, c.user)
			if err != nil {
				t.Fatal(err)
			}
			cookie, _, err := auth.CreateSession(ctx, db, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			var took []time.Duration
			for i := range requests {
				req, _ := http.NewRequest("GET", w.srv.URL+c.path, nil)
				if strings.HasPrefix(c.path, "/api/") {
					req.Header.Set("Authorization", "Bearer "+w.tokens[c.user])
				} else {
					req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
				}
				st := time.Now()
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				took = append(took, time.Since(st))
				if res.StatusCode != 200 || (i == 0 && !strings.Contains(string(body), c.want)) {
					t.Fatalf("%s %s: %d, has %q: %v", c.user, c.path, res.StatusCode, c.want, strings.Contains(string(body), c.want))
				}
			}
			slices.Sort(took)
			t.Logf("%-15s %-48s p50 %6.1f ms  p99 %6.1f ms", c.user, c.path, ms(took[len(took)/2]), ms(took[len(took)*99/100]))
		}
	})
}

// seedShiftHistory writes, straight into the tables, every room's shifts
// from since to now at the default times: each signed off by the next
// shift (signer), its report sent ten minutes after its end (one in
// thirteen two hours late, flagged), and the running shift with two
// people checked in. It returns how many past shifts it wrote.
func seedShiftHistory(t *testing.T, db *store.DB, ids map[string]int64, signer int64, since, now time.Time) int {
	t.Helper()
	ctx := context.Background()
	type rm struct {
		id, parent int64
		region     string
	}
	var rooms []rm
	for reg, id := range ids {
		r := rm{id: id, region: reg}
		switch region.LevelOf(reg) {
		case region.LevelProvince:
			r.parent = ids[""]
		case region.LevelRegency:
			r.parent = ids[region.Province(reg)]
		}
		rooms = append(rooms, r)
	}
	slices.SortFunc(rooms, func(a, b rm) int { return int(a.id - b.id) })
	var nextShift, nextReport int64 = 1, 1
	total := 0
	const batch = 400
	var shiftRows, reportRows [][]any
	flush := func(tx *store.Tx) error {
		if len(shiftRows) > 0 {
			q := `INSERT INTO shifts (id, room_id, day, slot, starts_at, ends_at, notes, handover_items, signed_by, signed_at, created_at) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(shiftRows)), ", ")
			var args []any
			for _, r := range shiftRows {
				args = append(args, r...)
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		if len(reportRows) > 0 {
			q := `INSERT INTO shift_reports (id, shift_id, room_id, parent_room_id, status, due_at, counts, summary, drafted_at, sent_by, sent_at, late_flagged_at) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(reportRows)), ", ")
			var args []any
			for _, r := range reportRows {
				args = append(args, r...)
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		shiftRows, reportRows = shiftRows[:0], reportRows[:0]
		return nil
	}
	counts := `{"posture":"siaga","on_duty":4,"min_staff":4,"new_alerts":3,"alerts_waiting":1,"checklist_done":4,"checklist_total":4}`
	for _, r := range rooms {
		zone := calendar.ZoneOf(r.region)
		times := shift.DefaultTimes
		var last time.Time
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for w := times.At(since, zone); w.End.Add(shift.ReportGrace).Before(now); w = times.Next(w, zone) {
				sid := nextShift
				nextShift++
				signed := w.End.Add(10 * time.Minute)
				shiftRows = append(shiftRows, []any{sid, r.id, w.Day, w.Slot, w.Start, w.End, "Catatan serah terima sif " + w.ID(), "[]", signer, signed, w.Start})
				var parent any
				if r.parent != 0 {
					parent = r.parent
				}
				sent, flagged := w.End.Add(10*time.Minute), any(nil)
				if sid%13 == 0 {
					sent = w.End.Add(2 * time.Hour)
					flagged = w.End.Add(shift.ReportGrace + 5*time.Minute)
				}
				reportRows = append(reportRows, []any{nextReport, sid, r.id, parent, shift.Sent, w.End.Add(shift.ReportGrace), counts, "Situasi aman.", w.End, signer, sent, flagged})
				nextReport++
				last = sent
				total++
				if len(shiftRows) == batch {
					if err := flush(tx); err != nil {
						return err
					}
				}
			}
			if err := flush(tx); err != nil {
				return err
			}
			// The running shift: two people on duty (the signer twice
			// would collide; the second is the national coordinator's
			// stand-in, user 1).
			cur := times.At(now, zone)
			if _, err := tx.Exec(ctx, `INSERT INTO shifts (id, room_id, day, slot, starts_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				nextShift, r.id, cur.Day, cur.Slot, cur.Start, cur.End, cur.Start); err != nil {
				return err
			}
			for _, uid := range []int64{signer, 1} {
				if _, err := tx.Exec(ctx, `INSERT INTO shift_staff (shift_id, user_id, duty, rostered, checked_in_at) VALUES (?, ?, 'member', 1, ?)`,
					nextShift, uid, cur.Start.Add(5*time.Minute)); err != nil {
					return err
				}
			}
			nextShift++
			_, err := tx.Exec(ctx, `UPDATE rooms SET last_report_at = ? WHERE id = ?`, last, r.id)
			return err
		})
		if err != nil {
			t.Fatalf("seed room %d: %v", r.id, err)
		}
	}
	return total
}

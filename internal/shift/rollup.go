package shift

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// Report ages on the roll-up map.
const (
	AgeFresh = "fresh" // the last report covers the last shift
	AgeLate  = "late"  // older than a shift and its grace
	AgeStale = "stale" // older than a day, or none at all
)

// AgeOf classes a last report's age at now.
func AgeOf(last *time.Time, now time.Time) string {
	switch {
	case last == nil || now.Sub(*last) > 24*time.Hour:
		return AgeStale
	case now.Sub(*last) > 8*time.Hour+ReportGrace:
		return AgeLate
	}
	return AgeFresh
}

// RollupRow is one room below on the roll-up.
type RollupRow struct {
	Room         room.Room  `json:"room"`
	OnDuty       int        `json:"on_duty"`
	MinStaff     int        `json:"min_staff"`
	Short        bool       `json:"short"`
	LastReportAt *time.Time `json:"last_report_at,omitempty"`
	AgeSeconds   int64      `json:"last_report_age_seconds,omitempty"`
	Age          string     `json:"last_report_age"` // fresh, late, stale
	LateReports  int        `json:"late_reports"`    // flagged, not sent yet
	OpenHigh     int        `json:"open_high_incidents"`
}

// Rollup is a room's view of the rooms below it: the national room's
// provinces, a province's regencies.
type Rollup struct {
	Room room.Room   `json:"room"`
	Self RollupRow   `json:"self"`
	Rows []RollupRow `json:"rows"`
	At   time.Time   `json:"at"`
}

// GetRollup returns the roll-up of a room as who sees it at now: per room
// below, its posture, staffing now, last report and its age, late reports,
// and open high or critical incidents in its region (as who sees them).
func GetRollup(ctx context.Context, db store.Querier, who auth.Principal, roomID int64, now time.Time) (Rollup, error) {
	r, err := readable(ctx, db, who, roomID)
	if err != nil {
		return Rollup{}, err
	}
	kids, err := children(ctx, db, who, r)
	if err != nil {
		return Rollup{}, err
	}
	all := append([]room.Room{r}, kids...)
	onDuty := map[int64]int{}
	// The shifts running now, from the index on ends_at; counted here (a
	// GROUP BY room_id would walk every shift in room order).
	rows, err := db.Query(ctx, `SELECT s.room_id FROM shifts s JOIN shift_staff st ON st.shift_id = s.id
		WHERE s.ends_at > ? AND s.starts_at <= ? AND st.checked_in_at IS NOT NULL AND st.checked_out_at IS NULL`, now, now)
	if err != nil {
		return Rollup{}, fmt.Errorf("on duty: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return Rollup{}, err
		}
		onDuty[id]++
	}
	rows.Close()
	last := map[int64]*time.Time{}
	rows, err = db.Query(ctx, `SELECT id, last_report_at FROM rooms WHERE last_report_at IS NOT NULL`)
	if err != nil {
		return Rollup{}, err
	}
	for rows.Next() {
		var id int64
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return Rollup{}, err
		}
		at = at.UTC()
		last[id] = &at
	}
	rows.Close()
	late := map[int64]int{}
	// Counted here rather than grouped in SQL: a GROUP BY room_id tempts
	// SQLite to walk every report in room order.
	rows, err = db.Query(ctx, `SELECT room_id FROM shift_reports WHERE parent_room_id = ? AND status = 'draft' AND late_flagged_at IS NOT NULL`, r.ID)
	if err != nil {
		return Rollup{}, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return Rollup{}, err
		}
		late[id]++
	}
	rows.Close()
	high, err := openHighByRegion(ctx, db, who, r)
	if err != nil {
		return Rollup{}, err
	}
	row := func(x room.Room) RollupRow {
		rr := RollupRow{Room: x, OnDuty: onDuty[x.ID], MinStaff: x.MinStaff, LastReportAt: last[x.ID], LateReports: late[x.ID]}
		rr.Short = rr.OnDuty < rr.MinStaff
		rr.Age = AgeOf(rr.LastReportAt, now)
		if rr.LastReportAt != nil {
			rr.AgeSeconds = int64(now.Sub(*rr.LastReportAt).Seconds())
		}
		for reg, n := range high {
			if x.Region == "" || reg == x.Region || region.Contains(x.Region, reg) {
				rr.OpenHigh += n
			}
		}
		return rr
	}
	out := Rollup{Room: r, At: now, Rows: []RollupRow{}}
	for i, x := range all {
		if i == 0 {
			out.Self = row(x)
			continue
		}
		out.Rows = append(out.Rows, row(x))
	}
	return out, nil
}

// openHighByRegion counts the open high and critical incidents in r's
// region as who sees them, by region code.
func openHighByRegion(ctx context.Context, q store.Querier, who auth.Principal, r room.Room) (map[string]int, error) {
	vis, vargs := policy.ReadFilter(who.Viewer, incident.RecordKind, "i")
	rw, rargs := regionWhere("i", r.Region)
	rows, err := q.Query(ctx, `SELECT i.region, COUNT(*) FROM incidents i WHERE i.status NOT IN ('resolved', 'closed') AND i.severity IN ('high', 'critical') AND i.drill_run_id IS NULL`+
		rw+` AND `+vis+` GROUP BY i.region`, append(rargs, vargs...)...)
	if err != nil {
		return nil, fmt.Errorf("open high incidents: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var reg string
		var n int
		if err := rows.Scan(&reg, &n); err != nil {
			return nil, err
		}
		out[reg] += n
	}
	return out, rows.Err()
}

// RoomDay is what one room did in a period, for the daily report.
type RoomDay struct {
	RoomID    int64            `json:"room_id"`
	Name      string           `json:"name"`
	Level     string           `json:"level"`
	Region    string           `json:"region"`
	Posture   calendar.Posture `json:"posture"`
	Sent      int              `json:"reports_sent"`
	Late      int              `json:"reports_late"` // flagged late in the period
	Handovers int              `json:"handovers"`    // signed off in the period
}

// Days returns, for the rooms in region whose internals who reads, the
// reports they sent, the reports flagged late and the handovers signed in
// [from, to).
func Days(ctx context.Context, q store.Querier, who auth.Principal, reg string, from, to time.Time) ([]RoomDay, error) {
	rooms, err := room.List(ctx, q, who, room.Filter{Region: reg, Limit: 1000})
	if err != nil {
		return nil, err
	}
	counts := func(query string) (map[int64]int, error) {
		rows, err := q.Query(ctx, query, from, to)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[int64]int{}
		for rows.Next() {
			var id int64
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return nil, err
			}
			out[id] = n
		}
		return out, rows.Err()
	}
	sent, err := counts(`SELECT room_id, COUNT(*) FROM shift_reports WHERE sent_at >= ? AND sent_at < ? GROUP BY room_id`)
	if err != nil {
		return nil, fmt.Errorf("reports sent: %w", err)
	}
	late, err := counts(`SELECT room_id, COUNT(*) FROM shift_reports WHERE late_flagged_at >= ? AND late_flagged_at < ? GROUP BY room_id`)
	if err != nil {
		return nil, fmt.Errorf("reports late: %w", err)
	}
	hand, err := counts(`SELECT room_id, COUNT(*) FROM shifts WHERE signed_at >= ? AND signed_at < ? GROUP BY room_id`)
	if err != nil {
		return nil, fmt.Errorf("handovers: %w", err)
	}
	out := []RoomDay{}
	for _, r := range rooms {
		if !r.Internals {
			continue
		}
		out = append(out, RoomDay{RoomID: r.ID, Name: r.Name, Level: r.Level, Region: r.Region, Posture: r.Posture,
			Sent: sent[r.ID], Late: late[r.ID], Handovers: hand[r.ID]})
	}
	return out, nil
}

package web

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// The wall display (layar): an operation room's big screen. One page, dark,
// large type, no interaction: the room's region on the map, live counters,
// the clocks closest to breach, the newest alerts and incidents, and the
// posture. It follows the alert and incident streams (static/wall.js): an
// event only tells it to fetch its state again from /layar/data, which is
// read here under the signed-in person's visibility, so no record's content
// ever reaches the screen from the stream itself.
//
// A wall is a shared screen: everyone in the room reads it. TLP:RED is for
// named people only, so RED records are left off the wall altogether (not
// listed, not counted, not on the map), even when the person signed in on
// the screen may read them on their own.

func (p *pages) wallRoutes() {
	p.handle("GET /ruang-operasi/{id}/layar", p.wallPage)
	p.handle("GET /ruang-operasi/{id}/layar/data", p.wallData)
}

// WallItem is an alert or incident on the wall.
type WallItem struct {
	ID       int64  `json:"id"`
	Ref      string `json:"ref"` // an incident's human id, an alert's #id
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	// SeverityLabel and StatusLabel are in the page's language.
	SeverityLabel string    `json:"severity_label"`
	StatusLabel   string    `json:"status_label"`
	Region        string    `json:"region"`
	Place         string    `json:"place"` // the region's name
	Asset         string    `json:"asset,omitempty"`
	At            time.Time `json:"at"`
}

// WallClock is an open incident's deadline that is not yet met.
type WallClock struct {
	Incident  string    `json:"incident"`
	Title     string    `json:"title"`
	Name      string    `json:"name"`
	Label     string    `json:"label"`
	Due       time.Time `json:"due"`
	State     string    `json:"state"`
	Remaining int64     `json:"remaining_seconds"`
}

// WallCounters are the big numbers.
type WallCounters struct {
	AlertsNew     int `json:"alerts_new"` // not yet acknowledged
	AlertsOpen    int `json:"alerts_open"`
	AlertsHigh    int `json:"alerts_high"` // open, high or critical
	IncidentsOpen int `json:"incidents_open"`
	IncidentsHigh int `json:"incidents_high"`
	ClocksMissed  int `json:"clocks_missed"`
	ClocksAmber   int `json:"clocks_amber"`
	// AlertsMore and IncidentsMore said a counter was capped; every
	// counter is exact now (counted in SQL), they stay false.
	AlertsMore    bool `json:"alerts_more,omitempty"`
	IncidentsMore bool `json:"incidents_more,omitempty"`
}

// WallArea is one province on the wall's map.
type WallArea struct {
	Code  string `json:"code"`
	D     string `json:"-"`
	Class string `json:"class"`
	Name  string `json:"name"`
}

// WallState is what the wall shows; the page renders it and /layar/data
// answers it as JSON for the script to redraw with.
type WallState struct {
	RoomID       int64            `json:"room_id"`
	Room         string           `json:"room"`
	Level        string           `json:"level"`
	Region       string           `json:"region"`
	RegionName   string           `json:"region_name"`
	Zone         string           `json:"time_zone"`
	Posture      calendar.Posture `json:"posture"`
	PostureLabel string           `json:"posture_label"`
	PostureClass string           `json:"posture_class"`
	Phase        string           `json:"phase,omitempty"`
	MinStaff     int              `json:"min_staff_per_shift"`
	Counters     WallCounters     `json:"counters"`
	Clocks       []WallClock      `json:"clocks"`
	Alerts       []WallItem       `json:"alerts"`
	Incidents    []WallItem       `json:"incidents"`
	Map          []WallArea       `json:"map"`
	ViewBox      string           `json:"view_box"`
	Streams      []string         `json:"-"`
	// Drill counts the room's running drills' alerts not yet acknowledged:
	// shown apart, marked as a drill, never in the counters.
	Drill     int       `json:"drill_alerts_new"`
	DrillText string    `json:"drill_text"`
	At        time.Time `json:"at"`
	// EventID is the moment the state was read (Unix ms), which the script
	// opens its streams from (?last_event_id=) so that nothing changed in
	// between is missed.
	EventID int64 `json:"event_id"`
}

func (p *pages) wallPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	st, err := p.wallState(r.Context(), rq, rm, store.Now())
	if err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "wall_screen.html", page{req: rq, Title: rq.T("wall.title", rm.Name), Active: "nav.oprooms", Data: st})
	return nil
}

func (p *pages) wallData(w http.ResponseWriter, r *http.Request, rq *req) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	st, err := p.wallState(r.Context(), rq, rm, store.Now())
	if err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
	return nil
}

// wallCounts counts the room's region's open alerts and incidents in SQL,
// as rq's reader sees them and RED left out, by province and severity:
// the counters, and the map through count. A national wall counts the
// whole country without reading a record.
func (p *pages) wallCounts(ctx context.Context, rq *req, rm room.Room, c *WallCounters, count func(code, sev string, n int)) error {
	for _, k := range []struct {
		kind, table, alias, open string
	}{
		{alert.RecordKind, "alerts", "a", "a.status IN ('new', 'acknowledged')"},
		{incident.RecordKind, "incidents", "i", "i.status NOT IN ('resolved', 'closed') AND i.drill_run_id IS NULL"},
	} {
		vis, args := policy.ReadFilter(rq.P.Viewer, k.kind, k.alias)
		where := k.open + " AND " + k.alias + ".tlp <> ? AND " + vis
		args = append([]any{string(policy.Red)}, args...)
		if cond, cargs := policy.InRegion(rq.P.Viewer, k.alias, rm.Region); rm.Region != "" && cond != "" {
			where, args = where+" AND "+cond, append(args, cargs...)
		} else if rm.Region != "" {
			where, args = where+" AND ("+k.alias+".region = ? OR "+k.alias+".region LIKE ?)", append(args, rm.Region, rm.Region+".%")
		}
		// Incidents are not counted by status: PostgreSQL refuses a
		// constant among the GROUP BY's terms, so it is not one of them.
		status, group := "''", ""
		if k.kind == alert.RecordKind {
			status = k.alias + ".status"
			group = ", " + status
		}
		rows, err := p.s.DB.Query(ctx, `SELECT SUBSTR(`+k.alias+`.region, 1, 2), `+k.alias+`.severity, `+status+`, COUNT(*) FROM `+k.table+` `+k.alias+`
			WHERE `+where+` GROUP BY SUBSTR(`+k.alias+`.region, 1, 2), `+k.alias+`.severity`+group, args...)
		if err != nil {
			return fmt.Errorf("wall: count %s: %w", k.table, err)
		}
		for rows.Next() {
			var prov, sev, st string
			var n int
			if err := rows.Scan(&prov, &sev, &st, &n); err != nil {
				rows.Close()
				return err
			}
			high := alert.SeverityRank(sev) >= alert.SeverityRank("high")
			if k.kind == alert.RecordKind {
				c.AlertsOpen += n
				if st == string(alert.New) {
					c.AlertsNew += n
				}
				if high {
					c.AlertsHigh += n
				}
			} else {
				c.IncidentsOpen += n
				if high {
					c.IncidentsHigh += n
				}
			}
			count(prov, sev, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// wallState reads the room's region as the signed-in person sees it, RED
// records left out.
func (p *pages) wallState(ctx context.Context, rq *req, rm room.Room, now time.Time) (WallState, error) {
	eventID := time.Now().UnixMilli()
	cal, err := calendar.Load(ctx, p.s.DB)
	if err != nil {
		return WallState{}, err
	}
	_, ph := cal.PostureAt(now, calendar.ZoneOf(rm.Region))
	st := WallState{RoomID: rm.ID, Room: rm.Name, Level: rm.Level, Region: rm.Region, RegionName: rq.ScopeName(rm.Region),
		Zone: rm.Zone, Posture: rm.Posture, PostureLabel: rq.L("posture", string(rm.Posture)), PostureClass: postureClass(rm.Posture),
		Phase: ph.Name, MinStaff: rm.MinStaff, At: now, EventID: eventID, Clocks: []WallClock{}, Alerts: []WallItem{}, Incidents: []WallItem{}}

	// The list shows the eight newest that are not RED: a few more are
	// read to skip the RED ones; the counters and the map come from SQL.
	alerts, err := alert.List(ctx, p.s.DB, *rq.P, alert.Filter{Status: []alert.Status{alert.New, alert.Acknowledged}, Region: rm.Region, Limit: 4 * 8})
	if err != nil {
		return WallState{}, err
	}
	incidents, err := incident.List(ctx, p.s.DB, *rq.P, incident.Filter{Status: openIncidentStatuses(), Region: rm.Region, Limit: 4 * 6})
	if err != nil {
		return WallState{}, err
	}

	// Per province, for the map: open items and their highest severity.
	type prov struct {
		open    int
		highest string
	}
	byProv := map[string]*prov{}
	count := func(code, sev string, n int) {
		if code == "" {
			return
		}
		pv := byProv[code]
		if pv == nil {
			pv = &prov{}
			byProv[code] = pv
		}
		pv.open += n
		if alert.SeverityRank(sev) > alert.SeverityRank(pv.highest) {
			pv.highest = sev
		}
	}
	if err := p.wallCounts(ctx, rq, rm, &st.Counters, count); err != nil {
		return WallState{}, err
	}

	for _, a := range alerts {
		if a.TLP == policy.Red {
			continue
		}
		if len(st.Alerts) < 8 {
			st.Alerts = append(st.Alerts, WallItem{ID: a.ID, Ref: "#" + strconv.FormatInt(a.ID, 10), Title: rq.ScenarioTitle(a.Scenario, a.Title), Severity: a.Severity,
				Status: string(a.Status), SeverityLabel: rq.L("sev", a.Severity), StatusLabel: rq.L("astatus", string(a.Status)), Region: a.Region, Place: rq.ScopeName(a.Region), Asset: a.Asset, At: a.LastSeen})
		}
	}

	for _, in := range incidents {
		if in.TLP != policy.Red && len(st.Incidents) < 6 {
			st.Incidents = append(st.Incidents, WallItem{ID: in.ID, Ref: in.HumanID, Title: in.Title, Severity: in.Severity,
				Status: string(in.Status), SeverityLabel: rq.L("sev", in.Severity), StatusLabel: rq.L("istatus", string(in.Status)), Region: in.Region, Place: rq.ScopeName(in.Region), At: in.DetectedAt})
		}
	}
	// The deadlines of every open incident, bounded in SQL: the six closest
	// to breach (the missed ones, longest overdue first, lead) and the
	// missed and amber counts.
	pending, err := incident.PendingFor(ctx, p.s.DB, *rq.P, rm.Region, true, now, 6)
	if err != nil {
		return WallState{}, err
	}
	st.Counters.ClocksMissed, st.Counters.ClocksAmber = pending.Missed, pending.Amber
	for _, pc := range pending.Closest {
		in, c := pc.Incident, pc.Clock
		st.Clocks = append(st.Clocks, WallClock{Incident: in.HumanID, Title: in.Title, Name: c.Name, Label: rq.T("wall.clock." + c.Name),
			Due: c.Due, State: c.State, Remaining: int64(c.Remaining / time.Second)})
	}

	// The map: the whole country for the national room, else zoomed onto
	// the room's province with its neighbours faded.
	focus := region.Province(rm.Region)
	st.ViewBox = p.geo.ViewBox
	for _, gp := range p.geo.Provinces {
		a := WallArea{Code: gp.Code, D: gp.D, Name: regionName(gp.Code)}
		lvl := "none"
		if pv := byProv[gp.Code]; pv != nil {
			lvl = levelOf(pv.open, pv.highest)
		}
		a.Class = "lvl-" + lvl
		if focus != "" && gp.Code != focus {
			a.Class += " dim"
		}
		st.Map = append(st.Map, a)
	}
	if focus != "" {
		// The focused province is painted last, over its neighbours.
		slices.SortStableFunc(st.Map, func(a, b WallArea) int {
			return cmp.Compare(boolRank(a.Code == focus), boolRank(b.Code == focus))
		})
		if gp, ok := p.geo.Province(focus); ok {
			st.ViewBox = zoomBox(gp.D, p.geo.Width, p.geo.Height)
		}
	}
	if rm.Internals {
		if err := p.s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM drill_alerts a JOIN drill_runs r ON r.id = a.run_id
			WHERE r.room_id = ? AND r.status = 'running' AND a.status = 'new' AND (a.raised_at IS NULL OR a.raised_at <= ?)`, rm.ID, store.Now()).Scan(&st.Drill); err != nil {
			return WallState{}, err
		}
		st.DrillText = rq.T("wall.drill", st.Drill)
	}
	q := ""
	if rm.Region != "" {
		q = "?region=" + rm.Region
	}
	st.Streams = []string{"/api/v1/alerts/stream" + q, "/api/v1/incidents/stream"}
	if rm.Internals { // the LATIHAN strip learns of each drill alert as it is raised
		st.Streams = append(st.Streams, "/api/v1/rooms/"+strconv.FormatInt(rm.ID, 10)+"/drills/stream")
	}
	return st, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

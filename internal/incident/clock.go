package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Targets are the response times a severity owes: to first response and to
// containment. They are settings (LoadTargets, SetTargets); DefaultTargets
// hold until the task force sets its own.
type Targets map[string]struct{ FirstResponse, Containment time.Duration }

// DefaultTargets: critical incidents are answered within the hour.
var DefaultTargets = Targets{
	"critical": {time.Hour, 4 * time.Hour},
	"high":     {4 * time.Hour, 24 * time.Hour},
	"medium":   {24 * time.Hour, 72 * time.Hour},
	"low":      {72 * time.Hour, 7 * 24 * time.Hour},
}

// BSSNReport is the domain's deadline for reporting a high or critical
// incident on election systems to BSSN (1x24 hours from detection); it is
// met by escalation to the national desk.
const BSSNReport = 24 * time.Hour

// Clock states.
const (
	ClockRunning = "running" // time left
	ClockAmber   = "amber"   // less than a quarter of the time left
	ClockMissed  = "missed"  // past due, not met
	ClockMet     = "met"     // met in time
	ClockLate    = "late"    // met, after the due time
)

// Clock is one deadline of an incident.
type Clock struct {
	Name      string        `json:"name"` // first_response, containment, bssn_report
	Due       time.Time     `json:"due"`
	MetAt     *time.Time    `json:"met_at,omitempty"`
	State     string        `json:"state"`
	Remaining time.Duration `json:"-"` // negative when past due; 0 once met
	// RemainingSeconds is Remaining for the API.
	RemainingSeconds int64 `json:"remaining_seconds"`
}

// Clocks computes an incident's deadlines at a moment. reportedToBSSN is
// when BSSN took part (nil: not yet): ClocksOf finds it on the timeline.
func Clocks(i Incident, targets Targets, reportedToBSSN *time.Time, now time.Time) []Clock {
	var out []Clock
	t, ok := targets[i.Severity]
	if ok {
		out = append(out, clock("first_response", i.DetectedAt, t.FirstResponse, i.FirstResponseAt, now),
			clock("containment", i.DetectedAt, t.Containment, i.ContainedAt, now))
	}
	if i.Severity == "high" || i.Severity == "critical" {
		out = append(out, clock("bssn_report", i.DetectedAt, BSSNReport, reportedToBSSN, now))
	}
	return out
}

// pdpClock is the UU PDP notification's clock of a breach.
func pdpClock(i Incident, p PDP, now time.Time) Clock {
	return clock("pdp_notification", i.DetectedAt, PDPNotice, p.NotifiedAt, now)
}

// ClocksOf reads an incident the principal may see and computes its clocks
// now.
func ClocksOf(ctx context.Context, q store.Querier, who auth.Principal, ref string, now time.Time) ([]Clock, error) {
	i, err := Get(ctx, q, who, ref)
	if err != nil {
		return nil, err
	}
	timing, err := LoadTiming(ctx, q)
	if err != nil {
		return nil, err
	}
	return ClocksFor(ctx, q, i, timing, now)
}

// ClocksFor computes the clocks of an incident the caller has already read
// under its reader's visibility, with the timing loaded once for many (the
// daily report).
func ClocksFor(ctx context.Context, q store.Querier, i Incident, timing Timing, now time.Time) ([]Clock, error) {
	return clocksOf(ctx, q, i, timing, now)
}

// clocksOf computes an incident's clocks, taking the BSSN report from the
// timeline (the incident was reported when BSSN created it, it reached the
// national desk, or BSSN was added) and the UU PDP record, with the targets
// of the posture the incident was detected in (Timing.Of). It reads as the
// platform: callers have already decided the incident may be read.
func clocksOf(ctx context.Context, q store.Querier, i Incident, timing Timing, now time.Time) ([]Clock, error) {
	var reported *time.Time
	switch {
	case i.Owner == NationalDesk:
		reported = &i.ReportedAt
	default:
		rows, err := q.Query(ctx, `SELECT at, changes FROM incident_timeline WHERE incident_id = ? AND kind IN ('created', 'escalated', 'participants') ORDER BY id`, i.ID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var at time.Time
			var changes string
			if err := rows.Scan(&at, &changes); err != nil {
				rows.Close()
				return nil, err
			}
			if strings.Contains(changes, `"`+NationalDesk+`"`) {
				reported = &at
				break
			}
		}
		rows.Close()
	}
	clocks := Clocks(i, timing.Of(i), reported, now)
	if p, err := loadPDP(ctx, q, i.ID); err == nil {
		clocks = append(clocks, pdpClock(i, p, now))
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return clocks, nil
}

// Missed is a clock of an open incident that ran out without being met.
type Missed struct {
	IncidentID int64
	HumanID    string
	Clock      string
}

// MissedClocks finds the missed clocks of open incidents detected in the
// last 30 days, for the platform's notifier (no person's visibility: the
// notifier decides who is told).
func MissedClocks(ctx context.Context, q store.Querier, now time.Time) ([]Missed, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE i.status NOT IN ('resolved', 'closed') AND i.detected_at >= ? AND i.drill_run_id IS NULL ORDER BY i.id`,
		now.Add(-30*24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("open incidents: %w", err)
	}
	open, err := store.Collect(rows, scan)
	if err != nil {
		return nil, err
	}
	timing, err := LoadTiming(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Missed
	for _, i := range open {
		clocks, err := clocksOf(ctx, q, i, timing, now)
		if err != nil {
			return nil, err
		}
		for _, c := range clocks {
			if c.State == ClockMissed {
				out = append(out, Missed{IncidentID: i.ID, HumanID: i.HumanID, Clock: c.Name})
			}
		}
	}
	return out, nil
}

// DeadlineClock is the clock of any other record's deadline (a takedown
// request's), counted as an incident's are: every deadline in Garda reads
// the same.
func DeadlineClock(name string, from time.Time, d time.Duration, met *time.Time, now time.Time) Clock {
	return clock(name, from, d, met, now)
}

func clock(name string, from time.Time, d time.Duration, met *time.Time, now time.Time) Clock {
	c := Clock{Name: name, Due: from.Add(d), MetAt: met}
	switch {
	case met != nil && !met.After(c.Due):
		c.State = ClockMet
	case met != nil:
		c.State = ClockLate
	case now.After(c.Due):
		c.State, c.Remaining = ClockMissed, c.Due.Sub(now)
	case c.Due.Sub(now) < d/4:
		c.State, c.Remaining = ClockAmber, c.Due.Sub(now)
	default:
		c.State, c.Remaining = ClockRunning, c.Due.Sub(now)
	}
	c.Remaining = c.Remaining.Truncate(time.Second)
	c.RemainingSeconds = int64(c.Remaining / time.Second)
	return c
}

// OpenByProvince counts the open incidents the principal may read per
// province ("" for national ones), with their highest severity: the
// national map's colour.
func OpenByProvince(ctx context.Context, q store.Querier, who auth.Principal) (map[string]alert.ProvinceState, error) {
	// The WHERE clause is word for word that of the incidents_open index,
	// so the count reads the index alone; the drill incidents it counts too
	// (a handful, found by their own index) are taken off after.
	count := func(query string) (map[[2]string]int, error) {
		query, args := policy.CountByTLP(who.Viewer, RecordKind, "i", query)
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("count open incidents: %w", err)
		}
		defer rows.Close()
		out := map[[2]string]int{}
		for rows.Next() {
			var prov, sev string
			var n int
			if err := rows.Scan(&prov, &sev, &n); err != nil {
				return nil, err
			}
			out[[2]string{prov, sev}] += n
		}
		return out, rows.Err()
	}
	all, err := count(`SELECT SUBSTR(i.region, 1, 2), i.severity, COUNT(*) FROM incidents i
		WHERE i.status NOT IN ('resolved', 'closed') AND %s GROUP BY SUBSTR(i.region, 1, 2), i.severity`)
	if err != nil {
		return nil, err
	}
	drills, err := count(`SELECT SUBSTR(i.region, 1, 2), i.severity, COUNT(*) FROM incidents i
		WHERE i.drill_run_id IS NOT NULL AND i.status NOT IN ('resolved', 'closed') AND %s GROUP BY SUBSTR(i.region, 1, 2), i.severity`)
	if err != nil {
		return nil, err
	}
	out := map[string]alert.ProvinceState{}
	for k, n := range all {
		if n -= drills[k]; n <= 0 {
			continue
		}
		st := out[k[0]]
		st.Open += n
		if alert.SeverityRank(k[1]) > alert.SeverityRank(st.Highest) {
			st.Highest = k[1]
		}
		out[k[0]] = st
	}
	return out, nil
}

// System reads an incident by id for the platform itself (no person's
// visibility: callers such as the notifier decide who is told what).
func System(ctx context.Context, q store.Querier, id int64) (Incident, error) {
	i, err := scan(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE i.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return Incident{}, problem.New(problem.NotFound, "no incident %d", id)
	} else if err != nil {
		return Incident{}, err
	}
	if err := withAccess(ctx, q, &i); err != nil {
		return Incident{}, err
	}
	return i, nil
}

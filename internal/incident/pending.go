package incident

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// PendingClock is an open incident's clock not yet met, with its incident.
type PendingClock struct {
	Incident Incident
	Clock    Clock
}

// Pending is what a wall shows of the deadlines of the open incidents a
// reader reads in a region: the clocks closest to breach (the missed ones
// first, longest overdue first) and how many are missed or amber in all.
type Pending struct {
	Closest []PendingClock
	Missed  int
	Amber   int
}

// pendingKind is one kind of clock as SQL sees it: which severities owe
// it and in what time, and the condition of it not being met yet. The
// durations are those Clocks and pdpClock use; clock() says the states.
type pendingKind struct {
	name  string
	due   map[string]time.Duration // severity ("" any) -> time from detection
	unmet string
}

func pendingKinds(targets Targets) []pendingKind {
	first, contain := map[string]time.Duration{}, map[string]time.Duration{}
	for sev, t := range targets {
		first[sev], contain[sev] = t.FirstResponse, t.Containment
	}
	return []pendingKind{
		{name: "first_response", due: first, unmet: "i.first_response_at IS NULL"},
		{name: "containment", due: contain, unmet: "i.contained_at IS NULL"},
		// Met when the national desk owns it, or when the timeline says it
		// reached the desk (clocksOf reads the same entries).
		{name: "bssn_report", due: map[string]time.Duration{"high": BSSNReport, "critical": BSSNReport},
			unmet: `o.slug <> '` + NationalDesk + `' AND NOT EXISTS (SELECT 1 FROM incident_timeline t WHERE t.incident_id = i.id
				AND t.kind IN ('created', 'escalated', 'participants') AND t.changes LIKE '%"` + NationalDesk + `"%')`},
		{name: "pdp_notification", due: map[string]time.Duration{"": PDPNotice},
			unmet: `EXISTS (SELECT 1 FROM incident_pdp p WHERE p.incident_id = i.id AND p.notified_at IS NULL)`},
	}
}

// PendingFor finds the n clocks closest to breach and the counts of missed
// and amber clocks across every open incident who reads in region (RED
// ones left out when noRed: a wall is a shared screen), bounded in SQL at
// any number of incidents: the counts are counted there, and the closest
// are found among the n earliest-detected of each clock kind and severity
// (a clock's due time is its detection plus a time its kind and severity
// set), whose few incidents' clocks ClocksFor then computes, as everywhere
// else.
func PendingFor(ctx context.Context, q store.Querier, who auth.Principal, region string, noRed bool, now time.Time, n int) (Pending, error) {
	var out Pending
	targets, err := LoadTargets(ctx, q)
	if err != nil {
		return out, err
	}
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	where := []string{vis, "i.status NOT IN ('resolved', 'closed')", "i.drill_run_id IS NULL"}
	if noRed {
		where, args = append(where, "i.tlp <> ?"), append(args, string(policy.Red))
	}
	if region != "" {
		if cond, cargs := policy.InRegion(who.Viewer, "i", region); cond != "" {
			where, args = append(where, cond), append(args, cargs...)
		} else {
			where, args = append(where, "(i.region = ? OR i.region LIKE ?)"), append(args, region, region+".%")
		}
	}
	base := ` FROM incidents i JOIN orgs o ON o.id = i.owner_org_id WHERE ` + strings.Join(where, " AND ")
	now = now.UTC()

	type candidate struct {
		id  int64
		due time.Time
	}
	var cands []candidate
	for _, k := range pendingKinds(targets) {
		sevs := make([]string, 0, len(k.due))
		for s := range k.due {
			sevs = append(sevs, s)
		}
		slices.Sort(sevs)
		// Missed: due before now; amber: due within a quarter of its time
		// (clock()'s rule), in detection times, per severity: one count
		// of the kind's unmet clocks.
		var missedWhen, amberWhen []string
		var countArgs []any
		for _, sev := range sevs {
			d := k.due[sev]
			sevCond, sevArgs := "", []any{}
			if sev != "" {
				sevCond, sevArgs = "i.severity = ? AND ", []any{sev}
			}
			missedWhen = append(missedWhen, "("+sevCond+"i.detected_at < ?)")
			countArgs = append(append(countArgs, sevArgs...), now.Add(-d))
		}
		for _, sev := range sevs {
			d := k.due[sev]
			sevCond, sevArgs := "", []any{}
			if sev != "" {
				sevCond, sevArgs = "i.severity = ? AND ", []any{sev}
			}
			amberWhen = append(amberWhen, "("+sevCond+"i.detected_at >= ? AND i.detected_at < ?)")
			countArgs = append(append(countArgs, sevArgs...), now.Add(-d), now.Add(-d*3/4))
		}
		var missed, amber int
		if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN `+strings.Join(missedWhen, " OR ")+` THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN `+strings.Join(amberWhen, " OR ")+` THEN 1 ELSE 0 END), 0)`+base+` AND `+k.unmet,
			append(countArgs, args...)...).Scan(&missed, &amber); err != nil {
			return out, fmt.Errorf("pending clocks %s: %w", k.name, err)
		}
		out.Missed, out.Amber = out.Missed+missed, out.Amber+amber
		if n <= 0 {
			continue
		}
		// The first detected of each severity (the index
		// incidents_open_detected walks them in order).
		for _, sev := range sevs {
			d := k.due[sev]
			cond, cargs := k.unmet, slices.Clone(args)
			if sev != "" {
				cond, cargs = cond+" AND i.severity = ?", append(cargs, sev)
			}
			rows, err := q.Query(ctx, `SELECT i.id, i.detected_at`+base+` AND `+cond+` ORDER BY i.detected_at, i.id LIMIT `+strconv.Itoa(n), cargs...)
			if err != nil {
				return out, fmt.Errorf("pending clocks %s %s: %w", k.name, sev, err)
			}
			got, err := store.Collect(rows, func(s store.Scanner) (candidate, error) {
				var c candidate
				err := s.Scan(&c.id, &c.due)
				c.due = c.due.Add(d)
				return c, err
			})
			if err != nil {
				return out, err
			}
			cands = append(cands, got...)
		}
	}
	// The n earliest due are the closest to breach; their incidents'
	// clocks are computed by ClocksFor.
	slices.SortStableFunc(cands, func(a, b candidate) int { return a.due.Compare(b.due) })
	var ids []int64
	for _, c := range cands {
		if len(ids) == n {
			break
		}
		if !slices.Contains(ids, c.id) {
			ids = append(ids, c.id)
		}
	}
	for _, id := range ids {
		rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE i.id = ?`, id)
		if err != nil {
			return out, err
		}
		list, err := store.Collect(rows, scan)
		if err != nil || len(list) == 0 {
			return out, err
		}
		clocks, err := ClocksFor(ctx, q, list[0], targets, now)
		if err != nil {
			return out, err
		}
		for _, c := range clocks {
			if c.State == ClockMissed || c.State == ClockAmber || c.State == ClockRunning {
				out.Closest = append(out.Closest, PendingClock{Incident: list[0], Clock: c})
			}
		}
	}
	slices.SortStableFunc(out.Closest, func(a, b PendingClock) int { return cmp.Compare(a.Clock.Remaining, b.Clock.Remaining) })
	if len(out.Closest) > n {
		out.Closest = out.Closest[:n]
	}
	return out, nil
}

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
	"github.com/garda-id/garda/internal/calendar"
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

// pendingKind is one kind of clock as SQL sees it: which incidents owe it
// and in what time (classes), and the condition of it not being met yet.
// The durations are those Clocks and pdpClock use; clock() says the states.
type pendingKind struct {
	name    string
	classes []pendingClass
	unmet   string
}

// pendingClass is a set of incidents whose clock of a kind runs the same
// time from detection: a severity, and for the response targets the
// posture it was detected in where that posture has targets of its own.
type pendingClass struct {
	cond string // "" for every incident
	args []any
	due  time.Duration
}

func pendingKinds(timing Timing) []pendingKind {
	// A severity's postures whose targets differ from the ordinary ones
	// get a class each; the rest of the severity's incidents one more.
	var postures []calendar.Posture
	for p, own := range timing.ByPosture {
		if len(own) > 0 {
			postures = append(postures, p)
		}
	}
	slices.Sort(postures)
	windows := timing.postureWindows(postures)
	targets := func(of func(struct{ FirstResponse, Containment time.Duration }) time.Duration) []pendingClass {
		var out []pendingClass
		for _, sev := range Severities {
			ord := of(timing.Targets[sev])
			var others sqlCond
			for _, p := range postures {
				d := of(timing.For(p)[sev])
				if d == ord {
					continue
				}
				w := windows[p]
				out = append(out, pendingClass{cond: "i.severity = ? AND " + w.String(), args: append([]any{sev}, w.args...), due: d})
				others.or(w.String(), w.args)
			}
			rest := pendingClass{cond: "i.severity = ?", args: []any{sev}, due: ord}
			if len(others.parts) > 0 {
				rest.cond, rest.args = rest.cond+" AND NOT "+others.String(), append(rest.args, others.args...)
			}
			out = append(out, rest)
		}
		return out
	}
	bySeverity := func(d time.Duration, sevs ...string) []pendingClass {
		var out []pendingClass
		for _, sev := range sevs {
			out = append(out, pendingClass{cond: "i.severity = ?", args: []any{sev}, due: d})
		}
		return out
	}
	return []pendingKind{
		{name: "first_response", classes: targets(func(t struct{ FirstResponse, Containment time.Duration }) time.Duration { return t.FirstResponse }),
			unmet: "i.first_response_at IS NULL"},
		{name: "containment", classes: targets(func(t struct{ FirstResponse, Containment time.Duration }) time.Duration { return t.Containment }),
			unmet: "i.contained_at IS NULL"},
		// Met when the national desk owns it, or when the timeline says it
		// reached the desk (clocksOf reads the same entries).
		{name: "bssn_report", classes: bySeverity(BSSNReport, "critical", "high"),
			unmet: `o.slug <> '` + NationalDesk + `' AND NOT EXISTS (SELECT 1 FROM incident_timeline t WHERE t.incident_id = i.id
				AND t.kind IN ('created', 'escalated', 'participants') AND t.changes LIKE '%"` + NationalDesk + `"%')`},
		{name: "pdp_notification", classes: []pendingClass{{due: PDPNotice}},
			unmet: `EXISTS (SELECT 1 FROM incident_pdp p WHERE p.incident_id = i.id AND p.notified_at IS NULL)`},
	}
}

// PendingFor finds the n clocks closest to breach and the counts of missed
// and amber clocks across every open incident who reads in region (RED
// ones left out when noRed: a wall is a shared screen), bounded in SQL at
// any number of incidents: the counts are counted there, and the closest
// are found among the n earliest-detected of each clock kind and class
// (a clock's due time is its detection plus a time its kind, severity and,
// for the response targets, the posture it was detected in set), whose few incidents' clocks ClocksFor then computes, as everywhere
// else.
func PendingFor(ctx context.Context, q store.Querier, who auth.Principal, region string, noRed bool, now time.Time, n int) (Pending, error) {
	var out Pending
	timing, err := LoadTiming(ctx, q)
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
	for _, k := range pendingKinds(timing) {
		// Missed: due before now; amber: due within a quarter of its time
		// (clock()'s rule), in detection times, per class: one count of
		// the kind's unmet clocks.
		var missedWhen, amberWhen []string
		var countArgs []any
		and := func(c pendingClass) string {
			if c.cond == "" {
				return ""
			}
			return c.cond + " AND "
		}
		for _, c := range k.classes {
			missedWhen = append(missedWhen, "("+and(c)+"i.detected_at < ?)")
			countArgs = append(append(countArgs, c.args...), now.Add(-c.due))
		}
		for _, c := range k.classes {
			amberWhen = append(amberWhen, "("+and(c)+"i.detected_at >= ? AND i.detected_at < ?)")
			countArgs = append(append(countArgs, c.args...), now.Add(-c.due), now.Add(-c.due*3/4))
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
		// The first detected of each class (the index
		// incidents_open_detected walks them in order).
		for _, c := range k.classes {
			cond, cargs := k.unmet, slices.Clone(args)
			if c.cond != "" {
				cond, cargs = cond+" AND "+c.cond, append(cargs, c.args...)
			}
			rows, err := q.Query(ctx, `SELECT i.id, i.detected_at`+base+` AND `+cond+` ORDER BY i.detected_at, i.id LIMIT `+strconv.Itoa(n), cargs...)
			if err != nil {
				return out, fmt.Errorf("pending clocks %s: %w", k.name, err)
			}
			got, err := store.Collect(rows, func(s store.Scanner) (candidate, error) {
				var cd candidate
				err := s.Scan(&cd.id, &cd.due)
				cd.due = cd.due.Add(c.due)
				return cd, err
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
		clocks, err := ClocksFor(ctx, q, list[0], timing, now)
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

package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// TargetPostures are the postures that may have targets of their own:
// normal is the ordinary targets.
var TargetPostures = []calendar.Posture{calendar.Waspada, calendar.Siaga, calendar.Awas}

// Timing is what an incident's clocks are held to: the ordinary targets,
// the postures' own where national administrators set them, and the
// calendar that says which posture an incident's region was in when it
// was detected. LoadTiming reads it once for many incidents.
type Timing struct {
	Targets                                // the ordinary targets
	ByPosture map[calendar.Posture]Targets // only the severities set
	Calendar  *calendar.Calendar           // shipped and entered phases
}

// LoadTiming reads the ordinary targets, the postures' and the calendar.
func LoadTiming(ctx context.Context, q store.Querier) (Timing, error) {
	t, err := LoadTargets(ctx, q)
	if err != nil {
		return Timing{}, err
	}
	out := Timing{Targets: t, ByPosture: map[calendar.Posture]Targets{}}
	if out.ByPosture, err = loadPostureTargets(ctx, q); err != nil {
		return Timing{}, err
	}
	if len(out.ByPosture) == 0 {
		return out, nil // no posture has targets: the calendar changes nothing
	}
	if out.Calendar, err = calendar.Load(ctx, q); err != nil {
		return Timing{}, err
	}
	return out, nil
}

func loadPostureTargets(ctx context.Context, q store.Querier) (map[calendar.Posture]Targets, error) {
	rows, err := q.Query(ctx, `SELECT posture, severity, first_response_min, containment_min FROM posture_response_targets`)
	if err != nil {
		return nil, fmt.Errorf("posture response targets: %w", err)
	}
	defer rows.Close()
	out := map[calendar.Posture]Targets{}
	for rows.Next() {
		var posture, sev string
		var first, contain int64
		if err := rows.Scan(&posture, &sev, &first, &contain); err != nil {
			return nil, err
		}
		p := calendar.Posture(posture)
		if out[p] == nil {
			out[p] = Targets{}
		}
		out[p][sev] = struct{ FirstResponse, Containment time.Duration }{time.Duration(first) * time.Minute, time.Duration(contain) * time.Minute}
	}
	return out, rows.Err()
}

// For gives the targets in force in a posture: the ordinary ones with the
// posture's over them. A posture only tightens: where the ordinary target
// was later made stricter than the posture's, the stricter holds.
func (t Timing) For(p calendar.Posture) Targets {
	own := t.ByPosture[p]
	if len(own) == 0 {
		return t.Targets
	}
	out := Targets{}
	for sev, o := range t.Targets {
		if x, ok := own[sev]; ok {
			o.FirstResponse, o.Containment = min(o.FirstResponse, x.FirstResponse), min(o.Containment, x.Containment)
		}
		out[sev] = o
	}
	return out
}

// PostureOf is the posture the incident's region was in when it was
// detected, in the region's zone (WIB for the national desk).
func (t Timing) PostureOf(i Incident) calendar.Posture {
	if t.Calendar == nil {
		return calendar.Normal
	}
	p, _ := t.Calendar.PostureAt(i.DetectedAt, calendar.ZoneOf(i.Region))
	return p
}

// Of gives the targets an incident is held to: the one place that decides.
func (t Timing) Of(i Incident) Targets {
	if len(t.ByPosture) == 0 {
		return t.Targets
	}
	return t.For(t.PostureOf(i))
}

// postureWindows gives, per posture, the SQL condition on an incident
// (alias i) of its region having been in that posture when it was
// detected: the spans of detection time, zone by zone, in which the
// calendar's highest running phase had that posture (what PostureOf
// says of one incident, for the wall's counts in SQL). Only postures with
// targets of their own are asked for.
func (t Timing) postureWindows(postures []calendar.Posture) map[calendar.Posture]sqlCond {
	out := map[calendar.Posture]sqlCond{}
	if t.Calendar == nil || len(postures) == 0 {
		return out
	}
	phases := t.Calendar.Phases()
	for _, z := range calendar.Zones {
		var bounds []time.Time
		for _, ph := range phases {
			from, to, err := ph.Span(z)
			if err != nil {
				continue
			}
			bounds = append(bounds, from, to)
		}
		slices.SortFunc(bounds, time.Time.Compare)
		bounds = slices.Compact(bounds)
		zone, zargs := zoneCond(z)
		spans := map[calendar.Posture][][2]time.Time{}
		for k := 0; k+1 < len(bounds); k++ {
			p, _ := t.Calendar.PostureAt(bounds[k], z)
			if !slices.Contains(postures, p) {
				continue
			}
			if s := spans[p]; len(s) > 0 && s[len(s)-1][1].Equal(bounds[k]) {
				s[len(s)-1][1] = bounds[k+1] // one span across a boundary that keeps the posture
				continue
			}
			spans[p] = append(spans[p], [2]time.Time{bounds[k], bounds[k+1]})
		}
		for p, ss := range spans {
			var ors []string
			var args []any
			for _, s := range ss {
				ors = append(ors, "(i.detected_at >= ? AND i.detected_at < ?)")
				args = append(args, s[0].UTC(), s[1].UTC())
			}
			c := out[p]
			c.or("("+zone+" AND ("+strings.Join(ors, " OR ")+"))", append(slices.Clone(zargs), args...))
			out[p] = c
		}
	}
	return out
}

// sqlCond is a condition and its arguments; the zero one is false.
type sqlCond struct {
	parts []string
	args  []any
}

func (c *sqlCond) or(cond string, args []any) {
	c.parts, c.args = append(c.parts, cond), append(c.args, args...)
}

func (c sqlCond) String() string {
	if len(c.parts) == 0 {
		return "1 = 0"
	}
	return "(" + strings.Join(c.parts, " OR ") + ")"
}

// zoneCond is the condition of an incident's region lying in zone z, by
// its province (the first two characters of its code; the national
// region, "", is WIB as calendar.ZoneOf says).
func zoneCond(z *time.Location) (string, []any) {
	var own, others []any
	for _, p := range calendar.ZoneProvinces() {
		if calendar.ZoneOf(p) == z {
			own = append(own, p)
		} else {
			others = append(others, p)
		}
	}
	if z == calendar.WIB {
		return "SUBSTR(i.region, 1, 2) NOT IN (" + placeholders(len(others)) + ")", others
	}
	return "SUBSTR(i.region, 1, 2) IN (" + placeholders(len(own)) + ")", own
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// PostureTargets is a posture's own targets as the API shows them.
type PostureTargets struct {
	Posture calendar.Posture `json:"posture"`
	Items   []Target         `json:"items"`    // the severities set; the others keep the ordinary
	InForce []Target         `json:"in_force"` // what an incident detected in the posture owes
}

// PostureList gives every posture that may have targets, with its own and
// those in force, calmest first.
func (t Timing) PostureList() []PostureTargets {
	var out []PostureTargets
	for _, p := range TargetPostures {
		pt := PostureTargets{Posture: p, Items: []Target{}, InForce: t.For(p).List()}
		for _, x := range t.ByPosture[p].List() {
			if _, ok := t.ByPosture[p][x.Severity]; ok {
				pt.Items = append(pt.Items, x)
			}
		}
		out = append(out, pt)
	}
	return out
}

// PostureTargetsOf gives one posture's targets; an unknown posture, or
// normal, is not found.
func (t Timing) PostureTargetsOf(p calendar.Posture) (PostureTargets, error) {
	for _, pt := range t.PostureList() {
		if pt.Posture == p {
			return pt, nil
		}
	}
	return PostureTargets{}, problem.New(problem.NotFound, "posture %q has no targets of its own (waspada, siaga or awas)", p)
}

// SetPostureTargets replaces a posture's own targets with in (severities
// not given keep the ordinary ones; nil removes them all): national
// settings, as SetTargets, audited with the old and new values. A
// posture's target may not be looser than the ordinary one in force, nor
// outside SetTargets' bounds; every target is checked before any is
// stored.
func SetPostureTargets(ctx context.Context, db *store.DB, who auth.Principal, p calendar.Posture, in []Target) (Timing, error) {
	if !policy.ManagesNational(who.Viewer) {
		return Timing{}, problem.New(problem.Forbidden, "response targets are national settings: only a national administrator changes them")
	}
	if !slices.Contains(TargetPostures, p) {
		return Timing{}, problem.New(problem.NotFound, "posture %q has no targets of its own (waspada, siaga or awas)", p)
	}
	var out Timing
	err := db.InTx(ctx, func(tx *store.Tx) error {
		old, err := LoadTiming(ctx, tx)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, t := range in {
			ord := old.Targets[t.Severity]
			switch {
			case !slices.Contains(Severities, t.Severity):
				return problem.Field("severity", "unknown severity %q (low, medium, high or critical)", t.Severity)
			case seen[t.Severity]:
				return problem.Field("severity", "%s is given twice", t.Severity)
			case t.FirstResponseMinutes < 1 || t.FirstResponseMinutes > maxTargetMinutes:
				return problem.Field("first_response_minutes", "%s: first response from 1 minute to %d (30 days)", t.Severity, maxTargetMinutes)
			case t.ContainmentMinutes < t.FirstResponseMinutes || t.ContainmentMinutes > maxTargetMinutes:
				return problem.Field("containment_minutes", "%s: containment from the first response's %d minutes to %d (30 days)", t.Severity, t.FirstResponseMinutes, maxTargetMinutes)
			case time.Duration(t.FirstResponseMinutes)*time.Minute > ord.FirstResponse:
				return problem.Field("first_response_minutes", "%s: a posture's first response may not be looser than the ordinary %d minutes", t.Severity, ord.FirstResponse/time.Minute)
			case time.Duration(t.ContainmentMinutes)*time.Minute > ord.Containment:
				return problem.Field("containment_minutes", "%s: a posture's containment may not be looser than the ordinary %d minutes", t.Severity, ord.Containment/time.Minute)
			}
			seen[t.Severity] = true
		}
		was := old.ByPosture[p]
		say := func(t Targets, sev string) string {
			x, ok := t[sev]
			if !ok {
				return "ordinary"
			}
			return fmt.Sprintf("%d/%d min", x.FirstResponse/time.Minute, x.Containment/time.Minute)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM posture_response_targets WHERE posture = ?`, string(p)); err != nil {
			return fmt.Errorf("clear posture targets: %w", err)
		}
		now := Targets{}
		for _, t := range in {
			if _, err := tx.Exec(ctx, `INSERT INTO posture_response_targets (posture, severity, first_response_min, containment_min, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				string(p), t.Severity, t.FirstResponseMinutes, t.ContainmentMinutes, who.User.ID, store.Now()); err != nil {
				return fmt.Errorf("store posture target %s %s: %w", p, t.Severity, err)
			}
			now[t.Severity] = struct{ FirstResponse, Containment time.Duration }{time.Duration(t.FirstResponseMinutes) * time.Minute, time.Duration(t.ContainmentMinutes) * time.Minute}
		}
		changes := map[string]any{}
		for _, sev := range Severities {
			if from, to := say(was, sev), say(now, sev); from != to {
				changes[sev] = Change{From: from, To: to}
			}
		}
		if len(changes) > 0 { // saved as it was: nothing to audit
			if err := audit.Record(ctx, tx, who.Actor(), "settings.response_targets.posture", "settings", "response_targets/"+string(p), changes); err != nil {
				return err
			}
		}
		out, err = LoadTiming(ctx, tx)
		return err
	})
	return out, err
}

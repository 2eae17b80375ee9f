package incident_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestPendingMatchesClocksFor: the wall's deadlines bounded in SQL
// (PendingFor) are exactly what ClocksFor gives over every open incident
// the reader reads (the one place that decides a clock): the missed and
// amber counts and the six closest to breach, for readers of the nation,
// of a province, with and without RED, over incidents of every severity
// and age, answered, contained, escalated to the national desk, owned by
// it, marked as a personal-data breach (notified or not), closed.
func TestPendingMatchesClocksFor(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		now := time.Now().UTC().Truncate(time.Second)
		sevs := []string{"low", "medium", "high", "critical"}
		for i := range 60 {
			user, reg := "jabar.analyst", "32"
			switch i % 4 {
			case 1:
				user, reg = "bssn.analyst", "32"
			case 2:
				user, reg = "jateng.analyst", "33"
			case 3:
				user, reg = "bssn.analyst", ""
			}
			tlp := "AMBER"
			if i%7 == 0 {
				tlp = "RED"
			}
			at := now.Add(-time.Duration(i) * (97*time.Minute + time.Second))
			in := w.create(t, user, incident.Input{Title: str(fmt.Sprintf("Insiden %d", i)), Severity: &sevs[(i/4+i)%4], Region: &reg, TLP: &tlp, DetectedAt: &at})
			if i%3 == 0 {
				exec(t, db, `UPDATE incidents SET first_response_at = ? WHERE id = ?`, at.Add(time.Duration(i)*time.Hour), in.ID)
			}
			if i%4 == 0 {
				exec(t, db, `UPDATE incidents SET contained_at = ? WHERE id = ?`, at.Add(time.Duration(i)*time.Hour), in.ID)
			}
			if i%8 == 4 && tlp != "RED" { // West Java's, two of them critical
				if _, err := incident.Escalate(ctx, db, w.who["jabar.coord"], w.tree, in.HumanID, "perlu BSSN"); err != nil {
					t.Fatal(err)
				}
			}
			if i%6 == 0 {
				var notified *time.Time
				if i%12 == 0 {
					notified = &at
				}
				exec(t, db, `INSERT INTO incident_pdp (incident_id, data_subjects, data_categories, marked_at, marked_by, notified_at) VALUES (?, 10, 'NIK', ?, 'uji', ?)`,
					in.ID, at, notified)
			}
			if i%9 == 4 {
				exec(t, db, `UPDATE incidents SET status = 'closed', closed_at = ? WHERE id = ?`, now, in.ID)
			}
		}
		for _, c := range []struct {
			user, region string
			noRed        bool
		}{{"bssn.analyst", "", true}, {"bssn.analyst", "", false}, {"bssn.analyst", "32", true}, {"jabar.analyst", "32", true}, {"jabar.analyst", "", false}} {
			who := w.who[c.user]
			got, err := incident.PendingFor(ctx, db, who, c.region, c.noRed, now, 6)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(t, db, who, c.region, c.noRed, now, 6)
			name := fmt.Sprintf("%s in %q (RED left out: %v)", c.user, c.region, c.noRed)
			if got.Missed != want.Missed || got.Amber != want.Amber {
				t.Errorf("%s: missed %d amber %d, ClocksFor says %d and %d", name, got.Missed, got.Amber, want.Missed, want.Amber)
			}
			if g, wn := pendingKeys(got), pendingKeys(want); !slices.Equal(g, wn) {
				t.Errorf("%s: closest\n got %v\nwant %v", name, g, wn)
			}
			if want.Missed == 0 || len(want.Closest) < 6 {
				t.Errorf("%s: the data tests little: %d missed, %d closest", name, want.Missed, len(want.Closest))
			}
		}
	})
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

// bruteForce is the wall's old way: every open incident, ClocksFor each.
func bruteForce(t *testing.T, db *store.DB, who auth.Principal, region string, noRed bool, now time.Time, n int) incident.Pending {
	t.Helper()
	ctx := context.Background()
	list, err := incident.List(ctx, db, who, incident.Filter{Status: slices.DeleteFunc(slices.Clone(incident.Statuses), incident.Status.Done), Region: region, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := incident.LoadTiming(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var out incident.Pending
	for _, in := range list {
		if noRed && in.TLP == policy.Red {
			continue
		}
		clocks, err := incident.ClocksFor(ctx, db, in, targets, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range clocks {
			switch c.State {
			case incident.ClockMissed:
				out.Missed++
			case incident.ClockAmber:
				out.Amber++
			case incident.ClockRunning:
			default:
				continue
			}
			out.Closest = append(out.Closest, incident.PendingClock{Incident: in, Clock: c})
		}
	}
	slices.SortStableFunc(out.Closest, func(a, b incident.PendingClock) int { return cmp.Compare(a.Clock.Remaining, b.Clock.Remaining) })
	out.Closest = out.Closest[:min(n, len(out.Closest))]
	return out
}

func pendingKeys(p incident.Pending) []string {
	var out []string
	for _, c := range p.Closest {
		out = append(out, fmt.Sprintf("%s/%s/%s/%d", c.Incident.HumanID, c.Clock.Name, c.Clock.State, c.Clock.RemainingSeconds))
	}
	return out
}

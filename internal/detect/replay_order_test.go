package detect_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/simulate"
)

// simulated is a log of the demo sites with attacks of every class, its
// lines in time order.
func simulated(t testing.TB, seed uint64, lines int, start time.Time, span time.Duration) []string {
	t.Helper()
	sim, err := simulate.New(simulate.Options{Sites: simulate.DefaultSites(), Seed: seed, Lines: lines, Start: start, Span: span})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := sim.WriteLog(&b); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// timed is a log line with its time.
type timed struct {
	at   time.Time
	line string
}

func withTimes(t *testing.T, f format.Format, lines []string) []timed {
	t.Helper()
	out := make([]timed, 0, len(lines))
	var ev event.Event
	for _, l := range lines {
		if err := f.Parse([]byte(l), &ev); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		out = append(out, timed{ev.Time, l})
	}
	slices.SortStableFunc(out, func(a, b timed) int { return a.at.Compare(b.at) })
	return out
}

// displace moves each line by up to d of log time, as merged servers'
// logs and relays do.
func displace(rng *rand.Rand, lines []timed, d time.Duration) []timed {
	type keyed struct {
		key time.Time
		timed
	}
	ks := make([]keyed, len(lines))
	for i, l := range lines {
		ks[i] = keyed{l.at.Add(time.Duration(rng.Int64N(int64(d)))), l}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return a.key.Compare(b.key) })
	out := make([]timed, len(ks))
	for i, k := range ks {
		out[i] = k.timed
	}
	return out
}

// alertKey is what an analyst reads of an alert: what, who, where, how
// many, when.
type alertKey struct {
	Scenario, SourceIP, User string
	Asset                    int64
	Count                    int64
	First, Last              time.Time
}

func replayKeys(t *testing.T, eng *detect.Engine, f format.Format, lines []timed, workers int) []alertKey {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.line)
		b.WriteByte('\n')
	}
	res, err := eng.Replay(context.Background(), strings.NewReader(b.String()), detect.ReplayOptions{Format: f, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	if res.RejectedTotal() != 0 {
		t.Fatalf("%d lines rejected", res.RejectedTotal())
	}
	keys := []alertKey{}
	for _, a := range res.Alerts {
		keys = append(keys, alertKey{a.Scenario, a.SourceIP, a.UserName, a.AssetID, a.Count, a.FirstSeen, a.LastSeen})
	}
	slices.SortFunc(keys, func(a, b alertKey) int {
		return cmp.Or(strings.Compare(a.Scenario, b.Scenario), strings.Compare(a.SourceIP, b.SourceIP),
			strings.Compare(a.User, b.User), a.First.Compare(b.First))
	})
	return keys
}

// TestOutOfOrderLogs: a log whose lines are out of time order (displaced
// by up to four minutes, and read as a rotated file after the newer one)
// raises the alerts of the same log in order, counts and times included.
func TestOutOfOrderLogs(t *testing.T) {
	eng, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	nginx, _ := format.Lookup("nginx")
	rng := rand.New(rand.NewPCG(3, 4))
	day := time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC)

	type logCase struct {
		name     string
		f        format.Format
		old, new []timed // the rotated file and the current one
	}
	cases := []logCase{{
		name: "simulated",
		f:    nginx,
		old:  withTimes(t, nginx, simulated(t, 21, 15000, day, 6*time.Hour)),
		new:  withTimes(t, nginx, simulated(t, 22, 15000, day.Add(24*time.Hour), 6*time.Hour)),
	}}
	dirs, _ := filepath.Glob("testdata/scenarios/*")
	for _, dir := range dirs {
		name := "nginx"
		if b, err := os.ReadFile(filepath.Join(dir, "format")); err == nil {
			name = strings.TrimSpace(string(b))
		}
		f, _ := format.Lookup(name)
		b, err := os.ReadFile(filepath.Join(dir, "input.log"))
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, logCase{name: filepath.Base(dir), f: f, new: withTimes(t, f, strings.Split(strings.TrimSpace(string(b)), "\n"))})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := replayKeys(t, eng, c.f, append(slices.Clone(c.old), c.new...), 2)
			if len(want) == 0 {
				t.Fatal("the sorted log raised no alert")
			}
			shuffled := append(displace(rng, c.new, 4*time.Minute), displace(rng, c.old, 4*time.Minute)...)
			backward := 0
			for i := 1; i < len(shuffled); i++ {
				if shuffled[i].at.Before(shuffled[i-1].at) {
					backward++
				}
			}
			got := replayKeys(t, eng, c.f, shuffled, 2)
			if !slices.Equal(got, want) {
				t.Errorf("%d lines, %d steps back in time: alerts differ from the sorted log's\n%s", len(shuffled), backward, diffKeys(got, want))
			}
		})
	}
}

func diffKeys(got, want []alertKey) string {
	var b strings.Builder
	for _, k := range got {
		if !slices.Contains(want, k) {
			fmt.Fprintf(&b, "+ %+v\n", k)
		}
	}
	for _, k := range want {
		if !slices.Contains(got, k) {
			fmt.Fprintf(&b, "- %+v\n", k)
		}
	}
	return b.String()
}

// TestWorkersDoNotChangeResults: the same log gives the same alerts,
// counts, rule ids and evidence, and the same per-event matches, with 1, 2
// or 8 inspectors.
func TestWorkersDoNotChangeResults(t *testing.T) {
	eng, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	nginx, _ := format.Lookup("nginx")
	log := strings.Join(simulated(t, 5, 40000, time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC), 4*time.Hour), "\n") + "\n"
	var want string
	// The last two runs on engines whose CRS is built while they read
	// (Options.CRSInBackground, as `garda detect replay` does).
	for run, workers := range []int{1, 2, 8, 2, 8, 2, 8} {
		eng := eng
		if run >= 5 {
			if eng, err = detect.New(detect.Options{CRSInBackground: true}); err != nil {
				t.Fatal(err)
			}
		}
		var perEvent []string
		res, err := eng.Replay(context.Background(), strings.NewReader(log), detect.ReplayOptions{
			Format: nginx, Workers: workers, Evidence: alert.MaxEvidence,
			PerEvent: func(ev *event.Event, sigs []alert.Signal) {
				for _, s := range sigs {
					perEvent = append(perEvent, fmt.Sprintf("%d %s %s %d %v", ev.Line, s.Scenario, s.SourceIP, s.Count, s.RuleIDs))
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		alerts := slices.Clone(res.Alerts)
		slices.SortFunc(alerts, func(a, b *alert.Alert) int {
			return cmp.Or(strings.Compare(a.Scenario, b.Scenario), strings.Compare(a.SourceIP, b.SourceIP), a.FirstSeen.Compare(b.FirstSeen))
		})
		for _, a := range alerts {
			a.ID = 0
		}
		slices.Sort(perEvent)
		out, _ := json.MarshalIndent(struct {
			Alerts   []*alert.Alert
			PerEvent []string
		}{alerts, perEvent}, "", " ")
		if want == "" {
			want = string(out)
			if len(alerts) < 10 {
				t.Fatalf("only %d alerts", len(alerts))
			}
			continue
		}
		if string(out) != want {
			t.Fatalf("%d workers: the output differs from one worker's:\n%s", workers, firstDiff(string(out), want))
		}
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\ngot:  %s\nwant: %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}

// TestLateEventKeepsEarlierEvidence: a line more than ReorderWindow older
// than the newest releases everything held first. The alerts of the events
// it releases must keep their own line and fields: the late line's event
// once took over the place of the last of them before its signals were
// read (its per-event line and evidence read the late line's).
func TestLateEventKeepsEarlierEvidence(t *testing.T) {
	eng, err := detect.New(detect.Options{NoCRS: true})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := format.Lookup("nginx")
	req := `"GET /cari?q=1%20UNION%20SELECT%20username,password%20FROM%20users-- HTTP/1.1" 403 600 "-" "Mozilla/5.0"`
	log := fmt.Sprintf("10.0.0.1 - - [14/Feb/2024:06:00:00 +0700] %s\n10.0.0.2 - - [14/Feb/2024:06:10:00 +0700] %s\n10.0.0.3 - - [14/Feb/2024:05:00:00 +0700] %s\n", req, req, req)
	for _, workers := range []int{1, 4} {
		got := map[int64]string{}
		res, err := eng.Replay(context.Background(), strings.NewReader(log), detect.ReplayOptions{Format: f, Workers: workers,
			PerEvent: func(ev *event.Event, sigs []alert.Signal) {
				if _, dup := got[ev.Line]; dup {
					t.Errorf("line %d told twice", ev.Line)
				}
				got[ev.Line] = sigs[0].SourceIP + " " + ev.Get(event.SourceIP)
			}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]string{1: "10.0.0.1 10.0.0.1", 2: "10.0.0.2 10.0.0.2", 3: "10.0.0.3 10.0.0.3"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%d workers: per event %v, want %v", workers, got, want)
		}
		for _, a := range res.Alerts {
			for _, ev := range a.Evidence {
				if ip := ev.Fields["source.ip"]; ip != a.SourceIP {
					t.Errorf("%d workers: alert of %s (%s) keeps line %d of %s", workers, a.SourceIP, a.Scenario, ev.Line, ip)
				}
			}
		}
	}
}

package simulate

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/ingest/format"
)

// replay runs a batch through the detection engine and returns, per
// flagged address, the scenarios that fired.
func replay(t *testing.T, log []byte) map[string]map[string]bool {
	t.Helper()
	eng, err := detect.New(detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := format.Lookup("nginx")
	res, err := eng.Replay(context.Background(), bytes.NewReader(log), detect.ReplayOptions{Format: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.RejectedTotal() != 0 || res.Accepted != res.Lines {
		t.Fatalf("the engine rejected %d of %d lines", res.RejectedTotal(), res.Lines)
	}
	flagged := map[string]map[string]bool{}
	for _, a := range res.Alerts {
		if flagged[a.SourceIP] == nil {
			flagged[a.SourceIP] = map[string]bool{}
		}
		flagged[a.SourceIP][a.Scenario] = true
	}
	return flagged
}

// TestDetectEndToEnd is the detection bar: every class's attackers found,
// no benign client flagged.
func TestDetectEndToEnd(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("runs the whole detection engine over 50,000 lines (skipped with -short and -race)")
	}
	log, truth := batch(t, Options{Lines: 50000, Seed: 2024, ElectionDay: true, Attackers: 110})
	flagged := replay(t, log)

	type row struct{ n, found, expected int }
	rows := map[string]*row{}
	for _, l := range truth.Labels {
		r := rows[l.Class]
		if r == nil {
			r = &row{}
			rows[l.Class] = r
		}
		r.n++
		if flagged[l.IP] != nil {
			r.found++
		}
		if flagged[l.IP][Scenario(l.Class)] {
			r.expected++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-11s %9s %8s %7s  %s\n", "class", "attackers", "flagged", "recall", "its own scenario fired")
	for _, c := range Classes() {
		r := rows[c]
		if r == nil {
			t.Errorf("no %s attackers", c)
			continue
		}
		fmt.Fprintf(&b, "%-11s %9d %8d %6.0f%%  %d/%d %s\n", c, r.n, r.found, 100*float64(r.found)/float64(r.n), r.expected, r.n, Scenario(c))
		if float64(r.found) < 0.95*float64(r.n) {
			t.Errorf("%s: %d of %d attackers flagged, want 95%%", c, r.found, r.n)
		}
	}
	var fp []string
	for ip, scenarios := range flagged {
		if truth.Benign(ip) {
			fp = append(fp, fmt.Sprintf("%s %v", ip, sortedKeys(scenarios)))
		} else if _, ok := truth.Attackers[ip]; !ok {
			t.Errorf("flagged %s is in neither list", ip)
		}
	}
	fmt.Fprintf(&b, "benign addresses: %d, flagged: %d; lines %d", truth.BenignIPs, len(fp), truth.Lines)
	t.Log(b.String())
	for _, x := range fp {
		t.Errorf("benign client flagged: %s", x)
	}
}

// TestDetectEdgeCases measures the false positives that EdgeCases
// reproduces. It reports rather than fails: they are detection's to fix
// (see the EdgeCases option).
func TestDetectEdgeCases(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("runs the whole detection engine (skipped with -short and -race)")
	}
	// An election morning's busy hour, when the carrier-grade NAT gateways
	// carry many voters' lookups.
	log, truth := batch(t, Options{Lines: 40000, Seed: 4, ElectionDay: true, EdgeCases: true, Attackers: 11,
		Start: time.Date(2024, 2, 14, 8, 0, 0, 0, wib), Span: time.Hour})
	flagged := replay(t, log)
	edge := map[string]bool{}
	for _, line := range strings.Split(string(log), "\n") {
		for _, q := range edgeSearches {
			if strings.Contains(line, "q="+q+" ") {
				edge[strings.Fields(line)[0]] = true
			}
		}
	}
	var searches, others []string
	for ip, sc := range flagged {
		switch {
		case !truth.Benign(ip):
		case edge[ip]:
			searches = append(searches, fmt.Sprintf("%s %v", ip, sortedKeys(sc)))
		default:
			others = append(others, fmt.Sprintf("%s %v", ip, sortedKeys(sc)))
		}
	}
	t.Logf("citizens who searched with a leading command word: %d, of them flagged: %d %v", len(edge), len(searches), first(searches, 3))
	t.Logf("other benign flagged (carrier-grade NAT gateways %s, %s): %v",
		infraIP(serviceCGNAT, 0), infraIP(serviceCGNAT, 1), others)
	if len(edge) == 0 {
		t.Error("EdgeCases made no edge-case searches")
	}
}

func first(xs []string, n int) []string { return xs[:min(n, len(xs))] }

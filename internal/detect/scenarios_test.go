package detect_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/ingest/format"
)

var update = flag.Bool("update", false, "rewrite the expected alerts of testdata/scenarios")

var engine = sync.OnceValues(func() (*detect.Engine, error) { return detect.New(detect.Options{}) })

// expectedAlert is an alert as the golden files record it.
type expectedAlert struct {
	Scenario string `json:"scenario"`
	SourceIP string `json:"source_ip"`
	Count    int64  `json:"count"`
}

// TestScenarioFolders replays each scenario's log (testdata/scenarios/<id>/
// input.log, in the format its "format" file names, nginx by default) and
// compares the alerts with expected.json. The scenario the folder is named
// after must be among them, and no ordinary client (36.70.x.x, 10.20.x.x)
// may be flagged.
func TestScenarioFolders(t *testing.T) {
	eng, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob("testdata/scenarios/*")
	if len(dirs) < 12 {
		t.Fatalf("%d scenario folders", len(dirs))
	}
	for _, dir := range dirs {
		id := filepath.Base(dir)
		t.Run(id, func(t *testing.T) {
			name := "nginx"
			if b, err := os.ReadFile(filepath.Join(dir, "format")); err == nil {
				name = strings.TrimSpace(string(b))
			}
			f, ok := format.Lookup(name)
			if !ok {
				t.Fatalf("unknown format %q", name)
			}
			in, err := os.Open(filepath.Join(dir, "input.log"))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			res, err := eng.Replay(context.Background(), in, detect.ReplayOptions{Format: f})
			if err != nil {
				t.Fatal(err)
			}
			if res.RejectedTotal() != 0 {
				t.Fatalf("%d lines rejected", res.RejectedTotal())
			}
			got := []expectedAlert{}
			for _, a := range res.Alerts {
				got = append(got, expectedAlert{a.Scenario, a.SourceIP, a.Count})
				if strings.HasPrefix(a.SourceIP, "36.70.") || strings.HasPrefix(a.SourceIP, "10.20.") {
					t.Errorf("ordinary client %s flagged by %s", a.SourceIP, a.Scenario)
				}
			}
			slices.SortFunc(got, func(a, b expectedAlert) int {
				return strings.Compare(a.Scenario+a.SourceIP, b.Scenario+b.SourceIP)
			})
			if !slices.ContainsFunc(got, func(a expectedAlert) bool { return a.Scenario == id }) {
				t.Errorf("scenario %s did not fire: %v", id, got)
			}
			golden := filepath.Join(dir, "expected.json")
			if *update {
				b, _ := json.MarshalIndent(got, "", "  ")
				os.WriteFile(golden, append(b, '\n'), 0o644)
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			var want []expectedAlert
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("alerts differ from %s\ngot:  %v\nwant: %v", golden, got, want)
			}
		})
	}
}

package detect_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/garda-id/garda/internal/detect/crs"
	"github.com/garda-id/garda/internal/event"
)

// TestRecallDump (analysis only, not committed).
func TestRecallDump(t *testing.T) {
	path := os.Getenv("GARDA_RECALL_DUMP")
	if path == "" {
		t.Skip()
	}
	eng, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	var samples []sample
	for _, c := range attackClasses {
		samples = append(samples, readParams(t, "testdata/params/"+c+".txt", c, "garda")...)
	}
	samples = append(samples, sharedAttacks(t)...)
	samples = append(samples, normalSamples(t)...)
	out := runCorpus(t, eng, samples)
	d, err := crs.New(crs.Options{ParanoiaLevel: 4, RemoveRules: crs.SearchFalsePositives})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(path)
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, o := range out {
		ev := &event.Event{}
		ev.Set(event.SourceIP, "10.0.0.1")
		ev.Set(event.HTTPMethod, "GET")
		ev.Set(event.URLOriginal, o.target)
		ev.Set(event.HTTPVersion, "1.1")
		ev.Set(event.Referrer, "https://kpu.example.id/")
		ev.Set(event.UserAgent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36")
		r := d.Inspect(ev)
		enc.Encode(map[string]any{"class": o.s.class, "src": o.s.source, "how": o.how, "value": o.s.value, "target": o.target,
			"scen": o.scenarios, "rules": o.rules, "crs4": r.RuleIDs})
	}
}

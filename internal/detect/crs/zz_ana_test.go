package crs

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/event"
)

func TestZZAna(t *testing.T) {
	path := os.Getenv("ANA")
	if path == "" {
		t.Skip()
	}
	var truth struct{ Attackers map[string]string }
	b, _ := os.ReadFile(path + ".json")
	json.Unmarshal(b, &truth)
	lines := readLog(t, path)
	seen := map[string]bool{}
	var ben []logLine
	total := 0
	passedTotal := 0
	p := testDetector(t, 2).Prefilter()
	passReasons := map[string]int{}
	for _, l := range lines {
		if _, att := truth.Attackers[l.ev.Get(event.SourceIP)]; att {
			continue
		}
		total++
		if p.Suspicious(l.ev) {
			passedTotal++
			passReasons[l.ev.Get(event.URLOriginal)+" | "+l.ev.Get(event.UserAgent)+" | "+l.ev.Get(event.Referrer)]++
		}
		k := l.ev.Get(event.HTTPMethod) + l.ev.Get(event.URLOriginal) + l.ev.Get(event.UserAgent) + l.ev.Get(event.Referrer)
		if !seen[k] {
			seen[k] = true
			ben = append(ben, l)
		}
	}
	fmt.Println("benign lines", total, "distinct", len(ben), "prefilter passed", passedTotal)
	var ks []string
	for k := range passReasons {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for i, k := range ks {
		if i < 40 {
			fmt.Println("  PASS", passReasons[k], k)
		}
	}
	for pl := 1; pl <= 4; pl++ {
		d := testDetector(t, pl)
		n := 0
		var ex []string
		for _, l := range ben {
			if r := d.Inspect(l.ev); r.Attack {
				n++
				if len(ex) < 8 {
					ex = append(ex, fmt.Sprintf("%s %v", l.ev.Get(event.URLOriginal), r.RuleIDs))
				}
			}
		}
		fmt.Println("PL", pl, "flagged", n, strings.Join(ex, "; "))
	}
}

package payload

import (
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/detect/payload/sqlmapgen"
)

// sqlmapShaped is sqlmapgen's corpus: every value as sqlmap writes it
// and in the three spaced styles of tokenising datasets, tampered, and
// sqlmap's heuristic probes.
func sqlmapShaped() (plain, spaced, tampered, heuristic []string) {
	plain = sqlmapgen.Payloads(1)
	for _, v := range plain {
		for style := range 3 {
			spaced = append(spaced, sqlmapgen.Spaced(v, style))
		}
	}
	return plain, spaced, sqlmapgen.Tampered(1, plain), sqlmapgen.Heuristics(1, 500)
}

// TestSQLMapShaped: Garda's own checks find sqlmap-shaped injection by
// themselves, as sqlmap writes it and spaced.
func TestSQLMapShaped(t *testing.T) {
	plain, spaced, tampered, heuristic := sqlmapShaped()
	for _, set := range []struct {
		name string
		vals []string
		bar  float64
	}{{"sqlmap", plain, 0.99}, {"spaced", spaced, 0.99}, {"tampered", tampered, 0.99}, {"heuristic", heuristic, 0.99}} {
		var miss []string
		for _, v := range set.vals {
			if !findsSQLi(v) {
				miss = append(miss, v)
			}
		}
		rate := 1 - float64(len(miss))/float64(len(set.vals))
		t.Logf("%s: %d values, %.2f%% found", set.name, len(set.vals), 100*rate)
		for _, m := range miss {
			t.Logf("missed %q", m)
		}
		if rate < set.bar {
			t.Errorf("%s recall %.2f%%, want at least %.0f%%", set.name, 100*rate, 100*set.bar)
		}
	}
}

func findsSQLi(v string) bool {
	for _, enc := range []string{url.QueryEscape(v), strings.ReplaceAll(url.PathEscape(v), "+", "%2B")} {
		for _, f := range Check("/cari?q="+enc, nil) {
			if f.Class == SQLInjection {
				return true
			}
		}
	}
	return false
}

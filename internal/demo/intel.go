package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// seedIntel gives the demo world a few indicators as the task force would
// make them: the defacement's observables turned into indicators by BSSN,
// a phishing domain and its URL shared GREEN, a scanner's user agent seen
// in West Java, intelligence's RED range, and one revoked as a false
// positive. Only on a world without indicators.
func seedIntel(ctx context.Context, db *store.DB, tree *org.Tree) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM indicators`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	as := func(u string) (auth.Principal, error) { return principal(ctx, db, tree, u) }
	bssn, err := as("analis.bssn")
	if err != nil {
		return 0, err
	}
	count := 0
	defaced, err := incident.List(ctx, db, bssn, incident.Filter{Text: "di-deface", Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(defaced) > 0 {
		res, err := intel.FromIncident(ctx, db, bssn, defaced[0].HumanID)
		if err != nil {
			return 0, fmt.Errorf("demo indicators from %s: %w", defaced[0].HumanID, err)
		}
		count += len(res.Created)
	}
	// The critical path traversal the tests found: its CVE as a STIX
	// vulnerability.
	var cveFinding int64
	err = db.QueryRow(ctx, `SELECT id FROM findings WHERE template_id = 'CVE-2021-41773' ORDER BY id LIMIT 1`).Scan(&cveFinding)
	if err == nil {
		if _, err := intel.FromFinding(ctx, db, bssn, cveFinding); err != nil {
			return 0, fmt.Errorf("demo vulnerability: %w", err)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	now := time.Now().UTC()
	month := now.Add(30 * 24 * time.Hour)
	national := ""
	jabar := "32"
	type spec struct {
		user  string
		in    intel.Input
		seen  *intel.Seen
		revok string
	}
	specs := []spec{
		{"koordinator.bssn", intel.Input{Kind: intel.Domain, Value: "sirekap-helpdesk.example.net", Name: "Situs tiruan Sirekap (phishing operator)",
			TLP: policy.Green, Region: &national, Techniques: []string{"T1566.002"}, Detect: true, Block: true, ValidUntil: &month}, nil, ""},
		{"koordinator.bssn", intel.Input{Kind: intel.URL, Value: "http://sirekap-helpdesk.example.net/login.php", Name: "Halaman masuk palsu Sirekap",
			TLP: policy.Green, Region: &national, Techniques: []string{"T1566.002"}, Detect: true}, nil, ""},
		{"analis.jabar", intel.Input{Kind: intel.UserAgent, Value: "sqlmap/1.7.2#stable (https://sqlmap.org)", Name: "Pemindai injeksi SQL",
			TLP: policy.Green, Region: &jabar, Techniques: []string{"T1190", "CAPEC-66"}, Detect: true},
			&intel.Seen{Count: 37, FirstSeen: now.Add(-5 * time.Hour), LastSeen: now.Add(-20 * time.Minute), Region: "32.04"}, ""},
		{"analis.bin", intel.Input{Kind: intel.IPv4, Value: "198.51.100.0/24", Name: "Infrastruktur DDoS yang direncanakan",
			TLP: policy.Red, Region: &national, Techniques: []string{"T1498"}, Confidence: ptrInt(60)}, nil, ""},
		{"analis.jabar", intel.Input{Kind: intel.IPv4, Value: "192.0.2.10", Name: "Lonjakan trafik",
			TLP: policy.Green, Region: &jabar}, nil, "positif palsu: proksi KPU sendiri"},
	}
	for _, s := range specs {
		who, err := as(s.user)
		if err != nil {
			return 0, err
		}
		i, err := intel.Create(ctx, db, who, s.in)
		if err != nil {
			return 0, fmt.Errorf("demo indicator %s: %w", s.in.Value, err)
		}
		count++
		if s.seen != nil {
			if err := intel.AddSighting(ctx, db, who, i.ID, *s.seen); err != nil {
				return 0, err
			}
		}
		if s.revok != "" {
			if _, err := intel.Revoke(ctx, db, who, i.ID, s.revok); err != nil {
				return 0, err
			}
		}
	}
	return count, nil
}

func ptrInt(v int) *int { return &v }

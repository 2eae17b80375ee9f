package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
)

// seedScans gives the penetration-test pillar something to show, the
// first time only: BSSN's coordinator authorises a few KPU sites, and
// three rounds of results (40 days ago, yesterday, today) go through the
// scan store's Begin and Finish, so findings open, are fixed (mitigated by
// the rescan) or stay open past their deadline exactly as the lifecycle
// makes them. The demo's sites are example domains: nothing is sent.
func seedScans(ctx context.Context, db *store.DB, tree *org.Tree) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM scan_authorizations`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	bssn, err := principal(ctx, db, tree, "koordinator.bssn")
	if err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	at := now
	st := scan.NewStore(db)
	st.Now = func() time.Time { return at }

	type weakness struct {
		id, name, path string
		sev            scan.Severity
		extracted      []string
		fixedBy        int // the round (1 or 2) whose scan no longer sees it; 0: never fixed
	}
	grade := func(g string, sev scan.Severity) weakness {
		return weakness{"garda-headers-grade", "Nilai header keamanan (MDN HTTP Observatory grade)", "/", sev, []string{g}, 0}
	}
	sites := []struct {
		name  string
		weak  []weakness
		round int // the first round that scans the site
	}{
		{"Situs KPU Provinsi Jawa Barat", []weakness{grade("D", scan.SeverityMedium),
			{"git-config", "Git Config File Exposure", "/.git/config", scan.SeverityMedium, nil, 0},
			{"garda-tls-deprecated", "TLS 1.0 diterima", "", scan.SeverityMedium, []string{"tls10"}, 0},
			{"laravel-env", "Laravel .env File Exposure", "/.env", scan.SeverityHigh, nil, 0}}, 0},
		{"Situs KPU Kabupaten Bandung", []weakness{grade("F", scan.SeverityMedium),
			{"phpinfo-files", "phpinfo Disclosure", "/phpinfo.php", scan.SeverityLow, nil, 1},
			{"apache-server-status", "Apache Server Status", "/server-status", scan.SeverityLow, nil, 0},
			{"garda-cert-expired", "Sertifikat TLS kedaluwarsa", "", scan.SeverityHigh, []string{"-12 hari"}, 2}}, 0},
		{"Situs KPU Provinsi Jawa Timur", []weakness{grade("B", scan.SeverityInfo),
			{"garda-hsts-missing", "HSTS tidak dipasang", "/", scan.SeverityLow, nil, 0}}, 1},
		{"Situs KPU Provinsi DKI Jakarta", []weakness{grade("A", scan.SeverityInfo)}, 1},
		{"Situs KPU Provinsi Jawa Tengah", []weakness{grade("C", scan.SeverityLow),
			{"directory-listing", "Directory Listing Enabled", "/uploads/", scan.SeverityMedium, nil, 2},
			{"CVE-2021-41773", "Apache 2.4.49 - Path Traversal", "/cgi-bin/.%2e/%2e%2e/etc/passwd", scan.SeverityCritical, nil, 0}}, 0},
		{"Situs KPU Provinsi Sumatera Utara", []weakness{grade("D", scan.SeverityMedium)}, 2},
	}
	rounds := []time.Time{now.Add(-40 * 24 * time.Hour), now.Add(-26 * time.Hour), now.Add(-2 * time.Hour)}
	scans := 0
	for _, s := range sites {
		var id int64
		if err := db.QueryRow(ctx, `SELECT id FROM assets WHERE name = ?`, s.name).Scan(&id); err != nil {
			continue // the world was seeded without it
		}
		a, err := asset.Get(ctx, db, bssn, id)
		if err != nil || len(a.URLs) == 0 {
			continue
		}
		base := a.URLs[0]
		at = rounds[s.round].Add(-time.Hour)
		if _, err := st.Give(ctx, bssn, id, scan.AuthorizationInput{Scope: []string{base}, Mode: scan.Active, WindowStart: 0, WindowEnd: 24,
			RatePerSecond: 5, Concurrency: 2, ExpiresAt: now.Add(60 * 24 * time.Hour), Note: "Surat tugas bersama BSSN-KPU No. 017/UP/2026"}); err != nil {
			return scans, fmt.Errorf("demo authorisation of %s: %w", s.name, err)
		}
		for round := s.round; round < len(rounds); round++ {
			at = rounds[round]
			scanID, _, err := st.Begin(ctx, id, scan.TriggerSchedule, "")
			if err != nil {
				return scans, fmt.Errorf("demo scan of %s: %w", s.name, err)
			}
			var results []scan.Result
			for _, w := range s.weak {
				if w.fixedBy != 0 && round >= w.fixedBy {
					continue
				}
				r := scan.Result{TemplateID: w.id, Info: scan.Info{Name: w.name, Severity: w.sev}, Type: "http", Host: base,
					ExtractedResults: w.extracted, Timestamp: at, MatcherStatus: true}
				if strings.HasPrefix(w.id, "CVE-") { // as nuclei's CVE templates carry it
					r.Info.Classification = &scan.Classification{CVEID: []string{strings.ToLower(w.id)}}
				}
				if w.path != "" {
					r.MatchedAt = base[:len(base)-1] + w.path
				} else {
					r.Type, r.MatchedAt = "ssl", a.Hostnames[0]+":443"
				}
				results = append(results, r)
			}
			if err := st.Progress(ctx, scanID, 1, 1, 180+40*len(results)); err != nil {
				return scans, err
			}
			at = at.Add(7 * time.Minute)
			if err := st.Finish(ctx, scanID, scan.StatusDone, results, nil); err != nil {
				return scans, fmt.Errorf("demo scan of %s: %w", s.name, err)
			}
			scans++
		}
	}
	return scans, nil
}

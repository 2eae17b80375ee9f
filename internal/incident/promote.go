package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// Promotion: alerts become an incident, or join one. What a promoted
// incident takes from its alerts when the person leaves it out is decided
// here, for the report form's defaults and for Create alike.

// classIncident is, for each alert class, the RSIT category of an
// incident promoted from it and how its title names the attack, in
// Bahasa Indonesia (the language the platform's records are kept in).
var classIncident = map[string]struct{ category, title string }{
	alert.ClassRCE:            {"intrusion-attempts", "Percobaan eksekusi perintah jarak jauh"},
	alert.ClassSQLi:           {"intrusion-attempts", "Serangan injeksi SQL"},
	alert.ClassTraversal:      {"intrusion-attempts", "Percobaan penelusuran direktori (path traversal)"},
	alert.ClassXSS:            {"intrusion-attempts", "Serangan cross-site scripting (XSS)"},
	alert.ClassScraping:       {"information-content-security", "Pengambilan massal data pemilih"},
	alert.ClassBruteForce:     {"intrusion-attempts", "Percobaan login brute force"},
	alert.ClassFlood:          {"availability", "Banjir permintaan (DoS)"},
	alert.ClassWebAttack:      {"intrusion-attempts", "Serangan aplikasi web"},
	alert.ClassSensitiveFiles: {"information-gathering", "Perburuan berkas sensitif"},
	alert.ClassScanner:        {"information-gathering", "Pemindaian dengan alat serang"},
	alert.ClassProbing:        {"information-gathering", "Pemindaian jalur aplikasi"},
	alert.ClassOther:          {"other", "Aktivitas mencurigakan"},
}

// Promoted is what an incident takes from the alerts it is promoted from.
type Promoted struct {
	Title, Category, Severity string
	// Region is the deepest region holding every alert's region (an
	// alert's region is its asset's unless detection placed it).
	Region     string
	DetectedAt time.Time // the first alert's first event
}

// FromAlerts derives an incident from alerts: its title names the most
// serious attack class, the source and the asset ("Serangan injeksi SQL
// dari 203.0.113.5 ke Portal Pemilu KPU"), its category is that class's,
// its severity the highest. Asset names are the ones the alerts carry for
// their reader (empty when the reader may not read the asset). No alerts,
// zero value.
func FromAlerts(alerts []alert.Alert) Promoted {
	if len(alerts) == 0 {
		return Promoted{}
	}
	class := alert.ClassesOf(alerts)[0]
	p := Promoted{Category: classIncident[class].category, Region: alerts[0].Region, DetectedAt: alerts[0].FirstSeen.UTC()}
	var sources, assets []string
	for _, a := range alerts {
		if alert.SeverityRank(a.Severity) > alert.SeverityRank(p.Severity) {
			p.Severity = a.Severity
		}
		for p.Region != "" && !region.Contains(p.Region, a.Region) {
			p.Region = region.Parent(p.Region)
		}
		if a.FirstSeen.Before(p.DetectedAt) {
			p.DetectedAt = a.FirstSeen.UTC()
		}
		if src := a.Group().Source; !slices.Contains(sources, src) {
			sources = append(sources, src)
		}
		if a.Asset != "" && !slices.Contains(assets, a.Asset) {
			assets = append(assets, a.Asset)
		}
	}
	title := classIncident[class].title
	switch {
	case len(sources) > 1:
		title += " dari " + strconv.Itoa(len(sources)) + " sumber"
	case alerts[0].SourceIP != "":
		title += " dari " + alerts[0].SourceIP
	default:
		title += " oleh pengguna " + alerts[0].UserName
	}
	switch len(assets) {
	case 0:
	case 1:
		title += " ke " + assets[0]
	default:
		title += " ke " + strconv.Itoa(len(assets)) + " aset"
	}
	p.Title = truncate(title, 200)
	return p
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// readAlerts reads alerts to promote: each readable by the principal and
// not yet part of an incident; a repeated id counts once.
func readAlerts(ctx context.Context, tx *store.Tx, who auth.Principal, ids []int64) ([]alert.Alert, error) {
	var alerts []alert.Alert
	for _, id := range ids {
		if slices.ContainsFunc(alerts, func(a alert.Alert) bool { return a.ID == id }) {
			continue
		}
		a, err := alert.Get(ctx, tx, who, id)
		if problem.Is(err, problem.NotFound) {
			return nil, problem.Field("alert_ids", "no alert %d", id)
		} else if err != nil {
			return nil, err
		}
		if a.Status == alert.Promoted {
			return nil, problem.New(problem.Conflict, "alert %d was already promoted to an incident", id)
		}
		alerts = append(alerts, a)
	}
	return alerts, nil
}

// linkAlerts makes alerts part of an incident and marks them promoted, in
// the incident's transaction: they change with it, or not at all.
func linkAlerts(ctx context.Context, tx *store.Tx, who auth.Principal, inc *Incident, alerts []alert.Alert) error {
	for _, a := range alerts {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_alerts (incident_id, alert_id) VALUES (?, ?)`, inc.ID, a.ID); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return problem.New(problem.Conflict, "alert %d is already part of an incident", a.ID)
			}
			return err
		}
		if _, err := alert.SetStatusIn(ctx, tx, who, a.ID, alert.Promoted, "promoted to "+inc.HumanID); err != nil {
			return err
		}
		inc.AlertIDs = append(inc.AlertIDs, a.ID)
	}
	return nil
}

// AttachAlerts makes alerts part of an existing incident the principal
// may triage (policy.CaseTriage): the alerts must be readable and not
// promoted yet, the incident not resolved or closed. The alerts' assets the
// principal may read become affected assets of the incident. One
// timeline entry and one audit record tell of it.
func AttachAlerts(ctx context.Context, db *store.DB, who auth.Principal, ref string, ids []int64) (Incident, error) {
	if len(ids) == 0 || len(ids) > 100 {
		return Incident{}, problem.Field("alert_ids", "name 1 to 100 alerts")
	}
	var inc Incident
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if inc, err = Get(ctx, tx, who, ref); err != nil {
			return err
		}
		// Adding alerts steers the incident's work: triage, and only on an
		// incident that is the principal's to steer, not on every one they read.
		if err := allow(who, inc, policy.CaseTriage, "attaching alerts"); err != nil {
			return err
		}
		if inc.Status.Done() {
			return problem.New(problem.Conflict, "incident %s is %s: reopen it first", inc.HumanID, inc.Status)
		}
		if inc.Drill {
			return problem.New(problem.Conflict, "%s is a drill's incident: real alerts stay out of it", inc.HumanID)
		}
		alerts, err := readAlerts(ctx, tx, who, ids)
		if err != nil {
			return err
		}
		attached := Incident{ID: inc.ID, HumanID: inc.HumanID}
		if err := linkAlerts(ctx, tx, who, &attached, alerts); err != nil {
			return err
		}
		var assets []int64
		for _, a := range alerts {
			if a.AssetID == 0 || slices.Contains(inc.AssetIDs, a.AssetID) || slices.Contains(assets, a.AssetID) {
				continue
			}
			if _, err := asset.Get(ctx, tx, who, a.AssetID); problem.Is(err, problem.NotFound) {
				continue // an asset the principal may not read stays out of what they write
			} else if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO incident_assets (incident_id, asset_id) VALUES (?, ?)`, inc.ID, a.AssetID); err != nil {
				return err
			}
			assets = append(assets, a.AssetID)
		}
		detail := map[string]any{"alert_ids": attached.AlertIDs, "asset_ids": assets}
		if err := addEntry(ctx, tx, who, inc.ID, "alerts", "", detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "incident.alerts", RecordKind, inc.ID, detail)
	})
	if err != nil {
		return Incident{}, fmt.Errorf("attach alerts to incident %s: %w", ref, err)
	}
	return Get(ctx, db, who, strconv.FormatInt(inc.ID, 10))
}

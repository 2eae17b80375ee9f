package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/detect/rules"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/web/locale"
)

// TestDomainValuesHaveLabels: every value the incident pages show through
// req.L has words in both languages, so none falls back to its code.
func TestDomainValuesHaveLabels(t *testing.T) {
	groups := map[string][]string{
		"icat":    incident.Categories,
		"sev":     incident.Severities,
		"iobs":    incident.ObservableTypes,
		"pdpcat":  incident.PDPCategories,
		"ires":    incident.Resolutions,
		"aclass":  alert.Classes,
		"linkrel": {incident.DuplicateOf, incident.DuplicatedBy, incident.Related},
		"iclock":  {"first_response", "containment", "bssn_report", "pdp_notification"},
		"nevent":  append([]string{notify.IncidentMention, notify.IncidentClockMissed}, notify.Events...),
		// By hand, as the incident package writes them: a new kind or
		// clock name must be added here and to the message files.
		"ikind": {"created", "updated", "comment", "escalated", "deescalated", "participants", "evidence", "observable",
			"task", "task_done", "task_reopened", "linked", "merged", "pdp", "pdp_notified", "escalation_requested", "participants_removed", "alerts"},
		"pap":         incident.PAPs,
		"iesc":        {incident.EscalatedProvince, incident.EscalatedNational},
		"iclockstate": {incident.ClockRunning, incident.ClockAmber, incident.ClockMissed, incident.ClockMet, incident.ClockLate},
		"ifield":      {"title", "description", "severity", "category", "type", "status", "resolution", "assignee", "tlp", "pap", "region", "escalation"},
		"sfam":        rules.Families(),
		"tunit":       {"d", "h", "m"},
	}
	for _, t := range policy.TLPs() {
		groups["tlp"] = append(groups["tlp"], string(t))
	}
	for _, st := range incident.Statuses {
		groups["istatus"] = append(groups["istatus"], string(st))
	}
	for group, values := range groups {
		for _, v := range values {
			id, okID := locale.Registered().Text(langID, group+"."+v)
			en, okEN := locale.Registered().Text(langEN, group+"."+v)
			if !okID || !okEN || id == "" || en == "" {
				t.Errorf("%s.%s has no label in both languages", group, v)
			}
		}
	}
}

// TestAuditActionsHaveLabels: every action the platform writes to the audit
// trail (the literal actions of audit.Record calls, and decision's, which
// it picks into a variable) and every kind of record has a label, so that
// the audit page names none by its code.
func TestAuditActionsHaveLabels(t *testing.T) {
	action := regexp.MustCompile(`audit\.Record\([^,]+, [^,]+, [^,]+, "([a-z_.]+)"|\baction :?= "([a-z_.]+)"|, "(decision\.[a-z_]+)"`)
	found := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range action.FindAllStringSubmatch(string(b), -1) {
			a := m[1] + m[2] + m[3]
			found++
			if !hasMessage("aact." + a) {
				t.Errorf("%s: audit action %q has no label (aact.%s)", path, a, a)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 30 {
		t.Fatalf("found %d audit actions in the source: the pattern no longer matches the calls", found)
	}
	for _, kind := range []string{alert.RecordKind, asset.RecordKind, decision.RecordKind, incident.RecordKind, decision.AllowKind,
		decision.BouncerKind, "org", "user", "token", "settings", "saved_view", "webhook", "finding", "scan", "scan_authorization"} {
		if !hasMessage("akind." + kind) {
			t.Errorf("audit record kind %q has no label", kind)
		}
	}
}

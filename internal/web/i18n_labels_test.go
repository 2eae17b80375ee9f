package web

import (
	"testing"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
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
		"linkrel": {incident.DuplicateOf, incident.DuplicatedBy, incident.Related},
		"iclock":  {"first_response", "containment", "bssn_report", "pdp_notification"},
		"nevent":  append([]string{notify.IncidentMention, notify.IncidentClockMissed}, notify.Events...),
		"ikind": {"created", "updated", "comment", "escalated", "deescalated", "participants", "evidence", "observable",
			"task", "task_done", "task_reopened", "linked", "merged", "pdp", "pdp_notified"},
	}
	for _, st := range incident.Statuses {
		groups["istatus"] = append(groups["istatus"], string(st))
	}
	for group, values := range groups {
		for _, v := range values {
			m, ok := messages[group+"."+v]
			if !ok || m.id == "" || m.en == "" {
				t.Errorf("%s.%s has no label in both languages", group, v)
			}
		}
	}
}

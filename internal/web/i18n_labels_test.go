package web

import (
	"testing"

	"github.com/garda-id/garda/internal/detect/rules"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/policy"
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
		// By hand, as the incident package writes them: a new kind or
		// clock name must be added here and to i18n.go.
		"ikind": {"created", "updated", "comment", "escalated", "deescalated", "participants", "evidence", "observable",
			"task", "task_done", "task_reopened", "linked", "merged", "pdp", "pdp_notified"},
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
			m, ok := messages[group+"."+v]
			if !ok || m.id == "" || m.en == "" {
				t.Errorf("%s.%s has no label in both languages", group, v)
			}
		}
	}
}

// TestMessageKeysOnce: a key is defined in one message set only, so that no
// set silently overrides another's words.
func TestMessageKeysOnce(t *testing.T) {
	seen := make(map[string]int)
	sets := []map[string]msg{coreMessages, incidentWorkMessages, accountMessages, ingestMessages,
		alertQueueMessages, labelMessages, pageMessages, searchMessages}
	total := 0
	for i, set := range sets {
		for k := range set {
			if j, ok := seen[k]; ok {
				t.Errorf("message %q is defined in set %d and set %d", k, j, i)
			}
			seen[k] = i
			total++
		}
	}
	if total != len(messages) {
		t.Errorf("messages has %d keys, the sets %d", len(messages), total)
	}
}

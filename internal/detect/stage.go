package detect

import (
	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/event"
)

// Stage is a stateless check beside the built-in ones, run by every
// inspector on every event (known indicators: internal/intel/match). What
// it finds raises alerts of its own, one per Hit, through the same shard
// and aggregation as the built-in checks. A Stage may change what it looks
// for while running (swapping its compiled form atomically); each Check
// must then still depend on the event alone at the moment it is made.
type Stage interface {
	// NewCheck returns one inspector's check, used from one goroutine.
	NewCheck() Check
}

// Check is one inspector's use of a Stage.
type Check interface {
	// Check appends what it finds in ev to hits and returns them. It is
	// called for every event, so it must be cheap and allocation-free
	// when nothing is found.
	Check(ev *event.Event, hits []Hit) []Hit
}

// Hit is one finding of a Stage: the alert it raises.
type Hit struct {
	Scenario  string // the aggregation key's scenario, e.g. intel-123
	Title     string
	Severity  string
	Technique string
	RuleIDs   []string
	// Fields are added to the event's fields as the alert's evidence.
	Fields map[string]string
}

// stageSignal is a Hit as an alert signal for ev.
func stageSignal(h *Hit, ev *event.Event) alert.Signal {
	sg := alert.Signal{
		Scenario: h.Scenario, Title: h.Title, Severity: h.Severity, Technique: h.Technique, RuleIDs: h.RuleIDs,
		SourceIP: ev.Get(event.SourceIP), UserName: ev.Get(event.UserName), Region: ev.Region,
		Time: ev.Time, Count: 1, Line: ev.Line, Event: ev,
	}
	if sg.SourceIP == "" && ev.IP.IsValid() {
		sg.SourceIP = ev.IP.String()
	}
	sg.AssetID = assetID(ev)
	if len(h.Fields) > 0 {
		sg.Fields = ev.Map()
		for k, v := range h.Fields {
			sg.Fields[k] = v
		}
	}
	return sg
}

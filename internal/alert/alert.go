// Package alert holds what detection raises: alerts with their scenario,
// severity, ATT&CK technique, source, asset, region and first events as
// evidence. Signals for the same scenario, source and asset within the
// aggregation window raise a count on one alert, not a new alert; one rule,
// used both in memory (replay) and in the store (live). Alerts are shared
// records: every read goes through policy's visibility rule.
package alert

import (
	"slices"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/policy"
)

// RecordKind names alerts in the participant tables and the audit chain.
const RecordKind = "alert"

// AggregationWindow: a signal within this time of an open alert's last
// event joins that alert.
const AggregationWindow = time.Hour

// MaxEvidence is how many events an alert keeps as evidence (the first ones).
const MaxEvidence = 20

// Detector is the audit trail's actor for the alerts detection raises.
var Detector = audit.Actor{Username: "detect"}

// DefaultTLP labels new alerts; the owner is the asset's owner.
const DefaultTLP = policy.Amber

// NationalCSIRT is the organisation that takes part in every alert: BSSN's
// national CSIRT sees every alert in the nation. A province's operation
// room (its Diskominfo) takes part in every alert of the province.
const NationalCSIRT = "bssn"

// Status of an alert.
type Status string

const (
	New          Status = "new"
	Acknowledged Status = "acknowledged"
	Dismissed    Status = "dismissed"
	Promoted     Status = "promoted"
)

// Open reports whether signals may still join an alert in this status.
func (s Status) Open() bool { return s == New || s == Acknowledged }

// Signal is one event that is part of a detection, as the detect engine
// hands it over.
type Signal struct {
	Scenario  string
	Title     string
	Severity  string
	Technique string
	RuleIDs   []string
	SourceIP  string
	UserName  string
	AssetID   int64 // 0 when the event's asset is unknown (offline replay)
	Region    string
	Time      time.Time
	Count     int // events this signal stands for (the first signal of a firing carries the whole window)
	Line      int64
	Fields    map[string]string // the event, as ECS fields; or nil and Event set
	// Event, when Fields is nil, is the event itself: valid only while the
	// signal is being added, and copied to Fields only if kept as evidence.
	Event *event.Event
	// Earlier are events before this one that the detection counted (the
	// attempts that made a threshold fire), kept as evidence before it.
	Earlier []Evidence
}

// fields returns the signal's event as ECS fields.
func (s Signal) fields() map[string]string {
	if s.Fields == nil && s.Event != nil {
		return s.Event.Map()
	}
	return s.Fields
}

// Key is the aggregation key: same scenario, source and asset.
func (s Signal) Key() string {
	return s.Scenario + "|" + source(s.SourceIP, s.UserName) + "|" + strconv.FormatInt(s.AssetID, 10)
}

// Alert is one aggregated detection.
type Alert struct {
	ID           int64      `json:"id"`
	Scenario     string     `json:"scenario"`
	Title        string     `json:"title"`
	Severity     string     `json:"severity"`
	Technique    string     `json:"technique"`
	SourceIP     string     `json:"source_ip"`
	UserName     string     `json:"user_name,omitempty"`
	AssetID      int64      `json:"asset_id,omitempty"`
	Asset        string     `json:"asset,omitempty"` // the asset's name
	Region       string     `json:"region"`
	Owner        string     `json:"owner,omitempty"` // owner organisation slug
	TLP          policy.TLP `json:"tlp"`
	Status       Status     `json:"status"`
	StatusReason string     `json:"status_reason,omitempty"`
	RuleIDs      []string   `json:"rule_ids"`
	Count        int64      `json:"count"`
	FirstSeen    time.Time  `json:"first_seen"`
	LastSeen     time.Time  `json:"last_seen"`
	CreatedAt    time.Time  `json:"created_at,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at,omitempty"`
	Evidence     []Evidence `json:"evidence,omitempty"`
	// Priority is the severity the queue ranks the alert at: one step
	// above Severity when its asset matters in the calendar's phase at the
	// moment it was raised, PriorityReason saying which ("" otherwise).
	Priority       string `json:"priority"`
	PriorityReason string `json:"priority_reason,omitempty"`
}

// Evidence is one event kept with an alert.
type Evidence struct {
	Seq    int               `json:"seq"`
	At     time.Time         `json:"at"`
	Line   int64             `json:"line,omitempty"`
	Fields map[string]string `json:"fields"`
}

// Aggregator merges signals into alerts in memory, by the same rule the
// store applies. It is not safe for concurrent use.
type Aggregator struct {
	open        map[string]*Alert
	all         []*Alert
	nextID      int64
	maxEvidence int
}

// NewAggregator makes an empty aggregator keeping MaxEvidence events per alert.
func NewAggregator() *Aggregator { return NewAggregatorKeeping(MaxEvidence) }

// NewAggregatorKeeping makes an aggregator keeping at most n events per
// alert (a replay that prints a few keeps a few).
func NewAggregatorKeeping(n int) *Aggregator {
	return &Aggregator{open: map[string]*Alert{}, maxEvidence: min(n, MaxEvidence)}
}

// Add merges a signal and reports the alert it joined and whether it is new.
func (g *Aggregator) Add(s Signal) (*Alert, bool) {
	key := s.Key()
	// Within the window on either side: a log read out of time order (a
	// rotated file after the newer one) must not join an earlier attack to
	// a later alert.
	if a := g.open[key]; a != nil && s.Time.Sub(a.LastSeen) <= AggregationWindow && a.FirstSeen.Sub(s.Time) <= AggregationWindow {
		merge(a, s, g.maxEvidence)
		return a, false
	}
	g.nextID++
	a := fromSignal(s, g.maxEvidence)
	a.ID = g.nextID
	g.open[key] = a
	g.all = append(g.all, a)
	return a, true
}

// Alerts returns every alert in the order they were raised.
func (g *Aggregator) Alerts() []*Alert { return g.all }

func fromSignal(s Signal, maxEvidence int) *Alert {
	a := &Alert{
		Scenario: s.Scenario, Title: s.Title, Severity: s.Severity, Technique: s.Technique,
		SourceIP: s.SourceIP, UserName: s.UserName, AssetID: s.AssetID, Region: s.Region,
		TLP: DefaultTLP, Status: New, RuleIDs: make([]string, 0, len(s.RuleIDs)), FirstSeen: s.Time, LastSeen: s.Time,
	}
	merge(a, s, maxEvidence)
	a.Count = int64(max(s.Count, 1))
	return a
}

// merge adds a signal's count, time, rule ids and evidence to an alert.
func merge(a *Alert, s Signal, maxEvidence int) {
	if a.Count > 0 {
		a.Count += int64(max(s.Count, 1))
	}
	if s.Time.After(a.LastSeen) {
		a.LastSeen = s.Time
	}
	if s.Time.Before(a.FirstSeen) {
		a.FirstSeen = s.Time
	}
	for _, id := range s.RuleIDs {
		if !slices.Contains(a.RuleIDs, id) && len(a.RuleIDs) < 50 {
			a.RuleIDs = append(a.RuleIDs, id)
		}
	}
	for _, e := range s.Earlier {
		if len(a.Evidence) < maxEvidence {
			e.Seq = len(a.Evidence) + 1
			a.Evidence = append(a.Evidence, e)
		}
	}
	if len(a.Evidence) < maxEvidence {
		if f := s.fields(); f != nil {
			a.Evidence = append(a.Evidence, Evidence{Seq: len(a.Evidence) + 1, At: s.Time, Line: s.Line, Fields: f})
		}
	}
}

// Severities, lowest first.
var Severities = []string{"low", "medium", "high", "critical"}

// SeverityRank orders severities (0 for unknown).
func SeverityRank(s string) int {
	for i, v := range Severities {
		if v == s {
			return i + 1
		}
	}
	return 0
}

// Package calendar holds the election calendar: elections, their phases
// with official dates, and the posture each phase puts the operation rooms
// in (normal, waspada, siaga, awas). A posture sets the minimum staffing
// per shift and the scan cadence the penetration-test pillar should keep;
// a phase names the systems that matter while it runs (Sipol during party
// registration, Sirekap during the count).
//
// Pemilu 2024 and Pilkada Serentak 2024 are shipped as data
// (data/elections.json, with the regulation each comes from); coordinators
// add elections and phases in the database (store.go). Deciding a posture
// is a pure function of an instant, a time zone and the phases: a phase's
// dates are calendar days in the local time of whoever asks, so voting day
// begins two hours earlier in Papua (WIT) than in Jakarta (WIB).
//
// The package never switches a room's posture itself: package room records
// switches, and the schedule decides when they run.
package calendar

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Posture is how alert the rooms are.
type Posture string

// The postures, calmest first.
const (
	Normal  Posture = "normal"
	Waspada Posture = "waspada" // alert
	Siaga   Posture = "siaga"   // standby
	Awas    Posture = "awas"    // highest
)

// Postures lists the postures, calmest first.
var Postures = []Posture{Normal, Waspada, Siaga, Awas}

// Rank orders postures (normal 0 ... awas 3); an unknown one is -1.
func (p Posture) Rank() int { return slices.Index(Postures, p) }

// Valid reports whether p is a known posture.
func (p Posture) Valid() bool { return p.Rank() >= 0 }

// Rule is what a posture asks of a room.
type Rule struct {
	// MinStaff is the fewest people on each shift.
	MinStaff int `json:"min_staff"`
	// ScanEvery is the cadence the penetration-test pillar should scan the
	// phase's critical assets at (a hint: the scan schedule reads it).
	ScanEvery time.Duration `json:"-"`
	ScanHint  string        `json:"scan_every"`
}

// Rules is the staffing and scan cadence of each posture.
var Rules = map[Posture]Rule{
	Normal:  {MinStaff: 2, ScanEvery: 24 * time.Hour, ScanHint: "24h"},
	Waspada: {MinStaff: 3, ScanEvery: 12 * time.Hour, ScanHint: "12h"},
	Siaga:   {MinStaff: 4, ScanEvery: 6 * time.Hour, ScanHint: "6h"},
	Awas:    {MinStaff: 6, ScanEvery: time.Hour, ScanHint: "1h"},
}

// RuleOf returns the rule of posture p (normal's for an unknown one).
func RuleOf(p Posture) Rule {
	if r, ok := Rules[p]; ok {
		return r
	}
	return Rules[Normal]
}

// DateLayout is how phase dates are written.
const DateLayout = "2006-01-02"

// Phase is one stage of an election's timetable.
type Phase struct {
	ID       int64   `json:"id,omitempty"` // 0 for the shipped phases
	Election string  `json:"election"`     // the election's slug
	Key      string  `json:"key"`
	Name     string  `json:"name"`
	Start    string  `json:"start"` // first day, inclusive (YYYY-MM-DD)
	End      string  `json:"end"`   // last day, inclusive
	Posture  Posture `json:"posture"`
	// Critical names the assets that matter during the phase: asset names
	// ("Sirekap") or the phase tags assets carry ("recapitulation").
	Critical []string `json:"critical"`
	// Focus is the patrol's focus words while the phase runs: the attacks
	// and rumours the phase draws ("politik uang" in the campaign,
	// "penggelembungan suara" in the count). The patrol marks the items
	// whose text holds one.
	Focus []string `json:"focus"`
}

// Election is one election and its phases.
type Election struct {
	ID     int64   `json:"id,omitempty"` // 0 for the shipped elections
	Slug   string  `json:"slug"`
	Name   string  `json:"name"`
	Source string  `json:"source"`
	Phases []Phase `json:"phases"`
}

// Span returns the instants the phase begins and ends (exclusive) in tz:
// local midnight of its first day and of the day after its last.
func (p Phase) Span(tz *time.Location) (from, to time.Time, err error) {
	s, err := time.ParseInLocation(DateLayout, p.Start, tz)
	if err != nil {
		return from, to, fmt.Errorf("phase %s: start: %w", p.Key, err)
	}
	e, err := time.ParseInLocation(DateLayout, p.End, tz)
	if err != nil {
		return from, to, fmt.Errorf("phase %s: end: %w", p.Key, err)
	}
	return s, e.AddDate(0, 0, 1), nil
}

// Validate checks a phase as a coordinator entered it.
func (p Phase) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return fmt.Errorf("name: required")
	}
	s, err := time.Parse(DateLayout, p.Start)
	if err != nil {
		return fmt.Errorf("start: must be a date YYYY-MM-DD")
	}
	e, err := time.Parse(DateLayout, p.End)
	if err != nil {
		return fmt.Errorf("end: must be a date YYYY-MM-DD")
	}
	if e.Before(s) {
		return fmt.Errorf("end: before start")
	}
	if !p.Posture.Valid() {
		return fmt.Errorf("posture: must be normal, waspada, siaga or awas")
	}
	return nil
}

// Calendar is a set of elections.
type Calendar struct {
	Elections []Election `json:"elections"`
}

//go:embed data/elections.json
var shippedJSON []byte

// Shipped returns the elections shipped with Garda (Pemilu and Pilkada
// Serentak 2024). The embedded file is parsed once: alert recording, the
// patrol and the pages load the calendar often. It panics if the file is
// broken: a test reads it. The phases are shared: read them, never change
// them in place.
func Shipped() *Calendar {
	return &Calendar{Elections: slices.Clone(shipped().Elections)}
}

var shipped = sync.OnceValue(func() *Calendar {
	var c Calendar
	if err := json.Unmarshal(shippedJSON, &c); err != nil {
		panic(fmt.Sprintf("calendar: embedded elections: %v", err))
	}
	for i := range c.Elections {
		for j := range c.Elections[i].Phases {
			c.Elections[i].Phases[j].Election = c.Elections[i].Slug
		}
	}
	return &c
})

// With returns a calendar of c's elections and more (those coordinators
// entered).
func (c *Calendar) With(more ...Election) *Calendar {
	return &Calendar{Elections: append(slices.Clone(c.Elections), more...)}
}

// Phases returns every phase, in order of start.
func (c *Calendar) Phases() []Phase {
	var out []Phase
	for _, e := range c.Elections {
		out = append(out, e.Phases...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// Active returns the phases running at t in tz.
func (c *Calendar) Active(t time.Time, tz *time.Location) []Phase {
	var out []Phase
	for _, p := range c.Phases() {
		from, to, err := p.Span(tz)
		if err != nil {
			continue // validated on entry; a broken row is not a phase
		}
		if !t.Before(from) && t.Before(to) {
			out = append(out, p)
		}
	}
	return out
}

// PostureAt is the posture at t in tz: the highest of the phases running
// then, normal when none is. It also returns the phase that set it (the
// zero Phase when none did).
func (c *Calendar) PostureAt(t time.Time, tz *time.Location) (Posture, Phase) {
	best, by := Normal, Phase{}
	for _, p := range c.Active(t, tz) {
		if p.Posture.Rank() > best.Rank() {
			best, by = p.Posture, p
		}
	}
	return best, by
}

// NextBoundary returns the first instant strictly after t at which a phase
// begins or ends in any of the zones, or the zero time if none is left.
// The posture switcher wakes then.
func (c *Calendar) NextBoundary(t time.Time, zones ...*time.Location) time.Time {
	var next time.Time
	for _, tz := range zones {
		for _, p := range c.Phases() {
			from, to, err := p.Span(tz)
			if err != nil {
				continue
			}
			for _, b := range []time.Time{from, to} {
				if b.After(t) && (next.IsZero() || b.Before(next)) {
					next = b
				}
			}
		}
	}
	return next
}

// CriticalAt returns the asset names and tags that matter at t in tz:
// those of every running phase, each once, sorted.
func (c *Calendar) CriticalAt(t time.Time, tz *time.Location) []string {
	var out []string
	for _, p := range c.Active(t, tz) {
		for _, a := range p.Critical {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// PostureAt is the posture of the shipped calendar at t in tz.
func PostureAt(t time.Time, tz *time.Location) Posture {
	p, _ := Shipped().PostureAt(t, tz)
	return p
}

// CriticalAssets returns the asset names and tags that matter at t in the
// national room's time (WIB), by the shipped calendar. Other pillars (scan
// cadence, alert priority) read it; Matters tells whether an asset is one.
func CriticalAssets(t time.Time) []string {
	return Shipped().CriticalAt(t, WIB)
}

// Matters reports whether an asset with this name and these tags (its
// phase tags and the election systems it belongs to) is among critical (as
// CriticalAssets returns them). Names and tags compare without case:
// "sirekap" is Sirekap.
func Matters(critical []string, name string, tags []string) bool {
	_, ok := matching(critical, name, tags)
	return ok
}

// matching returns the first entry of critical naming the asset.
func matching(critical []string, name string, tags []string) (string, bool) {
	for _, c := range critical {
		if strings.EqualFold(c, name) || slices.ContainsFunc(tags, func(t string) bool { return strings.EqualFold(t, c) }) {
			return c, true
		}
	}
	return "", false
}

// Critical returns the phase running at t in tz in which an asset with
// this name and these tags matters, the one with the highest posture when
// several do (the earliest to start among equals), and the entry of its
// critical list that names the asset. ok is false when the asset matters
// in no running phase. The alert priority and the scan cadence read it.
func (c *Calendar) Critical(t time.Time, tz *time.Location, name string, tags []string) (p Phase, entry string, ok bool) {
	for _, ph := range c.Active(t, tz) {
		e, hit := matching(ph.Critical, name, tags)
		if hit && (!ok || ph.Posture.Rank() > p.Posture.Rank()) {
			p, entry, ok = ph, e, true
		}
	}
	return p, entry, ok
}

// FocusAt returns the patrol's focus words at t in tz: those of every
// running phase, each once (without case), in the phases' order.
func (c *Calendar) FocusAt(t time.Time, tz *time.Location) []string {
	var out []string
	for _, p := range c.Active(t, tz) {
		for _, w := range p.Focus {
			if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, w) }) {
				out = append(out, w)
			}
		}
	}
	return out
}

// FocusIn returns the focus words that occur in text (without case, as
// whole words or phrases), in the order of focus.
func FocusIn(focus []string, text string) []string {
	low := " " + strings.Join(strings.FieldsFunc(strings.ToLower(text), notWord), " ") + " "
	var out []string
	for _, w := range focus {
		k := strings.Join(strings.FieldsFunc(strings.ToLower(w), notWord), " ")
		if k != "" && strings.Contains(low, " "+k+" ") && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// notWord splits text into words: letters and digits make words.
func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

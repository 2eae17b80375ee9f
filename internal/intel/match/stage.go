package match

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
)

// The alert a hit raises: its scenario is ScenarioPrefix and the
// indicator's id (one alert per indicator, client and asset), its rule id
// RulePrefix and the id, its evidence the fields below.
const (
	Title          = "Indikator dikenal"
	ScenarioPrefix = "intel-"
	RulePrefix     = "indicator-"
	FieldID        = "garda.intel.indicator_id"
	FieldValue     = "garda.intel.indicator"
	FieldWhere     = "garda.intel.matched_in"
)

// Recorder is told of every hit (a sighting to store); it must be safe
// for concurrent use and quick.
type Recorder interface {
	Seen(indicatorID int64, region, asset string, at time.Time)
}

// Matcher is the detection stage: it holds the current Set and swaps it
// atomically (Swap) while inspectors use it.
type Matcher struct {
	set   atomic.Pointer[Set]
	ready chan struct{} // closed once a set is in force
	once  sync.Once
	rec   Recorder
	now   func() time.Time
}

// New returns a matcher over set (nil: an empty one), telling rec (nil:
// no one) of its hits.
func New(set *Set, rec Recorder) *Matcher {
	m := Pending(rec)
	m.Ready(set)
	return m
}

// Pending returns a matcher with no set yet: each check waits, at its
// first event, until Ready puts one in force. A replay can then load and
// compile its indicators on one core while the engine is built and the
// log's first lines are read on the other, and still inspect every line
// with them.
func Pending(rec Recorder) *Matcher {
	return &Matcher{ready: make(chan struct{}), rec: rec, now: time.Now}
}

// Ready puts set in force (nil: an empty set) and lets the checks go. Only
// the first call counts; later sets go through Swap. A caller that could
// not load its set calls Ready(nil) after cancelling its replay, so that
// no inspector waits for ever.
func (m *Matcher) Ready(set *Set) {
	m.once.Do(func() {
		if set == nil {
			set = Compile(nil)
		}
		m.set.Store(set)
		close(m.ready)
	})
}

// Swap puts a new set in force; inspectors take it at their next event.
func (m *Matcher) Swap(s *Set) { m.set.Store(s) }

// Set is the set in force (nil before Ready).
func (m *Matcher) Set() *Set { return m.set.Load() }

// NewCheck implements detect.Stage.
func (m *Matcher) NewCheck() detect.Check { return &check{m: m} }

type check struct {
	m     *Matcher
	sc    scratch
	ready bool // the matcher's first set is in force
}

// Check implements detect.Check: it finds the event's values in the set.
func (c *check) Check(ev *event.Event, hits []detect.Hit) []detect.Hit {
	if !c.ready {
		<-c.m.ready // no line is inspected before the set is in force
		c.ready = true
	}
	s := c.m.set.Load()
	if s.slots() == 0 {
		return hits
	}
	sc := &c.sc
	sc.found = sc.found[:0]
	if ev.IP.IsValid() && (len(s.addrs4)+len(s.addrs6) > 0 || s.hasRanges) {
		s.matchAddr(ev.IP, InSourceIP, sc)
	}
	target := ev.Get(event.URLOriginal)
	if s.wantHost {
		// The Referer first, as the alert's evidence has always said.
		if ref := ev.Get(event.Referrer); len(ref) > 1 {
			s.matchURL(ref, InReferrer, sc)
		}
		if host := ev.Get(event.URLDomain); host != "" {
			if s.lookHost(host, InHost, sc) && len(target) > 0 && target[0] == '/' {
				s.matchHostPath(host, target, InTarget, sc)
			}
		}
		if len(target) > 0 && target[0] != '/' {
			s.matchURL(target, InTarget, sc) // a proxy's absolute target
		}
		if len(target) > 0 && target[0] == '/' {
			s.matchEmbedded(target, sc)
		}
	}
	if s.uaExact.size() > 0 {
		if ua := ev.Get(event.UserAgent); ua != "" {
			if sl, ok := s.get(&s.uaExact, ua); ok {
				sc.add(sl, InUserAgent)
			}
			if s.ua != nil {
				s.ua.Each(ua, func(p int) bool { sc.add(s.uaSlots[p], InUserAgent); return true })
			}
		}
	}
	if s.hashes.size() > 0 {
		s.matchHashes(target, InTarget, sc)
		s.matchHashes(ev.Get(event.Message), InMessage, sc)
	}
	if s.emails.size() > 0 {
		if u := ev.Get(event.UserName); u != "" {
			sc.buf = appendLower(sc.buf[:0], u)
			if sl, ok := s.getBytes(&s.emails, sc.buf); ok {
				sc.add(sl, InUser)
			}
		}
	}
	if len(sc.found) == 0 {
		return hits
	}
	now := c.m.now()
	for _, f := range sc.found {
		for _, i := range s.slotEnt[s.slotStart[f.slot]:s.slotStart[f.slot+1]] {
			if u := s.until[i]; u != 0 && now.UnixNano() >= u {
				continue // expired since the set was built
			}
			eid, kind, value, confidence, technique := s.entry(i)
			s.hits[i].Add(1)
			if c.m.rec != nil {
				c.m.rec.Seen(eid, ev.Region, ev.Asset, ev.Time)
			}
			id := itoa(eid)
			hits = append(hits, detect.Hit{
				Scenario: ScenarioPrefix + id, Title: Title, Severity: severityOf(confidence), Technique: technique,
				RuleIDs: []string{RulePrefix + id},
				Fields:  map[string]string{FieldID: id, FieldValue: string(kind) + " " + value, FieldWhere: f.in},
			})
		}
	}
	return hits
}

package simulate

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Sink takes one batch of lines (each without its newline) of one site.
// The lines are the sink's to keep. An error stops Run.
type Sink func(site Site, lines [][]byte) error

// monitorEvery is how often a live monitor checks each site.
const monitorEvery = time.Minute

// live is the state of one Run.
type live struct {
	s           *Simulator
	r           *rand.Rand
	h           actors
	perSecond   float64 // visits a second
	pool        int     // addresses per crawler
	nextVisit   time.Time
	nextAttack  time.Time
	nextMonitor []time.Time // per monitor and site
	recent      map[netip.Addr]time.Time
	lastPrune   time.Time
	deck        []string
	out         [][][]byte // per site
	begin       time.Time  // lines before this are the warm-up's, not sent
}

// Run lets visits begin up to warmUp back (at most warmUpVisits of them),
// so that the first seconds carry the visits already under way (a results
// page left open since the hour began) and the rate is right from the
// start.
const (
	warmUp       = time.Hour
	warmUpVisits = 30000
)

// Run writes live traffic until ctx ends (then it returns nil): benign
// visits arriving at about rate lines a second, stamped with the current
// time, and a new attacker every AttackMin..AttackMax, the first at once.
// Attacks come on top of the rate (a flood is hundreds of lines a second
// for a few seconds). Every Flush it calls sink once per site with the
// lines that came due. Attackers are labelled as they start (Labels,
// Label, OnAttack).
func (s *Simulator) Run(ctx context.Context, rate float64, sink Sink) error {
	if !(rate > 0) || math.IsInf(rate, 0) {
		return errors.New("simulate: rate must be a positive number of lines a second")
	}
	if sink == nil {
		return errors.New("simulate: no sink")
	}
	now := time.Now()
	l := &live{
		s: s, r: rand.New(rand.NewPCG(s.opts.Seed, uint64(now.UnixNano()))),
		recent: map[netip.Addr]time.Time{}, lastPrune: now, out: make([][][]byte, len(s.sites)),
		pool: max(2, int(rate*3.6)), nextAttack: now, begin: now,
	}
	l.perSecond = rate * (1 - monitorShare) / l.meanLines(now)
	l.nextVisit = now.Add(-min(warmUp, time.Duration(warmUpVisits/l.perSecond*float64(time.Second))))
	for l.nextVisit.Before(now) {
		p := s.planVisit(l.r, l.nextVisit, l.pool, l.fresh)
		l.start(&p)
		l.nextVisit = l.nextVisit.Add(l.interarrival())
	}
	for range len(monitors) * len(s.sites) {
		l.nextMonitor = append(l.nextMonitor, now.Add(time.Duration(l.r.Int64N(int64(monitorEvery)))))
	}
	if len(s.classes) == 0 {
		l.nextAttack = time.Time{}
	}
	tick := time.NewTicker(s.opts.Flush)
	defer tick.Stop()
	for {
		if err := l.step(time.Now(), sink); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// meanLines estimates the lines of a visit in the current mix.
func (l *live) meanLines(now time.Time) float64 {
	r := rand.New(rand.NewPCG(l.s.opts.Seed, 0x3ea))
	n, lines := 2000, 0
	for range n {
		p := l.s.planVisit(r, now, 2, func() netip.Addr { return citizenIP(r) })
		lines += len(l.s.script(&p).reqs)
	}
	return float64(max(lines, 1)) / float64(n)
}

func (l *live) interarrival() time.Duration {
	return time.Duration(l.r.ExpFloat64() / l.perSecond * float64(time.Second))
}

// step starts what is due by now, writes the lines that came due, and
// hands them to the sink.
func (l *live) step(now time.Time, sink Sink) error {
	s := l.s
	// After a stall (a slow sink, a suspended laptop) pick up from now
	// rather than replay the gap at once.
	const catchUp = 10 * time.Second
	if l.nextVisit.Before(now.Add(-catchUp)) {
		l.nextVisit = now.Add(-catchUp)
	}
	for !l.nextVisit.After(now) {
		p := s.planVisit(l.r, l.nextVisit, l.pool, l.fresh)
		l.start(&p)
		l.nextVisit = l.nextVisit.Add(l.interarrival())
	}
	for !l.nextAttack.IsZero() && !l.nextAttack.After(now) {
		l.attack(l.nextAttack)
		l.nextAttack = l.nextAttack.Add(s.opts.AttackMin + time.Duration(l.r.Int64N(int64(s.opts.AttackMax-s.opts.AttackMin)+1)))
		if l.nextAttack.Before(now.Add(-catchUp)) {
			l.nextAttack = now
		}
	}
	for k, at := range l.nextMonitor {
		for !at.After(now) {
			p := plan{start: at.UnixNano(), seed: l.r.Uint64(), site: int32(k % len(s.sites)), prof: pMonitor, who: int8(k / len(s.sites)),
				label: -1, ip: infraIP(serviceMonitor, k/len(s.sites))}
			l.start(&p)
			at = at.Add(monitorEvery)
		}
		l.nextMonitor[k] = at
	}
	until, begin := now.UnixNano(), l.begin.UnixNano()
	for l.h.Len() > 0 && l.h[0].next() <= until {
		if l.h[0].next() < begin {
			l.h.skip()
			continue
		}
		line, a, _ := l.h.emitNext(make([]byte, 0, 256))
		l.out[a.site] = append(l.out[a.site], line)
	}
	for i, lines := range l.out {
		if len(lines) == 0 {
			continue
		}
		l.out[i] = nil
		if err := sink(s.opts.Sites[i], lines); err != nil {
			return err
		}
	}
	if now.Sub(l.lastPrune) > 5*time.Minute {
		for a, t := range l.recent {
			if now.Sub(t) > time.Hour {
				delete(l.recent, a)
			}
		}
		l.lastPrune = now
	}
	return nil
}

func (l *live) start(p *plan) {
	sc := l.s.script(p)
	if p.prof != pCrawler && p.prof != pPreview && p.prof != pMonitor && p.label < 0 {
		l.recent[p.ip] = time.Unix(0, p.start).Add(sc.duration())
	}
	l.h.push(&actor{start: p.start, ip: p.ip, site: int(p.site), sc: sc, limit: int(p.limit)})
}

// fresh is a citizen's address that no one used in the last hour.
func (l *live) fresh() netip.Addr {
	for {
		a := citizenIP(l.r)
		if _, taken := l.recent[a]; !taken {
			l.recent[a] = time.Time{} // held until start records the visit's end
			return a
		}
	}
}

// attack starts the next attacker: the classes come as a shuffled deck,
// so every class shows up within a round.
func (l *live) attack(at time.Time) {
	s := l.s
	if len(l.deck) == 0 {
		l.deck = append(l.deck, s.classes...)
		l.r.Shuffle(len(l.deck), func(i, j int) { l.deck[i], l.deck[j] = l.deck[j], l.deck[i] })
	}
	class := l.deck[0]
	l.deck = l.deck[1:]
	ts := s.targets[class]
	site := ts[l.r.IntN(len(ts))]
	s.mu.Lock()
	ip := attackerIP(s.attacker)
	s.attacker++
	si := s.sites[site]
	lb := Label{IP: ip.String(), Class: class, Site: si.Name, AssetID: si.AssetID, Start: at.In(wib)}
	s.labels = append(s.labels, lb)
	s.mu.Unlock()
	p := plan{start: at.UnixNano(), seed: l.r.Uint64(), site: int32(site), label: 0, class: class, ip: ip}
	l.start(&p)
	if s.opts.OnAttack != nil {
		s.opts.OnAttack(lb)
	}
}

// Package simulate writes realistic, labelled access logs of KPU's web
// assets, for the demo and for tests: citizens browsing news, checking
// their polling station by NIK and following the results; staff signing
// in to the national systems; polling-station officers' app uploading
// tally forms; search engines' crawlers and uptime monitors; and,
// mixed in, attackers of every behaviour scenario Garda detects, each from
// its own address and labelled with its class.
//
// Output is nginx's "combined" format, in one of two modes through one
// Simulator: a batch (Generate, WriteLog, WriteDir) of N lines over a span
// of log time, deterministic for a seed, with a truth file that
// ../shared/bench/score.py reads; or live (Run), lines stamped with the
// current time at a given rate, handed to a sink per site every half
// second.
//
// Benign clients stay well below every scenario's default threshold, so
// that a detection on one of them is a false positive worth a look. The
// package must never send anything anywhere itself (sinks do), and never
// use an address of a real organisation: citizens come from a
// genlog-style 36.64.0.0/10, attackers from the documentation ranges.
package simulate

import (
	"bufio"
	"cmp"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Options configure a Simulator. The zero value simulates the default
// sites with every attack class, seed 0.
type Options struct {
	Sites   []Site   // nil: DefaultSites()
	Seed    uint64   // same seed, same options: the same batch, byte for byte
	Classes []string // attack classes to mix in; nil: every class with a site to attack; empty: none

	// Batch mode.
	Lines int           // lines to write
	Start time.Time     // log time of the span's start; zero: 2024-02-14 00:00 WIB, election day
	Span  time.Duration // zero: 24h
	// Attackers is how many attackers to mix in, each of the classes in
	// turn; 0: one per 1,000 lines, at least one of each class. Attackers
	// are left out when their lines would pass a third of Lines (a flood alone
	// is about a thousand lines).
	Attackers int
	// ElectionDay shapes the day as an election day: polling-station
	// lookups in the morning, results and tally uploads from 13:00 WIB.
	ElectionDay bool
	// EdgeCases adds benign traffic that today's detection misjudges, to
	// reproduce and track those false positives: citizens' searches that
	// start with a Unix command word ("top 10 caleg"), and citizens behind
	// a mobile carrier's carrier-grade NAT, many voters' lookups from two
	// addresses. Off by default: the default traffic is what detection must
	// never flag.
	EdgeCases bool

	// Live mode.
	AttackMin, AttackMax time.Duration // a new attacker every AttackMin..AttackMax; zero: 20s..60s
	Flush                time.Duration // how often batches go to the sink; zero: 500ms
	OnAttack             func(Label)   // told when a live attacker starts (from Run's goroutine)
}

// Label says who an attacker is.
type Label struct {
	IP      string    `json:"ip"`
	Class   string    `json:"class"`
	Site    string    `json:"site"` // the site's Name
	AssetID int64     `json:"asset_id,omitempty"`
	Start   time.Time `json:"start"` // its first request
}

// Truth is what a batch holds, in genlog.py's truth.json shape.
type Truth struct {
	Attackers map[string]string `json:"attackers"` // address -> class
	BenignIPs int               `json:"benign_ips"`
	Lines     int               `json:"lines"`
	Labels    []Label           `json:"-"` // the attackers in the order they start
	benign    map[string]bool
}

// Benign reports whether ip made only benign requests in the batch.
func (t *Truth) Benign(ip string) bool { return t.benign[ip] }

// WriteJSON writes the truth file score.py reads.
func (t *Truth) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(t)
}

// Simulator generates traffic for a set of sites. It is safe for
// concurrent use: each Generate or Run keeps its own state.
type Simulator struct {
	opts    Options
	sites   []siteInfo
	classes []string
	targets map[string][]int // class -> sites it may attack

	mu       sync.Mutex
	labels   []Label
	attacker int // next attacker address (live)
}

// New checks the options and makes a Simulator.
func New(opts Options) (*Simulator, error) {
	if opts.Sites == nil {
		opts.Sites = DefaultSites()
	}
	if len(opts.Sites) == 0 {
		return nil, errors.New("simulate: no sites")
	}
	if opts.Span == 0 {
		opts.Span = 24 * time.Hour
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2024, 2, 14, 0, 0, 0, 0, wib)
	}
	if opts.AttackMin == 0 {
		opts.AttackMin = 20 * time.Second
	}
	if opts.AttackMax == 0 {
		opts.AttackMax = max(60*time.Second, opts.AttackMin)
	}
	if opts.Flush == 0 {
		opts.Flush = 500 * time.Millisecond
	}
	switch {
	case opts.Span < time.Minute:
		return nil, fmt.Errorf("simulate: span %s is shorter than a minute", opts.Span)
	case opts.Lines < 0 || opts.Attackers < 0:
		return nil, errors.New("simulate: lines and attackers must not be negative")
	case opts.AttackMin < 0 || opts.AttackMax < opts.AttackMin:
		return nil, fmt.Errorf("simulate: attack interval %s..%s is not a range", opts.AttackMin, opts.AttackMax)
	case opts.Flush < 10*time.Millisecond:
		return nil, fmt.Errorf("simulate: flush interval %s is below 10ms", opts.Flush)
	}
	s := &Simulator{opts: opts, targets: map[string][]int{}}
	hosts := map[string]bool{}
	for _, st := range opts.Sites {
		if err := st.validate(); err != nil {
			return nil, err
		}
		if hosts[st.Host] {
			return nil, fmt.Errorf("simulate: site %s listed twice", st.Host)
		}
		hosts[st.Host] = true
		s.sites = append(s.sites, newSiteInfo(st))
	}
	explicit := opts.Classes != nil
	classes := opts.Classes
	if !explicit {
		classes = Classes()
	}
	for _, c := range classes {
		if Scenario(c) == "" {
			return nil, fmt.Errorf("simulate: unknown attack class %q (one of %v)", c, Classes())
		}
		kinds := targets(c)
		for i, si := range s.sites {
			if kinds == nil || slices.Contains(kinds, si.Kind) {
				s.targets[c] = append(s.targets[c], i)
			}
		}
		if len(s.targets[c]) == 0 {
			if explicit {
				return nil, fmt.Errorf("simulate: no site to attack with %s (it needs a site of kind %v)", c, kinds)
			}
			continue
		}
		if !slices.Contains(s.classes, c) {
			s.classes = append(s.classes, c)
		}
	}
	return s, nil
}

// Sites are the simulated sites.
func (s *Simulator) Sites() []Site { return slices.Clone(s.opts.Sites) }

// Labels are the live attackers started so far.
func (s *Simulator) Labels() []Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.labels)
}

// Label finds a live attacker by address.
func (s *Simulator) Label(ip string) (Label, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.labels {
		if l.IP == ip {
			return l, true
		}
	}
	return Label{}, false
}

// plan is one visit of a batch, before its requests are written: small,
// so that a batch of millions of lines holds plans, not lines.
type plan struct {
	start int64 // unix nanoseconds
	seed  uint64
	ip    netip.Addr
	site  int32
	prof  profile
	who   int8   // crawler or monitor index
	limit int32  // lines to keep; 0: all
	every int64  // monitors: nanoseconds between checks
	label int32  // index into the labels, -1 for a benign visit
	class string // attackers
}

// script writes the plan's requests: the same ones every time.
func (s *Simulator) script(p *plan) script {
	r := rand.New(rand.NewPCG(p.seed, 0x9e3779b97f4a7c15))
	si := &s.sites[p.site]
	switch {
	case p.label >= 0:
		return attack(r, si, p.class)
	case p.prof == pMonitor:
		var sc script
		for k := range int(p.limit) {
			one := benign(r, si, pMonitor, int(p.who))
			q := one.reqs[0]
			q.at = time.Duration(int64(k)*p.every) + time.Duration(r.IntN(1500))*time.Millisecond
			q.ua = one.ua
			sc.reqs = append(sc.reqs, q)
		}
		return sc
	}
	return benign(r, si, p.prof, int(p.who))
}

// Shares of benign lines.
const monitorShare = 0.015

// crawlerChoice picks a crawler of the kind the profile needs.
func crawlerChoice(r *rand.Rand, p profile) int8 {
	if p == pPreview {
		return int8(pick(r, []weighted[int]{{3, 5}, {1, 6}}))
	}
	return int8(pick(r, []weighted[int]{{45, 0}, {10, 1}, {25, 2}, {10, 3}, {5, 4}}))
}

// planVisit plans one benign visit starting at t: the site (by its weight
// at that hour), the kind of visit, the visitor.
func (s *Simulator) planVisit(r *rand.Rand, t time.Time, crawlerPool int, fresh func() netip.Addr) plan {
	ws := make([]weighted[int], len(s.sites))
	for i := range s.sites {
		ws[i] = weighted[int]{s.sites[i].siteWeight(t, s.opts.ElectionDay), i}
	}
	site := pick(r, ws)
	p := plan{start: t.UnixNano(), seed: r.Uint64(), site: int32(site), label: -1, prof: profileFor(r, s.sites[site].Kind)}
	switch p.prof {
	case pCrawler, pPreview:
		p.who = crawlerChoice(r, p.prof)
		p.ip = infraIP(serviceCrawler+int(p.who), r.IntN(crawlerPool))
	case pBrowse:
		p.ip = fresh()
		if s.opts.EdgeCases && r.IntN(20) == 0 {
			p.prof = pEdgeSearch
		}
	case pLookup:
		p.ip = fresh()
		if s.opts.EdgeCases && r.IntN(5) == 0 {
			p.ip = infraIP(serviceCGNAT, r.IntN(2))
		}
	default:
		p.ip = fresh()
	}
	return p
}

// batchPlan plans a whole batch: attackers, monitors, visits.
func (s *Simulator) batchPlan() ([]plan, []Label, error) {
	o := s.opts
	r := rand.New(rand.NewPCG(o.Seed, 0xba7c4))
	span := int64(o.Span)
	start := o.Start.UnixNano()
	var plans []plan
	var labels []Label

	// Attackers, each class in turn, flood (the longest) last.
	want := o.Attackers
	if want == 0 {
		want = max(len(s.classes), o.Lines/1000)
	}
	classes := slices.Clone(s.classes)
	slices.SortStableFunc(classes, func(a, b string) int { return cmp.Compare(b2i(a == Flood), b2i(b == Flood)) })
	attackLines := 0
	for k := 0; len(labels) < want && k < want*4 && len(classes) > 0; k++ {
		class := classes[k%len(classes)]
		ts := s.targets[class]
		p := plan{seed: r.Uint64(), site: int32(ts[r.IntN(len(ts))]), label: int32(len(labels)), class: class, ip: attackerIP(len(labels))}
		sc := s.script(&p)
		if attackLines+len(sc.reqs) > o.Lines/3 {
			continue
		}
		attackLines += len(sc.reqs)
		room := max(span-int64(sc.duration())-int64(time.Second), 1)
		p.start = start + r.Int64N(room)
		si := s.sites[p.site]
		labels = append(labels, Label{IP: p.ip.String(), Class: class, Site: si.Name, AssetID: si.AssetID, Start: time.Unix(0, p.start).In(wib)})
		plans = append(plans, p)
	}
	budget := o.Lines - attackLines

	// Uptime monitors: every site's front page on a schedule.
	perCheck := int(float64(budget)*monitorShare) / (len(monitors) * len(s.sites))
	if perCheck = min(perCheck, int(o.Span/(30*time.Second))); perCheck > 0 {
		every := span / int64(perCheck)
		for m := range monitors {
			for i := range s.sites {
				plans = append(plans, plan{start: start + r.Int64N(every), seed: r.Uint64(), site: int32(i), prof: pMonitor, who: int8(m),
					limit: int32(perCheck), every: every, label: -1, ip: infraIP(serviceMonitor, m)})
				budget -= perCheck
			}
		}
	}

	// Visits, by the hour's rhythm, until the lines are spent. Each
	// citizen has an address of their own.
	used := map[netip.Addr]bool{}
	fresh := func() netip.Addr {
		for {
			a := citizenIP(r)
			if !used[a] {
				used[a] = true
				return a
			}
		}
	}
	pool := max(2, int(float64(budget)/(1000*o.Span.Hours())+1))
	for budget > 0 {
		off := r.Int64N(span)
		t := time.Unix(0, start+off).In(wib)
		if r.Float64() > hourWeight[t.Hour()]/1.15 {
			continue
		}
		p := s.planVisit(r, t, pool, fresh)
		n := len(s.script(&p).reqs)
		if n == 0 {
			continue
		}
		if n > budget {
			p.limit = int32(budget)
			n = budget
		}
		budget -= n
		plans = append(plans, p)
	}
	slices.SortStableFunc(plans, func(a, b plan) int { return cmp.Compare(a.start, b.start) })
	return plans, labels, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// actor is a visit under way: its script and how far it has got.
type actor struct {
	start int64
	ip    netip.Addr
	site  int
	sc    script
	i     int
	limit int
}

func (a *actor) next() int64 { return a.start + int64(a.sc.reqs[a.i].at) }

type actors []*actor

func (h actors) Len() int           { return len(h) }
func (h actors) Less(i, j int) bool { return h[i].next() < h[j].next() }
func (h actors) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *actors) Push(x any)        { *h = append(*h, x.(*actor)) }
func (h *actors) Pop() any {
	old := *h
	a := old[len(old)-1]
	*h = old[:len(old)-1]
	return a
}

// push starts an actor if it has anything to do.
func (h *actors) push(a *actor) {
	if len(a.sc.reqs) == 0 {
		return
	}
	if a.limit <= 0 || a.limit > len(a.sc.reqs) {
		a.limit = len(a.sc.reqs)
	}
	heap.Push(h, a)
}

// emitNext writes the earliest actor's next line into buf and advances it.
func (h *actors) emitNext(buf []byte) ([]byte, *actor, int64) {
	a := (*h)[0]
	at := a.next()
	q := &a.sc.reqs[a.i]
	buf = appendLine(buf, a.ip, time.Unix(0, at), a.sc.ua, q)
	if a.i++; a.i >= a.limit {
		heap.Pop(h)
	} else {
		heap.Fix(h, 0)
	}
	return buf, a, at
}

// skip advances the earliest actor without writing its line.
func (h *actors) skip() {
	a := (*h)[0]
	if a.i++; a.i >= a.limit {
		heap.Pop(h)
	} else {
		heap.Fix(h, 0)
	}
}

// Generate writes a batch in time order, calling emit with each line
// (without its newline; valid only during the call) and its site.
func (s *Simulator) Generate(emit func(site Site, line []byte) error) (*Truth, error) {
	if s.opts.Lines == 0 {
		return nil, errors.New("simulate: a batch needs Lines")
	}
	plans, labels, err := s.batchPlan()
	if err != nil {
		return nil, err
	}
	truth := &Truth{Attackers: map[string]string{}, Labels: labels, benign: map[string]bool{}}
	for _, l := range labels {
		truth.Attackers[l.IP] = l.Class
	}
	benignIPs := map[netip.Addr]bool{}
	var h actors
	var buf []byte
	next := 0
	for next < len(plans) || h.Len() > 0 {
		if next < len(plans) && (h.Len() == 0 || plans[next].start <= h[0].next()) {
			p := &plans[next]
			next++
			h.push(&actor{start: p.start, ip: p.ip, site: int(p.site), sc: s.script(p), limit: int(p.limit)})
			if p.label < 0 {
				benignIPs[p.ip] = true
			}
			continue
		}
		var a *actor
		buf, a, _ = h.emitNext(buf[:0])
		if err := emit(s.opts.Sites[a.site], buf); err != nil {
			return truth, err
		}
		truth.Lines++
	}
	truth.BenignIPs = len(benignIPs)
	for ip := range benignIPs {
		truth.benign[ip.String()] = true
	}
	return truth, nil
}

// WriteLog writes a batch as one log, all sites together.
func (s *Simulator) WriteLog(w io.Writer) (*Truth, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	truth, err := s.Generate(func(_ Site, line []byte) error {
		bw.Write(line)
		return bw.WriteByte('\n')
	})
	if err != nil {
		return truth, err
	}
	return truth, bw.Flush()
}

// WriteDir writes a batch as one log per site, dir/<host>.log.
func (s *Simulator) WriteDir(dir string) (truth *Truth, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	type out struct {
		f *os.File
		w *bufio.Writer
	}
	outs := map[string]*out{}
	defer func() {
		for _, o := range outs {
			if e := o.w.Flush(); e != nil && err == nil {
				err = fmt.Errorf("simulate: write %s: %w", o.f.Name(), e)
			}
			if e := o.f.Close(); e != nil && err == nil {
				err = fmt.Errorf("simulate: close %s: %w", o.f.Name(), e)
			}
		}
	}()
	return s.Generate(func(site Site, line []byte) error {
		o := outs[site.Host]
		if o == nil {
			f, err := os.Create(filepath.Join(dir, site.Host+".log"))
			if err != nil {
				return fmt.Errorf("simulate: %w", err)
			}
			o = &out{f: f, w: bufio.NewWriterSize(f, 1<<16)}
			outs[site.Host] = o
		}
		o.w.Write(line)
		return o.w.WriteByte('\n')
	})
}

// Package scenario detects attacks that show only over time: one client's
// requests within a window, keyed by source address (and by user name where
// there is one). It keeps bounded state per client, reads each event once,
// and decides by the event's own time, so a replayed log gives the same
// answer as the live stream. It must never block or allocate per event on
// the common path; stateless per-request detection (CRS, Sigma) happens
// upstream and arrives here as Classes.
package scenario

import (
	"hash/maphash"
	"net/netip"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/detect/literal"
	"github.com/garda-id/garda/internal/event"
)

// Class is a bit set of per-request attack classes found upstream.
type Class uint16

// Attack classes.
const (
	SQLi Class = 1 << iota
	XSS
	RCE
	Traversal
	RFI
	PHP
	Java
	SessionFixation
	Protocol // header injection (CRS's protocol rules do not set it)
	Generic
	Scanner
	// SensitiveFile marks a request for a secret, backup or dump: set by
	// the Classifier, counted by the engine.
	SensitiveFile
)

// Def describes a scenario.
type Def struct {
	ID        string
	Title     string // English; the UI translates by ID
	Severity  string // low, medium, high, critical
	Technique string // MITRE ATT&CK
	Tactic    string
}

// The scenarios, in one table.
var (
	Probing        = &Def{"http-probing", "Probing: many 4xx on distinct paths", "medium", "T1595.003", "reconnaissance"}
	SensitiveFiles = &Def{"http-sensitive-files", "Sensitive-file hunting (.env, .git, backups, dumps)", "high", "T1552.001", "credential-access"}
	ScannerAgent   = &Def{"http-scanner", "Attack tool user agent", "medium", "T1595.002", "reconnaissance"}
	PathTraversal  = &Def{"http-path-traversal", "Path traversal attempt", "high", "T1083", "discovery"}
	SQLInjection   = &Def{"http-sqli", "SQL injection attempt", "high", "T1190", "initial-access"}
	CrossSite      = &Def{"http-xss", "Cross-site scripting attempt", "medium", "T1189", "initial-access"}
	CommandExec    = &Def{"http-rce", "Remote code execution attempt", "critical", "T1190", "initial-access"}
	WebAttack      = &Def{"http-web-attack", "Other web application attack", "medium", "T1190", "initial-access"}
	WebBruteforce  = &Def{"http-bruteforce", "Login brute force", "high", "T1110.001", "credential-access"}
	AuthBruteforce = &Def{"auth-bruteforce", "Authentication brute force (SSH, PAM)", "high", "T1110.001", "credential-access"}
	CredStuffing   = &Def{"credential-stuffing", "Credential stuffing: many user names from one client", "high", "T1110.004", "credential-access"}
	Flood          = &Def{"http-flood", "Request flood against one asset", "high", "T1499.002", "impact"}
	VoterScraping  = &Def{"voter-data-scraping", "Voter-data scraping: many distinct NIK lookups", "critical", "T1119", "collection"}
)

// All lists every scenario.
func All() []*Def {
	return []*Def{Probing, SensitiveFiles, ScannerAgent, PathTraversal, SQLInjection, CrossSite, CommandExec, WebAttack,
		WebBruteforce, AuthBruteforce, CredStuffing, Flood, VoterScraping}
}

// Signal says an event is part of a scenario that has fired for a client.
// The first signal of a firing carries Count = the events that made it
// fire, and Earlier = the last few of those before this one (as evidence);
// later ones while it stays active carry Count = 1.
type Signal struct {
	Scenario *Def
	IP       netip.Addr
	User     string
	Event    *event.Event
	Count    int
	Earlier  []Trace
}

// Trace is a copy of an earlier event kept as evidence.
type Trace struct {
	Time   time.Time
	Line   int64
	Fields map[string]string
}

// trail keeps copies of the last few events a counter counted, so that a
// firing can show what led to it. It holds the events themselves (a copy
// costs no allocation once the trail is full) and turns them into fields
// only when a firing takes them: most counted events never become
// evidence. Made on first use.
type trail struct {
	evs []event.Event // oldest first
}

const trailLength = 4

func (t *trail) push(ev *event.Event) {
	if len(t.evs) < trailLength {
		t.evs = append(t.evs, *ev)
		return
	}
	copy(t.evs, t.evs[1:])
	t.evs[trailLength-1] = *ev
}

func (t *trail) take() []Trace {
	if len(t.evs) == 0 {
		return nil
	}
	out := make([]Trace, len(t.evs))
	for i := range t.evs {
		out[i] = Trace{Time: t.evs[i].Time, Line: t.evs[i].Line, Fields: t.evs[i].Map()}
	}
	t.evs = nil // as before: a firing leaves the trail empty and holding nothing
	return out
}

// Classifier makes the per-request checks the scenarios count (attack-tool
// user agents, sensitive files); it needs no history, so it runs in the
// parallel stage. One per goroutine.
type Classifier struct {
	sensitive *literal.Matcher
	scanners  *literal.Matcher
	uaCache   map[string]bool
}

// NewClassifier makes a classifier for a configuration.
func NewClassifier(cfg Config) *Classifier {
	return &Classifier{
		sensitive: literal.New(cfg.SensitivePatterns, true),
		scanners:  literal.New(cfg.ScannerAgents, true),
		uaCache:   map[string]bool{},
	}
}

// Classify returns the classes of one request.
func (c *Classifier) Classify(ev *event.Event) Class {
	var cl Class
	if ua := ev.Get(event.UserAgent); ua != "" && c.scannerAgent(ua) {
		cl |= Scanner
	}
	if c.sensitive.Any(ev.Get(event.URLPath)) {
		cl |= SensitiveFile
	}
	return cl
}

// scannerAgent caches its answer: a site sees few distinct user agents.
func (c *Classifier) scannerAgent(ua string) bool {
	if v, ok := c.uaCache[ua]; ok {
		return v
	}
	v := c.scanners.Any(ua)
	if len(c.uaCache) > 50000 {
		clear(c.uaCache)
	}
	c.uaCache[strings.Clone(ua)] = v
	return v
}

// Engine holds the state of one shard of clients. It is not safe for
// concurrent use: shard by source address and give each shard an engine.
// It counts what the Classifier and upstream detection marked.
type Engine struct {
	cfg      Config
	clients  map[netip.Addr]int32 // IPv6 and anything not plain IPv4: its slot
	clients4 map[uint32]int32     // plain IPv4, most clients: a smaller key hashes and compares faster
	// slots hold the clients by value, so that the sweep reads them in
	// order rather than chasing a pointer per client (most clients of a
	// site's log make a request or two and are swept: genlog's million
	// lines made 610,000 clients). A swept slot is reused.
	slots     []client
	free      []int32
	seed      maphash.Seed
	lastSweep int64
	kept      int   // clients after the last sweep
	maxWindow int64 // cfg.maxWindow(), read on every event
}

// New makes an engine.
func New(cfg Config) *Engine {
	return &Engine{cfg: cfg, clients: map[netip.Addr]int32{}, clients4: map[uint32]int32{}, seed: maphash.MakeSeed(), maxWindow: int64(cfg.maxWindow())}
}

// client is one source address's state. Counters are made on first use so
// an ordinary visitor costs a few dozen bytes.
type client struct {
	ip        netip.Addr // its key; invalid in a free slot
	last      int64
	asset     string // the first asset seen: its rate is kept inline
	flood     rate
	floods    map[string]*rate // other assets
	probe     *distinct
	sensitive *recent
	webBrute  *recent
	authBrute *recent
	users     *distinct
	niks      map[uint64]*distinct // by user agent
	active    map[*Def]int64       // scenario -> time it stays active until
}

// Observe feeds one event, with the classes stateless detection and the
// Classifier found in it, and appends the signals it raises to dst.
func (e *Engine) Observe(ev *event.Event, classes Class, dst []Signal) []Signal {
	if !ev.IP.IsValid() {
		return dst
	}
	now := ev.Time.UnixNano()
	c := e.client(ev.IP)
	if c == nil {
		c = e.newClient(ev.IP)
	} else if now < c.last-e.maxWindow {
		// Older than every window of what this client's state counted (a
		// rotated file read after the newer one): that state says nothing
		// about this time, and counting the two together would count
		// backwards. Start over.
		*c = client{ip: c.ip}
	}
	c.last = max(c.last, now)
	if c.asset == "" {
		c.asset = ev.Asset
	}
	emit := func(d *Def, n int, window time.Duration) {
		dst = e.fire(dst, c, d, ev, n, now, window, nil)
	}
	// count feeds a counter's result: a firing emits with its trail, a
	// count below the threshold adds the event to the trail.
	count := func(d *Def, n int, window time.Duration, tr *trail) {
		if n > 0 {
			dst = e.fire(dst, c, d, ev, n, now, window, tr)
		} else {
			tr.push(ev)
		}
	}

	// Per-request classes: one is enough.
	const payloadWindow = 10 * time.Minute
	switch {
	case classes&RCE != 0:
		emit(CommandExec, 1, payloadWindow)
	case classes&SQLi != 0:
		emit(SQLInjection, 1, payloadWindow)
	case classes&Traversal != 0:
		emit(PathTraversal, 1, payloadWindow)
	case classes&XSS != 0:
		emit(CrossSite, 1, payloadWindow)
	case classes&(RFI|PHP|Java|SessionFixation|Generic|Protocol) != 0:
		emit(WebAttack, 1, payloadWindow)
	}

	defer e.sweep(now)
	if ev.Dataset == "system.auth" || ev.Get(event.EventCategory) == "authentication" {
		if ev.Get(event.EventOutcome) == "failure" {
			if c.authBrute == nil {
				c.authBrute = newRecent(e.cfg.AuthBruteforce.Count)
			}
			count(AuthBruteforce, c.authBrute.add(now, e.cfg.AuthBruteforce.Window), e.cfg.AuthBruteforce.Window, &c.authBrute.trail)
			if u := ev.Get(event.UserName); u != "" {
				if c.users == nil {
					c.users = newDistinct(e.cfg.CredentialStuff.Count)
				}
				count(CredStuffing, c.users.add(e.hash(u), now, e.cfg.CredentialStuff.Window), e.cfg.CredentialStuff.Window, &c.users.trail)
			}
		}
		return dst
	}

	// HTTP behaviour.
	if classes&Scanner != 0 {
		emit(ScannerAgent, 1, payloadWindow)
	}
	// A flood is against one asset; alternating assets must not reset it.
	fl := &c.flood
	if ev.Asset != c.asset {
		if c.floods == nil {
			c.floods = map[string]*rate{}
		}
		if fl = c.floods[ev.Asset]; fl == nil {
			if len(c.floods) >= maxAssetsPerClient {
				clear(c.floods)
			}
			fl = &rate{}
			c.floods[ev.Asset] = fl
		}
	}
	if n := fl.add(now, e.cfg.Flood.Window, e.cfg.Flood.Count); n > 0 {
		emit(Flood, n, e.cfg.Flood.Window)
	}
	path := ev.Get(event.URLPath)
	status := ev.Status
	if classes&SensitiveFile != 0 {
		if c.sensitive == nil {
			c.sensitive = newRecent(e.cfg.SensitiveFiles.Count)
		}
		count(SensitiveFiles, c.sensitive.add(now, e.cfg.SensitiveFiles.Window), e.cfg.SensitiveFiles.Window, &c.sensitive.trail)
	}
	if status >= 400 && status < 500 && status != 401 && status != 429 {
		if c.probe == nil {
			c.probe = newDistinct(e.cfg.Probing.Count)
		}
		count(Probing, c.probe.add(e.hash(path), now, e.cfg.Probing.Window), e.cfg.Probing.Window, &c.probe.trail)
	}
	if (status == 401 || status == 403) && ev.Get(event.HTTPMethod) == "POST" && hasPath(e.cfg.LoginPaths, path) {
		if c.webBrute == nil {
			c.webBrute = newRecent(e.cfg.WebBruteforce.Count)
		}
		count(WebBruteforce, c.webBrute.add(now, e.cfg.WebBruteforce.Window), e.cfg.WebBruteforce.Window, &c.webBrute.trail)
	}
	if q := ev.Get(event.URLQuery); q != "" && hasPath(e.cfg.VoterLookupPaths, path) {
		if nik := e.nik(q); nik != "" {
			// Counted per user agent too: behind a carrier's NAT many phones
			// share one address, each looking up its owner's NIK; a scraper
			// is one program asking for many.
			if c.niks == nil {
				c.niks = map[uint64]*distinct{}
			}
			ua := e.hash(ev.Get(event.UserAgent))
			d := c.niks[ua]
			if d == nil {
				if len(c.niks) >= maxAgentsPerClient {
					clear(c.niks)
				}
				d = newDistinct(e.cfg.Scraping.Count)
				c.niks[ua] = d
			}
			count(VoterScraping, d.add(e.hash(nik), now, e.cfg.Scraping.Window), e.cfg.Scraping.Window, &d.trail)
		}
	}
	return dst
}

// fire records that d fired (or is still active) for c and emits a signal.
func (e *Engine) fire(dst []Signal, c *client, d *Def, ev *event.Event, n int, now int64, window time.Duration, tr *trail) []Signal {
	if c.active == nil {
		c.active = map[*Def]int64{}
	}
	var earlier []Trace
	until, on := c.active[d]
	if on && now <= until {
		n = 1
	} else if tr != nil {
		earlier = tr.take()
	}
	c.active[d] = now + int64(window)
	return append(dst, Signal{Scenario: d, IP: ev.IP, User: ev.Get(event.UserName), Event: ev, Count: n, Earlier: earlier})
}

func (e *Engine) hash(s string) uint64 { return maphash.String(e.seed, s) }

// nik finds a 16-digit NIK among the query's lookup parameters.
func (e *Engine) nik(query string) string {
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		k, v, _ := strings.Cut(kv, "=")
		for _, p := range e.cfg.NIKParams {
			if strings.EqualFold(k, p) && len(v) >= 16 && allDigits(v[:16]) {
				return v[:16]
			}
		}
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hasPath(paths []string, path string) bool {
	for _, p := range paths {
		if len(path) >= len(p) && strings.EqualFold(path[:len(p)], p) && (len(path) == len(p) || path[len(p)] == '/' || path[len(p)] == '.') {
			return true
		}
	}
	return false
}

// sweep forgets clients idle longer than any window, so memory follows
// the active clients, not all ever seen. It runs when the clients have
// doubled since the last sweep and a window has passed: its cost spreads
// thin over the events that made the clients.
func (e *Engine) sweep(now int64) {
	if now < e.lastSweep {
		e.lastSweep = now // an event from the future must not stop sweeps
	}
	if e.Clients() < max(1024, 2*e.kept) || now-e.lastSweep < e.maxWindow {
		return
	}
	defer func() { e.lastSweep, e.kept = now, e.Clients() }()
	idle := e.maxWindow
	for i := range e.slots {
		c := &e.slots[i]
		if !c.ip.IsValid() || now-c.last <= idle {
			continue
		}
		if c.ip.Is4() {
			delete(e.clients4, v4Key(c.ip))
		} else {
			delete(e.clients, c.ip)
		}
		*c = client{}
		e.free = append(e.free, int32(i))
	}
}

// client returns an address's state, or nil. It stays valid until the
// next newClient or sweep.
func (e *Engine) client(ip netip.Addr) *client {
	var i int32
	var ok bool
	if ip.Is4() {
		i, ok = e.clients4[v4Key(ip)]
	} else {
		i, ok = e.clients[ip]
	}
	if !ok {
		return nil
	}
	return &e.slots[i]
}

// newClient adds an address's empty state.
func (e *Engine) newClient(ip netip.Addr) *client {
	var i int32
	if n := len(e.free); n > 0 {
		i, e.free = e.free[n-1], e.free[:n-1]
	} else {
		i = int32(len(e.slots))
		e.slots = append(e.slots, client{})
	}
	if ip.Is4() {
		e.clients4[v4Key(ip)] = i
	} else {
		e.clients[ip] = i
	}
	c := &e.slots[i]
	c.ip = ip
	return c
}

func v4Key(ip netip.Addr) uint32 {
	b := ip.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// Clients is the number of clients with state (for metrics and tests).
func (e *Engine) Clients() int { return len(e.clients) + len(e.clients4) }

func (c Config) maxWindow() time.Duration {
	m := 10 * time.Minute
	for _, w := range []time.Duration{c.Probing.Window, c.SensitiveFiles.Window, c.WebBruteforce.Window, c.AuthBruteforce.Window,
		c.CredentialStuff.Window, c.Flood.Window, c.Scraping.Window} {
		m = max(m, w)
	}
	return m
}

// recent keeps the times of the last n matching events: the scenario fires
// when all n lie within the window (an exact sliding window).
type recent struct {
	trail
	times []int64
	next  int
	full  bool
}

func newRecent(n int) *recent { return &recent{times: make([]int64, n)} }

// add records an event and returns n when the last n events fall within
// window (0 otherwise).
func (r *recent) add(now int64, window time.Duration) int {
	r.times[r.next] = now
	r.next = (r.next + 1) % len(r.times)
	if r.next == 0 {
		r.full = true
	}
	if !r.full {
		return 0
	}
	// The last n lie within the window when the earliest and the latest
	// of them do: in time order, now and the oldest slot; out of order,
	// either may be anywhere.
	lo, hi := now, now
	for _, t := range r.times {
		lo, hi = min(lo, t), max(hi, t)
	}
	if hi-lo <= int64(window) {
		return len(r.times)
	}
	return 0
}

// distinct keeps up to n distinct values with when each was last seen: the
// scenario fires when n distinct values were seen within the window.
type distinct struct {
	trail
	vals  []uint64
	times []int64
}

// Caps on counts, so that one client's state stays small.
const (
	maxDistinct        = 1000
	maxRecent          = 10000
	maxAgentsPerClient = 64
	maxAssetsPerClient = 256
)

func newDistinct(n int) *distinct {
	return &distinct{vals: make([]uint64, 0, n), times: make([]int64, 0, n)}
}

func (d *distinct) add(v uint64, now int64, window time.Duration) int {
	oldest := -1
	for i, x := range d.vals {
		if x == v {
			d.times[i] = max(d.times[i], now)
			return d.count(now, window)
		}
		if oldest < 0 || d.times[i] < d.times[oldest] {
			oldest = i
		}
	}
	if len(d.vals) < cap(d.vals) {
		d.vals, d.times = append(d.vals, v), append(d.times, now)
	} else {
		d.vals[oldest], d.times[oldest] = v, now
	}
	return d.count(now, window)
}

// count reads the window at the newest time kept, not at now: a value
// seen late must not make older ones look recent.
func (d *distinct) count(now int64, window time.Duration) int {
	if len(d.vals) < cap(d.vals) {
		return 0
	}
	newest := now
	for _, t := range d.times {
		newest = max(newest, t)
	}
	for _, t := range d.times {
		if newest-t > int64(window) {
			return 0
		}
	}
	return len(d.vals)
}

// rate approximates a sliding-window count with two fixed buckets in
// event time: start is where the current one begins. A line that arrives
// late is counted in the bucket of its own time, or not at all when it is
// older than both, and the estimate is read at the newest time seen: it is
// never more than the lines counted, however the times jump.
type rate struct {
	start, newest int64
	cur, prev     int32
}

func (r *rate) add(now int64, window time.Duration, limit int) int {
	w := int64(window)
	switch {
	case r.start == 0 || now-r.start >= 2*w:
		r.start, r.newest, r.prev, r.cur = now, now, 0, 0
	case now-r.start >= w:
		r.start, r.prev, r.cur = r.start+w, r.cur, 0
	case now < r.start-w:
		return 0 // older than both buckets
	}
	if now < r.start {
		r.prev++
	} else {
		r.cur++
	}
	r.newest = max(r.newest, now)
	weight := min(max(float64(w-(r.newest-r.start))/float64(w), 0), 1)
	est := float64(r.cur) + float64(r.prev)*weight
	if int(est) >= limit {
		return int(est)
	}
	return 0
}

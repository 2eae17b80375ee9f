package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/region"
)

// The people's loads (GARDA_CLUSTER_SESSIONS=1; scripts/cluster-faults.sh
// --sessions): 500 signed-in people reading their queues and the national
// map, and 1,000 browsers following the alert stream, on the cluster. They
// are figures, not faults, so CI's GARDA_CLUSTER=1 alone skips them.

// sessionsEnabled skips a test unless the people's loads were asked for.
func sessionsEnabled(t *testing.T) {
	t.Helper()
	enabled(t)
	if os.Getenv("GARDA_CLUSTER_SESSIONS") == "" {
		t.Skip("the sessions and stream loads run with GARDA_CLUSTER_SESSIONS=1 (scripts/cluster-faults.sh --sessions)")
	}
}

// envInt reads a positive integer setting, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// peoplePassword is every seeded person's password (the rules refuse
// common ones; this is not one).
const peoplePassword = "Sesi-Beban-Garda-2026!"

// person is a seeded account and, once signed in, its browser session.
type person struct {
	username string
	org      string
	role     string
	scope    string
	cookie   string // garda_session
}

// national reports whether the person reads the whole nation's alerts.
func (p *person) national() bool { return p.scope == "" }

// sitesOverRegions gives KPU's 553 sites a region each, as the real ones
// have: the national site, one for each province, one for each regency
// and city. KPU RI stays their owner (it hosts them and sends their logs:
// only an asset's owner may), so an alert on a site goes to BSSN's
// analysts and to the site's province's operation room (its Diskominfo),
// whose people see the part of it their scope covers, and to no one else.
func (c *Cluster) sitesOverRegions() {
	c.t.Helper()
	places := []string{""}
	for _, p := range region.Provinces() {
		places = append(places, p.Code)
	}
	for _, p := range region.Provinces() {
		for _, r := range region.Regencies(p.Code) {
			places = append(places, r.Code)
		}
	}
	for n, id := range c.assets {
		body, _ := json.Marshal(map[string]any{"region": places[n%len(places)]})
		if status, b := c.do(c.insts[n%len(c.insts)], "PATCH", "/api/v1/assets/"+itoa(id), body, nil); status != http.StatusOK {
			c.t.Fatalf("site %d to region %q: %d %s", id, places[n%len(places)], status, b)
		}
	}
}

// seedPeople creates n accounts through the API, as an administrator
// would: each province's operation-room operator (its Diskominfo, scope
// the province), one national analyst (BSSN) in ten, and for the rest the
// operation rooms' operators who watch one regency or city each (their
// province's Diskominfo, scope the regency).
func (c *Cluster) seedPeople(n int) []*person {
	c.t.Helper()
	var regencies []region.Region
	for _, p := range region.Provinces() {
		regencies = append(regencies, region.Regencies(p.Code)...)
	}
	var people []*person
	for _, p := range region.Provinces() {
		people = append(people, &person{username: "op." + p.Code, org: "diskominfo-" + p.Code, role: "operator", scope: p.Code})
	}
	for i := range max(1, n/10) {
		people = append(people, &person{username: fmt.Sprintf("analis.%03d", i+1), org: "bssn", role: "analyst"})
	}
	for i := 0; len(people) < n; i++ {
		r := regencies[i%len(regencies)]
		people = append(people, &person{username: fmt.Sprintf("op.%s.%d", r.Code, i/len(regencies)), org: "diskominfo-" + region.Province(r.Code),
			role: "operator", scope: r.Code})
	}
	people = people[:n]
	// A few at once: each costs an argon2id hash on the instance.
	work := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				p := people[i]
				body, _ := json.Marshal(map[string]string{"username": p.username, "display_name": p.username, "org": p.org,
					"role": p.role, "scope": p.scope, "password": peoplePassword})
				if status, b := c.do(c.insts[(i+w)%len(c.insts)], "POST", "/api/v1/users", body, nil); status != http.StatusCreated {
					failed.Store(fmt.Sprintf("create %s: %d %s", p.username, status, b))
				}
			}
		}()
	}
	for i := range people {
		work <- i
	}
	close(work)
	wg.Wait()
	if f := failed.Load(); f != nil {
		c.t.Fatal(f)
	}
	return people
}

// browser is the HTTP client of the simulated people: many connections
// kept open (a browser keeps its own), no redirects followed (the
// sign-in's 303 carries the session cookie).
var browser = &http.Client{
	Timeout: 60 * time.Second,
	Transport: &http.Transport{MaxIdleConns: 4000, MaxIdleConnsPerHost: 2000, IdleConnTimeout: 90 * time.Second,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// signIn signs the person in through the sign-in form, as a browser does:
// GET /login sets the pre-session cookie the form repeats, POST /login
// answers 303 with the session cookie.
func (p *person) signIn(inst *instance) error {
	resp, err := browser.Get(inst.url("/login"))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	var pre string
	for _, ck := range resp.Cookies() {
		if ck.Name == "garda_presession" {
			pre = ck.Value
		}
	}
	if pre == "" {
		return fmt.Errorf("GET /login set no pre-session cookie (%d)", resp.StatusCode)
	}
	form := url.Values{"username": {p.username}, "password": {peoplePassword}, "csrf": {pre}, "next": {"/"}}
	req, _ := http.NewRequest("POST", inst.url("/login"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "garda_presession", Value: pre})
	resp, err = browser.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "garda_session" {
			p.cookie = ck.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || p.cookie == "" {
		return fmt.Errorf("sign in %s: %d %s", p.username, resp.StatusCode, tail(b, 300))
	}
	return nil
}

// signInAll signs everyone in, a few at once.
func (c *Cluster) signInAll(people []*person) {
	c.t.Helper()
	work := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := people[i].signIn(c.insts[i%len(c.insts)]); err != nil {
					failed.Store(err.Error())
				}
			}
		}()
	}
	for i := range people {
		work <- i
	}
	close(work)
	wg.Wait()
	if f := failed.Load(); f != nil {
		c.t.Fatal(f)
	}
}

// get sends one request of the person's browser and reads the answer.
func (p *person) get(ctx context.Context, inst *instance, path string) (int, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", inst.url(path), nil)
	req.AddCookie(&http.Cookie{Name: "garda_session", Value: p.cookie})
	resp, err := browser.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// sessionPage is one of the pages a person's session loads in turn.
type sessionPage struct {
	name string
	path func(p *person) string
}

// sessionPages: an operator's queue (the page, and the API list with its
// filters), and the national map (the page, and its data).
var sessionPages = []sessionPage{
	{"queue_page", func(p *person) string { return "/pemantauan?status=new,acknowledged" }},
	{"alerts_api", func(p *person) string {
		if p.national() {
			return "/api/v1/alerts?status=new,acknowledged&severity=high&limit=50"
		}
		return "/api/v1/alerts?status=new,acknowledged&region=" + p.scope + "&limit=50"
	}},
	{"map_page", func(*person) string { return "/" }},
	{"map_data", func(*person) string { return "/api/v1/overview" }},
}

// timings collects the answers' times of one page.
type timings struct {
	mu     sync.Mutex
	took   []time.Duration
	errors int
	first  string // the first error, for the log
}

func (tm *timings) add(d time.Duration, status int, err error) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if err != nil || status != http.StatusOK {
		tm.errors++
		if tm.first == "" {
			tm.first = fmt.Sprintf("status %d, %v", status, err)
		}
		return
	}
	tm.took = append(tm.took, d)
}

// percentile of sorted durations, in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return float64(sorted[i].Microseconds()) / 1000
}

// cpuTime is the CPU time (user and system) the process has used so far
// (0 when it is gone): on a machine other work loads, CPU per request says
// more than the wall clock.
func (p *proc) cpuTime() time.Duration {
	if !p.alive() {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command's closing parenthesis: utime and stime
	// are the 12th and 13th, in clock ticks (100 a second on Linux).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// cpuOf sums the instances' CPU time.
func (c *Cluster) cpuOf() time.Duration {
	var d time.Duration
	for _, i := range c.insts {
		d += i.cpuTime()
	}
	return d
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], ",")
}

// browse runs the sessions for d: each loads its pages in turn with a
// think time drawn uniformly from [think/2, 3*think/2], the requests
// going round-robin over the instances. It returns each page's timings.
func (c *Cluster) browse(people []*person, d, think time.Duration) map[string]*timings {
	out := map[string]*timings{}
	for _, pg := range sessionPages {
		out[pg.name] = &timings{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	for i, p := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			pause := func(d time.Duration) bool {
				select {
				case <-ctx.Done():
					return false
				case <-time.After(d):
					return true
				}
			}
			// Sessions start spread over one think time, not all at once.
			if !pause(time.Duration(r.Int64N(int64(think)))) {
				return
			}
			for n := r.IntN(len(sessionPages)); ; n++ {
				pg := sessionPages[n%len(sessionPages)]
				inst := c.insts[int(next.Add(1))%len(c.insts)]
				start := time.Now()
				status, _, err := p.get(ctx, inst, pg.path(p))
				if ctx.Err() != nil {
					return // cut by the end of the run: not an answer
				}
				out[pg.name].add(time.Since(start), status, err)
				if !pause(think/2 + time.Duration(r.Int64N(int64(think)))) {
					return
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// TestSessionsLoad: 500 people signed in through the sign-in form
// (operators of the 38 provinces' operation rooms and of regencies,
// national analysts) load their alert queue (the page and the API list
// with its filters) and the national map (the page and its data) with
// think time, against 1 instance and then 3 (requests round-robin), while
// the 553 sites ingest at a stated rate: one BENCH line per page and size.
// Then, on the same cluster and people, 1,000 browsers follow the alert
// stream (sse-fanout). The three parts share one setup (the sites, the
// accounts, their sign-ins: about ten minutes on a loaded machine);
// -run 'TestSessionsLoad/sse' runs the stream part alone.
// GARDA_SESSIONS (500), GARDA_SESSIONS_SECONDS (60 a size),
// GARDA_SESSIONS_THINK_MS (5000 on average) change the sessions' load.
func TestSessionsLoad(t *testing.T) {
	sessionsEnabled(t)
	n := envInt("GARDA_SESSIONS", 500)
	readers := envInt("GARDA_SSE_READERS", 1000)
	limit := raiseFileLimit(t, uint64(readers)*2+1000)
	t.Logf("open-file limit %d (inherited by the instances)", limit)
	start := time.Now()
	c := startCluster(t, 1, nil)
	c.sitesOverRegions()
	people := c.seedPeople(max(n, readers/2))
	c.signInAll(people)
	t.Logf("cluster, sites, %d people signed in: %s", len(people), time.Since(start).Round(time.Second))
	// Alerts in the queues before the first measure: a queue is read
	// under load, not empty.
	warm := newLoad(c, 70, 50, 4, 10)
	stopWarm := runLoad(warm)
	time.Sleep(15 * time.Second)
	stopWarm()
	for _, size := range []int{1, 3} {
		t.Run(fmt.Sprintf("instances=%d", size), func(t *testing.T) { c.sessionsRun(t, people[:n], size) })
	}
	t.Run("sse-fanout", func(t *testing.T) { c.sseFanout(t, people, readers) })
}

// grow starts instances until there are n.
func (c *Cluster) grow(n int) {
	for i := len(c.insts); i < n; i++ {
		c.addInstance(i)
		c.waitReady(c.insts[i])
	}
}

// sessionsRun is one size's sessions load.
func (c *Cluster) sessionsRun(t *testing.T, people []*person, size int) {
	secs := envInt("GARDA_SESSIONS_SECONDS", 60)
	think := time.Duration(envInt("GARDA_SESSIONS_THINK_MS", 5000)) * time.Millisecond
	n := len(people)
	c.grow(size)
	// Ingest under the sessions: 10 requests a second of 50 lines (500
	// lines/s), one SQL injection in each (two alerts).
	l := newLoad(c, 70+size, 50, 4, 10)
	stop := runLoad(l)
	start, cpu0 := time.Now(), c.cpuOf()
	peak := make([]int64, len(c.insts))
	sample, stopSample := context.WithCancel(context.Background())
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for sample.Err() == nil {
			for i, inst := range c.insts {
				peak[i] = max(peak[i], inst.rss())
			}
			time.Sleep(time.Second)
		}
	}()
	res := c.browse(people, time.Duration(secs)*time.Second, think)
	took, cpu := time.Since(start), c.cpuOf()-cpu0
	stopSample()
	<-sampled
	stop()
	l.mu.Lock()
	ingested := l.linesAck
	l.mu.Unlock()
	total := 0
	for _, pg := range sessionPages {
		tm := res[pg.name]
		slices.Sort(tm.took)
		total += len(tm.took) + tm.errors
		fmt.Printf("BENCH sessions=%d instances=%d page=%s requests=%d p50_ms=%.1f p99_ms=%.1f errors=%d\n",
			n, size, pg.name, len(tm.took)+tm.errors, percentile(tm.took, 0.50), percentile(tm.took, 0.99), tm.errors)
		if tm.first != "" {
			t.Logf("instances=%d %s: first error: %s", size, pg.name, tm.first)
		}
		if len(tm.took) == 0 {
			t.Errorf("instances=%d: no %s request was answered", size, pg.name)
		}
	}
	if ingested == 0 {
		t.Errorf("instances=%d: no ingest request was acknowledged under the sessions", size)
	}
	fmt.Printf("BENCH sessions=%d instances=%d seconds=%.0f requests_per_s=%.1f ingest_lines_per_s=%.0f instances_cpu_s=%.1f cpu_ms_per_request=%.1f rss_mb=%s loadavg=%s\n",
		n, size, took.Seconds(), float64(total)/took.Seconds(), float64(ingested)/took.Seconds(), cpu.Seconds(),
		float64(cpu.Milliseconds())/float64(max(1, total)), joinMiB(peak), loadavg())
}

// reader is one browser tab following the alert stream as a person.
type reader struct {
	who  *person
	inst *instance

	mu       sync.Mutex
	got      map[int64]time.Duration // alert id -> from its raising to its first receipt
	ready    bool
	ended    int // streams ended under it (reconnected with Last-Event-ID)
	gaps     int // "gap" events: the server could not catch it up (a browser reloads)
	lastErr  string
	lastSeen time.Time
}

// follow reads the stream until ctx ends, reconnecting (with Last-Event-ID)
// when the server ends it.
func (r *reader) follow(ctx context.Context, ready *sync.WaitGroup) {
	last := ""
	once := sync.OnceFunc(ready.Done)
	defer once()
	for ctx.Err() == nil {
		last = r.read(ctx, last, once)
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		r.ended++
		r.mu.Unlock()
		time.Sleep(time.Second)
	}
}

func (r *reader) read(ctx context.Context, last string, ready func()) string {
	req, _ := http.NewRequestWithContext(ctx, "GET", r.inst.url("/api/v1/alerts/stream"), nil)
	req.AddCookie(&http.Cookie{Name: "garda_session", Value: r.who.cookie})
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	// A stream outlives any client timeout: a client of its own.
	resp, err := streamClient.Do(req)
	if err != nil {
		r.mu.Lock()
		r.lastErr = err.Error()
		r.mu.Unlock()
		return last
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.mu.Lock()
		r.lastErr = "status " + strconv.Itoa(resp.StatusCode)
		r.mu.Unlock()
		return last
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("id: ")); ok {
			last = string(v)
			r.mu.Lock()
			if !r.ready {
				r.ready = true
				ready()
			}
			r.mu.Unlock()
			continue
		}
		if bytes.Equal(line, []byte("event: gap")) {
			r.mu.Lock()
			r.gaps++
			r.mu.Unlock()
			continue
		}
		v, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue
		}
		now := time.Now()
		var a struct {
			ID        int64     `json:"id"`
			CreatedAt time.Time `json:"created_at"`
		}
		if json.Unmarshal(v, &a) != nil || a.ID == 0 {
			continue
		}
		r.mu.Lock()
		if _, seen := r.got[a.ID]; !seen {
			r.got[a.ID] = now.Sub(a.CreatedAt)
		}
		r.lastSeen = now
		r.mu.Unlock()
	}
	return last
}

var streamClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2000,
	DialContext: (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext}}

// raiseFileLimit lifts the process's open-file limit to its hard limit
// (1,000 streams are 1,000 sockets here, and as many in the instances,
// which inherit it), and returns the limit in force.
func raiseFileLimit(t *testing.T, need uint64) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatalf("raise the open-file limit to %d: %v", lim.Max, err)
		}
	}
	if lim.Cur < need {
		t.Fatalf("the open-file limit is %d (hard), and the stream readers need about %d", lim.Cur, need)
	}
	return lim.Cur
}

// visibleAlerts lists, as the person (their session, through the API),
// the alerts of the load's addresses (100.<net>.*) they may read.
func (c *Cluster) visibleAlerts(p *person, since time.Time, net int) (map[int64]bool, error) {
	out := map[int64]bool{}
	prefix := fmt.Sprintf("100.%d.", net)
	cursor := ""
	for {
		path := "/api/v1/alerts?limit=500&since=" + url.QueryEscape(since.UTC().Format(time.RFC3339))
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		status, b, err := p.get(context.Background(), c.insts[0], path)
		if err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("list alerts as %s: %d %v %s", p.username, status, err, tail(b, 300))
		}
		var page struct {
			Items []struct {
				ID       int64  `json:"id"`
				SourceIP string `json:"source_ip"`
			} `json:"items"`
			Next string `json:"next_cursor"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("list alerts as %s: %v", p.username, err)
		}
		for _, a := range page.Items {
			if strings.HasPrefix(a.SourceIP, prefix) {
				out[a.ID] = true
			}
		}
		if page.Next == "" {
			return out, nil
		}
		cursor = page.Next
	}
}

// sseFanout: 1,000 browsers (two tabs of each of 500 people) follow the
// alert stream, spread round-robin over the 3 instances, while the 553
// sites raise alerts at a known rate. Every reader must be sent every
// alert it may read (the API's list as that person is the reference);
// the line gives the misses, the delivery latency from the alert's
// raising (its created_at) to its receipt, and each instance's RSS.
// GARDA_SSE_READERS (1000), GARDA_SSE_SECONDS (40) and GARDA_SSE_RATE
// (attack requests a second, 5: two alerts each) change the load.
func (c *Cluster) sseFanout(t *testing.T, people []*person, readers int) {
	secs := envInt("GARDA_SSE_SECONDS", 40)
	rate := envInt("GARDA_SSE_RATE", 5)
	c.grow(3)
	people = people[:max(1, min(len(people), readers/2))]
	idle := make([]int64, len(c.insts))
	for i, inst := range c.insts {
		idle[i] = inst.rss()
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ready sync.WaitGroup
	rs := make([]*reader, readers)
	for i := range rs {
		rs[i] = &reader{who: people[i%len(people)], inst: c.insts[i%len(c.insts)], got: map[int64]time.Duration{}}
		ready.Add(1)
		go rs[i].follow(ctx, &ready)
	}
	waited := make(chan struct{})
	go func() { ready.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(3 * time.Minute):
		t.Fatal("the readers' streams did not all open within 3 minutes")
	}
	connected := make([]int64, len(c.insts))
	for i, inst := range c.insts {
		connected[i] = inst.rss()
	}
	t.Logf("%d streams open; RSS idle %v MiB, with the streams %v MiB", readers, mib(idle), mib(connected))

	// The alerts: one SQL injection a request from an address of its own,
	// each raising two alerts on a random site.
	since := time.Now().Add(-2 * time.Second)
	l := newLoad(c, 90, 20, 4, float64(rate))
	cpu0 := c.cpuOf()
	stop := runLoad(l)
	peak := slices.Clone(connected)
	for end := time.Now().Add(time.Duration(secs) * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
		for i, inst := range c.insts {
			peak[i] = max(peak[i], inst.rss())
		}
	}
	stop()
	tl := l.settle(45 * time.Second)
	// What each person may see, asked once per person (the instances' CPU
	// for these reads is left out of the figure).
	beforeAsk := c.cpuOf()
	expect := map[string]map[int64]bool{}
	for _, p := range people {
		ids, err := c.visibleAlerts(p, since, 90)
		if err != nil {
			t.Fatal(err)
		}
		expect[p.username] = ids
	}
	asking := c.cpuOf() - beforeAsk
	// The streams' last deliveries: wait until every reader has been sent
	// every alert its person may see (or the test's deadline: the count
	// below then says what was missed).
	for until := waitUntil(t); time.Now().Before(until); time.Sleep(time.Second) {
		behind := false
		for _, r := range rs {
			r.mu.Lock()
			for id := range expect[r.who.username] {
				if _, ok := r.got[id]; !ok {
					behind = true
					break
				}
			}
			r.mu.Unlock()
			if behind {
				break
			}
		}
		if !behind {
			break
		}
		for i, inst := range c.insts {
			peak[i] = max(peak[i], inst.rss())
		}
	}

	cpu := c.cpuOf() - cpu0 - asking
	all, _ := c.visibleAlerts(people[slices.IndexFunc(people, (*person).national)], since, 90)
	var lat []time.Duration
	missed, deliveries, ended, gaps, notReading := 0, 0, 0, 0, 0
	for _, r := range rs {
		r.mu.Lock()
		for id := range expect[r.who.username] {
			d, ok := r.got[id]
			if !ok {
				missed++
				continue
			}
			deliveries++
			lat = append(lat, d)
		}
		for id := range r.got {
			if all[id] && !expect[r.who.username][id] {
				t.Errorf("%s was sent alert %d, which their list does not show", r.who.username, id)
			}
		}
		ended += r.ended
		gaps += r.gaps
		if r.lastErr != "" {
			notReading++
		}
		r.mu.Unlock()
	}
	cancel()
	slices.Sort(lat)
	fmt.Printf("BENCH sse readers=%d alerts=%d missed=%d p50_ms=%.0f p99_ms=%.0f rss_mb=%s deliveries=%d streams_ended=%d gaps=%d readers_with_errors=%d instances_cpu_s=%.1f alerts_per_s=%.1f rss_idle_mb=%s rss_streams_open_mb=%s lost_lines=%d loadavg=%s\n",
		readers, len(all), missed, percentile(lat, 0.50), percentile(lat, 0.99), joinMiB(peak), deliveries, ended, gaps, notReading, cpu.Seconds(),
		float64(tl.alerts)/float64(secs), joinMiB(idle), joinMiB(connected), tl.lost, loadavg())
	if missed > 0 {
		t.Errorf("the readers missed %d of %d deliveries", missed, missed+deliveries)
	}
	if len(all) == 0 {
		t.Error("no alert was raised: the load did not run")
	}
}

func mib(b []int64) []int64 {
	out := make([]int64, len(b))
	for i, v := range b {
		out[i] = v >> 20
	}
	return out
}

func joinMiB(b []int64) string {
	var s []string
	for _, v := range mib(b) {
		s = append(s, strconv.FormatInt(v, 10))
	}
	return strings.Join(s, ",")
}

package simulate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/detect/scenario"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
)

func batch(t testing.TB, opts Options) ([]byte, *Truth) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	truth, err := s.WriteLog(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), truth
}

func TestDeterministic(t *testing.T) {
	opts := Options{Lines: 20000, Seed: 7, ElectionDay: true}
	a, ta := batch(t, opts)
	b, tb := batch(t, opts)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Fatal("the same seed gave different logs")
	}
	if fmt.Sprint(ta.Attackers) != fmt.Sprint(tb.Attackers) || ta.BenignIPs != tb.BenignIPs || ta.Lines != tb.Lines {
		t.Fatal("the same seed gave different truths")
	}
	opts.Seed = 8
	if c, _ := batch(t, opts); bytes.Equal(a, c) {
		t.Fatal("another seed gave the same log")
	}
	if n := bytes.Count(a, []byte("\n")); n != 20000 || ta.Lines != 20000 {
		t.Fatalf("lines: %d written, %d in the truth; want 20000", n, ta.Lines)
	}
}

// parsed is a batch's lines as events, per client address.
func parse(t testing.TB, log []byte) map[string][]event.Event {
	t.Helper()
	f, ok := format.Lookup("nginx")
	if !ok {
		t.Fatal("no nginx format")
	}
	by := map[string][]event.Event{}
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		var ev event.Event
		if err := f.Parse(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d does not parse: %v\n%s", n, err, sc.Text())
		}
		if !ev.IP.IsValid() || ev.Time.IsZero() || ev.Status == 0 || ev.Get(event.HTTPMethod) == "" || ev.Get(event.URLPath) == "" {
			t.Fatalf("line %d parses incompletely: %v\n%s", n, ev.Map(), sc.Text())
		}
		by[ev.IP.String()] = append(by[ev.IP.String()], ev)
	}
	return by
}

func TestLinesParse(t *testing.T) {
	opts := Options{Lines: 30000, Seed: 3, ElectionDay: true}
	log, truth := batch(t, opts)
	by := parse(t, log)
	var last time.Time
	f, _ := format.Lookup("nginx")
	for i, line := range bytes.Split(bytes.TrimSuffix(log, []byte("\n")), []byte("\n")) {
		var ev event.Event
		f.Parse(line, &ev)
		if ev.Time.Before(last) {
			t.Fatalf("line %d goes back in time: %s after %s", i+1, ev.Time, last)
		}
		last = ev.Time
	}
	start := time.Date(2024, 2, 14, 0, 0, 0, 0, wib)
	if first := by[truth.Labels[0].IP][0].Time; first.Before(start) || last.After(start.Add(25*time.Hour)) {
		t.Errorf("log time outside the span: %s .. %s", first, last)
	}
	// An attacker past the documentation ranges' 762 IPv4 addresses has an
	// IPv6 one; its lines parse as well.
	line := appendLine(nil, attackerIP(800), start, "curl/8.5.0", &request{method: "GET", target: "/.env", status: 404, bytes: 153})
	var ev event.Event
	if err := f.Parse(line, &ev); err != nil || !ev.IP.Is6() || ev.Get(event.URLPath) != "/.env" {
		t.Errorf("IPv6 line %s: %v %v", line, err, ev.Map())
	}
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{Lines: 5000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	truth, err := s.WriteDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, site := range s.Sites() {
		b, err := os.ReadFile(filepath.Join(dir, site.Host+".log"))
		if err != nil {
			t.Errorf("%s: %v", site.Name, err)
			continue
		}
		total += bytes.Count(b, []byte("\n"))
	}
	if total != truth.Lines || total != 5000 {
		t.Errorf("%d lines in the files, %d in the truth; want 5000", total, truth.Lines)
	}
}

func TestEveryClassLabelled(t *testing.T) {
	log, truth := batch(t, Options{Lines: 60000, Seed: 11})
	by := parse(t, log)
	classes := map[string]int{}
	for _, l := range truth.Labels {
		classes[l.Class]++
		if truth.Attackers[l.IP] != l.Class {
			t.Errorf("label %v and truth %q disagree", l, truth.Attackers[l.IP])
		}
		if len(by[l.IP]) == 0 {
			t.Errorf("attacker %s (%s) sent nothing", l.IP, l.Class)
		}
		if IsBenign(l.IP) || truth.Benign(l.IP) {
			t.Errorf("attacker %s counts as benign", l.IP)
		}
		if l.Site == "" {
			t.Errorf("attacker %s has no site", l.IP)
		}
	}
	for _, c := range Classes() {
		if classes[c] == 0 {
			t.Errorf("no %s attacker", c)
		}
	}
	benign := 0
	for ip := range by {
		if _, bad := truth.Attackers[ip]; bad {
			continue
		}
		benign++
		if !truth.Benign(ip) || !IsBenign(ip) {
			t.Errorf("%s is neither attacker nor benign", ip)
		}
	}
	if benign != truth.BenignIPs {
		t.Errorf("%d benign addresses in the log, %d in the truth", benign, truth.BenignIPs)
	}
}

// stats are the most one client did within each scenario's window.
type stats struct {
	probing, sensitive, bruteforce, scraping, flood, scanner int
}

// clientStats measures a client's events against the scenarios' windows,
// as internal/detect/scenario counts them.
func clientStats(cfg scenario.Config, evs []event.Event) stats {
	var st stats
	under := func(paths []string, path string) bool {
		for _, p := range paths {
			if len(path) >= len(p) && strings.EqualFold(path[:len(p)], p) && (len(path) == len(p) || path[len(p)] == '/' || path[len(p)] == '.') {
				return true
			}
		}
		return false
	}
	anyOf := func(subs []string, s string) bool {
		s = strings.ToLower(s)
		for _, x := range subs {
			if strings.Contains(s, strings.ToLower(x)) {
				return true
			}
		}
		return false
	}
	nikOf := func(q string) string {
		for _, kv := range strings.Split(q, "&") {
			k, v, _ := strings.Cut(kv, "=")
			for _, p := range cfg.NIKParams {
				if strings.EqualFold(k, p) && len(v) >= 16 {
					return v[:16]
				}
			}
		}
		return ""
	}
	st.probing = window(evs, cfg.Probing.Window, true, func(e *event.Event) string {
		if e.Status >= 400 && e.Status < 500 && e.Status != 401 && e.Status != 429 {
			return e.Get(event.URLPath)
		}
		return ""
	})
	st.sensitive = window(evs, cfg.SensitiveFiles.Window, false, func(e *event.Event) string {
		if anyOf(cfg.SensitivePatterns, e.Get(event.URLPath)) {
			return "x"
		}
		return ""
	})
	st.bruteforce = window(evs, cfg.WebBruteforce.Window, false, func(e *event.Event) string {
		if (e.Status == 401 || e.Status == 403) && e.Get(event.HTTPMethod) == "POST" && under(cfg.LoginPaths, e.Get(event.URLPath)) {
			return "x"
		}
		return ""
	})
	st.scraping = window(evs, cfg.Scraping.Window, true, func(e *event.Event) string {
		if under(cfg.VoterLookupPaths, e.Get(event.URLPath)) {
			return nikOf(e.Get(event.URLQuery))
		}
		return ""
	})
	st.flood = window(evs, cfg.Flood.Window, false, func(*event.Event) string { return "x" })
	for i := range evs {
		if anyOf(cfg.ScannerAgents, evs[i].Get(event.UserAgent)) {
			st.scanner++
		}
	}
	return st
}

// window is the most events (or distinct keys) of one client within any
// span of w; key "" leaves an event out.
func window(evs []event.Event, w time.Duration, distinct bool, key func(*event.Event) string) int {
	type hit struct {
		t time.Time
		k string
	}
	var hits []hit
	for i := range evs {
		if k := key(&evs[i]); k != "" {
			hits = append(hits, hit{evs[i].Time, k})
		}
	}
	best, lo := 0, 0
	count := map[string]int{}
	for i, h := range hits {
		count[h.k]++
		for h.t.Sub(hits[lo].t) > w {
			if count[hits[lo].k]--; count[hits[lo].k] == 0 {
				delete(count, hits[lo].k)
			}
			lo++
		}
		n := i - lo + 1
		if distinct {
			n = len(count)
		}
		best = max(best, n)
	}
	return best
}

func TestBenignBelowThresholds(t *testing.T) {
	cfg := scenario.DefaultConfig()
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"a day, 100k lines", Options{Lines: 100000, Seed: 5, ElectionDay: true}},
		{"two busy hours, 150k lines", Options{Lines: 150000, Seed: 6, ElectionDay: true, Span: 2 * time.Hour, Start: time.Date(2024, 2, 14, 19, 0, 0, 0, wib)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, truth := batch(t, tc.opts)
			var worst stats
			for ip, evs := range parse(t, log) {
				if !truth.Benign(ip) {
					continue
				}
				st := clientStats(cfg, evs)
				worst = stats{max(worst.probing, st.probing), max(worst.sensitive, st.sensitive), max(worst.bruteforce, st.bruteforce),
					max(worst.scraping, st.scraping), max(worst.flood, st.flood), max(worst.scanner, st.scanner)}
				if st.probing >= cfg.Probing.Count || st.sensitive >= cfg.SensitiveFiles.Count || st.bruteforce >= cfg.WebBruteforce.Count ||
					st.scraping >= cfg.Scraping.Count || st.flood >= cfg.Flood.Count || st.scanner > 0 {
					t.Errorf("benign %s reaches a threshold: %+v", ip, st)
				}
			}
			t.Logf("benign maxima: distinct 4xx paths/%s %d (threshold %d), sensitive/%s %d (%d), failed logins/%s %d (%d), NIKs/%s %d (%d), requests/%s %d (%d), scanner agents %d",
				cfg.Probing.Window, worst.probing, cfg.Probing.Count, cfg.SensitiveFiles.Window, worst.sensitive, cfg.SensitiveFiles.Count,
				cfg.WebBruteforce.Window, worst.bruteforce, cfg.WebBruteforce.Count, cfg.Scraping.Window, worst.scraping, cfg.Scraping.Count,
				cfg.Flood.Window, worst.flood, cfg.Flood.Count, worst.scanner)
		})
	}
}

// The behaviour classes trip their scenario's thresholds on their own;
// payload classes are left to the end-to-end test (CRS judges them).
func TestAttackersReachThresholds(t *testing.T) {
	cfg := scenario.DefaultConfig()
	log, truth := batch(t, Options{Lines: 200000, Seed: 9, Attackers: 220})
	by := parse(t, log)
	for _, l := range truth.Labels {
		st := clientStats(cfg, by[l.IP])
		var ok bool
		switch l.Class {
		case Probe:
			ok = st.probing >= cfg.Probing.Count
		case Sensitive:
			ok = st.sensitive >= cfg.SensitiveFiles.Count
		case BadUA:
			// ffuf's agent, "Fuzz Faster U Fool", does not hold default.yaml's
			// "ffuf"; CRS's scanner list ("fuzz faster") names it instead.
			ok = st.scanner > 0 || strings.HasPrefix(by[l.IP][0].Get(event.UserAgent), "Fuzz Faster U Fool")
		case Bruteforce:
			ok = st.bruteforce >= cfg.WebBruteforce.Count
		case Scrape:
			ok = st.scraping >= cfg.Scraping.Count
		case Flood:
			ok = st.flood >= cfg.Flood.Count
		default:
			ok = true
		}
		if !ok {
			t.Errorf("%s attacker %s stays under its threshold: %+v", l.Class, l.IP, st)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	site := Site{Name: "Situs", Host: "kpu-x.example.id", Kind: KindSite}
	for name, opts := range map[string]Options{
		"no sites":         {Sites: []Site{}},
		"unknown class":    {Classes: []string{"phishing"}},
		"scrape no lookup": {Sites: []Site{site}, Classes: []string{Scrape}},
		"duplicate host":   {Sites: []Site{site, site}},
		"unknown kind":     {Sites: []Site{{Name: "x", Host: "x.example.id", Kind: "blog"}}},
		"host with slash":  {Sites: []Site{{Name: "x", Host: "../etc", Kind: KindSite}}},
		"attack range":     {AttackMin: time.Minute, AttackMax: time.Second},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("%s: New accepted %+v", name, opts)
		}
	}
	// Without an explicit list, a class with nothing to attack is left out.
	s, err := New(Options{Sites: []Site{site}})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(s.classes, Scrape) || !slices.Contains(s.classes, Probe) {
		t.Errorf("classes for a lone website: %v", s.classes)
	}
}

func TestDefaultSitesMirrorDemo(t *testing.T) {
	kinds := map[string]bool{}
	for _, s := range DefaultSites() {
		if err := s.validate(); err != nil {
			t.Error(err)
		}
		if GuessKind(s.Host) != s.Kind {
			t.Errorf("GuessKind(%s) = %s, want %s", s.Host, GuessKind(s.Host), s.Kind)
		}
		kinds[s.Kind] = true
	}
	if len(kinds) != 5 {
		t.Errorf("default sites cover kinds %v", kinds)
	}
	if !IsBenign(citizenIP(rand.New(rand.NewPCG(1, 2))).String()) || IsBenign("203.0.113.5") || IsBenign("2001:db8::1") || IsBenign("garbage") {
		t.Error("IsBenign misjudges the address plan")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func BenchmarkWriteLog(b *testing.B) {
	s, err := New(Options{Lines: 100000, Seed: 1, ElectionDay: true})
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for b.Loop() {
		var buf bytes.Buffer
		if _, err := s.WriteLog(&buf); err != nil {
			b.Fatal(err)
		}
		n += 100000
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

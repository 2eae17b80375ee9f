package lookalike

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/idna"
)

func TestGenerate(t *testing.T) {
	cands := Generate("KPU.go.id.")
	byName := map[string]Candidate{}
	for _, c := range cands {
		if _, dup := byName[c.Domain]; dup {
			t.Errorf("duplicate %s", c.Domain)
		}
		byName[c.Domain] = c
		if c.Of != "kpu.go.id" {
			t.Errorf("%s: of %q", c.Domain, c.Of)
		}
	}
	if _, ok := byName["kpu.go.id"]; ok {
		t.Error("the original is among its lookalikes")
	}
	want := map[string]string{
		"kp.go.id":         KindOmission,
		"kpuu.go.id":       KindRepetition,
		"pku.go.id":        KindTransposition,
		"kpi.go.id":        KindKeyboard,
		"kpu.id":           KindSecondLevel,
		"kpu.co.id":        KindSecondLevel,
		"kpu.or.id":        KindSecondLevel,
		"kpu.com":          KindTLD,
		"kpu.xyz":          KindTLD,
		"kpu-go-id.com":    KindFlattened,
		"kpu-go.id":        KindFlattened,
		"kpu-ri.com":       KindAddedWord,
		"pemilu-kpu.id":    KindAddedWord,
		"cek-dpt-kpu.com":  KindAddedWord,
		"info-kpu.id":      KindAddedWord,
		"kpuquickcount.id": KindAddedWord,
		"kpv.go.id":        KindHomoglyph,
		"k-pu.go.id":       KindHyphen,
		"kpa.go.id":        KindVowelSwap,
		"kpux.go.id":       KindAddition,
	}
	for name, kind := range want {
		c, ok := byName[name]
		if !ok {
			t.Errorf("%s not generated", name)
			continue
		}
		if c.Kind != kind {
			t.Errorf("%s: kind %s, want %s", name, c.Kind, kind)
		}
	}
	// A bit flip: 'k' (0x6b) with bit 0 flipped is 'j'.
	if byName["jpu.go.id"].Kind != KindBitflip && byName["jpu.go.id"].Kind != KindKeyboard {
		t.Errorf("jpu.go.id: %+v", byName["jpu.go.id"])
	}
	idn := 0
	for _, c := range cands {
		if c.Kind != KindIDN {
			continue
		}
		idn++
		if !strings.HasPrefix(c.Domain, "xn--") {
			t.Errorf("IDN %s not in punycode", c.Domain)
		}
		if u, err := idna.ToUnicode(c.Domain); err != nil || u != c.Unicode {
			t.Errorf("IDN %s reads %q, want %q (%v)", c.Domain, u, c.Unicode, err)
		}
	}
	if idn == 0 {
		t.Error("no IDN homoglyphs")
	}
	// The Cyrillic "крυ" whole-name swap.
	if _, ok := byName["xn--6xa7usa.go.id"]; !ok {
		t.Error("whole-name IDN swap missing")
	}

	sub := Generate("jabar.kpu.go.id")
	found := map[string]string{}
	for _, c := range sub {
		found[c.Domain] = c.Kind
	}
	for _, name := range []string{"jabar-kpu.com", "kpu-jabar.id", "kpujabar.id", "jabar-kpu-go-id.com"} {
		if found[name] != KindSubdomain {
			t.Errorf("%s: %q", name, found[name])
		}
	}
	if Generate("not a domain") != nil || Generate("") != nil || Generate("com") != nil {
		t.Error("nonsense yields candidates")
	}
}

func FuzzGenerate(f *testing.F) {
	for _, s := range []string{"kpu.go.id", "jabar.kpu.go.id", "bawaslu.go.id", "a.b", "xn--80ak6aa92e.com", "-.-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		if len(d) > 300 {
			return
		}
		seen := map[string]bool{}
		for _, c := range Generate(d) {
			if seen[c.Domain] || len(c.Domain) > 253 || c.Kind == "" {
				t.Fatalf("bad candidate %+v", c)
			}
			seen[c.Domain] = true
		}
	})
}

// fakeDNS is a loopback authoritative server answering for a few lookalikes
// and NXDOMAIN for the rest; it records how many queries were in flight.
type fakeDNS struct {
	addr     string
	inFlight atomic.Int32
	most     atomic.Int32
	queries  atomic.Int32
	delay    time.Duration
}

func startDNS(t testing.TB, delay time.Duration) *fakeDNS {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDNS{addr: pc.LocalAddr().String(), delay: delay}
	records := map[string][]string{
		"kpu-ri.com.":        {"kpu-ri.com. 60 IN A 127.0.0.2"},
		"kpu-go-id.com.":     {"kpu-go-id.com. 60 IN CNAME parking.example."},
		"pemilu-kpu.id.":     {"pemilu-kpu.id. 60 IN NS ns1.example."},
		"kpu.id.":            {"kpu.id. 60 IN AAAA ::1"},
		"xn--6xa7usa.go.id.": {"xn--6xa7usa.go.id. 60 IN A 127.0.0.3"},
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		n := f.inFlight.Add(1)
		f.queries.Add(1)
		for {
			m := f.most.Load()
			if n <= m || f.most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(f.delay)
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		rrs, ok := records[strings.ToLower(q.Name)]
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		for _, s := range rrs {
			rr, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			if rr.Header().Rrtype == q.Qtype || rr.Header().Rrtype == dns.TypeCNAME {
				m.Answer = append(m.Answer, rr)
			}
		}
		// Out of flight before the answer leaves: the client may send its
		// next query as soon as it has this one.
		f.inFlight.Add(-1)
		w.WriteMsg(m)
	})}
	var started sync.WaitGroup
	started.Add(1)
	srv.NotifyStartedFunc = started.Done
	go srv.ActivateAndServe()
	started.Wait()
	t.Cleanup(func() { srv.Shutdown() })
	return f
}

func TestResolve(t *testing.T) {
	f := startDNS(t, 2*time.Millisecond)
	cands := Generate("kpu.go.id")
	r := Resolver{Addr: f.addr, Concurrency: 4, Rate: 5000, Timeout: time.Second}
	live, st := r.Resolve(context.Background(), cands)
	got := map[string]Live{}
	for _, l := range live {
		got[l.Domain] = l
	}
	if len(got) != 5 {
		t.Errorf("live: %+v", live)
	}
	if l := got["kpu-ri.com"]; len(l.A) != 1 || l.A[0] != "127.0.0.2" || l.Kind != KindAddedWord {
		t.Errorf("kpu-ri.com: %+v", l)
	}
	if l := got["kpu-go-id.com"]; len(l.CNAME) != 1 || l.CNAME[0] != "parking.example" {
		t.Errorf("kpu-go-id.com: %+v", l)
	}
	if l := got["pemilu-kpu.id"]; len(l.NS) != 1 {
		t.Errorf("pemilu-kpu.id: %+v", l)
	}
	if l := got["kpu.id"]; len(l.AAAA) != 1 {
		t.Errorf("kpu.id: %+v", l)
	}
	if l := got["xn--6xa7usa.go.id"]; l.Unicode == "" || l.Kind != KindIDN {
		t.Errorf("IDN: %+v", l)
	}
	if m := f.most.Load(); m > 4 {
		t.Errorf("%d queries in flight, concurrency is 4", m)
	}
	if st.Queried != len(cands) || st.Live != 5 || st.Failed != 0 {
		t.Errorf("stats: %+v", st)
	}
	// An NXDOMAIN ends the questions: one query per dead name, four per
	// live one, and one wildcard probe per public suffix.
	suffixes := map[string]bool{}
	for _, c := range cands {
		suffixes[suffixOf(c.Domain)] = true
	}
	if want := int32(len(cands) - 5 + 5*4 + len(suffixes)); f.queries.Load() != want || st.Queries != int(want) {
		t.Errorf("%d queries (%d counted), want %d", f.queries.Load(), st.Queries, want)
	}
}

func TestResolveRateAndFailure(t *testing.T) {
	f := startDNS(t, 0)
	cands := Generate("kpu.go.id")[:20]
	start := time.Now()
	live, st := Resolver{Addr: f.addr, Rate: 200}.Resolve(context.Background(), cands)
	// 21 queries at 200/s cannot finish in less than 20 intervals.
	if el := time.Since(start); el < 20*5*time.Millisecond {
		t.Errorf("21 queries at 200/s took %v", el)
	}
	if len(live) != 0 || st.Queries != 20+1 { // the first 20 are all under go.id: one probe
		t.Errorf("live %v stats %+v", live, st)
	}

	// Nothing listens here: every candidate fails, none is live, it ends.
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	dead := pc.LocalAddr().String()
	pc.Close()
	live, st = Resolver{Addr: dead, Timeout: 50 * time.Millisecond, Rate: 10000}.Resolve(context.Background(), cands[:3])
	if len(live) != 0 || st.Failed != 3 {
		t.Errorf("dead resolver: live %v stats %+v", live, st)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if live := Resolve(ctx, f.addr, cands); len(live) != 0 {
		t.Errorf("cancelled: %v", live)
	}
}

// BenchmarkGenerate: the lookalikes of a provincial KPU domain.
func BenchmarkGenerate(b *testing.B) {
	n := 0
	for b.Loop() {
		n = len(Generate("jabar.kpu.go.id"))
	}
	b.ReportMetric(float64(n), "candidates")
}

// BenchmarkResolveLoopback resolves kpu.go.id's lookalikes against the
// loopback server with no rate bound, to show the cost of the client side.
func BenchmarkResolveLoopback(b *testing.B) {
	f := startDNS(b, 0)
	cands := Generate("kpu.go.id")
	r := Resolver{Addr: f.addr, Rate: 1e6, Concurrency: 8}
	for b.Loop() {
		r.Resolve(context.Background(), cands)
	}
	b.ReportMetric(float64(len(cands)*b.N)/b.Elapsed().Seconds(), "candidates/s")
}

// TestResolveWildcard: a resolver that answers every name under .xyz with a
// block page (as ISP filters rewrite NXDOMAIN) makes no .xyz name live,
// except one that answers something else.
func TestResolveWildcard(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		switch {
		case q.Name == "kpu-ri.xyz." && q.Qtype == dns.TypeA:
			rr, _ := dns.NewRR("kpu-ri.xyz. 60 IN A 127.0.0.7")
			m.Answer = append(m.Answer, rr)
		case strings.HasSuffix(q.Name, ".xyz.") && q.Qtype == dns.TypeA:
			rr, _ := dns.NewRR(q.Name + " 60 IN A 10.9.9.9")
			m.Answer = append(m.Answer, rr)
		case strings.HasSuffix(q.Name, ".xyz."):
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	var started sync.WaitGroup
	started.Add(1)
	srv.NotifyStartedFunc = started.Done
	go srv.ActivateAndServe()
	started.Wait()
	defer srv.Shutdown()

	var xyz []Candidate
	for _, c := range Generate("kpu.go.id") {
		if strings.HasSuffix(c.Domain, ".xyz") {
			xyz = append(xyz, c)
		}
	}
	live, st := Resolver{Addr: pc.LocalAddr().String(), Rate: 10000}.Resolve(context.Background(), xyz)
	if len(live) != 1 || live[0].Domain != "kpu-ri.xyz" {
		t.Errorf("live: %+v", live)
	}
	if st.Wildcard != len(xyz)-1 {
		t.Errorf("wildcard %d of %d: %+v", st.Wildcard, len(xyz), st)
	}
}

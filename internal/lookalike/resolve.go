package lookalike

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"
)

// Live is a candidate that exists in DNS, with what it answered.
type Live struct {
	Candidate
	A     []string `json:"a,omitempty"`
	AAAA  []string `json:"aaaa,omitempty"`
	CNAME []string `json:"cname,omitempty"`
	NS    []string `json:"ns,omitempty"`
}

// Stats says how a resolution went.
type Stats struct {
	Queried int `json:"queried"` // candidates asked about
	Queries int `json:"queries"` // DNS queries sent
	Live    int `json:"live"`
	Failed  int `json:"failed"` // candidates whose answer never came (timeout, SERVFAIL): unknown, not absent
	// Wildcard counts names that answered only what a name that cannot
	// exist under the same suffix answered too: a wildcard zone or a
	// resolver that rewrites NXDOMAIN to a block page (as ISP filters do).
	Wildcard int `json:"wildcard"`
}

// Defaults of a Resolver.
const (
	DefaultConcurrency = 8
	DefaultRate        = 100 // queries a second
	DefaultTimeout     = 2 * time.Second
)

// Resolver asks one DNS resolver about candidates, with bounded
// concurrency, rate and time.
type Resolver struct {
	Addr        string        // host:port of the resolver; a bare host gets port 53
	Concurrency int           // queries in flight; 0 is DefaultConcurrency
	Rate        float64       // queries a second; 0 is DefaultRate
	Timeout     time.Duration // per query; 0 is DefaultTimeout
}

// Resolve returns the live candidates, in the order given, asking the
// resolver at addr with the default bounds.
func Resolve(ctx context.Context, resolver string, cands []Candidate) []Live {
	live, _ := Resolver{Addr: resolver}.Resolve(ctx, cands)
	return live
}

// Resolve asks about every candidate and returns the live ones, in the order
// given. A name is live when it answers A, AAAA, CNAME or NS records; an
// NXDOMAIN to the first query (A) ends the questions about it.
func (r Resolver) Resolve(ctx context.Context, cands []Candidate) ([]Live, Stats) {
	addr := r.Addr
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), "53")
	}
	conc := r.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	rate := r.Rate
	if rate <= 0 {
		rate = DefaultRate
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	q := &querier{
		addr:  addr,
		udp:   &dns.Client{Net: "udp", Timeout: timeout},
		tcp:   &dns.Client{Net: "tcp", Timeout: timeout},
		every: time.Duration(float64(time.Second) / rate),
	}
	q.wild = q.probeWildcards(ctx, cands)
	results := make([]*Live, len(cands))
	failed := make([]bool, len(cands))
	wild := make([]bool, len(cands))
	work := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i], failed[i], wild[i] = q.candidate(ctx, cands[i])
			}
		}()
	}
	st := Stats{}
feed:
	for i := range cands {
		select {
		case work <- i:
			st.Queried++
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	var live []Live
	for i, l := range results {
		if l != nil {
			live = append(live, *l)
		}
		if failed[i] {
			st.Failed++
		}
		if wild[i] {
			st.Wildcard++
		}
	}
	st.Live = len(live)
	st.Queries = int(q.sent)
	return live, st
}

// querier sends the queries, spaced by a shared pace.
type querier struct {
	addr     string
	udp, tcp *dns.Client
	every    time.Duration

	wild map[string]map[string]bool // public suffix → what a name that cannot exist answers under it

	mu   sync.Mutex
	next time.Time
	sent int64
}

// probeWildcards asks, for each public suffix among the candidates, about a
// random name that no one registered, and keeps what it answers.
func (q *querier) probeWildcards(ctx context.Context, cands []Candidate) map[string]map[string]bool {
	wild := map[string]map[string]bool{}
	done := map[string]bool{}
	for _, c := range cands {
		sfx, _ := publicsuffix.PublicSuffix(c.Domain)
		if done[sfx] || ctx.Err() != nil {
			continue
		}
		done[sfx] = true
		var b [8]byte
		rand.Read(b[:])
		probe := "garda-nx-" + hex.EncodeToString(b[:]) + "." + sfx
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			in, err := q.exchange(ctx, probe, qt)
			if err == nil && in.Rcode == dns.RcodeNameError {
				break // no wildcard: the usual case, one query
			}
			if err != nil || in.Rcode != dns.RcodeSuccess {
				continue
			}
			for _, rr := range in.Answer {
				if v := answerValue(rr); v != "" {
					if wild[sfx] == nil {
						wild[sfx] = map[string]bool{}
					}
					wild[sfx][v] = true
				}
			}
		}
	}
	return wild
}

// answerValue is an A, AAAA or CNAME record's value, "" for another type.
func answerValue(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.A:
		return v.A.String()
	case *dns.AAAA:
		return v.AAAA.String()
	case *dns.CNAME:
		return strings.TrimSuffix(v.Target, ".")
	}
	return ""
}

// wait blocks until the next query may go, keeping the rate across workers.
func (q *querier) wait(ctx context.Context) error {
	q.mu.Lock()
	now := time.Now()
	at := q.next
	if at.Before(now) {
		at = now
	}
	q.next = at.Add(q.every)
	q.sent++
	q.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// exchange sends one query, retrying once (UDP loses packets) and over TCP
// when the answer was truncated.
func (q *querier) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	var err error
	for range 2 {
		if err = q.wait(ctx); err != nil {
			return nil, err
		}
		var in *dns.Msg
		in, _, err = q.udp.ExchangeContext(ctx, m, q.addr)
		if err == nil && in.Truncated {
			in, _, err = q.tcp.ExchangeContext(ctx, m, q.addr)
		}
		if err == nil {
			return in, nil
		}
	}
	return nil, err
}

// candidate asks A first; only a name that is not NXDOMAIN is asked the rest.
// A name that answers only its suffix's wildcard is not live.
func (q *querier) candidate(ctx context.Context, c Candidate) (live *Live, failed, wildcard bool) {
	l := &Live{Candidate: c}
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeNS} {
		in, err := q.exchange(ctx, c.Domain, qt)
		if err != nil {
			failed = true
			continue
		}
		if in.Rcode == dns.RcodeNameError {
			return nil, false, false
		}
		if in.Rcode != dns.RcodeSuccess {
			failed = true
			continue
		}
		for _, rr := range in.Answer {
			switch v := rr.(type) {
			case *dns.A:
				l.A = appendNew(l.A, v.A.String())
			case *dns.AAAA:
				l.AAAA = appendNew(l.AAAA, v.AAAA.String())
			case *dns.CNAME:
				l.CNAME = appendNew(l.CNAME, strings.TrimSuffix(v.Target, "."))
			case *dns.NS:
				l.NS = appendNew(l.NS, strings.TrimSuffix(v.Ns, "."))
			}
		}
	}
	if len(l.A)+len(l.AAAA)+len(l.CNAME)+len(l.NS) == 0 {
		return nil, failed, false
	}
	if w := q.wild[suffixOf(c.Domain)]; w != nil && len(l.NS) == 0 && allIn(w, l.A, l.AAAA, l.CNAME) {
		return nil, false, true
	}
	return l, false, false
}

func suffixOf(domain string) string {
	s, _ := publicsuffix.PublicSuffix(domain)
	return s
}

func allIn(set map[string]bool, lists ...[]string) bool {
	for _, l := range lists {
		for _, v := range l {
			if !set[v] {
				return false
			}
		}
	}
	return true
}

func appendNew(ss []string, s string) []string {
	if slices.Contains(ss, s) {
		return ss
	}
	return append(ss, s)
}

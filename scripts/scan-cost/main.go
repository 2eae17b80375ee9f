// Command scan-cost says where a scan's requests go: it runs every
// registered check (nuclei's shipped templates and the built-in checks,
// as `garda scan` loads them) against one simulated KPU site of package
// scan/sitefarm on loopback, one check at a time, and prints the requests
// (HTTP requests and raw connections) each check sent, most first, with
// the total and the results, then the requests of the same checks run
// as one scan (where repeated identical GETs are asked once). No politeness limits apply: it only counts.
//
// Usage: go run ./scripts/scan-cost [--site N] [--mode active|passive] [--top N]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/builtin"
	"github.com/garda-id/garda/internal/scan/nuclei"
	"github.com/garda-id/garda/internal/scan/sitefarm"
)

func main() {
	site := flag.Int("site", 0, "which site of the farm (0: the national one, with every weakness but slow and flaky)")
	mode := flag.String("mode", "active", "active or passive")
	top := flag.Int("top", 25, "how many checks to list")
	payloadCap := flag.Int("payload-cap", scan.DefaultPayloadCap, "requests one template block's payloads expand to, at most (the scans' default)")
	flag.Parse()
	scan.Register("nuclei", nuclei.Checks)
	scan.Register("builtin", func(string) ([]scan.Check, error) { return builtin.All(), nil })
	checks, err := scan.LoadChecks("")
	if err != nil {
		fail(err)
	}
	f := sitefarm.New(*site + 1)
	if err := f.Listen(0); err != nil {
		fail(err)
	}
	defer f.Close()
	s := f.Sites[*site]
	t := scan.Target{URL: s.URL, Mode: scan.Mode(*mode)}
	fe := fetch.New(fetch.Config{Policy: fetch.LoopbackOnly(), InsecureTLS: true})
	var n atomic.Int64
	env := &scan.Env{HTTP: &http.Client{Transport: counting{fe.Client().Transport, &n}, CheckRedirect: fe.Client().CheckRedirect, Timeout: fe.Client().Timeout},
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			n.Add(1)
			return fe.Dial(ctx, network, addr)
		}, PayloadCap: *payloadCap}
	type cost struct {
		id       string
		requests int64
		results  int
		took     time.Duration
		err      error
	}
	var costs []cost
	var total int64
	for _, c := range scan.Allowed(checks, t.Mode) {
		before := n.Load()
		start := time.Now()
		results := 0
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err := c.Run(ctx, env, t, func(scan.Result) { results++ })
		cancel()
		k := cost{c.ID(), n.Load() - before, results, time.Since(start), err}
		total += k.requests
		costs = append(costs, k)
	}
	sort.Slice(costs, func(i, j int) bool { return costs[i].requests > costs[j].requests })
	fmt.Printf("site %s (%s), mode %s: %d checks, %d requests\n", s.Host, s.URL, *mode, len(costs), total)
	// the same checks as one scan runs them: repeated GETs answered once
	var whole scan.Progress
	scan.ScanTargets(context.Background(), &scan.Env{HTTP: fe.Client(), Dial: fe.Dial, PayloadCap: *payloadCap}, []scan.Target{t}, checks,
		scan.HostOptions{MaxHosts: 1, Retries: -1}, func(scan.Result) {}, func(p scan.Progress) { whole = p })
	fmt.Printf("as one scan (repeated GETs asked once): %d requests, %d results\n", whole.Requests, whole.Found)
	repeats := 0
	for _, c := range seen {
		repeats += c - 1
	}
	fmt.Printf("GETs without a body: %d distinct URLs, %d repeats of one already asked\n", len(seen), repeats)
	for i, k := range costs {
		if i >= *top {
			break
		}
		e := ""
		if k.err != nil {
			e = " error: " + k.err.Error()
		}
		fmt.Printf("%6d  %-50s results %d  %s%s\n", k.requests, k.id, k.results, k.took.Round(time.Millisecond), e)
	}
}

type counting struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

var (
	seenMu sync.Mutex
	seen   = map[string]int{}
)

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	if r.Method == http.MethodGet && r.Body == nil {
		seenMu.Lock()
		seen[r.URL.String()]++
		seenMu.Unlock()
	}
	return c.rt.RoundTrip(r)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "scan-cost:", err)
	os.Exit(1)
}

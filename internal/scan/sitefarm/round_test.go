package sitefarm_test

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/builtin"
	"github.com/garda-id/garda/internal/scan/nuclei"
	"github.com/garda-id/garda/internal/scan/sitefarm"
)

// TestScanRoundPoliteness runs a scan round with Garda's real checks
// (the shipped templates and the built-in checks) through package fetch,
// at the politeness (2 connections, 5 requests/s a host), over
// the farm, and asserts from the sites' side that no site ever saw more:
// connections open at once, requests answered at once, and connections
// plus kept-alive requests within any calendar second.
//
// GARDA_SCAN_ROUND=1 runs it (.ci/run sets it): 24 sites, passive, by
// default; GARDA_SCAN_ROUND_SITES, _MODE (active), _MAX_HOSTS size it up.
// GARDA_SCAN_ROUND_HEAP=FILE writes a heap profile each time the heap in
// use reaches a new high (by a tenth), for the memory work.
func TestScanRoundPoliteness(t *testing.T) {
	if os.Getenv("GARDA_SCAN_ROUND") == "" {
		t.Skip("GARDA_SCAN_ROUND=1 runs a scan round over the loopback site farm (minutes at 5 requests/s a site)")
	}
	const rate, conns = 5, 2
	sites := envInt("GARDA_SCAN_ROUND_SITES", 24)
	mode := scan.Mode(envStr("GARDA_SCAN_ROUND_MODE", string(scan.Passive)))
	f := sitefarm.New(sites)
	if err := f.Listen(0); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	resolver, err := f.ServeDNS()
	if err != nil {
		t.Fatal(err)
	}
	tpls, err := nuclei.Checks("")
	if err != nil {
		t.Fatal(err)
	}
	checks := append(tpls, builtin.All()...)
	var targets []scan.Target
	for _, s := range f.Sites {
		targets = append(targets, scan.Target{URL: s.URL, Mode: mode})
	}
	env := fetch.ScanEnv(fetch.LoopbackOnly(), resolver)(scan.Authorization{RatePerSecond: rate, Concurrency: conns})
	if path := os.Getenv("GARDA_SCAN_ROUND_HEAP"); path != "" {
		stop := watchHeap(t, path)
		defer stop()
	}
	var mu sync.Mutex
	found := map[string]int{}
	start := time.Now()
	failed := scan.ScanTargets(context.Background(), env, targets, checks,
		scan.HostOptions{MaxHosts: envInt("GARDA_SCAN_ROUND_MAX_HOSTS", sites), PerHost: conns},
		func(r scan.Result) { mu.Lock(); found[r.TemplateID]++; mu.Unlock() }, nil)
	for _, h := range failed {
		t.Errorf("not scanned: %v", h)
	}
	st := f.Stats()
	t.Logf("%d sites, %s, in %s: %d requests, %d connections (median %d requests a site); peaks on any site: %d connections, %d in flight, %d a second; results %v",
		sites, mode, time.Since(start).Round(time.Second), st.Requests, connections(st), st.RequestsMedian,
		st.PeakConnections, st.PeakInFlight, st.PeakPerSecond, found)
	for host, s := range st.PerSite {
		if s.PeakConnections > conns || s.PeakInFlight > conns || s.PeakPerSecond > rate {
			t.Errorf("%s saw %d connections at once, %d requests at once, %d within one second (limits %d, %d, %d/s)",
				host, s.PeakConnections, s.PeakInFlight, s.PeakPerSecond, conns, conns, rate)
		}
	}
	if found["garda-headers-grade"] != sites {
		t.Errorf("the headers grade on %d of %d sites", found["garda-headers-grade"], sites)
	}
}

func connections(st sitefarm.Stats) int {
	n := 0
	for _, s := range st.PerSite {
		n += s.Connections
	}
	return n
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// watchHeap writes path's heap profile whenever the heap in use passes its
// last high by a tenth, and logs the highest.
func watchHeap(t *testing.T, path string) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var high uint64
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				t.Logf("heap in use at most %d MB", high>>20)
				return
			case <-tick.C:
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > high+high/10 {
				high = m.HeapInuse
				if out, err := os.Create(path); err == nil {
					_ = pprof.Lookup("heap").WriteTo(out, 0)
					out.Close()
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

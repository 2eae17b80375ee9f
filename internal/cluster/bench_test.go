package cluster

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIngestScaling measures sustained ingest with 1, 2 and 3 instances
// (GARDA_CLUSTER_BENCH=1; scripts/cluster-faults.sh --bench): each
// instance pinned to a core of its own where there is one (taskset), the
// load generator sending 1,000-line requests from the 553 sites as fast
// as they are answered for GARDA_CLUSTER_BENCH_SECONDS (default 30). It
// prints one BENCH line per size: lines acknowledged a second, lines
// detection inspected a second, and each instance's RSS.
func TestIngestScaling(t *testing.T) {
	enabled(t)
	if os.Getenv("GARDA_CLUSTER_BENCH") == "" {
		t.Skip("the ingest figures run with GARDA_CLUSTER_BENCH=1 (scripts/cluster-faults.sh --bench)")
	}
	secs := 30
	if v, err := strconv.Atoi(os.Getenv("GARDA_CLUSTER_BENCH_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("instances=%d", n), func(t *testing.T) {
			pin := []int{0, 1, 0}[:n]
			c := startCluster(t, n, pin)
			l := newLoad(c, 50+n, 1000, 12, 0)
			before := c.detected()
			start := time.Now()
			stop := runLoad(l)
			profiles := c.profile(t, fmt.Sprintf("instances%d", n), secs)
			var peak []int64 = make([]int64, n)
			for end := start.Add(time.Duration(secs) * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
				for i, inst := range c.insts {
					peak[i] = max(peak[i], inst.rss())
				}
			}
			stop()
			took := time.Since(start)
			profiles()
			after := c.detected()
			l.mu.Lock()
			acked := l.linesAck
			answers := fmt.Sprint(l.status)
			l.mu.Unlock()
			var rss []string
			for _, p := range peak {
				rss = append(rss, strconv.FormatInt(p>>20, 10))
			}
			load, _ := os.ReadFile("/proc/loadavg")
			fmt.Printf("BENCH ingest instances=%d pinned=%v seconds=%.0f lines_acknowledged=%d lines_per_s=%.0f detected_per_s=%.0f rss_mb=%s answers=%v loadavg=%q\n",
				n, pin, took.Seconds(), acked, float64(acked)/took.Seconds(), float64(after-before)/took.Seconds(),
				strings.Join(rss, ","), answers, strings.TrimSpace(string(load)))
		})
	}
}

// profile takes CPU profiles of every instance and NATS node from 5 s into
// the load for secs-10 s, into GARDA_CLUSTER_PROFILE/<name>-<proc>.pprof
// (nothing when it is unset); the func returned waits for them.
func (c *Cluster) profile(t *testing.T, name string, secs int) func() {
	dir := os.Getenv("GARDA_CLUSTER_PROFILE")
	if dir == "" || secs < 15 {
		return func() {}
	}
	os.MkdirAll(dir, 0o755)
	var procs []*proc
	for _, i := range c.insts {
		procs = append(procs, &i.proc)
	}
	procs = append(procs, c.nats...)
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(5 * time.Second)
			resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.pprof, secs-10))
			if err != nil {
				t.Logf("profile of %s: %v", p.name, err)
				return
			}
			defer resp.Body.Close()
			f, err := os.Create(filepath.Join(dir, name+"-"+p.name+".pprof"))
			if err != nil {
				t.Logf("profile of %s: %v", p.name, err)
				return
			}
			defer f.Close()
			io.Copy(f, resp.Body)
		}()
	}
	return wg.Wait
}

// detected sums garda_detect_events_total over the live instances.
func (c *Cluster) detected() int64 {
	var total int64
	for _, i := range c.insts {
		resp, err := http.Get(i.url("/metrics"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "garda_detect_events_total "); ok {
				f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				total += int64(f)
			}
		}
		resp.Body.Close()
	}
	return total
}

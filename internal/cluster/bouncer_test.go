package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bouncer is a CrowdSec-style bouncer of the decisions stream
// (/v1/decisions/stream, as crowdsec-custom-bouncer pulls it): it keeps
// the set of blocks in force, applying each pull's deletions then its new
// decisions, as go-cs-bouncer does.
type bouncer struct {
	name, key string
	blocks    map[string]bool // "type value"
	news      map[int64]int   // how often each decision id came as new
	deleted   int
}

type lapiItem struct {
	ID    int64  `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

func (c *Cluster) addBouncer(name string) *bouncer {
	body, _ := json.Marshal(map[string]string{"name": name})
	var out struct {
		Key string `json:"key"`
	}
	if status, b := c.do(c.insts[0], "POST", "/api/v1/bouncers", body, &out); status != http.StatusCreated {
		c.t.Fatalf("add bouncer %s: %d %s", name, status, b)
	}
	return &bouncer{name: name, key: out.Key, blocks: map[string]bool{}, news: map[int64]int{}}
}

// pull asks inst for the stream (startup or not) and applies it; it
// returns the answer's size.
func (b *bouncer) pull(inst *instance, startup bool) (int, error) {
	req, _ := http.NewRequest("GET", inst.url(fmt.Sprintf("/v1/decisions/stream?startup=%v", startup)), nil)
	req.Header.Set("X-Api-Key", b.key)
	req.Header.Set("User-Agent", "crowdsec-custom-bouncer/v0.0.15")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %d %s", b.name, resp.StatusCode, data)
	}
	var s struct {
		Deleted []lapiItem `json:"deleted"`
		New     []lapiItem `json:"new"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return 0, err
	}
	for _, d := range s.Deleted {
		delete(b.blocks, d.Type+" "+d.Value)
		b.deleted++
	}
	for _, d := range s.New {
		b.blocks[d.Type+" "+d.Value] = true
		b.news[d.ID]++
	}
	return len(data), nil
}

// diff compares the bouncer's blocks under prefix with the truth.
func (b *bouncer) diff(truth map[string]bool, prefix string) (missing, extra int) {
	for k := range truth {
		if !b.blocks[k] {
			missing++
		}
	}
	for k := range b.blocks {
		if strings.HasPrefix(k, "ban "+prefix) && !truth[k] {
			extra++
		}
	}
	return
}

// faultSlowBouncer: a bouncer pulls at startup, then not again while
// thousands of decisions are made, some expire and some are lifted; two
// other bouncers pull every second meanwhile. The late pull must bring
// exactly the blocks in force, the others must not be slowed, and the
// instances' memory must stay bounded: the server keeps no queue per
// bouncer, only its position.
func faultSlowBouncer(t *testing.T, c *Cluster, s settings) {
	const prefix = "100.7."
	n := 1500
	if long() {
		n = 5000
	}
	// Blocking is an analyst's (or coordinator's) to do, not an administrator's.
	if out, err := c.gardaIn("Kl4ster-Uji-Analis-2026!\n", "user", "create", "--database", c.direct, "--username", "cluster.analyst",
		"--org", "kpu", "--role", "analyst", "--scope", "", "--password-stdin"); err != nil {
		t.Fatalf("user create: %v\n%s", err, out)
	}
	analyst := strings.TrimSpace(c.garda("token", "create", "--database", c.direct, "--username", "cluster.analyst"))
	late := c.addBouncer("pull-once-an-hour")
	busy := []*bouncer{c.addBouncer("pull-every-second-1"), c.addBouncer("pull-every-second-2")}
	if _, err := late.pull(c.insts[0], true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Memory of every instance, sampled.
	var before, peak []int64
	for _, i := range c.insts {
		before = append(before, i.rss())
	}
	peak = slices.Clone(before)
	var peakMu sync.Mutex
	go func() {
		for ctx.Err() == nil {
			peakMu.Lock()
			for k, i := range c.insts {
				peak[k] = max(peak[k], i.rss())
			}
			peakMu.Unlock()
			time.Sleep(500 * time.Millisecond)
		}
	}()
	// The busy bouncers: latency of each pull, before and during.
	var latMu sync.Mutex
	lat := map[string][]time.Duration{}
	phase := atomic.Value{}
	phase.Store("before")
	var busyErrs atomic.Int64
	var busyWG sync.WaitGroup
	for k, b := range busy {
		if _, err := b.pull(c.insts[k+1], true); err != nil {
			t.Fatal(err)
		}
		busyWG.Add(1)
		go func() {
			defer busyWG.Done()
			for ctx.Err() == nil {
				start := time.Now()
				if _, err := b.pull(c.insts[(k+1)%len(c.insts)], false); err != nil {
					busyErrs.Add(1)
				}
				latMu.Lock()
				p := phase.Load().(string)
				lat[p] = append(lat[p], time.Since(start))
				latMu.Unlock()
				time.Sleep(time.Second)
			}
		}()
	}
	time.Sleep(10 * time.Second)
	phase.Store("during")
	// The decisions: a fifth last a minute (they expire before the late
	// pull), the rest 4 hours, and every fifth of those is lifted.
	var made, expired, lifted, failed atomic.Int64
	create := func(from, to int, dur string, lift bool) {
		var seq atomic.Int64
		seq.Store(int64(from))
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := seq.Add(1)
					if int(k) > to {
						return
					}
					body, _ := json.Marshal(map[string]string{"value": fmt.Sprintf("%s%d.%d", prefix, (k>>8)&255, k&255),
						"duration": dur, "reason": "uji bouncer lambat"})
					var d struct {
						ID int64 `json:"id"`
					}
					inst := c.insts[w%len(c.insts)]
					if status, b := c.doAs(analyst, inst, "POST", "/api/v1/decisions", body, &d); status != http.StatusCreated {
						if failed.Add(1) <= 5 {
							t.Logf("create decision: %d %s", status, b)
						}
						continue
					}
					made.Add(1)
					switch {
					case dur == "1m":
						expired.Add(1)
					case lift && k%5 == 0:
						if status, b := c.doAs(analyst, inst, "POST", fmt.Sprintf("/api/v1/decisions/%d/revoke", d.ID), []byte(`{"reason":"uji: dicabut"}`), nil); status != http.StatusOK {
							failed.Add(1)
							t.Logf("revoke decision %d: %d %s", d.ID, status, b)
						} else {
							lifted.Add(1)
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	start := time.Now()
	create(0, n/5, "1m", false)
	shortDone := time.Now()
	create(n/5, n, "4h", true)
	// The late pull comes once the short decisions have all ended.
	time.Sleep(max(0, 65*time.Second-time.Since(shortDone)))
	making := time.Since(start)
	pullStart := time.Now()
	size, err := late.pull(c.insts[0], false)
	pullTook := time.Since(pullStart)
	if err != nil {
		t.Fatalf("late pull: %v", err)
	}
	// The truth, straight from the database.
	truth := map[string]bool{}
	rows, err := c.db().Query(context.Background(), `SELECT type, value FROM decisions WHERE status = 'active' AND until > now() AND value LIKE '100.7.%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var typ, v string
		rows.Scan(&typ, &v)
		truth[typ+" "+v] = true
	}
	rows.Close()
	time.Sleep(3 * time.Second) // the busy bouncers' next pulls
	cancel()
	busyWG.Wait()
	missing, extra := late.diff(truth, prefix)
	dups := 0
	for _, k := range late.news {
		dups += k - 1
	}
	busyMissing, busyExtra := 0, 0
	for _, b := range busy {
		m, e := b.diff(truth, prefix)
		busyMissing, busyExtra = busyMissing+m, busyExtra+e
	}
	pct := func(d []time.Duration, q float64) float64 {
		if len(d) == 0 {
			return 0
		}
		d = slices.Clone(d)
		slices.Sort(d)
		return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
	}
	latMu.Lock()
	b50, b99, d50, d99, dmax := pct(lat["before"], .5), pct(lat["before"], .99), pct(lat["during"], .5), pct(lat["during"], .99), pct(lat["during"], 1)
	pulls := len(lat["during"])
	latMu.Unlock()
	peakMu.Lock()
	var grew int64
	var rss []string
	for k := range before {
		grew = max(grew, peak[k]-before[k])
		rss = append(rss, fmt.Sprintf("%d>%d", before[k]>>20, peak[k]>>20))
	}
	peakMu.Unlock()
	inForce := int(made.Load() - expired.Load() - lifted.Load())
	fmt.Printf("FAULT slow-bouncer decisions=%d received=%d missing=%d duplicates=%d lost=%d extra=%d in_force=%d expired=%d lifted=%d failed=%d late_pull_bytes=%d late_pull_ms=%d deletions_received=%d making_s=%.0f busy_pulls=%d busy_errors=%d busy_p50_ms=%.1f>%.1f busy_p99_ms=%.1f>%.1f busy_max_ms=%.0f busy_missing=%d busy_extra=%d rss_mb=%s\n",
		made.Load(), len(truth)-missing, missing, dups, missing, extra, inForce, expired.Load(), lifted.Load(), failed.Load(), size, pullTook.Milliseconds(),
		late.deleted, making.Seconds(), pulls, busyErrs.Load(), b50, d50, b99, d99, dmax, busyMissing, busyExtra, strings.Join(rss, ","))
	if len(truth) != inForce {
		t.Errorf("%d decisions made, %d expired, %d lifted: %d should be in force, the database has %d", made.Load(), expired.Load(), lifted.Load(), inForce, len(truth))
	}
	if missing > 0 || extra > 0 || dups > 0 {
		t.Errorf("the late pull: %d blocks in force missing, %d blocks no longer in force kept, %d decisions sent twice", missing, extra, dups)
	}
	if busyMissing > 0 || busyExtra > 0 || busyErrs.Load() > 0 {
		t.Errorf("the busy bouncers: %d blocks missing, %d extra, %d pulls failed", busyMissing, busyExtra, busyErrs.Load())
	}
	if grew > s.slowBound {
		t.Errorf("an instance grew by %d MiB while the bouncer stayed away", grew>>20)
	}
	if failed.Load() > 0 {
		t.Errorf("%d decisions could not be made or lifted", failed.Load())
	}
}

package cluster

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// load ingests from the 553 sites: each request is one site's lines, all
// benign but one attack line from an address used once (so each
// acknowledged attack line is one source of alerts, and a line detected
// twice shows as an event count of 2). A refused or failed request is
// sent again, with the same batch header, to the next instance.
type load struct {
	c       *Cluster
	net     int // second octet of the attack addresses: 100.<net>.x.y, one per fault
	lines   int // lines a request
	workers int
	rate    float64 // requests a second, all workers together (0: as fast as answered)
	attacks int     // attack lines a request (default 1), each from an address of its own

	seq atomic.Int64 // attack addresses handed out

	mu       sync.Mutex
	acked    map[string]bool // attack address -> its request got 200
	status   map[int]int     // answers by status (0: no answer)
	noRetry  int             // 503/429 answers without Retry-After
	linesAck int64
	window   *window // answers counted while a fault is on
	// trackBatches keeps the batch ids of acknowledged requests.
	trackBatches bool
	batches      map[string]bool
}

// window counts answers during a fault.
type window struct {
	status  map[int]int
	noRetry int
	first2x time.Time // the first 2xx after the window closed
}

func newLoad(c *Cluster, net, lines, workers int, rate float64) *load {
	return &load{c: c, net: net, lines: lines, workers: workers, rate: rate, acked: map[string]bool{}, status: map[int]int{}}
}

func (l *load) attackIP() string {
	n := l.seq.Add(1)
	return fmt.Sprintf("100.%d.%d.%d", l.net, (n>>8)&255, n&255)
}

var benignPaths = []string{"/", "/berita/pemilu-2024", "/static/app.css", "/static/logo.png", "/jadwal", "/dpt/cek", "/hasil/provinsi/32", "/kontak"}

// request builds one site's lines: benign ones from addresses drawn from
// a large space, and the attacks.
func (l *load) request(r *rand.Rand) ([]byte, []string) {
	var b bytes.Buffer
	now := time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700")
	attacks := max(1, l.attacks)
	for range l.lines - attacks {
		fmt.Fprintf(&b, "10.%d.%d.%d - - [%s] \"GET %s HTTP/1.1\" 200 %d \"-\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36\"\n",
			r.IntN(256), r.IntN(256), 1+r.IntN(254), now, benignPaths[r.IntN(len(benignPaths))], 200+r.IntN(40000))
	}
	var ips []string
	for range attacks {
		ip := l.attackIP()
		ips = append(ips, ip)
		fmt.Fprintf(&b, "%s - - [%s] \"GET /berita.php?id=1%%27%%20UNION%%20SELECT%%20username,password%%20FROM%%20users-- HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0\"\n", ip, now)
	}
	return b.Bytes(), ips
}

func batchID() string {
	var b [12]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// run sends until ctx ends; a request under way is finished (retried to
// an acknowledgement or until 2 minutes after ctx ended).
func (l *load) run(ctx context.Context) {
	var wg sync.WaitGroup
	var tick <-chan time.Time
	if l.rate > 0 {
		tk := time.NewTicker(time.Duration(float64(time.Second) / l.rate))
		defer tk.Stop()
		tick = tk.C
	}
	for w := range l.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for n := w; ; n++ {
				if tick != nil {
					select {
					case <-ctx.Done():
						return
					case <-tick:
					}
				} else if ctx.Err() != nil {
					return
				}
				site := l.c.assets[r.IntN(len(l.c.assets))]
				body, ips := l.request(r)
				if id, ok := l.send(site, body, n); ok {
					l.mu.Lock()
					if l.trackBatches {
						if l.batches == nil {
							l.batches = map[string]bool{}
						}
						l.batches[id] = true
					}
					for _, ip := range ips {
						l.acked[ip] = true
					}
					l.linesAck += int64(l.lines)
					l.mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
}

// send posts one batch, to instance start and on to the others, until one
// acknowledges it or two minutes pass.
func (l *load) send(site int64, body []byte, start int) (string, bool) {
	id := batchID()
	deadline := time.Now().Add(2 * time.Minute)
	for try := 0; time.Now().Before(deadline); try++ {
		inst := l.c.insts[(start+try)%len(l.c.insts)]
		status, retry := l.post(inst, site, body, id)
		l.count(status, retry)
		if status == http.StatusOK {
			return id, true
		}
		wait := 200 * time.Millisecond
		if s, err := strconv.Atoi(retry); err == nil && s > 0 {
			wait = time.Duration(min(s, 3)) * time.Second
		}
		time.Sleep(wait)
	}
	return id, false
}

func (l *load) ackedBatches() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]bool, len(l.batches))
	for k := range l.batches {
		out[k] = true
	}
	return out
}

func (l *load) post(inst *instance, site int64, body []byte, id string) (int, string) {
	req, _ := http.NewRequest("POST", inst.url("/api/v1/ingest/"+strconv.FormatInt(site, 10)), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+l.c.token)
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-Garda-Batch", id)
	resp, err := client.Do(req)
	if err != nil {
		return 0, ""
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func (l *load) count(status int, retry string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status[status]++
	refused := status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests
	if refused && retry == "" {
		l.noRetry++
	}
	if w := l.window; w != nil {
		w.status[status]++
		if refused && retry == "" {
			w.noRetry++
		}
	}
}

// openWindow starts counting answers apart; closeWindow stops.
func (l *load) openWindow() {
	l.mu.Lock()
	l.window = &window{status: map[int]int{}}
	l.mu.Unlock()
}

func (l *load) closeWindow() window {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := *l.window
	l.window = nil
	return w
}

func (l *load) ackedIPs() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]bool, len(l.acked))
	for k := range l.acked {
		out[k] = true
	}
	return out
}

// tally is what the database holds of one fault's attack addresses.
type tally struct {
	acknowledged, detected, lost, duplicates, extra int
	alerts                                          int
}

func (t tally) String() string {
	return fmt.Sprintf("acknowledged=%d detected=%d duplicates=%d lost=%d alerts=%d unacknowledged_detected=%d",
		t.acknowledged, t.detected, t.duplicates, t.lost, t.alerts, t.extra)
}

// settle waits until every acknowledged attack address has its alerts (or
// the count stops moving for stable), then counts: a line detected twice
// shows as an alert of event count 2, or two alerts of one key.
func (l *load) settle(stable time.Duration) tally {
	conn := l.c.db()
	ctx := context.Background()
	acked := l.ackedIPs()
	prefix := fmt.Sprintf("100.%d.%%", l.net)
	var last, same int
	seen := map[string]bool{}
	deadline := waitUntil(l.c.t)
	for wait := time.Now(); time.Now().Before(deadline); time.Sleep(time.Second) {
		rows, err := conn.Query(ctx, `SELECT DISTINCT source_ip FROM alerts WHERE source_ip LIKE $1`, prefix)
		if err != nil {
			l.c.t.Fatal(err)
		}
		seen = map[string]bool{}
		for rows.Next() {
			var ip string
			rows.Scan(&ip)
			seen[ip] = true
		}
		rows.Close()
		missing := 0
		for ip := range acked {
			if !seen[ip] {
				missing++
			}
		}
		if missing == 0 && time.Since(wait) > 3*time.Second {
			break
		}
		if len(seen) == last {
			same++
		} else {
			same, last = 0, len(seen)
		}
		if time.Duration(same)*time.Second >= stable {
			break
		}
	}
	var t tally
	t.acknowledged = len(acked)
	for ip := range acked {
		if seen[ip] {
			t.detected++
		} else {
			t.lost++
		}
	}
	for ip := range seen {
		if !acked[ip] {
			t.extra++
		}
	}
	// duplicates: every event counted more than once under one key.
	err := conn.QueryRow(ctx, `SELECT count(*), COALESCE(sum(n - 1), 0) FROM (
		SELECT sum(event_count) AS n FROM alerts WHERE source_ip LIKE $1 GROUP BY scenario, source_ip, asset_id) g`, prefix).Scan(&t.alerts, &t.duplicates)
	if err != nil {
		l.c.t.Fatal(err)
	}
	return t
}

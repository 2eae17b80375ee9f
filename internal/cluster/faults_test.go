package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// settings are the short (CI) or long run's sizes.
type settings struct {
	load      time.Duration // ingest under each fault
	workers   int
	rate      float64 // requests a second
	lines     int     // lines a request
	pgOutage  time.Duration
	noQuorum  time.Duration
	stable    time.Duration // how long the alert count may stand still before it is final
	slowBound int64         // bytes an instance may grow by under a stalled reader
	// slowAttacks is the attacks a request under the stalled reader.
	slowAttacks int
}

func sizes() settings {
	s := settings{load: 25 * time.Second, workers: 8, rate: 20, lines: 50, pgOutage: 30 * time.Second,
		noQuorum: 15 * time.Second, stable: 45 * time.Second, slowBound: 128 << 20, slowAttacks: 2}
	if long() {
		s.load, s.workers, s.rate, s.lines, s.noQuorum, s.slowAttacks = 120*time.Second, 16, 40, 200, 30*time.Second, 8
	}
	return s
}

// report prints a fault's line (the script collects them) and fails the
// test on any loss or duplicate.
func report(t *testing.T, name string, tl tally, more string) {
	t.Helper()
	line := fmt.Sprintf("FAULT %s %s %s", name, tl, more)
	fmt.Println(strings.TrimSpace(line))
	if tl.lost != 0 || tl.duplicates != 0 {
		t.Errorf("%s: %d acknowledged lines lost, %d detected twice", name, tl.lost, tl.duplicates)
	}
	if tl.acknowledged == 0 {
		t.Errorf("%s: nothing was acknowledged: the load did not run", name)
	}
}

// TestClusterFaults starts the cluster once and runs every fault on it in
// turn; each ends with its FAULT line. GARDA_CLUSTER_FAULTS=a,b runs only
// the faults named.
func TestClusterFaults(t *testing.T) {
	enabled(t)
	s := sizes()
	start := time.Now()
	c := startCluster(t, 3, nil)
	t.Logf("cluster up in %s: NATS %s, database %s, instances %s %s %s", time.Since(start).Round(time.Second),
		strings.Join(c.natsURLs, ","), c.dbName, c.insts[0].addr, c.insts[1].addr, c.insts[2].addr)
	for _, f := range []struct {
		name string
		run  func(*testing.T, *Cluster, settings)
	}{
		{"kill-instance", faultKillInstance},
		{"nats-quorum", faultNATSQuorum},
		{"postgres-outage", faultPostgres},
		{"slow-consumer", faultSlowConsumer},
		{"slow-bouncer", faultSlowBouncer},
		{"detection-lag", faultDetectionLag},
	} {
		if only := os.Getenv("GARDA_CLUSTER_FAULTS"); only != "" && !slices.Contains(strings.Split(only, ","), f.name) {
			continue
		}
		if !t.Run(f.name, func(t *testing.T) { f.run(t, c, s) }) {
			for _, i := range c.insts {
				b, _ := os.ReadFile(i.log)
				t.Logf("%s log (end):\n%s", i.name, tail(b, 4000))
			}
		}
	}
	// The schedule of the three processes, across every fault above (a
	// run of a few faults is too short to judge it).
	if os.Getenv("GARDA_CLUSTER_FAULTS") == "" {
		scheduleRuns(t, c, "patrol.sources", time.Minute)
	}
}

// waitUntil is when a wait for recovery gives up: a minute before the
// test's deadline (go test -timeout), so that a slow machine's long wait
// still ends in a count and a clear failure, not a panic of the timeout.
func waitUntil(t *testing.T) time.Time {
	if d, ok := t.Deadline(); ok {
		return d.Add(-time.Minute)
	}
	return time.Now().Add(10 * time.Minute)
}

// runLoad starts l and returns its stop.
func runLoad(l *load) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.run(ctx) }()
	return func() { cancel(); <-done }
}

// faultKillInstance: kill -9 the instance holding the most partitions
// under ingest; its partitions move, its readers reconnect elsewhere, and
// every acknowledged line is detected once.
func faultKillInstance(t *testing.T, c *Cluster, s settings) {
	conn := c.db()
	fctx, cancelF := context.WithCancel(context.Background())
	defer cancelF()
	// The victim is chosen first so the stream reader starts on it.
	held := c.holders(conn)
	victim, vi := c.insts[0], 0
	best := -1
	for n, i := range c.insts {
		k := 0
		for _, h := range held {
			if strings.HasSuffix(h, "/"+i.addr) {
				k++
			}
		}
		if k > best {
			victim, vi, best = i, n, k
		}
	}
	fol := follow(fctx, c, vi, "100.1.")
	l := newLoad(c, 1, s.lines, s.workers, s.rate)
	stop := runLoad(l)
	time.Sleep(s.load / 3)
	victim.kill9()
	killed := time.Now()
	var moved time.Duration
	for deadline := waitUntil(t); time.Now().Before(deadline); {
		h := c.holders(conn)
		gone := len(h) == 8
		for _, holder := range h {
			if strings.HasSuffix(holder, "/"+victim.addr) {
				gone = false
			}
		}
		if gone {
			moved = time.Since(killed)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(max(0, s.load*2/3-time.Since(killed)))
	stop()
	tl := l.settle(s.stable)
	// The stream reader: every alert of this fault, across the kill.
	time.Sleep(3 * time.Second)
	var ids []int64
	rows, err := conn.Query(context.Background(), `SELECT id FROM alerts WHERE source_ip LIKE '100.1.%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	seen, reconnects := fol.count()
	missed := fol.missing(ids)
	cancelF()
	// Bring the instance back for the next faults.
	c.startInstance(victim, vi)
	c.waitReady(victim)
	report(t, "kill-instance", tl, fmt.Sprintf("partitions_moved_s=%.1f stream_alerts=%d stream_seen=%d stream_missed=%d stream_reconnects=%d answers=%v",
		moved.Seconds(), len(ids), seen, missed, reconnects, l.status))
	if moved == 0 {
		t.Errorf("the killed instance's partitions did not move before the test's deadline")
	}
	if missed > 0 {
		t.Errorf("the stream reader missed %d of %d alerts across the kill", missed, len(ids))
	}
}

// faultNATSQuorum: kill -9 one NATS node (ingest goes on), then a second
// (quorum lost: ingest must refuse with Retry-After, never acknowledge),
// then start both again: ingest resumes, nothing acknowledged is lost.
func faultNATSQuorum(t *testing.T, c *Cluster, s settings) {
	l := newLoad(c, 2, s.lines, s.workers, s.rate)
	stop := runLoad(l)
	time.Sleep(5 * time.Second)
	c.nats[2].kill9()
	l.openWindow()
	time.Sleep(10 * time.Second)
	one := l.closeWindow()
	c.nats[1].kill9()
	time.Sleep(2 * time.Second) // answers already on their way
	l.openWindow()
	time.Sleep(s.noQuorum)
	none := l.closeWindow()
	c.restartNATS(1)
	c.restartNATS(2)
	back := time.Now()
	l.openWindow()
	var resumed time.Duration
	for deadline := waitUntil(t); time.Now().Before(deadline); {
		l.mu.Lock()
		ok := l.window.status[http.StatusOK]
		l.mu.Unlock()
		if ok > 0 {
			resumed = time.Since(back)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	l.closeWindow()
	time.Sleep(10 * time.Second)
	stop()
	tl := l.settle(s.stable)
	refused := none.status[http.StatusServiceUnavailable] + none.status[http.StatusTooManyRequests]
	report(t, "nats-quorum", tl, fmt.Sprintf("one_node_down_2xx=%d quorum_lost_2xx=%d quorum_lost_refused=%d quorum_lost_no_retry_after=%d quorum_lost_other=%v resumed_s=%.1f",
		one.status[http.StatusOK], none.status[http.StatusOK], refused, none.noRetry, none.status, resumed.Seconds()))
	if one.status[http.StatusOK] == 0 {
		t.Errorf("with one NATS node of three down, no ingest was acknowledged (R3 should go on)")
	}
	if refused == 0 || none.noRetry > 0 {
		t.Errorf("without quorum ingest answered %v (%d refusals without Retry-After): want 503/429 with Retry-After", none.status, none.noRetry)
	}
	if resumed == 0 {
		t.Errorf("ingest did not resume after quorum's return, before the test's deadline")
	}
}

// faultPostgres: PostgreSQL unreachable (the proxy cut) under ingest:
// clear 503s with Retry-After, no 500, recovery by itself, every
// acknowledged batch audited once, the audit chain intact.
func faultPostgres(t *testing.T, c *Cluster, s settings) {
	l := newLoad(c, 3, s.lines, s.workers, s.rate)
	l.trackBatches = true
	stop := runLoad(l)
	time.Sleep(5 * time.Second)
	c.proxy.cut()
	time.Sleep(time.Second) // answers of requests stored before the cut
	l.openWindow()
	time.Sleep(s.pgOutage - time.Second)
	out := l.closeWindow()
	c.proxy.restore(t)
	back := time.Now()
	l.openWindow()
	var recovered time.Duration
	for deadline := waitUntil(t); time.Now().Before(deadline); {
		l.mu.Lock()
		ok := l.window.status[http.StatusOK]
		l.mu.Unlock()
		if ok > 0 {
			recovered = time.Since(back)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	l.closeWindow()
	time.Sleep(10 * time.Second)
	stop()
	tl := l.settle(s.stable)
	audited, twice, missing := c.auditedBatches(l.ackedBatches())
	verify, err := c.gardaIn("", "audit", "verify", "--database", c.direct, "--data-dir", filepath.Join(c.dir, c.insts[0].name))
	verifyOK := err == nil
	report(t, "postgres-outage", tl, fmt.Sprintf("outage_s=%.0f outage_503=%d outage_500=%d outage_no_retry_after=%d outage_answers=%v recovered_s=%.1f batches_audited=%d batches_audited_twice=%d batches_not_audited=%d audit_verify=%v",
		s.pgOutage.Seconds(), out.status[http.StatusServiceUnavailable], out.status[http.StatusInternalServerError], out.noRetry, out.status,
		recovered.Seconds(), audited, twice, missing, verifyOK))
	if out.status[http.StatusInternalServerError] > 0 || out.noRetry > 0 || out.status[http.StatusOK] > 0 {
		t.Errorf("while PostgreSQL was unreachable ingest answered %v (%d refusals without Retry-After): want only 503 with Retry-After", out.status, out.noRetry)
	}
	if recovered == 0 {
		t.Errorf("ingest did not recover after PostgreSQL's return, before the test's deadline")
	}
	if twice > 0 || missing > 0 {
		t.Errorf("acknowledged batches: %d audited twice, %d not audited", twice, missing)
	}
	if !verifyOK {
		t.Errorf("garda audit verify after the outage: %v\n%s", err, verify)
	}
}

// auditedBatches counts the ingest.batch audit entries of the client
// batch ids given: how many are audited, how many more than once, how many
// not at all.
func (c *Cluster) auditedBatches(ids map[string]bool) (audited, twice, missing int) {
	conn := c.db()
	rows, err := conn.Query(context.Background(), `SELECT detail FROM audit_log WHERE action = 'ingest.batch'`)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	n := map[string]int{}
	for rows.Next() {
		var detail string
		rows.Scan(&detail)
		var b struct {
			Client string `json:"client_batch"`
		}
		json.Unmarshal([]byte(detail), &b)
		if ids[b.Client] {
			n[b.Client]++
		}
	}
	for id := range ids {
		switch n[id] {
		case 0:
			missing++
		case 1:
			audited++
		default:
			audited++
			twice++
		}
	}
	return
}

// faultSlowConsumer: a stream reader that never reads sits on one
// instance while alerts flow: the instance's memory stays bounded and a
// reader beside it is sent every alert.
func faultSlowConsumer(t *testing.T, c *Cluster, s settings) {
	inst := c.insts[0]
	stalled, err := net.Dial("tcp", inst.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	stalled.(*net.TCPConn).SetReadBuffer(1024)
	fmt.Fprintf(stalled, "GET /api/v1/alerts/stream HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", inst.addr, c.token)
	fctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// When does the server give up on the stalled reader? Its end of the
	// connection leaves ESTABLISHED when it closes it (with data unsent:
	// FIN_WAIT1), which the kernel's table shows without reading.
	opened := time.Now()
	closedAfter := make(chan time.Duration, 1)
	go func() {
		for fctx.Err() == nil {
			if !established(inst.addr, stalled.LocalAddr().String()) {
				closedAfter <- time.Since(opened)
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}()
	fol := follow(fctx, c, 0, "100.4.")
	time.Sleep(time.Second)
	before := inst.rss()
	// Several attacks a request: alerts of about 1 KiB each on the stream
	// pile up toward the stalled reader (loopback send buffers grow to
	// 4 MiB): eight in the long mode, two in CI's.
	l := newLoad(c, 4, s.lines, s.workers, s.rate)
	l.attacks = s.slowAttacks
	stop := runLoad(l)
	var peak int64
	for end := time.Now().Add(s.load); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		peak = max(peak, inst.rss())
	}
	stop()
	tl := l.settle(s.stable)
	time.Sleep(3 * time.Second)
	conn := c.db()
	var ids []int64
	rows, err := conn.Query(context.Background(), `SELECT id FROM alerts WHERE source_ip LIKE '100.4.%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	seen, _ := fol.count()
	missed := fol.missing(ids)
	closed := "never"
	select {
	case d := <-closedAfter:
		closed = fmt.Sprintf("%.0fs", d.Seconds())
	case <-time.After(time.Minute):
	}
	report(t, "slow-consumer", tl, fmt.Sprintf("rss_before_mb=%d rss_peak_mb=%d reader_alerts=%d reader_seen=%d reader_missed=%d stalled_stream_closed_by_server_after=%s",
		before>>20, peak>>20, len(ids), seen, missed, closed))
	if peak-before > s.slowBound {
		t.Errorf("with a stalled reader the instance grew from %d to %d MiB", before>>20, peak>>20)
	}
	if missed > 0 {
		t.Errorf("the reader beside the stalled one missed %d of %d alerts", missed, len(ids))
	}
}

// established reports whether the server's end (local) of the connection
// to remote is ESTABLISHED in /proc/net/tcp.
func established(local, remote string) bool {
	hexAddr := func(a string) string {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			return ""
		}
		b := ap.Addr().As4()
		return fmt.Sprintf("%02X%02X%02X%02X:%04X", b[3], b[2], b[1], b[0], ap.Port())
	}
	l, r := hexAddr(local), hexAddr(remote)
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == l && f[2] == r {
			return f[3] == "01"
		}
	}
	return false
}

// scheduleRuns counts, from the instances' logs, the runs of an
// every-minute job the three garda serve processes share (the patrol's
// sources) across every fault: two runs closer than 30 s are one period
// run twice; a gap over 2.5 minutes is a period lost.
func scheduleRuns(t *testing.T, c *Cluster, job string, every time.Duration) {
	var runs []time.Time
	by := map[string]int{}
	for _, i := range c.insts {
		b, err := os.ReadFile(i.log)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, `msg="schedule: job ran"`) || !strings.Contains(line, " job="+job+" ") {
				continue
			}
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(f[0], "time="))
			if err != nil {
				continue
			}
			runs = append(runs, at)
			by[i.name]++
		}
	}
	slices.SortFunc(runs, func(a, b time.Time) int { return a.Compare(b) })
	dup, lost := 0, 0
	var minGap, maxGap time.Duration
	for n := 1; n < len(runs); n++ {
		gap := runs[n].Sub(runs[n-1])
		if n == 1 || gap < minGap {
			minGap = gap
		}
		maxGap = max(maxGap, gap)
		if gap < every/2 {
			dup++
		}
		if gap > 2*every+every/2 {
			lost += int(gap/every) - 2
		}
	}
	// A run is due a period after the last one was claimed and is seen
	// at the next poll (15 s): periods of 60 to 75 s are on time. The
	// periods owed are the runs made and the ones lost.
	expected := len(runs) + lost
	fmt.Printf("FAULT schedule-serve acknowledged=%d detected=%d duplicates=%d lost=%d job=%s min_gap_s=%.0f max_gap_s=%.0f runs_by_instance=%v\n",
		expected, len(runs), dup, lost, job, minGap.Seconds(), maxGap.Seconds(), by)
	if len(runs) < 2 {
		t.Errorf("the %s job ran %d times across the faults: want a run a minute", job, len(runs))
	}
	if dup > 0 || lost > 0 {
		t.Errorf("the %s job across 3 instances and the faults: %d periods run twice, %d lost", job, dup, lost)
	}
}

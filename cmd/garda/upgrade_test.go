package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// instance is one running garda serve.
type instance struct {
	name, base string
	stop       func()
}

func startInstance(t *testing.T, name, bin, dir string, args ...string) *instance {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}, args...)...)
	stderr, _ := cmd.StderrPipe()
	logf, err := os.Create(dir + ".log")
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	in := &instance{name: name}
	in.stop = func() {
		once.Do(func() {
			cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
			}
			logf.Close()
		})
	}
	t.Cleanup(in.stop)
	urlRE := regexp.MustCompile(`msg="garda is serving" url=(\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- strings.TrimSuffix(m[1], "/")
			}
		}
	}()
	select {
	case in.base = <-found:
		return in
	case <-time.After(90 * time.Second):
		log, _ := os.ReadFile(dir + ".log")
		t.Fatalf("%s printed no URL within 90s\n%s", name, log)
	}
	return nil
}

// pool is the load balancer's list of instances in rotation.
type pool struct {
	mu    sync.Mutex
	insts []*instance
	next  int
}

func (p *pool) set(in ...*instance) {
	p.mu.Lock()
	p.insts = in
	p.mu.Unlock()
}

func (p *pool) pick() *instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	return p.insts[p.next%len(p.insts)]
}

type result struct {
	start, end time.Time
	inst       string
	ok         bool
	what       string
}

// TestRollingUpgrade runs an instance of the previous version (this code)
// and one of the next version (this code plus an additive migration: a
// column and an index on incidents, build tag garda_upgrade_test) side by
// side on one PostgreSQL database and one NATS, while operators' requests
// go on through a load balancer: the next version migrates at start, the
// old one keeps answering through and after the migration, is drained and
// stopped, replaced by the next version; an old instance started after the
// migration (a rollback) works too. Every request is counted.
func TestRollingUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dsn := freshDatabase(t)
	natsURL := natsForTest(t)
	oldBin := buildGarda(t)
	newBin := filepath.Join(t.TempDir(), "garda-next")
	if out, err := exec.Command("go", "build", "-tags", "garda_upgrade_test", "-o", newBin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build the next version: %v\n%s", err, out)
	}
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := garda(t, oldBin, stdin, append(args, "--database", dsn)...)
		if code != 0 {
			t.Fatalf("garda %v: exit %d: %s", args, code, errOut)
		}
		return strings.TrimSpace(out)
	}
	work := t.TempDir()
	run("", "migrate", "--data-dir", filepath.Join(work, "cli"))
	run("operator-password-1\n", "user", "create", "--data-dir", filepath.Join(work, "cli"), "--username", "analis.kpu", "--org", "kpu", "--role", "analyst", "--scope", "", "--password-stdin")
	token := run("", "token", "create", "--data-dir", filepath.Join(work, "cli"), "--username", "analis.kpu")
	flags := []string{"--database", dsn, "--nats", natsURL}

	old1 := startInstance(t, "old-1", oldBin, filepath.Join(work, "old-1"), flags...)
	lb := &pool{}
	lb.set(old1)

	var (
		mu      sync.Mutex
		results []result
		created atomic.Int64
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				in := lb.pick()
				var req *http.Request
				what := []string{"create", "list", "get"}[i%3]
				switch what {
				case "create":
					req, _ = http.NewRequest("POST", in.base+"/api/v1/incidents", strings.NewReader(fmt.Sprintf(`{"title":"Pemutakhiran bergilir %d-%d","region":"32"}`, w, i)))
					req.Header.Set("Content-Type", "application/json")
				case "list":
					req, _ = http.NewRequest("GET", in.base+"/api/v1/incidents?limit=20", nil)
				case "get":
					req, _ = http.NewRequest("GET", fmt.Sprintf("%s/api/v1/incidents/%d", in.base, max(created.Load(), 1)), nil)
				}
				req.Header.Set("Authorization", "Bearer "+token)
				r := result{start: time.Now(), inst: in.name, what: what}
				res, err := client.Do(req)
				if err == nil {
					body, _ := io.ReadAll(res.Body)
					res.Body.Close()
					r.ok = res.StatusCode < 300
					if what == "create" && res.StatusCode == 201 {
						var id int64
						fmt.Sscanf(string(body), `{"id":%d`, &id)
						if id > created.Load() {
							created.Store(id)
						}
					}
					if !r.ok {
						t.Logf("%s %s on %s: %d %s", req.Method, req.URL.Path, in.name, res.StatusCode, body)
					}
				} else {
					t.Logf("%s %s on %s: %v", req.Method, req.URL.Path, in.name, err)
				}
				r.end = time.Now()
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}
		}(w)
	}

	// until waits for n answered requests of an instance that began after
	// since: phases end by what was served, not by the clock, so a loaded
	// machine makes the test slower, not weaker.
	until := func(name string, n int, since time.Time) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			got := 0
			mu.Lock()
			for _, r := range results {
				if r.inst == name && r.ok && r.start.After(since) {
					got++
				}
			}
			mu.Unlock()
			if got >= n {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("%s answered fewer than %d requests within 90s", name, n)
	}
	until("old-1", 6, time.Time{})
	// The next version starts beside the old one and migrates the shared
	// database as it starts, while the old one serves.
	migrationStart := time.Now()
	new1 := startInstance(t, "new-1", newBin, filepath.Join(work, "new-1"), flags...)
	migrated := time.Now()
	lb.set(old1, new1)
	until("old-1", 6, migrated)
	until("new-1", 6, migrated)
	// Drain the old one out of rotation, then stop it.
	lb.set(new1)
	time.Sleep(500 * time.Millisecond)
	old1.stop()
	new2 := startInstance(t, "new-2", newBin, filepath.Join(work, "new-2"), flags...)
	lb.set(new1, new2)
	until("new-2", 6, time.Now())
	// A rollback: the previous version starts on the migrated schema.
	old2 := startInstance(t, "old-2", oldBin, filepath.Join(work, "old-2"), flags...)
	lb.set(new1, new2, old2)
	until("old-2", 6, time.Now())
	close(stop)
	wg.Wait()

	// Count.
	sort.Slice(results, func(i, j int) bool { return results[i].end.Before(results[j].end) })
	errors, oldAfter, duringMigration := 0, 0, 0
	perInst := map[string]int{}
	var downtime, maxGap, failStreak time.Duration
	var lastOK, firstFail time.Time
	for _, r := range results {
		perInst[r.inst]++
		if !r.ok {
			errors++
			if firstFail.IsZero() {
				firstFail = r.start
			}
			failStreak = r.end.Sub(firstFail)
			downtime = max(downtime, failStreak)
			continue
		}
		firstFail = time.Time{}
		if !lastOK.IsZero() {
			maxGap = max(maxGap, r.end.Sub(lastOK))
		}
		lastOK = r.end
		if strings.HasPrefix(r.inst, "old") && r.start.After(migrated) {
			oldAfter++
		}
		if r.end.After(migrationStart) && r.start.Before(migrated) {
			duringMigration++
		}
	}
	lat := map[string][]time.Duration{}
	for _, r := range results {
		lat[r.what] = append(lat[r.what], r.end.Sub(r.start))
	}
	for what, l := range lat {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		t.Logf("%s: %d requests, p50 %s, max %s", what, len(l), l[len(l)/2].Round(time.Millisecond), l[len(l)-1].Round(time.Millisecond))
	}
	if errors > 0 {
		t.Errorf("%d of %d requests failed during the rolling upgrade", errors, len(results))
	}
	if oldAfter < 12 || duringMigration == 0 {
		t.Errorf("the old version answered %d requests after the migration and %d during it: the test did not test", oldAfter, duringMigration)
	}
	// The next version's column and index are there, and the previous
	// version wrote rows beside them.
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cols, idx, rows int
	db.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'incidents' AND column_name = 'upgrade_note'`).Scan(&cols)
	db.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE indexname = 'incidents_upgrade_note'`).Scan(&idx)
	db.QueryRow(ctx, `SELECT count(*) FROM incidents`).Scan(&rows)
	if cols != 1 || idx != 1 {
		t.Errorf("after the upgrade: column upgrade_note %d, index %d; want 1 and 1", cols, idx)
	}
	if out, errOut, code := garda(t, oldBin, "", "audit", "verify", "--data-dir", filepath.Join(work, "cli"), "--database", dsn); code != 0 {
		t.Errorf("audit verify after the upgrade: %s%s", out, errOut)
	}
	fmt.Printf("UPGRADE rolling requests=%d errors=%d downtime=%s old_answered_after_migration=%d answered_during_migration=%d migration_and_start=%s max_gap_between_successes=%s incidents=%d per_instance=%v\n",
		len(results), errors, downtime, oldAfter, duringMigration, migrated.Sub(migrationStart).Round(time.Millisecond), maxGap.Round(time.Millisecond), rows, perInst)
}

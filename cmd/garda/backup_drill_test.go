package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/store"
)

// drillWorld is a served data dir with an analyst's token, an asset and its
// ingest key.
type drillWorld struct {
	bin, dir, base, token, key string
	asset                      int64
}

func newDrillWorld(t *testing.T, dir string, extra ...string) drillWorld {
	t.Helper()
	w := drillWorld{bin: buildGarda(t), dir: dir}
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := garda(t, w.bin, stdin, append(args, extra...)...)
		if code != 0 {
			t.Fatalf("garda %v: exit %d: %s", args, code, errOut)
		}
		return strings.TrimSpace(out)
	}
	run("", "migrate", "--data-dir", dir)
	run("analis-kpu-password\n", "user", "create", "--data-dir", dir, "--username", "analis.kpu", "--org", "kpu", "--role", "analyst", "--scope", "", "--password-stdin")
	w.token = run("", "token", "create", "--data-dir", dir, "--username", "analis.kpu")
	w.base = startServeWith(t, w.bin, dir, extra...)
	var a struct {
		ID int64 `json:"id"`
	}
	if code := apiJSON(t, "POST", w.base+"/api/v1/assets", w.token, `{"name":"sirekap","kind":"web_app","hostnames":["sirekap.kpu.example.id"],"criticality":"critical","tlp":"AMBER"}`, &a); code != 201 {
		t.Fatalf("create asset: %d", code)
	}
	w.asset = a.ID
	var made struct {
		Key string `json:"key"`
	}
	if code := apiJSON(t, "POST", fmt.Sprintf("%s/api/v1/assets/%d/ingest-keys", w.base, a.ID), w.token, `{"name":"nginx-sirekap"}`, &made); code != 201 {
		t.Fatalf("create ingest key: %d", code)
	}
	w.key = made.Key
	return w
}

// drillLog is what the load got acknowledged, with when.
type drillLog struct {
	mu        sync.Mutex
	incidents map[int64]time.Time
	evidence  map[string]time.Time // sha256
	lines     map[int]time.Time    // line number n: path /drill/n
	errors    int
}

func (l *drillLog) before(cut time.Time) (inc []int64, ev []string, lines []int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, at := range l.incidents {
		if at.Before(cut) {
			inc = append(inc, id)
		}
	}
	for s, at := range l.evidence {
		if at.Before(cut) {
			ev = append(ev, s)
		}
	}
	for n, at := range l.lines {
		if at.Before(cut) {
			lines = append(lines, n)
		}
	}
	return
}

// load ingests lines and creates incidents with evidence until stop closes.
func (w drillWorld) load(t *testing.T, stop <-chan struct{}, log *drillLog) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // a log shipper: 50 lines a request
		defer wg.Done()
		n := 0
		for {
			select {
			case <-stop:
				return
			default:
			}
			var body strings.Builder
			first := n
			for range 50 {
				n++
				fmt.Fprintf(&body, "36.64.%d.%d - - [%s] \"GET /drill/%d HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
					n/250%250, n%250+1, time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"), n)
			}
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/ingest/%d", w.base, w.asset), strings.NewReader(body.String()))
			req.Header.Set("X-Api-Key", w.key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				log.mu.Lock()
				log.errors++
				log.mu.Unlock()
				continue
			}
			var out struct {
				Accepted int `json:"accepted"`
			}
			json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			at := time.Now()
			log.mu.Lock()
			if res.StatusCode == 200 && out.Accepted == 50 {
				for i := first + 1; i <= n; i++ {
					log.lines[i] = at
				}
			} else {
				log.errors++
			}
			log.mu.Unlock()
		}
	}()
	go func() { // an analyst: an incident, and evidence on every third
		defer wg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var inc struct {
				ID int64 `json:"id"`
			}
			code := postJSON(w.base+"/api/v1/incidents", w.token, fmt.Sprintf(`{"title":"Latihan pemulihan %d","region":"32"}`, i), &inc)
			at := time.Now()
			log.mu.Lock()
			if code == 201 {
				log.incidents[inc.ID] = at
			} else {
				log.errors++
			}
			log.mu.Unlock()
			if code != 201 || i%3 != 0 {
				continue
			}
			content := []byte(fmt.Sprintf("tangkapan layar %d %d", i, time.Now().UnixNano()))
			code = uploadEvidence(w.base, w.token, inc.ID, fmt.Sprintf("bukti-%d.txt", i), content)
			at = time.Now()
			sum := sha256.Sum256(content)
			log.mu.Lock()
			if code == 201 {
				log.evidence[hex.EncodeToString(sum[:])] = at
			} else {
				log.errors++
			}
			log.mu.Unlock()
		}
	}()
	return &wg
}

// uploadEvidence and postJSON run in the load's goroutines: a failure is
// a status (0 when the request did not get through), never t.Fatal.
func uploadEvidence(base, token string, incident int64, name string, content []byte) int {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/incidents/%d/evidence", base, incident), &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func postJSON(url, token, body string, out any) int {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	if res.StatusCode < 300 {
		json.NewDecoder(res.Body).Decode(out)
	} else {
		io.Copy(io.Discard, res.Body)
	}
	return res.StatusCode
}

// TestRestoreDrill is the drill an administrator runs: back up while ingest
// and analysts write, restore into a fresh data dir, check the audit chain
// and that every record acknowledged before the backup began is there.
func TestRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	restoreDrill(t, "", "")
}

// restoreDrill runs the drill on SQLite (srcDB "") or on the PostgreSQL
// database srcDB, restored into the empty database dstDB.
func restoreDrill(t *testing.T, srcDB, dstDB string) {
	var dbFlags []string
	if srcDB != "" {
		dbFlags = []string{"--database", srcDB}
	}
	dir := t.TempDir()
	w := newDrillWorld(t, dir, dbFlags...)
	log := &drillLog{incidents: map[int64]time.Time{}, evidence: map[string]time.Time{}, lines: map[int]time.Time{}}
	stop := make(chan struct{})
	wg := w.load(t, stop, log)
	time.Sleep(2 * time.Second)
	// A checkpoint signed under load, as serve signs one every minute: the
	// backup must hold every entry a checkpoint it carries has signed.
	if _, errOut, code := garda(t, w.bin, "", append([]string{"audit", "checkpoint", "--data-dir", dir}, dbFlags...)...); code != 0 {
		t.Fatalf("garda audit checkpoint: %s", errOut)
	}
	time.Sleep(time.Second)

	arch := filepath.Join(t.TempDir(), "garda-backup.tar.gz")
	cut := time.Now()
	out, errOut, code := garda(t, w.bin, "", append([]string{"backup", "--data-dir", dir, "--out", arch}, dbFlags...)...)
	if code != 0 {
		close(stop)
		wg.Wait()
		t.Fatalf("garda backup under load: exit %d: %s", code, errOut)
	}
	t.Logf("garda backup (under load, %s):\n%s", time.Since(cut).Round(time.Millisecond), out)
	time.Sleep(time.Second) // the load goes on past the backup
	close(stop)
	wg.Wait()
	incs, evs, lines := log.before(cut)
	if len(incs) < 5 || len(evs) < 1 || len(lines) < 500 {
		t.Fatalf("too little load before the backup to test anything: %d incidents, %d evidence files, %d lines", len(incs), len(evs), len(lines))
	}

	restored := filepath.Join(t.TempDir(), "restored")
	restoreArgs := []string{"restore", "--data-dir", restored, arch}
	var rFlags []string
	if dstDB != "" {
		rFlags = []string{"--database", dstDB}
		restoreArgs = append(restoreArgs, rFlags...)
	}
	if out, errOut, code := garda(t, w.bin, "", restoreArgs...); code != 0 {
		t.Fatalf("garda restore: exit %d: %s", code, errOut)
	} else {
		t.Logf("garda restore:\n%s", out)
	}
	// Into the live data dir it is refused.
	if _, errOut, code := garda(t, w.bin, "", "restore", "--data-dir", dir, arch); code == 0 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore over the live data dir: exit %d, %q", code, errOut)
	}
	// A damaged copy is refused with exit 2, and nothing is made.
	if b, err := os.ReadFile(arch); err == nil {
		b[len(b)/2] ^= 0x10
		bad := arch + ".damaged"
		os.WriteFile(bad, b, 0o600)
		scratch := filepath.Join(t.TempDir(), "scratch")
		if _, errOut, code := garda(t, w.bin, "", "restore", "--data-dir", scratch, bad); code != 2 || !strings.Contains(errOut, "damaged") {
			t.Errorf("restore of a damaged archive: exit %d, %q; want 2 saying damaged", code, errOut)
		}
		if _, err := os.Stat(scratch); err == nil {
			t.Error("a damaged archive left a data dir")
		}
	}
	verify, errOut, code := garda(t, w.bin, "", append([]string{"audit", "verify", "--data-dir", restored}, rFlags...)...)
	if code != 0 || !strings.Contains(verify, "intact") {
		t.Fatalf("garda audit verify on the restored data dir: exit %d: %s%s", code, verify, errOut)
	}
	t.Logf("garda audit verify: %s", strings.TrimSpace(verify))

	ctx := context.Background()
	db, err := store.Open(ctx, dstDB, restored)
	if err != nil {
		t.Fatal(err)
	}
	lostInc, lostEv := 0, 0
	for _, id := range incs {
		var title string
		if err := db.QueryRow(ctx, `SELECT title FROM incidents WHERE id = ?`, id).Scan(&title); err != nil {
			lostInc++
			t.Errorf("incident %d acknowledged before the backup is not in the restore: %v", id, err)
		}
	}
	for _, sum := range evs {
		var folder int64
		if err := db.QueryRow(ctx, `SELECT incident_id FROM incident_evidence WHERE sha256 = ?`, sum).Scan(&folder); err != nil {
			lostEv++
			t.Errorf("evidence %s acknowledged before the backup is not in the restored database: %v", sum, err)
			continue
		}
		b, err := os.ReadFile(filepath.Join(restored, "evidence", fmt.Sprint(folder), sum))
		if got := sha256.Sum256(b); err != nil || hex.EncodeToString(got[:]) != sum {
			lostEv++
			t.Errorf("evidence file %s missing or changed in the restore: %v", sum, err)
		}
	}
	db.Close()

	b, err := bus.Open(ctx, bus.Config{DataDir: restored}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, err := b.Since(ctx, b.Subjects(bus.Events), time.Time{}, 10_000_000)
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	re := regexp.MustCompile(`/drill/(\d+)`)
	for _, m := range msgs {
		for _, g := range re.FindAllSubmatch(m.Data, -1) {
			var n int
			fmt.Sscan(string(g[1]), &n)
			seen[n]++
		}
	}
	lostLines, doubled := 0, 0
	for _, n := range lines {
		switch seen[n] {
		case 0:
			lostLines++
		case 1:
		default:
			doubled++
		}
	}
	if lostLines > 0 || doubled > 0 {
		t.Errorf("ingested lines acknowledged before the backup: %d missing from the restored events stream, %d there more than once", lostLines, doubled)
	}
	// The restored data dir serves.
	rbase := startServeWith(t, w.bin, restored, rFlags...)
	if code := apiJSON(t, "GET", fmt.Sprintf("%s/api/v1/incidents/%d", rbase, incs[len(incs)-1]), w.token, "", nil); code != 200 {
		t.Errorf("the restored instance answers %d for an acknowledged incident", code)
	}
	engine := "sqlite"
	if srcDB != "" {
		engine = "postgresql"
	}
	fmt.Printf("DRILL restore-%s acknowledged_before_backup: incidents=%d evidence=%d lines=%d; restored: lost_incidents=%d lost_evidence=%d lost_lines=%d duplicate_lines=%d; load errors=%d; events in the restore=%d\n",
		engine, len(incs), len(evs), len(lines), lostInc, lostEv, lostLines, doubled, log.errors, len(msgs))
}

// TestRestoreDrillPostgres is the drill on PostgreSQL: garda backup runs
// pg_dump between the audit checkpoints and the evidence files, garda
// restore loads the dump into a new database with pg_restore.
func TestRestoreDrillPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("GARDA_CI") != "" {
				t.Fatalf("%s not found (apt-get install postgresql-client)", tool)
			}
			t.Skipf("%s not found (apt-get install postgresql-client): skipping the PostgreSQL drill", tool)
		}
	}
	src, dst := freshDatabase(t), freshDatabase(t)
	restoreDrill(t, src, dst)
}

// freshDatabase makes a new database on GARDA_TEST_POSTGRES's server,
// dropped at the end of the test, and returns its URL.
func freshDatabase(t *testing.T) string {
	t.Helper()
	base := os.Getenv("GARDA_TEST_POSTGRES")
	if base == "" {
		t.Skip("GARDA_TEST_POSTGRES not set (a postgres:// URL): skipping the PostgreSQL run")
	}
	ctx := context.Background()
	admin, err := store.Open(ctx, base, "")
	if err != nil {
		t.Fatalf("GARDA_TEST_POSTGRES: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "garda_backup_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

package walltest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/platform"
)

// instance is one running Garda (garda serve, in process) on a data
// directory that outlives it.
type instance struct {
	p      *platform.Platform
	addr   string
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, addr, dir string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := platform.Open(ctx, platform.Config{Addr: addr, DataDir: dir, Version: "walltest"}, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var ln net.Listener
	for i := 0; ; i++ { // the old instance's port may take a moment to free
		if ln, err = p.Listen(); err == nil {
			break
		}
		if i == 50 {
			p.Close()
			cancel()
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	in := &instance{p: p, addr: ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- p.Serve(ctx, ln) }()
	return in
}

func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.cancel()
	select {
	case err := <-in.done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not stop")
	}
	in.p.Close()
}

// chromium starts the browser headless with DevTools on a loopback port
// and returns that port.
func chromium(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("GARDA_CI") != "" {
			t.Fatal("Debian's chromium is needed (GARDA_CI is set): apt-get install chromium")
		}
		t.Skip("Debian's chromium is not installed (apt-get install chromium)")
	}
	cmd := exec.Command(bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-extensions",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--user-data-dir="+t.TempDir(),
		"--window-size=1920,1080", "--hide-scrollbars", "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`DevTools listening on ws://127\.0\.0\.1:(\d+)/`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case port := <-found:
		return port
	case <-time.After(60 * time.Second):
		t.Fatal("chromium did not say where DevTools listen")
	}
	return ""
}

// wallDOM is what the test reads of the screen.
type wallDOM struct {
	Conn      string   `json:"conn"`
	Banner    bool     `json:"banner"`
	Paths     int      `json:"paths"`
	Counters  []string `json:"counters"`
	AlertsNew string   `json:"alerts_new"`
	Open      string   `json:"open"`
	Alerts    []string `json:"alerts"`
	Mark      string   `json:"mark"`
	EventRead int      `json:"event_reads"`
	Drill     bool     `json:"drill"`
	DrillText string   `json:"drill_text"`
}

const readDOM = `(function () {
  var q = function (s) { return document.querySelector(s); };
  var b = document.body;
  if (!b || !q("[data-counter=alerts_open]")) return null;
  return {
    conn: b.getAttribute("data-conn") || "",
    banner: !q("[data-wall-conn]").hidden,
    paths: document.querySelectorAll("svg.map path[data-region]").length,
    counters: Array.from(document.querySelectorAll("[data-counter]")).map(function (e) { return e.getAttribute("data-counter") + "=" + e.textContent; }),
    alerts_new: q("[data-counter=alerts_new]").textContent,
    open: q("[data-counter=alerts_open]").textContent,
    alerts: Array.from(document.querySelectorAll("[data-wall-list=alerts] li")).map(function (e) { return e.textContent; }),
    mark: String(window.__wallMark || ""),
    event_reads: Number(b.getAttribute("data-reads-event")) || 0,
    drill: !q("[data-wall-drill]").hidden,
    drill_text: q("[data-wall-drill-text]").textContent
  };
})()`

// TestWallInChromium: the wall display in Debian's Chromium, headless,
// signed in as a West Java analyst: at 1920x1080 it shows the map (the
// province coloured by its open high alert) and the counters; a new alert
// appears without a reload, brought by the stream; when the server stops
// the screen says so, and when it is back it reconnects by itself and
// shows what was raised meanwhile.
func TestWallInChromium(t *testing.T) {
	port := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	srv := start(t, "127.0.0.1:0", dir)
	addr := srv.addr
	defer func() {
		if srv != nil {
			srv.stop(t)
		}
	}()

	// An analyst of West Java, an asset and a first alert.
	db := srv.p.DB
	u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "jabar.layar", DisplayName: "Layar Jabar",
		Org: org.KPUSlug("32"), Role: "analyst", Scope: "32", Password: "layar-jabar-panjang-sekali"})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	who, err := auth.PrincipalOf(u, tree)
	if err != nil {
		t.Fatal(err)
	}
	name, kind, reg, tlp := "Portal KPU Jabar", "site", "32", "GREEN"
	a, err := asset.Create(ctx, db, who, tree, asset.Input{Name: &name, Kind: &kind, Region: &reg, TLP: &tlp})
	if err != nil {
		t.Fatal(err)
	}
	raise := func(in *instance, title, ip string) {
		t.Helper()
		created, _, err := alert.Record(ctx, in.p.DB, []alert.Signal{{Scenario: "uji-layar", Title: title, Severity: "high",
			Technique: "T1190", SourceIP: ip, AssetID: a.ID, Time: time.Now().UTC(), Count: 1}})
		if err != nil || len(created) != 1 {
			t.Fatalf("raise %q: %v %v", title, created, err)
		}
		alert.Notify(ctx, in.p.Bus, nil, created...)
	}
	raise(srv, "Injeksi SQL pertama", "198.51.100.1")
	var roomID int64
	if err := db.QueryRow(ctx, `SELECT id FROM rooms WHERE region = ?`, "32").Scan(&roomID); err != nil {
		t.Fatal(err)
	}
	cookie, _, err := auth.CreateSession(ctx, db, u.ID)
	if err != nil {
		t.Fatal(err)
	}

	// The browser, signed in with the session's cookie, opens the wall.
	wsURL, err := pageTarget(ctx, port)
	if err != nil {
		t.Fatal(err)
	}
	page, err := newCDP(ctx, wsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer page.close()
	base := "http://" + addr
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(page.call(ctx, "Network.enable", nil, nil))
	must(page.call(ctx, "Network.setCookie", map[string]any{"name": "garda_session", "value": cookie, "url": base, "httpOnly": true}, nil))
	must(page.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": false}, nil))
	must(page.call(ctx, "Page.enable", nil, nil))
	must(page.call(ctx, "Page.navigate", map[string]any{"url": fmt.Sprintf("%s/ruang-operasi/%d/layar", base, roomID)}, nil))

	// wait polls the screen until ok says so.
	wait := func(what string, limit time.Duration, ok func(d wallDOM) bool) wallDOM {
		t.Helper()
		end := time.Now().Add(limit)
		var d wallDOM
		for {
			d = wallDOM{}
			err := page.eval(ctx, readDOM, &d)
			if err == nil && ok(d) {
				return d
			}
			if time.Now().After(end) {
				t.Fatalf("%s: not after %s: %+v (%v)", what, limit, d, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	d := wait("the wall opens its streams", time.Minute, func(d wallDOM) bool { return d.Conn == "on" })
	if d.Paths != 38 || d.Open != "1" || d.AlertsNew != "1" || len(d.Alerts) != 1 || !strings.Contains(d.Alerts[0], "Injeksi SQL pertama") {
		t.Errorf("the wall as opened: %+v", d)
	}
	must(page.eval(ctx, `window.__wallMark = "kept"; true`, nil))

	// The screenshot: 1920x1080, not blank, the map's West Java in the
	// high level's red.
	var shot struct {
		Data string `json:"data"`
	}
	must(page.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot))
	raw, err := base64.StdEncoding.DecodeString(shot.Data)
	must(err)
	if out := os.Getenv("GARDA_WALL_SCREENSHOT"); out != "" {
		must(os.WriteFile(out, raw, 0o644))
	} else {
		os.WriteFile(filepath.Join(t.TempDir(), "wall.png"), raw, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	must(err)
	checkShot(t, img)

	// A new alert appears without a reload, brought by the stream.
	before := d.EventRead
	t0 := time.Now()
	raise(srv, "Injeksi SQL kedua", "198.51.100.2")
	d = wait("the second alert shows", time.Minute, func(d wallDOM) bool {
		return d.Open == "2" && len(d.Alerts) == 2 && strings.Contains(d.Alerts[0], "Injeksi SQL kedua")
	})
	t.Logf("a new alert showed on the wall %s after it was raised (loaded machine)", time.Since(t0).Round(time.Millisecond))
	if d.Mark != "kept" {
		t.Error("the page reloaded to show the new alert")
	}
	if d.EventRead <= before {
		t.Errorf("the new alert came with no read caused by a stream event (event reads %d, before %d)", d.EventRead, before)
	}

	// A drill runs in the room: its alert, stored with a raise moment two
	// seconds ahead (as the replay stores a run's alerts at the traffic's
	// pace), shows on the LATIHAN strip when that moment comes, brought by
	// the room's drill stream, without a reload.
	if d.Drill {
		t.Errorf("the LATIHAN strip shows before any drill: %+v", d)
	}
	now := time.Now().UTC()
	var drillID, runID int64
	must(db.QueryRow(ctx, `INSERT INTO drills (name, source, expect_level, created_by, created_at) VALUES (?, 'simulated', 'national', ?, ?) RETURNING id`,
		"Latihan layar", u.ID, now).Scan(&drillID))
	must(db.QueryRow(ctx, `INSERT INTO drill_runs (drill_id, room_id, scheduled_at, started_at, status) VALUES (?, ?, ?, ?, 'running') RETURNING id`,
		drillID, roomID, now, now).Scan(&runID))
	raisedAt := now.Add(2 * time.Second)
	_, err = db.Exec(ctx, `INSERT INTO drill_alerts (run_id, scenario, title, severity, source_ip, event_count, first_seen, last_seen, raised_at)
		VALUES (?, 'http-sqli', 'SQL injection', 'high', '203.0.113.9', 3, ?, ?, ?)`, runID, raisedAt, raisedAt, raisedAt)
	must(err)
	before = d.EventRead
	time.Sleep(time.Until(raisedAt) - 300*time.Millisecond)
	if d = wait("the wall before the drill alert is raised", time.Second, func(wallDOM) bool { return true }); d.Drill {
		t.Errorf("the drill alert showed before its raise moment: %+v", d)
	}
	d = wait("the drill alert shows on the LATIHAN strip", time.Minute, func(d wallDOM) bool {
		return d.Drill && strings.Contains(d.DrillText, "LATIHAN") && strings.Contains(d.DrillText, " 1 ")
	})
	t.Logf("a drill alert showed on the LATIHAN strip %s after its raise moment (loaded machine)", time.Since(raisedAt).Round(time.Millisecond))
	if d.Mark != "kept" {
		t.Error("the page reloaded to show the drill alert")
	}
	if d.EventRead <= before {
		t.Errorf("the drill alert came with no read caused by a stream event (event reads %d, before %d)", d.EventRead, before)
	}
	if d.Open != "2" {
		t.Errorf("the drill alert counted as real: open %s", d.Open)
	}

	// The server stops: the screen says it lost the connection.
	srv.stop(t)
	srv = nil
	wait("the wall says it lost the connection", time.Minute, func(d wallDOM) bool { return d.Conn == "lost" && d.Banner })
	// Back on the same address and data: the wall reconnects by itself
	// and shows what was raised as it came back.
	srv = start(t, addr, dir)
	t1 := time.Now()
	raise(srv, "Injeksi SQL ketiga", "198.51.100.3")
	d = wait("the wall reconnects", 2*time.Minute, func(d wallDOM) bool {
		return d.Conn == "on" && d.Open == "3" && len(d.Alerts) == 3 && strings.Contains(d.Alerts[0], "Injeksi SQL ketiga")
	})
	t.Logf("the wall reconnected and showed the third alert %s after the server restarted (loaded machine)", time.Since(t1).Round(time.Millisecond))
	if d.Mark != "kept" {
		t.Error("the page reloaded to reconnect")
	}

	// The room's drill page shows the run's next alert when its moment
	// comes, without a reload.
	must(page.call(ctx, "Page.navigate", map[string]any{"url": fmt.Sprintf("%s/ruang-operasi/%d/diklat", base, roomID)}, nil))
	const readDrill = `(function () {
  var ul = document.querySelector('[data-drill-alerts]');
  if (!ul || !window.EventSource) return -1;
  return ul.querySelectorAll("li").length + (window.__drillMark === "kept" ? 1000 : 0);
})()`
	drillItems := func() int {
		var n int
		if err := page.eval(ctx, readDrill, &n); err != nil {
			return -1
		}
		return n
	}
	end := time.Now().Add(time.Minute)
	for drillItems() != 1 {
		if time.Now().After(end) {
			t.Fatalf("the drill page does not show the run's one alert: %d", drillItems())
		}
		time.Sleep(100 * time.Millisecond)
	}
	must(page.eval(ctx, `window.__drillMark = "kept"; true`, nil))
	time.Sleep(1500 * time.Millisecond) // the page's stream is open
	raisedAt = time.Now().UTC().Add(2 * time.Second)
	_, err = srv.p.DB.Exec(ctx, `INSERT INTO drill_alerts (run_id, scenario, title, severity, source_ip, event_count, first_seen, last_seen, raised_at)
		VALUES (?, 'http-xss', 'XSS', 'medium', '203.0.113.10', 2, ?, ?, ?)`, runID, raisedAt, raisedAt, raisedAt)
	must(err)
	end = time.Now().Add(time.Minute)
	for {
		n := drillItems()
		if n == 1002 {
			break
		}
		if n == 2 || n == 1 && time.Now().After(raisedAt.Add(30*time.Second)) {
			t.Fatalf("the drill page reloaded, or never showed the second drill alert (%d)", n)
		}
		if time.Now().After(end) {
			t.Fatalf("the drill page does not show the second drill alert: %d", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("a drill alert showed on the room's drill page %s after its raise moment (loaded machine)", time.Since(raisedAt).Round(time.Millisecond))

	// A run scheduled now shows on the open page, the running one's list kept.
	var nextRun int64
	scheduledAt := time.Now()
	must(srv.p.DB.QueryRow(ctx, `INSERT INTO drill_runs (drill_id, room_id, scheduled_at, status) VALUES (?, ?, ?, 'scheduled') RETURNING id`,
		drillID, roomID, scheduledAt.UTC().Add(time.Hour)).Scan(&nextRun))
	readRuns := fmt.Sprintf(`(function () {
  var s = document.getElementById("putaran-%d");
  return (s ? s.getAttribute("data-run-status") : "") + "/" + (window.__drillMark || "") + "/" +
    document.querySelectorAll('[data-drill-alerts="%d"] li').length;
})()`, nextRun, runID)
	for end = time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var got string
		if err := page.eval(ctx, readRuns, &got); err == nil && got == "scheduled/kept/2" {
			break
		} else if time.Now().After(end) {
			t.Fatalf("the drill page does not show the run scheduled after it opened: %q, want scheduled/kept/2", got)
		}
	}
	t.Logf("a run scheduled after the drill page opened showed on it %s later", time.Since(scheduledAt).Round(time.Millisecond))
}

// checkShot: the screenshot is the full screen, not blank (many colours),
// and has the map's high-level red (#e2463a, West Java) on its left half.
func checkShot(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() != 1920 || b.Dy() != 1080 {
		t.Errorf("screenshot is %dx%d, want 1920x1080", b.Dx(), b.Dy())
	}
	colours := map[uint32]bool{}
	red, dark := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			colours[r<<16|g<<8|bl] = true
			if x < b.Dx()*6/10 && near(r, 0xe2) && near(g, 0x46) && near(bl, 0x3a) {
				red++
			}
			if r < 40 && g < 50 && bl < 70 {
				dark++
			}
		}
	}
	total := (b.Dx() / 2) * (b.Dy() / 2)
	if len(colours) < 50 {
		t.Errorf("screenshot has %d colours: blank?", len(colours))
	}
	if red < 200 {
		t.Errorf("screenshot has %d sampled pixels of the map's high red on its left: no map?", red)
	}
	if dark < total/3 {
		t.Errorf("screenshot is dark in %d of %d sampled pixels: the wall is dark by default", dark, total)
	}
}

func near(v, want uint32) bool { return v+12 >= want && v <= want+12 }

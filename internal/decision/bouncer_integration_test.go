package decision_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/store/storetest"
)

// customBouncer is Debian's build of CrowdSec's custom bouncer
// (apt-get install --no-install-recommends crowdsec-custom-bouncer): it
// pulls /v1/decisions/stream and runs a script with
// "add|del <value> <seconds> <scenario> <decision JSON>" for each change.
const customBouncer = "/usr/bin/crowdsec-custom-bouncer"

// lockedBuffer collects a subprocess's output for the failure message.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRealCustomBouncer runs CrowdSec's own custom bouncer against Garda's
// LAPI and watches its script being called for the bans Garda makes and
// the one it revokes.
func TestRealCustomBouncer(t *testing.T) {
	if _, err := os.Stat(customBouncer); err != nil {
		t.Skipf("%s is not installed (apt-get install --no-install-recommends crowdsec-custom-bouncer): skipping the test with CrowdSec's own bouncer", customBouncer)
	}
	ctx := context.Background()
	db := storetest.SQLite(t)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var serverLog lockedBuffer
	srv := &http.Server{Handler: decision.LAPI(db, slog.New(slog.NewTextHandler(&serverLog, nil))), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	key, _, err := decision.AddBouncer(ctx, db, audit.System, "custom-bouncer-test")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls.txt")
	script := filepath.Join(dir, "enforce.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$*\" >> "+strconv.Quote(calls)+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "bouncer.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`bin_path: %s
feed_via_stdin: false
total_retries: 0
scenarios_containing: []
scenarios_not_containing: []
origins: []
piddir: %s
update_frequency: 1s
cache_retention_duration: 1s
daemonize: false
log_mode: stdout
log_level: info
api_url: http://%s/
api_key: %s
prometheus:
  enabled: false
`, script, dir, ln.Addr(), key)), 0o600); err != nil {
		t.Fatal(err)
	}

	var bouncerLog lockedBuffer
	cmd := exec.Command(customBouncer, "-c", config)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &bouncerLog, &bouncerLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	read := func() []string {
		b, err := os.ReadFile(calls)
		if err != nil {
			return nil
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	// waitFor waits (20 s at most) for the script to be called with verb on value.
	waitFor := func(verb, value string) []string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			for _, line := range read() {
				if f := strings.Fields(line); len(f) >= 3 && f[0] == verb && f[1] == value {
					return f
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the bouncer's script was not called with %q %s within 20 s.\nscript calls:\n%s\nbouncer log:\n%s\nserver log:\n%s",
					verb, value, strings.Join(read(), "\n"), bouncerLog.String(), serverLog.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	sqli := mustDecide(t, db, decision.Proposal{IP: "192.0.2.10", Scenario: "http-sqli", Reason: "UNION SELECT on cekdptonline"}, decision.OutcomeCreated)
	manual, err := decision.CreateBy(ctx, db, audit.System, decision.Input{Value: "2001:db8::10", Duration: "2h", Reason: "defacement attempt"})
	if err != nil {
		t.Fatal(err)
	}
	rng, err := decision.CreateBy(ctx, db, audit.System, decision.Input{Value: "198.51.100.0/24", Type: "captcha", Duration: "30m", Reason: "scraper farm"})
	if err != nil {
		t.Fatal(err)
	}
	mustDecide(t, db, decision.Proposal{IP: "192.0.2.11", Scenario: "voter-data-scraping"}, decision.OutcomeProposed)

	for _, c := range []struct {
		d       decision.Decision
		seconds int
	}{{sqli, 4 * 3600}, {manual, 2 * 3600}, {rng, 30 * 60}} {
		f := waitFor("add", c.d.Value)
		secs, err := strconv.Atoi(f[2])
		if err != nil || secs > c.seconds || secs < c.seconds-120 {
			t.Errorf("add %s for %q seconds, want about %d", c.d.Value, f[2], c.seconds)
		}
		// The last argument is the decision as the bouncer read it.
		line := strings.Join(f, " ")
		var d lapiDecision
		if err := json.Unmarshal([]byte(line[strings.Index(line, "{"):]), &d); err != nil || d.ID != c.d.ID || d.Value != c.d.Value {
			t.Errorf("decision passed to the script: %s (%v)", line, err)
		}
	}

	if _, err := decision.RevokeBy(ctx, db, audit.System, sqli.ID, "false positive"); err != nil {
		t.Fatal(err)
	}
	waitFor("del", "192.0.2.10")

	for _, line := range read() {
		if strings.Contains(line, "192.0.2.11") {
			t.Errorf("a proposal reached the bouncer: %s", line)
		}
		if strings.HasPrefix(line, "del ") && !strings.HasPrefix(line, "del 192.0.2.10 ") {
			t.Errorf("unexpected deletion: %s", line)
		}
	}
	bs, err := decision.ListBouncers(ctx, db, false)
	if err != nil || len(bs) != 1 || bs[0].LastPullAt == nil || bs[0].LastPullIP != "127.0.0.1" || !strings.Contains(bs[0].UserAgent, "bouncer") {
		t.Errorf("the bouncer's pulls were not recorded: %+v, %v", bs, err)
	}
	if testing.Verbose() {
		io.WriteString(os.Stderr, "script calls:\n"+strings.Join(read(), "\n")+"\n")
	}
}

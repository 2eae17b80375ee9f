package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/ingest/sender"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/pipeline"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

type world struct {
	db      *store.DB
	bus     *bus.Bus
	analyst auth.Principal
	site    asset.Asset
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	b, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	org.EnsureStandard(ctx, db)
	u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "analis", Org: "kpu-32", Role: "analyst", Scope: "32", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := org.Load(ctx, db)
	p, _ := auth.PrincipalOf(u, tree)
	name, kind, reg := "Portal KPU Jawa Barat", "site", "32"
	hosts := []string{"kpu-jabar.example.id"}
	a, err := asset.Create(ctx, db, p, tree, asset.Input{Name: &name, Kind: &kind, Region: &reg, Hostnames: &hosts})
	if err != nil {
		t.Fatal(err)
	}
	return &world{db: db, bus: b, analyst: p, site: a}
}

// runDetector runs live detection until the test ends.
func (w *world) runDetector(t *testing.T) {
	eng, err := detect.New(detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &pipeline.Detector{DB: w.db, Bus: w.bus, Engine: eng, Log: slog.New(slog.DiscardHandler), Holder: "test", Decide: true}
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (w *world) waitAlert(t *testing.T, scenario, ip string) alert.Alert {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		list, err := alert.List(context.Background(), w.db, w.analyst, alert.Filter{SourceIP: ip, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			if a.Scenario == scenario {
				return a
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %s alert for %s within 20s", scenario, ip)
	return alert.Alert{}
}

// TestPublishDetectDecide publishes an access log as ingest does and waits
// for live detection to raise the alert and the policy to ban.
func TestPublishDetectDecide(t *testing.T) {
	w := newWorld(t)
	w.runDetector(t)
	nginx, _ := format.Lookup("nginx")
	now := time.Now().UTC()
	var lines [][]byte
	for i := range 9 {
		lines = append(lines, []byte(fmt.Sprintf(`203.0.113.7 - - [%s] "POST /login HTTP/1.1" 401 100 "-" "Mozilla/5.0"`,
			now.Add(time.Duration(i)*time.Second).Format("02/Jan/2006:15:04:05 -0700"))))
	}
	lines = append(lines, []byte("not a log line"), []byte(`36.70.1.1 - - [`+now.Format("02/Jan/2006:15:04:05 -0700")+`] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0"`))
	res, err := pipeline.Publish(context.Background(), w.bus, pipeline.Source{AssetID: w.site.ID, Region: "32", Format: nginx,
		Sender: "key:edge-nginx", Batch: "b-0123"}, numbered(lines), "", nil)
	if err != nil || res.Accepted != 10 || res.Rejected != 1 {
		t.Fatalf("publish: %+v %v", res, err)
	}
	a := w.waitAlert(t, "http-bruteforce", "203.0.113.7")
	if a.Count != 9 || a.Region != "32" || a.Owner != "kpu-32" || len(a.Evidence) != 0 {
		t.Errorf("alert %+v", a)
	}
	full, err := alert.Get(context.Background(), w.db, w.analyst, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The firing (at the 8th failure) brings the events kept before it as evidence.
	if len(full.Evidence) != 6 || full.Evidence[0].Line != 4 || full.Evidence[5].Line != 9 {
		t.Errorf("evidence: %d events, first line %d", len(full.Evidence), full.Evidence[0].Line)
	}
	list, err := decision.ListAll(context.Background(), w.db, decision.Filter{AlertID: a.ID, Limit: 10})
	if err != nil || len(list) != 1 || list[0].Value != "203.0.113.7" || list[0].Status != "active" {
		t.Fatalf("decision for the alert: %+v %v", list, err)
	}
	// The decision and the alert's evidence name the batch and its sender.
	if list[0].Batch != "b-0123" || list[0].Sender != "key:edge-nginx" {
		t.Errorf("decision's batch %q and sender %q, want b-0123 and key:edge-nginx", list[0].Batch, list[0].Sender)
	}
	if ev := full.Evidence[5].Fields; ev[pipeline.EvidenceBatch] != "b-0123" || ev[pipeline.EvidenceSender] != "key:edge-nginx" {
		t.Errorf("the firing event's evidence: %v", ev)
	}
}

// TestSyslog sends sshd failures over TCP to the listener; they reach
// detection as events of the asset whose host names include the sending
// address, whatever host name the messages claim, and each flush is in the
// audit chain.
func TestSyslog(t *testing.T) {
	w := newWorld(t)
	w.runDetector(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Another asset, whose host names list 127.0.0.2 only.
	name, kind, hosts := "Cermin", "site", []string{"127.0.0.2"}
	other, err := asset.Create(ctx, w.db, w.analyst, nil, asset.Input{Name: &name, Kind: &kind, Hostnames: &hosts})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// The site's host name resolves to 127.0.0.1 (no DNS in tests).
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "kpu-jabar.example.id" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("no such host %q", host)
	}
	sl := &pipeline.Syslog{DB: w.db, Bus: w.bus, Log: slog.New(slog.DiscardHandler), Resolve: resolve}
	go sl.Serve(ctx, addr)
	dial := func(from string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		for range 50 {
			if conn, err := d.Dial("tcp", addr); err == nil {
				t.Cleanup(func() { conn.Close() })
				return conn
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("dial %s from %s", addr, from)
		return nil
	}
	stamp := time.Now().UTC().Format(time.RFC3339)
	send := func(conn net.Conn, host, attacker string) {
		for i := range 10 {
			msg := fmt.Sprintf("<38>1 %s %s sshd %d - - Failed password for root from %s port %d ssh2", stamp, host, 100+i, attacker, 40000+i)
			fmt.Fprintf(conn, "%d %s", len(msg), msg) // RFC 6587 octet counting
		}
	}
	site := dial("127.0.0.1")
	send(site, "kpu-jabar", "198.51.100.44")
	// Messages that claim the site's host name from the other asset's
	// address are the other asset's; from nobody's address, dropped.
	send(dial("127.0.0.2"), "kpu-jabar", "198.51.100.46")
	send(dial("127.0.0.3"), "kpu-jabar", "198.51.100.45")
	a := w.waitAlert(t, "auth-bruteforce", "198.51.100.44")
	if a.AssetID != w.site.ID {
		t.Errorf("alert on asset %d, want %d", a.AssetID, w.site.ID)
	}
	if b := w.waitAlert(t, "auth-bruteforce", "198.51.100.46"); b.AssetID != other.ID {
		t.Errorf("lines from 127.0.0.2 claiming the site's host name: alert on asset %d, want %d (the sender's)", b.AssetID, other.ID)
	}
	// The sender is the address the messages came from, not the host
	// name they claim.
	full, err := alert.Get(ctx, w.db, w.analyst, a.ID)
	if err != nil || len(full.Evidence) == 0 {
		t.Fatalf("alert: %+v %v", full, err)
	}
	if ev := full.Evidence[len(full.Evidence)-1].Fields; ev[pipeline.EvidenceSender] != "syslog:127.0.0.1" || !strings.HasPrefix(ev[pipeline.EvidenceBatch], "b-") {
		t.Errorf("the firing event's evidence: %v", ev)
	}
	// The messages of an address that is no asset's are dropped, and counted.
	for deadline := time.Now().Add(5 * time.Second); sl.Unknown() != 10; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages from unknown addresses counted, want 10", sl.Unknown())
		}
	}
	if list, err := alert.List(ctx, w.db, w.analyst, alert.Filter{SourceIP: "198.51.100.45", Limit: 5}); err != nil || len(list) != 0 {
		t.Errorf("alerts from dropped lines: %v %v", list, err)
	}
	// Every flush is an audited batch naming its sender, asset and lines.
	lines := map[string]int{}
	for deadline := time.Now().Add(5 * time.Second); lines["syslog:127.0.0.1"] < 10 || lines["syslog:127.0.0.2"] < 10; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("audited syslog lines by sender: %v, want 10 each", lines)
		}
		lines = map[string]int{}
		rows, err := w.db.Query(ctx, `SELECT actor, record_id, detail FROM audit_log WHERE action = 'ingest.batch'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var actor, record, detail string
			if err := rows.Scan(&actor, &record, &detail); err != nil {
				t.Fatal(err)
			}
			var b sender.Batch
			json.Unmarshal([]byte(detail), &b)
			want := map[string]int64{"syslog:127.0.0.1": w.site.ID, "syslog:127.0.0.2": other.ID}[actor]
			if b.Sender != actor || b.AssetID != want || record != strconv.FormatInt(want, 10) || b.From != strings.TrimPrefix(actor, "syslog:") || !strings.HasPrefix(b.ID, "b-") {
				t.Fatalf("audited batch by %s on %s: %+v", actor, record, b)
			}
			lines[actor] += b.Lines
		}
		rows.Close()
	}
	if _, err := audit.Verify(ctx, w.db); err != nil {
		t.Fatal(err)
	}
}

func numbered(raw [][]byte) []pipeline.Line {
	out := pipeline.Lines(raw)
	for i := range out {
		out[i].N = int64(i + 1)
	}
	return out
}

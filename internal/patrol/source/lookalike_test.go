package source

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/patroltest"
	"github.com/garda-id/garda/internal/store/storetest"
)

// dnsWith runs a loopback DNS server that answers A for the given names
// and NXDOMAIN for every other.
func dnsWith(t *testing.T, live ...string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name := strings.TrimSuffix(strings.ToLower(q.Question[0].Name), ".")
		found := false
		for _, l := range live {
			found = found || l == name
		}
		switch {
		case !found:
			m.Rcode = dns.RcodeNameError
		case q.Question[0].Qtype == dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)})
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestLookalikeSource: a lookalike source of kpu.go.id finds the two
// impostors the resolver knows, and each becomes an item that says what
// it imitates and what DNS answered; a second run finds them again, not
// anew. Without a resolver, or with bad domains, it says why.
func TestLookalikeSource(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := patroltest.NewWorld(t, db)
	kom := w.Who["komdigi.analyst"]
	r := &Runner{DB: db, Pipeline: &patrol.Pipeline{}, Saver: patrol.Saver{DB: db}, Policy: fetch.LoopbackOnly(), Holder: "uji",
		DNSRate: 5000, Resolver: dnsWith(t, "kpu-go-id.com", "pemilu-kpu.id", "kpu.go.id")}
	src, err := patrol.CreateSource(ctx, db, kom, patrol.SourceInput{Name: "Tiruan KPU", Type: patrol.Lookalike, URL: "https://KPU.go.id/, kpu.go.id"})
	if err != nil {
		t.Fatal(err)
	}
	if src.URL != "kpu.go.id" || src.Every != 60 {
		t.Fatalf("source kept domains %q every %d, want kpu.go.id every 60", src.URL, src.Every)
	}
	out, err := r.Run(ctx, src)
	if err != nil || out.New != 2 {
		t.Fatalf("lookalike run: %+v %v, want 2 new items", out, err)
	}
	list, err := patrol.List(ctx, db, kom, patrol.Filter{SourceID: src.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, it := range list {
		got[it.URL] = true
		if !strings.Contains(it.Text, "mirip kpu.go.id") || !strings.Contains(it.Text, "A 127.0.0.1") {
			t.Errorf("item %s says %q", it.URL, it.Text)
		}
	}
	if !got["http://kpu-go-id.com/"] || !got["http://pemilu-kpu.id/"] {
		t.Errorf("items %v, want the two impostors", got)
	}
	if out, err := r.Run(ctx, src); err != nil || out.New != 0 || out.Seen != 2 {
		t.Errorf("second run: %+v %v, want the two seen again", out, err)
	}

	r.Resolver = ""
	if _, err := r.Run(ctx, src); err == nil || !strings.Contains(err.Error(), "no DNS resolver") {
		t.Errorf("without a resolver: %v", err)
	}
	if _, err := patrol.CreateSource(ctx, db, kom, patrol.SourceInput{Name: "Rusak", Type: patrol.Lookalike, URL: "kpu..go.id"}); err == nil {
		t.Error("a malformed domain was accepted")
	}
}

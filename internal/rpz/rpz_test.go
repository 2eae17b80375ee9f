package rpz

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func TestNormalizeDomain(t *testing.T) {
	long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + ".com"
	for _, c := range []struct{ in, want, err string }{
		{in: "Contoh-Hoaks.COM.", want: "contoh-hoaks.com"},
		{in: "  kpu-palsu.id ", want: "kpu-palsu.id"},
		{in: "bücher.example", want: "xn--bcher-kva.example"},
		{in: "pemilu.中国", want: "pemilu.xn--fiqs8s"},
		{in: "sub.domain.co.id", want: "sub.domain.co.id"},
		{in: "", err: "give a domain"},
		{in: ".", err: "root"},
		{in: "com", err: "top-level"},
		{in: "*.contoh.com", err: "wildcards"},
		{in: "192.0.2.1", err: "IP address"},
		{in: "[2001:db8::1]", err: "IP address"},
		{in: "2001:db8::1", err: "IP address"},
		{in: "1.2.3.4.5", err: "number"},
		{in: "https://contoh.com/x", err: "host only"},
		{in: "contoh.com/x", err: "host only"},
		{in: "a b.com", err: "host only"},
		{in: "a..b.com", err: "not a valid"},
		{in: "-a.com", err: "not a valid"},
		{in: "a_b.com", err: "not a valid"},
		{in: strings.Repeat("a", 64) + ".com", err: "not a valid"},
		{in: long, err: "too long"},
		{in: "x.garda.rpz", err: "policy zone"},
	} {
		got, err := NormalizeDomain(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: got %q, %v; want an error with %q", c.in, got, err, c.err)
			}
			var pe *problem.Error
			if err != nil && !errors.As(err, &pe) {
				t.Errorf("%q: %v is not a problem", c.in, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

var coord = audit.Actor{Username: "koordinator"}

func TestBlocklist(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s0, err := Serial(ctx, db)
		if err != nil || s0 == 0 {
			t.Fatalf("serial %d, %v", s0, err)
		}
		es, err := Block(ctx, db, coord, Input{Domain: "Hoaks-Pemilu.com", Reason: "hoaks"}, Input{Domain: "kpu-palsu.net", Reason: "phishing", LandingHost: "blokir.garda.test", Source: SourceRequest(7)})
		if err != nil {
			t.Fatal(err)
		}
		if es[0].Domain != "hoaks-pemilu.com" || es[0].Policy != NXDomain || es[1].Policy != Landing || es[1].Target != "blokir.garda.test" || es[1].Source != "request:7" {
			t.Fatalf("entries %+v", es)
		}
		s1, _ := Serial(ctx, db)
		if s1 != s0+1 || es[0].Serial != s1 {
			t.Fatalf("serial %d -> %d (entry %d)", s0, s1, es[0].Serial)
		}
		// Bad input: a clear error, nothing changed.
		for _, in := range []Input{
			{Domain: "hoaks-pemilu.com", Reason: "again"},
			{Domain: "baru.com", Reason: ""},
			{Domain: "com", Reason: "x"},
			{Domain: "baru.com", Reason: "x", Source: "request:abc"},
			{Domain: "baru.com", Reason: "x", LandingHost: "a.baru.com"},
		} {
			if _, err := Block(ctx, db, coord, Input{Domain: "ok-first.com", Reason: "x"}, in); err == nil {
				t.Errorf("%+v: no error", in)
			}
		}
		if s, _ := Serial(ctx, db); s != s1 {
			t.Fatalf("a refused block moved the serial %d -> %d", s1, s)
		}
		if n, _ := Count(ctx, db); n != 2 {
			t.Fatalf("count %d after refused blocks", n)
		}
		if _, err := Unblock(ctx, db, coord, "tidak-ada.com", "x"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("unblock of an unknown domain: %v", err)
		}
		e, err := Unblock(ctx, db, coord, "HOAKS-pemilu.com.", "dicabut pengadilan")
		if err != nil || e.LiftedAt == nil || e.LiftedBy != "koordinator" {
			t.Fatalf("unblock %+v, %v", e, err)
		}
		live, _ := List(ctx, db, Filter{})
		all, _ := List(ctx, db, Filter{All: true})
		found, _ := List(ctx, db, Filter{Search: "PHISH", All: true})
		if len(live) != 1 || len(all) != 2 || len(found) != 1 || found[0].Domain != "kpu-palsu.net" {
			t.Fatalf("live %d all %d search %d", len(live), len(all), len(found))
		}
		// Blocked again after the lift: a new row, a new serial.
		if _, err := Block(ctx, db, coord, Input{Domain: "hoaks-pemilu.com", Reason: "lagi"}); err != nil {
			t.Fatal(err)
		}
		if s, _ := Serial(ctx, db); s != s1+2 {
			t.Fatalf("serial %d, want %d", s, s1+2)
		}
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'rpz.%'`).Scan(&n)
		if n != 4 {
			t.Errorf("%d rpz audit entries, want 4", n)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// parseZone reads a zone as a resolver would.
func parseZone(t testing.TB, text string) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(strings.NewReader(text), "", "")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("zone does not parse: %v\n%s", err, text)
	}
	return rrs
}

func zoneSet(rrs []dns.RR) map[string]bool {
	m := map[string]bool{}
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok {
			m[strings.ToLower(c.Hdr.Name)+" "+c.Target] = true
		}
	}
	return m
}

func TestZoneOverHTTPAndTransfers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := storetest.SQLite(t)
	cred, _, err := AddResolver(ctx, db, audit.System, "bind-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := AddResolver(ctx, db, audit.System, "bind-1", ""); !problem.Is(err, problem.Conflict) {
		t.Fatalf("second bind-1: %v", err)
	}
	if _, _, err := AddResolver(ctx, db, audit.System, "Bad Name", ""); err == nil {
		t.Fatal("bad name accepted")
	}
	if _, err := Block(ctx, db, coord, Input{Domain: "hoaks.com", Reason: "x"}, Input{Domain: "palsu.id", Reason: "y", LandingHost: "landing.test"}); err != nil {
		t.Fatal(err)
	}
	timers := Timers{Refresh: 2 * time.Second}

	mux := http.NewServeMux()
	mux.Handle("GET /rpz/{key}/garda.rpz", Handler(db, timers, nil))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	res, err := http.Get(hs.URL + cred.Path())
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET zone: %v %v", res, err)
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	res.Body.Close()
	set := zoneSet(parseZone(t, b.String()))
	for _, want := range []string{"hoaks.com.garda.rpz. .", "*.hoaks.com.garda.rpz. .", "palsu.id.garda.rpz. landing.test.", "*.palsu.id.garda.rpz. landing.test."} {
		if !set[want] {
			t.Errorf("zone lacks %s:\n%s", want, b.String())
		}
	}
	if res, _ := http.Get(hs.URL + "/rpz/" + strings.Repeat("0", 64) + "/garda.rpz"); res.StatusCode != 404 {
		t.Errorf("unknown key: %d", res.StatusCode)
	}
	rs, _ := ListResolvers(ctx, db, false)
	if rs[0].LastFetchKind != "http" || rs[0].LastFetchAt == nil {
		t.Errorf("fetch not recorded: %+v", rs[0])
	}

	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenPacket("udp", tcp.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{DB: db, Timers: timers}
	go srv.Serve(ctx, tcp, udp)
	addr := tcp.Addr().String()
	secrets := map[string]string{cred.TSIGName: cred.TSIGSecret}

	xfr := func(qtype uint16, have uint32, secret map[string]string) ([]dns.RR, error) {
		m := new(dns.Msg)
		if qtype == dns.TypeIXFR {
			m.SetIxfr(fqOrigin, have, "ns.garda.rpz.", "hostmaster.garda.rpz.")
		} else {
			m.SetAxfr(fqOrigin)
		}
		tr := &dns.Transfer{}
		if secret != nil {
			m.SetTsig(cred.TSIGName, dns.HmacSHA256, 300, time.Now().Unix())
			tr.TsigSecret = secret
		}
		ch, err := tr.In(m, addr)
		if err != nil {
			return nil, err
		}
		var out []dns.RR
		for env := range ch {
			if env.Error != nil {
				return out, env.Error
			}
			out = append(out, env.RR...)
		}
		return out, nil
	}
	var axfr []dns.RR
	for try := 0; try < 50; try++ { // the listener starts in the background
		if axfr, err = xfr(dns.TypeAXFR, 0, secrets); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := Serial(ctx, db)
	if len(axfr) != 2+4+1 || axfr[0].(*dns.SOA).Serial != s1 {
		t.Fatalf("axfr %v", axfr)
	}
	if _, err := xfr(dns.TypeAXFR, 0, nil); err == nil {
		t.Error("an unsigned AXFR was answered")
	}
	if _, err := xfr(dns.TypeAXFR, 0, map[string]string{cred.TSIGName: "c2VjcmV0c2VjcmV0c2VjcmV0"}); err == nil {
		t.Error("an AXFR signed with a wrong secret was answered")
	}

	// Two changes, then IXFR from s1: the delete and the add.
	if _, err := Unblock(ctx, db, coord, "hoaks.com", "lifted"); err != nil {
		t.Fatal(err)
	}
	if _, err := Block(ctx, db, coord, Input{Domain: "baru.org", Reason: "z"}); err != nil {
		t.Fatal(err)
	}
	ixfr, err := xfr(dns.TypeIXFR, s1, secrets)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, rr := range ixfr {
		switch v := rr.(type) {
		case *dns.SOA:
			kinds = append(kinds, fmt.Sprintf("SOA%d", v.Serial-s1))
		case *dns.CNAME:
			kinds = append(kinds, strings.TrimSuffix(v.Hdr.Name, ".garda.rpz."))
		}
	}
	want := "SOA2 SOA0 hoaks.com *.hoaks.com SOA1 SOA1 SOA2 baru.org *.baru.org SOA2"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("ixfr\n got %s\nwant %s", got, want)
	}
	// Up to date: the SOA alone. Unknown history: the whole zone.
	if up, err := xfr(dns.TypeIXFR, s1+2, secrets); err != nil || len(up) != 1 {
		t.Fatalf("ixfr when current: %v %v", up, err)
	}
	if old, err := xfr(dns.TypeIXFR, s1-100, secrets); err != nil || len(old) != 2+4+1 {
		t.Fatalf("ixfr from before the journal: %d records, %v", len(old), err)
	}
	rs, _ = ListResolvers(ctx, db, false)
	if rs[0].LastFetchKind != "axfr" || rs[0].LastSerial != s1+2 {
		t.Errorf("transfer not recorded: %+v", rs[0])
	}

	// NOTIFY reaches a registered resolver when the serial moves.
	got := make(chan uint32, 4)
	nl, _ := net.ListenPacket("udp", "127.0.0.1:0")
	ns := &dns.Server{PacketConn: nl, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Opcode == dns.OpcodeNotify && len(r.Answer) == 1 {
			got <- r.Answer[0].(*dns.SOA).Serial
		}
		m := new(dns.Msg)
		m.SetReply(r)
		w.WriteMsg(m)
	})}
	go ns.ActivateAndServe()
	defer ns.Shutdown()
	if _, _, err := AddResolver(ctx, db, audit.System, "unbound-1", nl.LocalAddr().String()); err != nil {
		t.Fatal(err)
	}
	srv.NotifyAll(ctx, s1+2)
	select {
	case s := <-got:
		if s != s1+2 {
			t.Fatalf("notify serial %d", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no NOTIFY")
	}
	// Revoked: the key and the TSIG secret stop working.
	if err := RevokeResolver(ctx, db, audit.System, "bind-1"); err != nil {
		t.Fatal(err)
	}
	if res, _ := http.Get(hs.URL + cred.Path()); res.StatusCode != 404 {
		t.Errorf("revoked key: %d", res.StatusCode)
	}
	if _, err := xfr(dns.TypeAXFR, 0, secrets); err == nil {
		t.Error("a revoked resolver's transfer was answered")
	}
}

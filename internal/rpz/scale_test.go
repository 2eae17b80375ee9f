package rpz

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestScale measures the zone at GARDA_RPZ_SCALE domains (scripts/bench-rpz.sh
// sets 100000): blocking them, serving the zone over HTTP, an AXFR and an
// IXFR of one change. Figures go to the log; nothing is asserted on time.
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GARDA_RPZ_SCALE"))
	if n <= 0 {
		t.Skip("set GARDA_RPZ_SCALE=100000 (scripts/bench-rpz.sh) to measure the zone at scale")
	}
	storetest.Backends(t, func(t *testing.T, db *store.DB) { scale(t, db, n) })
}

func scale(t *testing.T, db *store.DB, n int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	const batch = 5000
	for i := 0; i < n; i += batch {
		in := make([]Input, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			x := Input{Domain: fmt.Sprintf("situs-hoaks-%06d.example", j), Reason: "uji skala", Source: SourceRequest(int64(j/5 + 1))}
			if j%10 == 0 {
				x.LandingHost = "blokir.garda.test"
			}
			in = append(in, x)
		}
		if _, err := Block(ctx, db, audit.System, in...); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s: blocked %d domains in %s (batches of %d, audited)", db.Dialect(), n, time.Since(start).Round(time.Millisecond), batch)
	cred, _, err := AddResolver(ctx, db, audit.System, "scale", "")
	if err != nil {
		t.Fatal(err)
	}

	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /rpz/{key}/garda.rpz", Handler(db, DefaultTimers, nil))
	hs := &http.Server{Handler: mux}
	go hs.Serve(hl)
	defer hs.Close()
	for i := 0; i < 3; i++ {
		start = time.Now()
		res, err := http.Get("http://" + hl.Addr().String() + cred.Path())
		if err != nil {
			t.Fatal(err)
		}
		size, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		t.Logf("%s: HTTP zone of %d domains: %.1f MB in %s", db.Dialect(), n, float64(size)/1e6, time.Since(start).Round(time.Millisecond))
	}

	tcp, _ := net.Listen("tcp", "127.0.0.1:0")
	udp, _ := net.ListenPacket("udp", tcp.Addr().String())
	go (&Server{DB: db}).Serve(ctx, tcp, udp)
	addr := tcp.Addr().String()
	xfr := func(m *dns.Msg) (int, int, error) {
		m.SetTsig(cred.TSIGName, dns.HmacSHA256, 300, time.Now().Unix())
		tr := &dns.Transfer{TsigSecret: map[string]string{cred.TSIGName: cred.TSIGSecret}, ReadTimeout: time.Minute}
		ch, err := tr.In(m, addr)
		if err != nil {
			return 0, 0, err
		}
		rrs, msgs := 0, 0
		for env := range ch {
			if env.Error != nil {
				return rrs, msgs, env.Error
			}
			rrs += len(env.RR)
			msgs++
		}
		return rrs, msgs, nil
	}
	time.Sleep(50 * time.Millisecond)
	for i := 0; i < 3; i++ {
		start = time.Now()
		m := new(dns.Msg)
		m.SetAxfr(fqOrigin)
		rrs, msgs, err := xfr(m)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: AXFR of %d domains: %d records in %d messages, TSIG-signed, in %s", db.Dialect(), n, rrs, msgs, time.Since(start).Round(time.Millisecond))
	}
	serial, _ := Serial(ctx, db)
	if _, err := Unblock(ctx, db, audit.System, "situs-hoaks-000007.example", "uji"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	m := new(dns.Msg)
	m.SetIxfr(fqOrigin, serial, "ns.garda.rpz.", "hostmaster.garda.rpz.")
	rrs, _, err := xfr(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: IXFR of one lifted block at %d domains: %d records in %s", db.Dialect(), n, rrs, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if _, err := List(ctx, db, Filter{Search: "000123"}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: blocklist search at %d domains in %s", db.Dialect(), n, time.Since(start).Round(time.Millisecond))
}

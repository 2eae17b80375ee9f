package rpz

import (
	"bytes"
	"context"
	"fmt"
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

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// The bar: real resolvers (Debian's unbound and BIND) load Garda's zone,
// and dig sees blocked domains and their subdomains answered as the policy
// says, an unblocked one untouched, and a lifted block gone within the
// zone's refresh (sooner with NOTIFY).

func need(t *testing.T, bins ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, b := range bins {
		p, err := exec.LookPath(b)
		if err != nil {
			for _, dir := range []string{"/usr/sbin", "/sbin"} {
				if _, err2 := os.Stat(filepath.Join(dir, b)); err2 == nil {
					p, err = filepath.Join(dir, b), nil
				}
			}
		}
		if err != nil {
			t.Skipf("needs %s (Debian packages unbound, bind9, bind9-dnsutils): %v", b, err)
		}
		out[b] = p
	}
	return out
}

// freePort finds a loopback port free for both TCP and UDP.
func freePort(t *testing.T) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// internet is the loopback authoritative server for "test.": every name
// has an address, so an answer that is not the policy's is the internet's.
func internet(t *testing.T) int {
	t.Helper()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypeA {
			m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1}, A: net.IPv4(192, 0, 2, 80)}}
		} else if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypeSOA {
			m.Answer = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 1}, Ns: "ns.test.", Mbox: "h.test.", Serial: 1, Refresh: 1, Retry: 1, Expire: 1, Minttl: 1}}
		} else if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypeNS {
			m.Answer = []dns.RR{&dns.NS{Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 1}, Ns: "ns.test."}}
		}
		w.WriteMsg(m)
	})
	var port int
	for i := 0; i < 20; i++ {
		port = freePort(t)
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			u.Close()
			continue
		}
		us, ts := &dns.Server{PacketConn: u, Handler: h}, &dns.Server{Listener: l, Handler: h}
		go us.ActivateAndServe()
		go ts.ActivateAndServe()
		t.Cleanup(func() { us.Shutdown(); ts.Shutdown() })
		return port
	}
	t.Fatal("no port for the internet")
	return 0
}

// digAnswer is what dig says of a name: the status and the answer lines.
type digAnswer struct {
	Status string
	Answer []string // "TYPE value"
}

func (d digAnswer) String() string { return d.Status + " " + strings.Join(d.Answer, ", ") }

func dig(t *testing.T, bin string, port int, name string) digAnswer {
	t.Helper()
	out, err := exec.Command(bin, "@127.0.0.1", "-p", fmt.Sprint(port), "+tries=1", "+time=2", "+noall", "+comments", "+answer", name, "A").CombinedOutput()
	var d digAnswer
	if err != nil {
		d.Status = "ERROR " + strings.TrimSpace(string(out))
		return d
	}
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "status: "); i >= 0 {
			d.Status = strings.TrimSuffix(strings.Fields(line[i+8:])[0], ",")
		}
		if line == "" || line[0] == ';' {
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 5 {
			d.Answer = append(d.Answer, f[3]+" "+f[4])
		}
	}
	return d
}

// eventually waits until every name answers as want says.
func eventually(t *testing.T, what, bin string, port int, want map[string]string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	start := time.Now()
	for {
		bad := ""
		for name, w := range want {
			if got := dig(t, bin, port, name).String(); got != w {
				bad += fmt.Sprintf("\n  %s: got %q, want %q", name, got, w)
			}
		}
		if bad == "" {
			t.Logf("%s: as expected after %s", what, time.Since(start).Round(100*time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after %s:%s", what, within, bad)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

type proc struct {
	cmd *exec.Cmd
	out *bytes.Buffer
	mu  *sync.Mutex
}

func start(t *testing.T, name string, args ...string) {
	t.Helper()
	var buf bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(name), buf.String())
		}
	})
}

// resolverLab is Garda's zone (HTTP and transfers) with a real unbound
// and a real BIND loading it, on loopback ports, and "the internet".
type resolverLab struct {
	bins         map[string]string
	uport, bport int
}

func startLab(ctx context.Context, t *testing.T, db *store.DB, timers Timers) resolverLab {
	t.Helper()
	bins := need(t, "unbound", "named", "dig")
	// Garda: the HTTP zone and the transfer listener, on loopback.
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /rpz/{key}/garda.rpz", Handler(db, timers, nil))
	hs := &http.Server{Handler: mux}
	go hs.Serve(hl)
	t.Cleanup(func() { hs.Close() })
	xport := freePort(t)
	tcp, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", xport))
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", xport))
	if err != nil {
		t.Fatal(err)
	}
	go (&Server{DB: db, Timers: timers, Poll: 200 * time.Millisecond}).Serve(ctx, tcp, udp)

	inet := internet(t)
	uport, bport := freePort(t), freePort(t)
	ucred, _, err := AddResolver(ctx, db, audit.System, "unbound-1", fmt.Sprintf("127.0.0.1:%d", uport))
	if err != nil {
		t.Fatal(err)
	}
	bcred, _, err := AddResolver(ctx, db, audit.System, "bind-1", fmt.Sprintf("127.0.0.1:%d", bport))
	if err != nil {
		t.Fatal(err)
	}

	// unbound: the zone by url:, the SOA probed from the primary, NOTIFY allowed.
	udir := t.TempDir()
	uconf := filepath.Join(udir, "unbound.conf")
	os.WriteFile(uconf, []byte(fmt.Sprintf(`server:
	interface: 127.0.0.1
	port: %[1]d
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "%[2]s"
	pidfile: "%[2]s/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 1
	module-config: "respip iterator"
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	qname-minimisation: no
	cache-max-ttl: 1
	cache-max-negative-ttl: 1
	num-threads: 1
	outgoing-range: 64
	so-reuseport: no
	local-zone: "test." nodefault
remote-control:
	control-enable: no
rpz:
	name: %[6]s
	url: http://%[3]s%[4]s
	primary: 127.0.0.1@%[5]d
	allow-notify: 127.0.0.1
	rpz-log: yes
stub-zone:
	name: "test"
	stub-addr: 127.0.0.1@%[7]d
`, uport, udir, hl.Addr().String(), ucred.Path(), xport, Origin, inet)), 0o600)
	if out, err := exec.Command(bins["unbound"], "-c", uconf, "-d", "-V").CombinedOutput(); err != nil {
		t.Logf("unbound -V: %v %s", err, out)
	}
	start(t, bins["unbound"], "-d", "-c", uconf)

	// BIND: a secondary of the zone over AXFR/IXFR with TSIG, as its response-policy.
	bdir := t.TempDir()
	bconf := filepath.Join(bdir, "named.conf")
	os.WriteFile(bconf, []byte(fmt.Sprintf(`options {
	directory "%[2]s";
	pid-file "%[2]s/named.pid";
	session-keyfile "%[2]s/session.key";
	managed-keys-directory "%[2]s";
	listen-on port %[1]d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion yes;
	allow-query { 127.0.0.0/8; };
	allow-recursion { 127.0.0.0/8; };
	dnssec-validation no;
	notify no;
	max-cache-ttl 1;
	max-ncache-ttl 1;
	response-policy { zone "%[6]s"; } qname-wait-recurse no min-update-interval 0;
};
controls { };
key "%[3]s" { algorithm hmac-sha256; secret "%[4]s"; };
zone "%[6]s" {
	type secondary;
	primaries port %[5]d { 127.0.0.1 key "%[3]s"; };
	file "%[2]s/garda.rpz.db";
	min-refresh-time 1;
	max-refresh-time 2;
	min-retry-time 1;
	max-retry-time 2;
	allow-notify { 127.0.0.1; };
};
zone "test" {
	type forward;
	forward only;
	forwarders port %[7]d { 127.0.0.1; };
};
`, bport, bdir, strings.TrimSuffix(bcred.TSIGName, "."), bcred.TSIGSecret, xport, Origin, inet)), 0o600)
	start(t, bins["named"], "-g", "-4", "-c", bconf)

	return resolverLab{bins: bins, uport: uport, bport: bport}
}

func TestRealResolvers(t *testing.T) {
	need(t, "unbound", "named", "dig")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := storetest.SQLite(t)
	timers := Timers{Refresh: 2 * time.Second, Retry: time.Second, Minimum: time.Second, TTL: time.Second}
	if _, err := Block(ctx, db, coord,
		Input{Domain: "hoaks.test", Reason: "hoaks pemilu"},
		Input{Domain: "kpu-palsu.test", Reason: "situs palsu KPU", LandingHost: "landing.test"}); err != nil {
		t.Fatal(err)
	}
	lab := startLab(ctx, t, db, timers)
	bins, uport, bport := lab.bins, lab.uport, lab.bport
	blocked := map[string]string{
		"hoaks.test.":           "NXDOMAIN ",
		"www.hoaks.test.":       "NXDOMAIN ",
		"a.b.hoaks.test.":       "NXDOMAIN ",
		"kpu-palsu.test.":       "NOERROR CNAME landing.test., A 192.0.2.80",
		"login.kpu-palsu.test.": "NOERROR CNAME landing.test., A 192.0.2.80",
		"ok.test.":              "NOERROR A 192.0.2.80",
		"nothoaks.test.":        "NOERROR A 192.0.2.80",
	}
	for _, r := range []struct {
		name string
		port int
	}{{"unbound", uport}, {"bind", bport}} {
		eventually(t, r.name+" enforces the blocklist", bins["dig"], r.port, blocked, 30*time.Second)
	}

	// Lifting a block reaches both within their refresh (NOTIFY sooner).
	if _, err := Unblock(ctx, db, coord, "hoaks.test", "keputusan dicabut"); err != nil {
		t.Fatal(err)
	}
	if _, err := Block(ctx, db, coord, Input{Domain: "baru.test", Reason: "hoaks baru"}); err != nil {
		t.Fatal(err)
	}
	lifted := map[string]string{
		"hoaks.test.":     "NOERROR A 192.0.2.80",
		"www.hoaks.test.": "NOERROR A 192.0.2.80",
		"baru.test.":      "NXDOMAIN ",
		"kpu-palsu.test.": "NOERROR CNAME landing.test., A 192.0.2.80",
	}
	for _, r := range []struct {
		name string
		port int
	}{{"unbound", uport}, {"bind", bport}} {
		eventually(t, r.name+" after the lift", bins["dig"], r.port, lifted, 15*time.Second)
	}

	rs, err := ListResolvers(ctx, db, false)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := Serial(ctx, db)
	for _, r := range rs {
		t.Logf("resolver %s: last %s at serial %d (zone %d) from %s", r.Name, r.LastFetchKind, r.LastSerial, serial, r.LastFetchIP)
		if r.LastFetchAt == nil || r.LastSerial != serial {
			t.Errorf("resolver %s's health: %+v (zone serial %d)", r.Name, r, serial)
		}
	}
}

// TestRealResolversScale: unbound and BIND load the zone of
// GARDA_RPZ_SCALE domains (scripts/bench-rpz.sh), and a lift reaches both;
// the times go to the log, nothing is asserted on them.
func TestRealResolversScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GARDA_RPZ_SCALE"))
	if n <= 0 {
		t.Skip("set GARDA_RPZ_SCALE=100000 (scripts/bench-rpz.sh) to load the zone at scale into real resolvers")
	}
	need(t, "unbound", "named", "dig")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := storetest.SQLite(t)
	const batch = 5000
	for i := 0; i < n; i += batch {
		in := make([]Input, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			in = append(in, Input{Domain: fmt.Sprintf("situs-hoaks-%06d.test", j), Reason: "uji skala"})
		}
		if _, err := Block(ctx, db, coord, in...); err != nil {
			t.Fatal(err)
		}
	}
	last := fmt.Sprintf("www.situs-hoaks-%06d.test.", n-1)
	start := time.Now()
	lab := startLab(ctx, t, db, Timers{Refresh: 5 * time.Second, Retry: time.Second, Minimum: time.Second, TTL: time.Second})
	lab.race(t, fmt.Sprintf("enforce all %d domains after the resolvers started", n), start,
		map[string]string{last: "NXDOMAIN ", "situs-hoaks-000000.test.": "NXDOMAIN ", "ok.test.": "NOERROR A 192.0.2.80"}, 3*time.Minute)
	start = time.Now()
	if _, err := Unblock(ctx, db, coord, "situs-hoaks-000001.test", "uji skala"); err != nil {
		t.Fatal(err)
	}
	lab.race(t, fmt.Sprintf("have a lift among %d domains", n), start,
		map[string]string{"situs-hoaks-000001.test.": "NOERROR A 192.0.2.80", last: "NXDOMAIN "}, 2*time.Minute)
}

// race polls both resolvers until each answers as want says, and logs when
// each did, counted from start.
func (l resolverLab) race(t *testing.T, what string, start time.Time, want map[string]string, within time.Duration) {
	t.Helper()
	ports := map[string]int{"unbound": l.uport, "bind": l.bport}
	for len(ports) > 0 {
		for name, port := range ports {
			ok := true
			for q, w := range want {
				if dig(t, l.bins["dig"], port, q).String() != w {
					ok = false
					break
				}
			}
			if ok {
				t.Logf("%s: %s in %s", name, what, time.Since(start).Round(100*time.Millisecond))
				delete(ports, name)
			}
		}
		if len(ports) > 0 && time.Since(start) > within {
			t.Fatalf("%v did not %s within %s", ports, what, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

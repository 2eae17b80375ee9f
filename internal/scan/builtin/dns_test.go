package builtin

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/scan"
)

// zoneServer answers from a fixed set of records, as an authoritative and
// recursive server would: NXDOMAIN for names it has nothing for.
func zoneServer(t *testing.T, zone string) string {
	t.Helper()
	records := map[string][]dns.RR{}
	for _, line := range strings.Split(strings.TrimSpace(zone), "\n") {
		rr, err := dns.NewRR(strings.TrimSpace(line))
		if err != nil {
			t.Fatalf("zone line %q: %v", line, err)
		}
		name := strings.ToLower(rr.Header().Name)
		records[name] = append(records[name], rr)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name := strings.ToLower(q.Question[0].Name)
		rrs, exists := records[name]
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Question[0].Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		if !exists {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

const testZone = `
weak.kpu-test.example. 300 IN TXT "v=spf1 +all"
_dmarc.weak.kpu-test.example. 300 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@kpu-test.example"
nomail.kpu-test.example. 300 IN A 192.0.2.10
gone.kpu-test.example. 300 IN CNAME kpu-pemilu-old.herokuapp.com.
lookups.kpu-test.example. 300 IN TXT "v=spf1 include:s1.kpu-test.example include:s2.kpu-test.example include:s3.kpu-test.example a mx -all"
s1.kpu-test.example. 300 IN TXT "v=spf1 a mx ptr exists:x.kpu-test.example -all"
s2.kpu-test.example. 300 IN TXT "v=spf1 a mx include:s3.kpu-test.example -all"
s3.kpu-test.example. 300 IN TXT "v=spf1 a mx -all"
good.kpu-test.example. 300 IN TXT "v=spf1 mx -all"
_dmarc.good.kpu-test.example. 300 IN TXT "v=DMARC1; p=reject"
kpu-test.example. 300 IN CAA 0 issue "letsencrypt.org"
good.kpu-test.example. 300 IN DS 12345 13 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE7A4CF1D8A2B9A8C5D6E7F8A9
`

func dnsTarget(name string) scan.Target { return scan.Target{URL: "https://" + name} }

func TestDNSPlanted(t *testing.T) {
	env := &scan.Env{Resolver: zoneServer(t, testZone)}
	rs := runChecks(t, env, dnsTarget("weak.kpu-test.example"), DNS{})
	wantFound(t, rs, "garda-spf-permissive", scan.SeverityHigh)
	wantFound(t, rs, "garda-dmarc-policy-none", scan.SeverityLow)
	wantFound(t, rs, "garda-dnssec-missing", scan.SeverityLow)

	rs = runChecks(t, env, dnsTarget("nomail.kpu-test.example"), DNS{})
	wantFound(t, rs, "garda-spf-missing", scan.SeverityMedium)
	wantFound(t, rs, "garda-dmarc-missing", scan.SeverityMedium)

	rs = runChecks(t, env, dnsTarget("lookups.kpu-test.example"), DNS{})
	r := wantFound(t, rs, "garda-spf-too-many-lookups", scan.SeverityMedium)
	// top 5 (3 includes, a, mx) + s1 4 + s2 3 + s3 via s2 2 + s3 2 = 16
	if !contains(r.ExtractedResults, "lookups=16") {
		t.Errorf("lookup count: %v", r.ExtractedResults)
	}

	rs = runChecks(t, env, dnsTarget("gone.kpu-test.example"), DNS{})
	r = wantFound(t, rs, "garda-dangling-cname", scan.SeverityHigh)
	if !contains(r.ExtractedResults, "service=herokuapp.com") {
		t.Errorf("takeover service: %v", r.ExtractedResults)
	}
}

func TestDNSHardened(t *testing.T) {
	env := &scan.Env{Resolver: zoneServer(t, testZone)}
	rs := runChecks(t, env, dnsTarget("good.kpu-test.example"), DNS{})
	wantClean(t, rs)
}

func TestDNSUnreachableResolverIsAnError(t *testing.T) {
	env := &scan.Env{Resolver: "127.0.0.1:" + freePort(t)}
	err := DNS{}.Run(context.Background(), env, dnsTarget("kpu.go.id"), func(scan.Result) {})
	if err == nil {
		t.Fatal("a resolver that does not answer must be an error, not 'found nothing'")
	}
}

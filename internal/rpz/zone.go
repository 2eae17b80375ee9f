package rpz

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/miekg/dns"
)

// Origin is the policy zone's name, as resolvers are told to load it.
const Origin = "garda.rpz"

// Timers are the zone's SOA timers: how often secondaries poll, and how
// long answers are cached. Short timers make a lifted block reach
// resolvers sooner; NOTIFY makes it sooner still for those that take it.
type Timers struct {
	Refresh, Retry, Expire, Minimum, TTL time.Duration
}

// DefaultTimers: resolvers look every 5 minutes, answers live a minute.
var DefaultTimers = Timers{Refresh: 5 * time.Minute, Retry: time.Minute, Expire: 7 * 24 * time.Hour, Minimum: time.Minute, TTL: time.Minute}

func secs(d time.Duration) uint32 {
	if d < time.Second {
		return 1
	}
	return uint32(d / time.Second)
}

func (t Timers) orDefault() Timers {
	if t.Refresh <= 0 {
		t.Refresh = DefaultTimers.Refresh
	}
	if t.Retry <= 0 {
		t.Retry = DefaultTimers.Retry
	}
	if t.Expire <= 0 {
		t.Expire = DefaultTimers.Expire
	}
	if t.Minimum <= 0 {
		t.Minimum = DefaultTimers.Minimum
	}
	if t.TTL <= 0 {
		t.TTL = DefaultTimers.TTL
	}
	return t
}

const fqOrigin = Origin + "."

// SOA is the zone's SOA record at serial.
func (t Timers) SOA(serial uint32) *dns.SOA {
	t = t.orDefault()
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: fqOrigin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: secs(t.TTL)},
		Ns:  "ns." + fqOrigin, Mbox: "hostmaster." + fqOrigin,
		Serial: serial, Refresh: secs(t.Refresh), Retry: secs(t.Retry), Expire: secs(t.Expire), Minttl: secs(t.Minimum),
	}
}

// ns is the zone's NS record: RPZ zones are never queried by name, and
// "localhost." is what the RPZ documents and BIND's examples use.
func (t Timers) ns() *dns.NS {
	return &dns.NS{Hdr: dns.RR_Header{Name: fqOrigin, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: secs(t.orDefault().TTL)}, Ns: "localhost."}
}

// target is the CNAME target that says the policy: "." is NXDOMAIN,
// a host is a rewrite to the landing page.
func target(policy, host string) string {
	if policy == Landing && host != "" {
		return host + "."
	}
	return "."
}

// records are an entry's two triggers: the domain and its subdomains.
func (t Timers) records(domain, policy, host string) []dns.RR {
	ttl := secs(t.orDefault().TTL)
	tg := target(policy, host)
	return []dns.RR{
		&dns.CNAME{Hdr: dns.RR_Header{Name: domain + "." + fqOrigin, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl}, Target: tg},
		&dns.CNAME{Hdr: dns.RR_Header{Name: "*." + domain + "." + fqOrigin, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl}, Target: tg},
	}
}

// WriteZone writes the zone in master-file form, as unbound's url: and
// BIND's file load it:
//
//	$ORIGIN garda.rpz.
//	@ SOA ...
//	@ NS localhost.
//	contoh.com CNAME .        ; NXDOMAIN
//	*.contoh.com CNAME .
//	palsu.net CNAME landing.example.  ; to the landing page
func (t Timers) WriteZone(w io.Writer, serial uint32, entries []Entry) error {
	t = t.orDefault()
	bw := bufio.NewWriterSize(w, 64<<10)
	soa := t.SOA(serial)
	fmt.Fprintf(bw, "; Garda DNS blocklist (Response Policy Zone), serial %d, %d domains\n$ORIGIN %s\n$TTL %d\n", serial, len(entries), fqOrigin, secs(t.TTL))
	fmt.Fprintf(bw, "@ SOA %s %s %d %d %d %d %d\n@ NS localhost.\n", soa.Ns, soa.Mbox, soa.Serial, soa.Refresh, soa.Retry, soa.Expire, soa.Minttl)
	for _, e := range entries {
		tg := target(e.Policy, e.Target)
		bw.WriteString(e.Domain)
		bw.WriteString(" CNAME ")
		bw.WriteString(tg)
		bw.WriteString("\n*.")
		bw.WriteString(e.Domain)
		bw.WriteString(" CNAME ")
		bw.WriteString(tg)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

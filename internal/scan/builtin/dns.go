package builtin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/scan"
)

// DNS reads a site's domain records, as anyone may (passive): SPF,
// DMARC, CAA, DNSSEC and dangling CNAMEs, asking env.Resolver.
type DNS struct{}

func (DNS) ID() string   { return "garda-dns" }
func (DNS) Active() bool { return false }

var (
	spfMissing = meta{ID: "garda-spf-missing", Name: "SPF tidak ada", Severity: scan.SeverityMedium,
		Tags: []string{"dns", "mail"}, Remedy: `Publish one TXT record "v=spf1 ... -all" naming the servers that send the domain's mail (or "v=spf1 -all" if none).`}
	spfInvalid = meta{ID: "garda-spf-invalid", Name: "SPF tidak sah (multiple or malformed)", Severity: scan.SeverityMedium,
		Tags: []string{"dns", "mail"}, Remedy: "Publish exactly one v=spf1 record (RFC 7208 §4.5)."}
	spfPermissive = meta{ID: "garda-spf-permissive", Name: "SPF mengizinkan siapa pun (+all)", Severity: scan.SeverityHigh,
		Tags: []string{"dns", "mail"}, Remedy: "End the SPF record with -all (or ~all), never +all."}
	spfLookups = meta{ID: "garda-spf-too-many-lookups", Name: "SPF lebih dari 10 lookup DNS", Severity: scan.SeverityMedium,
		Tags: []string{"dns", "mail"}, Remedy: "Flatten includes: RFC 7208 §4.6.4 makes SPF fail (permerror) past 10 DNS lookups."}
	dmarcMissing = meta{ID: "garda-dmarc-missing", Name: "DMARC tidak ada", Severity: scan.SeverityMedium,
		Tags: []string{"dns", "mail"}, Remedy: `Publish _dmarc TXT "v=DMARC1; p=reject; rua=mailto:...".`}
	dmarcNone = meta{ID: "garda-dmarc-policy-none", Name: "Kebijakan DMARC p=none (monitor only)", Severity: scan.SeverityLow,
		Tags: []string{"dns", "mail"}, Remedy: "Move to p=quarantine, then p=reject, once reports show legitimate mail aligns."}
	caaMissing = meta{ID: "garda-caa-missing", Name: "CAA tidak ada", Severity: scan.SeverityLow,
		Tags: []string{"dns", "tls"}, Remedy: "Publish CAA records naming the CAs allowed to issue for the domain."}
	dnssecMissing = meta{ID: "garda-dnssec-missing", Name: "DNSSEC tidak aktif", Severity: scan.SeverityLow,
		Tags: []string{"dns"}, Remedy: "Sign the zone and publish its DS record at the parent (PANDI for .go.id)."}
	danglingCNAME = meta{ID: "garda-dangling-cname", Name: "CNAME menggantung (subdomain takeover risk)", Severity: scan.SeverityHigh,
		Tags: []string{"dns", "takeover"}, Remedy: "Remove the CNAME or reclaim the resource it points to."}
)

// takeoverServices are CNAME targets whose unclaimed names anyone can
// register (from the can-i-take-over-xyz list).
var takeoverServices = []string{
	"s3.amazonaws.com", "herokuapp.com", "herokudns.com", "github.io", "azurewebsites.net", "cloudapp.net",
	"cloudapp.azure.com", "trafficmanager.net", "blob.core.windows.net", "azureedge.net", "pantheonsite.io",
	"ghost.io", "surge.sh", "bitbucket.io", "netlify.app", "wordpress.com", "readthedocs.io", "fly.dev",
}

type resolver struct {
	addr string
	c    *dns.Client
}

func newResolver(env *scan.Env) (*resolver, error) {
	addr := env.Resolver
	if addr == "" {
		conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(conf.Servers) == 0 {
			return nil, fmt.Errorf("builtin: no DNS resolver configured: %v", err)
		}
		addr = conf.Servers[0] + ":" + conf.Port
	}
	return &resolver{addr: addr, c: &dns.Client{Timeout: 5 * time.Second}}, nil
}

// query asks one question; rcode is the answer's (NXDOMAIN is not an
// error).
func (r *resolver) query(ctx context.Context, name string, qtype uint16, do bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	if do {
		m.SetEdns0(1232, true)
	}
	in, _, err := r.c.ExchangeContext(ctx, m, r.addr)
	if err != nil {
		return nil, fmt.Errorf("builtin: DNS %s %s: %w", dns.TypeToString[qtype], name, err)
	}
	if in.Truncated {
		tc := &dns.Client{Net: "tcp", Timeout: 5 * time.Second}
		if in2, _, err := tc.ExchangeContext(ctx, m, r.addr); err == nil {
			in = in2
		}
	}
	return in, nil
}

func (r *resolver) txt(ctx context.Context, name string) ([]string, error) {
	in, err := r.query(ctx, name, dns.TypeTXT, false)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range in.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, nil
}

func (d DNS) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	s, err := parseTarget(t)
	if err != nil {
		return err
	}
	if isIP(s.host) {
		return nil // an address has no domain records to judge
	}
	r, err := newResolver(env)
	if err != nil {
		return err
	}
	domain := strings.TrimSuffix(strings.ToLower(s.host), ".")
	at := func(name string) string { return "dns://" + name }

	// SPF (RFC 7208)
	txts, err := r.txt(ctx, domain)
	if err != nil {
		return err
	}
	var spf []string
	for _, x := range txts {
		if strings.HasPrefix(strings.ToLower(x), "v=spf1") && (len(x) == 6 || x[6] == ' ') {
			spf = append(spf, x)
		}
	}
	switch {
	case len(spf) == 0:
		emit(result(env, s, spfMissing, at(domain)))
	case len(spf) > 1:
		emit(result(env, s, spfInvalid, at(domain), spf...))
	default:
		if q, ok := spfAll(spf[0]); ok && q == '+' {
			emit(result(env, s, spfPermissive, at(domain), spf[0]))
		}
		n, err := spfLookupCount(ctx, r, spf[0], 0)
		if err != nil || n > 10 {
			ev := []string{spf[0], "lookups=" + strconv.Itoa(n)}
			if err != nil {
				ev = append(ev, err.Error())
			}
			emit(result(env, s, spfLookups, at(domain), ev...))
		}
	}

	// DMARC (RFC 7489)
	dm, err := r.txt(ctx, "_dmarc."+domain)
	if err != nil {
		return err
	}
	var dmarc string
	for _, x := range dm {
		if strings.HasPrefix(strings.ToUpper(strings.ReplaceAll(x, " ", "")), "V=DMARC1") {
			dmarc = x
		}
	}
	if dmarc == "" {
		emit(result(env, s, dmarcMissing, at("_dmarc."+domain)))
	} else if tagValue(dmarc, "p") == "none" {
		emit(result(env, s, dmarcNone, at("_dmarc."+domain), dmarc))
	}

	// CAA (RFC 8659): the closest ancestor with records applies.
	hasCAA := false
	for name := domain; strings.Contains(name, ".") && !hasCAA; name = name[strings.Index(name, ".")+1:] {
		in, err := r.query(ctx, name, dns.TypeCAA, false)
		if err != nil {
			return err
		}
		for _, rr := range in.Answer {
			if _, ok := rr.(*dns.CAA); ok {
				hasCAA = true
			}
		}
	}
	if !hasCAA {
		emit(result(env, s, caaMissing, at(domain)))
	}

	// DNSSEC: a DS at the parent of the zone (or of an ancestor zone).
	signed := false
	for name := domain; strings.Contains(name, ".") && !signed; name = name[strings.Index(name, ".")+1:] {
		in, err := r.query(ctx, name, dns.TypeDS, true)
		if err != nil {
			return err
		}
		for _, rr := range in.Answer {
			switch rr.(type) {
			case *dns.DS, *dns.RRSIG:
				signed = true
			}
		}
	}
	if !signed {
		emit(result(env, s, dnssecMissing, at(domain)))
	}

	// Dangling CNAME: the name points at something that no longer exists.
	in, err := r.query(ctx, domain, dns.TypeCNAME, false)
	if err != nil {
		return err
	}
	for _, rr := range in.Answer {
		c, ok := rr.(*dns.CNAME)
		if !ok {
			continue
		}
		target := strings.TrimSuffix(strings.ToLower(c.Target), ".")
		a, err := r.query(ctx, target, dns.TypeA, false)
		if err != nil {
			return err
		}
		if a.Rcode == dns.RcodeNameError {
			ev := []string{"cname=" + target, "rcode=NXDOMAIN"}
			for _, svc := range takeoverServices {
				if target == svc || strings.HasSuffix(target, "."+svc) {
					ev = append(ev, "service="+svc)
				}
			}
			emit(result(env, s, danglingCNAME, at(domain), ev...))
		}
	}
	return nil
}

// spfAll finds the all mechanism's qualifier.
func spfAll(rec string) (byte, bool) {
	for _, term := range strings.Fields(rec)[1:] {
		q := byte('+')
		if strings.ContainsRune("+-~?", rune(term[0])) {
			q, term = term[0], term[1:]
		}
		if strings.EqualFold(term, "all") {
			return q, true
		}
	}
	return 0, false
}

var errSPFDepth = errors.New("SPF include chain deeper than 10")

// spfLookupCount counts the terms that cost a DNS lookup (include, a, mx,
// ptr, exists, redirect), following include and redirect.
func spfLookupCount(ctx context.Context, r *resolver, rec string, depth int) (int, error) {
	if depth > 10 {
		return 0, errSPFDepth
	}
	n := 0
	for _, term := range strings.Fields(rec)[1:] {
		if strings.ContainsRune("+-~?", rune(term[0])) {
			term = term[1:]
		}
		low := strings.ToLower(term)
		var next string
		switch {
		case strings.HasPrefix(low, "include:"):
			n++
			next = term[len("include:"):]
		case strings.HasPrefix(low, "redirect="):
			n++
			next = term[len("redirect="):]
		case low == "a" || strings.HasPrefix(low, "a:") || strings.HasPrefix(low, "a/"),
			low == "mx" || strings.HasPrefix(low, "mx:") || strings.HasPrefix(low, "mx/"),
			low == "ptr" || strings.HasPrefix(low, "ptr:"),
			strings.HasPrefix(low, "exists:"):
			n++
		}
		if next == "" {
			continue
		}
		txts, err := r.txt(ctx, next)
		if err != nil {
			return n, err
		}
		for _, x := range txts {
			if strings.HasPrefix(strings.ToLower(x), "v=spf1") {
				m, err := spfLookupCount(ctx, r, x, depth+1)
				n += m
				if err != nil {
					return n, err
				}
			}
		}
	}
	return n, nil
}

// tagValue reads a DMARC tag (lower-cased).
func tagValue(rec, tag string) string {
	for _, p := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), tag) {
			return strings.ToLower(strings.TrimSpace(v))
		}
	}
	return ""
}

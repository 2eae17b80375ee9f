package nuclei

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

type dnsRequest struct {
	operators `yaml:",inline"`

	ID        string         `yaml:"id"`
	Name      string         `yaml:"name"`
	Type      string         `yaml:"type"`
	Class     string         `yaml:"class"`
	Retries   int            `yaml:"retries"`
	Recursion *bool          `yaml:"recursion"`
	Trace     bool           `yaml:"trace"`
	Payloads  map[string]any `yaml:"payloads"`
	Attack    string         `yaml:"attack"`
	Resolvers []string       `yaml:"resolvers"`

	qtype    uint16
	qclass   uint16
	payloads *payloadSet
}

func (r *dnsRequest) compile(baseDir string) error {
	if r.Trace {
		return unsupported("dns trace")
	}
	if r.Name == "" {
		return errors.New("dns request without name")
	}
	if err := checkPlaceholders(r.Name); err != nil {
		return err
	}
	t := strings.ToUpper(strings.TrimSpace(r.Type))
	if t == "" {
		t = "A"
	}
	qt, ok := dns.StringToType[t]
	if !ok {
		return fmt.Errorf("dns type %q: unknown", r.Type)
	}
	r.qtype = qt
	c := strings.ToUpper(strings.TrimSpace(r.Class))
	switch c {
	case "", "INET", "IN":
		r.qclass = dns.ClassINET
	case "CSNET":
		r.qclass = dns.ClassCSNET
	case "CHAOS", "CH":
		r.qclass = dns.ClassCHAOS
	case "HESIOD", "HS":
		r.qclass = dns.ClassHESIOD
	case "NONE":
		r.qclass = dns.ClassNONE
	case "ANY":
		r.qclass = dns.ClassANY
	default:
		return fmt.Errorf("dns class %q: unknown", r.Class)
	}
	if r.Retries <= 0 {
		r.Retries = 1
	}
	if r.Retries > 5 {
		r.Retries = 5
	}
	ps, err := loadPayloads(r.Payloads, r.Attack, baseDir)
	if err != nil {
		return err
	}
	r.payloads = ps
	return r.operators.compile()
}

// systemResolver is the first nameserver of /etc/resolv.conf, or
// 127.0.0.1:53.
func systemResolver() string {
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(cfg.Servers) == 0 {
		return "127.0.0.1:53"
	}
	return net.JoinHostPort(cfg.Servers[0], cfg.Port)
}

func (s *runState) runDNS(ctx context.Context, r *dnsRequest) error {
	resolver := s.env.Resolver
	if resolver == "" {
		resolver = systemResolver()
	}
	var firstErr error
	for _, combo := range r.payloads.combinations(s.requestCap()) {
		if err := ctx.Err(); err != nil {
			return err
		}
		vars := s.requestVars()
		for k, v := range combo {
			vars[k] = dsl.Interpolate(dsl.ToString(v), vars)
		}
		name := dsl.Interpolate(r.Name, vars)
		if len(dsl.Unresolved(name)) > 0 {
			return fmt.Errorf("%s: dns name %q has unresolved placeholders", s.t.id, name)
		}
		if r.qtype == dns.TypePTR && net.ParseIP(name) != nil {
			name, _ = dns.ReverseAddr(name)
		}
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), r.qtype)
		m.Question[0].Qclass = r.qclass
		m.RecursionDesired = r.Recursion == nil || *r.Recursion
		var resp *dns.Msg
		var err error
		c := &dns.Client{Timeout: 5 * time.Second}
		for try := 0; try < r.Retries; try++ {
			resp, _, err = c.ExchangeContext(ctx, m, resolver)
			if err == nil && resp.Truncated {
				tc := &dns.Client{Net: "tcp", Timeout: 5 * time.Second}
				resp, _, err = tc.ExchangeContext(ctx, m, resolver)
			}
			if err == nil {
				break
			}
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		v := dnsVars(vars, name, m, resp)
		res, ok := r.operators.execute(v, "raw")
		for k, x := range res.dynamic {
			s.dynamic[k] = x[0]
		}
		if !ok {
			continue
		}
		out := s.result("dns")
		out.Host = name
		out.Port = ""
		out.Scheme = ""
		out.URL = ""
		out.MatchedAt = name
		out.Request = truncate(m.String())
		out.Response = truncate(resp.String())
		s.emitAll(out, res)
	}
	if firstErr != nil {
		return fmt.Errorf("%s: dns: %w", s.t.id, firstErr)
	}
	return nil
}

func dnsVars(in map[string]any, name string, q, resp *dns.Msg) map[string]any {
	v := merge(in)
	join := func(rrs []dns.RR) string {
		parts := make([]string, len(rrs))
		for i, rr := range rrs {
			parts[i] = rr.String()
		}
		return strings.Join(parts, "\n")
	}
	var qs []string
	for _, x := range resp.Question {
		qs = append(qs, x.String())
	}
	v["host"] = name
	v["matched"] = name
	v["rcode"] = resp.Rcode
	v["question"] = strings.Join(qs, "\n")
	v["answer"] = join(resp.Answer)
	v["ns"] = join(resp.Ns)
	v["extra"] = join(resp.Extra)
	v["raw"] = resp.String()
	v["request"] = q.String()
	v["type"] = dns.TypeToString[q.Question[0].Qtype]
	// each record type's values by its name (a, aaaa, cname, mx, ...)
	byType := map[string][]string{}
	for _, rr := range resp.Answer {
		h := rr.Header()
		t := strings.ToLower(dns.TypeToString[h.Rrtype])
		val := strings.TrimPrefix(rr.String(), h.String())
		byType[t] = append(byType[t], strings.TrimSpace(val))
	}
	for t, vals := range byType {
		v[t] = strings.Join(vals, ",")
	}
	return v
}

package nuclei

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

// target is a scan.Target taken apart into nuclei's placeholders.
type target struct {
	url      *url.URL
	scheme   string
	hostname string // host, no port
	port     string
	hostPort string
	// explicitPort: the target named its port; it then wins over a
	// network template's own port list
	explicitPort bool
	path         string // without trailing slash
	query        url.Values
	vars         dsl.Vars
}

func parseTarget(t scan.Target) (*target, error) {
	raw := strings.TrimSpace(t.URL)
	if raw == "" {
		return nil, fmt.Errorf("empty target URL")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", t.URL, err)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("target %q: no host", t.URL)
	}
	tg := &target{url: u, scheme: u.Scheme, hostname: u.Hostname(), port: u.Port(), query: u.Query(), explicitPort: u.Port() != ""}
	if tg.port == "" {
		tg.port = "80"
		if u.Scheme == "https" {
			tg.port = "443"
		}
	}
	tg.hostPort = net.JoinHostPort(tg.hostname, tg.port)
	tg.path = strings.TrimSuffix(u.EscapedPath(), "/")
	hostField := u.Host // as the input names it: with port only when given
	root := u.Scheme + "://" + hostField
	file := ""
	if i := strings.LastIndex(tg.path, "/"); i >= 0 {
		file = tg.path[i+1:]
	}
	v := dsl.Vars{
		"BaseURL":  root + tg.path,
		"RootURL":  root,
		"Hostname": hostField,
		"Host":     tg.hostname,
		"Port":     tg.port,
		"Path":     tg.path,
		"File":     file,
		"Scheme":   u.Scheme,
		"Input":    t.URL,
		"FQDN":     tg.hostname,
		"ip":       "",
	}
	if ip := net.ParseIP(tg.hostname); ip != nil {
		v["ip"] = ip.String()
	}
	rdn, dn, sd, tld := splitDomain(tg.hostname)
	v["RDN"], v["DN"], v["SD"], v["TLD"] = rdn, dn, sd, tld
	tg.vars = v
	return tg, nil
}

// splitDomain returns the registered domain (RDN, "example.com"), its name
// without the suffix (DN, "example"), the subdomain (SD, "www") and the
// suffix (TLD, "com"). Without the public suffix list, a two-label suffix
// is assumed under the second-level names Indonesia and others use
// (go.id, co.id, co.uk, ...).
func splitDomain(host string) (rdn, dn, sd, tld string) {
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return host, host, "", ""
	}
	labels := strings.Split(host, ".")
	n := 1
	if len(labels) >= 3 {
		switch labels[len(labels)-2] {
		case "go", "co", "ac", "or", "sch", "web", "my", "net", "com", "org", "gov", "edu", "mil", "desa", "ponpes", "biz":
			n = 2
		}
	}
	if len(labels) <= n {
		return host, host, "", host
	}
	tld = strings.Join(labels[len(labels)-n:], ".")
	dn = labels[len(labels)-n-1]
	rdn = dn + "." + tld
	sd = strings.Join(labels[:len(labels)-n-1], ".")
	return
}

// templateVars evaluates the template's variables in order: each may use
// the target's placeholders and the variables before it.
func (t *Template) templateVars(base dsl.Vars, overrides map[string]string) dsl.Vars {
	v := make(dsl.Vars, len(base)+len(t.variables)+len(overrides))
	for k, x := range base {
		v[k] = x
	}
	for k, x := range overrides {
		v[k] = x
	}
	for _, tv := range t.variables {
		if _, set := overrides[tv.name]; set && !tv.constant {
			continue
		}
		v[tv.name] = dsl.Interpolate(tv.value, v)
	}
	return v
}

func merge(maps ...map[string]any) dsl.Vars {
	n := 0
	for _, m := range maps {
		n += len(m)
	}
	out := make(dsl.Vars, n)
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

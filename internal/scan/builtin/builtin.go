package builtin

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/scan"
)

// All is the list of built-in checks compiled in, in the order a round
// runs them.
func All() []scan.Check {
	return []scan.Check{
		&TLS{},
		HSTS{},
		Headers{},
		CORS{},
		Exposures{},
		Versions{},
		DNS{},
		Ports{},
	}
}

// meta describes one kind of result a check emits: its stable id, name
// and severity (doc.go's table lists them all).
type meta struct {
	ID       string
	Name     string
	Severity scan.Severity
	Tags     []string
	Remedy   string
}

// site is a parsed target: what every check needs to know about it.
type site struct {
	u      *url.URL
	host   string // name or address, no port
	port   string
	scheme string
}

func parseTarget(t scan.Target) (site, error) {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return site{}, fmt.Errorf("builtin: target %q is not an http(s) URL", t.URL)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return site{u: u, host: u.Hostname(), port: port, scheme: u.Scheme}, nil
}

func (s site) hostPort() string { return net.JoinHostPort(s.host, s.port) }
func (s site) base() string     { return s.scheme + "://" + s.u.Host }

// result fills a scan.Result for m seen at matchedAt.
func result(env *scan.Env, s site, m meta, matchedAt string, extracted ...string) scan.Result {
	now := time.Now
	if env != nil && env.Now != nil {
		now = env.Now
	}
	return scan.Result{
		TemplateID: m.ID,
		Info: scan.Info{
			Name: m.Name, Author: []string{"garda"}, Tags: m.Tags,
			Severity: m.Severity, Remediation: m.Remedy,
		},
		Type:             "builtin",
		Host:             s.host,
		Port:             s.port,
		Scheme:           s.scheme,
		URL:              s.base(),
		MatchedAt:        matchedAt,
		ExtractedResults: extracted,
		Timestamp:        now().UTC(),
		MatcherStatus:    true,
	}
}

// get fetches u without following redirects and reads a bounded body.
func get(ctx context.Context, env *scan.Env, u string, hdr http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	c := *env.HTTP
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, _, err := fetch.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp, body, fmt.Errorf("builtin: reading %s: %w", u, err)
	}
	return resp, body, nil
}

func isIP(host string) bool { return net.ParseIP(host) != nil }

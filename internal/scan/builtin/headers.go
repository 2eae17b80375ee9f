package builtin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// Pair says where a site's plain and secure sides answer. The Observatory
// and pshtt look at both; a target names one, so the other is on its
// standard port unless set (tests run both on loopback ports).
type Pair struct {
	HTTPPort, HTTPSPort string
	// Roots verifies certificates (nil: the system's roots).
	Roots *x509.CertPool
}

func (p Pair) urls(s site) (httpURL, httpsURL string) {
	hp, sp := p.HTTPPort, p.HTTPSPort
	if hp == "" {
		hp = "80"
		if s.scheme == "http" {
			hp = s.port
		}
	}
	if sp == "" {
		sp = "443"
		if s.scheme == "https" {
			sp = s.port
		}
	}
	return "http://" + net.JoinHostPort(s.host, hp) + "/", "https://" + net.JoinHostPort(s.host, sp) + "/"
}

// session is the Observatory's Session: one URL followed through at most
// ten redirects by hand, recording each hop and every cookie set on the
// way.
type session struct {
	start    *url.URL
	route    []ObsHop
	final    *ObsResponse
	cookies  []*http.Cookie
	verified bool
}

const obsCORSOrigin = "https://http-observatory.security.mozilla.org"

func (p Pair) follow(ctx context.Context, env *scan.Env, start string, v *verifier) (*session, error) {
	u, err := url.Parse(start)
	if err != nil {
		return nil, err
	}
	s := &session{start: u, verified: true}
	hdr := http.Header{"Accept": {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}}
	for i := 0; ; i++ {
		if u.Scheme == "https" && !v.ok(ctx, env, u) {
			s.verified = false
		}
		resp, body, err := get(ctx, env, u.String(), hdr)
		if err != nil {
			return nil, err
		}
		s.route = append(s.route, ObsHop{URL: u, Status: resp.StatusCode})
		s.cookies = setCookies(s.cookies, resp.Cookies())
		s.final = &ObsResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}
		loc := resp.Header.Get("Location")
		switch resp.StatusCode {
		case 301, 302, 303, 307, 308:
		default:
			loc = ""
		}
		if loc == "" || i >= 10 {
			break
		}
		next, err := u.Parse(loc)
		if err != nil {
			break
		}
		u = next
	}
	s.final.Verified = s.verified
	return s, nil
}

// setCookies keeps a jar's view: a later cookie of the same name and path
// replaces the earlier.
func setCookies(jar, add []*http.Cookie) []*http.Cookie {
	for _, c := range add {
		replaced := false
		for i, old := range jar {
			if old.Name == c.Name && old.Path == c.Path {
				jar[i], replaced = c, true
			}
		}
		if !replaced {
			jar = append(jar, c)
		}
	}
	return jar
}

// verifier remembers whether each https host:port's certificate verifies
// for its name, as a browser would judge it.
type verifier struct {
	roots *x509.CertPool
	mu    sync.Mutex
	seen  map[string]bool
}

func (v *verifier) ok(ctx context.Context, env *scan.Env, u *url.URL) bool {
	port := u.Port()
	if port == "" {
		port = "443"
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	v.mu.Lock()
	defer v.mu.Unlock()
	if ok, done := v.seen[addr]; done {
		return ok
	}
	ok := func() bool {
		c, err := env.Dial(ctx, "tcp", addr)
		if err != nil {
			return false
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Client(c, &tls.Config{ServerName: u.Hostname(), RootCAs: v.roots})
		return tc.HandshakeContext(ctx) == nil
	}()
	v.seen[addr] = ok
	return ok
}

// Gather is the Observatory's retriever: both sides of the site, the
// graded one, its cookies and a CORS preflight.
func (p Pair) Gather(ctx context.Context, env *scan.Env, t scan.Target) (ObsInput, error) {
	s, err := parseTarget(t)
	if err != nil {
		return ObsInput{}, err
	}
	v := &verifier{roots: p.Roots, seen: map[string]bool{}}
	httpURL, httpsURL := p.urls(s)
	hs, errHTTP := p.follow(ctx, env, httpURL, v)
	ss, errHTTPS := p.follow(ctx, env, httpsURL, v)
	if hs == nil && ss == nil {
		return ObsInput{}, fmt.Errorf("builtin: %s answers neither http nor https: %v; %v", s.host, errHTTP, errHTTPS)
	}
	in := ObsInput{Hostname: s.host}
	if hs != nil {
		in.HTTP, in.HTTPRoute = hs.final, hs.route
	}
	auto := hs
	if ss != nil {
		in.HTTPS = ss.final
		auto = ss
	}
	in.Auto, in.AutoURL, in.Cookies = auto.final, auto.start, auto.cookies
	last := auto.route[len(auto.route)-1].URL.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, last, nil)
	if err == nil {
		req.Header.Set("Origin", obsCORSOrigin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		if resp, err := env.HTTP.Do(req); err == nil {
			resp.Body.Close()
			in.CORS = resp.Header
			in.CORSOrigin = obsCORSOrigin
		}
	}
	return in, nil
}

// Headers grades a site's security headers and cookies with the MDN HTTP
// Observatory's scoring (observatory.go).
type Headers struct{ Pair }

var headersGrade = meta{ID: "garda-headers-grade", Name: "Nilai header keamanan (MDN HTTP Observatory grade)",
	Tags: []string{"headers", "observatory"}, Remedy: "Add the missing security headers (CSP, HSTS, X-Content-Type-Options, X-Frame-Options or frame-ancestors, Referrer-Policy) and Secure/HttpOnly/SameSite cookie flags."}

func (Headers) ID() string   { return "garda-headers" }
func (Headers) Active() bool { return false }

// GradeSeverity: A and B grades are information; C is low; D and F medium.
func GradeSeverity(grade string) scan.Severity {
	switch grade[0] {
	case 'A', 'B':
		return scan.SeverityInfo
	case 'C':
		return scan.SeverityLow
	}
	return scan.SeverityMedium
}

func (h Headers) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	s, err := parseTarget(t)
	if err != nil {
		return err
	}
	in, err := h.Gather(ctx, env, t)
	if err != nil {
		return err
	}
	if st := in.Auto.Status; st < 200 || (st >= 400 && st != 401 && st != 403) {
		return fmt.Errorf("builtin: %s answered %d: the Observatory grades only a 2xx/3xx/401/403 page", s.host, st)
	}
	g := Grade(in)
	m := headersGrade
	m.Severity = GradeSeverity(g.Grade)
	ev := []string{"grade=" + g.Grade, "score=" + strconv.Itoa(g.Score)}
	for _, tt := range g.Tests {
		ev = append(ev, tt.Name+"="+tt.Result+" ("+strconv.Itoa(tt.Modifier)+")")
	}
	r := result(env, s, m, in.AutoURL.String(), ev...)
	r.Info.Metadata = map[string]any{"grade": g.Grade, "score": g.Score}
	emit(r)
	return nil
}

// HSTS judges the redirect from http to https and the HSTS header by
// pshtt's rules: HSTS is strong at max-age ≥ 31536000, preload-ready with
// includeSubDomains and preload as well.
type HSTS struct{ Pair }

var (
	httpsMissing = meta{ID: "garda-https-missing", Name: "HTTPS tidak tersedia (no HTTPS)",
		Severity: scan.SeverityHigh, Tags: []string{"https"}, Remedy: "Serve the site over HTTPS with a valid certificate."}
	httpsNoRedirect = meta{ID: "garda-https-redirect-missing", Name: "HTTP tidak dialihkan ke HTTPS (no HTTP→HTTPS redirect)",
		Severity: scan.SeverityMedium, Tags: []string{"https"}, Remedy: "Redirect every http:// URL to its https:// counterpart (301)."}
	hstsMissing = meta{ID: "garda-hsts-missing", Name: "Header HSTS tidak ada (HSTS missing)",
		Severity: scan.SeverityMedium, Tags: []string{"https", "hsts"}, Remedy: "Send Strict-Transport-Security: max-age=31536000; includeSubDomains; preload."}
	hstsWeak = meta{ID: "garda-hsts-weak", Name: "HSTS lemah (max-age under one year)",
		Severity: scan.SeverityLow, Tags: []string{"https", "hsts"}, Remedy: "Raise max-age to at least 31536000 (one year)."}
	hstsInfo = meta{ID: "garda-hsts", Name: "HSTS (pshtt)", Severity: scan.SeverityInfo, Tags: []string{"https", "hsts"}}
)

func (HSTS) ID() string   { return "garda-hsts" }
func (HSTS) Active() bool { return false }

// HSTSHeader is a parsed Strict-Transport-Security header.
type HSTSHeader struct {
	MaxAge            int64
	IncludeSubDomains bool
	Preload           bool
	Valid             bool
}

// ParseHSTS reads the first Strict-Transport-Security header as pshtt
// does: max-age is required and numeric.
func ParseHSTS(v string) HSTSHeader {
	var h HSTSHeader
	for _, p := range strings.Split(v, ";") {
		p = strings.TrimSpace(p)
		k, val, _ := strings.Cut(p, "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
			if err == nil && n >= 0 {
				h.MaxAge, h.Valid = n, true
			}
		case "includesubdomains":
			h.IncludeSubDomains = true
		case "preload":
			h.Preload = true
		}
	}
	return h
}

// Strong is pshtt's "HSTS" at full strength: max-age of a year or more.
func (h HSTSHeader) Strong() bool { return h.Valid && h.MaxAge >= 31536000 }

// PreloadReady is pshtt's "HSTS Preload Ready".
func (h HSTSHeader) PreloadReady() bool { return h.Strong() && h.IncludeSubDomains && h.Preload }

func (c HSTS) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	s, err := parseTarget(t)
	if err != nil {
		return err
	}
	in, err := c.Gather(ctx, env, t)
	if err != nil {
		return err
	}
	httpURL, httpsURL := c.urls(s)
	if in.HTTPS == nil {
		emit(result(env, s, httpsMissing, httpsURL))
		return nil
	}
	if in.HTTP != nil {
		last := in.HTTPRoute[len(in.HTTPRoute)-1].URL
		if len(in.HTTPRoute) == 1 || last.Scheme != "https" {
			emit(result(env, s, httpsNoRedirect, httpURL, "final="+last.String()))
		}
	}
	raw := in.HTTPS.Header.Values("Strict-Transport-Security")
	if len(raw) == 0 {
		emit(result(env, s, hstsMissing, httpsURL))
		return nil
	}
	h := ParseHSTS(raw[0])
	ev := []string{"header=" + truncate(raw[0], 256), "max-age=" + strconv.FormatInt(h.MaxAge, 10),
		"includeSubDomains=" + strconv.FormatBool(h.IncludeSubDomains), "preload=" + strconv.FormatBool(h.Preload),
		"preload-ready=" + strconv.FormatBool(h.PreloadReady())}
	switch {
	case !h.Valid:
		emit(result(env, s, hstsMissing, httpsURL, append(ev, "invalid header")...))
	case !h.Strong():
		emit(result(env, s, hstsWeak, httpsURL, ev...))
	default:
		emit(result(env, s, hstsInfo, httpsURL, ev...))
	}
	return nil
}

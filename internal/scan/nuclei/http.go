package nuclei

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

// maxHopBody bounds what is kept of a redirect's own body.
const maxHopBody = 64 << 10

// maxRequests bounds the requests one template block may make (payload
// combinations times paths), whatever its payload lists say; the Env's
// PayloadCap may lower it.
const maxRequests = 5000

// requestCap is the most requests one template block may make here.
func (s *runState) requestCap() int {
	if c := s.env.PayloadCap; c > 0 && c < maxRequests {
		return c
	}
	return maxRequests
}

type httpRequest struct {
	operators `yaml:",inline"`

	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	Path             []string          `yaml:"path"`
	Raw              []string          `yaml:"raw"`
	Method           string            `yaml:"method"`
	Body             string            `yaml:"body"`
	Headers          map[string]string `yaml:"headers"`
	Payloads         map[string]any    `yaml:"payloads"`
	Attack           string            `yaml:"attack"`
	Redirects        bool              `yaml:"redirects"`
	HostRedirects    bool              `yaml:"host-redirects"`
	MaxRedirects     int               `yaml:"max-redirects"`
	StopAtFirstMatch bool              `yaml:"stop-at-first-match"`
	ReqCondition     bool              `yaml:"req-condition"`
	CookieReuse      bool              `yaml:"cookie-reuse"`
	DisableCookie    bool              `yaml:"disable-cookie"`
	Unsafe           bool              `yaml:"unsafe"`
	Race             bool              `yaml:"race"`
	RaceCount        int               `yaml:"race_count"`
	MaxSize          int               `yaml:"max-size"`
	Threads          int               `yaml:"threads"`
	DisableAutomerge bool              `yaml:"disable-path-automerge"`
	Fuzzing          []any             `yaml:"fuzzing"`
	Analyzer         any               `yaml:"analyzer"`
	Digest           string            `yaml:"digest-username"`
	Signature        string            `yaml:"signature"`

	payloads  *payloadSet
	condition bool // evaluate once over every response (req-condition)
}

var suffixedVar = regexp.MustCompile(`_\d+$`)

func (r *httpRequest) compile(baseDir string) error {
	if len(r.Fuzzing) > 0 {
		return unsupported("fuzzing")
	}
	if r.Analyzer != nil {
		return unsupported("analyzer")
	}
	if r.Digest != "" {
		return unsupported("digest authentication")
	}
	if r.Signature != "" {
		return unsupported("request signature %q", r.Signature)
	}
	if len(r.Path) == 0 && len(r.Raw) == 0 {
		return errors.New("request has neither path nor raw")
	}
	if r.Method == "" {
		r.Method = "GET"
	}
	r.Method = strings.ToUpper(r.Method)
	for _, s := range append(append(append([]string{}, r.Path...), r.Raw...), r.Body) {
		if err := checkPlaceholders(s); err != nil {
			return err
		}
	}
	for k, v := range r.Headers {
		if err := checkPlaceholders(k + v); err != nil {
			return err
		}
	}
	for _, raw := range r.Raw {
		if _, err := splitRaw(raw); err != nil {
			return err
		}
	}
	ps, err := loadPayloads(r.Payloads, r.Attack, baseDir)
	if err != nil {
		return err
	}
	r.payloads = ps
	if err := r.operators.compile(); err != nil {
		return err
	}
	r.condition = r.ReqCondition
	for _, m := range r.Matchers {
		for _, e := range m.exprs {
			for _, v := range e.Variables() {
				if suffixedVar.MatchString(v) && (strings.HasPrefix(v, "status_code") || strings.HasPrefix(v, "body") || strings.HasPrefix(v, "header") || strings.HasPrefix(v, "content_length") || strings.HasPrefix(v, "all_headers") || strings.HasPrefix(v, "response") || strings.HasPrefix(v, "duration") || strings.HasPrefix(v, "content_type")) {
					r.condition = true
				}
			}
		}
	}
	if r.MaxRedirects == 0 {
		r.MaxRedirects = 10
	}
	if r.RaceCount <= 0 {
		r.RaceCount = 1
	}
	if r.RaceCount > 100 {
		r.RaceCount = 100
	}
	return nil
}

// passivePaths are the only URLs a passive template may ask for.
var passivePaths = map[string]bool{"{{BaseURL}}": true, "{{BaseURL}}/": true, "{{RootURL}}": true, "{{RootURL}}/": true}

// browserHeaders are the headers a browser sends anyway; a template that
// sets any other (a forged Host, X-Forwarded-For...) is probing.
var browserHeaders = map[string]bool{
	"accept": true, "accept-language": true, "accept-encoding": true, "user-agent": true,
	"connection": true, "cache-control": true, "upgrade-insecure-requests": true, "pragma": true,
}

// isActive is the rule the package comment states: only GET/HEAD of the
// target's own URL, without payloads, body or headers a browser would not
// send, is passive.
func (r *httpRequest) isActive() bool {
	if r.payloads != nil || r.Body != "" || r.Race || (r.Method != "GET" && r.Method != "HEAD") {
		return true
	}
	for k := range r.Headers {
		if !browserHeaders[strings.ToLower(k)] {
			return true
		}
	}
	for _, p := range r.Path {
		if !passivePaths[strings.TrimSpace(p)] {
			return true
		}
	}
	for _, raw := range r.Raw {
		rr, err := splitRaw(raw)
		if err != nil || (rr.method != "GET" && rr.method != "HEAD") || strings.TrimSpace(rr.body) != "" || len(rr.annotations) > 0 {
			return true
		}
		if p := strings.TrimSpace(rr.target); p != "/" && !passivePaths[p] {
			return true
		}
		for _, h := range rr.headers {
			k := strings.ToLower(h[0])
			if k == "host" && (h[1] == "{{Hostname}}" || h[1] == "{{Host}}") {
				continue
			}
			if !browserHeaders[k] {
				return true
			}
		}
	}
	return false
}

// rawRequest is a raw request taken apart (before placeholders resolve).
type rawRequest struct {
	method, target string
	headers        [][2]string
	body           string
	annotations    map[string]string
}

func splitRaw(raw string) (*rawRequest, error) {
	raw = strings.TrimLeft(raw, " \t\r\n")
	rr := &rawRequest{annotations: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), maxTemplateSize)
	var lines []string
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], "@") {
		k, v, _ := strings.Cut(lines[i][1:], ":")
		rr.annotations[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		i++
	}
	if i >= len(lines) {
		return nil, errors.New("raw request: no request line")
	}
	parts := strings.Fields(lines[i])
	if len(parts) < 2 {
		return nil, fmt.Errorf("raw request line %q: want METHOD PATH [PROTO]", lines[i])
	}
	rr.method = strings.ToUpper(parts[0])
	rr.target = parts[1]
	if len(parts) == 2 && strings.HasPrefix(parts[1], "HTTP/") {
		// "GET HTTP/1.1": no path, the target's own
		rr.target = ""
	}
	if len(parts) > 3 {
		// a path with spaces: everything between the method and the
		// protocol
		rr.target = strings.Join(parts[1:len(parts)-1], " ")
	}
	i++
	for ; i < len(lines); i++ {
		if lines[i] == "" {
			i++
			break
		}
		k, v, ok := strings.Cut(lines[i], ":")
		if !ok {
			// nuclei ignores a header line without a colon
			continue
		}
		rr.headers = append(rr.headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	if i < len(lines) {
		rr.body = strings.Join(lines[i:], "\r\n")
		rr.body = strings.TrimRight(rr.body, "\r\n")
		if !strings.Contains(raw, "\r\n") {
			rr.body = strings.ReplaceAll(rr.body, "\r\n", "\n")
		}
	}
	return rr, nil
}

// runState is what the requests of one template run share: variables
// extracted by earlier requests and the cookie jar.
type runState struct {
	t       *Template
	env     *scan.Env
	tg      *target
	base    dsl.Vars
	dynamic dsl.Vars
	jar     http.CookieJar
	emit    func(scan.Result)
	// blockMatched: the block being run matched (what a flow's http(n)
	// answers)
	blockMatched bool
	now          func() time.Time
}

func (s *runState) runHTTP(ctx context.Context, r *httpRequest) error {
	if s.env.HTTP == nil {
		return errors.New("http template without an HTTP client in the Env")
	}
	items := r.Path
	raw := false
	if len(r.Raw) > 0 {
		items, raw = r.Raw, true
	}
	combos := r.payloads.combinations(s.requestCap())
	if r.Race && len(items) > 1 && !r.condition {
		return s.raceItems(ctx, r, items, raw)
	}
	sent := 0
	var firstErr error
	anyOK := false
	for _, combo := range combos {
		history := dsl.Vars{}
		var last dsl.Vars
		var lastReq *sentRequest
		for i, item := range items {
			if err := ctx.Err(); err != nil {
				return err
			}
			if sent >= s.requestCap() {
				return nil
			}
			vars := s.requestVars()
			for k, v := range combo {
				vars[k] = dsl.Interpolate(dsl.ToString(v), vars)
			}
			req, err := s.buildHTTP(ctx, r, item, raw, vars)
			if err != nil {
				// one malformed path does not stop the others
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			results := s.send(ctx, r, req, vars)
			sent += len(results)
			for _, res := range results {
				if res.err != nil {
					if firstErr == nil {
						firstErr = res.err
					}
					continue
				}
				anyOK = true
				last, lastReq = res.vars, res.req
				if r.ID != "" {
					// a request's id names its response for the
					// requests after it: first_status_code
					for k, v := range res.vars {
						if _, isBase := s.base[k]; !isBase {
							s.dynamic[r.ID+"_"+k] = v
						}
					}
				}
				if r.condition {
					for k, v := range res.vars {
						if _, isBase := s.base[k]; !isBase {
							history[k+"_"+strconv.Itoa(i+1)] = v
						}
					}
					// extractors feed the next request of the
					// sequence; matchers wait for the last one
					s.extractOnly(r, merge(res.vars, history))
					continue
				}
				if s.evaluate(r, res.vars, res.req) && r.StopAtFirstMatch {
					return nil
				}
				// then the redirects that led there, last first, as
				// nuclei walks its response chain
				for h := len(res.hops) - 1; h >= 0; h-- {
					if s.evaluate(r, res.hops[h].vars, res.hops[h].req) && r.StopAtFirstMatch {
						return nil
					}
				}
			}
		}
		if r.condition && last != nil {
			if s.evaluate(r, merge(last, history), lastReq) && r.StopAtFirstMatch {
				return nil
			}
		}
	}
	if !anyOK && firstErr != nil {
		return fmt.Errorf("%s: %w", s.t.id, firstErr)
	}
	return nil
}

// raceItems sends every request of a race block at once (at most
// `threads` at a time) and evaluates each response.
func (s *runState) raceItems(ctx context.Context, r *httpRequest, items []string, raw bool) error {
	threads := r.Threads
	if threads <= 0 || threads > len(items) {
		threads = len(items)
	}
	sem := make(chan struct{}, threads)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, item := range items {
		vars := s.requestVars()
		b, err := s.buildHTTP(ctx, r, item, raw, vars)
		if err != nil {
			return fmt.Errorf("%s: %w", s.t.id, err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res := s.do(ctx, r, b.req, b, vars)
			mu.Lock()
			defer mu.Unlock()
			if res.err != nil {
				if firstErr == nil {
					firstErr = res.err
				}
				return
			}
			s.evaluate(r, res.vars, res.req)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("%s: %w", s.t.id, firstErr)
	}
	return nil
}

// extractOnly runs the named extractors, for the requests that follow.
func (s *runState) extractOnly(r *httpRequest, vars dsl.Vars) {
	for _, e := range r.Extractors {
		if e.Name == "" {
			continue
		}
		if vals := e.extract(vars, "body"); len(vals) > 0 {
			s.dynamic[e.Name] = vals[0]
		}
	}
}

// evaluate runs the operators on one response and emits what matched; it
// reports whether matchers matched (what stop-at-first-match stops on).
func (s *runState) evaluate(r *httpRequest, vars dsl.Vars, req *sentRequest) bool {
	res, ok := r.operators.execute(vars, "body")
	for k, v := range res.dynamic {
		s.dynamic[k] = v[0]
	}
	if !ok {
		return false
	}
	if res.matched {
		s.blockMatched = true
	}
	if res.internalOnly {
		return true
	}
	base := s.result("http")
	base.MatchedAt = req.url
	base.Request = truncate(req.dump)
	base.Response = truncate(dsl.ToString(vars["response"]))
	base.IP = req.ip
	base.CURLCommand = req.curl
	s.emitAll(base, res)
	return res.matched
}

func (s *runState) result(typ string) scan.Result {
	return scan.Result{
		TemplateID: s.t.id, TemplatePath: s.t.path, Info: s.t.info, Type: typ,
		Host: s.tg.hostname, Port: s.tg.port, Scheme: s.tg.scheme, URL: s.tg.url.String(),
		Timestamp: s.now().UTC(), MatcherStatus: true,
	}
}

// emitAll writes nuclei's result events: one per named matcher that
// matched, else one per extractor when there are no matchers, else one.
func (s *runState) emitAll(base scan.Result, res opResult) {
	base.ExtractedResults = res.extracts
	switch {
	case len(res.names) > 0:
		for _, n := range res.names {
			r := base
			r.MatcherName = n
			s.emit(r)
		}
	case !res.matched && len(res.byName) > 0:
		for _, k := range sortedKeys(res.byName) {
			r := base
			r.ExtractorName = k
			r.ExtractedResults = res.byName[k]
			s.emit(r)
		}
	default:
		s.emit(base)
	}
}

// maxDump bounds the request and response kept in a result.
const maxDump = 4 << 10

func truncate(s string) string {
	if len(s) > maxDump {
		return s[:maxDump] + "\n[truncated]"
	}
	return s
}

type builtRequest struct {
	req     *http.Request
	body    string
	timeout time.Duration
	sni     string // @tls-sni: the TLS server name to send
	// viaTarget: an absolute-form request for another host, sent to the
	// target as to a proxy
	viaTarget bool
}

// isTarget reports whether u names the target's host.
func (s *runState) isTarget(u *url.URL) bool {
	return strings.EqualFold(u.Hostname(), s.tg.hostname)
}

func (s *runState) buildHTTP(ctx context.Context, r *httpRequest, item string, raw bool, vars dsl.Vars) (*builtRequest, error) {
	if !raw {
		u := dsl.Interpolate(item, vars)
		body := dsl.Interpolate(r.Body, vars)
		req, err := newRequest(ctx, r.Method, s.withTargetQuery(u), body)
		if err != nil {
			return nil, err
		}
		if !s.isTarget(req.URL) {
			return nil, fmt.Errorf("request to %s: a template asks only the target %s", req.URL.Host, s.tg.hostname)
		}
		for k, v := range r.Headers {
			setHeader(req, k, dsl.Interpolate(v, vars))
		}
		return &builtRequest{req: req, body: body}, nil
	}
	rr, err := splitRaw(dsl.Interpolate(item, vars))
	if err != nil {
		return nil, err
	}
	target := rr.target
	var u string
	switch {
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		u = target
	default:
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		prefix := ""
		if !r.DisableAutomerge && s.tg.path != "" {
			// the raw path joins the target's own path; "/" alone
			// means the target's path as it is
			prefix = s.tg.path
			if target == "/" {
				target = strings.TrimPrefix(s.tg.url.EscapedPath(), prefix)
			}
		}
		u = s.tg.vars["RootURL"].(string) + prefix + target
	}
	if h, ok := rr.annotations["host"]; ok && h != "" {
		// @Host: the request goes to another address of the target
		if hu, err := url.Parse(h); err == nil && hu.Host != "" {
			if !s.isTarget(hu) {
				return nil, fmt.Errorf("@Host %s: a template asks only the target %s", hu.Host, s.tg.hostname)
			}
			if pu, err := url.Parse(u); err == nil {
				pu.Scheme, pu.Host = hu.Scheme, hu.Host
				u = pu.String()
			}
		}
	}
	req, err := newRequest(ctx, rr.method, s.withTargetQuery(u), rr.body)
	if err != nil {
		return nil, err
	}
	// "GET http://elsewhere/ HTTP/1.1" asks the target to act as a proxy
	// (open-proxy checks): it is sent to the target in absolute form,
	// never to the other host
	proxy := !s.isTarget(req.URL)
	for _, h := range rr.headers {
		setHeader(req, h[0], h[1])
	}
	for k, v := range r.Headers {
		setHeader(req, k, dsl.Interpolate(v, vars))
	}
	b := &builtRequest{req: req, body: rr.body, viaTarget: proxy}
	if sni, ok := rr.annotations["tls-sni"]; ok && sni != "" {
		if sni == "request.host" {
			sni = hostOf(req)
		}
		if h, _, err := net.SplitHostPort(sni); err == nil {
			sni = h
		}
		b.sni = sni
	}
	if t, ok := rr.annotations["timeout"]; ok {
		if d, err := time.ParseDuration(t); err == nil && d > 0 {
			b.timeout = d
		}
	}
	return b, nil
}

// withTargetQuery adds the target URL's own query parameters to a request
// URL, as nuclei does when the input carries them.
func (s *runState) withTargetQuery(u string) string {
	if len(s.tg.query) == 0 {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	for k, vs := range s.tg.query {
		if strings.Contains(u, k+"=") {
			continue
		}
		for _, v := range vs {
			u += sep + url.QueryEscape(k) + "=" + url.QueryEscape(v)
			sep = "&"
		}
	}
	return u
}

var badEscape = regexp.MustCompile(`%([^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$)`)

// newRequest builds a request for a URL as a template writes it: invalid
// percent escapes are escaped (as nuclei does); valid escapes are kept as
// written (url.URL's RawPath).
func newRequest(ctx context.Context, method, rawURL, body string) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		u, err = url.Parse(badEscape.ReplaceAllStringFunc(rawURL, func(m string) string { return "%25" + m[1:] }))
		if err != nil {
			return nil, fmt.Errorf("request URL %q: %w", rawURL, err)
		}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("request URL %q: not http or https", rawURL)
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	return req, nil
}

func setHeader(req *http.Request, k, v string) {
	switch strings.ToLower(k) {
	case "host":
		// the target decides where the request goes; a template's Host
		// header names the virtual host
		req.Host = v
	case "content-length", "transfer-encoding":
		// the client computes these from the body
	case "connection":
		if strings.EqualFold(v, "close") {
			req.Close = true
		}
	default:
		req.Header.Set(k, v)
	}
}

type sentRequest struct {
	url, dump, ip, curl string
}

type sendResult struct {
	vars dsl.Vars
	req  *sentRequest
	err  error
	// hops are the responses of the redirects followed before the final
	// one, first to last: nuclei matches each of them too
	hops []sendResult
}

// send sends a built request (race_count times at once for race
// templates) and returns each response's variables.
func (s *runState) send(ctx context.Context, r *httpRequest, b *builtRequest, vars dsl.Vars) []sendResult {
	n := 1
	if r.Race {
		n = r.RaceCount
	}
	out := make([]sendResult, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		req := b.req
		if i > 0 {
			req = b.req.Clone(ctx)
			if b.body != "" {
				req.Body = io.NopCloser(strings.NewReader(b.body))
			}
		}
		wg.Add(1)
		go func(i int, req *http.Request) {
			defer wg.Done()
			out[i] = s.do(ctx, r, req, b, vars)
		}(i, req)
	}
	wg.Wait()
	return out
}

func (s *runState) do(ctx context.Context, r *httpRequest, req *http.Request, b *builtRequest, vars dsl.Vars) sendResult {
	client := *s.env.HTTP
	// @tls-sni and proxy requests: a plain *http.Transport is cloned with
	// the server name or the proxy; any other (package fetch's, with its
	// guards and politeness) is asked through the request's context.
	var opt scan.RequestOptions
	if b.sni != "" {
		opt.ServerName = b.sni
	}
	if b.viaTarget {
		root, err := url.Parse(s.tg.vars["RootURL"].(string))
		if err != nil {
			return sendResult{err: fmt.Errorf("proxy request: the target's root URL: %w", err)}
		}
		opt.Proxy = root
	}
	if opt.ServerName != "" || opt.Proxy != nil {
		if tr, ok := client.Transport.(*http.Transport); ok {
			tr = tr.Clone()
			if opt.ServerName != "" {
				if tr.TLSClientConfig == nil {
					tr.TLSClientConfig = &tls.Config{}
				}
				tr.TLSClientConfig.ServerName = opt.ServerName
			}
			if opt.Proxy != nil {
				tr.Proxy = http.ProxyURL(opt.Proxy)
			}
			defer tr.CloseIdleConnections()
			client.Transport = tr
		} else {
			req = req.WithContext(scan.WithRequestOptions(req.Context(), opt))
		}
	}
	if !r.DisableCookie {
		client.Jar = s.jar
	}
	origHost := req.URL.Host
	sent := &sentRequest{url: req.URL.String(), dump: dumpRequest(req, b.body), curl: curlCommand(req, b.body)}
	if ip := net.ParseIP(req.URL.Hostname()); ip != nil {
		sent.ip = ip.String()
	}
	var hops []sendResult
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if !r.Redirects && !r.HostRedirects {
			return http.ErrUseLastResponse
		}
		if len(via) > r.MaxRedirects {
			return http.ErrUseLastResponse
		}
		if r.HostRedirects && !r.Redirects && next.URL.Host != origHost {
			return http.ErrUseLastResponse
		}
		if s.env.HTTP.CheckRedirect != nil {
			if err := s.env.HTTP.CheckRedirect(next, via); err != nil {
				return err
			}
		}
		// the redirect is followed: keep the response that asked for
		// it (its body is still unread here)
		if prev := next.Response; prev != nil && len(hops) < 32 {
			hb, _ := io.ReadAll(io.LimitReader(prev.Body, maxHopBody))
			hopReq := &sentRequest{url: via[len(via)-1].URL.String(), dump: dumpRequest(via[len(via)-1], "")}
			hopReq.ip = sent.ip
			hops = append(hops, sendResult{vars: responseVars(vars, prev, hb, 0, hopReq), req: hopReq})
		}
		return nil
	}
	if b.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	// the address the request reached, for the result's ip
	var ipMu sync.Mutex
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if a, ok := info.Conn.RemoteAddr().(*net.TCPAddr); ok {
				ipMu.Lock()
				sent.ip = a.IP.String()
				ipMu.Unlock()
			}
		},
	}))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return sendResult{err: err}
	}
	ipMu.Lock()
	defer ipMu.Unlock()
	defer resp.Body.Close()
	limit := int64(maxMatchInput)
	if r.MaxSize > 0 && int64(r.MaxSize) < limit {
		limit = int64(r.MaxSize)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil && len(body) == 0 {
		return sendResult{err: err}
	}
	if resp.Request != nil && resp.Request.URL != nil {
		sent.url = resp.Request.URL.String()
	}
	return sendResult{vars: responseVars(vars, resp, body, time.Since(start), sent), req: sent, hops: hops}
}

// curlCommand is the request as a curl command line, as nuclei's results
// carry it, single-quoted for a POSIX shell.
func curlCommand(req *http.Request, body string) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	var b strings.Builder
	b.WriteString("curl -X " + q(req.Method))
	if req.Host != "" && req.Host != req.URL.Host {
		b.WriteString(" -H " + q("Host: "+req.Host))
	}
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			b.WriteString(" -H " + q(k+": "+v))
		}
	}
	if body != "" {
		b.WriteString(" -d " + q(body))
	}
	b.WriteString(" " + q(req.URL.String()))
	return truncate(b.String())
}

func dumpRequest(req *http.Request, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), hostOf(req))
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.String()
}

func hostOf(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.URL.Host
}

// responseVars are the names matchers, extractors and later requests see:
// body, header/all_headers, status_code, content_length, content_type,
// response/raw, duration, every header by its lower-case snake name, and
// the request's own variables.
func responseVars(in dsl.Vars, resp *http.Response, body []byte, d time.Duration, sent *sentRequest) dsl.Vars {
	v := make(dsl.Vars, len(in)+16+len(resp.Header))
	for k, x := range in {
		v[k] = x
	}
	var hb strings.Builder
	fmt.Fprintf(&hb, "%s %s\r\n", resp.Proto, resp.Status)
	for k, vs := range resp.Header {
		for _, x := range vs {
			fmt.Fprintf(&hb, "%s: %s\r\n", k, x)
		}
		v[strings.ReplaceAll(strings.ToLower(k), "-", "_")] = strings.Join(vs, " ")
	}
	hb.WriteString("\r\n")
	headers := hb.String()
	cl := len(body)
	if h := resp.Header.Get("Content-Length"); h != "" {
		if n, err := strconv.Atoi(h); err == nil {
			cl = n
		}
	} else if resp.ContentLength >= 0 {
		cl = int(resp.ContentLength)
	}
	v["body"] = string(body)
	v["header"] = headers
	v["all_headers"] = headers
	v["status_code"] = resp.StatusCode
	v["content_length"] = cl
	v["content_type"] = resp.Header.Get("Content-Type")
	v["response"] = headers + string(body)
	v["raw"] = headers + string(body)
	v["duration"] = d.Seconds()
	v["request"] = sent.dump
	v["matched"] = sent.url
	v["host"] = sent.url
	return v
}

func newJar() http.CookieJar {
	j, _ := cookiejar.New(nil)
	return j
}

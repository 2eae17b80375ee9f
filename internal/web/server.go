// Package web wires Garda's HTTP surface: the REST API under /api/v1, the
// server-rendered UI, health and metrics. It authenticates each request,
// sets the security headers, and hands the work to the domain packages;
// it must never decide visibility or validate domain data itself.
package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"github.com/garda-id/garda/internal/claim"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/metrics"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/patrol/source"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// Readiness is something /readyz checks (the database, the bus).
type Readiness interface {
	Ready(ctx context.Context) error
}

// Deps is what the web layer is built from; cmd/garda wires it once.
type Deps struct {
	DB      *store.DB
	Bus     *bus.Bus // live updates; nil in tests that need none
	Orgs    *org.Cache
	Log     *slog.Logger
	Metrics *metrics.Registry
	// Ready lists what must answer before the instance takes traffic.
	Ready map[string]Readiness
	// TLS says the platform is reached over HTTPS (directly or behind a
	// proxy): cookies get Secure and responses HSTS.
	TLS bool
	// Version is shown in the UI footer and /healthz.
	Version string
	DataDir string // the platform's data directory: evidence files live under DataDir/evidence
	// EvidenceMaxBytes bounds one evidence file (0 = incident.DefaultEvidenceMaxBytes).
	EvidenceMaxBytes int64
	// Stopping, when it closes, ends the live streams (the instance is
	// shutting down); nil: they end with their requests.
	Stopping <-chan struct{}
	// drillNow and drillEvery are the drill stream's clock and poll
	// period (zero: store.Now, drillPoll); in-package tests set them.
	drillNow   func() time.Time
	drillEvery time.Duration
	// Rules is the per-scenario decision policy the alert page tells of
	// (nil: the built-in one).
	Rules *decision.Rules
	// Notify sends incident notifications; nil = inbox and webhooks with email off.
	Notify *notify.Notifier
	// IngestLimits bound one ingest request (zero: ingest.DefaultLimits);
	// IngestRate bounds the lines a second each sender sends (0: none).
	IngestLimits ingest.Limits
	IngestRate   float64
	// Claims is the fact-check database and its matcher (nil: one on DB).
	Claims *claim.Service
	// Scans runs the scans started by hand (the scan store records them);
	// nil: such a scan is refused as not configured here.
	Scans *scan.Runner
	// Patrol runs the cyber patrol's sources, imports and submissions;
	// nil: they are refused as not configured here (items still read).
	Patrol *source.Runner
	// RPZ are the DNS blocklist zone's SOA timers (zero: rpz.DefaultTimers).
	RPZ rpz.Timers
	// TakedownChecks checks takedown URLs on demand (nil: refused as not
	// configured here).
	TakedownChecks *takedown.Checker
	// TakedownDeadlines are the times a platform has by urgency (nil: the
	// regulation's).
	TakedownDeadlines takedown.Deadlines
}

// Server is the HTTP surface.
type Server struct {
	Deps
	mux       *http.ServeMux
	apiRoutes []string // "METHOD /path" of every API route, for the OpenAPI check
	requests  *metrics.Counter
	latency   *metrics.Histogram
	pages     *pages
	// ingestSlots bounds concurrent ingest requests (back-pressure).
	ingestSlots chan struct{}
	ingestQuota *ingest.Quota
	ingested    *metrics.Counter
	// rejectedLines counts refused lines by asset, format and reason: on
	// /metrics, and on the asset's page.
	rejectedLines *metrics.Counter
	// signinSlots bounds concurrent password checks: each costs 19 MiB of
	// argon2 memory, and anyone may ask for one.
	signinSlots chan struct{}
	// alertFeed shares the reads of the alert streams open here.
	alertFeed *alertFeed
	// drillFeed shares the polls of a room's drill streams.
	drillFeed *drillFeed
}

// New builds the server and registers every route.
func New(d Deps) (*Server, error) {
	auth.PrepareLogin()
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New()
	}
	if d.Orgs == nil {
		d.Orgs = org.NewCache(d.DB, 30*time.Second)
	}
	if d.Claims == nil {
		d.Claims = claim.NewService(d.DB)
	}
	s := &Server{
		Deps: d,
		mux:  http.NewServeMux(),
		requests: d.Metrics.Counter("garda_http_requests_total",
			"HTTP requests answered, by route and status code.", "route", "code"),
		latency: d.Metrics.Histogram("garda_http_request_duration_seconds",
			"Time to answer HTTP requests, by route.", metrics.DefaultBuckets, "route"),
		ingestSlots: make(chan struct{}, 4),
		signinSlots: make(chan struct{}, 4),
		ingested: d.Metrics.Counter("garda_ingest_lines_total",
			"Log lines received over the ingest API, by what became of them (accepted, or the reason they were rejected).", "result"),
		rejectedLines: d.Metrics.Counter("garda_ingest_rejected_lines_total",
			"Log lines refused over the ingest API, by asset, format and reason.", "asset", "format", "reason"),
	}
	s.alertFeed = newAlertFeed(s)
	s.drillFeed = newDrillFeed(s)
	// A sender's bucket holds a whole request at least.
	s.ingestQuota = &ingest.Quota{Rate: d.IngestRate, Burst: max(float64(s.ingestLimits().MaxLines), 60*d.IngestRate)}
	p, err := newPages(s)
	if err != nil {
		return nil, err
	}
	s.pages = p
	s.routes()
	if err := s.mountPillars(); err != nil {
		return nil, err
	}
	return s, nil
}

// APIRoutes lists the registered API routes as "METHOD /path".
func (s *Server) APIRoutes() []string {
	out := append([]string(nil), s.apiRoutes...)
	sort.Strings(out)
	return out
}

// Handler is the whole HTTP surface with its middleware.
func (s *Server) Handler() http.Handler {
	return s.observe(s.secure(s.mux))
}

// Access modes of a route.
type access int

const (
	public   access = iota // anyone
	signedIn               // a session or a bearer token
)

// apiHandler answers an API request; returning an error renders it as JSON.
type apiHandler func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error

// api registers a JSON endpoint under /api/v1.
func (s *Server) api(pattern string, a access, h apiHandler) {
	s.apiRoutes = append(s.apiRoutes, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		var p *auth.Principal
		if a == signedIn {
			var err error
			if p, err = s.authenticateAPI(w, r); err != nil {
				httpapi.Fail(w, r, s.Log, err)
				return
			}
		}
		if err := h(w, r, p); err != nil {
			httpapi.Fail(w, r, s.Log, err)
		}
	})
}

// authenticateAPI accepts a bearer token, or a browser session whose
// writes carry the session's CSRF token in X-CSRF-Token.
func (s *Server) authenticateAPI(w http.ResponseWriter, r *http.Request) (*auth.Principal, error) {
	ctx := r.Context()
	var u auth.User
	var err error
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, problem.New(problem.Unauthorized, "use Authorization: Bearer <token>")
		}
		u, err = auth.TokenUser(ctx, s.DB, strings.TrimSpace(tok))
	} else if c, cerr := r.Cookie(sessionCookie); cerr == nil {
		var sess auth.Session
		sess, err = auth.SessionOf(ctx, s.DB, c.Value)
		if err == nil && !safeMethod(r.Method) && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(sess.CSRF)) != 1 {
			return nil, problem.New(problem.CSRF, "a browser session's writes need its X-CSRF-Token header")
		}
		if err == nil {
			u, err = auth.UserByID(ctx, s.DB, sess.UserID)
		}
	} else {
		return nil, problem.New(problem.Unauthorized, "sign in: send Authorization: Bearer <token> (POST /api/v1/auth/login gives one)")
	}
	if errors.Is(err, auth.ErrUnauthorized) || errors.Is(err, store.ErrNotFound) {
		return nil, problem.New(problem.Unauthorized, "the token or session is unknown, expired or revoked")
	} else if err != nil {
		return nil, err
	}
	return s.principal(ctx, u)
}

func (s *Server) principal(ctx context.Context, u auth.User) (*auth.Principal, error) {
	if u.Disabled {
		return nil, problem.New(problem.Unauthorized, "the account is disabled")
	}
	tree, err := s.Orgs.Tree(ctx)
	if err != nil {
		return nil, err
	}
	p, err := auth.PrincipalOf(u, tree)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

const sessionCookie = "garda_session"

// secure sets the security headers every response carries.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if s.TLS || r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status for metrics and logs.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe counts and times every request by its route pattern (never by
// raw path, so ids do not explode the series), and recovers panics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
				if sw.status == 0 {
					httpapi.Fail(sw, r, s.Log, errors.New("panic"))
				}
			}
			_, route := s.mux.Handler(r)
			if route == "" {
				route = "unmatched"
			}
			s.requests.Inc(route, httpStatus(sw.status))
			s.latency.Observe(time.Since(start).Seconds(), route)
		}()
		next.ServeHTTP(sw, r)
	})
}

func httpStatus(code int) string {
	if code == 0 {
		code = http.StatusOK
	}
	return strconv.Itoa(code)
}

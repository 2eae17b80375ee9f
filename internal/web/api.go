package web

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/web/shell"
)

//go:embed openapi.json
var openAPIDocument []byte

// routes registers every route; the one list of what the server answers.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /metrics", s.metrics)

	s.api("GET /api/v1/openapi.json", public, s.openAPI)
	s.api("POST /api/v1/auth/login", public, s.apiLogin)
	s.api("POST /api/v1/auth/logout", signedIn, s.apiLogout)
	s.api("GET /api/v1/me", signedIn, s.apiMe)
	s.api("GET /api/v1/regions", public, s.apiRegions)
	s.api("GET /api/v1/regions/{code}", public, s.apiRegion)
	s.api("GET /api/v1/orgs", signedIn, s.apiOrgs)
	s.api("POST /api/v1/orgs", signedIn, s.apiCreateOrg)
	s.api("GET /api/v1/users", signedIn, s.apiUsers)
	s.api("POST /api/v1/users", signedIn, s.apiCreateUser)
	s.api("POST /api/v1/users/{username}/disable", signedIn, s.apiDisableUser)
	s.api("GET /api/v1/tokens", signedIn, s.apiTokens)
	s.api("POST /api/v1/tokens", signedIn, s.apiCreateToken)
	s.api("DELETE /api/v1/tokens/{id}", signedIn, s.apiRevokeToken)
	s.api("GET /api/v1/audit", signedIn, s.apiAudit)
	s.api("GET /api/v1/assets", signedIn, s.apiAssets)
	s.api("POST /api/v1/assets", signedIn, s.apiCreateAsset)
	s.api("GET /api/v1/assets/{id}", signedIn, s.apiAsset)
	s.api("PATCH /api/v1/assets/{id}", signedIn, s.apiUpdateAsset)
	s.api("GET /api/v1/overview", signedIn, s.apiOverview)
	s.api("GET /api/v1/alerts", signedIn, s.apiAlerts)
	s.api("GET /api/v1/alerts/stream", signedIn, s.apiAlertStream)
	s.api("GET /api/v1/alerts/{id}", signedIn, s.apiAlert)
	s.api("PATCH /api/v1/alerts/{id}", signedIn, s.apiUpdateAlert)
	s.decisionRoutes()
	s.ingestRoutes()
	s.reportRoutes()
	s.notifyRoutes()
	s.deadlineRoutes()
	s.incidentLinkRoutes()
	s.incidentRoutes()
	s.alertQueueRoutes()
	s.rpzRoutes()
	s.roomRoutes()
	s.drillRoutes() // walldrills: drills (diklat)
	s.intelRoutes()
	// taxii: the TAXII 2.1 server of the intelligence pillar.
	s.taxiiRoutes()
	s.mispRoutes() // misp: MISP feeds per sharing community
	// shifts: the operation rooms' shifts, handovers and reports upward
	s.shiftRoutes()
	// Anything else under /api/ is a JSON 404, not the UI's page.
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.Fail(w, r, s.Log, problem.New(problem.NotFound, "no API route %s %s", r.Method, r.URL.Path))
	})

	s.pages.routes()
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	httpapi.Write(w, http.StatusOK, map[string]string{"status": "ok", "version": s.Version})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	// The reasons go to the log, not to the (unauthenticated) caller.
	if err := s.DB.Ping(ctx); err != nil {
		s.Log.Warn("not ready", "check", "database", "err", err)
		checks["database"], status = "unavailable", http.StatusServiceUnavailable
	} else {
		checks["database"] = "ok"
	}
	for name, c := range s.Ready {
		if err := c.Ready(ctx); err != nil {
			s.Log.Warn("not ready", "check", name, "err", err)
			checks[name], status = "unavailable", http.StatusServiceUnavailable
		} else {
			checks[name] = "ok"
		}
	}
	httpapi.Write(w, status, map[string]any{"ready": status == http.StatusOK, "checks": checks})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.Metrics.WriteText(w)
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, _ *auth.Principal) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDocument)
	return nil
}

// LoginTTL is how long a token from POST /api/v1/auth/login lives.
const LoginTTL = 12 * time.Hour

func clientAddr(r *http.Request) string { return shell.ClientAddr(r) }

// signIn checks a password and maps the outcome to the problem catalogue.
func (s *Server) signIn(ctx context.Context, username, password, addr string) (auth.User, error) {
	select {
	case s.signinSlots <- struct{}{}:
		defer func() { <-s.signinSlots }()
	case <-ctx.Done():
		return auth.User{}, ctx.Err()
	}
	u, err := auth.Login(ctx, s.DB, username, password, addr)
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		// Both: the catalogue's code for the answer, the wait for the page.
		return u, errors.Join(problem.New(problem.TooManyAttempts, "too many failed sign-ins from this address: wait %d seconds, then try again (until %s)",
			int(throttled.Wait(store.Now()).Seconds()), throttled.Until.Format(time.RFC3339)), throttled)
	case errors.Is(err, auth.ErrBadCredentials):
		return u, problem.New(problem.Unauthorized, "wrong username or password")
	}
	return u, err
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request, _ *auth.Principal) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := httpapi.Decode(w, r, &in, 4096); err != nil {
		return err
	}
	if in.Username == "" || in.Password == "" {
		return problem.Field("username", "username and password are required")
	}
	u, err := s.signIn(r.Context(), in.Username, in.Password, clientAddr(r))
	if err != nil {
		return err
	}
	plain, tok, err := auth.CreateToken(r.Context(), s.DB, audit.Actor{UserID: u.ID, Username: u.Username}, u.ID, "sign-in "+clientAddr(r), auth.TokenLogin, LoginTTL)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"token": plain, "expires_at": tok.ExpiresAt})
	return nil
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		s.DB.Exec(r.Context(), `UPDATE tokens SET revoked_at = ? WHERE hash = ? AND kind = ?`, store.Now(), auth.HashToken(tok), auth.TokenLogin)
	} else if c, err := r.Cookie(sessionCookie); err == nil {
		auth.EndSession(r.Context(), s.DB, c.Value)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// me is the signed-in user as the API shows it.
type me struct {
	auth.User
	OrgName     string          `json:"org_name"`
	ScopeName   string          `json:"scope_name"`
	Permissions []policy.Action `json:"permissions"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	m := me{User: p.User, OrgName: p.Org.Name, Permissions: []policy.Action{}}
	if reg, ok := region.Lookup(p.User.Scope); ok {
		m.ScopeName = reg.Name
	}
	for _, a := range policy.Actions() {
		if p.Can(a) {
			m.Permissions = append(m.Permissions, a)
		}
	}
	httpapi.Write(w, http.StatusOK, m)
	return nil
}

func (s *Server) apiRegions(w http.ResponseWriter, r *http.Request, _ *auth.Principal) error {
	q := r.URL.Query()
	level, parent := q.Get("level"), q.Get("parent")
	if parent != "" && !region.Valid(parent) {
		return problem.Field("parent", "unknown region code %q", parent)
	}
	var out []region.Region
	switch level {
	case "province":
		for _, p := range region.Provinces() {
			if parent == "" || p.Parent == parent {
				out = append(out, p)
			}
		}
	case "regency", "":
		if level == "" && parent == "" {
			out = region.All()
			break
		}
		if parent != "" && region.LevelOf(parent) != region.LevelProvince {
			return problem.Field("parent", "regencies have a province as parent; %q is not a province", parent)
		}
		out = region.Regencies(parent)
	default:
		return problem.Field("level", "level must be province or regency")
	}
	if q.Has("q") { // a picker's search: a few matches by name or code
		out = searchRegions(out, q.Get("q"))
	}
	if out == nil {
		out = []region.Region{}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": out, "count": len(out)})
	return nil
}

func (s *Server) apiRegion(w http.ResponseWriter, r *http.Request, _ *auth.Principal) error {
	reg, ok := region.Lookup(r.PathValue("code"))
	if !ok {
		return problem.New(problem.NotFound, "no region %q", r.PathValue("code"))
	}
	httpapi.Write(w, http.StatusOK, reg)
	return nil
}

func (s *Server) apiOrgs(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	all := tree.All()
	q := r.URL.Query()
	out := []org.Org{}
	for _, o := range all {
		if (q.Get("kind") == "" || o.Kind == q.Get("kind")) && (q.Get("parent") == "" || o.Parent == q.Get("parent")) &&
			(q.Get("region") == "" || region.Contains(q.Get("region"), o.Region)) && matchesText(q.Get("q"), o.Slug, o.Name) {
			out = append(out, o)
		}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": out, "count": len(out)})
	return nil
}

func (s *Server) apiCreateOrg(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if !p.Can(policy.ManageOrgs) {
		return problem.New(problem.Forbidden, "only administrators add organisations")
	}
	var in org.New
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	o, err := org.Create(r.Context(), s.DB, p.Actor(), p.User.Scope, in)
	if err != nil {
		return err
	}
	s.Orgs.Invalidate()
	httpapi.Write(w, http.StatusCreated, o)
	return nil
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if !p.Can(policy.ManageUsers) {
		return problem.New(problem.Forbidden, "only administrators list users")
	}
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	users, err := auth.ListUsers(r.Context(), s.DB, p.User.Scope, page.Cursor, page.Limit+1)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(users, page.Limit, func(u auth.User) string { return u.Username }))
	return nil
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if !p.Can(policy.ManageUsers) {
		return problem.New(problem.Forbidden, "only administrators add users")
	}
	var in auth.NewUser
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	u, err := auth.CreateUserAs(r.Context(), s.DB, *p, in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, u)
	return nil
}

func (s *Server) apiDisableUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := auth.DisableUserAs(r.Context(), s.DB, *p, r.PathValue("username")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	toks, err := auth.ListTokens(r.Context(), s.DB, p.User.ID)
	if err != nil {
		return err
	}
	if toks == nil {
		toks = []auth.Token{}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": toks})
	return nil
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Name      string `json:"name"`
		ExpiresIn string `json:"expires_in"` // a Go duration, e.g. "720h"
	}
	if err := httpapi.Decode(w, r, &in, 4096); err != nil {
		return err
	}
	ttl := 30 * 24 * time.Hour
	if in.ExpiresIn != "" {
		d, err := time.ParseDuration(in.ExpiresIn)
		if err != nil {
			return problem.Field("expires_in", "must be a duration such as 24h or 720h")
		}
		ttl = d
	}
	plain, tok, err := auth.CreateToken(r.Context(), s.DB, p.Actor(), p.User.ID, in.Name, auth.TokenAPI, ttl)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, map[string]any{"token": plain, "info": tok})
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "token")
	if err != nil {
		return err
	}
	if err := auth.RevokeToken(r.Context(), s.DB, p.Actor(), id, p.User.ID); errors.Is(err, store.ErrNotFound) {
		return problem.New(problem.NotFound, "no token %d of yours is live", id)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if !p.Can(policy.ViewAudit) {
		return problem.New(problem.Forbidden, "only administrators read the audit log")
	}
	q := r.URL.Query()
	return httpapi.ListByID(w, r, func(e audit.Entry) int64 { return e.Seq }, func(before int64, limit int) ([]audit.Entry, error) {
		entries, err := audit.ListFor(r.Context(), s.DB, p.Viewer, audit.Filter{Kind: q.Get("kind"), RecordID: q.Get("record_id"), Actor: q.Get("actor"), Before: before, Limit: limit + 1})
		// The chain shows who did what to which record, never the change
		// itself: a detail may hold a RED record's content, which no role
		// reads unless named (the digest still lets anyone verify it).
		for i := range entries {
			entries[i].Detail = nil
		}
		return entries, err
	})
}

func (s *Server) apiAssets(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	return httpapi.ListByID(w, r, func(a asset.Asset) int64 { return a.ID }, func(before int64, limit int) ([]asset.Asset, error) {
		return asset.List(r.Context(), s.DB, *p, asset.Filter{Region: q.Get("region"), Kind: q.Get("kind"), Owner: q.Get("owner"),
			Criticality: q.Get("criticality"), Query: q.Get("q"), Before: before, Limit: limit})
	})
}

func (s *Server) apiAsset(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	a, err := asset.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiCreateAsset(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in asset.Input
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	a, err := asset.Create(r.Context(), s.DB, *p, tree, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/assets/%d", a.ID))
	httpapi.Write(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiUpdateAsset(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	var in asset.Input
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	a, err := asset.Update(r.Context(), s.DB, *p, tree, id, in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, a)
	return nil
}

// provinceState is one province on the national map.
type provinceState struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Assets    int    `json:"assets"`
	Open      int    `json:"open_items"` // Alerts + Incidents
	Alerts    int    `json:"open_alerts"`
	Incidents int    `json:"open_incidents"`
	Highest   string `json:"highest_severity,omitempty"`
	Level     string `json:"level"` // none, low, medium, high: the map's colour
}

// overview counts, per province, what the principal may see: the watched
// assets, and the open items (alerts and incidents) with their highest
// severity, which colours the map; and the same for national records
// (region ""), which no province holds.
func (s *Server) overview(ctx context.Context, p *auth.Principal) ([]provinceState, provinceState, error) {
	assets, err := asset.CountByProvince(ctx, s.DB, *p)
	if err != nil {
		return nil, provinceState{}, err
	}
	alerts, err := alert.OpenByProvince(ctx, s.DB, *p)
	if err != nil {
		return nil, provinceState{}, err
	}
	incidents, err := incident.OpenByProvince(ctx, s.DB, *p)
	if err != nil {
		return nil, provinceState{}, err
	}
	state := func(code, name string) provinceState {
		a, i := alerts[code], incidents[code]
		highest := a.Highest
		if alert.SeverityRank(i.Highest) > alert.SeverityRank(highest) {
			highest = i.Highest
		}
		st := provinceState{Code: code, Name: name, Assets: assets[code], Open: a.Open + i.Open, Alerts: a.Open, Incidents: i.Open, Highest: highest}
		st.Level = levelOf(st.Open, st.Highest)
		return st
	}
	var out []provinceState
	for _, prov := range region.Provinces() {
		out = append(out, state(prov.Code, prov.Name))
	}
	return out, state("", "Nasional"), nil
}

// levelOf maps a province's open items to the map's colour: by their
// highest severity, critical and high both drawn as high.
func levelOf(open int, highest string) string {
	switch {
	case open == 0:
		return "none"
	case highest == "critical" || highest == "high":
		return "high"
	case highest == "medium":
		return "medium"
	}
	return "low"
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	st, national, err := s.overview(r.Context(), p)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"provinces": st, "national": national})
	return nil
}

// alertFilter reads the list filters shared by the list and the stream.
func alertFilter(r *http.Request) (alert.Filter, error) {
	q := r.URL.Query()
	f := alert.Filter{Scenario: q.Get("scenario"), Severity: q.Get("severity"), Region: q.Get("region"), SourceIP: q.Get("source_ip")}
	if st := q.Get("status"); st != "" {
		for _, v := range strings.Split(st, ",") {
			switch alert.Status(v) {
			case alert.New, alert.Acknowledged, alert.Dismissed, alert.Promoted:
				f.Status = append(f.Status, alert.Status(v))
			default:
				return f, problem.Field("status", "unknown status %q (new, acknowledged, dismissed, promoted)", v)
			}
		}
	}
	if v := q.Get("asset"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, problem.Field("asset", "must be an asset id")
		}
		f.AssetID = id
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return f, problem.Field("since", "must be an RFC 3339 time")
		}
		f.Since = t
	}
	switch q.Get("priority") { // rooms5: alerts a calendar phase raised only
	case "", "0":
	case "1":
		f.Priority = true
	default:
		return f, problem.Field("priority", "must be 1 (raised by the calendar's phase) or 0")
	}
	if f.Region != "" && !region.Valid(f.Region) {
		return f, problem.Field("region", "unknown region code %q", f.Region)
	}
	return f, nil
}

// alertPage reads a page of the alert list's filters: the filters, and
// the cursor (on alert ids) and limit of the page.
func alertPage(r *http.Request) (alert.Filter, httpapi.Page, error) {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return alert.Filter{}, page, err
	}
	f, err := alertFilter(r)
	if err != nil {
		return f, page, err
	}
	if f.Before, err = page.IDCursor(); err != nil {
		return f, page, err
	}
	f.Limit = page.Limit
	return f, page, nil
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, page, err := alertPage(r)
	if err != nil {
		return err
	}
	list, err := alert.List(r.Context(), s.DB, *p, f)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, page.Limit, func(a alert.Alert) string { return httpapi.IDPos(a.ID) }))
	return nil
}

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	a, err := alert.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiUpdateAlert(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	var in struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	a, err := alert.SetStatus(r.Context(), s.DB, *p, id, alert.Status(in.Status), in.Reason)
	if err != nil {
		return err
	}
	alert.Notify(r.Context(), s.Bus, s.Log, a.ID)
	httpapi.Write(w, http.StatusOK, a)
	return nil
}

// apiAlertStream sends, as Server-Sent Events, each alert raised or changed
// from now on that the principal may see and that passes the filters. The
// instance's streams share one read of each change (alertFeed).
func (s *Server) apiAlertStream(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, err := alertFilter(r)
	if err != nil {
		return err
	}
	flusher, err := s.streamable(w)
	if err != nil {
		return err
	}
	sub, leave, err := s.alertFeed.subscribe()
	if err != nil {
		return err
	}
	defer leave()
	sendAll := func(batch []alert.Shared, emit func([]byte)) {
		for _, sh := range batch {
			a, ok := sh.For(p.Viewer)
			if !ok || !f.Matches(a) {
				continue
			}
			// The group's key lets the queue find the group row to refresh.
			if b, err := json.Marshal(struct {
				alert.Alert
				Group string `json:"group"`
			}{a, a.Group().String()}); err == nil {
				emit(b)
			}
		}
	}
	// The stream's position: the batch being sent (what came before it
	// was sent), else what the feed and this stream's queue still hold.
	var sending time.Time
	position := func() time.Time {
		if !sending.IsZero() {
			return sending
		}
		return sub.position()
	}
	return serveStream(s, w, flusher, r, alert.RecordKind, sub.wake, position, func(_ struct{}, emit func([]byte)) bool {
		batches, open := sub.take()
		for _, b := range batches {
			sending = b.since
			sendAll(b.alerts, emit)
		}
		sending = time.Time{}
		return open
	}, func(ids []int64, emit func([]byte)) bool {
		// A returning browser's catch-up: its own read of what it missed.
		batch, err := alert.ReadShared(r.Context(), s.DB, ids)
		if err != nil {
			s.Log.WarnContext(r.Context(), "alert stream catch-up not read", "err", err)
			return false
		}
		sendAll(batch, emit)
		return true
	})
}

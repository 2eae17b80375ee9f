package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
)

// scanRoutes registers the penetration-test pillar: findings, scans, the
// scans started by hand and their live progress, and the authorisations.
func (s *Server) scanRoutes() {
	s.api("GET /api/v1/findings", signedIn, s.apiFindings)
	s.api("GET /api/v1/findings/{id}", signedIn, s.apiFinding)
	s.api("POST /api/v1/findings/{id}/decision", signedIn, s.apiDecideFinding)
	s.api("POST /api/v1/findings/{id}/promote", signedIn, s.apiPromoteFinding)
	s.api("GET /api/v1/findings/{id}/evidence", signedIn, s.apiFindingFiles)
	s.api("GET /api/v1/findings/{id}/evidence/{eid}", signedIn, s.apiDownloadFindingFile)
	s.api("GET /api/v1/findings/{id}/evidence/{eid}/custody", signedIn, s.apiFindingFileCustody)
	s.api("GET /api/v1/scans", signedIn, s.apiScans)
	s.api("GET /api/v1/scans/{id}", signedIn, s.apiScan)
	s.api("GET /api/v1/scans/{id}/events", signedIn, s.apiScanEvents)
	s.api("POST /api/v1/assets/{id}/scans", signedIn, s.apiStartScan)
	s.api("GET /api/v1/assets/{id}/scan-authorizations", signedIn, s.apiScanAuthorizations)
	s.api("POST /api/v1/assets/{id}/scan-authorizations", signedIn, s.apiGiveScanAuthorization)
	s.api("DELETE /api/v1/assets/{id}/scan-authorizations/{aid}", signedIn, s.apiRevokeScanAuthorization)
}

func (s *Server) scanStore() *scan.Store { return scan.NewStore(s.DB) }

// onlyParams refuses a query with a parameter the list does not know (a
// misspelt filter would otherwise list everything it should have
// narrowed) or with a single-valued one given twice (which would be
// guessed).
func onlyParams(q url.Values, single, repeatable []string) error {
	names := slices.Sorted(maps.Keys(q))
	for _, name := range names {
		switch {
		case slices.Contains(repeatable, name):
		case !slices.Contains(single, name):
			known := slices.Sorted(slices.Values(append(slices.Clone(single), repeatable...)))
			return problem.Field(name, "unknown query parameter %q: this list takes %s", name, strings.Join(known, ", "))
		case len(q[name]) > 1:
			return problem.Field(name, "%s is given %d times: give it once", name, len(q[name]))
		}
	}
	return nil
}

// findingFilter reads the findings list's filters: region, asset,
// severity, status (repeatable), overdue.
func findingFilter(r *http.Request) (finding.Filter, error) {
	q := r.URL.Query()
	f := finding.Filter{Region: q.Get("region"), Severity: q.Get("severity"), Now: store.Now()}
	if err := onlyParams(q, []string{"region", "asset", "severity", "overdue", "limit", "cursor"}, []string{"status"}); err != nil {
		return f, err
	}
	if f.Region != "" && !region.Valid(f.Region) {
		return f, problem.Field("region", "unknown region code %q", f.Region)
	}
	if f.Severity != "" {
		if scan.Severity(f.Severity).Rank() < 0 {
			return f, problem.Field("severity", "must be info, low, medium, high, critical or unknown")
		}
	}
	if a := q.Get("asset"); a != "" {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return f, problem.Field("asset", "must be an asset id")
		}
		f.AssetID = id
	}
	for _, st := range q["status"] {
		if !finding.Status(st).Valid() {
			return f, problem.Field("status", "must be open, mitigated, false_positive or risk_accepted")
		}
		f.Status = append(f.Status, finding.Status(st))
	}
	switch q.Get("overdue") {
	case "", "false", "0":
	case "true", "1":
		f.Overdue = true
	default:
		return f, problem.Field("overdue", "must be true or false")
	}
	return f, nil
}

func (s *Server) apiFindings(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	f, err := findingFilter(r)
	if err != nil {
		return err
	}
	if f.Before, err = page.IDCursor(); err != nil {
		return err
	}
	f.Limit = page.Limit
	list, err := finding.List(r.Context(), s.DB, *p, f)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, page.Limit, func(f finding.Finding) string { return httpapi.IDPos(f.ID) }))
	return nil
}

func (s *Server) apiFinding(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	f, err := finding.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	h, err := finding.History(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	if h == nil {
		h = []finding.Event{}
	}
	httpapi.Write(w, http.StatusOK, struct {
		finding.Finding
		History []finding.Event `json:"history"`
	}{f, h})
	return nil
}

func (s *Server) apiDecideFinding(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	var d finding.Decision
	if err := httpapi.Decode(w, r, &d, 8192); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	f, err := finding.Decide(r.Context(), s.DB, *p, tree, id, d)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, f)
	return nil
}

func (s *Server) apiPromoteFinding(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	inc, err := s.promoteFinding(r, p, tree, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, inc)
	return nil
}

// promoteFinding promotes a finding to an incident and carries its
// evidence files there (the API's and the page's way). A file that cannot
// be carried is logged: the incident stands, and the finding keeps it.
func (s *Server) promoteFinding(r *http.Request, p *auth.Principal, tree *org.Tree, id int64) (incident.Incident, error) {
	inc, err := finding.Promote(r.Context(), s.DB, *p, tree, id)
	if err != nil {
		return inc, err
	}
	if s.DataDir != "" {
		if _, err := finding.CarryFiles(r.Context(), s.DB, s.findingFiles(), s.evidence(), *p, id, inc.HumanID, clientAddr(r)); err != nil {
			s.Log.WarnContext(r.Context(), "a promoted finding's evidence was not carried to its incident", "finding", id, "incident", inc.HumanID, "err", err)
		}
	}
	return inc, nil
}

func (s *Server) apiScans(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := onlyParams(q, []string{"asset", "status", "limit", "cursor"}, nil); err != nil {
		return err
	}
	f := scan.ScanFilter{Status: q.Get("status"), Limit: page.Limit}
	if a := q.Get("asset"); a != "" {
		if f.AssetID, err = strconv.ParseInt(a, 10, 64); err != nil || f.AssetID <= 0 {
			return problem.Field("asset", "must be an asset id")
		}
	}
	if f.Before, err = page.IDCursor(); err != nil {
		return err
	}
	list, err := s.scanStore().Scans(r.Context(), *p, f)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, page.Limit, func(sc scan.ScanRecord) string { return httpapi.IDPos(sc.ID) }))
	return nil
}

func (s *Server) apiScan(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "scan")
	if err != nil {
		return err
	}
	sc, err := s.scanStore().GetScan(r.Context(), *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, sc)
	return nil
}

// scanPoll is how often a scan's live stream reads its record: the
// record is the truth across instances (the scan may run on another one),
// and one small read a second per watcher costs little.
var scanPoll = time.Second

// apiScanEvents streams a scan's progress as Server-Sent Events
// "progress" (the scan record, when it changed) until it ends, then one
// "end" event with the final record. Visibility is the asset's, checked on
// every read.
func (s *Server) apiScanEvents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "scan")
	if err != nil {
		return err
	}
	st := s.scanStore()
	sc, err := st.GetScan(r.Context(), *p, id)
	if err != nil {
		return err
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return problem.New(problem.Internal, "streaming is not supported here")
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": garda scan %d\n\n", id)
	var last []byte
	tick := time.NewTicker(scanPoll)
	defer tick.Stop()
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	for {
		b, _ := json.Marshal(sc)
		if scanEnded(sc.Status) {
			fmt.Fprintf(w, "event: end\ndata: %s\n\n", b)
			flusher.Flush()
			return nil
		}
		if string(b) != string(last) {
			fmt.Fprintf(w, "event: progress\ndata: %s\n\n", b)
			flusher.Flush()
			last = b
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-s.Stopping:
			return nil
		case <-heartbeat.C:
			// A revoked token, an ended session or a disabled account ends
			// the stream too.
			if _, err := s.authenticateAPI(w, r); err != nil {
				return nil
			}
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
			continue
		case <-tick.C:
		}
		if sc, err = st.GetScan(r.Context(), *p, id); err != nil {
			// Gone from this reader's sight (or the database failed): end.
			return nil
		}
	}
}

func scanEnded(status string) bool {
	return status != scan.StatusRunning && status != scan.StatusQueued
}

// apiStartScan starts a scan of an asset by hand; it runs in the
// background and answers 202 with the scan's id at once. Without a valid
// authorisation it is refused with the reason (409), and the refusal is
// recorded.
func (s *Server) apiStartScan(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	scanID, err := s.startScan(r.Context(), p, id)
	if err != nil {
		return err
	}
	sc, err := s.scanStore().GetScan(r.Context(), *p, scanID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/scans/%d", scanID))
	httpapi.Write(w, http.StatusAccepted, sc)
	return nil
}

// scanRefusedKey marks a scan refused for want of a valid authorisation;
// the site's page says why in the reader's language (refusalText).
const scanRefusedKey = "pentest.err.scan_refused"

// startScan is the one way a person starts a scan (API and pages).
func (s *Server) startScan(ctx context.Context, p *auth.Principal, assetID int64) (int64, error) {
	a, err := asset.Get(ctx, s.DB, *p, assetID)
	if err != nil {
		return 0, err
	}
	if err := scan.MayStart(*p, a); err != nil {
		return 0, err
	}
	if s.Scans == nil {
		return 0, problem.New(problem.Unavailable, "this instance runs no scans (garda serve wires them)").Keyed("pentest.err.no_runner")
	}
	// The scan outlives the request; it ends when the instance stops.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Hour)
	if s.Stopping != nil {
		stop := s.Stopping
		go func() {
			select {
			case <-stop:
				cancel()
			case <-bg.Done():
			}
		}()
	}
	scanID, err := s.Scans.Start(bg, assetID, p.User.Username, func(id int64, err error) {
		cancel()
		if err != nil && !errors.Is(err, scan.ErrNotAuthorized) {
			s.Log.Warn("scan started by hand ended with an error", "scan", id, "asset", assetID, "err", err)
		}
	})
	if err != nil {
		if errors.Is(err, scan.ErrNotAuthorized) {
			var ref *scan.Refusal
			if errors.As(err, &ref) {
				return scanID, problem.New(problem.Conflict, "%s", ref.Error()).Keyed(scanRefusedKey)
			}
			return scanID, problem.New(problem.Conflict, "%s", err.Error()).Keyed(scanRefusedKey)
		}
		return scanID, err
	}
	return scanID, nil
}

func (s *Server) apiScanAuthorizations(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	list, err := s.scanStore().List(r.Context(), *p, id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []scan.Authorization{}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiGiveScanAuthorization(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	var in scan.AuthorizationInput
	if err := httpapi.Decode(w, r, &in, 16384); err != nil {
		return err
	}
	az, err := s.scanStore().Give(r.Context(), *p, id, in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, az)
	return nil
}

func (s *Server) apiRevokeScanAuthorization(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	aid, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil || aid <= 0 {
		return problem.New(problem.NotFound, "no scan authorisation %q", r.PathValue("aid"))
	}
	st := s.scanStore()
	// The authorisation must be this asset's, and the asset readable.
	list, err := st.List(r.Context(), *p, id)
	if err != nil {
		return err
	}
	found := false
	for _, a := range list {
		found = found || a.ID == aid
	}
	if !found {
		return problem.New(problem.NotFound, "no scan authorisation %d of asset %d", aid, id)
	}
	reason := r.URL.Query().Get("reason")
	if r.ContentLength > 0 {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := httpapi.Decode(w, r, &in, 4096); err != nil {
			return err
		}
		reason = in.Reason
	}
	az, err := st.Revoke(r.Context(), *p, aid, reason)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, az)
	return nil
}

package patrol

import (
	"fmt"
	"github.com/garda-id/garda/internal/web/shell"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/problem"
)

// claimRoutes registers the fact-check database: list, write, read, the
// ClaimReview JSON-LD of one, imports, and matching a text.
func (s *pillar) claimRoutes() {
	s.sh.API("GET /api/v1/claims", shell.SignedIn, s.apiClaims)
	s.sh.API("POST /api/v1/claims", shell.SignedIn, s.apiCreateClaim)
	s.sh.API("POST /api/v1/claims/import", shell.SignedIn, s.apiImportClaims)
	s.sh.API("POST /api/v1/claims/match", shell.SignedIn, s.apiMatchClaims)
	s.sh.API("GET /api/v1/claims/{id}", shell.SignedIn, s.apiClaim)
	s.sh.API("GET /api/v1/claims/{id}/claimreview", shell.SignedIn, s.apiClaimReview)
}

func (s *pillar) apiClaims(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	return httpapi.ListByID(w, r, func(f claim.FactCheck) int64 { return f.ID }, func(before int64, limit int) ([]claim.FactCheck, error) {
		return s.Claims.List(r.Context(), *p, claim.Filter{Region: q.Get("region"), Rating: q.Get("rating"), Query: q.Get("q"), Before: before, Limit: limit})
	})
}

func (s *pillar) apiCreateClaim(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in claim.Input
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	f, err := s.Claims.Create(r.Context(), *p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/claims/%d", f.ID))
	httpapi.Write(w, http.StatusCreated, f)
	return nil
}

func (s *pillar) apiClaim(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := shell.PathID(r, "fact-check")
	if err != nil {
		return err
	}
	f, err := s.Claims.Get(r.Context(), *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, f)
	return nil
}

// apiClaimReview publishes a fact-check as schema.org ClaimReview JSON-LD;
// one written here without a URL of its own points at its Garda page.
func (s *pillar) apiClaimReview(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := shell.PathID(r, "fact-check")
	if err != nil {
		return err
	}
	f, err := s.Claims.Get(r.Context(), *p, id)
	if err != nil {
		return err
	}
	scheme := "http"
	if s.TLS || r.TLS != nil {
		scheme = "https"
	}
	body, err := claim.ClaimReviewJSON(f.Review(), fmt.Sprintf("%s://%s/klaim/%d", scheme, r.Host, f.ID))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/ld+json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
	return nil
}

// apiImportClaims stores the fact-checks of a CSV (text/csv) or ClaimReview
// JSON-LD (application/ld+json or application/json) body; ?region= and
// ?tlp= place them (default: national, CLEAR).
func (s *pillar) apiImportClaims(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var reviews []claim.Review
	var err error
	body := http.MaxBytesReader(w, r.Body, claim.MaxImportBytes)
	switch {
	case mt == "text/csv":
		reviews, err = claim.ParseCSV(body)
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var data []byte
		if data, err = io.ReadAll(body); err == nil {
			reviews, err = claim.ParseClaimReview(data)
		}
	default:
		return problem.New(problem.UnsupportedMedia, "send text/csv (id, claim columns) or application/ld+json (ClaimReview), got %q", r.Header.Get("Content-Type"))
	}
	if err != nil {
		if strings.Contains(err.Error(), "request body too large") {
			return problem.New(problem.BodyTooLarge, "an import is at most %d MiB", claim.MaxImportBytes>>20)
		}
		return problem.Field("file", "%s", err.Error())
	}
	q := r.URL.Query()
	res, err := s.Claims.Import(r.Context(), *p, reviews, claim.Placement{Region: q.Get("region"), TLP: q.Get("tlp")})
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, res)
	return nil
}

// matchRequest asks which fact-checks a text may repeat.
type matchRequest struct {
	Text  string `json:"text"`
	Limit int    `json:"limit"`
}

func (s *pillar) apiMatchClaims(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in matchRequest
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	if strings.TrimSpace(in.Text) == "" {
		return problem.Field("text", "is required")
	}
	if in.Limit == 0 {
		in.Limit = 5
	}
	if in.Limit < 1 || in.Limit > 50 {
		return problem.Field("limit", "must be 1 to 50")
	}
	found, err := s.Claims.Search(r.Context(), *p, in.Text, in.Limit)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": found})
	return nil
}

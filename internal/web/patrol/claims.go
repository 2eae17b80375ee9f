package patrol

import (
	"errors"
	"fmt"
	"github.com/garda-id/garda/internal/web/shell"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// claimPages registers "Klaim & Cek Fakta": the fact-check list with a
// search that uses the matcher, a fact-check's page, the form to write one
// and the upload of ClaimReview JSON-LD or CSV.
func (s *pillar) claimPages() {
	s.sh.Page("GET /klaim", s.claimList)
	s.sh.Page("GET /klaim/baru", s.claimNew)
	s.sh.Page("POST /klaim/baru", s.claimCreate)
	s.sh.Upload("POST /klaim/impor", s.claimImport)
	s.sh.Page("GET /klaim/{id}", s.claimDetail)
}

// claimRow is a fact-check as the list shows it; Score and Why are set
// when the list answers a search.
type claimRow struct {
	claim.FactCheck
	Score float64
	Why   *claim.Explanation
}

type claimListView struct {
	Region, Rating, Q string
	Regions           shell.Picker
	Ratings           []shell.Option
	Rows              []claimRow
	Matched           bool // Rows answer a search, best first
	Next, First       string
	Error             string
	CanWrite          bool
	Import            shell.FieldForm
	ImportTLPs        []shell.Option
}

const claimPageSize = 50

func (s *pillar) claimList(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	q := r.URL.Query()
	v := claimListView{Region: q.Get("region"), Rating: q.Get("rating"), Q: strings.TrimSpace(q.Get("q")), CanWrite: rq.Principal().Can(policy.Investigate)}
	flash := ""
	if n := q.Get("diimpor"); n != "" {
		flash = rq.T("claims.imported", n, q.Get("dilewati"))
	}
	return s.renderClaimList(w, r, rq, http.StatusOK, v, flash)
}

func (s *pillar) renderClaimList(w http.ResponseWriter, r *http.Request, rq shell.Request, status int, v claimListView, flash string) error {
	ctx := r.Context()
	v.Regions = rq.RegionPicker("f-region", "region", v.Region)
	v.Ratings = shell.EnumOptions(rq, "rating", claim.Ratings, v.Rating)
	v.ImportTLPs = shell.TLPOptions(rq, string(policy.Clear))
	if v.Import.Fields == nil {
		v.Import.Fields = []string{"file"}
	}
	if v.Q != "" {
		// A search is a text the matcher reads: a post, a rumour, a title.
		found, err := s.Claims.Search(ctx, *rq.Principal(), v.Q, 20)
		if err != nil {
			return err
		}
		v.Matched = true
		for _, f := range found {
			if (v.Rating != "" && f.Rating != v.Rating) || (v.Region != "" && !strings.HasPrefix(f.Region+".", v.Region+".")) {
				continue
			}
			v.Rows = append(v.Rows, claimRow{FactCheck: f.FactCheck, Score: f.Score, Why: &f.Why})
		}
	} else {
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		list, err := s.Claims.List(ctx, *rq.Principal(), claim.Filter{Region: v.Region, Rating: v.Rating, Before: before, Limit: claimPageSize})
		if pe := problem.As(err); pe != nil && pe.Code == problem.Invalid {
			status, v.Error = pe.Status(), shell.FieldMessage(rq, pe, r.URL.Query()).Message
		} else if err != nil {
			return err
		}
		keep := url.Values{}
		for k, val := range map[string]string{"region": v.Region, "rating": v.Rating} {
			if val != "" {
				keep.Set(k, val)
			}
		}
		list, v.Next, v.First = shell.PageOf(list, claimPageSize, func(f claim.FactCheck) int64 { return f.ID }, "/klaim", keep, before)
		for _, f := range list {
			v.Rows = append(v.Rows, claimRow{FactCheck: f})
		}
	}
	s.sh.Render(w, r, rq, status, "claims.html", shell.View{Title: rq.T("claims.title"), Active: "nav.claims", Flash: flash, Data: v})
	return nil
}

// claimForm is the form to write a fact-check: what was typed, and the
// error to show next to its field.
type claimForm struct {
	shell.FieldForm
	In      claim.Input
	Ratings []shell.Option
	TLPs    []shell.Option
	Regions shell.Picker
}

var claimFields = []string{"claim", "title", "rating", "url", "date", "claim_author", "publisher", "region", "tlp"}

func claimFormView(rq shell.Request, in claim.Input, err *problem.Error) claimForm {
	return claimForm{FieldForm: shell.FieldForm{Err: err, Fields: claimFields}, In: in,
		Ratings: shell.EnumOptions(rq, "rating", claim.Ratings[:len(claim.Ratings)-1], in.Rating),
		TLPs:    shell.TLPOptions(rq, in.TLP), Regions: rq.RegionPicker("region", "region", in.Region)}
}

func (s *pillar) claimNew(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	if !rq.Principal().Can(policy.Investigate) {
		return problem.New(problem.Forbidden, "your role may not write fact-checks")
	}
	in := claim.Input{Rating: "hoaks", TLP: string(policy.Clear), Region: rq.Principal().User.Scope}
	s.sh.Render(w, r, rq, http.StatusOK, "claim_form.html", shell.View{Title: rq.T("claims.new"), Active: "nav.claims", Data: claimFormView(rq, in, nil)})
	return nil
}

func (s *pillar) claimCreate(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	f := r.PostForm
	in := claim.Input{Claim: f.Get("claim"), Title: f.Get("title"), Rating: f.Get("rating"), URL: f.Get("url"), Date: f.Get("date"),
		ClaimAuthor: f.Get("claim_author"), Publisher: f.Get("publisher"), Region: f.Get("region"), TLP: f.Get("tlp")}
	fc, err := s.Claims.Create(r.Context(), *rq.Principal(), in)
	if pe, ok := shell.FormFailed(err); ok {
		s.sh.Render(w, r, rq, pe.Status(), "claim_form.html", shell.View{Title: rq.T("claims.new"), Active: "nav.claims", Data: claimFormView(rq, in, shell.FieldMessage(rq, pe, r.PostForm))})
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/klaim/%d?disimpan=1", fc.ID), http.StatusSeeOther)
	return nil
}

// claimImport reads an upload form (csrf, region, tlp, then file) and
// imports the file's fact-checks; a bad file is said above the list and
// nothing is stored.
func (s *pillar) claimImport(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	if !rq.Principal().Can(policy.Investigate) {
		return problem.New(problem.Forbidden, "your role may not import fact-checks")
	}
	mr, err := s.sh.UploadOf(r)
	if err != nil {
		return err
	}
	var pl claim.Placement
	var reviews []claim.Review
	var perr error
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return problem.Field("file", "the upload broke off: %v", err)
		}
		switch part.FormName() {
		case "region", "tlp":
			b, _ := io.ReadAll(io.LimitReader(part, 64))
			if part.FormName() == "region" {
				pl.Region = strings.TrimSpace(string(b))
			} else {
				pl.TLP = strings.TrimSpace(string(b))
			}
		case "file":
			reviews, perr = claim.ParseFile(part)
		}
		part.Close()
	}
	v := claimListView{CanWrite: true}
	if reviews == nil && perr == nil {
		perr = errors.New(rq.T("claims.import_nofile"))
	}
	if perr != nil {
		v.Import = shell.FieldForm{Err: problem.Field("file", "%s", perr.Error()), Fields: []string{"file"}}
		return s.renderClaimList(w, r, rq, http.StatusBadRequest, v, "")
	}
	res, err := s.Claims.Import(r.Context(), *rq.Principal(), reviews, pl)
	if pe, ok := shell.FormFailed(err); ok {
		v.Import = shell.FieldForm{Err: &problem.Error{Code: pe.Code, Field: "file", Message: pe.Message}, Fields: []string{"file"}}
		return s.renderClaimList(w, r, rq, pe.Status(), v, "")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/klaim?diimpor=%d&dilewati=%d", res.Created, res.Skipped), http.StatusSeeOther)
	return nil
}

type claimView struct {
	claim.FactCheck
	RegionName string
	JSONLD     string
}

func (s *pillar) claimDetail(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	id, err := shell.PathID(r, "fact-check")
	if err != nil {
		return err
	}
	f, err := s.Claims.Get(r.Context(), *rq.Principal(), id)
	if err != nil {
		return err // not found for ids the person may not read: never 403
	}
	scheme := "http"
	if s.TLS || r.TLS != nil {
		scheme = "https"
	}
	ld, err := claim.ClaimReviewJSON(f.Review(), fmt.Sprintf("%s://%s/klaim/%d", scheme, r.Host, f.ID))
	if err != nil {
		return err
	}
	flash := ""
	if r.URL.Query().Get("disimpan") == "1" {
		flash = rq.T("claims.created_ok")
	}
	title := f.Title
	if title == "" {
		title = f.Claim
	}
	if len([]rune(title)) > 80 {
		title = string([]rune(title)[:80]) + "…"
	}
	s.sh.Render(w, r, rq, http.StatusOK, "claim.html", shell.View{Title: title, Active: "nav.claims", Flash: flash,
		Data: claimView{FactCheck: f, RegionName: rq.ScopeName(f.Region), JSONLD: string(ld)}})
	return nil
}

package web

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Blocking in the UI: decisions (proposals to approve, active blocks to
// revoke, a manual ban), the allow-list, and the bouncers that enforce.
// Who may do what is decided in package decision; the pages only hide
// the forms a person could not use.

// rules is the per-scenario decision policy in force: an alert's
// "block the source" form starts from its scenario's type and duration.
func (s *Server) rules() decision.Rules {
	if s.Rules != nil {
		return *s.Rules
	}
	return decision.Builtin()
}

// mayReadAllow and mayManageAllow say whether to offer the allow-list
// and its forms; package decision enforces the same rule.
func mayReadAllow(rq *req) bool {
	return mayManageAllow(rq) || rq.Can(string(policy.Triage))
}

// CanReadAllow is mayReadAllow for templates.
func (rq *req) CanReadAllow() bool { return mayReadAllow(rq) }

func mayManageAllow(rq *req) bool {
	return rq.Can(string(policy.ManageSettings)) || rq.Can(string(policy.Escalate))
}

// decisionRow is a decision as the tables show it.
type decisionRow struct {
	decision.Decision
	ScenarioName string
	RegionName   string
	Length       string     // how long it lasts once active
	Remaining    string     // an active decision's time left
	EndedAt      *time.Time // when it ended: revoked, rejected or ran out
	Alert        int64      // the alert behind it, 0 for none
}

func decisionRows(rq *req, list []decision.Decision) []decisionRow {
	now := store.Now()
	out := make([]decisionRow, 0, len(list))
	for _, d := range list {
		row := decisionRow{Decision: d, RegionName: rq.T("region.national")}
		if d.Scenario != "" {
			row.ScenarioName = rq.ScenarioTitle(d.Scenario, "") // a decision keeps no title: a Sigma rule is named by its id
		}
		if d.Region != nil {
			row.RegionName = rq.ScopeName(*d.Region)
		}
		if d.AlertID != nil {
			row.Alert = *d.AlertID
		}
		if dur, err := time.ParseDuration(d.Duration); err == nil {
			row.Length = rq.Span(dur)
		}
		switch d.Status {
		case decision.Active:
			if d.Until != nil { // to the minute, rounded up: a fresh 4h block has "4 jam" left
				row.Remaining = rq.Span((d.Until.Sub(now) + time.Minute - 1).Truncate(time.Minute))
			}
		case decision.Revoked:
			row.EndedAt = d.EndedAt
		case decision.Rejected:
			row.EndedAt = d.DecidedAt
		case decision.Expired:
			row.EndedAt = d.Until
		}
		out = append(out, row)
	}
	return out
}

// outcomeFlash says what a manual decision did: made, extended, or found
// an existing one that already covers it.
func (p *pages) outcomeFlash(r *http.Request, rq *req, outcome string, id int64) string {
	switch outcome {
	case decision.OutcomeCreated, decision.OutcomeExtended, decision.OutcomeCovered:
	default:
		return ""
	}
	d, err := decision.Get(r.Context(), p.s.DB, *rq.P, id)
	if err != nil || d.Until == nil {
		return ""
	}
	return rq.T("outcome."+outcome, d.ID, strings.ToLower(rq.L("dtype", string(d.Type))), d.Value, formatWIB(*d.Until))
}

// decisionsView is the data of the decisions page.
type decisionsView struct {
	IP                       string
	Proposed, Active, Ended  []decisionRow
	MoreProposed, MoreActive bool
	CanDecide                bool
	Form                     banForm
	Error                    string // a refused action, shown above the lists
}

// decisionListLimit bounds the proposed and active lists; endedLimit the
// recently ended one.
const (
	decisionListLimit = 100
	endedLimit        = 15
)

func (p *pages) loadDecisions(r *http.Request, rq *req, ip string) (decisionsView, int, error) {
	ctx := r.Context()
	v := decisionsView{IP: ip, CanDecide: rq.P.Can(policy.Triage)}
	v.Form = newBanForm(rq, string(decision.Ban), durationValue(decision.DefaultManualDuration), nil)
	v.Form.Regions = rq.RegionPicker("m-region", "region", rq.P.User.Scope)
	status := http.StatusOK
	get := func(st string, limit int) ([]decision.Decision, error) {
		return decision.List(ctx, p.s.DB, *rq.P, decision.Filter{Status: st, IP: ip, Limit: limit})
	}
	proposed, err := get(string(decision.Proposed), decisionListLimit)
	if pe := problem.As(err); pe != nil && pe.Code == problem.Invalid {
		// An address filter that is not an address: say so, list everything.
		v.Error, status, ip = pe.Error(), pe.Status(), ""
		proposed, err = get(string(decision.Proposed), decisionListLimit)
	}
	if err != nil {
		return v, 0, err
	}
	active, err := get(string(decision.Active), decisionListLimit)
	if err != nil {
		return v, 0, err
	}
	var ended []decision.Decision
	for _, st := range []decision.Status{decision.Revoked, decision.Rejected, decision.Expired} {
		list, err := get(string(st), endedLimit)
		if err != nil {
			return v, 0, err
		}
		ended = append(ended, list...)
	}
	if len(proposed) > decisionListLimit {
		proposed, v.MoreProposed = proposed[:decisionListLimit], true
	}
	if len(active) > decisionListLimit {
		active, v.MoreActive = active[:decisionListLimit], true
	}
	v.Proposed, v.Active = decisionRows(rq, proposed), decisionRows(rq, active)
	// Soonest-ending first among the active: what a person checks next.
	slices.SortStableFunc(v.Active, func(a, b decisionRow) int { return cmp.Compare(unix(a.Until), unix(b.Until)) })
	rows := decisionRows(rq, ended)
	slices.SortStableFunc(rows, func(a, b decisionRow) int { return cmp.Compare(unix(b.EndedAt), unix(a.EndedAt)) })
	if len(rows) > endedLimit {
		rows = rows[:endedLimit]
	}
	v.Ended = rows
	return v, status, nil
}

func unix(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.Unix()
}

func (p *pages) renderDecisions(w http.ResponseWriter, r *http.Request, rq *req, status int, v decisionsView, flash string) {
	p.render(w, r, status, "decisions.html", page{req: rq, Title: rq.T("decisions.title"), Active: "nav.decisions", Flash: flash, Data: v})
}

func (p *pages) decisionsPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	q := r.URL.Query()
	v, status, err := p.loadDecisions(r, rq, strings.TrimSpace(q.Get("ip")))
	if err != nil {
		return err
	}
	flash := ""
	if id, err := strconv.ParseInt(q.Get("id"), 10, 64); err == nil {
		if out := q.Get("hasil"); out != "" {
			flash = p.outcomeFlash(r, rq, out, id)
		} else if d, err := decision.Get(r.Context(), p.s.DB, *rq.P, id); err == nil {
			switch q.Get("selesai") {
			case "setujui":
				if d.Until != nil {
					flash = rq.T("decisions.approved_ok", d.ID, d.Value, formatWIB(*d.Until))
				}
			case "tolak":
				flash = rq.T("decisions.rejected_ok", d.ID, d.Value)
			case "cabut":
				flash = rq.T("decisions.revoked_ok", d.ID, d.Value)
			}
		}
	}
	p.renderDecisions(w, r, rq, status, v, flash)
	return nil
}

// decisionCreate is a person blocking an address from the decisions page.
func (p *pages) decisionCreate(w http.ResponseWriter, r *http.Request, rq *req) error {
	if err := require(rq, policy.Triage); err != nil {
		return err
	}
	f := r.PostForm
	in := decision.Input{Value: strings.TrimSpace(f.Get("value")), Type: f.Get("type"), Duration: f.Get("duration"), Reason: f.Get("reason")}
	reg := f.Get("region")
	if reg != "" {
		in.Region = &reg
	}
	d, err := decision.Create(r.Context(), p.s.DB, *rq.P, in)
	if pe, ok := formFailed(err); ok {
		v, _, lerr := p.loadDecisions(r, rq, "")
		if lerr != nil {
			return lerr
		}
		v.Form = newBanForm(rq, in.Type, in.Duration, fieldMessage(rq, pe, f))
		v.Form.Value, v.Form.Reason = in.Value, in.Reason
		v.Form.Regions = rq.RegionPicker("m-region", "region", reg)
		p.renderDecisions(w, r, rq, pe.Status(), v, "")
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/pemantauan/keputusan?hasil=%s&id=%d", d.Outcome, d.ID), http.StatusSeeOther)
	return nil
}

// decisionAction approves, rejects or revokes a decision, by the path's
// last word (setujui, tolak, cabut).
func (p *pages) decisionAction(w http.ResponseWriter, r *http.Request, rq *req) error {
	ctx := r.Context()
	action := r.PathValue("action")
	id, err := pathID(r, "decision")
	if err != nil {
		return err
	}
	reason := r.PostForm.Get("reason")
	var d decision.Decision
	switch action {
	case "setujui":
		d, err = decision.Approve(ctx, p.s.DB, *rq.P, id)
	case "tolak":
		d, err = decision.Reject(ctx, p.s.DB, *rq.P, id, reason)
	case "cabut":
		d, err = decision.Revoke(ctx, p.s.DB, *rq.P, id, reason)
	default:
		return problem.New(problem.NotFound, "no page %s", r.URL.Path)
	}
	if pe, ok := formFailed(err); ok {
		v, _, lerr := p.loadDecisions(r, rq, "")
		if lerr != nil {
			return lerr
		}
		v.Error = rq.T("decisions.action_failed", id, pe.Message)
		p.renderDecisions(w, r, rq, pe.Status(), v, "")
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/pemantauan/keputusan?selesai=%s&id=%d", action, d.ID), http.StatusSeeOther)
	return nil
}

// ---- Allow-list

type allowView struct {
	All       bool // removed and expired entries shown too
	Entries   []decision.AllowEntry
	CanManage bool
	Form      allowForm
}

type allowForm struct {
	fieldForm
	Value, Reason string
	Expiries      []option
}

var allowExpiries = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour, 365 * 24 * time.Hour}

func newAllowForm(rq *req, value, reason, expires string, err *problem.Error) allowForm {
	f := allowForm{fieldForm: fieldForm{Err: err, fields: []string{"value", "reason", "expires_in"}}, Value: value, Reason: reason}
	f.Expiries = []option{{Value: "", Label: rq.T("allow.forever"), Selected: expires == ""}}
	for _, d := range allowExpiries {
		val := durationValue(d)
		f.Expiries = append(f.Expiries, option{Value: val, Label: rq.Span(d), Selected: val == expires})
	}
	return f
}

func (p *pages) renderAllow(w http.ResponseWriter, r *http.Request, rq *req, status int, all bool, f allowForm, flash string) error {
	list, err := decision.ListAllow(r.Context(), p.s.DB, *rq.P, all)
	if err != nil {
		return err
	}
	v := allowView{All: all, Entries: list, CanManage: mayManageAllow(rq), Form: f}
	p.render(w, r, status, "allowlist.html", page{req: rq, Title: rq.T("allow.title"), Active: "nav.allowlist", Flash: flash, Data: v})
	return nil
}

// allowEntry finds an entry, removed or not, for a confirmation.
func (p *pages) allowEntry(r *http.Request, rq *req, id int64) (decision.AllowEntry, bool) {
	list, err := decision.ListAllow(r.Context(), p.s.DB, *rq.P, true)
	if err != nil {
		return decision.AllowEntry{}, false
	}
	for _, e := range list {
		if e.ID == id {
			return e, true
		}
	}
	return decision.AllowEntry{}, false
}

func (p *pages) allowPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	q := r.URL.Query()
	flash := ""
	if id, err := strconv.ParseInt(q.Get("ditambah"), 10, 64); err == nil {
		if e, ok := p.allowEntry(r, rq, id); ok {
			flash = rq.T("allow.added", e.Value)
			if n, _ := strconv.Atoi(q.Get("diakhiri")); n > 0 {
				flash += " " + rq.T("allow.ended", n)
			}
		}
	}
	if id, err := strconv.ParseInt(q.Get("dihapus"), 10, 64); err == nil {
		if e, ok := p.allowEntry(r, rq, id); ok {
			flash = rq.T("allow.removed", e.Value)
		}
	}
	return p.renderAllow(w, r, rq, http.StatusOK, q.Get("semua") == "1", newAllowForm(rq, "", "", durationValue(30*24*time.Hour), nil), flash)
}

func (p *pages) allowAdd(w http.ResponseWriter, r *http.Request, rq *req) error {
	f := r.PostForm
	in := decision.AllowInput{Value: strings.TrimSpace(f.Get("value")), Reason: f.Get("reason"), ExpiresIn: f.Get("expires_in")}
	e, err := decision.AddAllow(r.Context(), p.s.DB, *rq.P, in)
	if pe, ok := formFailed(err); ok {
		return p.renderAllow(w, r, rq, pe.Status(), false, newAllowForm(rq, in.Value, in.Reason, in.ExpiresIn, fieldMessage(rq, pe, f)), "")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/pemantauan/allowlist?ditambah=%d&diakhiri=%d", e.ID, len(e.Ended)), http.StatusSeeOther)
	return nil
}

func (p *pages) allowRemove(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := pathID(r, "allow-list entry")
	if err != nil {
		return err
	}
	if err := decision.RemoveAllow(r.Context(), p.s.DB, *rq.P, id); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/pemantauan/allowlist?dihapus=%d", id), http.StatusSeeOther)
	return nil
}

// ---- Bouncers

type bouncersView struct {
	Bouncers  []decision.Bouncer
	CanManage bool
	Form      bouncerForm
	NewKey    string // the key of the bouncer just added: shown on this response only
	NewName   string
	APIURL    string // what a bouncer's api_url is set to
}

type bouncerForm struct {
	fieldForm
	Name string
}

func (p *pages) renderBouncers(w http.ResponseWriter, r *http.Request, rq *req, status int, v bouncersView, flash string) error {
	list, err := decision.ListBouncersAs(r.Context(), p.s.DB, *rq.P)
	if err != nil {
		return err
	}
	v.Bouncers, v.CanManage = list, policy.ManagesNational(rq.P.Viewer)
	scheme := "http"
	if p.s.TLS || r.TLS != nil {
		scheme = "https"
	}
	v.APIURL = scheme + "://" + r.Host + "/"
	if v.Form.fields == nil {
		v.Form.fields = []string{"name"}
	}
	p.render(w, r, status, "bouncers.html", page{req: rq, Title: rq.T("bouncers.title"), Active: "nav.bouncers", Flash: flash, Data: v})
	return nil
}

func (p *pages) bouncersPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	flash := ""
	if name := r.URL.Query().Get("dihapus"); name != "" {
		flash = rq.T("bouncers.deleted", name)
	}
	return p.renderBouncers(w, r, rq, http.StatusOK, bouncersView{}, flash)
}

// bouncerAdd registers a bouncer and shows its key in this response only:
// the store keeps just its hash, so no later page can show it again.
func (p *pages) bouncerAdd(w http.ResponseWriter, r *http.Request, rq *req) error {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	key, b, err := decision.AddBouncerAs(r.Context(), p.s.DB, *rq.P, name)
	if pe, ok := formFailed(err); ok {
		f := bouncerForm{fieldForm: fieldForm{Err: fieldMessage(rq, pe, r.PostForm), fields: []string{"name"}}, Name: name}
		return p.renderBouncers(w, r, rq, pe.Status(), bouncersView{Form: f}, "")
	} else if err != nil {
		return err
	}
	return p.renderBouncers(w, r, rq, http.StatusOK, bouncersView{NewKey: key, NewName: b.Name}, rq.T("bouncers.added", b.Name))
}

func (p *pages) bouncerDelete(w http.ResponseWriter, r *http.Request, rq *req) error {
	name := r.PathValue("name")
	if err := decision.DeleteBouncerAs(r.Context(), p.s.DB, *rq.P, name); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/bouncer?dihapus="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}

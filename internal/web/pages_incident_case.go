package web

import (
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// The incident page's case decisions: the personal-data breach and its
// UU PDP letter, TLP and PAP, de-escalation, related incidents and merging
// a duplicate. As with the work forms, the incident package decides who may
// and what is valid; the page only asks and shows.

// caseValues is what the case forms held when one failed.
type caseValues struct {
	BreachPosted  bool // the breach form was sent: show what it held, not what is stored
	Subjects      string
	Categories    []string
	LinkRef       string
	LinkReason    string
	MergeRef      string
	MergeReason   string
	DeescReason   string
	TLP, PAP      string
	LabelsChanged bool
}

// caseView is the part of the incident page the case forms need.
type caseView struct {
	Breach                        *incident.PDP
	BreachCategories              []option
	Links                         []incident.Link
	CanBreach, CanNotify          bool
	CanLabel, CanLink, CanMerge   bool
	CanDeescalate                 bool
	TLPs, PAPs                    []option
	Case                          caseValues
	BreachForm, LinkForm          fieldForm
	MergeForm, DeescForm, TLPForm fieldForm
}

// loadCase fills the case part of an incident's page.
func (p *pages) loadCase(r *http.Request, rq *req, v *incidentView) error {
	ctx := r.Context()
	P := rq.P
	var err error
	if v.Breach, err = incident.BreachFor(ctx, p.s.DB, v.Incident); err != nil {
		return err
	}
	if v.Links, err = incident.LinksFor(ctx, p.s.DB, *P, v.Incident); err != nil {
		return err
	}
	may := func(a policy.CaseAction) bool { return policy.CanCase(P.Viewer, v.Record(), a) }
	v.CanBreach = may(policy.CaseTriage)
	v.CanNotify = v.Breach != nil && v.Breach.NotifiedAt == nil && may(policy.CaseClose)
	v.CanLabel = may(policy.CaseLabel)
	v.CanLink = may(policy.CaseTriage)
	v.CanMerge = may(policy.CaseClose) && v.Status != incident.Closed
	v.CanDeescalate = may(policy.CaseDeescalate) && v.Escalation != ""
	selected := v.Case.Categories
	if !v.Case.BreachPosted && v.Breach != nil {
		selected = v.Breach.DataCategories
	}
	v.BreachCategories = nil
	for _, c := range incident.PDPCategories {
		v.BreachCategories = append(v.BreachCategories, option{Value: c, Label: rq.L("pdpcat", c), Selected: slices.Contains(selected, c)})
	}
	if !v.Case.BreachPosted && v.Breach != nil {
		v.Case.Subjects = strconv.FormatInt(v.Breach.DataSubjects, 10)
	}
	tlp, pap := string(v.TLP), v.PAP
	if v.Case.LabelsChanged {
		tlp, pap = v.Case.TLP, v.Case.PAP
	}
	v.TLPs, v.PAPs = tlpOptions(rq, tlp), enumOptions(rq, "pap", incident.PAPs, pap)
	return nil
}

func (p *pages) incidentBreach(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	f := r.PostForm
	v.Case.BreachPosted, v.Case.Subjects, v.Case.Categories = true, strings.TrimSpace(f.Get("data_subjects")), f["data_categories"]
	n, perr := strconv.ParseInt(v.Case.Subjects, 10, 64)
	if perr != nil {
		err = problem.Field("data_subjects", "the number of data subjects affected: a whole number")
	} else {
		_, err = incident.MarkBreach(r.Context(), p.s.DB, *rq.P, v.HumanID, incident.PDPInput{DataSubjects: n, DataCategories: v.Case.Categories})
	}
	return p.caseChanged(w, r, rq, &v, err, "breach", &v.BreachForm, "data_subjects", "data_categories")
}

func (p *pages) incidentBreachNotified(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	_, err = incident.RecordNotification(r.Context(), p.s.DB, *rq.P, v.HumanID)
	return p.caseChanged(w, r, rq, &v, err, "breach_notified", &v.BreachForm)
}

func (p *pages) incidentLabels(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	v.Case.TLP, v.Case.PAP, v.Case.LabelsChanged = r.PostForm.Get("tlp"), r.PostForm.Get("pap"), true
	after, err := incident.Edit(r.Context(), p.s.DB, *rq.P, v.HumanID, incident.Update{TLP: &v.Case.TLP, PAP: &v.Case.PAP})
	return p.caseChanged(w, r, rq, &v, err, editOutcome(v, after), &v.TLPForm, "tlp", "pap")
}

func (p *pages) incidentDeescalate(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	v.Case.DeescReason = r.PostForm.Get("reason")
	_, err = incident.Deescalate(r.Context(), p.s.DB, *rq.P, tree, v.HumanID, v.Case.DeescReason)
	if err == nil {
		// Stepping back may take the reader's own organisation out.
		if _, gerr := incident.Get(r.Context(), p.s.DB, *rq.P, v.HumanID); problem.Is(gerr, problem.NotFound) {
			p.s.incidentLiveID(r.Context(), v.ID)
			http.Redirect(w, r, "/insiden?keluar="+url.QueryEscape(v.HumanID), http.StatusSeeOther)
			return nil
		}
	}
	return p.caseChanged(w, r, rq, &v, err, "deescalated", &v.DeescForm, "reason")
}

func (p *pages) incidentLink(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	v.Case.LinkRef, v.Case.LinkReason = strings.TrimSpace(r.PostForm.Get("incident")), r.PostForm.Get("reason")
	err = incident.LinkRelated(r.Context(), p.s.DB, *rq.P, v.HumanID, v.Case.LinkRef, v.Case.LinkReason)
	if err == nil {
		p.s.incidentLive(r.Context(), rq.P, v.Case.LinkRef) // the other side changed too
	}
	return p.caseChanged(w, r, rq, &v, asField(err, "incident"), "linked", &v.LinkForm, "incident", "reason")
}

func (p *pages) incidentMerge(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	v.Case.MergeRef, v.Case.MergeReason = strings.TrimSpace(r.PostForm.Get("into")), r.PostForm.Get("reason")
	_, err = incident.Merge(r.Context(), p.s.DB, *rq.P, v.HumanID, v.Case.MergeRef, v.Case.MergeReason)
	if err == nil {
		p.s.incidentLive(r.Context(), rq.P, v.Case.MergeRef)
	}
	return p.caseChanged(w, r, rq, &v, asField(err, "into"), "merged", &v.MergeForm, "into", "reason")
}

// asField turns "the other incident was not found" into an error of the
// form's field, so it is said next to it rather than as a missing page.
func asField(err error, field string) error {
	if pe := problem.As(err); pe != nil && pe.Code == problem.NotFound {
		return problem.Field(field, "%s", pe.Message)
	}
	return err
}

// caseChanged is incidentChanged for the case forms, whose page needs its
// case part loaded again when a form is shown with its error.
func (p *pages) caseChanged(w http.ResponseWriter, r *http.Request, rq *req, v *incidentView, err error, ok string, form *fieldForm, fields ...string) error {
	if _, failed := formFailed(err); failed {
		if lerr := p.loadCase(r, rq, v); lerr != nil {
			return lerr
		}
	}
	return p.incidentChanged(w, r, rq, v, err, ok, form, fields...)
}

// letterView is the data of the UU PDP letter page.
type letterView struct {
	HumanID, Title string
	Letter         template.HTML
}

// letterHTML lays out the letter's Markdown as HTML: what incident.Letter
// writes and nothing more (a "# " title, paragraphs, lines, **bold**
// labels, "\" escapes, the entities markdown.Text writes), every
// character of text escaped.
func letterHTML(md string) template.HTML {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(md), "\n\n") {
		tag := "p"
		if t, ok := strings.CutPrefix(para, "# "); ok {
			tag, para = "h2", t
		}
		b.WriteString("<" + tag + ">")
		bold := false
		var text []byte // a run of plain text, escaped as a whole (UTF-8 intact)
		flush := func(markup string) {
			b.WriteString(template.HTMLEscapeString(html.UnescapeString(string(text))) + markup)
			text = text[:0]
		}
		for i := 0; i < len(para); i++ {
			switch c := para[i]; {
			case c == '\\' && i+1 < len(para):
				i++
				text = append(text, para[i])
			case c == '*' && i+1 < len(para) && para[i+1] == '*':
				i++
				bold = !bold
				flush(map[bool]string{true: "<strong>", false: "</strong>"}[bold])
			case c == '\n':
				flush("<br>")
			default:
				text = append(text, c)
			}
		}
		flush("")
		if bold {
			b.WriteString("</strong>")
		}
		b.WriteString("</" + tag + ">\n")
	}
	return template.HTML(b.String())
}

// incidentBreachLetter shows the generated notification letter, to read,
// print or copy into the agency's letterhead.
func (p *pages) incidentBreachLetter(w http.ResponseWriter, r *http.Request, rq *req) error {
	inc, err := incident.Get(r.Context(), p.s.DB, *rq.P, r.PathValue("id"))
	if err != nil {
		return err
	}
	letter, err := incident.Letter(r.Context(), p.s.DB, *rq.P, inc.HumanID)
	if err != nil {
		return err
	}
	v := letterView{HumanID: inc.HumanID, Title: inc.Title, Letter: letterHTML(letter)}
	p.render(w, r, http.StatusOK, "pdp_letter.html", page{req: rq, Title: rq.T("pdp.letter_title") + " · " + inc.HumanID, Active: "nav.incidents", Data: v})
	return nil
}

package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/savedview"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/web/shell"
)

// The incident pillar's pages: the queue, the report form (also reached by
// promoting an alert) and one incident with its timeline and the actions
// a role allows on it.

const incidentPageSize = 50

// incidentOpen is the queue's default: everything not closed.
var incidentOpen = incident.NotClosed()

// parseIncidentStatus reads the queue's status filter: absent means open,
// "all" means any, else one status.
func parseIncidentStatus(q url.Values) ([]incident.Status, string, error) {
	raw := q.Get("status")
	switch raw {
	case "", "open":
		return incidentOpen, "open", nil
	case "all":
		return nil, raw, nil
	}
	st := incident.Status(raw)
	if !st.Valid() {
		return incidentOpen, "open", problem.Field("status", "unknown status %q", raw)
	}
	return []incident.Status{st}, raw, nil
}

// incidentQueueView is the data of the incident queue.
type incidentQueueView struct {
	Region, Severity, Category string
	Text                       string // the search box
	Regions                    picker
	Statuses, Severities, Cats []option
	Incidents                  []incident.Incident
	Next, First                string
	RegionName                 string // "" when not narrowed to another region
	CanReport                  bool
	Error                      string
	Views                      []savedview.View
	Query                      string // the filters shown, to save as a view
	LivePrepend                bool   // incidents new to the queue go on top (first page only)
	Live                       string // the stream, from when the queue was read
}

// mayReport reports whether the role may open incidents (by report or by
// promoting alerts).
func mayReport(rq *req) bool { return rq.P.Can(policy.Report) || rq.P.Can(policy.Triage) }

func (p *pages) incidentQueue(w http.ResponseWriter, r *http.Request, rq *req) error {
	read := time.Now().UnixMilli() // before the list: its stream catches up from here
	q := r.URL.Query()
	f, rawStatus, err := queueFilter(rq, q)
	v := incidentQueueView{Severity: f.Severity, Category: f.Category, Text: f.Text, Region: f.Region, CanReport: mayReport(rq)}
	status := http.StatusOK
	if err != nil {
		status, v.Error = http.StatusBadRequest, err.Error()
	}
	if v.Region != "" && !region.Valid(v.Region) {
		status, v.Error, v.Region = http.StatusBadRequest, fmt.Sprintf("region: unknown region code %q", v.Region), rq.P.User.Scope
	}
	if v.Region != "" && v.Region != rq.P.User.Scope {
		v.RegionName = rq.ScopeName(v.Region)
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)

	v.Regions = rq.RegionPicker("f-region", "region", v.Region)
	v.Statuses = []option{{Value: "open", Label: rq.T("incidents.status_open")}}
	for _, st := range incident.Statuses {
		v.Statuses = append(v.Statuses, option{Value: string(st), Label: rq.L("istatus", string(st))})
	}
	v.Statuses = append(v.Statuses, option{Value: "all", Label: rq.T("incidents.status_all")})
	for i := range v.Statuses {
		v.Statuses[i].Selected = v.Statuses[i].Value == rawStatus
	}
	v.Severities = enumOptions(rq, "sev", incident.Severities, v.Severity)
	v.Cats = enumOptions(rq, "icat", incident.Categories, v.Category)

	f.Region, f.Before, f.Limit = v.Region, before, incidentPageSize
	list, err := incident.List(r.Context(), p.s.DB, *rq.P, f)
	if pe := problem.As(err); pe != nil && pe.Code == problem.Invalid {
		status, v.Error, list = pe.Status(), pe.Error(), nil
	} else if err != nil {
		return err
	}

	keep := url.Values{}
	if q.Has("region") {
		keep.Set("region", v.Region)
	}
	if q.Get("status") != "" {
		keep.Set("status", rawStatus)
	}
	for k, val := range map[string]string{"severity": v.Severity, "category": v.Category, "q": v.Text} {
		if val != "" {
			keep.Set(k, val)
		}
	}
	list, v.Next, v.First = pageOf(list, incidentPageSize, func(x incident.Incident) int64 { return x.ID }, "/insiden", keep, before)
	v.Incidents = list
	v.Query = keep.Encode()
	v.LivePrepend = before == 0
	v.Live = "/api/v1/incidents/stream?last_event_id=" + strconv.FormatInt(read, 10)
	if v.Views, err = savedview.List(r.Context(), p.s.DB, *rq.P, incidentViewsPage); err != nil {
		return err
	}
	flash := ""
	if left := q.Get("keluar"); left != "" && len(left) <= 40 {
		flash = rq.T("incidents.left", left)
	}
	p.render(w, r, status, "incidents.html", page{req: rq, Title: rq.T("nav.incidents"), Active: "nav.incidents", Flash: flash, Data: v})
	return nil
}

// queueFilter reads the queue's filters from its query string: the queue
// and its live rows (incidentRow) read them alike. The region defaults to
// the reader's scope; a bad status is reported, the open ones used.
func queueFilter(rq *req, q url.Values) (incident.Filter, string, error) {
	statuses, raw, err := parseIncidentStatus(q)
	f := incident.Filter{Status: statuses, Severity: q.Get("severity"), Category: q.Get("category"), Text: q.Get("q"), Region: rq.P.User.Scope}
	if q.Has("region") {
		f.Region = q.Get("region")
	}
	return f, raw, err
}

// incidentRow renders one row of the queue for its live updates. The
// queue's filters come along in the query string; X-Queue-Match says
// whether the incident (still) matches them, so the script greys out a row
// that left the queue and does not add one that never belonged.
func (p *pages) incidentRow(w http.ResponseWriter, r *http.Request, rq *req) error {
	inc, err := incident.Get(r.Context(), p.s.DB, *rq.P, r.PathValue("id"))
	if err != nil {
		return err
	}
	f, _, err := queueFilter(rq, r.URL.Query())
	if err != nil {
		return err
	}
	f.ID, f.Limit = inc.ID, 1
	list, err := incident.List(r.Context(), p.s.DB, *rq.P, f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := p.tmpl["incidents.html"].ExecuteTemplate(&buf, "incident-row", page{req: rq, Data: inc}); err != nil {
		return fmt.Errorf("render incident row: %w", err)
	}
	match := "0"
	if len(list) == 1 {
		match = "1"
	}
	w.Header().Set("X-Queue-Match", match)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
	return nil
}

// ---- The report form

// incidentFields are the fields the report form shows; an error about any
// other is shown above it.
var incidentFields = []string{"title", "description", "category", "severity", "region", "tlp", "pap", "detected_at", "asset_ids"}

// incidentForm is the data of the report form.
type incidentForm struct {
	fieldForm
	Title, Description, DetectedAt string
	Cats, Sevs, PAPs, TLPs, Assets []option
	Regions                        picker
	Alerts                         []alert.Alert // being promoted
	AlertIDs                       []int64
}

// incidentValues is what a report form holds, as strings.
type incidentValues struct {
	Title, Description, Category, Severity, Region, TLP, PAP, DetectedAt string
	Assets                                                               []string
}

// datetimeLocal is the value format of an <input type="datetime-local">,
// read and written in WIB.
const datetimeLocal = "2006-01-02T15:04"

// formIDs reads repeated numeric form values; unreadable ones are dropped.
func formIDs(vals []string) []int64 {
	var out []int64
	for _, s := range vals {
		if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// promotedAlerts reads the alerts a form promotes; hidden ones are not found.
func (p *pages) promotedAlerts(r *http.Request, rq *req, ids []int64) ([]alert.Alert, error) {
	var out []alert.Alert
	for _, id := range ids {
		a, err := alert.Get(r.Context(), p.s.DB, *rq.P, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// alertDefaults fills the values an incident takes from the alerts it
// promotes, as the domain does when they are left out.
func alertDefaults(rq *req, v *incidentValues, alerts []alert.Alert) {
	if len(alerts) == 0 {
		return
	}
	d := incident.FromAlerts(alerts)
	v.Title, v.Category, v.Severity, v.Region = d.Title, d.Category, d.Severity, d.Region
	if !region.Contains(rq.P.User.Scope, v.Region) {
		v.Region = rq.P.User.Scope
	}
	v.DetectedAt = d.DetectedAt.In(wib).Format(datetimeLocal)
	for _, id := range alertAssets(alerts) {
		v.Assets = append(v.Assets, strconv.FormatInt(id, 10))
	}
}

func (p *pages) newIncidentForm(r *http.Request, rq *req, v incidentValues, alerts []alert.Alert, err *problem.Error) (incidentForm, error) {
	f := incidentForm{fieldForm: fieldForm{Err: err, fields: incidentFields}, Title: v.Title, Description: v.Description,
		DetectedAt: v.DetectedAt, Alerts: alerts}
	for _, a := range alerts {
		f.AlertIDs = append(f.AlertIDs, a.ID)
	}
	f.Cats = enumOptions(rq, "icat", incident.Categories, v.Category)
	f.Sevs = enumOptions(rq, "sev", incident.Severities, v.Severity)
	f.PAPs = enumOptions(rq, "pap", incident.PAPs, v.PAP)
	f.TLPs = tlpOptions(rq, v.TLP)
	f.Regions = rq.RegionPicker("region", "region", v.Region)
	assets, aerr := asset.List(r.Context(), p.s.DB, *rq.P, asset.Filter{Limit: 200})
	if aerr != nil {
		return f, aerr
	}
	sort.SliceStable(assets, func(i, j int) bool { return assets[i].Name < assets[j].Name })
	for _, a := range assets {
		id := strconv.FormatInt(a.ID, 10)
		f.Assets = append(f.Assets, option{Value: id, Label: a.Name + " · " + rq.ScopeName(a.Region), Selected: slices.Contains(v.Assets, id)})
	}
	return f, nil
}

func (p *pages) renderIncidentForm(w http.ResponseWriter, r *http.Request, rq *req, status int, f incidentForm) {
	p.render(w, r, status, "incident_form.html", page{req: rq, Title: rq.T("incident.new"), Active: "nav.incidents", Data: f})
}

func (p *pages) incidentNew(w http.ResponseWriter, r *http.Request, rq *req) error {
	if !mayReport(rq) {
		return problem.New(problem.Forbidden, "your role may not report incidents")
	}
	ids := formIDs(r.URL.Query()["alert_id"])
	if len(ids) > 0 && !rq.P.Can(policy.Triage) {
		return problem.New(problem.Forbidden, "promoting alerts is triage")
	}
	alerts, err := p.promotedAlerts(r, rq, ids)
	if err != nil {
		return err
	}
	v := incidentValues{Category: "other", Severity: "medium", Region: rq.P.User.Scope, TLP: string(policy.Amber), PAP: "AMBER",
		DetectedAt: time.Now().In(wib).Format(datetimeLocal)}
	alertDefaults(rq, &v, alerts)
	f, err := p.newIncidentForm(r, rq, v, alerts, nil)
	if err != nil {
		return err
	}
	p.renderIncidentForm(w, r, rq, http.StatusOK, f)
	return nil
}

// incidentCreate opens an incident from the report form, or from an
// alert's promote button, which posts only the alert's id: what the form
// leaves out, the domain takes from the alerts.
func (p *pages) incidentCreate(w http.ResponseWriter, r *http.Request, rq *req) error {
	ctx := r.Context()
	if !mayReport(rq) {
		return problem.New(problem.Forbidden, "your role may not report incidents")
	}
	f := r.PostForm
	in := incident.Input{AlertIDs: formIDs(f["alert_id"]), AssetIDs: formIDs(f["asset_ids"])}
	opt := func(key string) *string {
		if !f.Has(key) {
			return nil
		}
		s := f.Get(key)
		return &s
	}
	in.Title, in.Description, in.Category, in.Severity = opt("title"), opt("description"), opt("category"), opt("severity")
	in.Region, in.TLP, in.PAP = opt("region"), opt("tlp"), opt("pap")
	if !f.Has("title") && len(in.AssetIDs) == 0 && len(in.AlertIDs) > 0 {
		// The promote button: the alerts' assets are the affected ones.
		if alerts, err := p.promotedAlerts(r, rq, in.AlertIDs); err == nil {
			in.AssetIDs = alertAssets(alerts)
		}
	}
	var ferr error
	if s := strings.TrimSpace(f.Get("detected_at")); s != "" {
		t, err := time.ParseInLocation(datetimeLocal, s, wib)
		if err != nil {
			ferr = problem.Field("detected_at", "use a date and time such as 2024-02-14T09:30")
		}
		in.DetectedAt = &t
	}
	var inc incident.Incident
	err := ferr
	if err == nil {
		tree, terr := p.s.Orgs.Tree(ctx)
		if terr != nil {
			return terr
		}
		inc, err = incident.Create(ctx, p.s.DB, *rq.P, tree, in)
	}
	if pe, ok := formFailed(err); ok {
		alerts, aerr := p.promotedAlerts(r, rq, in.AlertIDs)
		if aerr != nil && !problem.Is(aerr, problem.NotFound) {
			return aerr
		}
		v := incidentValues{Title: f.Get("title"), Description: f.Get("description"), Category: f.Get("category"),
			Severity: f.Get("severity"), Region: f.Get("region"), TLP: f.Get("tlp"), PAP: f.Get("pap"),
			DetectedAt: f.Get("detected_at"), Assets: f["asset_ids"]}
		if !f.Has("title") { // from the promote button: show what it would have been
			v = incidentValues{Category: "other", TLP: string(policy.Amber), PAP: "AMBER"}
			alertDefaults(rq, &v, alerts)
		}
		form, ferr := p.newIncidentForm(r, rq, v, alerts, fieldMessage(rq, pe, f))
		if ferr != nil {
			return ferr
		}
		p.renderIncidentForm(w, r, rq, pe.Status(), form)
		return nil
	} else if err != nil {
		return err
	}
	for _, id := range inc.AlertIDs {
		alert.Notify(ctx, p.s.Bus, p.s.Log, id)
	}
	p.s.notifyIncident(r, rq.P, notify.IncidentCreated, inc.HumanID, "")
	http.Redirect(w, r, "/insiden/"+inc.HumanID+"?dibuat=1", http.StatusSeeOther)
	return nil
}

// tlpOptions are the TLP labels to choose from, each in its colour.
func tlpOptions(rq *req, selected string) []option { return shell.TLPOptions(rq, selected) }

// ---- One incident

// timelineRow is one timeline entry for people.
type timelineRow struct {
	incident.Entry
	OrgName string
	Lines   []string // what changed, said in the page's language
}

// linkRow is a linked alert or asset: a name when the reader may see it.
type linkRow struct {
	ID     int64
	Name   string
	Hidden bool
}

// incidentView is the data of an incident's page.
type incidentView struct {
	incident.Incident
	OwnerName, RegionName, Province     string
	Orgs                                []option // participant organisations: slug and name
	Alerts, Assets                      []linkRow
	Timeline                            []timelineRow
	FirstResponse, Containment, Resolv  string // response times, "" when not reached
	CanComment, CanWork, CanEscalate    bool
	CanHandOut, CanObserve, CanEvidence bool
	CanAskEscalate                      bool // ask the coordinators for escalation (one who may escalate does it)
	CanParticipants                     bool
	AskForm, RemoveForm                 fieldForm
	AskReason                           string
	Statuses, Resolutions               []option
	CommentForm, StatusForm, AssignForm fieldForm
	EscalateForm, PartForm              fieldForm
	CommentBody, AssigneeInput, Reason  string
	OrgSlugs                            string
	Error                               string // a conflict to show above the actions
	Clocks                              []incident.Clock
	Tasks                               []taskRow
	Observables                         []incident.Observable
	Evidence                            []incident.Evidence
	Work                                workValues // the work forms' values after a failure
	TaskForm, ObservableForm            fieldForm
	EvidenceForm                        fieldForm
	ObservableTypes                     []option
	EvidenceLimitMiB                    int64
	caseView
}

func (p *pages) loadIncident(r *http.Request, rq *req) (incidentView, error) {
	ctx := r.Context()
	inc, err := incident.Get(ctx, p.s.DB, *rq.P, r.PathValue("id"))
	if err != nil {
		return incidentView{}, err
	}
	ref := strconv.FormatInt(inc.ID, 10)
	entries, err := incident.Timeline(ctx, p.s.DB, *rq.P, ref)
	if err != nil {
		return incidentView{}, err
	}
	tree, err := p.s.Orgs.Tree(ctx)
	if err != nil {
		return incidentView{}, err
	}
	P := rq.P
	// The forms shown are the changes the incident package will accept:
	// policy.CanCase decides both.
	may := func(a policy.CaseAction) bool { return policy.CanCase(P.Viewer, inc.Record(), a) }
	escalable := inc.Escalation != incident.EscalatedNational && inc.Region != ""
	v := incidentView{Incident: inc, OwnerName: orgName(tree, inc.Owner), RegionName: rq.ScopeName(inc.Region),
		Province: region.Province(inc.Region), AssigneeInput: inc.Assignee,
		CanComment:      may(policy.CaseComment),
		CanWork:         may(policy.CaseTriage),
		CanHandOut:      may(policy.CaseHandOutTask),
		CanObserve:      may(policy.CaseObservable),
		CanEvidence:     may(policy.CaseEvidence),
		CanEscalate:     may(policy.CaseEscalate) && escalable,
		CanAskEscalate:  !may(policy.CaseEscalate) && may(policy.CaseRequestEscalation) && escalable,
		CanParticipants: may(policy.CaseParticipants)}
	if inc.Participants != nil {
		for _, s := range inc.Participants.Orgs {
			v.Orgs = append(v.Orgs, option{Value: s, Label: orgName(tree, s)})
		}
	}
	for _, id := range inc.AlertIDs {
		l := linkRow{ID: id}
		if a, err := alert.Get(ctx, p.s.DB, *P, id); err == nil {
			l.Name = rq.ScenarioTitle(a.Scenario, a.Title)
		} else if problem.Is(err, problem.NotFound) {
			l.Hidden = true
		} else {
			return incidentView{}, err
		}
		v.Alerts = append(v.Alerts, l)
	}
	for _, id := range inc.AssetIDs {
		l := linkRow{ID: id}
		if a, err := asset.Get(ctx, p.s.DB, *P, id); err == nil {
			l.Name = a.Name
		} else if problem.Is(err, problem.NotFound) {
			l.Hidden = true
		} else {
			return incidentView{}, err
		}
		v.Assets = append(v.Assets, l)
	}
	for _, e := range entries {
		v.Timeline = append(v.Timeline, timelineRow{Entry: e, OrgName: orgName(tree, e.ActorOrg), Lines: entryLines(rq, tree, e)})
	}
	targets, err := incident.LoadTiming(ctx, p.s.DB)
	if err != nil {
		return incidentView{}, err
	}
	if v.Clocks, err = incident.ClocksFor(ctx, p.s.DB, inc, targets, store.Now()); err != nil {
		return incidentView{}, err
	}
	tasks, err := incident.Tasks(ctx, p.s.DB, *P, ref)
	if err != nil {
		return incidentView{}, err
	}
	v.Tasks = taskRows(rq, inc, tasks)
	v.ObservableTypes = enumOptions(rq, "iobs", incident.ObservableTypes, "")
	v.EvidenceLimitMiB = p.s.evidence().Limit() >> 20
	if v.Observables, err = incident.Observables(ctx, p.s.DB, *P, ref); err != nil {
		return incidentView{}, err
	}
	if v.Evidence, err = incident.EvidenceList(ctx, p.s.DB, *P, ref); err != nil {
		return incidentView{}, err
	}
	if err := p.loadCase(r, rq, &v); err != nil {
		return incidentView{}, err
	}
	since := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return rq.Span(t.Sub(inc.ReportedAt))
	}
	v.FirstResponse, v.Containment, v.Resolv = since(inc.FirstResponseAt), since(inc.ContainedAt), since(inc.ResolvedAt)
	for _, st := range incident.Statuses {
		if (st == incident.Closed || inc.Status == incident.Closed) && st != inc.Status && !may(policy.CaseClose) {
			continue
		}
		v.Statuses = append(v.Statuses, option{Value: string(st), Label: rq.L("istatus", string(st)), Selected: st == inc.Status})
	}
	v.Resolutions = append([]option{{Value: "", Label: rq.T("common.none"), Selected: inc.Resolution == ""}},
		enumOptions(rq, "ires", incident.Resolutions, inc.Resolution)...)
	return v, nil
}

func orgName(tree *org.Tree, slug string) string {
	if o, ok := tree.BySlug(slug); ok {
		return o.Name
	}
	return slug
}

// entryLines says a timeline entry's changes for people.
func entryLines(rq *req, tree *org.Tree, e incident.Entry) []string {
	label := func(field string, val any) string {
		s := fmt.Sprint(val)
		if field == "region" && val != nil { // "" is the nation, as the incident's details say
			return rq.ScopeName(s)
		}
		if val == nil || s == "" {
			return rq.T("common.none")
		}
		switch field {
		case "status":
			return rq.L("istatus", s)
		case "severity":
			return rq.L("sev", s)
		case "category":
			return rq.L("icat", s)
		case "type":
			return rq.L("itype", s)
		case "resolution":
			return rq.L("ires", s)
		case "region":
			return rq.ScopeName(s)
		case "escalation":
			return rq.L("iesc", s)
		case "description":
			return short(s, 80)
		}
		return s
	}
	names := func(val any) string {
		list, _ := val.([]any)
		var out []string
		for _, x := range list {
			out = append(out, orgName(tree, fmt.Sprint(x)))
		}
		return strings.Join(out, ", ")
	}
	var lines []string
	switch e.Kind {
	case "updated":
		keys := make([]string, 0, len(e.Changes))
		for k := range e.Changes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ch, _ := e.Changes[k].(map[string]any)
			lines = append(lines, rq.T("timeline.change", rq.L("ifield", k), label(k, ch["from"]), label(k, ch["to"])))
		}
	case "created":
		for _, k := range []string{"severity", "category", "region"} {
			if val, ok := e.Changes[k]; ok {
				lines = append(lines, rq.L("ifield", k)+": "+label(k, val))
			}
		}
		if ids := alertRefs(e.Changes["alert_ids"]); ids != "" {
			lines = append(lines, rq.T("timeline.promoted", ids))
		}
	case "alerts":
		if ids := alertRefs(e.Changes["alert_ids"]); ids != "" {
			lines = append(lines, rq.T("timeline.alerts_attached", ids))
		}
	case "escalated":
		if ch, ok := e.Changes["escalation"].(map[string]any); ok {
			lines = append(lines, rq.T("timeline.escalated_to", label("escalation", ch["to"])))
		}
		if s := names(e.Changes["added_orgs"]); s != "" {
			lines = append(lines, rq.T("timeline.orgs_added", s))
		}
	case "participants", "participants_removed":
		orgs, users := "timeline.orgs_added", "timeline.users_added"
		if e.Kind == "participants_removed" {
			orgs, users = "timeline.orgs_removed", "timeline.users_removed"
		}
		if s := names(e.Changes["orgs"]); s != "" {
			lines = append(lines, rq.T(orgs, s))
		}
		if list, ok := e.Changes["users"].([]any); ok && len(list) > 0 {
			var s []string
			for _, x := range list {
				s = append(s, fmt.Sprint(x))
			}
			lines = append(lines, rq.T(users, strings.Join(s, ", ")))
		}
	case "escalation_requested":
		if ch, ok := e.Changes["escalation"].(map[string]any); ok {
			lines = append(lines, rq.T("timeline.escalation_asked", label("escalation", ch["to"])))
		}
	case "linked", "merged":
		rel, other := fmt.Sprint(e.Changes["relation"]), e.Changes["incident"]
		if e.Kind == "merged" {
			rel, other = incident.DuplicateOf, e.Changes["merged_into"]
		}
		if e.Changes["hidden"] == true {
			lines = append(lines, rq.T("timeline.link_hidden"))
		} else if other != nil {
			lines = append(lines, rq.T("timeline.link", rq.L("linkrel", rel), fmt.Sprint(other)))
		}
	}
	return lines
}

// alertRefs writes a timeline entry's alert ids as "#12, #13".
func alertRefs(val any) string {
	ids, _ := val.([]any)
	var s []string
	for _, id := range ids {
		s = append(s, "#"+fmt.Sprint(id))
	}
	return strings.Join(s, ", ")
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (p *pages) renderIncident(w http.ResponseWriter, r *http.Request, rq *req, status int, v incidentView, flash string) {
	p.render(w, r, status, "incident.html", page{req: rq, Title: v.HumanID + " · " + v.Title, Active: "nav.incidents", Flash: flash, Data: v})
}

func (p *pages) incidentDetail(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	if err := p.openedFromInbox(r, rq, v.ID); err != nil {
		return err
	}
	flash := ""
	if k := r.URL.Query().Get("ok"); k != "" {
		if hasMessage("incident.ok." + k) {
			flash = rq.T("incident.ok." + k)
		}
		if s := unreachedSentence(rq, r.URL.Query()[unreachedParam]); s != "" {
			flash += " " + s
		}
	} else if r.URL.Query().Has("dibuat") {
		flash = rq.T("incident.created", v.HumanID)
	}
	p.renderIncident(w, r, rq, http.StatusOK, v, flash)
	return nil
}

// incidentChanged answers a change: back to the incident with a
// confirmation, or its page again with the form's error.
// pageNotices names the notice each incident page action sends, by the
// action's "ok" word.
var pageNotices = map[string]string{
	"comment":      notify.IncidentComment,
	"updated":      notify.IncidentUpdated,
	"escalated":    notify.IncidentEscalated,
	"participants": notify.IncidentParticipants,
	"task":         notify.IncidentTask,
	// Those who may escalate hear of the request.
	"escalation_requested": notify.IncidentEscalationRequested,
}

func (p *pages) incidentChanged(w http.ResponseWriter, r *http.Request, rq *req, v *incidentView, err error, ok string, form *fieldForm, fields ...string) error {
	if pe, failed := formFailed(err); failed {
		if pe.Code == problem.Invalid {
			values := r.PostForm
			if _, err := uploadOf(r); err == nil {
				values = nil // an upload's fields were streamed, not kept
			}
			*form = fieldForm{Err: fieldMessage(rq, pe, values), fields: fields}
			if form.Banner() != "" {
				v.Error = pe.Message
			}
		} else {
			v.Error = pe.Message
		}
		p.renderIncident(w, r, rq, pe.Status(), *v, "")
		return nil
	} else if err != nil {
		return err
	}
	comment := ""
	if ok == "comment" {
		comment = v.CommentBody
	}
	back := url.Values{"ok": {ok}}
	if kind, told := pageNotices[ok]; told {
		for _, u := range p.s.notifyIncident(r, rq.P, kind, v.HumanID, comment) {
			back.Add(unreachedParam, u.Username+":"+u.Reason)
		}
	} else if ok != "unchanged" {
		p.s.incidentLiveID(r.Context(), v.ID) // open pages only: the inbox is for what people must act on
	}
	http.Redirect(w, r, "/insiden/"+v.HumanID+"?"+back.Encode(), http.StatusSeeOther)
	return nil
}

func (p *pages) incidentComment(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	v.CommentBody = r.PostForm.Get("body")
	_, err = incident.Comment(r.Context(), p.s.DB, *rq.P, v.HumanID, v.CommentBody)
	return p.incidentChanged(w, r, rq, &v, err, "comment", &v.CommentForm, "body")
}

// incidentUpdate changes the fields the posted form carries: status with
// resolution, or the assignee.
func (p *pages) incidentUpdate(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	f := r.PostForm
	var up incident.Update
	form := &v.StatusForm
	fields := []string{"status", "resolution"}
	if f.Has("status") {
		s, res := f.Get("status"), f.Get("resolution")
		up.Status = &s
		if res != "" || !incident.Status(s).Done() {
			up.Resolution = &res
		}
	}
	if f.Has("assignee") {
		a := strings.TrimSpace(f.Get("assignee"))
		up.Assignee, v.AssigneeInput = &a, a
		form, fields = &v.AssignForm, []string{"assignee"}
	}
	after, err := incident.Edit(r.Context(), p.s.DB, *rq.P, v.HumanID, up)
	return p.incidentChanged(w, r, rq, &v, err, editOutcome(v, after), form, fields...)
}

// editOutcome names what an edit from the page did: "updated", or
// "unchanged" when the form held what the incident already had (no one is
// told of that).
func editOutcome(before incidentView, after incident.Incident) string {
	if after.UpdatedAt.After(before.UpdatedAt) {
		return "updated"
	}
	return "unchanged"
}

func (p *pages) incidentEscalate(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	v.Reason = r.PostForm.Get("reason")
	_, err = incident.Escalate(r.Context(), p.s.DB, *rq.P, tree, v.HumanID, v.Reason)
	return p.incidentChanged(w, r, rq, &v, err, "escalated", &v.EscalateForm, "reason")
}

func (p *pages) incidentParticipants(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	v.OrgSlugs = r.PostForm.Get("orgs")
	slugs := strings.FieldsFunc(v.OrgSlugs, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	_, err = incident.AddParticipants(r.Context(), p.s.DB, *rq.P, tree, v.HumanID, incident.Participants{Orgs: slugs})
	if pe := problem.As(err); pe != nil && pe.Field == "participants" && len(slugs) == 0 {
		err = problem.Field("orgs", "%s", rq.T("form.field_required"))
	} else if pe != nil && pe.Field == "participants" {
		err = problem.Field("orgs", "%s", pe.Message)
	}
	return p.incidentChanged(w, r, rq, &v, err, "participants", &v.PartForm, "orgs")
}

// incidentViewsPage names the incident queue among saved views.
const incidentViewsPage = "insiden"

// saveIncidentView saves the queue's current filters under a name.
func (p *pages) saveIncidentView(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := savedview.Save(r.Context(), p.s.DB, *rq.P, incidentViewsPage, r.PostForm.Get("name"), r.PostForm.Get("query"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/insiden?"+v.Query, http.StatusSeeOther)
	return nil
}

// deleteIncidentView deletes one of the person's saved views.
func (p *pages) deleteIncidentView(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := pathID(r, "saved view")
	if err != nil {
		return err
	}
	if err := savedview.Delete(r.Context(), p.s.DB, *rq.P, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/insiden", http.StatusSeeOther)
	return nil
}

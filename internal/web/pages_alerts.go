package web

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/detect/rules"
	"github.com/garda-id/garda/internal/detect/scenario"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/web/shell"
)

// The surveillance pillar's pages: the alert queue (live by Server-Sent
// Events, usable without them), one alert with its evidence and the
// actions on it, and the province page's box of open alerts.

const alertPageSize = 50

// openStatuses is the queue's default: what still needs a person.
var openStatuses = []alert.Status{alert.New, alert.Acknowledged}

var alertStatuses = []alert.Status{alert.New, alert.Acknowledged, alert.Dismissed, alert.Promoted}

// ScenarioTitle names a detection scenario in the page's language: Garda's
// scenarios by their id, a Sigma rule by its family (decided from its
// title, see rules.FamilyOf); ScenarioDetail gives the rule's own title.
// Scenarios the UI does not know keep the title they came with.
func (rq *req) ScenarioTitle(id, title string) string {
	if hasMessage("scenario." + id) {
		return rq.T("scenario." + id)
	}
	if isSigma(id) {
		family := rules.FamilyOf(title)
		if f, ok := rules.ShippedFamily(strings.TrimPrefix(id, "sigma-")); ok && family == rules.FamilyOther {
			family = f // a page that knows the rule but not its title
		}
		return rq.T("sfam." + family)
	}
	if title != "" {
		return title
	}
	return id
}

// ScenarioDetail is a Sigma rule's own (English) title, which pages show
// as a detail beside the family name (marked lang="en"); "" for Garda's
// scenarios, whose name says it all.
func (rq *req) ScenarioDetail(id, title string) string {
	if isSigma(id) && title != "" {
		return title
	}
	return ""
}

// isSigma reports whether a scenario id is a Sigma rule's ("sigma-<rule id>",
// as the detect engine names them).
func isSigma(id string) bool { return strings.HasPrefix(id, "sigma-") }

// parseStatuses reads the queue's status filter: absent means open
// (new and acknowledged), "all" means any, else a comma list.
func parseStatuses(q url.Values) ([]alert.Status, string, error) {
	if !q.Has("status") || q.Get("status") == "" {
		return openStatuses, "new,acknowledged", nil
	}
	raw := q.Get("status")
	if raw == "all" {
		return nil, raw, nil
	}
	var out []alert.Status
	for _, v := range strings.Split(raw, ",") {
		st := alert.Status(strings.TrimSpace(v))
		if !slices.Contains(alertStatuses, st) {
			return openStatuses, "new,acknowledged", problem.Field("status", "unknown status %q", v)
		}
		out = append(out, st)
	}
	return out, raw, nil
}

func joinStatuses(ss []alert.Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

// queueFilters are the alert queue's filters, read from a query alike by
// the page, its live group rows and its selection form.
type queueFilters struct {
	Region, Severity, Scenario, SourceIP string
	Statuses                             []alert.Status
	RawStatus                            string
	// Keep is the filters as the query gave them, for links and forms that
	// must show the same queue (absent ones keep their defaults).
	Keep url.Values
}

// readQueueFilters reads the filters; a person's queue is their scope
// unless they chose otherwise (a provincial room sees its province). A bad
// filter is reported with the defaults in its place.
func readQueueFilters(rq *req, q url.Values) (queueFilters, error) {
	f := queueFilters{Severity: q.Get("severity"), Scenario: q.Get("scenario"), SourceIP: strings.TrimSpace(q.Get("source_ip")),
		Region: rq.P.User.Scope, Keep: url.Values{}}
	if q.Has("region") {
		f.Region = strings.TrimSpace(q.Get("region"))
	}
	var err error
	f.Statuses, f.RawStatus, err = parseStatuses(q)
	if f.Region != "" && !region.Valid(f.Region) {
		err, f.Region = problem.Field("region", "unknown region code %q", f.Region), rq.P.User.Scope
	}
	if q.Has("region") {
		f.Keep.Set("region", f.Region)
	}
	if q.Get("status") != "" {
		f.Keep.Set("status", f.RawStatus)
	}
	for k, val := range map[string]string{"severity": f.Severity, "scenario": f.Scenario, "source_ip": f.SourceIP} {
		if val != "" {
			f.Keep.Set(k, val)
		}
	}
	return f, err
}

func (f queueFilters) filter() alert.Filter {
	return alert.Filter{Status: f.Statuses, Scenario: f.Scenario, Severity: f.Severity, Region: f.Region, SourceIP: f.SourceIP}
}

// query is the filters as a query string ("" or "?...").
func (f queueFilters) query() string {
	if len(f.Keep) == 0 {
		return ""
	}
	return "?" + f.Keep.Encode()
}

// alertQueueView is the data of the alert queue: one row per source and
// asset (a group), its alerts listed when opened.
type alertQueueView struct {
	queueFilters
	Regions                         picker
	Statuses, Severities, Scenarios []option
	Groups                          []groupRow
	Next, First                     string
	Live                            string // the stream's URL with these filters
	LiveStatuses                    string // the statuses the queue shows, for the script
	LivePrepend                     bool   // new alerts go on top (first page only)
	RowURL                          string // a group row, by one of its alerts' id, under these filters
	RegionName                      string // "" when not narrowed to a region
	Query                           string // the filters, for the selection form
	CanTriage                       bool
	Incidents                       picker // the incident to attach selected alerts to
	Flash                           string
	Error                           string
}

// groupRow is one group of the queue with what its forms need.
type groupRow struct {
	alert.Group
	Query     string // the queue's filters, for the group's forms
	CanTriage bool
}

func (p *pages) alertQueue(w http.ResponseWriter, r *http.Request, rq *req) error {
	read := time.Now().UnixMilli() // before the list: its stream catches up from here
	status := http.StatusOK
	qf, err := readQueueFilters(rq, r.URL.Query())
	if err != nil {
		status = http.StatusBadRequest
	}
	return p.renderQueue(w, r, rq, status, qf, err, read)
}

// renderQueue shows the queue under its filters, with an error above it
// when there is one (a bad filter, a refused action on a selection).
func (p *pages) renderQueue(w http.ResponseWriter, r *http.Request, rq *req, status int, qf queueFilters, failed error, read int64) error {
	ctx := r.Context()
	v := alertQueueView{queueFilters: qf, Query: qf.query(), CanTriage: rq.P.Can(policy.Triage)}
	if n, err := strconv.Atoi(r.URL.Query().Get("diubah")); err == nil && failed == nil { // after a selection's change
		v.Flash = rq.T("queue.changed", n)
	}
	if failed != nil {
		v.Error = failed.Error()
		if pe := problem.As(failed); pe != nil {
			v.Error = pe.Error() // without what wrapped it
		}
	}
	if v.Region != "" && v.Region != rq.P.User.Scope {
		v.RegionName = rq.ScopeName(v.Region)
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)

	v.Regions = rq.RegionPicker("f-region", "region", v.Region)
	v.Incidents = rq.IncidentPicker("sel-incident", "incident", "")
	v.Statuses = []option{{Value: "new,acknowledged", Label: rq.T("alerts.status_open")}}
	for _, st := range alertStatuses {
		v.Statuses = append(v.Statuses, option{Value: string(st), Label: rq.L("astatus", string(st))})
	}
	v.Statuses = append(v.Statuses, option{Value: "all", Label: rq.T("alerts.status_all")})
	for i := range v.Statuses {
		v.Statuses[i].Selected = v.Statuses[i].Value == v.RawStatus
	}
	for _, sev := range alert.Severities {
		label := rq.T("alerts.sev_min", rq.L("sev", sev))
		if sev == alert.Severities[len(alert.Severities)-1] {
			label = rq.L("sev", sev)
		}
		v.Severities = append(v.Severities, option{Value: sev, Label: label, Selected: sev == v.Severity})
	}
	known := false
	for _, d := range scenario.All() {
		v.Scenarios = append(v.Scenarios, option{Value: d.ID, Label: rq.ScenarioTitle(d.ID, d.Title), Selected: d.ID == v.Scenario})
		known = known || d.ID == v.Scenario
	}
	sort.SliceStable(v.Scenarios, func(i, j int) bool { return v.Scenarios[i].Label < v.Scenarios[j].Label })
	if v.Scenario != "" && !known { // a Sigma rule's id, from a link
		v.Scenarios = append(v.Scenarios, option{Value: v.Scenario, Label: rq.ScenarioTitle(v.Scenario, ""), Selected: true})
	}

	f := qf.filter()
	f.Before, f.Limit = before, alertPageSize
	groups, err := alert.Groups(ctx, p.s.DB, *rq.P, f)
	if pe := problem.As(err); pe != nil && pe.Code == problem.Invalid {
		status, v.Error, groups = pe.Status(), pe.Error(), nil
	} else if err != nil {
		return err
	}
	groups, v.Next, v.First = pageOf(groups, alertPageSize, func(g alert.Group) int64 { return g.Latest }, "/pemantauan", qf.Keep, before)
	if before == 0 && len(groups) > 0 { // rooms5: a calendar phase's raised alerts first
		if groups, err = p.priorityFirst(ctx, rq, f, groups); err != nil {
			return err
		}
	}
	for _, g := range groups {
		v.Groups = append(v.Groups, groupRow{Group: g, Query: qf.query(), CanTriage: v.CanTriage})
	}

	// The stream takes the same filters but the statuses: a group row is
	// fetched again under the queue's filters whenever one of its alerts
	// changes, so a group whose alerts all left the queue (dismissed
	// elsewhere) is marked rather than left showing a stale status.
	live := url.Values{}
	for k, val := range map[string]string{"region": v.Region, "severity": v.Severity, "scenario": v.Scenario, "source_ip": v.SourceIP} {
		if val != "" {
			live.Set(k, val)
		}
	}
	live.Set("last_event_id", strconv.FormatInt(read, 10))
	v.Live = "/api/v1/alerts/stream?" + live.Encode()
	v.LiveStatuses = joinStatuses(qf.Statuses)
	v.LivePrepend = before == 0
	v.RowURL = "/pemantauan/peringatan/{id}/baris" + qf.query()
	p.render(w, r, status, "alerts.html", page{req: rq, Title: rq.T("nav.surveillance"), Active: "nav.surveillance", Flash: v.Flash, Data: v})
	return nil
}

// alertRowFragment is the queue row of an alert's group, for the live
// script to put in place: rendered by the same template as the page,
// under the reader's own visibility, language and the queue's filters
// (carried in the query). A group with no alert left in the queue is not
// found, and the script marks its row.
func (p *pages) alertRowFragment(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	qf, err := readQueueFilters(rq, r.URL.Query())
	if err != nil {
		return err
	}
	g, err := alert.GroupOf(r.Context(), p.s.DB, *rq.P, qf.filter(), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	row := groupRow{Group: g, Query: qf.query(), CanTriage: rq.P.Can(policy.Triage)}
	if err := p.tmpl["alerts.html"].ExecuteTemplate(&buf, "group-row", page{req: rq, Data: row}); err != nil {
		return fmt.Errorf("render alert group row: %w", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
	return nil
}

// evidenceRow is one kept event, its ECS fields laid out for people.
type evidenceRow struct {
	Seq                            int
	At                             string
	Line                           int64
	Method, URL, Status, UserAgent string
	Other                          []string // "field: value" of the rest
}

// evidenceShown are the fields the evidence table has columns for (or
// that repeat what the alert says).
var evidenceShown = []string{"http.request.method", "url.original", "url.path", "url.query", "url.extension",
	"http.response.status_code", "user_agent.original", "source.ip"}

func evidenceRows(a alert.Alert) (rows []evidenceRow, hasHTTP, other bool) {
	for _, e := range a.Evidence {
		f := e.Fields
		row := evidenceRow{Seq: e.Seq, At: formatWIBSeconds(e.At), Line: e.Line, Method: f["http.request.method"],
			URL: f["url.original"], Status: f["http.response.status_code"], UserAgent: f["user_agent.original"]}
		if row.URL == "" && f["url.path"] != "" {
			row.URL = f["url.path"]
			if f["url.query"] != "" {
				row.URL += "?" + f["url.query"]
			}
		}
		for k, val := range f {
			if val == "" || slices.Contains(evidenceShown, k) && (k != "source.ip" || val == a.SourceIP) {
				continue
			}
			row.Other = append(row.Other, k+": "+val)
		}
		sort.Strings(row.Other)
		hasHTTP = hasHTTP || row.Method != "" || row.URL != "" || row.Status != ""
		other = other || len(row.Other) > 0
		rows = append(rows, row)
	}
	return rows, hasHTTP, other
}

func formatWIBSeconds(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(wib).Format("2006-01-02 15:04:05")
}

// techniqueID is a MITRE ATT&CK technique or sub-technique id.
var techniqueID = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)

// attackURL links a technique to its ATT&CK page: T1110.001 is
// /techniques/T1110/001/.
func attackURL(t string) string {
	if !techniqueID.MatchString(t) {
		return ""
	}
	return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(t, ".", "/") + "/"
}

// alertView is the data of an alert's page.
type alertView struct {
	alert.Alert
	Name                 string // the scenario's title in the page's language
	OwnerName            string
	RegionName, Province string
	TechniqueURL         string
	Evidence             []evidenceRow
	EvidenceHTTP         bool // some event is an HTTP request: show its columns
	EvidenceOther        bool // some event has fields without a column
	Decisions            []decisionRow
	Blocking             []decisionRow         // active decisions that already block the source address
	Sightings            []intel.AlertSighting // known indicators sighted in this alert (intel.AlertSightings)
	CanTriage            bool
	Triage               triageForm
	Ban                  banForm
	Attach               attachForm
	Error                string // a conflict to show above the actions
}

type triageForm struct {
	fieldForm
	Reason string
}

// banForm is a blocking decision's form: on an alert (for its source
// address) and on the decisions page (for any address).
type banForm struct {
	fieldForm
	Value, Reason string
	Types         []option
	Durations     []option
	Regions       picker // the decisions page only
}

var banFields = []string{"value", "type", "duration", "reason", "region"}

// banDurations are the choices offered for a block's length.
var banDurations = []time.Duration{30 * time.Minute, time.Hour, 4 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	3 * 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// durationValue writes a duration as decision.ParseDuration reads it.
func durationValue(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/time.Minute)) + "m"
}

// Span says a duration for people, to the minute: "2 hari 4 jam".
func (rq *req) Span(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d >= day:
		if h := int(d % day / time.Hour); h > 0 {
			return rq.T("dur.dh", int(d/day), h)
		}
		return rq.T("dur.d", int(d/day))
	case d >= time.Hour:
		if m := int(d % time.Hour / time.Minute); m > 0 {
			return rq.T("dur.hm", int(d/time.Hour), m)
		}
		return rq.T("dur.h", int(d/time.Hour))
	case d >= time.Minute:
		return rq.T("dur.m", int(d/time.Minute))
	}
	return rq.T("dur.lt_min")
}

func newBanForm(rq *req, typ, duration string, err *problem.Error) banForm {
	f := banForm{fieldForm: fieldForm{Err: err, fields: banFields}}
	for _, t := range []decision.Type{decision.Ban, decision.Captcha} {
		f.Types = append(f.Types, option{Value: string(t), Label: rq.L("dtype", string(t)), Selected: string(t) == typ})
	}
	found := false
	for _, d := range banDurations {
		val := durationValue(d)
		f.Durations = append(f.Durations, option{Value: val, Label: rq.Span(d), Selected: val == duration})
		found = found || val == duration
	}
	if !found && duration != "" {
		label := duration
		if d, err := decision.ParseDuration(duration); err == nil {
			label = rq.Span(d)
		}
		f.Durations = append(f.Durations, option{Value: duration, Label: label, Selected: true})
	}
	return f
}

// fieldMessage is shell.FieldMessage for the shell's own pages.
func fieldMessage(rq *req, pe *problem.Error, values url.Values) *problem.Error {
	return shell.FieldMessage(rq, pe, values)
}

// loadAlert builds an alert's page; a hidden or unknown alert is not found.
func (p *pages) loadAlert(r *http.Request, rq *req) (alertView, error) {
	ctx := r.Context()
	id, err := pathID(r, "alert")
	if err != nil {
		return alertView{}, err
	}
	a, err := alert.Get(ctx, p.s.DB, *rq.P, id)
	if err != nil {
		return alertView{}, err
	}
	tree, err := p.s.Orgs.Tree(ctx)
	if err != nil {
		return alertView{}, err
	}
	v := alertView{Alert: a, Name: rq.ScenarioTitle(a.Scenario, a.Title), OwnerName: orgName(tree, a.Owner), RegionName: rq.ScopeName(a.Region),
		Province: region.Province(a.Region), TechniqueURL: attackURL(a.Technique), CanTriage: rq.P.Can(policy.Triage)}
	v.Evidence, v.EvidenceHTTP, v.EvidenceOther = evidenceRows(a)
	linked, err := decision.List(ctx, p.s.DB, *rq.P, decision.Filter{AlertID: a.ID, Limit: 20})
	if err != nil {
		return alertView{}, err
	}
	v.Decisions = decisionRows(rq, linked)
	if v.Sightings, err = intel.AlertSightings(ctx, p.s.DB, *rq.P, a.ID); err != nil {
		return alertView{}, err
	}
	if a.SourceIP != "" {
		blocking, err := decision.List(ctx, p.s.DB, *rq.P, decision.Filter{IP: a.SourceIP, Status: string(decision.Active), Limit: 5})
		if pe := problem.As(err); err != nil && (pe == nil || pe.Code != problem.Invalid) {
			return alertView{}, err
		}
		v.Blocking = decisionRows(rq, blocking)
	}
	rule := p.s.rules().For(a.Scenario)
	v.Ban = newBanForm(rq, string(rule.Type), durationValue(rule.Duration), nil)
	v.Ban.Value = a.SourceIP
	v.Ban.Reason = rq.T("alert.ban_reason", a.ID, v.Name)
	v.Attach.Incident = rq.IncidentPicker("attach-incident", "incident", "")
	return v, nil
}

func (p *pages) renderAlert(w http.ResponseWriter, r *http.Request, rq *req, status int, v alertView, flash string) {
	p.render(w, r, status, "alert.html", page{req: rq, Title: v.Name, Active: "nav.surveillance", Flash: flash, Data: v})
}

func (p *pages) alertDetail(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadAlert(r, rq)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	flash := ""
	if st := alert.Status(q.Get("status")); slices.Contains(alertStatuses, st) && st == v.Status {
		flash = rq.T("alert.status_ok", rq.L("astatus", string(st)))
	}
	if id, err := strconv.ParseInt(q.Get("keputusan"), 10, 64); err == nil {
		flash = p.outcomeFlash(r, rq, q.Get("hasil"), id)
	}
	p.renderAlert(w, r, rq, http.StatusOK, v, flash)
	return nil
}

// triageable reads an alert for a change: not found when hidden,
// forbidden when the role may not triage.
func (p *pages) triageable(r *http.Request, rq *req) (alertView, error) {
	v, err := p.loadAlert(r, rq)
	if err != nil {
		return v, err
	}
	if !v.CanTriage {
		return v, problem.New(problem.Forbidden, "your role may not triage alerts")
	}
	return v, nil
}

func (p *pages) alertSetStatus(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.triageable(r, rq)
	if err != nil {
		return err
	}
	to, reason := alert.Status(r.PostForm.Get("status")), r.PostForm.Get("reason")
	a, err := alert.SetStatus(r.Context(), p.s.DB, *rq.P, v.ID, to, reason)
	if pe, ok := formFailed(err); ok {
		if pe.Code == problem.Invalid {
			v.Triage = triageForm{fieldForm: fieldForm{Err: fieldMessage(rq, pe, r.PostForm), fields: []string{"reason"}}, Reason: reason}
		} else {
			v.Error = pe.Message
		}
		p.renderAlert(w, r, rq, pe.Status(), v, "")
		return nil
	} else if err != nil {
		return err
	}
	alert.Notify(r.Context(), p.s.Bus, p.s.Log, a.ID)
	http.Redirect(w, r, fmt.Sprintf("/pemantauan/peringatan/%d?status=%s", a.ID, a.Status), http.StatusSeeOther)
	return nil
}

// alertBan blocks an alert's source address by hand, linking the
// decision to the alert, its region and its asset.
func (p *pages) alertBan(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.triageable(r, rq)
	if err != nil {
		return err
	}
	if v.SourceIP == "" {
		return problem.New(problem.Conflict, "alert %d has no source address to block", v.ID)
	}
	f := r.PostForm
	in := decision.Input{Value: v.SourceIP, Type: f.Get("type"), Duration: f.Get("duration"), Reason: f.Get("reason"),
		Region: &v.Region, AlertID: &v.ID}
	if v.AssetID != 0 {
		in.AssetID = &v.AssetID
	}
	d, err := decision.Create(r.Context(), p.s.DB, *rq.P, in)
	if pe, ok := formFailed(err); ok {
		v.Ban = newBanForm(rq, in.Type, in.Duration, fieldMessage(rq, pe, f))
		v.Ban.Value, v.Ban.Reason = v.SourceIP, in.Reason
		p.renderAlert(w, r, rq, pe.Status(), v, "")
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/pemantauan/peringatan/%d?hasil=%s&keputusan=%d#blokir", v.ID, d.Outcome, d.ID), http.StatusSeeOther)
	return nil
}

// priorityFirst puts the groups with an alert a calendar phase raised (an
// attack on Sirekap during the count) at the head of the queue's first
// page, highest priority first, each group whole under the queue's
// filters; the rest keep their order. Later pages are the plain queue.
func (p *pages) priorityFirst(ctx context.Context, rq *req, f alert.Filter, groups []alert.Group) ([]alert.Group, error) {
	pf := f
	pf.Priority, pf.Before, pf.Limit = true, 0, 10
	raised, err := alert.Groups(ctx, p.s.DB, *rq.P, pf)
	if err != nil || len(raised) == 0 {
		return groups, err
	}
	raised = raised[:min(len(raised), pf.Limit)]
	var head []alert.Group
	for _, r := range raised {
		i := slices.IndexFunc(groups, func(g alert.Group) bool { return g.Key == r.Key })
		if i >= 0 {
			head = append(head, groups[i])
			groups = slices.Delete(groups, i, i+1)
			continue
		}
		key, err := alert.ParseGroupKey(r.Key)
		if err != nil {
			return nil, err
		}
		whole := f
		whole.Group, whole.Before, whole.Limit = &key, 0, 1
		g, err := alert.Groups(ctx, p.s.DB, *rq.P, whole)
		if err != nil {
			return nil, err
		}
		if len(g) > 0 {
			g[0].Priority, g[0].PriorityReason = r.Priority, r.PriorityReason
			head = append(head, g[0])
		}
	}
	slices.SortStableFunc(head, func(a, b alert.Group) int {
		return cmp.Or(cmp.Compare(alert.SeverityRank(b.Priority), alert.SeverityRank(a.Priority)), cmp.Compare(b.Latest, a.Latest))
	})
	return append(head, groups...), nil
}

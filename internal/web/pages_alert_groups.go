package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// The alert queue's selection: alerts ticked one by one and whole groups,
// acknowledged, dismissed, promoted into one incident or attached to an
// existing one.

// selectionActions are what the selection form may ask.
var selectionActions = []string{"acknowledge", "dismiss", "promote", "attach"}

// alertSelection acts on the alerts chosen in the queue. A group stands
// for its open alerts that the queue shows (the form posts to the queue's
// filters) and that the reader may read. Acknowledging and dismissing
// change each alert as its own page does, each audited; an alert already
// so, or promoted, is left as it is.
func (p *pages) alertSelection(w http.ResponseWriter, r *http.Request, rq *req) error {
	ctx := r.Context()
	if !rq.P.Can(policy.Triage) {
		return problem.New(problem.Forbidden, "your role may not triage alerts")
	}
	qf, err := readQueueFilters(rq, r.URL.Query())
	if err != nil {
		return err
	}
	f := r.PostForm
	fail := func(err error) error {
		pe, ok := formFailed(err)
		if !ok {
			return err
		}
		// Said above the queue without the field's name, which is the form's.
		return p.renderQueue(w, r, rq, pe.Status(), qf, errors.New(pe.Message), time.Now().UnixMilli())
	}
	action := f.Get("action")
	if !slices.Contains(selectionActions, action) {
		return fail(problem.Field("action", "%s", rq.T("queue.unknown_action")))
	}
	alerts, err := p.selectedAlerts(r, rq, qf, f)
	if err != nil {
		return fail(err)
	}
	if len(alerts) == 0 {
		return fail(problem.Field("alert_id", "%s", rq.T("queue.none_selected")))
	}
	ids := make([]int64, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	switch action {
	case "acknowledge", "dismiss":
		to, reason := alert.Acknowledged, ""
		if action == "dismiss" {
			to, reason = alert.Dismissed, strings.TrimSpace(f.Get("reason"))
			if reason == "" {
				return fail(problem.Field("reason", "%s", rq.T("queue.reason_required")))
			}
		}
		changed := 0
		for _, a := range alerts {
			if a.Status == to || a.Status == alert.Promoted || a.Status == alert.Dismissed {
				continue
			}
			if _, err := alert.SetStatus(ctx, p.s.DB, *rq.P, a.ID, to, reason); err != nil {
				return fail(err)
			}
			alert.Notify(ctx, p.s.Bus, p.s.Log, a.ID)
			changed++
		}
		back := url.Values{}
		for k, v := range qf.Keep {
			back[k] = v
		}
		back.Set("diubah", strconv.Itoa(changed))
		http.Redirect(w, r, "/pemantauan?"+back.Encode(), http.StatusSeeOther)
		return nil
	case "promote":
		tree, err := p.s.Orgs.Tree(ctx)
		if err != nil {
			return err
		}
		inc, err := incident.Create(ctx, p.s.DB, *rq.P, tree, incident.Input{AlertIDs: ids, AssetIDs: alertAssets(alerts)})
		if err != nil {
			return fail(err)
		}
		p.promoted(r, rq, ids, notify.IncidentCreated, inc.HumanID)
		http.Redirect(w, r, "/insiden/"+inc.HumanID+"?dibuat=1", http.StatusSeeOther)
		return nil
	}
	inc, err := p.attachAlerts(r, rq, f.Get("incident"), ids)
	if err != nil {
		return fail(err)
	}
	http.Redirect(w, r, "/insiden/"+inc.HumanID+"?ok=alerts", http.StatusSeeOther)
	return nil
}

// selectedAlerts reads the ticked alerts (alert_id) and the open alerts
// of the ticked groups (group) under the queue's filters, once each.
func (p *pages) selectedAlerts(r *http.Request, rq *req, qf queueFilters, f url.Values) ([]alert.Alert, error) {
	ctx := r.Context()
	var out []alert.Alert
	add := func(a alert.Alert) {
		if !slices.ContainsFunc(out, func(b alert.Alert) bool { return b.ID == a.ID }) {
			out = append(out, a)
		}
	}
	for _, id := range formIDs(f["alert_id"]) {
		a, err := alert.Get(ctx, p.s.DB, *rq.P, id)
		if problem.Is(err, problem.NotFound) {
			return nil, problem.Field("alert_id", "%s", rq.T("queue.no_alert", id))
		} else if err != nil {
			return nil, err
		}
		add(a)
	}
	for _, raw := range f["group"] {
		key, err := alert.ParseGroupKey(raw)
		if err != nil {
			return nil, err
		}
		gf := qf.filter()
		gf.Group, gf.Limit = &key, alert.MaxGroupAlerts
		gf.Status = slices.DeleteFunc(slices.Clone(openStatuses), func(s alert.Status) bool {
			return len(qf.Statuses) > 0 && !slices.Contains(qf.Statuses, s)
		})
		if len(gf.Status) == 0 {
			continue // the queue shows none of the group's open alerts
		}
		members, err := alert.List(ctx, p.s.DB, *rq.P, gf)
		if err != nil {
			return nil, err
		}
		for _, a := range members {
			add(a)
		}
	}
	return out, nil
}

// alertAssets are the assets of alerts being promoted: the affected ones.
func alertAssets(alerts []alert.Alert) []int64 {
	var out []int64
	for _, a := range alerts {
		if a.AssetID != 0 && !slices.Contains(out, a.AssetID) {
			out = append(out, a.AssetID)
		}
	}
	return out
}

// attachAlerts attaches alerts to the incident a person named (its id, as
// the incident picker gives it, or its number); an incident they may not
// read is one that does not exist, said next to the field.
func (p *pages) attachAlerts(r *http.Request, rq *req, ref string, ids []int64) (incident.Incident, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return incident.Incident{}, problem.Field("incident", "%s", rq.T("queue.incident_required"))
	}
	inc, err := incident.AttachAlerts(r.Context(), p.s.DB, *rq.P, ref, ids)
	if problem.Is(err, problem.NotFound) {
		return inc, problem.Field("incident", "%s", rq.T("queue.no_incident", ref))
	} else if err != nil {
		return inc, err
	}
	p.promoted(r, rq, ids, notify.IncidentUpdated, inc.HumanID)
	return inc, nil
}

// promoted tells the live queues and the incident's readers.
func (p *pages) promoted(r *http.Request, rq *req, ids []int64, kind, humanID string) {
	for _, id := range ids {
		alert.Notify(r.Context(), p.s.Bus, p.s.Log, id)
	}
	p.s.notifyIncident(r, rq.P, kind, humanID, "")
}

// alertAttach attaches one alert to an existing incident, from its page.
func (p *pages) alertAttach(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.triageable(r, rq)
	if err != nil {
		return err
	}
	ref := r.PostForm.Get("incident")
	inc, err := p.attachAlerts(r, rq, ref, []int64{v.ID})
	if pe, ok := formFailed(err); ok {
		v.Attach = attachForm{fieldForm: fieldForm{Err: pe, fields: []string{"incident"}}, Incident: rq.IncidentPicker("attach-incident", "incident", ref)}
		p.renderAlert(w, r, rq, pe.Status(), v, "")
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/insiden/"+inc.HumanID+"?ok=alerts", http.StatusSeeOther)
	return nil
}

// attachForm is the alert page's "attach to an incident" form.
type attachForm struct {
	fieldForm
	Incident picker
}

// Package report builds the daily situation report (Laporan Situasi
// Harian) for a region and a day in WIB, as one reader may see it: every
// figure is computed from the domain packages' visibility-applying lists
// (incident.List, alert.List, decision.List), so a record the reader may
// not read is never counted. Renderers turn a Report into Markdown and PDF;
// the web package renders it as HTML and JSON.
package report

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/detect/rules"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// WIB is the zone the report's day and times are in.
var WIB = region.WIB

// DateLayout is the date's format in requests and in the report.
const DateLayout = "2006-01-02"

// pageSize is how many records one list call fetches.
const pageSize = 500

// Row is one line of a breakdown: a key (category, severity, province code,
// scenario id, or "sigma:<family>" for Sigma rules' alerts, one row per
// family), its label, the records of the day and those open.
type Row struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Day   int    `json:"day"`  // opened / raised that day
	Open  int    `json:"open"` // open now
}

// Incidents are the report's incident figures.
type Incidents struct {
	Opened   int `json:"opened"`   // reported (created) within the day
	Resolved int `json:"resolved"` // resolved within the day
	Closed   int `json:"closed"`   // closed within the day
	Open     int `json:"open"`     // open (neither resolved nor closed) now
	// OpenThatDay counts incidents open at some moment of the day: reported
	// before its end and not resolved or closed before its start.
	OpenThatDay int `json:"open_that_day"`
	// ClocksMissed counts the response clocks (first response, containment,
	// BSSN report) of the incidents open that day that were past due and
	// not met by the end of the day (or now, for today);
	// IncidentsMissedClock counts the incidents with at least one.
	ClocksMissed         int   `json:"clocks_missed"`
	IncidentsMissedClock int   `json:"incidents_missed_clock"`
	ByCategory           []Row `json:"by_category"`
	BySeverity           []Row `json:"by_severity"`
	ByProvince           []Row `json:"by_province,omitempty"` // national reports only
}

// Alerts are the report's alert figures.
type Alerts struct {
	Raised     int   `json:"raised"` // created within the day
	Open       int   `json:"open"`   // new or acknowledged now
	BySeverity []Row `json:"by_severity"`
	ByScenario []Row `json:"by_scenario"` // Day: raised that day; Open: open now
}

// Blocks are the report's decision (block) figures.
type Blocks struct {
	Made   int `json:"made"`   // created within the day
	Active int `json:"active"` // active and unexpired now
}

// Item is one open critical or high incident.
type Item struct {
	HumanID      string    `json:"human_id"`
	Title        string    `json:"title"`
	Severity     string    `json:"severity"`
	Category     string    `json:"category"`
	Status       string    `json:"status"`
	Region       string    `json:"region"`
	RegionName   string    `json:"region_name"`
	DetectedAt   time.Time `json:"detected_at"`
	MissedClocks []string  `json:"missed_clocks,omitempty"`
}

// Report is the daily situation report.
type Report struct {
	Region      string    `json:"region"` // "" national
	RegionName  string    `json:"region_name"`
	Date        string    `json:"date"` // YYYY-MM-DD, WIB
	From        time.Time `json:"from"` // the day's start (WIB midnight)
	To          time.Time `json:"to"`   // the next day's start
	GeneratedAt time.Time `json:"generated_at"`
	Reader      string    `json:"reader"`     // username
	ReaderOrg   string    `json:"reader_org"` // organisation name
	Incidents   Incidents `json:"incidents"`
	Alerts      Alerts    `json:"alerts"`
	Blocks      Blocks    `json:"blocks"`
	Scans       Scans     `json:"scans"`     // the day's penetration tests
	Patrol      Patrol    `json:"patrol"`    // the day's cyber patrol
	Takedowns   Takedowns `json:"takedowns"` // the day's content takedowns
	Rooms       []Room    `json:"rooms"`     // the operation rooms' day (rooms.go)
	// OpenCritical lists the open critical and high incidents, most severe
	// and oldest first.
	OpenCritical []Item `json:"open_critical"`
	// TLP is the most restrictive label among the records the report
	// counts or lists (CLEAR when none): the report shares what they hold,
	// so it is marked as the strictest of them.
	TLP policy.TLP `json:"tlp"`

	Labels Labels `json:"-"` // names codes for the renderers
}

// count notes that the report counts or lists a record with label t.
func (r *Report) count(t policy.TLP) {
	if t.Stricter(r.TLP) {
		r.TLP = t
	}
}

// L names a code as the report's labels do (for the renderers).
func (r *Report) L(group, code string) string { return r.Labels.L(group, code) }

// Params choose a report.
type Params struct {
	Region    string // "" means the reader's scope
	RegionSet bool   // Region was given (so "" asks for the nation)
	Date      string // YYYY-MM-DD in WIB; "" means today
	Labels    Labels // names the codes the report shows (required)
}

// Labels name domain codes for the report's reader, from the one table
// the UI names them with (the web package's messages), so that the
// report, its downloads and the pages never name a code differently or
// show it raw. Groups are the UI's: "icat" (category), "sev", "istatus",
// "iclock" (a response clock).
type Labels interface {
	L(group, code string) string
	// ScenarioTitle names a detection scenario: a Sigma rule (id
	// "sigma-<rule id>") by its family, from its title.
	ScenarioTitle(id, title string) string
}

// Resolve checks a request's region and date for a reader: the region must
// be known and inside the reader's scope (default: the scope), the date a
// day in WIB not after today (default: today). Errors are problem.Invalid.
func Resolve(who auth.Principal, p Params, now time.Time) (reg string, day time.Time, err error) {
	reg = who.User.Scope
	if p.RegionSet {
		reg = p.Region
	}
	if reg != "" && !region.Valid(reg) {
		return "", time.Time{}, problem.Field("region", "unknown region code %q", reg)
	}
	if !region.Contains(who.User.Scope, reg) {
		return "", time.Time{}, problem.Field("region", "region %q lies outside your scope", reg)
	}
	today := now.In(WIB)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, WIB)
	if p.Date == "" {
		return reg, today, nil
	}
	day, err = time.ParseInLocation(DateLayout, p.Date, WIB)
	if err != nil {
		return "", time.Time{}, problem.Field("date", "must be a date as YYYY-MM-DD, not %q", p.Date)
	}
	if day.After(today) {
		return "", time.Time{}, problem.Field("date", "%s lies in the future", p.Date)
	}
	return reg, day, nil
}

// Build computes the report for a reader.
func Build(ctx context.Context, q store.Querier, who auth.Principal, p Params) (*Report, error) {
	if p.Labels == nil {
		return nil, errors.New("report: no labels to name codes with")
	}
	now := store.Now()
	reg, day, err := Resolve(who, p, now)
	if err != nil {
		return nil, err
	}
	from, to := day.UTC(), day.AddDate(0, 0, 1).UTC()
	asOf := to
	if now.Before(asOf) {
		asOf = now
	}
	r := &Report{Region: reg, RegionName: RegionName(reg), Date: day.Format(DateLayout), From: from, To: to,
		GeneratedAt: now, Reader: who.User.Username, ReaderOrg: cmp.Or(who.Org.Name, who.Org.Slug), OpenCritical: []Item{}, TLP: policy.Clear, Labels: p.Labels}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	inPtr := func(t *time.Time) bool { return t != nil && in(*t) }

	// Incidents: every one the reader may read in the region.
	var incs []incident.Incident
	for before := int64(0); ; {
		list, err := incident.List(ctx, q, who, incident.Filter{Region: reg, Before: before, Limit: pageSize})
		if err != nil {
			return nil, err
		}
		more := len(list) > pageSize
		if more {
			list = list[:pageSize]
		}
		incs = append(incs, list...)
		if !more || len(list) == 0 {
			break
		}
		before = list[len(list)-1].ID
	}
	targets, err := incident.LoadTiming(ctx, q)
	if err != nil {
		return nil, err
	}
	cats, sevs, provs := counter{}, counter{}, counter{}
	for _, i := range incs {
		opened := in(i.CreatedAt)
		open := !i.Status.Done()
		if opened {
			r.Incidents.Opened++
		}
		if open {
			r.Incidents.Open++
		}
		if inPtr(i.ResolvedAt) {
			r.Incidents.Resolved++
		}
		if inPtr(i.ClosedAt) {
			r.Incidents.Closed++
		}
		if opened || open || inPtr(i.ResolvedAt) || inPtr(i.ClosedAt) || (i.CreatedAt.Before(to) && !doneBefore(i, from)) {
			r.count(i.TLP)
		}
		cats.add(i.Category, opened, open)
		sevs.add(i.Severity, opened, open)
		provs.add(region.Province(i.Region), opened, open)

		if !i.CreatedAt.Before(to) || doneBefore(i, from) {
			continue
		}
		r.Incidents.OpenThatDay++
		clocks, err := incident.ClocksFor(ctx, q, i, targets, asOf) // i was listed under who's visibility
		if err != nil {
			return nil, err
		}
		var missed []string
		for _, c := range clocks {
			if c.Due.Before(asOf) && (c.MetAt == nil || c.MetAt.After(c.Due)) {
				missed = append(missed, c.Name)
			}
		}
		r.Incidents.ClocksMissed += len(missed)
		if len(missed) > 0 {
			r.Incidents.IncidentsMissedClock++
		}
		if open && (i.Severity == "critical" || i.Severity == "high") {
			r.OpenCritical = append(r.OpenCritical, Item{HumanID: i.HumanID, Title: i.Title, Severity: i.Severity,
				Category: i.Category, Status: string(i.Status), Region: i.Region, RegionName: RegionName(i.Region),
				DetectedAt: i.DetectedAt, MissedClocks: missed})
		}
	}
	// Open critical/high incidents reported after the day (a past date's
	// report still lists what is open now).
	for _, i := range incs {
		if !i.Status.Done() && (i.Severity == "critical" || i.Severity == "high") && !i.CreatedAt.Before(to) {
			r.OpenCritical = append(r.OpenCritical, Item{HumanID: i.HumanID, Title: i.Title, Severity: i.Severity,
				Category: i.Category, Status: string(i.Status), Region: i.Region, RegionName: RegionName(i.Region),
				DetectedAt: i.DetectedAt})
		}
	}
	slices.SortStableFunc(r.OpenCritical, func(a, b Item) int {
		if c := cmp.Compare(alert.SeverityRank(b.Severity), alert.SeverityRank(a.Severity)); c != 0 {
			return c
		}
		return a.DetectedAt.Compare(b.DetectedAt)
	})
	r.Incidents.ByCategory = cats.rows(incident.Categories, r.label("icat"), true)
	r.Incidents.BySeverity = sevs.rows(severitiesDesc(), r.label("sev"), true)
	if reg == "" {
		r.Incidents.ByProvince = provs.rows(provs.keys(), RegionName, false)
	}

	// Alerts raised within the day: lists run newest first, and ids follow
	// creation, so paging stops at the first page reaching before the day.
	// Alerts by scenario: Sigma rules' alerts by their family, one row each.
	aSev, aScen, scenNames := counter{}, counter{}, map[string]string{}
	scenKey := func(a alert.Alert) string {
		key := a.Scenario
		if strings.HasPrefix(key, "sigma-") {
			key = "sigma:" + rules.FamilyOf(a.Title)
		}
		if _, ok := scenNames[key]; !ok {
			scenNames[key] = p.Labels.ScenarioTitle(a.Scenario, a.Title)
		}
		return key
	}
	for before := int64(0); ; {
		list, err := alert.List(ctx, q, who, alert.Filter{Region: reg, Before: before, Limit: pageSize})
		if err != nil {
			return nil, err
		}
		more := len(list) > pageSize
		if more {
			list = list[:pageSize]
		}
		past := false
		for _, a := range list {
			if in(a.CreatedAt) {
				r.count(a.TLP)
				r.Alerts.Raised++
				aSev.add(a.Severity, true, false)
				aScen.add(scenKey(a), true, false)
			}
			past = past || a.CreatedAt.Before(from)
		}
		if !more || len(list) == 0 || past {
			break
		}
		before = list[len(list)-1].ID
	}
	for before := int64(0); ; {
		list, err := alert.List(ctx, q, who, alert.Filter{Region: reg, Status: []alert.Status{alert.New, alert.Acknowledged},
			Before: before, Limit: pageSize})
		if err != nil {
			return nil, err
		}
		more := len(list) > pageSize
		if more {
			list = list[:pageSize]
		}
		for _, a := range list {
			r.count(a.TLP)
			r.Alerts.Open++
			aSev.add(a.Severity, false, true)
			aScen.add(scenKey(a), false, true)
		}
		if !more || len(list) == 0 {
			break
		}
		before = list[len(list)-1].ID
	}
	r.Alerts.BySeverity = aSev.rows(severitiesDesc(), r.label("sev"), true)
	r.Alerts.ByScenario = aScen.rows(aScen.keys(), func(k string) string { return scenNames[k] }, false)

	// Blocks.
	for before := int64(0); ; {
		list, err := decision.List(ctx, q, who, decision.Filter{Region: reg, Before: before, Limit: pageSize})
		if err != nil {
			return nil, err
		}
		more := len(list) > pageSize
		if more {
			list = list[:pageSize]
		}
		past := false
		for _, d := range list {
			if in(d.CreatedAt) {
				r.Blocks.Made++
			}
			past = past || d.CreatedAt.Before(from)
		}
		if !more || len(list) == 0 || past {
			break
		}
		before = list[len(list)-1].ID
	}
	for before := int64(0); ; {
		list, err := decision.List(ctx, q, who, decision.Filter{Region: reg, Status: string(decision.Active), Before: before, Limit: pageSize})
		if err != nil {
			return nil, err
		}
		more := len(list) > pageSize
		if more {
			list = list[:pageSize]
		}
		r.Blocks.Active += len(list)
		if !more || len(list) == 0 {
			break
		}
		before = list[len(list)-1].ID
	}
	if err := r.addScans(ctx, q, who, reg, from, to, asOf); err != nil {
		return nil, err
	}
	if err := r.addPatrol(ctx, q, who, reg, from, to); err != nil {
		return nil, err
	}
	if err := r.addTakedowns(ctx, q, who, reg, from, to, asOf); err != nil {
		return nil, err
	}
	if err := r.addRooms(ctx, q, who, reg, from, to); err != nil {
		return nil, err
	}
	return r, nil
}

// doneBefore reports whether an incident was resolved or closed before t
// (and has stayed so).
func doneBefore(i incident.Incident, t time.Time) bool {
	if !i.Status.Done() {
		return false
	}
	for _, at := range []*time.Time{i.ResolvedAt, i.ClosedAt} {
		if at != nil && at.Before(t) {
			return true
		}
	}
	return false
}

func severitiesDesc() []string {
	s := slices.Clone(incident.Severities)
	slices.Reverse(s)
	return s
}

// counter counts records per key: of the day, and open.
type counter map[string]*Row

func (c counter) add(key string, day, open bool) {
	if !day && !open {
		return
	}
	r, ok := c[key]
	if !ok {
		r = &Row{Key: key}
		c[key] = r
	}
	if day {
		r.Day++
	}
	if open {
		r.Open++
	}
}

// keys returns the counted keys, sorted.
func (c counter) keys() []string {
	var out []string
	for k := range c {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// rows lists the keys in order with their labels; all keeps the keys
// nothing was counted for (fixed enumerations), else they are left out.
func (c counter) rows(order []string, label func(string) string, all bool) []Row {
	out := []Row{}
	for _, k := range order {
		r, ok := c[k]
		if !ok && !all {
			continue
		}
		row := Row{Key: k}
		if ok {
			row = *r
		}
		row.Label = label(k)
		out = append(out, row)
	}
	// Keys outside a fixed enumeration (none expected) are kept too.
	for _, k := range c.keys() {
		if !slices.Contains(order, k) {
			row := *c[k]
			row.Label = label(k)
			out = append(out, row)
		}
	}
	return out
}

// RegionName names a region code: "Nasional" for "".
func RegionName(code string) string {
	if r, ok := region.Lookup(code); ok {
		return r.Name
	}
	return code
}

// label names the codes of one group.
func (r *Report) label(group string) func(string) string {
	return func(code string) string { return r.Labels.L(group, code) }
}

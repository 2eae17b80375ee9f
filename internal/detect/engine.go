// Package detect is Garda's one detection engine, used live (a bus
// consumer per partition) and offline (`garda detect replay`): per event,
// stateless checks (SigmaHQ rules, OWASP CRS through Coraza behind a cheap
// prefilter) run in parallel, then behaviour scenarios keep per-client
// windows in event-time order (put back in order within a bounded window).
// What it finds leaves as alert signals. It must never let scheduling
// change what it finds, and never let a benign request pay for Coraza.
package detect

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/detect/crs"
	"github.com/garda-id/garda/internal/detect/decode"
	"github.com/garda-id/garda/internal/detect/payload"
	"github.com/garda-id/garda/internal/detect/rules"
	"github.com/garda-id/garda/internal/detect/scenario"
	"github.com/garda-id/garda/internal/detect/sigma"
	"github.com/garda-id/garda/internal/event"
)

// Options configure an Engine. The zero value uses the built-in rules and
// thresholds.
type Options struct {
	Sigma      fs.FS            // Sigma rules; nil = the embedded SigmaHQ rules
	Scenarios  *scenario.Config // nil = the default thresholds
	CRS        crs.Options
	NoCRS      bool   // skip CRS (for measurements)
	SigmaLevel string // lowest Sigma rule level that raises alerts; "" = medium
	// ProxyRules also raises alerts from Sigma's proxy rules. They are
	// written for outbound proxy logs; on a web server's own access log
	// several fire on ordinary visitors (crawlers' and bare browser user
	// agents), so by default only webserver rules raise alerts.
	ProxyRules bool
	// Stages are further stateless checks run on every event (stage.go).
	Stages []Stage
	// CRSInBackground lets New return before CRS is built (its Coraza
	// parse and RE2 compilation: a third of a second on one core), so that
	// lines are read, parsed and inspected meanwhile; an event the
	// prefilter finds suspicious waits for CRS. Findings are the same. A
	// failure to build CRS is then told by CRSReady (Replay returns it).
	CRSInBackground bool
}

// Engine holds the compiled rules; it is safe for concurrent use, and
// hands out an Inspector per worker and a Shard per partition.
type Engine struct {
	sigma     *sigma.Set
	sigmaDefs map[*sigma.Rule]*scenario.Def
	crs       *crs.Detector // set before crsDone is closed
	crsErr    error
	crsBuild  time.Duration // how long building CRS took
	crsDone   chan struct{} // nil without CRS
	pre       *crs.Prefilter
	verdicts  *verdicts
	scenarios scenario.Config
	stages    []Stage
}

// New compiles the rules.
func New(opts Options) (*Engine, error) {
	e := &Engine{sigmaDefs: map[*sigma.Rule]*scenario.Def{}, scenarios: scenario.DefaultConfig(), stages: opts.Stages}
	if !opts.NoCRS {
		if opts.CRS.RemoveRules == nil {
			opts.CRS.RemoveRules = crs.SearchFalsePositives // citizens' searches are not attacks
		}
		if opts.CRS.WeakAlone == nil {
			opts.CRS.WeakAlone = commandWordWeakAlone
		}
		// CRS (a third of a second of CPU) is built on other goroutines,
		// beside the prefilter, Sigma's rules and, with CRSInBackground,
		// the first lines. The prefilter is CRS's own (the same options),
		// built here in a few milliseconds: it decides which events need
		// CRS at all.
		e.verdicts = newVerdicts()
		e.crsDone = make(chan struct{})
		go func() {
			defer close(e.crsDone)
			start := time.Now()
			defer func() { e.crsBuild = time.Since(start) }()
			d, err := crs.New(opts.CRS)
			if err != nil {
				e.crsErr = fmt.Errorf("load OWASP CRS: %w", err)
				return
			}
			e.crs = d
		}()
		var err error
		if e.pre, err = crs.NewPrefilter(opts.CRS); err != nil {
			return nil, fmt.Errorf("load OWASP CRS: %w", err)
		}
	}
	fsys := opts.Sigma
	if fsys == nil {
		fsys = rules.Sigma()
	}
	rs, err := sigma.LoadFS(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("load sigma rules: %w", err)
	}
	minLevel := levelRank(opts.SigmaLevel)
	if opts.SigmaLevel == "" {
		minLevel = levelRank("medium")
	}
	var kept []*sigma.Rule
	for _, r := range rs {
		if levelRank(r.Level) >= minLevel && (opts.ProxyRules || r.Logsource.Category != "proxy") {
			kept = append(kept, r)
		}
	}
	set, err := sigma.Compile(kept, sigma.Options{})
	if err != nil {
		return nil, fmt.Errorf("compile sigma rules: %w", err)
	}
	e.sigma = set
	if opts.Scenarios != nil {
		e.scenarios = *opts.Scenarios
	}
	if err := e.scenarios.Validate(); err != nil {
		return nil, err
	}
	for _, r := range set.Rules() {
		d := &scenario.Def{ID: "sigma-" + r.ID, Title: r.Title, Severity: severityOf(r.Level), Tactic: "sigma"}
		if len(r.Techniques) > 0 {
			d.Technique = r.Techniques[0]
		}
		e.sigmaDefs[r] = d
	}
	if !opts.CRSInBackground {
		if err := e.CRSReady(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// CRSReady waits until CRS is built and returns the error that stopped
// it, if any (Options.CRSInBackground); nil at once without CRS.
func (e *Engine) CRSReady() error {
	if e.crsDone == nil {
		return nil
	}
	<-e.crsDone
	return e.crsErr
}

// CRSBuildTime waits until CRS is built and says how long that took (0
// without CRS).
func (e *Engine) CRSBuildTime() time.Duration {
	e.CRSReady()
	return e.crsBuild
}

// CRSStats says how many suspicious requests went to Coraza and how many
// were answered from earlier verdicts.
func (e *Engine) CRSStats() (evaluated, cached int64) {
	if e.verdicts == nil {
		return 0, 0
	}
	return e.verdicts.evals.Load(), e.verdicts.hits.Load()
}

// SigmaRules is how many Sigma rules raise alerts.
func (e *Engine) SigmaRules() int { return e.sigma.Len() }

func levelRank(l string) int {
	switch strings.ToLower(l) {
	case "informational":
		return 1
	case "low":
		return 2
	case "medium":
		return 3
	case "high":
		return 4
	case "critical":
		return 5
	}
	return 0
}

func severityOf(level string) string {
	switch strings.ToLower(level) {
	case "critical":
		return "critical"
	case "high":
		return "high"
	case "medium":
		return "medium"
	}
	return "low"
}

// Finding is what the stateless checks found in one event.
type Finding struct {
	Classes scenario.Class
	// CRSRules are the CRS rules that matched; CRSScore their anomaly
	// score (crs.Result.Score). When the score is below the threshold,
	// CRSBelow is set: the rules are evidence, not an attack.
	CRSRules []int
	CRSScore int
	CRSBelow bool
	Payload  []payload.Finding // Garda's own argument checks
	Sigma    []*sigma.Rule
	// SigmaUnconfirmed are Sigma keyword rules that matched while no check
	// of their class agreed (sigmaConfirmedBy): evidence, not alerts.
	SigmaUnconfirmed []*sigma.Rule
	// Hits are what the engine's stages found (stage.go).
	Hits []Hit
}

// commandWordWeakAlone adds to CRS's weak-alone rules 932250 and 932260,
// a Unix or Windows command word at the start of a value: alone they fire
// on "ls of cards" and "whoami quiz"; a command that is one comes with
// shell syntax (another CRS rule, or Garda's separator and whole-command
// checks).
var commandWordWeakAlone = append(slices.Clone(crs.DefaultWeakAlone), 932250, 932260)

// sigmaConfirmedBy names the Sigma rules whose keywords are also ordinary
// words, with the class another check must find for their match to be an
// alert. "SQL Injection Strings In URI" matches "order by " and "select * "
// (its own false positives: "user searches in search boxes"); a request
// that is SQL injection is also found by libinjection, CRS's SQL rules or
// Garda's probe check, one that only says "order by date" is not. "Windows
// Webshell Strings" matches "=whoami", "=wget+": a web shell's command
// is also found by Garda's command checks, "whoami quiz" is not.
var sigmaConfirmedBy = map[string]scenario.Class{
	"5513deaf-f49a-46c2-a6c8-3f111b5cb453": scenario.SQLi,
	"7ff9db12-1b94-4a79-ba68-a2402c5d6729": scenario.RCE,
}

// Inspector runs the stateless checks; one per goroutine.
type Inspector struct {
	e      *Engine
	m      *sigma.Matcher
	cl     *scenario.Classifier
	dec    event.Event // the event being inspected, its target decoded
	checks []Check     // one per stage
}

// NewInspector makes an inspector.
func (e *Engine) NewInspector() *Inspector {
	in := &Inspector{e: e, m: e.sigma.NewMatcher(), cl: scenario.NewClassifier(e.scenarios)}
	for _, s := range e.stages {
		in.checks = append(in.checks, s.NewCheck())
	}
	return in
}

// Inspect checks one event. What it finds depends on the event alone, never
// on which events came before or on which goroutine saw them first, so
// that any number of workers, and any line order, find the same. The
// finding's slices are valid until the next call (they reuse the
// inspector's buffers).
func (in *Inspector) Inspect(ev *event.Event, f *Finding) {
	f.Sigma = in.m.Match(ev, f.Sigma[:0])
	f.Classes, f.CRSRules, f.CRSScore, f.CRSBelow, f.Payload = 0, f.CRSRules[:0], 0, false, f.Payload[:0]
	f.SigmaUnconfirmed = f.SigmaUnconfirmed[:0]
	f.Hits = f.Hits[:0]
	for _, c := range in.checks {
		f.Hits = c.Check(ev, f.Hits)
	}
	defer in.confirmSigma(f)
	if ev.Dataset == "system.auth" {
		return
	}
	// Sigma's rules and the classifier read the target as logged; a
	// form-encoded ('+') or doubly encoded one hides the attacker's words
	// from them, so they read it decoded too. (CRS decodes for itself.)
	if dec := in.decoded(ev); dec != nil {
		n := len(f.Sigma)
		f.Sigma = in.m.Match(dec, f.Sigma)
		for i := n; i < len(f.Sigma); i++ {
			if slices.Contains(f.Sigma[:n], f.Sigma[i]) {
				f.Sigma = slices.Delete(f.Sigma, i, i+1)
				i--
			}
		}
		f.Classes = in.cl.Classify(dec)
	}
	f.Classes |= in.cl.Classify(ev)
	f.Payload = payload.Check(ev.Get(event.URLOriginal), f.Payload)
	for _, p := range f.Payload {
		f.Classes |= payloadClass[p.Class]
	}
	if in.e.pre == nil || !in.e.pre.Suspicious(ev) {
		return
	}
	if in.e.CRSReady() != nil {
		return // Replay returns the error
	}
	r := in.e.verdicts.inspect(in.e.crs, in.e.pre, ev)
	if r.Classes.Has(crs.Scanner) {
		f.Classes |= scenario.Scanner // a scanner user agent is a finding on its own
	}
	f.CRSRules = append(f.CRSRules, r.RuleIDs...)
	f.CRSScore = r.Score
	if !r.Attack {
		f.CRSBelow = r.BelowThreshold()
		return
	}
	f.Classes |= dominantClass(r.RuleIDs)
}

// confirmSigma moves the Sigma keyword rules that no check of their class
// agrees with to SigmaUnconfirmed.
func (in *Inspector) confirmSigma(f *Finding) {
	for i := 0; i < len(f.Sigma); i++ {
		if c, ok := sigmaConfirmedBy[f.Sigma[i].ID]; ok && f.Classes&c == 0 {
			f.SigmaUnconfirmed = append(f.SigmaUnconfirmed, f.Sigma[i])
			f.Sigma = slices.Delete(f.Sigma, i, i+1)
			i--
		}
	}
}

var payloadClass = map[payload.Class]scenario.Class{
	payload.CommandInjection: scenario.RCE, payload.PathTraversal: scenario.Traversal, payload.HeaderInjection: scenario.Protocol,
	payload.SQLInjection: scenario.SQLi, payload.CrossSiteScripting: scenario.XSS,
}

// decoded returns the event with its target decoded (decode.Target), or
// nil when decoding changes nothing.
func (in *Inspector) decoded(ev *event.Event) *event.Event {
	target := ev.Get(event.URLOriginal)
	d, ok := decode.Target(target)
	if !ok {
		return nil
	}
	in.dec = *ev
	in.dec.Set(event.URLOriginal, d)
	path, query, _ := strings.Cut(d, "?")
	if strings.HasPrefix(path, "/") {
		in.dec.Set(event.URLPath, path) // not a proxy's absolute target
	}
	in.dec.Set(event.URLQuery, query)
	return &in.dec
}

// dominantClass names a request's attack by the class most of its CRS
// rules belong to: an XSS payload's quotes also wake SQL rules, and
// "../../etc/passwd" also a shell-file rule, but most rules that fire on
// each say what it is. Ties go to the more dangerous class.
func dominantClass(ruleIDs []int) scenario.Class {
	var votes [16]int
	for _, id := range ruleIDs {
		if c, ok := crs.ClassOfRule(id); ok && c != crs.Protocol && c != crs.Scanner {
			votes[c]++
		}
	}
	best, bestVotes := crs.Class(0), 0
	for _, c := range []crs.Class{crs.RCE, crs.SQLi, crs.LFI, crs.Java, crs.PHP, crs.RFI, crs.XSS, crs.SessionFixation, crs.Generic} {
		if votes[c] > bestVotes {
			best, bestVotes = c, votes[c]
		}
	}
	if bestVotes == 0 {
		return 0
	}
	return classOf[best]
}

var classOf = map[crs.Class]scenario.Class{
	crs.SQLi: scenario.SQLi, crs.XSS: scenario.XSS, crs.RCE: scenario.RCE, crs.LFI: scenario.Traversal,
	crs.RFI: scenario.RFI, crs.PHP: scenario.PHP, crs.Java: scenario.Java, crs.SessionFixation: scenario.SessionFixation,
	crs.Protocol: scenario.Protocol, crs.Scanner: scenario.Scanner, crs.Generic: scenario.Generic,
}

// Shard keeps the behaviour state of one partition of clients; it must
// see their events from one goroutine. It puts them back in time order
// within ReorderWindow before the scenarios count them.
type Shard struct {
	e       *Engine
	sc      *scenario.Engine
	sigs    []scenario.Signal
	order   reorder
	ruleIDs map[int]string // CRS rule ids as text, made once each
}

// NewShard makes a shard.
func (e *Engine) NewShard() *Shard { return &Shard{e: e, sc: scenario.New(e.scenarios)} }

// Observe takes one inspected event (copied: the caller may reuse it) and
// calls emit for each alert signal of the events that are due, oldest
// first. The signals' Event is the shard's copy, valid until the next
// Observe. Call Flush at the end of the input.
func (s *Shard) Observe(ev *event.Event, f *Finding, emit func(alert.Signal)) {
	s.order.recycle()
	if s.order.late(timeOf(ev)) {
		s.drain(true, emit)
	}
	s.order.push(ev, f)
	s.drain(false, emit)
}

// observeHeld is Observe for an event the shard may keep as it is (no
// copy); it returns a spent one for the caller to fill again, or nil.
func (s *Shard) observeHeld(h *held, t eventTime, emit func(alert.Signal)) *held {
	s.order.recycle()
	if s.order.late(t) {
		s.drain(true, emit)
	}
	spare := s.order.pushHeld(h, t)
	s.drain(false, emit)
	return spare
}

// Flush feeds every event still held.
func (s *Shard) Flush(emit func(alert.Signal)) { s.drain(true, emit) }

func (s *Shard) drain(all bool, emit func(alert.Signal)) {
	for h := s.order.pop(all); h != nil; h = s.order.pop(all) {
		s.observe(&h.ev, &h.f, emit)
	}
}

// observe runs the scenarios and the Sigma findings over one event.
func (s *Shard) observe(ev *event.Event, f *Finding, emit func(alert.Signal)) {
	s.sigs = s.sc.Observe(ev, f.Classes, s.sigs[:0])
	for _, sg := range s.sigs {
		a := s.signal(sg.Scenario, ev, sg.Count, f)
		for _, tr := range sg.Earlier {
			a.Earlier = append(a.Earlier, alert.Evidence{At: tr.Time, Line: tr.Line, Fields: tr.Fields})
		}
		emit(a)
	}
	for _, r := range f.Sigma {
		emit(s.signal(s.e.sigmaDefs[r], ev, 1, f))
	}
	for i := range f.Hits {
		emit(stageSignal(&f.Hits[i], ev))
	}
}

func (s *Shard) signal(d *scenario.Def, ev *event.Event, count int, f *Finding) alert.Signal {
	sg := alert.Signal{
		Scenario: d.ID, Title: d.Title, Severity: d.Severity, Technique: d.Technique,
		SourceIP: ev.Get(event.SourceIP), UserName: ev.Get(event.UserName), Region: ev.Region,
		Time: ev.Time, Count: count, Line: ev.Line, Event: ev,
	}
	if sg.SourceIP == "" && ev.IP.IsValid() {
		sg.SourceIP = ev.IP.String()
	}
	sg.AssetID = assetID(ev)
	payloadScenario := d.Tactic == "initial-access" || d == scenario.PathTraversal
	if strings.HasPrefix(d.ID, "sigma-") {
		sg.RuleIDs = []string{strings.TrimPrefix(d.ID, "sigma-")}
	} else if payloadScenario && !f.CRSBelow {
		for _, id := range f.CRSRules {
			sg.RuleIDs = append(sg.RuleIDs, s.ruleID(id))
		}
	}
	if payloadScenario {
		for _, p := range f.Payload {
			sg.RuleIDs = append(sg.RuleIDs, p.Rule)
		}
		sg.Severity = severity(d, f)
	}
	if f.CRSBelow {
		// CRS rules that matched below the threshold are no alert of their
		// own, but evidence on whatever else this event raised (Fields,
		// when set, is what the alert keeps of the event).
		sg.Fields = ev.Map()
		sg.Fields[FieldCRSBelow] = joinInts(f.CRSRules)
		sg.Fields[FieldCRSScore] = strconv.Itoa(f.CRSScore)
	}
	if len(f.SigmaUnconfirmed) > 0 {
		if sg.Fields == nil {
			sg.Fields = ev.Map()
		}
		ids := make([]string, len(f.SigmaUnconfirmed))
		for i, r := range f.SigmaUnconfirmed {
			ids[i] = r.ID
		}
		sg.Fields[FieldSigmaUnconfirmed] = strings.Join(ids, ",")
	}
	return sg
}

// ruleID is a CRS rule id as text: strconv.Itoa once per rule, not once
// per signal (a hostile request carries a dozen).
func (s *Shard) ruleID(id int) string {
	if t, ok := s.ruleIDs[id]; ok {
		return t
	}
	if s.ruleIDs == nil {
		s.ruleIDs = map[int]string{}
	}
	t := strconv.Itoa(id)
	if len(s.ruleIDs) < 4096 { // CRS has some 600 rules; any id beyond is not kept
		s.ruleIDs[id] = t
	}
	return t
}

func assetID(ev *event.Event) int64 {
	// No asset (an offline replay) or a name, not an id: 0, without the
	// error ParseInt would allocate on every signal.
	if a := ev.Asset; a == "" || (a[0] < '0' || a[0] > '9') && a[0] != '+' && a[0] != '-' {
		return 0
	}
	if id, err := strconv.ParseInt(ev.Asset, 10, 64); err == nil {
		return id
	}
	return 0
}

// The evidence fields that carry CRS rules matched below the threshold.
const (
	FieldCRSBelow = "garda.crs.matched_below_threshold"
	FieldCRSScore = "garda.crs.anomaly_score"
	// FieldSigmaUnconfirmed: Sigma keyword rules that matched with no
	// check of their class agreeing (sigmaConfirmedBy).
	FieldSigmaUnconfirmed = "garda.sigma.unconfirmed"
)

func joinInts(ids []int) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(id))
	}
	return b.String()
}

// severity of a per-request attack alert, from its class (the scenario's
// own severity) and how strongly the request was found: the CRS anomaly
// score, with 5 (a critical rule's score) for each of Garda's own checks
// and Sigma rules that matched. One finding alone (under 10) lowers the
// class's severity a step, three or more (15) raise it one: a lone rule
// is never "critical".
func severity(d *scenario.Def, f *Finding) string {
	rank := severityRank(d.Severity)
	strength := 5 * (len(f.Payload) + len(f.Sigma))
	if !f.CRSBelow {
		strength += f.CRSScore
	}
	switch {
	case strength >= 15:
		rank++
	case strength < 10:
		rank--
	}
	return severityNames[min(max(rank, 0), len(severityNames)-1)]
}

var severityNames = []string{"low", "medium", "high", "critical"}

func severityRank(s string) int {
	for i, n := range severityNames {
		if n == s {
			return i
		}
	}
	return 1
}

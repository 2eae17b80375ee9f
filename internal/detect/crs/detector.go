package crs

import (
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"strings"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/types"

	"github.com/garda-id/garda/internal/event"
)

// The defaults, chosen by measurement on CRS's regression cases and on
// genlog's benign traffic (see the package tests and TestParanoiaTable).
const (
	DefaultParanoiaLevel = 2
	DefaultThreshold     = 5 // CRS's own inbound default: one critical rule
	DefaultHost          = "localhost"
)

// Options configure a Detector. The zero value means the defaults.
type Options struct {
	// ParanoiaLevel is CRS's paranoia level, 1 (fewest false positives)
	// to 4 (most rules); 0 means DefaultParanoiaLevel.
	ParanoiaLevel int
	// Threshold is the inbound anomaly score at or above which a request
	// is an attack (CRS scores critical 5, error 4, warning 3, notice 2);
	// 0 means DefaultThreshold.
	Threshold int
	// Host is the Host header used when the event has no url.domain (the
	// combined log format carries none): without one CRS's rule 920280
	// "missing Host header" would fire on every such line. Set it to the
	// site's own name where known: 931130 calls a URL in a parameter that
	// points elsewhere than Host a remote file inclusion. "" means
	// DefaultHost.
	Host string
	// RemoveRules are CRS rule ids to leave out, besides those no access
	// log can feed (removedRules). 932236 and 942200 are the candidates
	// the measurements name: at level 2 they flag searches that start
	// with a command word ("find tps terdekat") and comma lists ending in
	// a digit ("prov=31,32,33"), and without them 94.9 % of the URI
	// attack cases are still flagged (95.2 % with). The prefilter does
	// not narrow for them: it stays as conservative as with all rules.
	RemoveRules []int
	// WeakAlone are rules whose match alone is not an attack: they count
	// towards the score only when another rule of the attack files
	// (930-944: not a scanner user agent or a protocol oddity) matched
	// too; alone, their match is evidence below the threshold. nil means
	// DefaultWeakAlone; an empty slice, none.
	WeakAlone []int

	// PureCoraza evaluates every rule in Coraza as stock Coraza does: no
	// pruner, no regex prefilter, no evaluator of our own (the reference
	// the tests compare with; slower on suspicious requests).
	PureCoraza bool

	// noPrune is PureCoraza (the tests' name for it).
	noPrune bool
	// noEval keeps the pruner and RE2 but leaves every rule in Coraza
	// (the step before the evaluator, for measurements).
	noEval bool
	// noFast keeps every request in a Coraza transaction (the step
	// before the fast path, fast.go, for measurements).
	noFast bool
}

// DefaultWeakAlone are the paranoia-level-2 rules that, measured on
// ordinary parameter values (TestRecallCorpus's normal corpus and issue
// 10's), fire alone on what people type: 932200 and 932240 on a '$' in a
// password or price and on street addresses ("c/ academia, 59, 3"),
// 942131 on a comparison ("syarat menang > 50%"), 942440 on '#' ("C#",
// "TPS #3"), 931130 on any link to another site ("kembali ke
// https://..."). In an attack they come with other rules; alone, CRS's
// own score of 5 would make each a critical alert.
var DefaultWeakAlone = []int{931130, 932200, 932240, 942131, 942440}

func (o Options) withDefaults() (Options, error) {
	if o.ParanoiaLevel == 0 {
		o.ParanoiaLevel = DefaultParanoiaLevel
	}
	if o.ParanoiaLevel < 1 || o.ParanoiaLevel > 4 {
		return o, fmt.Errorf("crs paranoia level %d: want 1 to 4", o.ParanoiaLevel)
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if o.Threshold < 0 {
		return o, fmt.Errorf("crs threshold %d: want a positive score", o.Threshold)
	}
	if o.Host == "" {
		o.Host = DefaultHost
	}
	o.noPrune = o.noPrune || o.PureCoraza
	if o.WeakAlone == nil {
		o.WeakAlone = DefaultWeakAlone
	}
	for _, id := range slices.Concat(o.RemoveRules, o.WeakAlone) {
		if id < 900000 || id > 999999 {
			return o, fmt.Errorf("crs rule %d: not a CRS rule id", id)
		}
	}
	return o, nil
}

// Detector runs CRS over logged requests. It is built once and is safe
// for concurrent use: each Inspect uses its own Coraza transaction (Coraza
// pools them).
type Detector struct {
	waf       coraza.WAF
	pl        int
	threshold int
	host      string
	pre       *Prefilter
	weakAlone []int
	prune     *pruner   // nil: every rule is evaluated
	fast      *fastPlan // nil: every request goes through Coraza
}

// SearchFalsePositives are the level-2 rules that flag ordinary citizens'
// searches on election sites: a search starting with a command word
// ("find tps terdekat", "top 10 caleg": 932236) and comma lists ending in
// a digit ("prov=31,32,33": 942200). Leaving them out costs 0.3 points of
// the regression cases with the payload in the URI (TestRegression).
var SearchFalsePositives = []int{932236, 942200}

// Rules whose verdict depends on request headers an access log never
// holds: their absence in a logged request says nothing about the client.
var removedRules = []int{
	920180, // POST without Content-Length or Transfer-Encoding
	920300, // request missing an Accept header
}

// New builds the WAF: Coraza with the embedded CRS v4 request rules in
// DetectionOnly mode, no request or response bodies, no audit log.
func New(opts Options) (*Detector, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var prune *pruner
	var eval *evaluator
	var texts []string
	var skip []int
	pruneRules, evalRules := "", ""
	remove := opts.RemoveRules
	var root fs.FS = coreruleset.FS
	var build *prebuild
	if !opts.noPrune {
		registerRx.Do(func() { plugins.RegisterOperator(gardaRx, newRxOperator) })
		root = rx2FS{coreruleset.FS}
		texts, err = ruleTexts(coreruleset.FS, ruleFiles())
		if err != nil {
			return nil, err
		}
		skip = slices.Concat(removedRules, opts.RemoveRules)
		// Compiling the patterns and phrase lists is most of the work:
		// the other cores begin it while this goroutine plans.
		build = startPrebuild(texts, opts.ParanoiaLevel, coreruleset.FS, skip, max(1, runtime.GOMAXPROCS(0)-1))
		defer build.wait()
		var moved []int
		if !opts.noEval {
			eval, moved = newEvaluator(texts, opts.ParanoiaLevel, coreruleset.FS, skip, build)
		}
		prune, pruneRules = newPruner(texts, opts.ParanoiaLevel, coreruleset.FS, eval, slices.Concat(skip, moved))
		if eval != nil {
			evalRules = eval.directives(prune.key)
		}
		// The moved rules leave Coraza.
		remove = slices.Concat(remove, moved)
	}
	// The evaluator takes its operators, the fast plan is made and the
	// prefilter built on another goroutine while Coraza loads the rules;
	// then New checks that Coraza read the patterns as they were compiled.
	var fast *fastPlan
	var pre *Prefilter
	var bindErr, preErr error
	planned := make(chan struct{})
	go func() {
		defer close(planned)
		if eval != nil {
			build.wait()
			if bindErr = eval.bind(); bindErr == nil && !opts.noFast {
				// A plan that cannot be made leaves every request to
				// Coraza, as before: slower, the same verdicts.
				fast, _ = newFastPlan(eval, texts, opts.ParanoiaLevel, coreruleset.FS, skip)
			}
		}
		pre, preErr = NewPrefilter(opts)
	}()
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().
		WithRootFS(root).
		WithDirectives(pruneRules + directives(opts.ParanoiaLevel, opts.Threshold, remove, !opts.noPrune) + evalRules))
	<-planned
	if err != nil {
		return nil, fmt.Errorf("build coraza with crs: %w", err)
	}
	if eval != nil {
		if bindErr != nil {
			return nil, bindErr
		}
		if err := eval.loaded(); err != nil {
			return nil, err
		}
	}
	if fast != nil && !build.loaded() {
		fast = nil // a pattern read otherwise than by Coraza: no plan, as above
	}
	if preErr != nil {
		return nil, preErr
	}
	return &Detector{waf: waf, pl: opts.ParanoiaLevel, threshold: opts.Threshold, host: opts.Host, pre: pre,
		weakAlone: slices.Clone(opts.WeakAlone), prune: prune, fast: fast}, nil
}

// ruleFiles are the CRS rule files the detector loads: the request rules
// only (the response files need bodies and status lines we do not feed).
func ruleFiles() []string {
	var out []string
	for _, f := range []string{
		"REQUEST-901-INITIALIZATION", "REQUEST-905-COMMON-EXCEPTIONS", "REQUEST-911-METHOD-ENFORCEMENT",
		"REQUEST-913-SCANNER-DETECTION", "REQUEST-920-PROTOCOL-ENFORCEMENT", "REQUEST-921-PROTOCOL-ATTACK",
		"REQUEST-922-MULTIPART-ATTACK", "REQUEST-930-APPLICATION-ATTACK-LFI", "REQUEST-931-APPLICATION-ATTACK-RFI",
		"REQUEST-932-APPLICATION-ATTACK-RCE", "REQUEST-933-APPLICATION-ATTACK-PHP", "REQUEST-934-APPLICATION-ATTACK-GENERIC",
		"REQUEST-941-APPLICATION-ATTACK-XSS", "REQUEST-942-APPLICATION-ATTACK-SQLI",
		"REQUEST-943-APPLICATION-ATTACK-SESSION-FIXATION", "REQUEST-944-APPLICATION-ATTACK-JAVA",
		"REQUEST-949-BLOCKING-EVALUATION", "REQUEST-999-COMMON-EXCEPTIONS-AFTER",
	} {
		out = append(out, "@owasp_crs/"+f+".conf")
	}
	return out
}

// directives is the whole Coraza configuration: engine settings, CRS's
// setup with the paranoia level and threshold, and the request rule files
// only (the response files need bodies and status lines we do not feed).
// With rxPrefilter, Coraza checks the literals an @rx pattern needs
// before running it (SecRxPreFilter: a necessary condition, so no match
// is lost).
func directives(pl, threshold int, remove []int, rxPrefilter bool) string {
	var b strings.Builder
	b.WriteString(`SecRuleEngine DetectionOnly
SecRequestBodyAccess Off
SecResponseBodyAccess Off
SecAuditEngine Off
`)
	if rxPrefilter {
		b.WriteString("SecRxPreFilter On\n")
	}
	b.WriteString("Include @crs-setup.conf.example\n")
	fmt.Fprintf(&b, "SecAction \"id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=%d\"\n", pl)
	fmt.Fprintf(&b, "SecAction \"id:900001,phase:1,pass,t:none,nolog,setvar:tx.detection_paranoia_level=%d\"\n", pl)
	fmt.Fprintf(&b, "SecAction \"id:900110,phase:1,pass,t:none,nolog,setvar:tx.inbound_anomaly_score_threshold=%d,setvar:tx.outbound_anomaly_score_threshold=4\"\n", threshold)
	for _, f := range ruleFiles() {
		fmt.Fprintf(&b, "Include %s\n", f)
	}
	for _, id := range append(slices.Clone(removedRules), remove...) {
		fmt.Fprintf(&b, "SecRuleRemoveById %d\n", id)
	}
	return b.String()
}

// ParanoiaLevel is the level the detector runs at.
func (d *Detector) ParanoiaLevel() int { return d.pl }

// Threshold is the anomaly score at or above which a request is an attack.
func (d *Detector) Threshold() int { return d.threshold }

// Prefilter is the detector's prefilter.
func (d *Detector) Prefilter() *Prefilter { return d.pre }

// Result is CRS's verdict on one request.
type Result struct {
	// Inspected is false when the prefilter let the request skip Coraza
	// (Detect only); the other fields are then zero.
	Inspected bool
	// RuleIDs are the CRS detection rules that matched (911xxx-944xxx),
	// in ascending order, without repeats.
	RuleIDs []int
	// Classes are the attack classes of those rules.
	Classes ClassSet
	// Score is the request's inbound anomaly score: the CRS severities
	// (critical 5, error 4, warning 3, notice 2) of every rule that
	// matched at the detector's paranoia level, but a WeakAlone rule's
	// only beside another attack rule (930-944).
	Score int
	// Attack reports Score >= the detector's threshold. When it is false
	// and RuleIDs is not empty, the rules matched below the threshold:
	// evidence, not an attack.
	Attack bool
}

// BelowThreshold reports rules that matched without making an attack.
func (r Result) BelowThreshold() bool { return !r.Attack && len(r.RuleIDs) > 0 }

// Detect runs the prefilter and, when it finds the request suspicious,
// CRS: the entry point for the log pipeline.
func (d *Detector) Detect(ev *event.Event) Result {
	if !d.pre.Suspicious(ev) {
		return Result{}
	}
	return d.Inspect(ev)
}

// Inspect runs CRS phases 1 and 2 over the request the event describes:
// method, request target (url.original), HTTP version, Host (url.domain),
// User-Agent and Referer. It does not consult the prefilter.
func (d *Detector) Inspect(ev *event.Event) Result {
	if d.fast != nil {
		if r, ok := d.fast.inspect(d, ev); ok {
			return r
		}
	}
	tx := d.waf.NewTransaction()
	defer tx.Close()
	var st *pruneState
	if d.prune != nil {
		st = d.prune.begin(tx)
		defer d.prune.end(tx, st) // before Close: the pool may hand tx out again
	}

	client := ev.Get(event.SourceIP)
	if client == "" && ev.IP.IsValid() {
		client = ev.IP.String()
	}
	tx.ProcessConnection(client, 0, "", 0)
	method := ev.Get(event.HTTPMethod)
	if method == "" {
		method = "GET"
	}
	target := ev.Get(event.URLOriginal)
	if target == "" {
		target = "/"
	}
	tx.ProcessURI(target, method, protocol(ev.Get(event.HTTPVersion)))
	host := ev.Get(event.URLDomain)
	if host == "" {
		host = d.host
	}
	tx.AddRequestHeader("Host", host)
	tx.SetServerName(hostName(host))
	if ua, ok := logged(ev.Get(event.UserAgent)); ok {
		tx.AddRequestHeader("User-Agent", ua)
	}
	if ref, ok := logged(ev.Get(event.Referrer)); ok {
		tx.AddRequestHeader("Referer", ref)
	}
	tx.ProcessRequestHeaders() // phase 1
	// Phase 2. Without body access there is no body to read, so Coraza
	// only evaluates the rules and returns no error; DetectionOnly makes
	// no interruption either: the verdict is in the matched rules.
	_, _ = tx.ProcessRequestBody()
	return d.result(tx, st)
}

// result reads the verdict from the rules Coraza matched and those the
// evaluator matched (st, nil without a pruner).
func (d *Detector) result(tx types.Transaction, st *pruneState) Result {
	var ids, scores []int
	for _, m := range tx.MatchedRules() {
		id := m.Rule().ID()
		// CRS's flow-control rules (paranoia-level skips, exclusions)
		// match too; only the detection rules carry a severity.
		if id < 911000 || id >= 949000 || m.Rule().Severity() == types.RuleSeverityUnset {
			continue
		}
		ids, scores = append(ids, id), append(scores, severityScore(m.Rule().Severity()))
	}
	if st != nil && d.prune.eval != nil {
		for i, hit := range st.matched {
			if hit {
				ids, scores = append(ids, d.prune.eval.rules[i].id), append(scores, d.prune.eval.rules[i].score)
			}
		}
	}
	return d.score(ids, scores)
}

// score is the verdict of the detection rules that matched (ids, each
// with CRS's score of its severity).
func (d *Detector) score(ids, scores []int) Result {
	r := Result{Inspected: true}
	weak := 0        // the score of the WeakAlone rules
	corroborate := 0 // other rules of the attack files (930-944) that matched
	for i, id := range ids {
		if slices.Contains(r.RuleIDs, id) {
			continue
		}
		r.RuleIDs = append(r.RuleIDs, id)
		if slices.Contains(d.weakAlone, id) {
			weak += scores[i]
		} else {
			r.Score += scores[i]
			if id >= 930000 && id < 945000 {
				corroborate++
			}
		}
		if c, ok := ClassOfRule(id); ok {
			r.Classes |= c.Set()
		}
	}
	slices.Sort(r.RuleIDs)
	if corroborate > 0 {
		r.Score += weak
	}
	r.Attack = r.Score >= d.threshold
	return r
}

// severityScore is CRS's anomaly score per severity (crs-setup.conf's
// tx.critical_anomaly_score and the others, at their defaults). Coraza
// adds the same into tx.blocking_inbound_anomaly_score; the score is
// summed here so that a WeakAlone rule can count conditionally.
func severityScore(s types.RuleSeverity) int {
	switch s {
	case types.RuleSeverityCritical:
		return 5
	case types.RuleSeverityError:
		return 4
	case types.RuleSeverityWarning:
		return 3
	case types.RuleSeverityNotice:
		return 2
	}
	return 0
}

// protocol turns an ECS http.version ("1.1") or a logged protocol
// ("HTTP/1.1") into the request-line form CRS checks.
func protocol(v string) string {
	switch {
	case v == "" || v == "-":
		return "HTTP/1.1"
	case strings.HasPrefix(v, "HTTP/"):
		return v
	case v[0] >= '0' && v[0] <= '9':
		return "HTTP/" + v
	}
	return v
}

// logged reports a header value as the log holds it; "-" is how nginx
// and Apache write an absent header.
func logged(v string) (string, bool) {
	if v == "" || v == "-" {
		return "", false
	}
	return v, true
}

// hostName strips the port from a Host value.
func hostName(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[:i+1]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		return h[:i]
	}
	return h
}

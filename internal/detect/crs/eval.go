package crs

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/corazawaf/libinjection-go"
	re2 "github.com/wasilibs/go-re2"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"

	"github.com/garda-id/garda/internal/detect/literal"
)

// The evaluator runs most CRS detection rules outside Coraza's per-rule
// machinery. In Coraza each rule that runs costs its variable look-up,
// its transformation chain, its operator, its actions and the
// bookkeeping around them (some 100 rules still ran on a hostile request
// after the pruner). Here the rules that read the same variables through
// the same transformations form a group, and one Coraza rule of ours per
// group (gardaEval, at the end of its phase) reads those values once,
// transformed by Coraza itself; for each value one literal pass decides
// which of the group's rules can match, and only their operators run
// (@rx on RE2, @pm on Coraza's Aho-Corasick, @detectSQLi and @detectXSS
// on libinjection). A rule that matches is
// recorded in the transaction's state; Detector.result adds its id and
// severity to what Coraza matched.
//
// A rule moves here only when doing so cannot change any verdict: a
// detection rule (911-948) of phase 1 or 2 within the paranoia level, not
// chained, its operator @rx, @pm, @pmFromFile (not negated, no macro,
// phrases in ASCII), @detectSQLi or @detectXSS, and no action whose effect
// another rule could see: its setvars only add to the anomaly scores,
// which only the blocking evaluation (949) reads, and its capture fills
// TX.0-9, which CRS reads only in a chain after its own capture. Our
// group rules carry the tag OWASP_CRS, so a ctl:ruleRemoveByTag=OWASP_CRS
// (the exceptions of 905, sampling) removes them as it would the rules,
// and a group of rules tagged xss-perf-disable carries that tag too, so
// 941010's ctl:ruleRemoveTargetByTag takes REQUEST_FILENAME from it as
// from them. A multiMatch rule goes to a multiMatch group: Coraza hands
// its operator every intermediate value there too.
// TestEvaluatorKeepsVerdicts compares rule ids and scores with stock
// Coraza.
type evaluator struct {
	rules  []evalRule
	groups []*evalGroup
	kept   int // detection rules within the level left to Coraza
}

type evalRule struct {
	id    int
	score int // CRS's anomaly score of its severity
	rx    *rxOperator
	// @pm, @pmFromFile: Coraza's own Aho-Corasick, built as Coraza
	// builds it (literal.Matcher's automata, a table of 256 states per
	// byte of phrase, took 57 MB for CRS's phrase files).
	pm  *ruleAutomaton    // (see newPhraseMatcher)
	lib func(string) bool // @detectSQLi, @detectXSS: libinjection, as Coraza calls it

	pattern string // @rx: the pattern as read from the rule text
	// lits: one of these (lower-cased, cut to maxPattern bytes) occurs in
	// any ASCII value the operator matches; nil when the analysis found
	// none (the fast path's shared literal pass reads them).
	lits []string
}

// match runs the rule's operator. The group's literal pass has already
// found one of an @rx rule's literals in an ASCII value (the same set its
// operator's own check looks for), so that check is not repeated.
func (r *evalRule) match(value string) bool {
	if r.pm != nil {
		return r.pm.any(value)
	}
	if r.lib != nil {
		return r.lib(value)
	}
	return r.rx.matchChecked(value)
}

// evalGroup is the rules of one phase reading one list of variables
// through one transformation chain.
type evalGroup struct {
	phase      int
	multiMatch bool     // the operators see every intermediate transformation
	perf       bool     // tagged xss-perf-disable (see movable)
	vars       string   // the rules' variable list, as written
	transforms []string // Coraza's names, in order
	rules      []int32  // indexes into evaluator.rules
	always     []int32  // rules without literals: candidates for every value
	// m is built on first use from pats: the fast path runs its own
	// shared pass (fastPlan.lit), so only requests left to Coraza need
	// the group's, and building them all cost rule loading about 0.1 s
	// of CPU (0.94 against 1.03 s for garda detect replay on 50 lines).
	m        *literal.Matcher
	mOnce    sync.Once
	pats     []string
	patRules [][]int32 // literal -> rules
}

// movable reports whether the evaluator may take the rule (see evaluator).
func movable(r ruleInfo, pl int) bool {
	if r.id < 911000 || r.id >= 949000 || r.phase < 1 || r.phase > 2 || r.negated ||
		r.paranoia < 1 || r.paranoia > pl || severityOf(r.severity) == 0 || strings.Contains(r.opArg, "%{") {
		return false
	}
	switch r.op {
	case "rx", "pm", "pmFromFile", "pmf", "detectSQLi", "detectXSS":
	default:
		return false
	}
	for _, v := range r.vars {
		v = strings.TrimPrefix(v, "!")
		if strings.HasPrefix(v, "&") || strings.HasPrefix(strings.ToUpper(v), "TX") || strings.HasPrefix(v, "MATCHED_") {
			return false
		}
	}
	for _, a := range r.actions {
		switch a {
		case "id", "phase", "block", "pass", "capture", "t", "msg", "logdata", "tag", "ver", "severity",
			"setvar", "log", "auditlog", "nolog", "noauditlog", "rev", "maturity", "accuracy", "multiMatch":
		default:
			return false // chain, ctl, skipAfter, ...
		}
	}
	for _, sv := range r.setvars {
		name, _, _ := strings.Cut(strings.ToLower(sv), "=")
		if !strings.HasPrefix(name, "tx.") || !strings.HasSuffix(name, "_score") && !strings.HasPrefix(name, "tx.inbound_anomaly_score_pl") {
			return false
		}
	}
	return true
}

// severityOf is CRS's score of a severity name.
func severityOf(s string) int {
	switch strings.ToUpper(s) {
	case "CRITICAL":
		return 5
	case "ERROR":
		return 4
	case "WARNING":
		return 3
	case "NOTICE":
		return 2
	}
	return 0
}

// pmPhrases are the phrases of an @pm or @pmFromFile rule as Coraza reads
// them, ok false when one is empty or not ASCII (Coraza folds ASCII only;
// an empty phrase matches everything).
func pmPhrases(r ruleInfo, root fs.FS) ([]string, bool) {
	var phrases []string
	if r.op == "pm" {
		phrases = strings.Split(strings.ToLower(r.opArg), " ")
	} else {
		b, err := fs.ReadFile(root, path.Join("@owasp_crs", r.opArg))
		if err != nil {
			return nil, false
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
				phrases = append(phrases, strings.ToLower(l))
			}
		}
	}
	if len(phrases) == 0 {
		return nil, false
	}
	for _, p := range phrases {
		if p == "" || !ascii(p) {
			return nil, false
		}
	}
	return phrases, true
}

var registerEval sync.Once

// newEvaluator takes the rules it can evaluate exactly out of texts (the
// rule texts as Coraza loads them); skip are rules the detector leaves
// out; pre has its phrase matchers built or begun. It returns the
// evaluator and the ids it took.
func newEvaluator(texts []string, pl int, root fs.FS, skip []int, pre *prebuild) (*evaluator, []int) {
	registerEval.Do(func() { plugins.RegisterOperator("gardaEval", newEvalOperator) })
	e := &evaluator{}
	var moved []int
	byKey := map[string]*evalGroup{}
	lits := map[*evalGroup][][]string{}
	for _, raw := range texts {
		r, ok := parseRule(raw)
		if !ok || slices.Contains(skip, r.id) {
			continue
		}
		detection := r.id >= 911000 && r.id < 949000 && r.phase >= 1 && r.phase <= 2 && r.paranoia <= pl && r.severity != ""
		if !movable(r, pl) {
			if detection {
				e.kept++
			}
			continue
		}
		er := evalRule{id: r.id, score: severityOf(r.severity)}
		switch r.op {
		case "rx":
			er.pattern = r.opArg // compiled by Coraza's loading (bind)
		case "detectSQLi":
			er.lib = func(v string) bool { ok, _ := libinjection.IsSQLi(v); return ok }
		case "detectXSS":
			er.lib = libinjection.IsXSS
		default:
			if er.pm, ok = pre.phraseMatcher(r, root); !ok {
				e.kept++
				continue
			}
		}
		perf := slices.Contains(r.tags, "xss-perf-disable")
		key := fmt.Sprint(r.phase, "\x00", strings.Join(r.vars, "|"), "\x00", r.transforms, r.multiMatch, perf)
		g := byKey[key]
		if g == nil {
			g = &evalGroup{phase: r.phase, vars: strings.Join(r.vars, "|"), transforms: r.transforms, multiMatch: r.multiMatch, perf: perf}
			byKey[key] = g
			e.groups = append(e.groups, g)
		}
		set, _ := literalsOf(r, root)
		lits[g] = append(lits[g], set)
		for _, l := range set {
			er.lits = append(er.lits, l[:min(len(l), maxPattern)])
		}
		g.rules = append(g.rules, int32(len(e.rules)))
		e.rules = append(e.rules, er)
		moved = append(moved, r.id)
	}
	for _, g := range e.groups {
		index := map[string]int{}
		var patterns []string
		for i, set := range lits[g] {
			if set == nil {
				g.always = append(g.always, g.rules[i])
				continue
			}
			for _, s := range set {
				s = s[:min(len(s), maxPattern)]
				n, ok := index[s]
				if !ok {
					n = len(patterns)
					index[s] = n
					patterns = append(patterns, s)
					g.patRules = append(g.patRules, nil)
				}
				g.patRules[n] = append(g.patRules[n], g.rules[i])
			}
		}
		g.pats = patterns
	}
	return e, moved
}

// bind takes each @rx rule's operator, compiled by then (rxCache).
func (e *evaluator) bind() error {
	for i := range e.rules {
		r := &e.rules[i]
		if r.pattern == "" {
			continue // not @rx
		}
		op, ok := rxCache.Load(r.pattern)
		if !ok {
			return fmt.Errorf("crs evaluator: rule %d's pattern was not compiled", r.id)
		}
		r.rx = op.(*rxOperator)
	}
	return nil
}

// loaded checks, once Coraza has loaded the rules, that its parser read
// each @rx rule's pattern as here (rxLoaded): a pattern read differently
// is an error, not a silently different rule.
func (e *evaluator) loaded() error {
	for _, r := range e.rules {
		if _, ok := rxLoaded.Load(r.pattern); r.pattern != "" && !ok {
			return fmt.Errorf("crs evaluator: rule %d's pattern is not the one Coraza loaded", r.id)
		}
	}
	return nil
}

// directives are our group rules; key is the pruner's (whose state per
// transaction holds the evaluator's marks). They go after CRS's rules:
// within a phase Coraza runs rules in the order they are defined, so the
// exceptions of 905 have removed them (by tag) when they would.
func (e *evaluator) directives(key int) string {
	var b strings.Builder
	for gi, g := range e.groups {
		fmt.Fprintf(&b, "SecRule %s \"@gardaEval %d:%d\" \"id:%d,phase:%d,pass,nolog,tag:'OWASP_CRS'", g.vars, key, gi, 500+gi, g.phase)
		if g.perf {
			b.WriteString(",tag:'xss-perf-disable'")
		}
		for _, t := range g.transforms {
			fmt.Fprintf(&b, ",t:%s", t)
		}
		if g.multiMatch {
			b.WriteString(",multiMatch")
		}
		b.WriteString("\"\n")
	}
	return b.String()
}

type evalOperator struct {
	p *pruner
	g *evalGroup
}

func newEvalOperator(opts plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	var key, gi int
	if _, err := fmt.Sscanf(opts.Arguments, "%d:%d", &key, &gi); err != nil {
		return nil, fmt.Errorf("gardaEval %q: %w", opts.Arguments, err)
	}
	p := lookupPruner(key)
	if p == nil || p.eval == nil || gi < 0 || gi >= len(p.eval.groups) {
		return nil, fmt.Errorf("gardaEval %q: no such group", opts.Arguments)
	}
	return &evalOperator{p: p, g: p.eval.groups[gi]}, nil
}

// Evaluate runs the group's rules that can match the value and records
// those that do; it never matches itself.
func (o *evalOperator) Evaluate(tx plugintypes.TransactionState, value string) bool {
	v, ok := o.p.states.Load(tx)
	if !ok {
		return false
	}
	o.p.eval.evalValue(v.(*pruneState), o.g, value)
	return false
}

// evalValue runs the group's rules that can match one value (as the
// group's rule reads it, transformed) and marks those that do in st.
func (e *evaluator) evalValue(st *pruneState, g *evalGroup, value string) {
	rules := e.rules
	if len(g.rules) == 1 {
		// A group of one (61 of 86: most rules have a transformation
		// chain of their own): the rule's own literal check, which stops
		// at the first literal found, instead of the group's pass.
		i := g.rules[0]
		if !st.matched[i] && rules[i].matchAlone(value) {
			st.matched[i] = true
		}
		return
	}
	// The candidates: every rule for a value outside ASCII (Unicode case
	// folding could match a literal there), else those without literals
	// and those whose literals the value holds.
	cand := st.cand[:0]
	if !ascii(value) {
		cand = append(cand, g.rules...)
	} else {
		cand = append(cand, g.always...)
		g.mOnce.Do(func() { g.m = literal.New(g.pats, true) })
		st.hits = g.m.Mark(value, st.hits)
		for pi, hit := range st.hits {
			if hit {
				cand = append(cand, g.patRules[pi]...)
			}
		}
	}
	// A rule with several of its literals in the value is a candidate
	// once (its operator ran once per literal found: 932235 5.9 times per
	// hostile request).
	slices.Sort(cand)
	cand = slices.Compact(cand)
	st.cand = cand
	// Measured and dropped: one RE2 set (go-re2/experimental) per group
	// deciding which of its patterns match in one pass, run when two or
	// more were candidates: 1.23-1.28 ms of CPU per hostile request
	// against 0.98-1.09 ms with each candidate's pattern alone, in the
	// same run of BenchmarkInspectHostile (why was not profiled further).
	for _, i := range cand {
		if !st.matched[i] && rules[i].match(value) {
			st.matched[i] = true
		}
	}
}

// matchAlone runs the rule's operator on a value no literal pass has
// seen: an @rx rule first looks for its literals (in an ASCII value).
func (r *evalRule) matchAlone(value string) bool {
	if r.rx != nil && r.rx.need != nil && ascii(value) && !r.rx.need.Any(value) {
		return false
	}
	return r.match(value)
}

// matchChecked is Coraza's rx without capture, whether the pattern
// matches, for a value in which the caller found one of the pattern's
// literals (see required) or which is not ASCII.
func (o *rxOperator) matchChecked(value string) bool {
	if o.short(value) {
		return false
	}
	if o.bin != nil {
		if o.binPrefix != "" {
			if !strings.Contains(value, o.binPrefix) {
				return false
			}
			if o.binWhole {
				return true
			}
		}
		return o.binMatch(value)
	}
	if m, ok := o.lazyDFA().matchString(value); ok {
		return m
	}
	o.reOnce.Do(func() {
		if re, err := re2.Compile(o.data); err == nil {
			o.re = re
		}
	})
	if o.re == nil {
		return o.std.MatchString(value)
	}
	if !utf8.ValidString(value) {
		value = runeBytes(value)
	}
	return o.re.MatchString(value)
}

// runeBytes is the value as Go's regexp reads it, in valid UTF-8: each
// byte that does not begin a valid UTF-8 sequence replaced by U+FFFD, the
// rune Go's regexp reads there (RE2 stops at such a byte instead). Go's
// regexp on the value and RE2 on runeBytes then see the same runes: a
// value outside UTF-8 (1 to 15 of every 2,000 hostile requests, per
// pattern) no longer costs Go's regexp on CRS's large alternations, 5 to
// 100 µs a call (TestInvalidUTF8OnRE2 compares them).
func runeBytes(v string) string {
	var b strings.Builder
	b.Grow(len(v) + 8)
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(v[i : i+n])
		}
		i += n
	}
	return b.String()
}

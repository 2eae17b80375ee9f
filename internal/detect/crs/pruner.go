package crs

import (
	"fmt"
	"io/fs"
	"path"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"

	"github.com/garda-id/garda/internal/detect/literal"
)

// A pruner decides, per request and in one pass over each value a rule
// group reads, which CRS rules can match at all, and removes the others
// from the transaction before Coraza evaluates them: what a regex set does
// in front of a WAF. In Coraza a rule that does not match still costs its
// variables, transformations, macro expansions and operator (about a
// microsecond each, with some 250 rules at paranoia level 2); removed, it
// costs a map look-up.
//
// It is exact by construction: every rule it may remove has an operator
// (@rx, @pm, @pmFromFile, @contains, @streq, @beginsWith, @endsWith) that
// can only match a text holding one of a set of literal strings, read from
// the operator's own pattern or phrases; and it looks for them in the very
// values the rule would be given, transformed by Coraza itself: for each
// phase and chain of transformations, one rule of ours (gardaPrune) reads
// the union of the variables of the rules sharing that chain with those
// transformations and marks the rules whose literals occur. A value with a
// byte outside ASCII marks every rule of its group (Unicode case folding
// could match a literal there). A last rule of each phase (gardaCommit)
// removes the rules left unmarked. A removed rule is one Coraza would
// have evaluated to no match, so verdicts are those of the whole rule set;
// TestPrunerKeepsVerdicts compares them on CRS's regression cases.
type pruner struct {
	key    int
	groups []*pruneGroup
	rules  []prunedRule // every rule it may remove
	states sync.Map     // the transaction -> *pruneState
	pool   sync.Pool
	// removed counts the rules removed, over all transactions (tests and
	// measurements read it).
	removed atomic.Int64
	// eval evaluates the rules moved out of Coraza (eval.go); nil when
	// none are.
	eval *evaluator
}

type prunedRule struct {
	id    int
	phase int
}

// pruneGroup is the rules of one phase sharing one transformation chain.
type pruneGroup struct {
	phase      int
	transforms []string // "none", "lowercase", ...: Coraza's names, in order
	vars       []string // the union of the rules' variables, negations dropped
	rules      []int    // indexes into pruner.rules
	m          *literal.Matcher
	patRules   [][]int32 // pattern -> indexes into pruner.rules
}

// pruneState is one transaction's marks: possible[i] when pruner.rules[i]
// may match.
type pruneState struct {
	possible []bool
	hits     []bool  // scratch: the patterns found in one value
	matched  []bool  // the evaluator's rules that matched
	cand     []int32 // scratch: the evaluator's candidates for one value
}

// Operators are registered once for the process (Coraza's registry is
// global); each detector's pruner is found by the key in the rule text.
var (
	registerPrune sync.Once
	prunersMu     sync.Mutex
	pruners       = map[int]*pruner{}
	prunerSeq     int
)

func lookupPruner(key int) *pruner {
	prunersMu.Lock()
	defer prunersMu.Unlock()
	return pruners[key]
}

// ruleTexts reads the SecRule directives of CRS files as Coraza's parser
// joins them (trimmed lines, a trailing backslash continues a line).
func ruleTexts(root fs.FS, files []string) ([]string, error) {
	var out []string
	for _, f := range files {
		b, err := fs.ReadFile(root, f)
		if err != nil {
			return nil, fmt.Errorf("read crs rules: %w", err)
		}
		var line strings.Builder
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || l[0] == '#' {
				continue
			}
			if strings.HasSuffix(l, "\\") {
				line.WriteString(strings.TrimSuffix(l, "\\"))
				continue
			}
			line.WriteString(l)
			if strings.HasPrefix(line.String(), "SecRule ") {
				out = append(out, line.String())
			}
			line.Reset()
		}
	}
	return out, nil
}

// ruleInfo is what the pruner reads from one CRS rule's text.
type ruleInfo struct {
	id         int
	phase      int
	vars       []string
	negated    bool   // !@op
	op, opArg  string // "rx", the pattern
	transforms []string
	multiMatch bool
	paranoia   int // the paranoia-level/N tag; 0 when none
	// What the evaluator (eval.go) needs besides: every action's name,
	// the tags, the severity's name and the setvar targets.
	actions  []string
	tags     []string
	severity string
	setvars  []string
}

// parseRule reads a SecRule's text as Coraza's parser does (variables,
// quoted operator, quoted actions).
func parseRule(raw string) (ruleInfo, bool) {
	var r ruleInfo
	rest, ok := strings.CutPrefix(strings.TrimSpace(raw), "SecRule ")
	if !ok {
		return r, false
	}
	rest = strings.TrimLeft(rest, " ")
	vars, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return r, false
	}
	rest = strings.TrimLeft(rest, " ")
	op, rest, ok := cutQuoted(rest)
	if !ok {
		return r, false
	}
	op = strings.ReplaceAll(op, `\"`, `"`)
	actions := strings.TrimSpace(rest)
	if len(actions) < 2 || actions[0] != '"' || actions[len(actions)-1] != '"' {
		return r, false
	}
	actions = actions[1 : len(actions)-1]
	for _, v := range strings.Split(vars, "|") {
		if v != "" {
			r.vars = append(r.vars, v)
		}
	}
	switch {
	case op == "" || op[0] != '@' && op[0] != '!':
		op = "@rx " + op
	case op[0] == '!' && (len(op) == 1 || op[1] != '@'):
		op = "!@rx " + op[1:]
	}
	if op[0] == '!' {
		r.negated, op = true, op[1:]
	}
	name, arg, _ := strings.Cut(op, " ")
	r.op, r.opArg = strings.TrimPrefix(strings.TrimSpace(name), "@"), strings.TrimSpace(arg)
	for _, a := range splitActions(actions) {
		k, v, _ := strings.Cut(a, ":")
		v = strings.Trim(v, "'")
		r.actions = append(r.actions, strings.TrimSpace(k))
		switch strings.TrimSpace(k) {
		case "severity":
			r.severity = v
		case "setvar":
			r.setvars = append(r.setvars, v)
		case "id":
			r.id, _ = strconv.Atoi(v)
		case "phase":
			switch v {
			case "request":
				r.phase = 2
			case "response":
				r.phase = 4
			case "logging":
				r.phase = 5
			default:
				r.phase, _ = strconv.Atoi(v)
			}
		case "t":
			if v == "none" {
				r.transforms = r.transforms[:0]
			}
			r.transforms = append(r.transforms, v)
		case "multiMatch":
			r.multiMatch = true
		case "tag":
			r.tags = append(r.tags, v)
			if n, ok := strings.CutPrefix(v, "paranoia-level/"); ok {
				r.paranoia, _ = strconv.Atoi(n)
			}
		}
	}
	return r, true
}

// cutQuoted cuts a double-quoted string off s, as Coraza's parser does:
// a quote ends it unless an odd number of backslashes precede it.
func cutQuoted(s string) (quoted, rest string, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return "", "", false
	}
	escapes := 0
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			escapes++
		case s[i] == '"' && escapes%2 == 0:
			return s[1:i], s[i+1:], true
		default:
			escapes = 0
		}
	}
	return "", "", false
}

// splitActions splits an action list on the commas outside single quotes.
func splitActions(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// literalsOf returns a set of strings (ASCII, lower-cased) at least one of
// which every text the rule's operator matches holds, or ok false when the
// operator gives none.
func literalsOf(r ruleInfo, root fs.FS) ([]string, bool) {
	if r.negated || strings.Contains(r.opArg, "%{") {
		return nil, false
	}
	switch r.op {
	case "rx":
		if op, err := compileRx(r.opArg); err == nil {
			return slices.Clone(op.required), op.requiredOK
		}
		re, err := syntax.Parse(r.opArg, syntax.Perl)
		if err != nil {
			return nil, false
		}
		return required(re.Simplify())
	case "pm":
		return asciiSet(strings.Fields(r.opArg))
	case "pmFromFile", "pmf":
		var phrases []string
		for _, name := range strings.Fields(r.opArg) {
			b, err := fs.ReadFile(root, path.Join("@owasp_crs", name))
			if err != nil {
				return nil, false
			}
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
					phrases = append(phrases, l)
				}
			}
		}
		return asciiSet(phrases)
	case "contains", "streq", "beginsWith", "endsWith":
		return asciiSet([]string{r.opArg})
	}
	return nil, false
}

// asciiSet lower-cases a set of literals; any empty or non-ASCII one
// leaves no requirement.
func asciiSet(ss []string) ([]string, bool) {
	if len(ss) == 0 {
		return nil, false
	}
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s == "" {
			return nil, false
		}
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return nil, false
			}
		}
		out = append(out, strings.ToLower(s))
	}
	slices.Sort(out)
	return slices.Compact(out), true
}

// Limits of the literal analysis: sets larger are not worth their scan.
const (
	maxExact    = 64  // strings a node may spell exactly
	maxRequired = 512 // strings of a requirement
	maxClass    = 12  // ASCII bytes a character class may stand for
	maxPattern  = 6   // bytes of a literal the pruner looks for
)

// minGroup is the fewest rules a transformation chain needs for the
// pruner to read its values (measured: BenchmarkInspectHostile).
const minGroup = 6

// required returns a set of strings at least one of which occurs in every
// text the regexp matches, ASCII lower-cased; ok is false when the
// analysis finds none. A part of a match spelled with a byte outside
// ASCII is not followed: the pruner gives up on such values altogether.
func required(re *syntax.Regexp) ([]string, bool) {
	if set, ok := exact(re); ok {
		return nonEmpty(set)
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s, ok := required(sub)
			if !ok {
				return nil, false
			}
			out = append(out, s...)
			if len(out) > maxRequired {
				return nil, false
			}
		}
		slices.Sort(out)
		return slices.Compact(out), true
	case syntax.OpConcat:
		// Runs of parts spelled exactly are joined (the product of their
		// spellings); each run and each other part is a candidate; the
		// best (longest shortest string, then fewest) wins.
		var best []string
		consider := func(set []string, ok bool) {
			if set, ok = nonEmpty(set); ok && better(set, best) {
				best = set
			}
		}
		run := []string{""}
		for _, sub := range re.Sub {
			if set, ok := exact(sub); ok && len(run)*len(set) <= maxExact {
				run = product(run, set)
				continue
			}
			consider(run, true)
			run = []string{""}
			if set, ok := exact(sub); ok {
				run = set
				continue
			}
			consider(required(sub))
		}
		consider(run, true)
		return best, best != nil
	}
	return nil, false
}

// better prefers the set whose shortest string is longer, then the smaller.
func better(a, b []string) bool {
	if b == nil {
		return true
	}
	la, lb := shortest(a), shortest(b)
	return la > lb || la == lb && len(a) < len(b)
}

func shortest(set []string) int {
	n := -1
	for _, s := range set {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

// nonEmpty is a requirement made of a set: none if a member is empty.
func nonEmpty(set []string) ([]string, bool) {
	if len(set) == 0 || len(set) > maxRequired {
		return nil, false
	}
	for _, s := range set {
		if s == "" {
			return nil, false
		}
	}
	return set, true
}

// exact returns every string (ASCII lower-cased) the node can match, when
// they are few: literals, small classes, zero-width assertions, and
// concatenations, alternations and options of those.
func exact(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpLiteral:
		b := make([]byte, 0, len(re.Rune))
		for _, r := range re.Rune {
			if r >= 0x80 {
				return nil, false
			}
			b = append(b, lowerByte[byte(r)])
		}
		return []string{string(b)}, true
	case syntax.OpCharClass:
		// The class's ASCII members: a match through one of its other
		// members holds a byte outside ASCII.
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], min(re.Rune[i+1], 0x7f)
			for c := lo; c <= hi; c++ {
				set = append(set, string(lowerByte[byte(c)]))
				if len(set) > 2*maxClass {
					return nil, false
				}
			}
		}
		slices.Sort(set)
		set = slices.Compact(set)
		if len(set) == 0 || len(set) > maxClass {
			return nil, false
		}
		return set, true
	case syntax.OpCapture:
		return exact(re.Sub[0])
	case syntax.OpQuest:
		set, ok := exact(re.Sub[0])
		if !ok || len(set)+1 > maxExact {
			return nil, false
		}
		return append(slices.Clone(set), ""), true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			set, ok := exact(sub)
			if !ok || len(out)*len(set) > maxExact {
				return nil, false
			}
			out = product(out, set)
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			set, ok := exact(sub)
			if !ok {
				return nil, false
			}
			out = append(out, set...)
			if len(out) > maxExact {
				return nil, false
			}
		}
		slices.Sort(out)
		return slices.Compact(out), true
	}
	return nil, false
}

func product(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// prunable reports whether the pruner may remove the rule: a detection
// rule of the request phases within the paranoia level, reading request
// variables (not TX, MATCHED_* or counts), not multiMatch (its operator
// also sees intermediate transformations).
func prunable(r ruleInfo, pl int) bool {
	if r.id < 911000 || r.id >= 949000 || r.phase < 1 || r.phase > 2 || r.multiMatch || r.paranoia > pl {
		return false
	}
	for _, v := range r.vars {
		v = strings.TrimPrefix(v, "!")
		if strings.HasPrefix(v, "&") || strings.HasPrefix(v, "TX") || strings.HasPrefix(v, "MATCHED_") {
			return false
		}
	}
	return true
}

// newPruner plans the pruning of the rules given (their texts, as Coraza
// loaded them) at a paranoia level, and returns it with the directives
// that run it, to be placed before every other rule.
func newPruner(rules []string, pl int, root fs.FS, eval *evaluator, skip []int) (*pruner, string) {
	registerPrune.Do(func() {
		plugins.RegisterOperator("gardaPrune", newPruneOperator)
		plugins.RegisterOperator("gardaCommit", newCommitOperator)
	})
	p := &pruner{eval: eval}
	type candidate struct {
		r   ruleInfo
		set []string
	}
	var keys []string
	byKey := map[string][]candidate{}
	for _, raw := range rules {
		r, ok := parseRule(raw)
		if !ok || !prunable(r, pl) || slices.Contains(skip, r.id) {
			continue
		}
		set, ok := literalsOf(r, root)
		if !ok {
			continue
		}
		key := fmt.Sprint(r.phase, r.transforms)
		if byKey[key] == nil {
			keys = append(keys, key)
		}
		byKey[key] = append(byKey[key], candidate{r, set})
	}
	lits := map[*pruneGroup][][]string{} // per group, per rule: its literals
	for _, key := range keys {
		cands := byKey[key]
		// A group's rule costs about what one of its rules does: a
		// group of few is not worth its pass.
		if len(cands) < minGroup {
			continue
		}
		g := &pruneGroup{phase: cands[0].r.phase, transforms: cands[0].r.transforms}
		p.groups = append(p.groups, g)
		for _, c := range cands {
			for _, v := range c.r.vars {
				if !strings.HasPrefix(v, "!") && !slices.Contains(g.vars, v) {
					g.vars = append(g.vars, v)
				}
			}
			g.rules = append(g.rules, len(p.rules))
			p.rules = append(p.rules, prunedRule{id: c.r.id, phase: c.r.phase})
			lits[g] = append(lits[g], c.set)
		}
	}
	for _, g := range p.groups {
		index := map[string]int{}
		var patterns []string
		for i, set := range lits[g] {
			for _, s := range set {
				// A literal's first bytes occur wherever it does: short
				// patterns keep the automaton small (its table in cache)
				// at the cost of a few more rules kept.
				s = s[:min(len(s), maxPattern)]
				n, ok := index[s]
				if !ok {
					n = len(patterns)
					index[s] = n
					patterns = append(patterns, s)
					g.patRules = append(g.patRules, nil)
				}
				g.patRules[n] = append(g.patRules[n], int32(g.rules[i]))
			}
		}
		g.m = literal.New(patterns, true)
	}
	p.pool.New = func() any {
		st := &pruneState{possible: make([]bool, len(p.rules)), hits: make([]bool, 0, 64)}
		if p.eval != nil {
			st.matched = make([]bool, len(p.eval.rules))
		}
		return st
	}

	prunersMu.Lock()
	prunerSeq++
	p.key = prunerSeq
	pruners[p.key] = p
	prunersMu.Unlock()

	var b strings.Builder
	id := 1
	for phase := 1; phase <= 2; phase++ {
		for gi, g := range p.groups {
			if g.phase != phase {
				continue
			}
			fmt.Fprintf(&b, "SecRule %s \"@gardaPrune %d:%d\" \"id:%d,phase:%d,pass,nolog", strings.Join(g.vars, "|"), p.key, gi, id, phase)
			for _, t := range g.transforms {
				fmt.Fprintf(&b, ",t:%s", t)
			}
			b.WriteString("\"\n")
			id++
		}
		fmt.Fprintf(&b, "SecRule REQUEST_METHOD \"@gardaCommit %d:%d\" \"id:%d,phase:%d,pass,nolog,t:none\"\n", p.key, phase, id, phase)
		id++
	}
	return p, b.String()
}

// begin and end bracket a transaction the pruner works in.
func (p *pruner) begin(tx any) *pruneState {
	st := p.pool.Get().(*pruneState)
	clear(st.possible)
	clear(st.matched)
	p.states.Store(tx, st)
	return st
}

func (p *pruner) end(tx any, st *pruneState) {
	p.states.Delete(tx)
	p.pool.Put(st)
}

// Stats: how many rules the pruner may remove.
func (p *pruner) size() int { return len(p.rules) }

type pruneOperator struct {
	p *pruner
	g *pruneGroup
}

func newPruneOperator(opts plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	var key, gi int
	if _, err := fmt.Sscanf(opts.Arguments, "%d:%d", &key, &gi); err != nil {
		return nil, fmt.Errorf("gardaPrune %q: %w", opts.Arguments, err)
	}
	p := lookupPruner(key)
	if p == nil || gi < 0 || gi >= len(p.groups) {
		return nil, fmt.Errorf("gardaPrune %q: no such group", opts.Arguments)
	}
	return &pruneOperator{p: p, g: p.groups[gi]}, nil
}

// Evaluate marks the rules whose literals the value holds; it never
// matches.
func (o *pruneOperator) Evaluate(tx plugintypes.TransactionState, value string) bool {
	v, ok := o.p.states.Load(tx)
	if !ok {
		return false
	}
	st := v.(*pruneState)
	for i := 0; i < len(value); i++ {
		if value[i] >= 0x80 {
			for _, r := range o.g.rules {
				st.possible[r] = true
			}
			return false
		}
	}
	st.hits = o.g.m.Mark(value, st.hits)
	for pi, hit := range st.hits {
		if hit {
			for _, r := range o.g.patRules[pi] {
				st.possible[r] = true
			}
		}
	}
	return false
}

type commitOperator struct {
	p     *pruner
	phase int
}

func newCommitOperator(opts plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	var key, phase int
	if _, err := fmt.Sscanf(opts.Arguments, "%d:%d", &key, &phase); err != nil {
		return nil, fmt.Errorf("gardaCommit %q: %w", opts.Arguments, err)
	}
	p := lookupPruner(key)
	if p == nil {
		return nil, fmt.Errorf("gardaCommit %q: no such pruner", opts.Arguments)
	}
	return &commitOperator{p: p, phase: phase}, nil
}

// ruleRemover is Coraza's transaction: ctl:ruleRemoveById's method.
type ruleRemover interface{ RemoveRuleByID(id int) }

// Evaluate removes the phase's rules left unmarked; it never matches.
func (o *commitOperator) Evaluate(tx plugintypes.TransactionState, _ string) bool {
	v, ok := o.p.states.Load(tx)
	if !ok {
		return false
	}
	rm, ok := tx.(ruleRemover)
	if !ok {
		return false
	}
	st := v.(*pruneState)
	n := 0
	for i, r := range o.p.rules {
		if r.phase == o.phase && !st.possible[i] {
			rm.RemoveRuleByID(r.id)
			n++
		}
	}
	o.p.removed.Add(int64(n))
	return false
}

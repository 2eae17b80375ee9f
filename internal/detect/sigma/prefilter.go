package sigma

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"

	"github.com/garda-id/garda/internal/event"
)

// The prefilter. For each rule, Compile derives from the condition a
// necessary condition: a set of atoms (a literal that must be the whole
// value, its start, its end, or occur in it, in a given field) at least
// one of which holds on every event the rule matches. Per event, Match
// finds the atoms that hold (one automaton scan per field) and evaluates
// only the rules that have one. A rule whose necessary condition cannot be
// expressed (a negation, a CIDR, a number) is evaluated on every event.

type atomKind uint8

const (
	akExact atomKind = iota
	akPrefix
	akSuffix
	akContains
)

func (k atomKind) String() string {
	return [...]string{"=", "^", "$", "~"}[k]
}

type atomKey struct {
	field event.Field
	kind  atomKind
	lit   string // lower-cased
}

func (a atomKey) String() string {
	return fmt.Sprintf("%s%s%q", a.field.ECS(), a.kind, a.lit)
}

// nec is a necessary condition: one of atoms holds, unless any (no
// literal is necessary). No atoms and not any means the rule can never
// match.
type nec struct {
	any   bool
	atoms []atomKey
}

var anyNec = nec{any: true}

func (n nec) never() bool { return !n.any && len(n.atoms) == 0 }

func necOr(a, b nec) nec {
	if a.any || b.any {
		return anyNec
	}
	out := nec{atoms: slices.Clone(a.atoms)}
	for _, x := range b.atoms {
		if !slices.Contains(out.atoms, x) {
			out.atoms = append(out.atoms, x)
		}
	}
	return out
}

// necAnd picks the most selective of conditions that must all hold.
func necAnd(list []nec) nec {
	best := anyNec
	for _, n := range list {
		if n.never() {
			return n
		}
		if !n.any && (best.any || better(n, best)) {
			best = n
		}
	}
	return best
}

// atomScore estimates how rarely an atom holds on ordinary traffic: longer
// literals are rarer, anchored ones more so, and an exact value of a
// low-cardinality field (GET, 200) or an empty value is common.
func atomScore(a atomKey) int {
	n := min(len(a.lit), 24)
	switch a.kind {
	case akExact:
		switch {
		case a.lit == "":
			return 0
		case lowCardinality(a.field):
			return 1
		}
		return 4 + n
	case akPrefix, akSuffix:
		return 1 + n
	}
	return n
}

func lowCardinality(f event.Field) bool {
	switch f {
	case event.HTTPMethod, event.StatusCode, event.HTTPVersion, event.URLExtension,
		event.EventOutcome, event.EventCategory, event.EventAction:
		return true
	}
	return false
}

func necScore(n nec) int {
	s := 1 << 30
	for _, a := range n.atoms {
		s = min(s, atomScore(a))
	}
	return s
}

func better(a, b nec) bool {
	sa, sb := necScore(a), necScore(b)
	return sa > sb || sa == sb && len(a.atoms) < len(b.atoms)
}

// deriveRule computes a rule's necessary condition.
func (s *Set) deriveRule(cr *crule) nec {
	return s.deriveNode(cr, cr.root)
}

func (s *Set) deriveNode(cr *crule, n *node) nec {
	switch n.op {
	case opRef:
		return s.deriveSearch(&cr.searches[n.ref])
	case opNot:
		return anyNec
	case opAnd:
		list := make([]nec, len(n.kids))
		for i, k := range n.kids {
			list[i] = s.deriveNode(cr, k)
		}
		return necAnd(list)
	default:
		out := nec{}
		for _, k := range n.kids {
			out = necOr(out, s.deriveNode(cr, k))
		}
		return out
	}
}

func (s *Set) deriveSearch(cs *csearch) nec {
	out := nec{}
	for _, it := range cs.items {
		list := make([]nec, len(it))
		for i, c := range it {
			list[i] = s.deriveCond(c)
		}
		out = necOr(out, necAnd(list))
	}
	return out
}

func (s *Set) deriveCond(c *ccond) nec {
	if c.neq {
		return anyNec
	}
	if c.fields[0] == noField {
		// The value is always empty: the condition is a constant, unless
		// it refers to another field.
		for _, g := range c.groups {
			for _, p := range g {
				if p.kind == pFieldRef {
					return anyNec
				}
			}
		}
		m := &Matcher{set: s, ev: &event.Event{}}
		if m.evalCond(c) {
			return anyNec
		}
		return nec{}
	}
	group := func(g []*cpat, fields []event.Field) nec {
		out := nec{}
		for _, p := range g {
			for _, f := range fields {
				out = necOr(out, derivePattern(p, f))
			}
		}
		return out
	}
	if c.keyword {
		// Each value may occur in any keyword field.
		return combineGroups(c, func(g []*cpat) nec { return group(g, c.fields) })
	}
	// A multi-field condition holds when it holds on one of its fields.
	out := nec{}
	for _, f := range c.fields {
		out = necOr(out, combineGroups(c, func(g []*cpat) nec { return group(g, []event.Field{f}) }))
	}
	return out
}

func combineGroups(c *ccond, group func([]*cpat) nec) nec {
	if c.all {
		list := make([]nec, len(c.groups))
		for i, g := range c.groups {
			list[i] = group(g)
		}
		return necAnd(list)
	}
	out := nec{}
	for _, g := range c.groups {
		out = necOr(out, group(g))
	}
	return out
}

func derivePattern(p *cpat, f event.Field) nec {
	lit := p.lit
	if p.cased {
		lit = lowerString(lit)
	}
	one := func(k atomKind, l string) nec { return nec{atoms: []atomKey{{f, k, l}}} }
	switch p.kind {
	case pNull:
		return one(akExact, "")
	case pEqual:
		return one(akExact, lit)
	case pPrefix, pSuffix, pContains:
		if lit == "" {
			return anyNec
		}
		return one([...]atomKind{pPrefix: akPrefix, pSuffix: akSuffix, pContains: akContains}[p.kind], lit)
	case pGlob:
		return deriveGlob(p, f)
	case pRegex:
		if p.re.MatchString("") {
			return anyNec
		}
		lits, ok := regexLiterals(p.re.String())
		if !ok {
			return anyNec
		}
		out := nec{}
		for _, l := range lits {
			out = necOr(out, one(akContains, l))
		}
		return out
	case pExists:
		if !p.exists {
			return one(akExact, "")
		}
	}
	return anyNec
}

// deriveGlob picks the best of a glob's leading literal (a prefix), its
// trailing literal (a suffix) and its longest inner literal.
func deriveGlob(p *cpat, f event.Field) nec {
	lower := func(s string) string {
		if p.cased {
			return lowerString(s)
		}
		return s
	}
	best := anyNec
	try := func(k atomKind, l string) {
		if l == "" {
			return
		}
		n := nec{atoms: []atomKey{{f, k, lower(l)}}}
		if best.any || better(n, best) {
			best = n
		}
	}
	g := p.glob
	if !g.lead && len(g.segs) > 0 && g.segs[0][0].kind == partLit {
		try(akPrefix, g.segs[0][0].text)
	}
	if !g.trail && len(g.segs) > 0 {
		last := g.segs[len(g.segs)-1]
		if last[len(last)-1].kind == partLit {
			try(akSuffix, last[len(last)-1].text)
		}
	}
	for _, seg := range g.segs {
		for _, x := range seg {
			if x.kind == partLit {
				try(akContains, x.text)
			}
		}
	}
	return best
}

// regexLiterals returns lower-cased literals one of which occurs in every
// match of the expression, if it can tell.
func regexLiterals(expr string) ([]string, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	info := analyzeRegex(re.Simplify())
	if !info.needOK {
		return nil, false
	}
	return info.need, true
}

// maxLitSet bounds the literal sets tracked through a regular expression.
const maxLitSet = 64

// litInfo describes what a regular expression node matches: exact is the
// complete (small) set of strings it matches, when known; need is a set of
// non-empty literals one of which occurs in every match, when known.
type litInfo struct {
	exact   []string
	exactOK bool
	need    []string
	needOK  bool
}

func exactInfo(set []string) litInfo {
	info := litInfo{exact: set, exactOK: true}
	if len(set) > 0 && !slices.Contains(set, "") {
		info.need, info.needOK = set, true
	}
	return info
}

func analyzeRegex(re *syntax.Regexp) litInfo {
	switch re.Op {
	case syntax.OpLiteral:
		return exactInfo([]string{lowerString(string(re.Rune))})
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > maxLitSet {
				return litInfo{}
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if l := lowerString(string(r)); !slices.Contains(set, l) {
					set = append(set, l)
				}
			}
			if len(set) > 8 {
				return litInfo{}
			}
		}
		return exactInfo(set)
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return exactInfo([]string{""})
	case syntax.OpCapture:
		return analyzeRegex(re.Sub[0])
	case syntax.OpQuest:
		sub := analyzeRegex(re.Sub[0])
		if sub.exactOK {
			set := slices.Clone(sub.exact)
			if !slices.Contains(set, "") {
				set = append(set, "")
			}
			return exactInfo(set)
		}
		return litInfo{}
	case syntax.OpPlus:
		sub := analyzeRegex(re.Sub[0])
		return litInfo{need: sub.need, needOK: sub.needOK}
	case syntax.OpRepeat:
		if re.Min >= 1 {
			sub := analyzeRegex(re.Sub[0])
			return litInfo{need: sub.need, needOK: sub.needOK}
		}
		return litInfo{}
	case syntax.OpConcat:
		return analyzeConcat(re.Sub)
	case syntax.OpAlternate:
		out := litInfo{exactOK: true, needOK: true}
		for _, sub := range re.Sub {
			si := analyzeRegex(sub)
			if out.exactOK && si.exactOK {
				out.exact = unionCapped(out.exact, si.exact)
				out.exactOK = len(out.exact) <= maxLitSet
			} else {
				out.exactOK = false
			}
			if out.needOK && si.needOK {
				out.need = unionCapped(out.need, si.need)
			} else {
				out.needOK = false
			}
		}
		if out.exactOK && len(out.exact) > 0 && !slices.Contains(out.exact, "") {
			// The exact strings are as good a need set, and longer.
			if !out.needOK || minLen(out.exact) > minLen(out.need) {
				out.need, out.needOK = out.exact, true
			}
		}
		return out
	}
	return litInfo{}
}

// analyzeConcat joins runs of exact parts by cross product ("." then
// "zip|asp" then "?d=" gives ".zip?d=", ".asp?d="), and picks the best
// necessary set among the runs and the inexact parts.
func analyzeConcat(subs []*syntax.Regexp) litInfo {
	var best []string
	consider := func(set []string) {
		if len(set) == 0 || slices.Contains(set, "") {
			return
		}
		if best == nil || minLen(set) > minLen(best) || minLen(set) == minLen(best) && len(set) < len(best) {
			best = set
		}
	}
	run := []string{""}
	allExact := true
	for _, sub := range subs {
		si := analyzeRegex(sub)
		if si.exactOK && len(run)*len(si.exact) <= maxLitSet {
			var next []string
			for _, a := range run {
				for _, b := range si.exact {
					if s := a + b; !slices.Contains(next, s) {
						next = append(next, s)
					}
				}
			}
			run = next
			continue
		}
		allExact = false
		consider(run)
		run = []string{""}
		if si.exactOK {
			run = si.exact
		} else if si.needOK {
			consider(si.need)
		}
	}
	consider(run)
	if allExact {
		return exactInfo(run)
	}
	if best == nil {
		return litInfo{}
	}
	return litInfo{need: best, needOK: true}
}

func unionCapped(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func minLen(set []string) int {
	m := 1 << 30
	for _, s := range set {
		m = min(m, len(s))
	}
	return m
}

// atom is an indexed atom and the rules it admits.
type atom struct {
	key   atomKey
	rules []int32
}

// fieldIndex holds the atoms of one field.
type fieldIndex struct {
	field event.Field
	// ac finds the substring literals of this field and, for a field
	// that covers others (url.original covers url.path and url.query),
	// theirs too.
	ac      *automaton
	acAtoms [][]int32 // per automaton literal: the atoms it proves
	// own is the automaton over this field's substring literals alone,
	// used when the field is covered by another but its value turns out
	// not to be part of the other's.
	own       *automaton
	ownAtoms  [][]int32
	coveredBy event.Field // noField when none
	exact     [][]anchoredLit
	prefix    [256][]anchoredLit
	suffix    [256][]anchoredLit
	empty     int32 // the atom "value is empty", or -1
	anchored  bool  // has exact, prefix or suffix literals
}

type anchoredLit struct {
	lit  string
	atom int32
}

// covers lists fields whose value is normally part of another's (url.path
// and url.query are parts of url.original), so that one scan of the
// larger serves both. Match checks that it is so for each event.
var covers = map[event.Field]event.Field{event.URLPath: event.URLOriginal, event.URLQuery: event.URLOriginal}

func (s *Set) buildPrefilter() {
	s.always = make([]uint64, s.words)
	atomIDs := map[atomKey]int32{}
	for i, cr := range s.rules {
		cr.nec = s.deriveRule(cr)
		switch {
		case cr.nec.any:
			s.always[i/64] |= 1 << (i % 64)
			continue
		case cr.nec.never():
			s.never = append(s.never, i)
			continue
		}
		for _, a := range cr.nec.atoms {
			id, ok := atomIDs[a]
			if !ok {
				id = int32(len(s.atoms))
				atomIDs[a] = id
				s.atoms = append(s.atoms, atom{key: a})
			}
			if r := s.atoms[id].rules; len(r) == 0 || r[len(r)-1] != int32(i) {
				s.atoms[id].rules = append(s.atoms[id].rules, int32(i))
			}
		}
	}

	index := func(f event.Field) *fieldIndex {
		if s.byField[f] == nil {
			cov, ok := covers[f]
			if !ok {
				cov = noField
			}
			s.byField[f] = &fieldIndex{field: f, empty: -1, coveredBy: cov}
		}
		return s.byField[f]
	}
	type litSet struct {
		lits  []string
		atoms [][]int32
		pos   map[string]int
	}
	addLit := func(ls *litSet, lit string, id int32) {
		if ls.pos == nil {
			ls.pos = map[string]int{}
		}
		i, ok := ls.pos[lit]
		if !ok {
			i = len(ls.lits)
			ls.pos[lit] = i
			ls.lits = append(ls.lits, lit)
			ls.atoms = append(ls.atoms, nil)
		}
		ls.atoms[i] = append(ls.atoms[i], id)
	}
	scanSets := map[event.Field]*litSet{}
	ownSets := map[event.Field]*litSet{}
	for id, a := range s.atoms {
		fi := index(a.key.field)
		id := int32(id)
		switch a.key.kind {
		case akExact:
			if a.key.lit == "" {
				fi.empty = id
				continue
			}
			n := len(a.key.lit)
			for len(fi.exact) <= n {
				fi.exact = append(fi.exact, nil)
			}
			fi.exact[n] = append(fi.exact[n], anchoredLit{a.key.lit, id})
			fi.anchored = true
		case akPrefix:
			c := a.key.lit[0]
			fi.prefix[c] = append(fi.prefix[c], anchoredLit{a.key.lit, id})
			fi.anchored = true
		case akSuffix:
			c := a.key.lit[len(a.key.lit)-1]
			fi.suffix[c] = append(fi.suffix[c], anchoredLit{a.key.lit, id})
			fi.anchored = true
		case akContains:
			target := a.key.field
			if fi.coveredBy != noField {
				target = fi.coveredBy
				index(target)
				if ownSets[a.key.field] == nil {
					ownSets[a.key.field] = &litSet{}
				}
				addLit(ownSets[a.key.field], a.key.lit, id)
			}
			if scanSets[target] == nil {
				scanSets[target] = &litSet{}
			}
			addLit(scanSets[target], a.key.lit, id)
		}
	}
	// Fields with the same literals (referrer and message often carry only
	// keyword literals) share one automaton.
	built := map[string]*automaton{}
	automatonFor := func(lits []string) *automaton {
		key := strings.Join(lits, "\x00")
		if a, ok := built[key]; ok {
			return a
		}
		a := newAutomaton(lits)
		built[key] = a
		return a
	}
	for f, ls := range scanSets {
		fi := s.byField[f]
		fi.ac, fi.acAtoms = automatonFor(ls.lits), ls.atoms
	}
	for f, ls := range ownSets {
		fi := s.byField[f]
		fi.own, fi.ownAtoms = automatonFor(ls.lits), ls.atoms
	}
	s.linkKnownAtoms(atomIDs)
	// Scan covering fields first, so that covered fields know whether
	// their substring literals were already looked for.
	for f := event.Field(0); int(f) < event.NumFields; f++ {
		if fi := s.byField[f]; fi != nil && fi.coveredBy == noField {
			s.indexes = append(s.indexes, fi)
		}
	}
	for f := event.Field(0); int(f) < event.NumFields; f++ {
		if fi := s.byField[f]; fi != nil && fi.coveredBy != noField {
			s.indexes = append(s.indexes, fi)
		}
	}
}

// linkKnownAtoms tells each test of a literal that the prefilter looks
// for anyway (for this rule or another) which atom answers it, so that
// evaluating a candidate need not search the field again. The automaton
// verifies every hit against the whole literal, so an atom's state is the
// test's exact result, except for substrings of a covered field
// (url.path, url.query), which may have been found in the covering one.
func (s *Set) linkKnownAtoms(ids map[atomKey]int32) {
	for _, cr := range s.rules {
		for _, cs := range cr.searches {
			for _, it := range cs.items {
				for _, c := range it {
					for _, g := range c.groups {
						for _, p := range g {
							s.linkPattern(p, c.fields, ids)
						}
					}
				}
			}
		}
	}
}

func (s *Set) linkPattern(p *cpat, fields []event.Field, ids map[atomKey]int32) {
	var kind atomKind
	switch {
	case p.cased:
		return
	case p.kind == pNull:
		kind = akExact
	case p.kind == pEqual:
		kind = akExact
	case p.kind == pPrefix && p.lit != "":
		kind = akPrefix
	case p.kind == pSuffix && p.lit != "":
		kind = akSuffix
	case p.kind == pContains && p.lit != "":
		kind = akContains
	default:
		return
	}
	p.known = p.known[:0]
	for _, f := range fields {
		if _, covered := covers[f]; f == noField || kind == akContains && covered {
			continue
		}
		if id, ok := ids[atomKey{f, kind, p.lit}]; ok {
			p.known = append(p.known, knownAtom{f, id})
		}
	}
}

// Stats describes how a Set prefilters.
type Stats struct {
	Rules int
	// Literals counts, per field (ECS name), the literals the prefilter
	// looks for, substring literals in its automaton and anchored ones.
	Literals map[string]int
	// States counts the automaton states per field.
	States map[string]int
	// AlwaysEvaluated are the rules with no usable literal, evaluated on
	// every event.
	AlwaysEvaluated []string
	// NeverMatch are the rules that cannot match under the field map
	// (they need a field it does not map).
	NeverMatch []string
}

// Stats describes the prefilter.
func (s *Set) Stats() Stats {
	st := Stats{Rules: len(s.rules), Literals: map[string]int{}, States: map[string]int{}}
	for _, a := range s.atoms {
		st.Literals[a.key.field.ECS()]++
	}
	for _, fi := range s.indexes {
		if fi.ac != nil {
			st.States[fi.field.ECS()] = fi.ac.states()
		}
	}
	for i, cr := range s.rules {
		if s.always[i/64]&(1<<(i%64)) != 0 {
			st.AlwaysEvaluated = append(st.AlwaysEvaluated, ruleLabel(cr.rule))
		}
	}
	for _, i := range s.never {
		st.NeverMatch = append(st.NeverMatch, ruleLabel(s.rules[i].rule))
	}
	sort.Strings(st.AlwaysEvaluated)
	sort.Strings(st.NeverMatch)
	return st
}

// Prefilter describes rule i's necessary condition: "always", "never", or
// the atoms one of which must hold (field=exact, field^prefix,
// field$suffix, field~substring).
func (s *Set) Prefilter(i int) string {
	n := s.rules[i].nec
	switch {
	case n.any:
		return "always"
	case n.never():
		return "never"
	}
	parts := make([]string, len(n.atoms))
	for j, a := range n.atoms {
		parts[j] = a.String()
	}
	return strings.Join(parts, " | ")
}

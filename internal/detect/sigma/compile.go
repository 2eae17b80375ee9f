package sigma

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/garda-id/garda/internal/event"
)

// Set is a compiled set of rules: read-only, shared by any number of
// Matchers.
type Set struct {
	rules    []*crule
	words    int      // length of a rule bitset
	always   []uint64 // rules evaluated on every event (no usable literal)
	never    []int    // rules that cannot match under the field map
	atoms    []atom
	indexes  []*fieldIndex // fields with literals, in scan order
	byField  [event.NumFields]*fieldIndex
	memo     int // memo slots per field (0: off)
	unmapped []Unmapped
	kwFields []event.Field
}

// crule is one compiled rule.
type crule struct {
	rule     *Rule
	searches []csearch
	root     *node
	nec      nec // the prefilter's necessary condition
}

// csearch is a compiled search identifier: OR of items, each an AND of
// conditions.
type csearch struct {
	items [][]*ccond
}

// noField stands for an unmapped field: its value is always empty.
const noField = event.Field(255)

// ccond is a compiled field condition.
type ccond struct {
	spec    *condSpec
	name    string        // the rule's field name ("" for keywords)
	fields  []event.Field // mapped fields (OR), keyword fields, or {noField}
	keyword bool
	all     bool
	neq     bool
	groups  [][]*cpat // one group per value: its alternatives (OR)
}

type patKind uint8

const (
	pEqual patKind = iota
	pPrefix
	pSuffix
	pContains
	pGlob
	pAny // * alone: anything, including empty
	pNull
	pRegex
	pCIDR
	pNumber
	pExists
	pFieldRef
)

// cpat is one compiled value: a test of one field's value.
type cpat struct {
	kind   patKind
	cased  bool
	lit    string // pEqual..pContains: lower-cased unless cased
	glob   glob   // pGlob: literals lower-cased unless cased
	src    sstr   // the value before lower-casing (tests, display)
	re     *regexp.Regexp
	pfx    netip.Prefix
	cmp    cmpOp
	num    float64
	exists bool
	refs   []event.Field // pFieldRef
	refPos position
	// known lists the fields on which the prefilter establishes this
	// test exactly (the literal is one of its atoms), with the atom.
	known []knownAtom
}

type knownAtom struct {
	field event.Field
	atom  int32
}

// Unmapped is a rule field name with no event field, and the rules using
// it.
type Unmapped struct {
	Field string
	Rules []string // rule ids (titles when a rule has no id)
}

// Compile compiles rules for matching. Every rule is compiled or the whole
// call fails, naming each rule that could not be.
func Compile(rules []*Rule, opts Options) (*Set, error) {
	env, err := newCompileEnv(opts)
	if err != nil {
		return nil, err
	}
	s := &Set{
		words:    (len(rules) + 63) / 64,
		kwFields: env.kwFields,
		memo:     opts.MemoSlots,
	}
	if s.memo == 0 {
		s.memo = 256
	}
	if s.memo < 0 {
		s.memo = 0
	}
	var errs []error
	unmapped := map[string][]string{}
	for _, r := range rules {
		cr, err := env.compileRule(r, unmapped)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ruleName(r), err))
			continue
		}
		s.rules = append(s.rules, cr)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for name, ids := range unmapped {
		s.unmapped = append(s.unmapped, Unmapped{Field: name, Rules: ids})
	}
	sort.Slice(s.unmapped, func(i, j int) bool { return s.unmapped[i].Field < s.unmapped[j].Field })
	s.buildPrefilter()
	return s, nil
}

func ruleName(r *Rule) string {
	switch {
	case r.Source != "":
		return r.Source
	case r.ID != "":
		return "rule " + r.ID
	}
	return fmt.Sprintf("rule %q", r.Title)
}

func ruleLabel(r *Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Title
}

type compileEnv struct {
	fields       FieldMap
	folded       map[string][]event.Field
	kwFields     []event.Field
	placeholders map[string][]string
}

func newCompileEnv(opts Options) (*compileEnv, error) {
	env := &compileEnv{fields: opts.FieldMap, kwFields: opts.KeywordFields, placeholders: opts.Placeholders}
	if env.fields == nil {
		env.fields = WebFieldMap
	}
	if env.kwFields == nil {
		env.kwFields = DefaultKeywordFields
	}
	if len(env.kwFields) == 0 {
		return nil, errors.New("sigma: Options.KeywordFields is empty: keyword searches would never match")
	}
	names := make([]string, 0, len(env.fields))
	for k, fs := range env.fields {
		for _, f := range fs {
			if int(f) >= event.NumFields {
				return nil, fmt.Errorf("sigma: field map: %q maps to field %d, which does not exist", k, f)
			}
		}
		names = append(names, k)
	}
	sort.Strings(names) // so that case-insensitive collisions resolve the same way every time
	env.folded = map[string][]event.Field{}
	for _, k := range names {
		lk := strings.ToLower(k)
		if _, ok := env.folded[lk]; !ok {
			env.folded[lk] = env.fields[k]
		}
	}
	return env, nil
}

func (env *compileEnv) lookup(name string) ([]event.Field, bool) {
	if fs, ok := env.fields[name]; ok && len(fs) > 0 {
		return fs, true
	}
	fs, ok := env.folded[strings.ToLower(name)]
	return fs, ok && len(fs) > 0
}

func (env *compileEnv) compileRule(r *Rule, unmapped map[string][]string) (*crule, error) {
	if r.cond == nil {
		return nil, errors.New("rule was not built by Parse")
	}
	cr := &crule{rule: r, root: r.cond}
	for _, s := range r.Detection.Searches {
		var cs csearch
		for _, it := range s.Items {
			var conds []*ccond
			for i := range it.Conds {
				fc := &it.Conds[i]
				c, err := env.compileCond(fc)
				if err != nil {
					return nil, fmt.Errorf("search %q: %s: %w", s.Name, fc.key(), err)
				}
				if c.fields[0] == noField && !c.keyword {
					ids := unmapped[fc.Field]
					if !slices.Contains(ids, ruleLabel(r)) {
						unmapped[fc.Field] = append(ids, ruleLabel(r))
					}
				}
				for _, g := range c.groups {
					for _, p := range g {
						if p.kind == pFieldRef && len(p.refs) == 1 && p.refs[0] == noField {
							ids := unmapped[p.src.String()]
							if !slices.Contains(ids, ruleLabel(r)) {
								unmapped[p.src.String()] = append(ids, ruleLabel(r))
							}
						}
					}
				}
				conds = append(conds, c)
			}
			cs.items = append(cs.items, conds)
		}
		cr.searches = append(cr.searches, cs)
	}
	return cr, nil
}

func (env *compileEnv) compileCond(fc *FieldCond) (*ccond, error) {
	spec := fc.spec
	if spec == nil {
		var err error
		if spec, err = newCondSpec(fc); err != nil {
			return nil, err
		}
	}
	c := &ccond{spec: spec, name: fc.Field, keyword: spec.keyword, all: spec.all, neq: spec.neq}
	switch {
	case c.keyword:
		c.fields = env.kwFields
	default:
		if fs, ok := env.lookup(fc.Field); ok {
			c.fields = fs
		} else {
			c.fields = []event.Field{noField}
		}
	}
	for _, v := range spec.vals {
		var g []*cpat
		switch {
		case v.null:
			g = []*cpat{{kind: pNull, src: sstr{}}}
		case spec.typ == ctString:
			for _, a := range v.alts {
				expanded, err := env.expand(a)
				if err != nil {
					return nil, err
				}
				for _, e := range expanded {
					g = append(g, newStringPattern(e, spec.cased))
				}
			}
		case spec.typ == ctRegex:
			g = []*cpat{{kind: pRegex, re: v.re, src: sstr{{kind: partLit, text: v.orig}}}}
		case spec.typ == ctCIDR:
			g = []*cpat{{kind: pCIDR, pfx: v.pfx, src: sstr{{kind: partLit, text: v.orig}}}}
		case spec.typ == ctNumber:
			g = []*cpat{{kind: pNumber, cmp: v.cmp, num: v.num, src: sstr{{kind: partLit, text: v.orig}}}}
		case spec.typ == ctExists:
			g = []*cpat{{kind: pExists, exists: v.exists, src: sstr{{kind: partLit, text: v.orig}}}}
		case spec.typ == ctFieldRef:
			refs, ok := env.lookup(v.ref)
			if !ok {
				refs = []event.Field{noField}
			}
			g = []*cpat{{kind: pFieldRef, refs: refs, refPos: v.refPos, cased: spec.cased, src: sstr{{kind: partLit, text: v.ref}}}}
		}
		c.groups = append(c.groups, g)
	}
	return c, nil
}

// expand replaces placeholders by their values (each value a Sigma string,
// so it may carry wildcards): one alternative per combination.
func (env *compileEnv) expand(a sstr) ([]sstr, error) {
	if !a.hasPlaceholder() {
		return []sstr{a}, nil
	}
	out := []sstr{nil}
	for _, p := range a {
		if p.kind != partPlaceholder {
			for i := range out {
				out[i] = append(out[i], p)
			}
			continue
		}
		vals, ok := env.placeholders[p.text]
		if !ok {
			return nil, fmt.Errorf("unknown placeholder %%%s%% (give its values in Options.Placeholders)", p.text)
		}
		if len(vals) == 0 {
			return nil, fmt.Errorf("placeholder %%%s%% has no values", p.text)
		}
		next := make([]sstr, 0, len(out)*len(vals))
		for _, o := range out {
			for _, v := range vals {
				next = append(next, append(append(sstr(nil), o...), parseSigmaString(v)...))
			}
		}
		if len(next) > maxAlternatives {
			return nil, fmt.Errorf("placeholder %%%s%% expands to too many values", p.text)
		}
		out = next
	}
	for i := range out {
		out[i] = normalize(out[i])
	}
	return out, nil
}

// normalize merges adjacent literals and stars.
func normalize(s sstr) sstr {
	var out sstr
	for _, p := range s {
		switch {
		case p.kind == partLit && p.text == "":
		case p.kind == partLit && len(out) > 0 && out[len(out)-1].kind == partLit:
			out[len(out)-1].text += p.text
		case p.kind == partStar && len(out) > 0 && out[len(out)-1].kind == partStar:
		default:
			out = append(out, p)
		}
	}
	return out
}

func newStringPattern(a sstr, cased bool) *cpat {
	a = normalize(a)
	p := &cpat{cased: cased, src: a}
	low := func(s string) string {
		if cased {
			return s
		}
		return lowerString(s)
	}
	hasOne := false
	stars := 0
	for _, x := range a {
		switch x.kind {
		case partOne:
			hasOne = true
		case partStar:
			stars++
		}
	}
	switch {
	case len(a) == 0:
		p.kind = pEqual
	case len(a) == 1 && a[0].kind == partStar:
		p.kind = pAny
	case !hasOne && stars == 0:
		p.kind, p.lit = pEqual, low(a[0].text)
	case !hasOne && len(a) == 2 && a[0].kind == partStar:
		p.kind, p.lit = pSuffix, low(a[1].text)
	case !hasOne && len(a) == 2 && a[1].kind == partStar:
		p.kind, p.lit = pPrefix, low(a[0].text)
	case !hasOne && len(a) == 3 && a[0].kind == partStar && a[2].kind == partStar:
		p.kind, p.lit = pContains, low(a[1].text)
	default:
		p.kind = pGlob
		p.glob = newGlob(a.mapLiterals(low))
	}
	return p
}

// Rules returns the compiled rules, in the order given to Compile.
func (s *Set) Rules() []*Rule {
	out := make([]*Rule, len(s.rules))
	for i, cr := range s.rules {
		out[i] = cr.rule
	}
	return out
}

// Len is the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Unmapped lists the rule field names that the field map does not know,
// with the rules that use them. Conditions on them see an empty value.
func (s *Set) Unmapped() []Unmapped { return s.unmapped }

package sigma

import (
	"fmt"
	"net/netip"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/event"
)

// The generator builds, from a compiled rule, events it must match: it
// picks a way to make the condition true (the searches that must hold and
// the ones that must not), gives each field a value satisfying the
// conditions on it (a literal embedded in a URL for contains, an example
// string for a regular expression), and keeps the first event the rule
// really matches. It tries the alternatives in order: the items of a
// search, the values of a list, the fields a name maps to.

// plan is one way to make a condition true: conditions that must hold
// and conditions that must not.
type plan struct {
	pos []*ccond
	neg []*ccond
}

const maxPlans = 64

func plansFor(cr *crule, n *node, want bool) []plan {
	switch n.op {
	case opRef:
		s := &cr.searches[n.ref]
		if want {
			var out []plan
			for _, it := range s.items {
				out = append(out, plan{pos: it})
			}
			return out
		}
		// Every item false: one condition of each item false.
		out := []plan{{}}
		for _, it := range s.items {
			var next []plan
			for _, p := range out {
				for _, c := range it {
					next = append(next, plan{pos: p.pos, neg: append(slices.Clone(p.neg), c)})
				}
			}
			out = capPlans(next)
		}
		return out
	case opNot:
		return plansFor(cr, n.kids[0], !want)
	}
	product := n.op == opAnd == want // and-true and or-false need every child
	if !product {
		var out []plan
		for _, k := range n.kids {
			out = append(out, plansFor(cr, k, want)...)
		}
		return capPlans(out)
	}
	out := []plan{{}}
	for _, k := range n.kids {
		var next []plan
		for _, a := range out {
			for _, b := range plansFor(cr, k, want) {
				next = append(next, plan{pos: append(slices.Clone(a.pos), b.pos...), neg: append(slices.Clone(a.neg), b.neg...)})
			}
		}
		out = capPlans(next)
	}
	return out
}

func capPlans(p []plan) []plan {
	if len(p) > maxPlans {
		return p[:maxPlans]
	}
	return p
}

// fieldValue accumulates what a field's value must be.
type fieldValue struct {
	exact    *string
	prefix   string
	suffix   string
	contains []string
}

type builder struct {
	vals    map[event.Field]*fieldValue
	refs    map[event.Field]event.Field // fieldref: copy from
	variant int
}

func (b *builder) field(f event.Field) *fieldValue {
	if b.vals[f] == nil {
		b.vals[f] = &fieldValue{}
	}
	return b.vals[f]
}

// constrain makes one condition hold, using the variant-th alternative
// where there is a choice.
func (b *builder) constrain(c *ccond, hand map[string]string) bool {
	groups := c.groups
	if !c.all {
		g := groups[b.variant%len(groups)]
		groups = [][]*cpat{g}
	}
	// Of several fields, try first the one a parser would put such a
	// value in: the query for an anchored value, the whole target for a
	// substring.
	fields := slices.Clone(c.fields)
	if k := groups[0][0].kind; len(fields) > 1 && !c.keyword && k != pPrefix && k != pEqual && k != pNull {
		slices.Reverse(fields)
	}
	f := fields[b.variant/len(c.groups)%len(fields)]
	if f == noField {
		return false
	}
	if c.neq {
		b.field(f).contains = append(b.field(f).contains, "garda-other")
		return true
	}
	for _, g := range groups {
		p := g[(b.variant/7)%len(g)]
		if !b.constrainPattern(p, f, hand) {
			return false
		}
	}
	return true
}

func (b *builder) constrainPattern(p *cpat, f event.Field, hand map[string]string) bool {
	fv := b.field(f)
	set := func(s string) { fv.exact = &s }
	switch p.kind {
	case pNull:
		set("")
	case pAny:
		fv.contains = append(fv.contains, "any")
	case pEqual:
		lit, _ := p.src.plainText()
		set(lit)
	case pPrefix:
		fv.prefix = p.src[0].text + fv.prefix
	case pSuffix:
		fv.suffix += p.src[1].text
	case pContains:
		fv.contains = append(fv.contains, p.src[1].text)
	case pGlob:
		var sb strings.Builder
		for _, x := range p.src {
			switch x.kind {
			case partLit:
				sb.WriteString(x.text)
			case partOne:
				sb.WriteString("?") // any character will do; in URLs this one reads naturally
			}
		}
		lead, trail := p.src.startsWithStar(), p.src.endsWithStar()
		switch {
		case !lead && !trail:
			set(sb.String())
		case !lead:
			fv.prefix = sb.String() + fv.prefix
		case !trail:
			fv.suffix += sb.String()
		default:
			fv.contains = append(fv.contains, sb.String())
		}
	case pRegex:
		ex, ok := hand[p.re.String()]
		if !ok {
			ex = regexExample(p.re.String())
		}
		if !p.re.MatchString(ex) {
			return false
		}
		fv.contains = append(fv.contains, ex)
	case pCIDR:
		set(p.pfx.Addr().String())
	case pNumber:
		n := p.num
		switch p.cmp {
		case cmpGT:
			n++
		case cmpLT:
			n--
		}
		set(strconv.FormatFloat(n, 'f', -1, 64))
	case pExists:
		if p.exists {
			fv.contains = append(fv.contains, "present")
		} else {
			set("")
		}
	case pFieldRef:
		b.refs[f] = p.refs[0]
		if b.vals[p.refs[0]] == nil {
			b.field(p.refs[0]).contains = append(b.field(p.refs[0]).contains, "garda-ref")
		}
	}
	return true
}

// value composes a field's value: for URLs, a path with the literals as
// query parameters; elsewhere the literals separated by spaces.
func (fv *fieldValue) value(f event.Field) string {
	if fv.exact != nil {
		return *fv.exact
	}
	url := f == event.URLOriginal || f == event.URLPath
	v := fv.prefix
	if v == "" && url && (len(fv.contains) == 0 || !strings.HasPrefix(fv.contains[0], "/")) {
		v = "/garda/"
	}
	for i, c := range fv.contains {
		switch {
		case i == 0 || !url:
			if i > 0 {
				v += " "
			}
		case strings.Contains(v, "?"):
			v += "&"
		default:
			v += "?"
		}
		v += c
	}
	return v + fv.suffix
}

// build turns the constraints into an event. With derive, fields the
// rule says nothing about are filled in as a parser would (url.path from
// url.original, and so on).
func (b *builder) build(derive bool) *event.Event {
	ev := &event.Event{}
	for f, fv := range b.vals {
		ev.Set(f, fv.value(f))
	}
	for f, from := range b.refs {
		ev.Set(f, ev.Get(from))
	}
	if derive {
		_, hasPath := b.vals[event.URLPath]
		_, hasQuery := b.vals[event.URLQuery]
		_, hasOrig := b.vals[event.URLOriginal]
		switch {
		case hasOrig && !hasPath && !hasQuery:
			p, q, _ := strings.Cut(ev.Get(event.URLOriginal), "?")
			ev.Set(event.URLPath, p)
			ev.Set(event.URLQuery, q)
		case !hasOrig && (hasPath || hasQuery):
			o := ev.Get(event.URLPath)
			if o == "" {
				o = "/"
			}
			if q := ev.Get(event.URLQuery); q != "" {
				o += "?" + q
			}
			ev.Set(event.URLOriginal, o)
		}
	}
	ev.IP, _ = netip.ParseAddr(ev.Get(event.SourceIP))
	ev.Status, _ = strconv.Atoi(ev.Get(event.StatusCode))
	return ev
}

// filler is a value that satisfies no rule literal, for fields that must
// merely be present.
const filler = "garda-filler"

// generatePositive returns an event rule i matches, or nil.
func generatePositive(s *Set, i int, hand map[string]string) *event.Event {
	cr := s.rules[i]
	m := s.NewMatcher()
	for _, p := range plansFor(cr, cr.root, true) {
		for variant := 0; variant < 64; variant++ {
			b := &builder{vals: map[event.Field]*fieldValue{}, refs: map[event.Field]event.Field{}, variant: variant}
			ok := true
			for _, c := range p.pos {
				if !b.constrain(c, hand) {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			for _, derive := range []bool{true, false} {
				ev := b.build(derive)
				if m.MatchRule(ev, i) {
					return ev
				}
				// Conditions that must not hold may hold on empty fields
				// (null, exists: false): give those fields a value.
				for _, c := range p.neg {
					for _, f := range c.fields {
						if f != noField && ev.Get(f) == "" {
							ev.Set(f, filler)
						}
					}
				}
				if m.MatchRule(ev, i) {
					return ev
				}
			}
		}
	}
	return nil
}

// generateNegative mutates one field of a positive event so that rule i
// no longer matches it, and says which field and how.
func generateNegative(s *Set, i int, pos *event.Event) (*event.Event, string) {
	m := s.NewMatcher()
	mutations := []struct {
		name string
		f    func(string) string
	}{
		{"interleaved", func(v string) string {
			var b strings.Builder
			for j, r := range v {
				if j > 0 {
					b.WriteByte('~')
				}
				b.WriteRune(r)
			}
			return b.String()
		}},
		{"appended", func(v string) string { return v + "~q" }},
		{"prepended", func(v string) string { return "q~" + v }},
		{"removed", func(string) string { return "" }},
		{"filled", func(string) string { return filler }},
	}
	// The longest values carry the rule's literals; try them first.
	order := make([]event.Field, 0, event.NumFields)
	for f := event.Field(0); int(f) < event.NumFields; f++ {
		order = append(order, f)
	}
	slices.SortStableFunc(order, func(a, b event.Field) int { return len(pos.Get(b)) - len(pos.Get(a)) })
	for _, mu := range mutations {
		for _, f := range order {
			v := pos.Get(f)
			if v == "" && mu.name != "filled" {
				continue
			}
			neg := *pos
			neg.Set(f, mu.f(v))
			neg.IP, _ = netip.ParseAddr(neg.Get(event.SourceIP))
			neg.Status, _ = strconv.Atoi(neg.Get(event.StatusCode))
			if !m.MatchRule(&neg, i) {
				return &neg, fmt.Sprintf("%s %s", f.ECS(), mu.name)
			}
		}
	}
	return nil, ""
}

// regexExample returns a string the expression matches (the shortest
// choice everywhere), or "" when it cannot tell.
func regexExample(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	var b strings.Builder
	var walk func(*syntax.Regexp)
	walk = func(re *syntax.Regexp) {
		switch re.Op {
		case syntax.OpLiteral:
			b.WriteString(string(re.Rune))
		case syntax.OpCharClass:
			r := re.Rune[0]
			for i := 0; i+1 < len(re.Rune); i += 2 {
				if re.Rune[i] <= 'a' && 'a' <= re.Rune[i+1] {
					r = 'a'
					break
				}
				if re.Rune[i] <= '0' && '0' <= re.Rune[i+1] {
					r = '0'
				}
			}
			if r == '\n' || r == '\t' {
				r = ' '
			}
			b.WriteRune(r)
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			b.WriteByte('x')
		case syntax.OpCapture:
			walk(re.Sub[0])
		case syntax.OpPlus:
			walk(re.Sub[0])
		case syntax.OpRepeat:
			for i := 0; i < re.Min; i++ {
				walk(re.Sub[0])
			}
		case syntax.OpConcat:
			for _, s := range re.Sub {
				walk(s)
			}
		case syntax.OpAlternate:
			walk(re.Sub[0])
		}
	}
	walk(re)
	return b.String()
}

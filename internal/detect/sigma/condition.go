package sigma

import (
	"errors"
	"fmt"
	"strings"
)

// The condition grammar (Sigma specification v2), least binding first:
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" expr ")" | quant "of" target | identifier
//	quant   = "1" | "any" | "all"
//	target  = "them" | identifier-pattern (with * wildcards)
//
// "any of" is pySigma's synonym of "1 of". "them" covers every search
// identifier not starting with "_". Keywords are case-insensitive. The
// deprecated aggregations ("| count() by x > 5") and "near" are rejected
// with an error saying so.

type op uint8

const (
	opRef op = iota // a search identifier
	opAnd
	opOr
	opNot
)

// node is one node of a parsed condition.
type node struct {
	op   op
	ref  int // index into Detection.Searches, for opRef
	kids []*node
}

func (n *node) String() string {
	switch n.op {
	case opRef:
		return fmt.Sprintf("#%d", n.ref)
	case opNot:
		return "not " + n.kids[0].String()
	}
	sep := " and "
	if n.op == opOr {
		sep = " or "
	}
	parts := make([]string, len(n.kids))
	for i, k := range n.kids {
		parts[i] = k.String()
	}
	return "(" + strings.Join(parts, sep) + ")"
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokWord
	tokLParen
	tokRParen
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// maxConditionDepth bounds nesting so that a hostile rule cannot exhaust
// the stack.
const maxConditionDepth = 64

func lexCondition(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == '|':
			return nil, errors.New("unsupported: the deprecated aggregation syntax (| count() ...) is not supported; use a Sigma correlation rule instead")
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, token{tokWord, s[i:j], i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at offset %d", c, i)
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == '*' || c == '?'
}

type condParser struct {
	toks     []token
	pos      int
	searches []Search
	depth    int
}

// parseCondition parses one condition string against a rule's searches.
func parseCondition(s string, searches []Search) (*node, error) {
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 1 {
		return nil, errors.New("empty condition")
	}
	for _, t := range toks {
		if t.kind == tokWord && strings.EqualFold(t.text, "near") {
			return nil, errors.New("unsupported: the deprecated near aggregation is not supported; use a Sigma temporal correlation rule instead")
		}
	}
	p := &condParser{toks: toks, searches: searches}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
	}
	return n, nil
}

func (p *condParser) peek() token { return p.toks[p.pos] }
func (p *condParser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *condParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tokWord && strings.EqualFold(t.text, w)
}

func (p *condParser) expr() (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxConditionDepth {
		return nil, errors.New("condition nested too deeply")
	}
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	if !p.isWord("or") {
		return left, nil
	}
	n := &node{op: opOr, kids: []*node{left}}
	for p.isWord("or") {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, right)
	}
	return n, nil
}

func (p *condParser) and() (*node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	if !p.isWord("and") {
		return left, nil
	}
	n := &node{op: opAnd, kids: []*node{left}}
	for p.isWord("and") {
		p.next()
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, right)
	}
	return n, nil
}

func (p *condParser) unary() (*node, error) {
	if p.isWord("not") {
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxConditionDepth {
			return nil, errors.New("condition nested too deeply")
		}
		k, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &node{op: opNot, kids: []*node{k}}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (*node, error) {
	t := p.next()
	switch t.kind {
	case tokEOF:
		return nil, errors.New("unexpected end of condition")
	case tokRParen:
		return nil, fmt.Errorf("unexpected ) at offset %d", t.pos)
	case tokLParen:
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, fmt.Errorf("missing ) for ( at offset %d", t.pos)
		}
		return n, nil
	}
	w := strings.ToLower(t.text)
	switch w {
	case "and", "or", "of", "them":
		return nil, fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
	}
	if p.isWord("of") {
		p.next()
		var all bool
		switch w {
		case "1", "any":
		case "all":
			all = true
		default:
			return nil, fmt.Errorf("%q of: only 1 of, any of and all of are defined", t.text)
		}
		target := p.next()
		if target.kind != tokWord {
			return nil, fmt.Errorf("%s of: missing a search identifier pattern or them at offset %d", t.text, target.pos)
		}
		refs, err := p.selectSearches(target.text)
		if err != nil {
			return nil, err
		}
		if len(refs) == 1 {
			return refs[0], nil
		}
		if all {
			return &node{op: opAnd, kids: refs}, nil
		}
		return &node{op: opOr, kids: refs}, nil
	}
	if strings.ContainsAny(t.text, "*?") {
		return nil, fmt.Errorf("pattern %q is only allowed after 1 of or all of", t.text)
	}
	for i := range p.searches {
		if p.searches[i].Name == t.text {
			return &node{op: opRef, ref: i}, nil
		}
	}
	return nil, fmt.Errorf("unknown search identifier %q", t.text)
}

// selectSearches resolves the target of "x of": them or a pattern.
func (p *condParser) selectSearches(target string) ([]*node, error) {
	var refs []*node
	them := strings.EqualFold(target, "them")
	for i, s := range p.searches {
		if them && !strings.HasPrefix(s.Name, "_") || !them && wildcardMatch(target, s.Name) {
			refs = append(refs, &node{op: opRef, ref: i})
		}
	}
	if len(refs) == 0 {
		if them {
			return nil, errors.New("them: no search identifiers (those starting with _ do not count)")
		}
		return nil, fmt.Errorf("pattern %q matches no search identifier", target)
	}
	return refs, nil
}

// wildcardMatch matches a search identifier against a pattern with * (any
// run) and ? (one character), case-sensitively as identifiers are.
func wildcardMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case starP >= 0:
			starS++
			px, sx = starP+1, starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// Package dsl evaluates nuclei's expression language: the govaluate-style
// expressions of `dsl` matchers and extractors and of `{{...}}` placeholders
// (operators && || ! == != < <= > >= + - * / % =~ !~ ?:, string and number
// literals, variables and helper functions). It is its own small parser:
// nuclei and its govaluate fork cannot be fetched here. It never touches
// the network; functions that would (e.g. resolve) are not provided.
package dsl

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Expr is a parsed expression, safe to evaluate concurrently.
type Expr struct {
	src  string
	root node
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Vars are the named values an expression may read.
type Vars map[string]any

// UnsupportedFunctionError names a nuclei helper the engine refuses.
type UnsupportedFunctionError struct{ Name, Why string }

func (e *UnsupportedFunctionError) Error() string {
	return fmt.Sprintf("unsupported dsl function %q (%s)", e.Name, e.Why)
}

// ErrUnknownVar is wrapped by evaluation errors naming a missing variable.
var ErrUnknownVar = errors.New("no such variable")

// maxDepth bounds nesting so a malformed or hostile template cannot
// exhaust the stack.
const maxDepth = 200

// Parse compiles an expression.
func Parse(src string) (*Expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("dsl %q: %w", src, err)
	}
	p := &parser{toks: toks}
	n, err := p.ternary(0)
	if err != nil {
		return nil, fmt.Errorf("dsl %q: %w", src, err)
	}
	// govaluate reads a top-level "a, b" as a list (dsl extractors
	// such as "tls_version, cipher" use it)
	if p.peekOp(",") != "" {
		list := &listNode{items: []node{n}}
		for p.peekOp(",") != "" {
			p.pos++
			x, err := p.ternary(0)
			if err != nil {
				return nil, fmt.Errorf("dsl %q: %w", src, err)
			}
			list.items = append(list.items, x)
		}
		n = list
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("dsl %q: unexpected %q", src, p.toks[p.pos].text)
	}
	if err := checkFuncs(n); err != nil {
		return nil, fmt.Errorf("dsl %q: %w", src, err)
	}
	return &Expr{src: src, root: n}, nil
}

// Eval evaluates the expression against vars.
func (e *Expr) Eval(vars Vars) (any, error) {
	return e.root.eval(vars)
}

// Variables lists the variable names the expression reads.
func (e *Expr) Variables() []string {
	var out []string
	walk(e.root, func(n node) {
		if v, ok := n.(*varNode); ok {
			out = append(out, v.name)
		}
	})
	return out
}

// Functions lists the function names the expression calls.
func (e *Expr) Functions() []string {
	var out []string
	walk(e.root, func(n node) {
		if c, ok := n.(*callNode); ok {
			out = append(out, c.name)
		}
	})
	return out
}

func walk(n node, f func(node)) {
	f(n)
	switch n := n.(type) {
	case *unaryNode:
		walk(n.x, f)
	case *binaryNode:
		walk(n.l, f)
		walk(n.r, f)
	case *ternaryNode:
		walk(n.c, f)
		walk(n.a, f)
		walk(n.b, f)
	case *callNode:
		for _, a := range n.args {
			walk(a, f)
		}
	case *listNode:
		for _, a := range n.items {
			walk(a, f)
		}
	}
}

func checkFuncs(n node) error {
	var err error
	walk(n, func(n node) {
		if c, ok := n.(*callNode); ok && err == nil {
			if _, found := functions[c.name]; !found {
				if why, unsupported := unsupportedFunctions[c.name]; unsupported {
					err = &UnsupportedFunctionError{Name: c.name, Why: why}
				} else {
					err = fmt.Errorf("unknown dsl function %q", c.name)
				}
			}
		}
	})
	return err
}

// --- lexer

type tokKind int

const (
	tNum tokKind = iota
	tStr
	tIdent
	tOp
)

type token struct {
	kind tokKind
	text string
	num  float64
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			j := i
			if c == '0' && i+1 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') {
				j += 2
				for j < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
					j++
				}
				v, err := strconv.ParseInt(s[i+2:j], 16, 64)
				if err != nil {
					return nil, fmt.Errorf("bad number %q", s[i:j])
				}
				toks = append(toks, token{kind: tNum, text: s[i:j], num: float64(v)})
				i = j
				continue
			}
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' && j+1 < len(s) && (s[j+1] >= '0' && s[j+1] <= '9' || s[j+1] == '-')) {
				if s[j] == 'e' {
					j++
				}
				j++
			}
			v, err := strconv.ParseFloat(s[i:j], 64)
			if err != nil {
				return nil, fmt.Errorf("bad number %q", s[i:j])
			}
			toks = append(toks, token{kind: tNum, text: s[i:j], num: v})
			i = j
		case c == '"' || c == '\'' || c == '`':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(s) {
				if s[j] == c {
					closed = true
					j++
					break
				}
				if s[j] == '\\' && j+1 < len(s) && c != '`' {
					j++
					switch s[j] {
					case 'n':
						b.WriteByte('\n')
					case 'r':
						b.WriteByte('\r')
					case 't':
						b.WriteByte('\t')
					case '\\', '"', '\'':
						b.WriteByte(s[j])
					default:
						// unknown escapes keep their backslash, as
						// regexes in templates expect (`\d`, `\.`).
						b.WriteByte('\\')
						b.WriteByte(s[j])
					}
					j++
					continue
				}
				b.WriteByte(s[j])
				j++
			}
			if !closed {
				return nil, errors.New("unterminated string")
			}
			toks = append(toks, token{kind: tStr, text: b.String()})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: s[i:j]})
			i = j
		default:
			op := ""
			for _, o := range []string{"&&", "||", "==", "!=", "<=", ">=", "=~", "!~", "**", "<<", ">>", "??"} {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if strings.IndexByte("+-*/%<>!(),?:&|^~[]", c) < 0 {
					return nil, fmt.Errorf("unexpected character %q", c)
				}
				op = string(c)
			}
			toks = append(toks, token{kind: tOp, text: op})
			i += len(op)
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// --- parser (precedence climbing)

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peekOp(ops ...string) string {
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != tOp {
		return ""
	}
	for _, o := range ops {
		if p.toks[p.pos].text == o {
			return o
		}
	}
	return ""
}

var levels = [][]string{
	{"??"},
	{"||"},
	{"&&"},
	{"==", "!=", "=~", "!~", "<", "<=", ">", ">="},
	{"|", "^", "&"},
	{"<<", ">>"},
	{"+", "-"},
	{"*", "/", "%"},
	{"**"},
}

func (p *parser) ternary(depth int) (node, error) {
	if depth > maxDepth {
		return nil, errors.New("expression nested too deeply")
	}
	c, err := p.binary(0, depth)
	if err != nil {
		return nil, err
	}
	if p.peekOp("?") == "" {
		return c, nil
	}
	p.pos++
	a, err := p.ternary(depth + 1)
	if err != nil {
		return nil, err
	}
	if p.peekOp(":") == "" {
		return &ternaryNode{c: c, a: a, b: &litNode{v: nil}}, nil
	}
	p.pos++
	b, err := p.ternary(depth + 1)
	if err != nil {
		return nil, err
	}
	return &ternaryNode{c: c, a: a, b: b}, nil
}

func (p *parser) binary(level, depth int) (node, error) {
	if level == len(levels) {
		return p.unary(depth)
	}
	l, err := p.binary(level+1, depth)
	if err != nil {
		return nil, err
	}
	for {
		op := p.peekOp(levels[level]...)
		if op == "" {
			return l, nil
		}
		p.pos++
		r, err := p.binary(level+1, depth)
		if err != nil {
			return nil, err
		}
		bn := &binaryNode{op: op, l: l, r: r}
		if op == "=~" || op == "!~" {
			if lit, ok := r.(*litNode); ok {
				if s, ok := lit.v.(string); ok {
					re, err := regexp.Compile(s)
					if err != nil {
						return nil, fmt.Errorf("regex %q: %w", s, err)
					}
					bn.re = re
				}
			}
		}
		l = bn
	}
}

func (p *parser) unary(depth int) (node, error) {
	if depth > maxDepth {
		return nil, errors.New("expression nested too deeply")
	}
	if op := p.peekOp("!", "-", "~", "+"); op != "" {
		p.pos++
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &unaryNode{op: op, x: x}, nil
	}
	return p.primary(depth)
}

func (p *parser) primary(depth int) (node, error) {
	if p.pos >= len(p.toks) {
		return nil, errors.New("unexpected end of expression")
	}
	t := p.toks[p.pos]
	p.pos++
	switch t.kind {
	case tNum:
		return &litNode{v: t.num}, nil
	case tStr:
		return &litNode{v: t.text}, nil
	case tIdent:
		switch t.text {
		case "true":
			return &litNode{v: true}, nil
		case "false":
			return &litNode{v: false}, nil
		case "nil", "null":
			return &litNode{v: nil}, nil
		}
		if p.peekOp("(") != "" {
			p.pos++
			call := &callNode{name: t.text}
			if p.peekOp(")") != "" {
				p.pos++
				return call, nil
			}
			for {
				a, err := p.ternary(depth + 1)
				if err != nil {
					return nil, err
				}
				call.args = append(call.args, a)
				if p.peekOp(",") != "" {
					p.pos++
					continue
				}
				if p.peekOp(")") != "" {
					p.pos++
					return call, nil
				}
				return nil, fmt.Errorf("expected , or ) in call of %s", t.text)
			}
		}
		return &varNode{name: t.text}, nil
	case tOp:
		switch t.text {
		case "(":
			n, err := p.ternary(depth + 1)
			if err != nil {
				return nil, err
			}
			if p.peekOp(")") == "" {
				return nil, errors.New("missing )")
			}
			p.pos++
			return n, nil
		case "[":
			// govaluate's escaped parameter name: [some-name]
			var name strings.Builder
			for p.pos < len(p.toks) && !(p.toks[p.pos].kind == tOp && p.toks[p.pos].text == "]") {
				name.WriteString(p.toks[p.pos].text)
				p.pos++
			}
			if p.pos >= len(p.toks) {
				return nil, errors.New("missing ]")
			}
			p.pos++
			return &varNode{name: name.String()}, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

// --- nodes

type node interface{ eval(Vars) (any, error) }

type litNode struct{ v any }

func (n *litNode) eval(Vars) (any, error) { return n.v, nil }

type varNode struct{ name string }

func (n *varNode) eval(v Vars) (any, error) {
	if x, ok := v[n.name]; ok {
		return normalize(x), nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownVar, n.name)
}

type unaryNode struct {
	op string
	x  node
}

func (n *unaryNode) eval(v Vars) (any, error) {
	x, err := n.x.eval(v)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "!":
		b, ok := x.(bool)
		if !ok {
			return nil, fmt.Errorf("! of a non-boolean %v", x)
		}
		return !b, nil
	case "-":
		f, ok := toNumber(x)
		if !ok {
			return nil, fmt.Errorf("- of a non-number %v", x)
		}
		return -f, nil
	case "+":
		f, ok := toNumber(x)
		if !ok {
			return nil, fmt.Errorf("+ of a non-number %v", x)
		}
		return f, nil
	case "~":
		f, ok := toNumber(x)
		if !ok {
			return nil, fmt.Errorf("~ of a non-number %v", x)
		}
		return float64(^int64(f)), nil
	}
	return nil, fmt.Errorf("unknown operator %s", n.op)
}

type binaryNode struct {
	op   string
	l, r node
	re   *regexp.Regexp
}

func (n *binaryNode) eval(v Vars) (any, error) {
	l, err := n.l.eval(v)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "&&", "||":
		lb, ok := l.(bool)
		if !ok {
			return nil, fmt.Errorf("%s of a non-boolean %v", n.op, l)
		}
		if n.op == "&&" && !lb {
			return false, nil
		}
		if n.op == "||" && lb {
			return true, nil
		}
		r, err := n.r.eval(v)
		if err != nil {
			return nil, err
		}
		rb, ok := r.(bool)
		if !ok {
			return nil, fmt.Errorf("%s of a non-boolean %v", n.op, r)
		}
		return rb, nil
	case "??":
		if l != nil {
			return l, nil
		}
		return n.r.eval(v)
	}
	r, err := n.r.eval(v)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "=~", "!~":
		re := n.re
		if re == nil {
			re, err = regexp.Compile(ToString(r))
			if err != nil {
				return nil, err
			}
		}
		m := re.MatchString(ToString(l))
		if n.op == "!~" {
			m = !m
		}
		return m, nil
	case "<", "<=", ">", ">=":
		return compare(n.op, l, r)
	case "+":
		lf, lok := l.(float64)
		rf, rok := r.(float64)
		if lok && rok {
			return lf + rf, nil
		}
		return ToString(l) + ToString(r), nil
	}
	lf, lok := toNumber(l)
	rf, rok := toNumber(r)
	if !lok || !rok {
		return nil, fmt.Errorf("%v %s %v: not numbers", l, n.op, r)
	}
	switch n.op {
	case "-":
		return lf - rf, nil
	case "*":
		return lf * rf, nil
	case "/":
		if rf == 0 {
			return nil, errors.New("division by zero")
		}
		return lf / rf, nil
	case "%":
		if int64(rf) == 0 {
			return nil, errors.New("modulo by zero")
		}
		return float64(int64(lf) % int64(rf)), nil
	case "**":
		return math.Pow(lf, rf), nil
	case "&":
		return float64(int64(lf) & int64(rf)), nil
	case "|":
		return float64(int64(lf) | int64(rf)), nil
	case "^":
		return float64(int64(lf) ^ int64(rf)), nil
	case "<<":
		return float64(int64(lf) << (uint64(rf) & 63)), nil
	case ">>":
		return float64(int64(lf) >> (uint64(rf) & 63)), nil
	}
	return nil, fmt.Errorf("unknown operator %s", n.op)
}

type listNode struct{ items []node }

func (n *listNode) eval(v Vars) (any, error) {
	out := make([]string, len(n.items))
	for i, x := range n.items {
		y, err := x.eval(v)
		if err != nil {
			return nil, err
		}
		out[i] = ToString(y)
	}
	return out, nil
}

type ternaryNode struct{ c, a, b node }

func (n *ternaryNode) eval(v Vars) (any, error) {
	c, err := n.c.eval(v)
	if err != nil {
		return nil, err
	}
	b, ok := c.(bool)
	if !ok {
		return nil, fmt.Errorf("?: of a non-boolean %v", c)
	}
	if b {
		return n.a.eval(v)
	}
	return n.b.eval(v)
}

type callNode struct {
	name string
	args []node
}

func (n *callNode) eval(v Vars) (any, error) {
	f := functions[n.name]
	if f == nil {
		return nil, fmt.Errorf("unknown dsl function %q", n.name)
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		x, err := a.eval(v)
		if err != nil {
			return nil, err
		}
		args[i] = x
	}
	out, err := f(args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.name, err)
	}
	return out, nil
}

// --- values

// normalize turns Go values into the three kinds expressions work with:
// float64, string, bool (and []string for lists).
func normalize(x any) any {
	switch x := x.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case uint16:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case []byte:
		return string(x)
	}
	return x
}

func toNumber(x any) (float64, bool) {
	switch x := normalize(x).(type) {
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// ToString renders a value as templates see it: whole numbers without a
// decimal point.
func ToString(x any) string {
	switch x := normalize(x).(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		return strings.Join(x, ",")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = ToString(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(x)
}

func equal(l, r any) bool {
	l, r = normalize(l), normalize(r)
	if lf, ok := l.(float64); ok {
		if rf, ok := toNumber(r); ok {
			return lf == rf
		}
	}
	if rf, ok := r.(float64); ok {
		if lf, ok := toNumber(l); ok {
			return lf == rf
		}
	}
	if lb, ok := l.(bool); ok {
		rb, ok := r.(bool)
		return ok && lb == rb
	}
	if l == nil || r == nil {
		return l == nil && r == nil
	}
	return ToString(l) == ToString(r)
}

func compare(op string, l, r any) (bool, error) {
	lf, lok := toNumber(l)
	rf, rok := toNumber(r)
	if lok && rok {
		switch op {
		case "<":
			return lf < rf, nil
		case "<=":
			return lf <= rf, nil
		case ">":
			return lf > rf, nil
		case ">=":
			return lf >= rf, nil
		}
	}
	ls, rs := ToString(l), ToString(r)
	switch op {
	case "<":
		return ls < rs, nil
	case "<=":
		return ls <= rs, nil
	case ">":
		return ls > rs, nil
	case ">=":
		return ls >= rs, nil
	}
	return false, fmt.Errorf("unknown comparison %s", op)
}

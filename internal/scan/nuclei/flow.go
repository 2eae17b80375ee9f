package nuclei

import (
	"context"
	"strconv"
	"strings"
)

// flowExpr is the part of nuclei's flow (JavaScript) that templates use to
// chain http blocks: http(n) calls joined by && and || with parentheses.
// http(n) runs the n-th http block and answers whether it matched. A flow
// with anything more (variables, loops, other protocols) is refused.
type flowExpr struct {
	op    string // "&&", "||", "" for a call
	block int    // 1-based, for a call
	l, r  *flowExpr
}

var errFlow = unsupported("flow (JavaScript control flow between requests) beyond http(n) joined by && and ||")

func parseFlow(src string, blocks int) (*flowExpr, error) {
	s := strings.Join(strings.Fields(src), "")
	s = strings.TrimSuffix(s, ";")
	p := &flowParser{s: s, blocks: blocks}
	e, err := p.or()
	if err != nil || p.i != len(p.s) {
		return nil, errFlow
	}
	return e, nil
}

type flowParser struct {
	s      string
	i      int
	blocks int
}

func (p *flowParser) or() (*flowExpr, error) {
	l, err := p.and()
	for err == nil && strings.HasPrefix(p.s[p.i:], "||") {
		p.i += 2
		var r *flowExpr
		if r, err = p.and(); err == nil {
			l = &flowExpr{op: "||", l: l, r: r}
		}
	}
	return l, err
}

func (p *flowParser) and() (*flowExpr, error) {
	l, err := p.atom()
	for err == nil && strings.HasPrefix(p.s[p.i:], "&&") {
		p.i += 2
		var r *flowExpr
		if r, err = p.atom(); err == nil {
			l = &flowExpr{op: "&&", l: l, r: r}
		}
	}
	return l, err
}

func (p *flowParser) atom() (*flowExpr, error) {
	rest := p.s[p.i:]
	if strings.HasPrefix(rest, "(") {
		p.i++
		e, err := p.or()
		if err != nil || !strings.HasPrefix(p.s[p.i:], ")") {
			return nil, errFlow
		}
		p.i++
		return e, nil
	}
	if !strings.HasPrefix(rest, "http(") {
		return nil, errFlow
	}
	end := strings.Index(rest, ")")
	if end < 0 {
		return nil, errFlow
	}
	n, err := strconv.Atoi(rest[len("http("):end])
	if err != nil || n < 1 || n > p.blocks {
		return nil, errFlow
	}
	p.i += end + 1
	return &flowExpr{block: n}, nil
}

func (s *runState) runFlow(ctx context.Context, e *flowExpr, errs *[]error) bool {
	switch e.op {
	case "&&":
		return s.runFlow(ctx, e.l, errs) && s.runFlow(ctx, e.r, errs)
	case "||":
		return s.runFlow(ctx, e.l, errs) || s.runFlow(ctx, e.r, errs)
	}
	s.blockMatched = false
	if err := s.runHTTP(ctx, s.t.http[e.block-1]); err != nil {
		*errs = append(*errs, err)
	}
	return s.blockMatched
}

package sigma

import (
	"strings"
	"testing"
)

func searches(names ...string) []Search {
	out := make([]Search, len(names))
	for i, n := range names {
		out[i] = Search{Name: n}
	}
	return out
}

func TestConditionTree(t *testing.T) {
	ss := searches("a", "b", "c", "sel_1", "sel_2", "_x", "filter")
	cases := []struct{ cond, want string }{
		{"a", "#0"},
		{"a and b", "(#0 and #1)"},
		{"a or b or c", "(#0 or #1 or #2)"},
		{"a or b and c", "(#0 or (#1 and #2))"},
		{"a and b or c", "((#0 and #1) or #2)"},
		{"not a and b", "(not #0 and #1)"},
		{"not (a and b)", "not (#0 and #1)"},
		{"a and not not b", "(#0 and not not #1)"},
		{"((a))", "#0"},
		{"1 of sel_*", "(#3 or #4)"},
		{"any of sel_*", "(#3 or #4)"},
		{"all of sel_*", "(#3 and #4)"},
		{"1 of them", "(#0 or #1 or #2 or #3 or #4 or #6)"},
		{"all of _*", "#5"},
		{"1 of sel_? and not filter", "((#3 or #4) and not #6)"},
		{"not 1 of sel_* or a", "(not (#3 or #4) or #0)"},
		{"a\tAND\nb", "(#0 and #1)"},
	}
	for _, c := range cases {
		n, err := parseCondition(c.cond, ss)
		if err != nil {
			t.Errorf("%q: %v", c.cond, err)
			continue
		}
		if got := n.String(); got != c.want {
			t.Errorf("%q parsed as %s, want %s", c.cond, got, c.want)
		}
	}
}

func TestConditionErrors(t *testing.T) {
	ss := searches("a", "b")
	cases := []struct{ cond, want string }{
		{"", "empty condition"},
		{"a and", "unexpected end"},
		{"and a", `unexpected "and"`},
		{"a b", `unexpected "b"`},
		{"(a", "missing )"},
		{"a)", `unexpected ")"`},
		{"not", "unexpected end"},
		{"1 of", "missing a search identifier pattern"},
		{"1 of (a)", "missing a search identifier pattern"},
		{"3 of a*", "only 1 of, any of and all of"},
		{"1 of z*", "matches no search identifier"},
		{"z", `unknown search identifier "z"`},
		{"a*", "only allowed after 1 of"},
		{"a | count() > 3", "unsupported"},
		{"a near b", "unsupported"},
		{"a & b", "unexpected character"},
		{strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100), "nested too deeply"},
		{strings.Repeat("not ", 100) + "a", "nested too deeply"},
	}
	for _, c := range cases {
		_, err := parseCondition(c.cond, ss)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.cond, err, c.want)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"sel*", "selection", true},
		{"sel*", "sel", true},
		{"sel*", "xsel", false},
		{"*_main_*", "filter_main_ua", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*", "", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
	}
	for _, c := range cases {
		if got := wildcardMatch(c.pattern, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}

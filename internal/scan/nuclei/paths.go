package nuclei

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// jsonStep is one step of the jq subset json extractors use: .key, .[],
// .[n], .key[n], .key[].
type jsonStep struct {
	key   string
	index int // -1: none; -2: every element
}

func parseJSONPath(q string) ([]jsonStep, error) {
	q = strings.TrimSpace(q)
	if strings.Contains(q, "|") {
		// ".[] | .slug" is ".[].slug"
		var steps []jsonStep
		for _, part := range strings.Split(q, "|") {
			p, err := parseJSONPath(part)
			if err != nil {
				return nil, err
			}
			steps = append(steps, p...)
		}
		return steps, nil
	}
	if q == "." {
		return nil, nil
	}
	if !strings.HasPrefix(q, ".") {
		return nil, unsupported("json extractor path %q (only the jq subset .a.b, .[], .a[0])", q)
	}
	var steps []jsonStep
	rest := q
	for rest != "" {
		if !strings.HasPrefix(rest, ".") && !strings.HasPrefix(rest, "[") {
			return nil, unsupported("json extractor path %q (only the jq subset .a.b, .[], .a[0])", q)
		}
		rest = strings.TrimPrefix(rest, ".")
		var key string
		switch {
		case strings.HasPrefix(rest, `"`):
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				return nil, fmt.Errorf("json path %q: unterminated key", q)
			}
			key, rest = rest[1:end+1], rest[end+2:]
		case strings.HasPrefix(rest, `["`):
			end := strings.Index(rest, `"]`)
			if end < 0 {
				return nil, fmt.Errorf("json path %q: unterminated key", q)
			}
			key, rest = rest[2:end], rest[end+2:]
		default:
			i := strings.IndexAny(rest, ".[")
			if i < 0 {
				i = len(rest)
			}
			key, rest = rest[:i], rest[i:]
			if strings.ContainsAny(key, " |(),") {
				return nil, unsupported("json extractor path %q (only the jq subset .a.b, .[], .a[0])", q)
			}
		}
		if key != "" {
			steps = append(steps, jsonStep{key: key, index: -1})
		}
		for strings.HasPrefix(rest, "[") {
			end := strings.Index(rest, "]")
			if end < 0 {
				return nil, fmt.Errorf("json path %q: missing ]", q)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if inner == "" {
				steps = append(steps, jsonStep{index: -2})
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil {
				return nil, unsupported("json extractor path %q (only the jq subset .a.b, .[], .a[0])", q)
			}
			steps = append(steps, jsonStep{index: n})
		}
	}
	return steps, nil
}

func evalJSONPath(steps []jsonStep, doc any) []any {
	cur := []any{doc}
	for _, s := range steps {
		var next []any
		for _, v := range cur {
			switch {
			case s.key != "":
				if m, ok := v.(map[string]any); ok {
					if x, ok := m[s.key]; ok {
						next = append(next, x)
					}
				}
			case s.index == -2:
				switch v := v.(type) {
				case []any:
					next = append(next, v...)
				case map[string]any:
					for _, x := range v {
						next = append(next, x)
					}
				}
			case s.index >= 0:
				if l, ok := v.([]any); ok && s.index < len(l) {
					next = append(next, l[s.index])
				}
			}
		}
		cur = next
	}
	return cur
}

// xpathStep is one step of the XPath subset: /tag, //tag, tag[@a='v'],
// tag[@a], tag[n], * .
type xpathStep struct {
	attribute  string // a final /@name step: the attribute's value
	descendant bool
	tag        string
	attr, val  string
	hasVal     bool
	nth        int
}

var xpathPredicate = regexp.MustCompile(`^@([\w:-]+)(?:\s*=\s*['"]([^'"]*)['"])?$`)

func parseXPath(x string) ([]xpathStep, error) {
	x = strings.TrimSpace(x)
	if !strings.HasPrefix(x, "/") {
		return nil, unsupported("xpath %q (only absolute paths with tag and [@attr='value'] steps)", x)
	}
	var steps []xpathStep
	for x != "" {
		desc := false
		if strings.HasPrefix(x, "//") {
			desc, x = true, x[2:]
		} else if strings.HasPrefix(x, "/") {
			x = x[1:]
		} else {
			return nil, unsupported("xpath step %q", x)
		}
		i := strings.Index(x, "/")
		if p := strings.Index(x, "["); p >= 0 && (i < 0 || p < i) {
			if e := strings.Index(x[p:], "]"); e >= 0 {
				if j := strings.Index(x[p+e:], "/"); j >= 0 {
					i = p + e + j
				} else {
					i = -1
				}
			}
		}
		var part string
		if i < 0 {
			part, x = x, ""
		} else {
			part, x = x[:i], x[i:]
		}
		if strings.HasPrefix(part, "@") && x == "" && len(steps) > 0 {
			steps[len(steps)-1].attribute = part[1:]
			break
		}
		s := xpathStep{descendant: desc}
		if p := strings.Index(part, "["); p >= 0 {
			if !strings.HasSuffix(part, "]") {
				return nil, fmt.Errorf("xpath %q: missing ]", part)
			}
			pred := part[p+1 : len(part)-1]
			part = part[:p]
			if n, err := strconv.Atoi(pred); err == nil {
				s.nth = n
			} else if m := xpathPredicate.FindStringSubmatch(pred); m != nil {
				s.attr, s.val, s.hasVal = m[1], m[2], strings.Contains(pred, "=")
			} else {
				return nil, unsupported("xpath predicate [%s]", pred)
			}
		}
		if part == "" || strings.ContainsAny(part, "()@:") && part != "*" {
			return nil, unsupported("xpath step %q", part)
		}
		s.tag = strings.ToLower(part)
		steps = append(steps, s)
	}
	return steps, nil
}

func evalXPath(steps []xpathStep, root *html.Node) []*html.Node {
	cur := []*html.Node{root}
	for _, s := range steps {
		var next []*html.Node
		for _, n := range cur {
			count := 0
			var visit func(*html.Node, bool)
			visit = func(p *html.Node, deep bool) {
				for c := p.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode && (s.tag == "*" || c.Data == s.tag) && attrOK(c, s) {
						count++
						if s.nth == 0 || s.nth == count {
							next = append(next, c)
						}
					}
					if deep {
						visit(c, true)
					}
				}
			}
			visit(n, s.descendant)
		}
		cur = next
	}
	return cur
}

func attrOK(n *html.Node, s xpathStep) bool {
	if s.attr == "" {
		return true
	}
	for _, a := range n.Attr {
		if a.Key == s.attr {
			return !s.hasVal || a.Val == s.val
		}
	}
	return false
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

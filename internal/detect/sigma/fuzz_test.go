package sigma

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/event"
)

// fuzzEvents are events every fuzzed rule is matched on, with and without
// the prefilter; the two must agree.
var fuzzEvents = []*event.Event{
	{},
	fields{uri: "/ecp/default.aspx?__VIEWSTATE=x", upath: "/ecp/default.aspx", query: "__VIEWSTATE=x", method: "POST", status: "200", ua: "sqlmap/1.7", ref: "https://a/", ip: "10.1.2.3"}.event(),
	fields{uri: "/über/uns?q=${jndi:ldap://x}", upath: "/über/uns", query: "q=${jndi:ldap://x}", ua: "Mozilla/5.0 (\u212A)", host: "KPU.go.id", msg: "exited on signal 6"}.event(),
	fields{uri: "/x", upath: "/y", query: "z", method: "GET", status: "404", ref: "a", msg: "a\nb"}.event(),
}

func checkAgree(t *testing.T, s *Set) {
	m := s.NewMatcher()
	for _, ev := range fuzzEvents {
		if a, b := m.Match(ev, nil), m.MatchUnfiltered(ev, nil); !slices.Equal(a, b) {
			t.Fatalf("prefilter disagrees on %v: %d vs %d rules (prefilter %s)", ev.Map(), len(a), len(b), s.Prefilter(0))
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(fullRule))
	f.Add([]byte(ruleWith(sel("        c-uri|contains|all:\n            - a\n            - b\n        cs-method: GET"))))
	f.Add([]byte(ruleWith("\n    kw:\n        - 'a*b'\n        - 200\n    f:\n        cs-referer: null\n    condition: kw and not f")))
	f.Add([]byte(ruleWith(sel("        c-uri|wide|base64offset|contains: 'ping'\n        c-ip|cidr: 10.0.0.0/8"))))
	f.Add([]byte(ruleWith(sel("        c-uri|re|i: '^/a[0-9]+$'\n        sc-status|gte: 500\n        cs-referer|exists: true"))))
	f.Add([]byte(ruleWith("\n    s1:\n        - c-uri|endswith: '.php'\n        - c-useragent|startswith: 'x'\n    s2:\n        '|all':\n            - a\n            - b\n    condition:\n        - 1 of s*\n        - all of them")))
	f.Add([]byte("title: &a x\nlogsource: {category: *a}\ndetection: {s: {a: *a}, condition: s}\n"))
	f.Add([]byte("title: t\nlogsource: {}\ndetection: {s: [], condition: s}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data, "fuzz.yml")
		if err != nil {
			return
		}
		s, err := Compile([]*Rule{r}, Options{Placeholders: map[string][]string{"p": {"x*"}}})
		if err != nil {
			return
		}
		checkAgree(t, s)
	})
}

func FuzzCondition(f *testing.F) {
	for _, c := range []string{
		"a", "a and b", "a or b and not c", "(a or b) and c", "1 of sel*", "all of them", "any of ?",
		"not 1 of sel* or all of _*", "((a))", "a | count() > 1", "a near b", "1 of", ")(", strings.Repeat("not ", 70) + "a",
	} {
		f.Add(c)
	}
	det := "\n    a:\n        c-uri|contains: ecp\n    b:\n        cs-method: POST\n    c:\n        - jndi\n    sel1:\n        cs-referer: null\n    sel2:\n        c-useragent|re: 'sqlmap'\n    _x:\n        sc-status|gte: 400\n    condition: "
	f.Fuzz(func(t *testing.T, cond string) {
		ss := searches("a", "b", "c", "sel1", "sel2", "_x")
		if _, err := parseCondition(cond, ss); err != nil {
			return
		}
		if strings.ContainsAny(cond, "\n\r") || !utf8.ValidString(cond) {
			return // folded or rejected by YAML; the parser above has seen it
		}
		r, err := Parse([]byte(ruleWith(det+"'"+strings.ReplaceAll(cond, "'", "''")+"'")), "fuzz.yml")
		if err != nil {
			t.Fatalf("condition %q parses alone but not in a rule: %v", cond, err)
		}
		s, err := Compile([]*Rule{r}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkAgree(t, s)
	})
}

// FuzzPrefilter matches fuzzed web events against SigmaHQ's rules with
// and without the prefilter.
func FuzzPrefilter(f *testing.F) {
	s := loadWebSet(f, Options{MemoSlots: 4})
	for _, ev := range append(benignRequests(), attackTraffic(20, 1)...) {
		f.Add(ev.Get(event.URLOriginal), ev.Get(event.UserAgent), ev.Get(event.Referrer), ev.Get(event.HTTPMethod), ev.Get(event.StatusCode))
	}
	f.Add("/x?a=${jndi:ldap://\u212A}", "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1)", "", "GET", "200")
	f.Fuzz(func(t *testing.T, uri, ua, ref, method, status string) {
		ev := webEvent("10.0.0.1", method, uri, 0, ua, ref)
		ev.Set(event.StatusCode, status)
		m := s.NewMatcher()
		for i := 0; i < 2; i++ { // the second time through the memo
			if a, b := m.Match(ev, nil), m.MatchUnfiltered(ev, nil); !slices.Equal(a, b) {
				t.Fatalf("prefilter disagrees: %v vs %v", titles(a), titles(b))
			}
		}
	})
}

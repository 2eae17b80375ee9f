package format

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/garda-id/garda/internal/allocstest"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/syslog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// wib is the zone KPU's servers log in; the golden syslog files are read
// as if on 1 March 2024 there.
var wib = time.FixedZone("WIB", 7*3600)

func fixedOptions() syslog.Options {
	return syslog.Options{Now: func() time.Time { return time.Date(2024, 3, 1, 0, 0, 0, 0, wib) }, Location: wib}
}

// lookup finds a format as the command line would, with the syslog-based
// ones given a fixed clock and zone.
func lookup(t testing.TB, name string) Format {
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("format %q not found", name)
	}
	switch f := f.(type) {
	case *Auth:
		f.Options = fixedOptions()
	case *Syslog:
		f.Options = fixedOptions()
	}
	return f
}

// golden is one line's result in a golden file.
type golden struct {
	Line     int               `json:"line"`
	Rejected string            `json:"rejected,omitempty"`
	Time     string            `json:"@timestamp,omitempty"`
	IP       string            `json:"ip,omitempty"`
	Status   int               `json:"status,omitempty"`
	Dataset  string            `json:"event.dataset,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
}

// TestGolden parses testdata/<format>/*.log with that format and compares
// every line's event (or rejection) with the .json beside it. Run
// `go test ./internal/ingest/format -update` to rewrite them, then read
// the diff.
func TestGolden(t *testing.T) {
	for _, name := range Names() {
		files, err := filepath.Glob(filepath.Join("testdata", name, "*.log"))
		if err != nil || len(files) == 0 {
			t.Errorf("format %s has no golden file in testdata/%s", name, name)
			continue
		}
		for _, in := range files {
			t.Run(name+"/"+filepath.Base(in), func(t *testing.T) {
				f := lookup(t, name)
				data, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				var out []golden
				for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
					line = bytes.TrimSuffix(line, []byte("\r"))
					var ev event.Event
					ev.Set(event.Message, "stale: Parse must reset the event")
					g := golden{Line: i + 1}
					if err := f.Parse(line, &ev); err != nil {
						g.Rejected = string(ReasonOf(err)) + ": " + err.Error()
					} else {
						checkEvent(t, i+1, &ev)
						g.Dataset, g.Status, g.Fields = ev.Dataset, ev.Status, ev.Map()
						if ev.IP.IsValid() {
							g.IP = ev.IP.String()
						}
						if !ev.Time.IsZero() {
							g.Time = ev.Time.Format(time.RFC3339Nano)
						}
					}
					out = append(out, g)
				}
				got, err := json.MarshalIndent(out, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
				want := strings.TrimSuffix(in, ".log") + ".json"
				if *update {
					if err := os.WriteFile(want, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				exp, err := os.ReadFile(want)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(got, exp) {
					t.Errorf("%s differs from %s (run with -update and read the diff):\n%s", in, want, diffLines(string(exp), string(got)))
				}
			})
		}
	}
}

// checkEvent holds every accepted event to the event contract.
func checkEvent(t *testing.T, line int, ev *event.Event) {
	t.Helper()
	if ev.Get(event.Message) == "stale: Parse must reset the event" {
		t.Errorf("line %d: event not reset", line)
	}
	if ev.Dataset == "" {
		t.Errorf("line %d: no dataset", line)
	}
	if ip := ev.Get(event.SourceIP); (ip != "") != ev.IP.IsValid() || ip != "" && ip != ev.IP.String() && !strings.Contains(ip, ":") {
		t.Errorf("line %d: source.ip %q but IP %v", line, ip, ev.IP)
	}
	if sc := ev.Get(event.StatusCode); (sc != "") != (ev.Status != 0 || sc == "000" || sc == "0") {
		t.Errorf("line %d: status_code %q but Status %d", line, sc, ev.Status)
	}
	if x := ev.Get(event.URLExtension); x != strings.ToLower(x) || strings.HasPrefix(x, ".") {
		t.Errorf("line %d: url.extension %q", line, x)
	}
}

// diffLines shows the first lines where want and got part.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

func TestList(t *testing.T) {
	names := Names()
	want := []string{"apache", "auth", "coraza", "json", "nginx", "syslog"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v, want %v", names, want)
	}
	for _, n := range names {
		f, ok := Lookup(n)
		if !ok || f.Name() != n {
			t.Fatalf("Lookup(%q) = %v, %v", n, f, ok)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Fatal("Lookup found an unknown format")
	}
}

// TestBadInput feeds every format the input the issue names — truncated
// lines, binary garbage, a 1 MB line, invalid UTF-8, malformed JSON and
// syslog — and wants a rejection or an event, never a panic, and the
// same answer for a good line before and after.
func TestBadInput(t *testing.T) {
	good := map[string]string{
		"nginx":  `203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "GET /x.php HTTP/1.1" 404 153 "-" "curl/8"`,
		"apache": `203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "GET /x.php HTTP/1.1" 404 153`,
		"json":   `{"@timestamp":"2024-02-14T06:00:00Z","source":{"ip":"203.0.113.9"},"url":{"original":"/x.php"}}`,
		"coraza": `{"transaction":{"client_ip":"203.0.113.9","request":{"method":"GET","uri":"/x.php"},"response":{"status":403}},"messages":[{"message":"m","data":{"id":1}}]}`,
		"auth":   `Feb 14 06:00:01 h sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2`,
		"syslog": `<13>Feb 14 06:00:01 h prog[1]: text`,
	}
	big := strings.Repeat("A", 1<<20)
	bad := []string{
		"", " ", "\x00", "\x00\x01\x02\xff\xfe", "\xff\xfe\xfd", "\xc3\x28", string(bytes.Repeat([]byte{0x16, 0x03, 0x01, 0x00}, 64)),
		big, `{"a":"` + big + `"}`, "<13>Feb 14 06:00:01 h p: " + big, `203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "GET /` + big + ` HTTP/1.1" 200 1 "-" "-"`,
		strings.Repeat("[", 100000), strings.Repeat(`{"a":`, 100000), strings.Repeat(`[`, 63) + strings.Repeat(`]`, 63),
		`{"a":"\ud800"}`, `{"a":"\u12"}`, `{"a":1e}`, `{"a":-}`, `{"a" 1}`, `{"a":1,}`, `{,}`, `{"a":[1,]}`, `{"transaction":`,
		"<", "<1", "<13>", "<13>1", "<13>1 ", "<13>1 - - - - - [", `<13>1 - - - - - [a b="\`, "Feb 14", "Feb 14 06:00:01",
		`1.2.3.4 - - [`, `1.2.3.4 - - [14/Feb/2024:06:00:00 +0700`, `1.2.3.4 - - [14/Feb/2024:06:00:00 +0700] "`, `1.2.3.4 - - [14/Feb/2024:06:00:00 +0700] "GET / HTTP/1.1" 2`,
		`1.2.3.4 - - [14/Feb/2024:06:00:00 +0700] "GET / HTTP/1.1" 200 1 "`, `1.2.3.4 - - [14/Feb/2024:06:00:00 +0700] "\`, `- - - [14/Feb/2024:06:00:00 +0700] "" 200 1`,
	}
	for _, name := range Names() {
		f := lookup(t, name)
		var ref event.Event
		if err := f.Parse([]byte(good[name]), &ref); err != nil {
			t.Fatalf("%s: good line rejected: %v", name, err)
		}
		for _, b := range bad {
			var ev event.Event
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s panicked on %.60q: %v", name, b, r)
					}
				}()
				_ = f.Parse([]byte(b), &ev)
			}()
			if err := f.Parse([]byte(good[name]), &ev); err != nil || ev.Map()["url.original"] != ref.Map()["url.original"] || ev.Time != ref.Time {
				t.Fatalf("%s: good line after %.60q parsed differently: %v", name, b, err)
			}
		}
	}
}

// TestAllocs holds the access log parsers to one allocation per line.
func TestAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are checked in the full run")
	}
	lines := benchLines(t)
	var ev event.Event
	for _, name := range []string{"nginx", "apache"} {
		f := lookup(t, name)
		i := 0
		n := allocstest.PerRun(len(lines)*4, func() {
			if err := f.Parse(lines[i%len(lines)], &ev); err != nil {
				t.Fatal(err)
			}
			i++
		})
		if n > 1 {
			t.Errorf("%s: %v allocations per line, want at most 1", name, n)
		}
	}
}

func benchLines(tb testing.TB) [][]byte {
	data, err := os.ReadFile(filepath.Join("testdata", "bench", "genlog-nginx.log"))
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

// BenchmarkNginx parses lines of genlog.py's output (the `detect replay`
// benchmark's log), round robin.
func BenchmarkNginx(b *testing.B) {
	lines := benchLines(b)
	total := 0
	for _, l := range lines {
		total += len(l) + 1
	}
	f := lookup(b, "nginx")
	var ev event.Event
	b.SetBytes(int64(total / len(lines)))
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		if err := f.Parse(lines[i], &ev); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(lines) {
			i = 0
		}
	}
	// The process's CPU time per line, GC included: what other load on
	// the machine does not inflate.
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func benchFormat(b *testing.B, name string, line string) {
	f := lookup(b, name)
	var ev event.Event
	l := []byte(line)
	b.SetBytes(int64(len(l) + 1))
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Parse(l, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSON(b *testing.B) {
	benchFormat(b, "json", `{"@timestamp":"2024-02-14T06:00:00.123Z","source":{"ip":"203.0.113.5"},"http":{"request":{"method":"GET"},"response":{"status_code":404,"body":{"bytes":153}},"version":"1.1"},"url":{"original":"/wp-login.php?redirect=1"},"user_agent":{"original":"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"},"event":{"dataset":"sirekap.access"}}`)
}

func BenchmarkAuth(b *testing.B) {
	benchFormat(b, "auth", `Feb 14 06:00:01 sirekap-1 sshd[1234]: Failed password for invalid user admin from 203.0.113.5 port 51234 ssh2`)
}

func BenchmarkCoraza(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "coraza", "coraza.log"))
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	benchFormat(b, "coraza", string(line))
}

// hostileLines are lines built to make a careless parser quadratic
// (escapes before a far quote, quotes that close nothing, huge arrays,
// thousands of rule matches), by format, each of about n bytes.
func hostileLines() map[string][]func(n int) string {
	head := `203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "`
	return map[string][]func(n int) string{
		"nginx": {
			func(n int) string { return head + strings.Repeat(`\x16`, n/4) + `" 400 1 "-" "-"` },
			func(n int) string { return head + strings.Repeat(`\"`, n/2) + `" 400 1 "-" "-"` },
			func(n int) string { return head + "GET /" + strings.Repeat(`" `, n/2) + `" 400 1 "-" "-"` },
			func(n int) string { return head + `GET / HTTP/1.1" 200 1 "-" "` + strings.Repeat(`a"`, n/2) + `"` },
			func(n int) string { return head + strings.Repeat(`\`, n) },
		},
		"json": {
			func(n int) string { return `{"event":{"category":[` + strings.Repeat(`"web",`, n/6) + `"web"]}}` },
			func(n int) string { return `{"rule.id":[` + strings.Repeat(`1,`, n/2) + `1]}` },
			func(n int) string {
				return `{` + strings.Repeat(`"k":{`, 60) + strings.Repeat(`"message":"x",`, n/14) + `"a":1` + strings.Repeat(`}`, 61)
			},
			func(n int) string { return `{"` + strings.Repeat("k", n) + `":{"message":"x"}}` },
			func(n int) string { return `{"message":"` + strings.Repeat(`\u00e9`, n/6) + `"}` },
		},
		"coraza": {
			func(n int) string {
				return `{"transaction":{"client_ip":"203.0.113.9"},"messages":[` + strings.Repeat(`{"message":"m","data":{"id":1}},`, n/32) + `{}]}`
			},
			func(n int) string {
				var b strings.Builder
				for i := 0; b.Len() < n; i++ {
					fmt.Fprintf(&b, `{"message":"m%d","data":{"id":%d}},`, i, i)
				}
				return `{"transaction":{"client_ip":"203.0.113.9"},"messages":[` + b.String() + `{}]}`
			},
			func(n int) string {
				return `{"transaction":{"client_ip":"203.0.113.9"},"audit_data":{"messages":[` + strings.Repeat(`"[id \"1\"] [msg \"x\"]",`, n/24) + `""]}}`
			},
		},
		"auth": {
			func(n int) string {
				return "Feb 14 06:00:01 h sshd[1]: Failed password for " + strings.Repeat(" from ", n/6) + "1.2.3.4 port 1 ssh2"
			},
			func(n int) string {
				return "Feb 14 06:00:01 h sshd[1]: authentication failure; " + strings.Repeat("xuser=", n/6)
			},
			func(n int) string {
				return "Feb 14 06:00:01 h sshd[1]: Connection closed by " + strings.Repeat("user ", n/5) + "1.2.3.4 port 1 [preauth]"
			},
			func(n int) string { return "Feb 14 06:00:01 h sudo: " + strings.Repeat("a : ", n/4) },
		},
		"syslog": {
			func(n int) string { return `<13>1 - - - - - ` + strings.Repeat(`[a b="\]\"\\"]`, n/14) + ` msg` },
			func(n int) string { return "<13>Feb 14 06:00:01 " + strings.Repeat("[", n) },
		},
	}
}

// TestHostileLines: hostile lines must cost about linear work: four times
// the size may allocate at most eight times the bytes (quadratic would be
// sixteen). Bytes allocated are counted exactly, whatever the machine's
// load; the time they take is BenchmarkHostileLines' to show.
func TestHostileLines(t *testing.T) {
	allocated := func(f Format, line []byte) uint64 {
		var ev event.Event
		least := uint64(math.MaxUint64)
		for range 3 { // the least of three: a background allocation is not the parser's
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_ = f.Parse(line, &ev)
			runtime.ReadMemStats(&after)
			least = min(least, after.TotalAlloc-before.TotalAlloc)
		}
		return least
	}
	const small, large = 256 << 10, 1 << 20
	for name, gs := range hostileLines() {
		f := lookup(t, name)
		for i, gen := range gs {
			as, al := allocated(f, []byte(gen(small))), allocated(f, []byte(gen(large)))
			if al > 8*as+64<<10 {
				t.Errorf("%s line %d: %d bytes allocated for 256 KiB, %d for 1 MiB: not linear", name, i, as, al)
			}
		}
	}
}

// BenchmarkHostileLines reports the time per byte of each hostile line at
// 256 KiB and at 1 MiB: about the same figure for both, or the parser is
// worse than linear on it.
func BenchmarkHostileLines(b *testing.B) {
	for name, gs := range hostileLines() {
		f := lookup(b, name)
		for i, gen := range gs {
			for _, size := range []int{256 << 10, 1 << 20} {
				line := []byte(gen(size))
				b.Run(fmt.Sprintf("%s/%d/%dKiB", name, i, size>>10), func(b *testing.B) {
					var ev event.Event
					for b.Loop() {
						_ = f.Parse(line, &ev)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(line)), "ns/byte")
				})
			}
		}
	}
}

// TestWrappedAccessLines: an access-log line in a wrapper (outer quotes,
// a syslog header, a CRLF ending) is read with its client address, and a
// line with no address is refused as such, not kept without one.
func TestWrappedAccessLines(t *testing.T) {
	plain := `203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "GET /cari?q=a HTTP/1.1" 200 512 "-" "Mozilla/5.0"`
	for _, line := range []string{
		plain + "\r",
		`"` + strings.ReplaceAll(plain, `"`, `""`) + `"`,
		`"` + strings.ReplaceAll(plain, `"`, `\"`) + `"` + "\r",
		`<190>Feb 14 06:00:00 web1 nginx: ` + plain,
		`Feb 14 06:00:00 relay nginx[7]: "` + strings.ReplaceAll(plain, `"`, `""`) + `"`,
	} {
		var ev event.Event
		if err := (Nginx{}).Parse([]byte(line), &ev); err != nil {
			t.Errorf("%v: %s", err, line)
			continue
		}
		if ev.Get(event.SourceIP) != "203.0.113.9" || ev.Get(event.URLQuery) != "q=a" || ev.Get(event.UserAgent) != "Mozilla/5.0" {
			t.Errorf("%s: read as %v", line, ev.Map())
		}
	}
	for _, line := range []string{
		`- - - [14/Feb/2024:06:00:00 +0700] "GET / HTTP/1.1" 200 1 "-" "-"`,
		`web-7 - - [14/Feb/2024:06:00:00 +0700] "GET / HTTP/1.1" 200 1 "-" "-"`,
		`"" - - [14/Feb/2024:06:00:00 +0700] "GET / HTTP/1.1" 200 1 "-" "-"`,
	} {
		var ev event.Event
		if err := (Nginx{}).Parse([]byte(line), &ev); ReasonOf(err) != BadClientAddress {
			t.Errorf("%s: %v, want %s", line, err, BadClientAddress)
		}
	}
}

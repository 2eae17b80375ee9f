package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/event"
)

// The fuzz targets: `go test ./internal/ingest/format -fuzz=FuzzNginx`
// (one at a time). Each seeds its corpus with the golden inputs, so the
// fuzzer starts from real lines and their edge cases.

func seedGolden(f *testing.F, dirs ...string) {
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.log"))
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			for _, line := range bytes.Split(data, []byte("\n")) {
				f.Add(line)
			}
		}
	}
}

// checkFuzzed holds an accepted event to what every format promises.
func checkFuzzed(t *testing.T, name string, line []byte, ev *event.Event) {
	t.Helper()
	if ev.Dataset == "" {
		t.Fatalf("%s: accepted %q without a dataset", name, line)
	}
	if ip := ev.Get(event.SourceIP); (ip != "") != ev.IP.IsValid() {
		t.Fatalf("%s: source.ip %q but IP %v", name, ip, ev.IP)
	}
	if ev.Status < 0 || ev.Status > 999 {
		t.Fatalf("%s: status %d", name, ev.Status)
	}
	if x := ev.Get(event.URLExtension); strings.ContainsAny(x, "/ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t.Fatalf("%s: url.extension %q", name, x)
	}
	if utf8.Valid(line) {
		for k, v := range ev.Map() {
			if !utf8.ValidString(v) && name != "json" && name != "coraza" {
				t.Fatalf("%s: %s %q is not UTF-8 though the line was", name, k, v)
			}
		}
	}
}

func fuzzFormat(f *testing.F, name string, extra func(t *testing.T, line []byte, ev *event.Event, err error)) {
	f.Fuzz(func(t *testing.T, line []byte) {
		fm := lookup(t, name)
		var ev event.Event
		err := fm.Parse(line, &ev)
		if err == nil {
			checkFuzzed(t, name, line, &ev)
		}
		if extra != nil {
			extra(t, line, &ev, err)
		}
		// Parse keeps nothing: the same line parses the same again.
		var again event.Event
		err2 := fm.Parse(line, &again)
		if (err == nil) != (err2 == nil) || ev.Map()["url.original"] != again.Map()["url.original"] {
			t.Fatalf("%s: second parse of %q differs", name, line)
		}
	})
}

func FuzzNginx(f *testing.F) {
	seedGolden(f, "nginx", "apache")
	f.Add([]byte(`1.2.3.4 - - [14/Feb/2024:06:00:00 +0700] "GET /a\"b\\ HTTP/1.1" 200 1 "\"" "\\"`))
	f.Add([]byte(`0 0 [01/Feb/0001:00:00:00 +0000] "0 /"\"0" 000 0`)) // found by the fuzzer: a raw and an escaped quote
	fuzzFormat(f, "nginx", func(t *testing.T, line []byte, ev *event.Event, err error) {
		if err != nil {
			return
		}
		s := string(line)
		// Fields come from the line: unescaped at most.
		strip := strings.NewReplacer(`\`, "", `"`, "")
		for _, fld := range []event.Field{event.URLPath, event.UserAgent, event.Referrer, event.HTTPMethod, event.UserName} {
			if v := ev.Get(fld); !strings.Contains(strip.Replace(s), strip.Replace(v)) {
				t.Fatalf("%v %q not from line %q", fld, v, s)
			}
		}
		// The fast IPv4 path agrees with net/netip.
		host, _, _ := strings.Cut(s, " ")
		if a, ok := parseIPv4(host); ok {
			if b, err := netip.ParseAddr(host); err != nil || a != b {
				t.Fatalf("parseIPv4(%q) = %v, netip %v %v", host, a, b, err)
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	seedGolden(f, "json", "coraza")
	f.Add([]byte(`{"a":"\ud83d\ude00\u00e9\n\/","b":[1,-0.5e+3,true,false,null,{"c":{}}],"d.e":{"f":[]}}`))
	fuzzFormat(f, "json", func(t *testing.T, line []byte, ev *event.Event, err error) {
		// The scanner agrees with encoding/json on what JSON is.
		valid := json.Valid(line)
		top := bytes.HasPrefix(bytes.TrimLeft(line, " \t\r\n"), []byte("{"))
		switch {
		case err == nil && !valid:
			t.Fatalf("accepted invalid JSON %q", line)
		case (errors.Is(err, errJSON) || errors.Is(err, errJSONTop)) && valid && top:
			t.Fatalf("rejected valid JSON %q: %v", line, err)
		}
		// And on what a string says.
		if err == nil && utf8.Valid(line) {
			var m map[string]any
			if json.Unmarshal(line, &m) == nil {
				if msg, ok := m["message"].(string); ok && !strings.Contains(string(line), `"message.`) &&
					bytes.Count(line, []byte(`"message"`)) == 1 && ev.Get(event.Message) != msg {
					t.Fatalf("message %q, encoding/json says %q", ev.Get(event.Message), msg)
				}
			}
		}
	})
}

func FuzzCoraza(f *testing.F) {
	seedGolden(f, "coraza")
	fuzzFormat(f, "coraza", func(t *testing.T, line []byte, ev *event.Event, err error) {
		if err == nil && !json.Valid(line) {
			t.Fatalf("accepted invalid JSON %q", line)
		}
	})
}

func FuzzAuth(f *testing.F) {
	seedGolden(f, "auth", "syslog")
	fuzzFormat(f, "auth", func(t *testing.T, line []byte, ev *event.Event, err error) {
		if err != nil {
			return
		}
		for _, fld := range []event.Field{event.UserName, event.HostName, event.ProcessName, event.Message} {
			if v := ev.Get(fld); !bytes.Contains(line, []byte(v)) {
				t.Fatalf("%v %q not from line %q", fld, v, line)
			}
		}
	})
}

package hostile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
)

// Every line parses as nginx's combined format, and no two lines share a
// request target or an address, even when the lists are far shorter
// than the log.
func TestWriteNoRepeats(t *testing.T) {
	dir := t.TempDir()
	lists := map[string]string{
		"sqli":      "' OR 1=1--\nAND [RANDNUM]=[RANDNUM]\n",
		"xss":       "<script>alert(1)</script>\n\"><img src=x onerror=alert(1)>\n",
		"cmdi":      ";id\n| cat /etc/passwd\n",
		"traversal": "../../etc/passwd\n..%c0%af..%c0%afetc/passwd\n",
	}
	for name, text := range lists {
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	payloads, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(payloads) != 8 {
		t.Fatalf("%d payloads, want 8", len(payloads))
	}
	var b bytes.Buffer
	if err := Write(&b, payloads, Options{Lines: 500, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	f, ok := format.Lookup("nginx")
	if !ok {
		t.Fatal("no nginx format")
	}
	targets, addrs := map[string]bool{}, map[string]bool{}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 500 {
		t.Fatalf("%d lines, want 500", len(lines))
	}
	for _, l := range lines {
		var ev event.Event
		if err := f.Parse([]byte(l), &ev); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		target := strings.TrimSuffix(ev.Get(event.URLOriginal), "&lang=id")
		if targets[target] || addrs[ev.Get(event.SourceIP)] {
			t.Fatalf("repeated target or address: %s", l)
		}
		targets[target], addrs[ev.Get(event.SourceIP)] = true, true
		if strings.Contains(target, "[RANDNUM]") {
			t.Errorf("placeholder left: %s", l)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("no lists: want an error")
	}
}

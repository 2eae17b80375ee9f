package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.yaml", "id: good\ninfo:\n  name: Good\n  author: garda\n  severity: info\nhttp:\n  - method: GET\n    path: ['{{BaseURL}}']\n    matchers:\n      - type: status\n        status: [200]\n")
	write("sub/headless.yaml", "id: shot\ninfo:\n  name: Shot\n  author: garda\n  severity: info\nheadless:\n  - steps: []\n")
	write("sub/oob.yml", "id: oob\ninfo:\n  name: OOB\n  author: garda\n  severity: high\nhttp:\n  - method: GET\n    path: ['{{BaseURL}}/?u={{interactsh-url}}']\n")
	write("broken.yaml", "id: [unclosed\n")
	write("notes.txt", "not a template")

	var out, errOut bytes.Buffer
	err := scanValidate([]string{dir}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "3 of 4") {
		t.Fatalf("error %v, want 3 of 4 templates failing", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 (one per .yaml/.yml):\n%s", len(lines), out.String())
	}
	got := map[string]validateLine{}
	for _, l := range lines {
		var v validateLine
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got[filepath.Base(v.Path)] = v
	}
	want := map[string]struct {
		id, err string
		ok      bool
	}{
		"good.yaml":     {"good", "", true},
		"headless.yaml": {"shot", `unsupported protocol "headless"`, false},
		"oob.yml":       {"oob", "unsupported: interactsh (out-of-band) placeholder {{interactsh-url}}", false},
		"broken.yaml":   {"", "yaml:", false},
	}
	for name, w := range want {
		g := got[name]
		if g.ID != w.id || g.OK != w.ok || !strings.Contains(g.Error, w.err) {
			t.Errorf("%s: %+v, want id %q ok %v error containing %q", name, g, w.id, w.ok, w.err)
		}
	}

	// exit status through the command: 1 when any fails, 0 when all load
	stdout := os.Stdout
	devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	os.Stdout = devnull
	code := run([]string{"scan", "validate", dir}, strings.NewReader(""), io.Discard, io.Discard)
	os.RemoveAll(filepath.Join(dir, "sub"))
	os.Remove(filepath.Join(dir, "broken.yaml"))
	code2 := run([]string{"scan", "validate", dir}, strings.NewReader(""), io.Discard, io.Discard)
	os.Stdout = stdout
	if code != 1 || code2 != 0 {
		t.Errorf("exit %d with failures (want 1), %d without (want 0)", code, code2)
	}
}

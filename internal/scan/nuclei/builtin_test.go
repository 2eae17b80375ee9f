package nuclei

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/scan"
)

// TestBuiltinLoads: every shipped template loads, ids are unique, and the
// set is what Checks("") gives.
func TestBuiltinLoads(t *testing.T) {
	loaded, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) < 100 {
		t.Fatalf("%d shipped templates, want the ~129 chosen", len(loaded))
	}
	active := 0
	for _, l := range loaded {
		if l.Err != nil {
			t.Errorf("%s: %v", l.Path, l.Err)
			continue
		}
		if l.Template.Active() {
			active++
		}
	}
	checks, err := Checks("")
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != len(loaded) {
		t.Errorf("Checks gave %d, the folder holds %d", len(checks), len(loaded))
	}
	t.Logf("%d shipped templates, %d active, %d passive", len(loaded), active, len(loaded)-active)
	if _, err := os.Stat(filepath.Join("templates", "LICENSE")); err != nil {
		t.Errorf("the MIT licence must travel with the templates: %v", err)
	}
}

// TestActiveRule pins the passive/active rule of the package comment.
func TestActiveRule(t *testing.T) {
	head := "id: x\ninfo:\n  name: x\n  author: garda\n  severity: info\n"
	cases := map[string]bool{
		"http:\n  - method: GET\n    path: ['{{BaseURL}}']\n    matchers: [{type: status, status: [200]}]\n":                                 false,
		"http:\n  - method: GET\n    path: ['{{BaseURL}}/']\n    matchers: [{type: status, status: [200]}]\n":                                false,
		"http:\n  - raw: [\"GET / HTTP/1.1\\nHost: {{Hostname}}\\n\\n\"]\n    matchers: [{type: status, status: [200]}]\n":                   false,
		"http:\n  - method: GET\n    path: ['{{BaseURL}}/.git/config']\n    matchers: [{type: status, status: [200]}]\n":                     true,
		"http:\n  - method: POST\n    path: ['{{BaseURL}}']\n    matchers: [{type: status, status: [200]}]\n":                                true,
		"http:\n  - method: GET\n    path: ['{{BaseURL}}?q={{p}}']\n    payloads: {p: [a]}\n    matchers: [{type: status, status: [200]}]\n": true,
		"ssl:\n  - address: '{{Host}}:{{Port}}'\n    matchers: [{type: dsl, dsl: [expired]}]\n":                                              false,
		"dns:\n  - name: '{{FQDN}}'\n    type: TXT\n    matchers: [{type: word, words: [spf]}]\n":                                            false,
		"network:\n  - host: ['{{Hostname}}']\n    inputs: [{data: \"x\"}]\n    matchers: [{type: word, words: [y]}]\n":                      true,
	}
	for body, want := range cases {
		tpl, err := Parse([]byte(head+body), "t.yaml")
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if tpl.Active() != want {
			t.Errorf("%s: active %v, want %v", strings.SplitN(body, "\n", 3)[1], tpl.Active(), want)
		}
	}
}

func TestActiveRefusedUnderPassive(t *testing.T) {
	tpl, err := Parse([]byte("id: x\ninfo: {name: x, author: garda, severity: info}\nhttp:\n  - path: ['{{BaseURL}}/.env']\n    matchers: [{type: status, status: [200]}]\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = tpl.Run(context.Background(), testEnv(""), scan.Target{URL: "http://127.0.0.1:1", Mode: scan.Passive}, func(scan.Result) { t.Error("emitted") })
	if err == nil || !strings.Contains(err.Error(), "passive authorisation") {
		t.Errorf("active template under passive: %v", err)
	}
}

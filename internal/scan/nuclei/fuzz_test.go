package nuclei

import (
	"io/fs"
	"os"
	"strings"
	"testing"
)

// FuzzLoad: whatever the bytes, Parse answers a template or an error; it
// never panics or hangs.
func FuzzLoad(f *testing.F) {
	seed, err := os.ReadFile("testdata/everything.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	n := 0
	fs.WalkDir(builtinFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && n < 40 {
			if b, err := fs.ReadFile(builtinFS(), p); err == nil {
				f.Add(b)
				n++
			}
		}
		return nil
	})
	for _, s := range []string{"", "id: x", "- a\n- b", "id: x\ninfo: 3\nhttp: 4", "id: x\ninfo:\n  name: n\n  author: a\nhttp:\n  - raw: ['@']\n", "{{", "id: x\ninfo: {name: n, author: a}\nflow: http(1) &&\nhttp: [{path: [x]}]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := Parse(data, "fuzz.yaml")
		if err == nil && tpl.ID() == "" {
			t.Fatal("a template without id loaded")
		}
	})
}

func TestMalformedTemplates(t *testing.T) {
	head := "id: x\ninfo:\n  name: x\n  author: garda\n  severity: info\n"
	cases := map[string]string{
		"":                  "not a template",
		"id: [":             "yaml",
		"info: {name: a}\n": "no id",
		"id: 'a b'\ninfo: {name: a, author: b}\nhttp: [{path: [x]}]\n": "template id",
		head:                              "no http, ssl, dns or network",
		head + "http:\n  - method: GET\n": "neither path nor raw",
		head + "http:\n  - path: [x]\n    matchers: [{type: regex, regex: ['(']}]\n":              "regex",
		head + "http:\n  - path: [x]\n    matchers: [{type: dsl, dsl: ['contains(body']}]\n":      "dsl",
		head + "http:\n  - path: [x]\n    matchers: [{type: word}]\n":                             "without words",
		head + "http:\n  - path: [x]\n    matchers: [{type: magic}]\n":                            "unknown matcher type",
		head + "http:\n  - path: [x]\n    payloads: {a: [1, 2], b: [1]}\n    attack: pitchfork\n": "same length",
		head + "http:\n  - path: [x]\n    attack: sniper\n    payloads: {a: [1]}\n":               "attack",
		head + "headless:\n  - steps: []\n":                                                       `unsupported protocol "headless"`,
		head + "code:\n  - engine: [sh]\n":                                                        `unsupported protocol "code"`,
		head + "javascript:\n  - code: x\n":                                                       `unsupported protocol "javascript"`,
		head + "flow: while(1){}\nhttp: [{path: [x]}]\n":                                          "flow",
		head + "self-contained: true\nhttp: [{path: [x]}]\n":                                      "self-contained",
		head + "http:\n  - path: ['{{BaseURL}}/?u={{interactsh-url}}']\n":                         "unsupported: interactsh (out-of-band) placeholder {{interactsh-url}}",
		head + "http:\n  - path: [x]\n    fuzzing: [{part: query}]\n":                             "unsupported: fuzzing",
		head + "http:\n  - path: [x]\n    payloads: {a: helpers/wordlists/x.txt}\n":               `payload file "helpers/wordlists/x.txt"`,
		head + "ssl:\n  - address: x\n    min_version: tls99\n":                                   "unknown TLS version",
		head + "dns:\n  - name: x\n    type: BOGUS\n":                                             "dns type",
		head + "network:\n  - host: [x]\n    inputs: [{data: zz, type: hex}]\n":                   "hex",
		head + "http: [{path: [x]}]\nssl: [{address: x}]\n":                                       "multi-protocol",
	}
	for body, want := range cases {
		_, err := Parse([]byte(body), "t.yaml")
		if err == nil {
			t.Errorf("%q loaded, want an error containing %q", body, want)
			continue
		}
		if !containsFold(err.Error(), want) {
			t.Errorf("%q: %v, want an error containing %q", body, err, want)
		}
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

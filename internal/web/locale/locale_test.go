package locale

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestParse(t *testing.T) {
	entries, err := Parse([]byte(`{"b.x": "Satu %d", "a": "Dua <b> & é"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0] != (Entry{"b.x", "Satu %d"}) || entries[1] != (Entry{"a", "Dua <b> & é"}) {
		t.Fatalf("entries = %+v, want the file's order", entries)
	}
	if got := string(Format(entries)); got != "{\n  \"b.x\": \"Satu %d\",\n  \"a\": \"Dua <b> & é\"\n}\n" {
		t.Errorf("Format = %q", got)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"a": "x", "a": "y"}`, `key "a" is given twice`},
		{`{"a": 1}`, `key "a": want a string text`},
		{`{"a": {"b": "c"}}`, `key "a": want a string text`},
		{`["a"]`, `want one JSON object`},
		{``, `want one JSON object`},
		{`{"a": "x"`, `unterminated object`},
		{`{"a": "x",}`, `read key`},
		{`{"a": "x"} {}`, `text after the object`},
		{`{"": "x"}`, `an empty key`},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", tc.in, err, tc.want)
		}
	}
}

func TestAdd(t *testing.T) {
	good := fstest.MapFS{
		"m/shell.id.json": file(`{"nav.unread": "%d belum dibaca", "hello": "Halo"}`),
		"m/shell.en.json": file(`{"nav.unread": "%d unread", "hello": "Hello"}`),
	}
	c := New()
	if err := c.Add(good, "m"); err != nil {
		t.Fatal(err)
	}
	if got := c.Translate(EN, "nav.unread", 2); got != "2 unread" {
		t.Errorf("en = %q", got)
	}
	if got := c.Translate(ID, "nav.unread", 2); got != "2 belum dibaca" {
		t.Errorf("id = %q", got)
	}
	if got := c.Translate("fr", "hello"); got != "Halo" {
		t.Errorf("an unknown language = %q, want Indonesian", got)
	}
	if got := c.Translate(EN, "nope"); got != "[[nope]]" {
		t.Errorf("missing = %q", got)
	}
	if p := c.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}

	for name, tc := range map[string]struct {
		fs   fstest.MapFS
		want string
	}{
		"a key another area defines": {fstest.MapFS{"p/scan.id.json": file(`{"hello": "Hai"}`)}, `key "hello" is already defined in m/shell.id.json`},
		"one key in two areas":       {fstest.MapFS{"p/a.id.json": file(`{"k": "x"}`), "p/b.en.json": file(`{"k": "x"}`)}, `key "k" belongs to p/a.*.json`},
		"an unknown language":        {fstest.MapFS{"p/scan.fr.json": file(`{"k": "x"}`)}, `language "fr"`},
		"a badly named file":         {fstest.MapFS{"p/scan.json": file(`{"k": "x"}`)}, `name it <area>.<lang>.json`},
		"a broken file":              {fstest.MapFS{"p/a.id.json": file(`{"new": "x"}`), "p/b.id.json": file(`{"k": }`)}, `p/b.id.json: key "k"`},
		"no files":                   {fstest.MapFS{"p/README": file("x")}, `no message files`},
	} {
		err := c.Add(tc.fs, "p")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Add = %v, want an error saying %q", name, err, tc.want)
		}
		if len(c.Keys()) != 2 || c.Has("new") || c.Has("k") {
			t.Errorf("%s: a refused Add changed the catalog: %v", name, c.Keys())
		}
	}
}

func TestProblems(t *testing.T) {
	c := New()
	err := c.Add(fstest.MapFS{
		"m/a.id.json": file(`{"only_id": "x", "verbs": "%s lalu %d", "moved": "%s lalu %d", "empty": " ", "pct": "100%% dari %d"}`),
		"m/a.en.json": file(`{"only_en": "x", "verbs": "%d then %s", "moved": "%[2]d then %[1]s", "empty": "e", "pct": "100%% of %d"}`),
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(c.Problems(), "\n")
	for _, want := range []string{
		`key "only_id" has no en text`,
		`key "only_en" has no id text`,
		`key "verbs" takes 1:s 2:d in id but 1:d 2:s in en`,
		`key "empty" has an empty id text`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	for _, fine := range []string{`"moved"`, `"pct"`, `"only_en" takes`} {
		if strings.Contains(got, fine) {
			t.Errorf("problems name %s, whose languages agree:\n%s", fine, got)
		}
	}
}

func TestVerbs(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                     "no arguments",
		"100%%":                     "no arguments",
		"%s: %d of %d":              "1:s 2:d 3:d",
		"%[2]d of %[1]s":            "1:s 2:d",
		"#%[1]d: %[2]s %[3]s %[4]s": "1:d 2:s 3:s 4:s",
		"%q and %-5.2f":             "1:q 2:f",
	} {
		if got := Verbs(in); got != want {
			t.Errorf("Verbs(%q) = %q, want %q", in, got, want)
		}
	}
}

// registerRuns keeps TestRegister's key new on every run (go test -count=N).
var registerRuns int

func TestRegister(t *testing.T) {
	registerRuns++
	key := fmt.Sprintf("test.register%d", registerRuns)
	before := len(Registered().Keys())
	Register(fstest.MapFS{
		"m/t.id.json": file(`{"` + key + `": "Ya"}`),
		"m/t.en.json": file(`{"` + key + `": "Yes"}`),
	}, "m")
	if got := Registered().Translate(EN, key); got != "Yes" || len(Registered().Keys()) != before+1 {
		t.Fatalf("after Register: %q, %d keys", got, len(Registered().Keys()))
	}
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), fmt.Sprintf("key %q is already defined", key)) {
			t.Errorf("registering a key twice: recovered %v, want a panic naming it", r)
		}
		if len(Registered().Keys()) != before+1 {
			t.Error("a refused Register changed the catalog")
		}
	}()
	Register(fstest.MapFS{"x/u.id.json": file(`{"` + key + `": "Lagi"}`)}, "x")
}

func TestUndefined(t *testing.T) {
	c := New()
	if err := c.Add(fstest.MapFS{"m/a.id.json": file(`{"known": "x"}`), "m/a.en.json": file(`{"known": "x"}`)}, "m"); err != nil {
		t.Fatal(err)
	}
	src := fstest.MapFS{
		"templates/page.html": file(`<h1>{{.T "known"}}</h1><p>{{$.T "typo.title" .X}}</p>{{$.L "role" .Role}}`),
		"pages.go":            file(`rq.T("known"); rq.T("missing.go"); rq.T("prefix." + k); translate(lang, "missing.translate")`),
		"pages_test.go":       file(`rq.T("only.in.a.test")`),
	}
	got, err := c.Undefined(src, "templates/*.html", "*.go")
	if err != nil {
		t.Fatal(err)
	}
	want := `templates/page.html uses "typo.title"|pages.go uses "missing.go"|pages.go uses "missing.translate"`
	if strings.Join(got, "|") != want {
		t.Errorf("Undefined = %q, want %q", got, want)
	}
}

// BenchmarkTranslate: a page asks for hundreds of strings; a lookup must
// stay a map read (no lock, no copy).
func BenchmarkTranslate(b *testing.B) {
	c := New()
	if err := c.Add(fstest.MapFS{
		"b/bench.id.json": file(`{"bench.plain": "Ikhtisar", "bench.args": "%d belum dibaca"}`),
		"b/bench.en.json": file(`{"bench.plain": "Overview", "bench.args": "%d unread"}`),
	}, "b"); err != nil {
		b.Fatal(err)
	}
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			_ = c.Translate(EN, "bench.plain")
		}
	})
	b.Run("args", func(b *testing.B) {
		for b.Loop() {
			_ = c.Translate(ID, "bench.args", 3)
		}
	})
}

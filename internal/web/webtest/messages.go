package webtest

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/web/locale"
)

// PillarMessages checks a pillar's message files from its package
// directory: what Messages checks, at least minKeys keys of its own (a
// file lost in a move fails), and every key of its own files used by the
// pillar's or the shell's templates and Go, by name or as a prefix they
// complete at run time with a value one of the domain packages (paths
// relative to the pillar, subpackages included) writes.
func PillarMessages(t *testing.T, minKeys int, domains ...string) {
	t.Helper()
	Messages(t)
	own := locale.New()
	if err := own.Add(os.DirFS("."), "messages"); err != nil {
		t.Fatal(err)
	}
	if n := len(own.Keys()); n < minKeys {
		t.Fatalf("the pillar's message files hold %d keys, fewer than the %d it had", n, minKeys)
	}
	src := readSources(t, domains)
	for _, key := range own.Keys() {
		if !src.used(key) {
			t.Errorf("message %q is used by no template or handler of the pillar or the shell", key)
		}
	}
}

// dynamic finds the keys composed at run time: {{printf "tdcat.%s" .}},
// "psource." + string(t), and a label group ({{.L "aact" ...}}, L("platform", ...)).
var dynamic = regexp.MustCompile(`printf "([a-z_.]+)%s"|"([a-z_.]+\.)" ?\+|\bL[ (]"([a-z_]+)"`)

type sources struct {
	text     string          // the pillar's and the shell's templates and Go
	prefixes map[string]bool // the key prefixes they complete at run time
	values   string          // the domain packages' Go: the values a composed key ends in
}

func readSources(t *testing.T, domains []string) sources {
	t.Helper()
	src := sources{prefixes: map[string]bool{}}
	var text strings.Builder
	for _, dir := range []string{".", ".."} {
		for _, pattern := range []string{"templates/*.html", "*.go"} {
			names, err := fs.Glob(os.DirFS(dir), pattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range names {
				if strings.HasSuffix(name, "_test.go") {
					continue
				}
				b, err := os.ReadFile(dir + "/" + name)
				if err != nil {
					t.Fatal(err)
				}
				text.Write(b)
			}
		}
	}
	src.text = text.String()
	for _, m := range dynamic.FindAllStringSubmatch(src.text, -1) {
		p := m[1] + m[2]
		if m[3] != "" {
			p = m[3] + "."
		}
		src.prefixes[p] = true
	}
	var values strings.Builder
	for _, dir := range domains {
		err := fs.WalkDir(os.DirFS(dir), ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				return err
			}
			b, err := os.ReadFile(dir + "/" + name)
			values.Write(b)
			return err
		})
		if err != nil {
			t.Fatalf("the domain package %s: %v", dir, err)
		}
	}
	src.values = values.String()
	return src
}

// used says whether a key is asked for by name, or is a prefix completed
// at run time followed by a value a domain package writes.
func (s sources) used(key string) bool {
	if strings.Contains(s.text, `"`+key+`"`) {
		return true
	}
	for p := range s.prefixes {
		if rest, ok := strings.CutPrefix(key, p); ok && rest != "" && s.written(rest) {
			return true
		}
	}
	return false
}

// written says whether a domain package writes a value: as a literal,
// or composed of two ("deadline_"+clock, clock being "near").
func (s sources) written(v string) bool {
	if strings.Contains(s.values, `"`+v+`"`) {
		return true
	}
	for i := 1; i < len(v); i++ {
		if (strings.Contains(s.values, `"`+v[:i]+`"+`) || strings.Contains(s.values, `"`+v[:i]+`" +`)) &&
			strings.Contains(s.values, `"`+v[i:]+`"`) {
			return true
		}
	}
	return false
}

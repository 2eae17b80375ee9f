package patrol_test

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/web/locale"
	_ "github.com/garda-id/garda/internal/web/patrol"
	"github.com/garda-id/garda/internal/web/webtest"
)

// TestMessages: the pillar's message files register beside the shell's,
// every key has words in both languages with the same arguments, every key
// its templates and handlers use is defined (its own or the shell's), and
// every key of its own files is used.
func TestMessages(t *testing.T) {
	webtest.Messages(t)
	own := locale.New()
	if err := own.Add(os.DirFS("."), "messages"); err != nil {
		t.Fatal(err)
	}
	if n := len(own.Keys()); n < 200 {
		t.Fatalf("the pillar's message files hold %d keys; they had 222 when it moved out of package web", n)
	}
	for _, key := range own.Keys() {
		if !used(t, key) {
			t.Errorf("message %q is used by no template or handler of the pillar or the shell", key)
		}
	}
}

// domains are the domain packages (with their subpackages) whose values
// the pillar's composed keys end in.
var domains = []string{"../../patrol", "../../claim"}

var (
	// dynamic finds the keys composed at run time: {{printf "pevent.%s" .Kind}},
	// "psource." + string(t), and a label group ({{.L "aact" ...}}, L("platform", ...)).
	dynamic = regexp.MustCompile(`printf "([a-z_.]+)%s"|"([a-z_.]+\.)" ?\+|\bL[ (]"([a-z_]+)"`)
	sources struct {
		text     string          // the pillar's and the shell's templates and Go
		prefixes map[string]bool // the key prefixes they complete at run time
		values   string          // the domain packages' Go: the values a composed key ends in
	}
)

// used says whether a key is asked for by name in the pillar's or the
// shell's templates and Go, or is a prefix they complete at run time
// followed by a value the domain packages (internal/patrol, internal/claim)
// write.
func used(t *testing.T, key string) bool {
	t.Helper()
	if sources.prefixes == nil {
		sources.prefixes = map[string]bool{}
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
		sources.text = text.String()
		for _, m := range dynamic.FindAllStringSubmatch(sources.text, -1) {
			p := m[1] + m[2]
			if m[3] != "" {
				p = m[3] + "."
			}
			sources.prefixes[p] = true
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
		sources.values = values.String()
	}
	if strings.Contains(sources.text, `"`+key+`"`) {
		return true
	}
	for p := range sources.prefixes {
		if rest, ok := strings.CutPrefix(key, p); ok && rest != "" && written(rest) {
			return true
		}
	}
	return false
}

// written says whether a domain package writes a value: as a literal,
// or composed of two ("deadline_"+clock, clock being "near").
func written(v string) bool {
	if strings.Contains(sources.values, `"`+v+`"`) {
		return true
	}
	for i := 1; i < len(v); i++ {
		if (strings.Contains(sources.values, `"`+v[:i]+`"+`) || strings.Contains(sources.values, `"`+v[:i]+`" +`)) &&
			strings.Contains(sources.values, `"`+v[i:]+`"`) {
			return true
		}
	}
	return false
}

package web

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/web/locale"
)

// TestMessageFiles: the shell's message files parse, define each key once
// (in one file), and give every key words in both languages taking the same
// arguments; and so does everything registered beside them.
func TestMessageFiles(t *testing.T) {
	c := locale.New()
	if err := c.Add(messageFiles, "messages"); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Keys()); n < 900 {
		t.Fatalf("the shell's message files hold %d keys; the UI had about 950 when they were made", n)
	}
	for _, p := range locale.Registered().Problems() {
		t.Error(p)
	}
	// Every area comes in every language, so that a translator sees at a
	// glance which file a new area lacks.
	names, err := fs.Glob(messageFiles, "messages/*.json")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[path.Base(n)] = true
	}
	for n := range have {
		area := strings.SplitN(n, ".", 2)[0]
		for _, lang := range locale.Languages() {
			if !have[area+"."+lang+".json"] {
				t.Errorf("messages/%s has no %s counterpart (messages/%s.%s.json)", n, lang, area, lang)
			}
		}
	}
}

// TestTranslate: the English switch, arguments, and a missing key showing
// itself.
func TestTranslate(t *testing.T) {
	if got := translate(langID, "nav.unread", 3); got != "3 belum dibaca" {
		t.Errorf("id nav.unread = %q", got)
	}
	if got := translate(langEN, "nav.unread", 3); got != "3 unread" {
		t.Errorf("en nav.unread = %q", got)
	}
	if got := translate(langEN, "outcome.created", 7, "ban", "ip:192.0.2.1", "12:00"); got != "Decision #7 made: ban ip:192.0.2.1 until 12:00." {
		t.Errorf("en outcome.created = %q", got)
	}
	if got := translate(langID, "no.such.key"); got != "[[no.such.key]]" {
		t.Errorf("missing key = %q", got)
	}
	if !hasMessage("nav.overview") || hasMessage("no.such.key") {
		t.Error("hasMessage disagrees with the files")
	}
}

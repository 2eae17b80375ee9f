package payload

import (
	"bufio"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/shareddata"
)

// commandAfterSeparator is the unanchored search commandAfter replaced.
var commandAfterSeparator = regexp.MustCompile(`(?i)(?:^|[;|&\n\r` + "`" + `]|\$\(|\\n)\s*` + commandWordRE)

// TestCommandAfterIsTheSearch: commandAfter with commandWord answers as
// commandMayFollow and the unanchored search did, on the payload lists
// (../shared/data/payloads, each line as written and decoded), the
// package's parameter lists (../testdata/params), hand-picked edges and random strings of the
// bytes that matter.
func TestCommandAfterIsTheSearch(t *testing.T) {
	values := []string{"", ";", "ls", ";ls", "; ls -la", "a;ſh ;b", "x|\u212aill -9 1", "$(id)", `\nid`, `\Nwhoami`,
		"a\n\ncat /etc/passwd", "1&&net  user", "net user", "a`uname`", "&#60;", "1;2", "cat of cards", ";cat\t/x",
		"q=1;sleep${IFS}5", "|| ping -n 3 x", ";/bin/sh", "; /usr/bin/id", "&nc", "a|ncat", "\r\nPWD"}
	root, ok := shareddata.Root()
	if ok {
		for _, f := range []string{"sqli.txt", "xss.txt", "cmdi.txt", "traversal.txt"} {
			values = append(values, lines(t, filepath.Join(root, "data", "payloads", f))...)
		}
	} else {
		t.Log("no ../shared/data/payloads (GARDA_SHARED): the payload lists are not compared")
	}
	params, _ := filepath.Glob("../testdata/params/*.txt")
	for _, f := range params {
		values = append(values, lines(t, f)...)
	}
	n := len(values)
	for _, v := range values[:n] {
		if d, err := url.QueryUnescape(v); err == nil && d != v {
			values = append(values, d)
		}
	}
	rng := rand.New(rand.NewPCG(7, 10))
	const alphabet = " \t\n\r;|&`$()\\nNslidcatpwgeKkhmy-/.~:{}IFSu\u017f\u212a"
	runes := []rune(alphabet)
	for range 200000 {
		var b strings.Builder
		for range 1 + rng.IntN(24) {
			b.WriteRune(runes[rng.IntN(len(runes))])
		}
		values = append(values, b.String())
	}
	matched := 0
	for _, v := range values {
		want := commandMayFollow(v) && commandAfterSeparator.MatchString(v)
		if got := commandAfter(v, commandWord); got != want {
			t.Errorf("%q: commandAfter %v, the search %v", v, got, want)
		}
		if want {
			matched++
		}
	}
	t.Logf("%d values, %d matched", len(values), matched)
	if matched == 0 {
		t.Error("no value matched: the comparison compared nothing")
	}
}

func lines(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// BenchmarkCommandAfter: the search and commandAfter side by side, per
// payload of the lists (each as a query value, decoded).
func BenchmarkCommandAfter(b *testing.B) {
	root, ok := shareddata.Root()
	if !ok {
		b.Skip("needs ../shared/data/payloads (or GARDA_SHARED)")
	}
	var values []string
	for _, f := range []string{"sqli.txt", "xss.txt", "cmdi.txt", "traversal.txt"} {
		for _, l := range lines(b, filepath.Join(root, "data", "payloads", f)) {
			if l != "" {
				values = append(values, l)
			}
		}
	}
	b.Run("search", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			v := values[i%len(values)]
			_ = commandMayFollow(v) && commandAfterSeparator.MatchString(v)
		}
	})
	b.Run("anchored", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			_ = commandAfter(values[i%len(values)], commandWord)
		}
	})
}

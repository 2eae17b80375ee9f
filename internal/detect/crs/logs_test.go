package crs

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/event"
)

// combined matches an nginx/Apache "combined" line; the log parsers live
// elsewhere, this is only enough to read the fixtures.
var combined = regexp.MustCompile(`^(\S+) \S+ \S+ \[[^\]]+\] "(\S+) (\S+) (\S+)" (\d+) \d+ "([^"]*)" "([^"]*)"$`)

type logLine struct {
	group string // the last "# group" comment above the line
	text  string
	ev    *event.Event
}

// readLog reads a fixture log; lines starting with "#" name the group of
// the lines after them.
func readLog(t testing.TB, path string) []logLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logLine
	group := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			group = strings.TrimSpace(strings.TrimPrefix(l, "#"))
			continue
		}
		if l == "" {
			continue
		}
		m := combined.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("%s: not a combined log line: %q", path, l)
		}
		ev := &event.Event{}
		ev.Set(event.SourceIP, m[1])
		ev.Set(event.HTTPMethod, m[2])
		ev.Set(event.URLOriginal, m[3])
		ev.Set(event.HTTPVersion, strings.TrimPrefix(m[4], "HTTP/"))
		ev.Set(event.Referrer, m[6])
		ev.Set(event.UserAgent, m[7])
		out = append(out, logLine{group: group, text: l, ev: ev})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

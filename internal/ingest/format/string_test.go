package format

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/garda-id/garda/internal/event"
)

// TestParseStringMatchesParse: the string entry of the access-log formats
// (detect's replay parses from strings of many lines) reads every golden
// line, wrapped and broken ones included, exactly as Parse does: the same
// error and the same event.
func TestParseStringMatchesParse(t *testing.T) {
	for _, f := range []Format{Nginx{}, Apache{}} {
		sp, ok := f.(StringParser)
		if !ok {
			t.Fatalf("%s is no StringParser", f.Name())
		}
		files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.log"))
		n := 0
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range bytes.Split(data, []byte("\n")) {
				for _, l := range [][]byte{line, append(bytes.Clone(line), '\r'), nil} {
					var a, b event.Event
					errA, errB := f.Parse(l, &a), sp.ParseString(string(l), &b)
					if errA != errB || a != b {
						t.Fatalf("%s %s: %q: Parse %v %v, ParseString %v %v", f.Name(), name, l, errA, a.Map(), errB, b.Map())
					}
					n++
				}
			}
		}
		t.Logf("%s: %d lines, 0 differ", f.Name(), n)
	}
}

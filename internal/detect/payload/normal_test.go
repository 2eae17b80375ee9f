package payload

import (
	"bufio"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestNormalCorpus: the hand-written normal values (../testdata/params/
// normal.txt) raise no finding of the SQL grammar checks, the ones this
// package added after libinjection (whose own findings the engine's
// recall test counts).
func TestNormalCorpus(t *testing.T) {
	f, err := os.Open("../testdata/params/normal.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v := sc.Text()
		if strings.HasPrefix(v, "# ") || v == "" {
			continue
		}
		for _, fd := range Check("/cari?q="+url.QueryEscape(v), nil) {
			if fd.Rule == RuleSQLGrammar {
				t.Errorf("%q: %v", v, fd)
			}
			if testing.Verbose() {
				t.Logf("%q: %v", v, fd)
			}
		}
	}
}

package format_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/garda-id/garda/internal/scan/format"
)

// FuzzRead: whatever a file holds, reading it returns results or an
// error, never a panic, and what is read writes out as SARIF and CSV.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"nmap-hand.xml", "nuclei.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<nmaprun scanner="nmap"><host><status state="up"/><address addr="::1" addrtype="ipv6"/><ports><port protocol="tcp" portid="0"><state state="open"/><service name="http" tunnel="ssl"/><script id="x" output="State: VULNERABLE"/></port></ports></host></nmaprun>`))
	f.Add([]byte(`{"template-id":"a","host":"h","info":{"severity":"critical","classification":{"cvss-score":9.8}}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rs, err := format.Read(bytes.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := format.WriteSARIF(&out, rs, "fuzz"); err != nil {
			t.Fatal(err)
		}
		if err := format.WriteCSV(&out, rs); err != nil {
			t.Fatal(err)
		}
	})
}

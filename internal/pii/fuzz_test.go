package pii

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzScan: any input scans without panicking, the counts agree with each
// other, and no digits of the input's numbers leak into the JSON result.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"NIK : 32O4O123O89OOOO1",
		"nik,no_kk,no_hp\n3204012308900001,3204011203150002,081234567890",
		"NO  NKK  NIK\n1  3204011203150002  3204012308900001",
		"NPWP 01.312.166.0-091.000 +62 812-3456-7890 (022) 555-1234",
		"INV/2024/3204012308900001 4532 0151 1283 0366",
		"<tr><th>NIK</th><th>KK</th></tr>\n3204012308900001 <td>3204011203150002",
		"No. KK :\n3204011203150002\nNIK\n3204012308900001",
		"\"a,\"b\"\n,,,\t|;\r\n\x00\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := Scan(text)
		if r.Valid > r.Candidates || r.Total() > r.Mentions || r.Women > r.NIK {
			t.Fatalf("inconsistent counts: %+v", r)
		}
		if r.ValidShare < 0 || r.ValidShare > 1 {
			t.Fatalf("share %v", r.ValidShare)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		for cat, vs := range r.values {
			for v := range vs {
				if strings.Contains(string(b), valueString(cat, v)) {
					t.Fatalf("value in JSON")
				}
			}
		}
		lines := 0
		s := NewScanner()
		for l := range strings.SplitSeq(text, "\n") {
			lines++
			c := s.Line(l)
			if c.Line != lines || c.NIK < 0 {
				t.Fatalf("line %d: %+v", lines, c)
			}
		}
	})
}

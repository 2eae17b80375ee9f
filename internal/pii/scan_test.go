package pii

import (
	"encoding/json"
	"strings"
	"testing"
)

// Numbers below are made up: valid in shape (a real regency, a real date),
// belonging to no one we know of.
func TestScanCases(t *testing.T) {
	cases := []struct {
		name string
		text string
		want Line
	}{
		{"bare nik", "3204012308900001", Line{NIK: 1}},
		{"woman", "NIK: 3204015708450001", Line{NIK: 1}},
		{"spaced nik", "nik saya 3204 0123 0890 0001 ya", Line{NIK: 1}},
		{"dotted nik", "NIK 32.04.01.230890.0001", Line{NIK: 1}},
		{"ocr nik", "NIK : 32O4O123O89OOOO1", Line{NIK: 1}},
		{"ocr l and S", "NIK : 32O4Ol23O8S0000l", Line{NIK: 1}},
		{"glued to keyword", "NIK3204012308900001", Line{NIK: 1}},
		{"glued to word", "ABC3204012308900001", Line{}},
		{"kk context", "No. KK: 3204011203150002", Line{KK: 1}},
		{"npwp formatted", "NPWP 01.312.166.0-091.000", Line{NPWP: 1}},
		{"npwp bare formatted", "01.312.166.0-091.000", Line{NPWP: 1}},
		{"npwp bad check", "NPWP 01.312.166.1-091.000", Line{}},
		{"npwp 16 nik", "NPWP: 3204012308900001", Line{NPWP: 1}},
		{"phone", "hubungi 0812-3456-7890", Line{Phone: 1}},
		{"phone plus", "WA +62 812 3456 7890", Line{Phone: 1}},
		{"landline", "Telp. (022) 555-1234", Line{Phone: 1}},
		{"bare landline", "kode 0225551234", Line{}},
		{"bad region", "3299012345670001", Line{}},
		{"bad month", "3204012313900001", Line{}},
		{"day 32", "3204013208900001", Line{}},
		{"serial 0000", "3204012308900000", Line{}},
		{"account", "No. Rek: 3204012308900001", Line{}},
		{"invoice", "INV 3204012308900001", Line{}},
		{"card", "4532 0151 1283 0366", Line{}},
		{"long number", "320401230890000123", Line{}},
		{"timestamp us", "ts=1733560000000000", Line{}},
		{"row number", "12  3204012308900001  BUDI", Line{NIK: 1}},
		{"two in a row", "3204011203150002 3204012308900001", Line{NIK: 2}},
		{"words not numbers", "BOSS SOS lOl ZZZ", Line{}},
		{"price", "Rp 1.234.567.890.123.456", Line{}},
		{"masked as the DPT publishes", "NIK 320401********01 NKK 3204011203******", Line{}},
		{"excel text prefix", "'3204012308900001", Line{NIK: 1}},
		{"excel float", "3.20401E+15", Line{}},
		{"tab header row", "3204012308900001\t3204011203150002", Line{NIK: 2}},
		{"plus 62 with trunk zero", "WA: +62 (0)812-3456-7890", Line{Phone: 1}},
		{"mobile prefix unknown", "0800-1234-5678", Line{}},
		{"phone without its zero, named", "no_hp: 81234567890", Line{Phone: 1}},
		{"no-break space and emoji", "NIK\u00a03204012308900001\u00a0🙏", Line{NIK: 1}},
		{"em dash", "NIK 3204012308900001—BUDI", Line{NIK: 1}},
		{"glued to a non-Latin word", "ФИО3204012308900001", Line{}},
		{"phone without its zero, unnamed", "81234567890", Line{}},
		{"npwp without its zero, named", "NPWP 13121660091000", Line{NPWP: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := NewScanner().Line(c.text)
			got.Line = 0
			if got != c.want {
				t.Errorf("%q: got %+v, want %+v", c.text, got, c.want)
			}
		})
	}
}

func TestHeaderColumns(t *testing.T) {
	csv := "nik,no_kk,nama,no_hp\n3204012308900001,3204011203150002,BUDI,081234567890\n"
	r := Scan(csv)
	if r.NIK != 1 || r.KK != 1 || r.Phone != 1 {
		t.Errorf("csv: %+v", r)
	}
	html := "<tr><th>No</th><th>NKK</th><th>NIK</th><th>HP</th></tr>\n<tr><td>1</td><td>3204011203150002</td><td>3204012308900001</td><td>+62 (0)812 3456 7890</td></tr>\n"
	r = Scan(html)
	if r.NIK != 1 || r.KK != 1 || r.Phone != 1 {
		t.Errorf("html: %+v", r)
	}
	// A malformed row, a number before any cell: read, no panic.
	r = Scan("<tr><th>NIK</th><th>KK</th></tr>\n3204012308900001 <td>3204011203150002</td>\n")
	if r.NIK+r.KK != 2 {
		t.Errorf("html stray row: %+v", r)
	}
	form := "No. KK :\n3204011203150002\nNIK\n3204012308900001\nNo. Rekening\n3204012308900002\n"
	r = Scan(form)
	if r.NIK != 1 || r.KK != 1 {
		t.Errorf("form: %+v", r)
	}
	dpt := "NO   NKK               NIK               NAMA\n1    3204011203150002  3204012308900001  BUDI\n"
	r = Scan(dpt)
	if r.NIK != 1 || r.KK != 1 {
		t.Errorf("dpt: %+v", r)
	}
}

func TestResultHasNoValues(t *testing.T) {
	r := Scan("NIK 3204012308900001 HP 081234567890 NPWP 01.312.166.0-091.000")
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"3204012308900001", "81234567890", "013121660091000", "13121660091000"} {
		if strings.Contains(string(b), v) {
			t.Errorf("result JSON holds a value: %s", b)
		}
	}
	if r.NIK != 1 || r.Phone != 1 || r.NPWP != 1 {
		t.Errorf("counts: %s", b)
	}
	if len(r.Provinces) != 1 || r.Provinces[0].Code != "32" || r.Provinces[0].Name == "" {
		t.Errorf("provinces: %+v", r.Provinces)
	}
	if len(r.Regencies) != 1 || r.Regencies[0].Code != "32.04" {
		t.Errorf("regencies: %+v", r.Regencies)
	}
	hs := r.Hashes([]byte("salt"))
	if len(hs) != 3 {
		t.Fatalf("hashes: %+v", hs)
	}
	if Hash([]byte("salt"), "3204012308900001") == Hash([]byte("other"), "3204012308900001") {
		t.Error("hash ignores the salt")
	}
}

func TestDistinctCap(t *testing.T) {
	s := NewScanner()
	s.maxSeen = 2
	for _, l := range []string{"NIK 3204012308900001", "NIK 3204012308900002", "NIK 3204012308900001", "NIK 3204012308900003"} {
		s.Line(l)
	}
	r := s.Result()
	if r.NIK != 2 || !r.Capped || r.Mentions != 4 {
		t.Errorf("capped: %+v", r)
	}
	if len(r.Hashes(nil)) != 2 {
		t.Errorf("hashes: %d", len(r.Hashes(nil)))
	}
	// Values keep their leading zero and their form through the numbers.
	r = Scan("NPWP 01.312.166.0-091.000 HP 0812-3456-7890")
	want := map[Hashed]bool{{NPWP, Hash(nil, "0013121660091000")}: true, {Phone, Hash(nil, "6281234567890")}: true}
	for _, h := range r.Hashes(nil) {
		if !want[h] {
			t.Errorf("unexpected %+v", h)
		}
	}
}

package pii

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/region"
)

// The labelled set is generated: every province, men and women, damaged and
// clean numbers, in the layouts leaks and posts come in, and numbers that
// look like NIKs but are not. A label is (category, canonical value).

type label struct {
	cat   Category
	value string
}

type doc struct {
	layout string
	text   string
	want   map[label]bool
}

type person struct {
	nik, kk, phone, npwp string
	woman                bool
	name                 string
	born                 [3]int // day, month, year
}

type gen struct {
	r         *rand.Rand
	regencies []region.Region
}

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, 12)), regencies: region.Regencies("")}
}

func (g *gen) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

func (g *gen) date(fromYear, toYear int) [3]int {
	y := fromYear + g.r.IntN(toYear-fromYear+1)
	m := 1 + g.r.IntN(12)
	d := 1 + g.r.IntN(28)
	return [3]int{d, m, y}
}

func (g *gen) regencyOf(prov string) region.Region {
	rs := region.Regencies(prov)
	return rs[g.r.IntN(len(rs))]
}

func code4(r region.Region) string { return r.Code[:2] + r.Code[3:5] }

func (g *gen) person(prov string) person {
	reg := g.regencyOf(prov)
	p := person{woman: g.r.IntN(2) == 0, born: g.date(1940, 2006)}
	day := p.born[0]
	if p.woman {
		day += 40
	}
	dist := fmt.Sprintf("%02d", 1+g.r.IntN(30))
	p.nik = fmt.Sprintf("%s%s%02d%02d%02d%04d", code4(reg), dist, day, p.born[1], p.born[2]%100, 1+g.r.IntN(9999))
	issued := g.date(2000, 2024)
	p.kk = fmt.Sprintf("%s%s%02d%02d%02d%04d", code4(reg), dist, issued[0], issued[1], issued[2]%100, 1+g.r.IntN(9999))
	prefixes := []string{"811", "812", "813", "821", "822", "852", "853", "856", "857", "877", "878", "881", "895", "896", "838"}
	p.phone = "0" + prefixes[g.r.IntN(len(prefixes))] + g.digits(7+g.r.IntN(2))
	p.npwp = g.npwp()
	first := []string{"BUDI", "SITI", "AGUS", "DEWI", "RINA", "JOKO", "NUR", "AHMAD", "PUTRI", "WAYAN", "MADE", "YOHANES"}
	last := []string{"SANTOSO", "RAHAYU", "WIBOWO", "LESTARI", "HIDAYAT", "SARAGIH", "SIREGAR", "PRATAMA", "KURNIAWAN"}
	p.name = first[g.r.IntN(len(first))] + " " + last[g.r.IntN(len(last))]
	return p
}

// npwp makes a 15-digit NPWP whose ninth digit is the Luhn check digit.
func (g *gen) npwp() string {
	head := fmt.Sprintf("%d%d%06d", g.r.IntN(10), g.r.IntN(10), 1+g.r.IntN(999999))
	for c := byte('0'); c <= '9'; c++ {
		if luhnOK([]byte(head + string(c))) {
			return head + string(c) + g.digits(3) + "000"
		}
	}
	panic("no check digit")
}

func npwpFormat(n string) string {
	return n[0:2] + "." + n[2:5] + "." + n[5:8] + "." + n[8:9] + "-" + n[9:12] + "." + n[12:15]
}

func phoneCanonical(p string) string { return "62" + p[1:] }

// damage replaces a few digits with the letters OCR reads them as.
func (g *gen) damage(s string, n int) string {
	subst := map[byte][]byte{'0': {'O', 'o', 'D'}, '1': {'I', 'l'}, '5': {'S'}, '8': {'B'}, '2': {'Z'}}
	b := []byte(s)
	for range n {
		i := g.r.IntN(len(b))
		if alts, ok := subst[b[i]]; ok {
			b[i] = alts[g.r.IntN(len(alts))]
		}
	}
	return string(b)
}

// split breaks a number where OCR sometimes puts a space.
func (g *gen) split(s string) string {
	if g.r.IntN(3) != 0 {
		return s
	}
	i := 2 + g.r.IntN(len(s)-4)
	return s[:i] + " " + s[i:]
}

// spaced writes a 16-digit number as people type it.
func (g *gen) spaced(s string) string {
	switch g.r.IntN(4) {
	case 0:
		return s[0:4] + " " + s[4:8] + " " + s[8:12] + " " + s[12:16]
	case 1:
		return s[0:2] + "." + s[2:4] + "." + s[4:6] + "." + s[6:12] + "." + s[12:16]
	case 2:
		return s[0:6] + " " + s[6:12] + " " + s[12:16]
	}
	return s
}

func (g *gen) phoneStyle(p string) string {
	switch g.r.IntN(8) {
	case 4:
		return p[0:4] + "." + p[4:8] + "." + p[8:]
	case 5:
		return "+62-" + p[1:4] + "-" + p[4:8] + "-" + p[8:]
	case 6:
		return "(" + p[0:4] + ") " + p[4:8] + "-" + p[8:]
	case 7:
		return "+62 (0)" + p[1:4] + " " + p[4:8] + " " + p[8:]
	case 0:
		return p[0:4] + "-" + p[4:8] + "-" + p[8:]
	case 1:
		return "+62 " + p[1:4] + " " + p[4:8] + " " + p[8:]
	case 2:
		return "62" + p[1:]
	}
	return p
}

// badNIK is a 16-digit number in a NIK's place that is not one: unknown
// region, impossible date or serial 0000.
func (g *gen) badNIK(prov string) string {
	reg := g.regencyOf(prov)
	d := g.date(1950, 2005)
	switch g.r.IntN(6) {
	case 0: // a province that does not exist
		return fmt.Sprintf("%02d%02d%02d%02d%02d%02d%04d", []int{10, 20, 22, 37, 41, 54, 66, 77, 88, 99}[g.r.IntN(10)], 1+g.r.IntN(20), 1+g.r.IntN(30), d[0], d[1], d[2]%100, 1+g.r.IntN(9999))
	case 1: // a regency that does not exist in the province
		return fmt.Sprintf("%s%02d%02d%02d%02d%02d%04d", prov, 40+g.r.IntN(30), 1+g.r.IntN(30), d[0], d[1], d[2]%100, 1+g.r.IntN(9999))
	case 2: // month 13..99
		return fmt.Sprintf("%s%02d%02d%02d%02d%04d", code4(reg), 1+g.r.IntN(30), d[0], 13+g.r.IntN(87), d[2]%100, 1+g.r.IntN(9999))
	case 3: // day 32..40 or 72..99
		return fmt.Sprintf("%s%02d%02d%02d%02d%04d", code4(reg), 1+g.r.IntN(30), []int{0, 32, 35, 38, 40, 72, 80, 99}[g.r.IntN(8)], d[1], d[2]%100, 1+g.r.IntN(9999))
	case 4: // 30 February, for a woman
		return fmt.Sprintf("%s%02d%02d%02d%02d%04d", code4(reg), 1+g.r.IntN(30), 70, 2, d[2]%100, 1+g.r.IntN(9999))
	}
	return fmt.Sprintf("%s%02d%02d%02d%02d0000", code4(reg), 1+g.r.IntN(30), d[0], d[1], d[2]%100)
}

// lookalikes are numbers of NIK-like length that are not personal data,
// each in the context it is found in.
func (g *gen) lookalike() string {
	switch g.r.IntN(9) {
	case 0:
		return "No. Rek BRI: " + g.digits(4) + "-01-" + g.digits(6) + "-" + g.digits(2) + "-" + g.digits(1)
	case 1:
		return "Rekening Mandiri " + g.digits(13) + " a.n. PANITIA"
	case 2:
		return "Invoice INV/2024/" + g.digits(16)
	case 3:
		for {
			c := "4" + g.digits(15)
			if luhnOK([]byte(c)) {
				return "Kartu " + c[0:4] + " " + c[4:8] + " " + c[8:12] + " " + c[12:16]
			}
		}
	case 4:
		return fmt.Sprintf("ts=%d", 1_700_000_000_000_000+g.r.Int64N(60_000_000_000_000))
	case 5:
		return "ID Transaksi: " + g.digits(16)
	case 6:
		return fmt.Sprintf("Total Rp %d.%03d.%03d", 1+g.r.IntN(900), g.r.IntN(1000), g.r.IntN(1000))
	case 7:
		return "No. Resi JNE " + g.digits(16)
	}
	return fmt.Sprintf("%02d/%02d/%04d %02d:%02d TPS %03d RT %03d RW %03d", 1+g.r.IntN(28), 1+g.r.IntN(12), 2024, g.r.IntN(24), g.r.IntN(60), 1+g.r.IntN(40), 1+g.r.IntN(20), 1+g.r.IntN(20))
}

func sex(p person) string {
	if p.woman {
		return "P"
	}
	return "L"
}

// dataset builds n documents of each layout, cycling through the provinces.
func dataset(seed uint64, perLayout int) []doc {
	g := newGen(seed)
	provs := region.Provinces()
	prov := func(i int) string { return provs[i%len(provs)].Code }
	var docs []doc
	for i := range perLayout {
		// DPT table, as pdftotext -layout renders a leaked voter list.
		{
			var b strings.Builder
			want := map[label]bool{}
			b.WriteString("DAFTAR PEMILIH TETAP PEMILU 2024\n\n")
			b.WriteString("NO   NKK                NIK                NAMA                   TEMPAT LAHIR   TGL LAHIR    L/P   ALAMAT         RT   RW   TPS\n")
			for k := range 20 {
				p := g.person(prov(i + k))
				nkk, nik := p.kk, p.nik
				if g.r.IntN(4) == 0 {
					nik = g.damage(nik, 1+g.r.IntN(2))
				}
				if g.r.IntN(10) == 0 {
					nik = g.badNIK(prov(i + k))
					fmt.Fprintf(&b, "%-4d %-18s %-18s %-22s %-14s %02d-%02d-%04d   %s     JL MAWAR %-5d %03d  %03d  %03d\n", k+1, nkk, nik, p.name, "BANDUNG", p.born[0], p.born[1], p.born[2], sex(p), k, 1+k%9, 2, 7)
					want[label{KK, nkk}] = true
					continue
				}
				fmt.Fprintf(&b, "%-4d %-18s %-18s %-22s %-14s %02d-%02d-%04d   %s     JL MAWAR %-5d %03d  %03d  %03d\n", k+1, nkk, nik, p.name, "BANDUNG", p.born[0], p.born[1], p.born[2], sex(p), k, 1+k%9, 2, 7)
				want[label{KK, p.kk}] = true
				want[label{NIK, p.nik}] = true
			}
			docs = append(docs, doc{"dpt", b.String(), want})
		}
		// CSV dump with a header, some fields quoted.
		{
			var b strings.Builder
			want := map[label]bool{}
			b.WriteString("nik,no_kk,nama,tgl_lahir,jk,no_hp,npwp,alamat,no_rekening\n")
			for k := range 20 {
				p := g.person(prov(i*3 + k))
				np := ""
				if g.r.IntN(3) == 0 {
					np = npwpFormat(p.npwp)
					if g.r.IntN(3) == 0 {
						// As a spreadsheet keeps it: a number, its leading zero gone.
						np = strings.TrimLeft(p.npwp, "0")
						if len(np) < 14 {
							np = p.npwp
						}
					}
					want[label{NPWP, "0" + p.npwp}] = true
				}
				phone := p.phone
				if g.r.IntN(4) == 0 {
					phone = phone[1:]
				}
				fmt.Fprintf(&b, "%s,%s,\"%s\",%04d-%02d-%02d,%s,%s,%s,\"JL. MERDEKA NO. %d, RT 01/RW 02\",%s\n",
					p.nik, p.kk, p.name, p.born[2], p.born[1], p.born[0], sex(p), phone, np, k+1, g.digits(10+g.r.IntN(7)))
				want[label{NIK, p.nik}] = true
				want[label{KK, p.kk}] = true
				want[label{Phone, phoneCanonical(p.phone)}] = true
			}
			docs = append(docs, doc{"csv", b.String(), want})
		}
		// A KTP read by OCR: damaged digits, labels with colons.
		for k := range 5 {
			p := g.person(prov(i + k))
			reg, _ := region.Lookup(p.nik[:2] + "." + p.nik[2:4])
			pr, _ := region.Lookup(p.nik[:2])
			nik := g.split(g.damage(p.nik, g.r.IntN(4)))
			text := fmt.Sprintf("PROVINSI %s\n%s\nNIK : %s\nNama : %s\nTempat/Tgl Lahir : %s, %02d-%02d-%04d\nJenis Kelamin : %s  Gol. Darah : O\nAlamat : JL. SUDIRMAN NO. 1%d\nRT/RW : 003/005\nAgama : ISLAM\nBerlaku Hingga : SEUMUR HIDUP\n",
				pr.Official, reg.Official, nik, p.name, strings.TrimPrefix(reg.Official, "KABUPATEN "), p.born[0], p.born[1], p.born[2], map[bool]string{true: "PEREMPUAN", false: "LAKI-LAKI"}[p.woman], i%10)
			docs = append(docs, doc{"ktp", text, map[label]bool{{NIK, p.nik}: true}})
		}
		// A chat message or post selling or asking about data.
		for k := range 5 {
			p := g.person(prov(i + 7 + k))
			want := map[label]bool{{NIK, p.nik}: true, {Phone, phoneCanonical(p.phone)}: true}
			var text string
			switch g.r.IntN(4) {
			case 0:
				text = fmt.Sprintf("min tolong cek nik saya %s kok ga terdaftar di dpt ya? wa saya %s", g.spaced(p.nik), g.phoneStyle(p.phone))
			case 1:
				text = fmt.Sprintf("DIJUAL data DPT 2024 lengkap NIK+KK, sample: NIK %s No. KK %s, minat hub %s", p.nik, p.kk, g.phoneStyle(p.phone))
				want[label{KK, p.kk}] = true
			case 2:
				text = fmt.Sprintf("[12/02/24 21:14] Pak RT: ini nik bu %s: %s, npwp %s, hp %s", strings.Fields(p.name)[0], g.damage(p.nik, 1), npwpFormat(p.npwp), g.phoneStyle(p.phone))
				want[label{NPWP, "0" + p.npwp}] = true
			default:
				text = fmt.Sprintf("Transfer ke %s, kirim bukti ke WA %s. NIK pendaftar: %s", g.lookalike(), g.phoneStyle(p.phone), g.spaced(p.nik))
			}
			docs = append(docs, doc{"chat", text, want})
		}
		// An NDJSON dump as sold on forums, with a NIK-like record id.
		{
			var b strings.Builder
			want := map[label]bool{}
			for k := range 10 {
				p := g.person(prov(i*5 + k))
				fmt.Fprintf(&b, `{"id":%s,"nik":"%s","nkk":"%s","nama":"%s","hp":"%s","tps":"%03d","updated":%d}`+"\n",
					g.digits(16), p.nik, p.kk, p.name, p.phone, 1+k, 1_700_000_000_000+g.r.Int64N(1e11))
				want[label{NIK, p.nik}] = true
				want[label{KK, p.kk}] = true
				want[label{Phone, phoneCanonical(p.phone)}] = true
			}
			docs = append(docs, doc{"ndjson", b.String(), want})
		}
		// A page with the leak in an HTML table, one row a line.
		{
			var b strings.Builder
			want := map[label]bool{}
			b.WriteString("<table class=\"dpt\">\n<tr><th>No</th><th>NKK</th><th>NIK</th><th>Nama</th><th>No. HP</th><th>TPS</th></tr>\n")
			for k := range 10 {
				p := g.person(prov(i*7 + k))
				fmt.Fprintf(&b, "<tr><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%03d</td></tr>\n", k+1, p.kk, p.nik, p.name, g.phoneStyle(p.phone), k+3)
				want[label{NIK, p.nik}] = true
				want[label{KK, p.kk}] = true
				want[label{Phone, phoneCanonical(p.phone)}] = true
			}
			b.WriteString("</table>\n")
			docs = append(docs, doc{"html", b.String(), want})
		}
		// A form read without layout: each label on its own line, the value
		// on the next.
		{
			p := g.person(prov(i + 11))
			text := fmt.Sprintf("FORMULIR PENDAFTARAN\nNama Lengkap\n%s\nNo. KK\n%s\nNIK\n%s\nNo. HP / WA :\n%s\nNPWP\n%s\nNo. Rekening\n%s\n",
				p.name, g.spaced(p.kk), g.damage(p.nik, 1), g.phoneStyle(p.phone), p.npwp, g.digits(16))
			docs = append(docs, doc{"form", text, map[label]bool{
				{KK, p.kk}: true, {NIK, p.nik}: true, {Phone, phoneCanonical(p.phone)}: true, {NPWP, "0" + p.npwp}: true,
			}})
		}
		// Pages with nothing personal in them: invalid NIKs in a NIK's place
		// and NIK-like numbers of other kinds.
		{
			var b strings.Builder
			for k := range 10 {
				fmt.Fprintf(&b, "NIK: %s (tidak valid)\n", g.badNIK(prov(i+k)))
				b.WriteString(g.lookalike())
				b.WriteString("\n")
			}
			docs = append(docs, doc{"negative", b.String(), map[label]bool{}})
		}
	}
	return docs
}

// scanLabels returns the labels a scan finds in text.
func scanLabels(text string) map[label]bool {
	r := Scan(text)
	got := map[label]bool{}
	for cat, vs := range r.values {
		for v := range vs {
			got[label{cat, valueString(cat, v)}] = true
		}
	}
	return got
}

type score struct{ tp, fp, fn int }

func (s score) precision() float64 { return float64(s.tp) / float64(max(1, s.tp+s.fp)) }
func (s score) recall() float64    { return float64(s.tp) / float64(max(1, s.tp+s.fn)) }

func evaluate(docs []doc, t testing.TB, verbose bool) (score, map[string]*score) {
	var all score
	per := map[string]*score{}
	for _, d := range docs {
		got := scanLabels(d.text)
		s := per[d.layout]
		if s == nil {
			s = &score{}
			per[d.layout] = s
		}
		for l := range got {
			if d.want[l] {
				all.tp++
				s.tp++
			} else {
				all.fp++
				s.fp++
				if verbose {
					t.Logf("false positive in %s: %s", d.layout, l.cat)
				}
			}
		}
		for l := range d.want {
			if !got[l] {
				all.fn++
				s.fn++
				if verbose {
					t.Logf("missed in %s: %s", d.layout, l.cat)
				}
			}
		}
	}
	return all, per
}

// TestLabelledSet holds the bar: precision >= 0.99 and recall >= 0.98.
func TestLabelledSet(t *testing.T) {
	docs := dataset(1, 76) // two documents of each layout per province
	all, per := evaluate(docs, t, testing.Verbose())
	for layout, s := range per {
		if s.tp+s.fn == 0 {
			t.Logf("%-8s fp=%d (nothing personal in it)", layout, s.fp)
			continue
		}
		t.Logf("%-8s tp=%d fp=%d fn=%d precision=%.4f recall=%.4f", layout, s.tp, s.fp, s.fn, s.precision(), s.recall())
	}
	t.Logf("all      tp=%d fp=%d fn=%d precision=%.4f recall=%.4f", all.tp, all.fp, all.fn, all.precision(), all.recall())
	if all.precision() < 0.99 || all.recall() < 0.98 {
		t.Errorf("precision %.4f (want >= 0.99), recall %.4f (want >= 0.98)", all.precision(), all.recall())
	}
}

// BenchmarkLabelled prints precision and recall on the generated set and the
// scan speed (run by scripts/bench-pii.sh).
func BenchmarkLabelled(b *testing.B) {
	docs := dataset(2, 76)
	all, _ := evaluate(docs, b, false)
	size := 0
	for _, d := range docs {
		size += len(d.text)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		for _, d := range docs {
			Scan(d.text)
		}
	}
	b.ReportMetric(all.precision(), "precision")
	b.ReportMetric(all.recall(), "recall")
	b.ReportMetric(float64(all.tp+all.fn), "labels")
}

// BenchmarkProse is text with few numbers, as most patrolled pages are.
func BenchmarkProse(b *testing.B) {
	para := "Beredar kabar bahwa surat suara pemilu 2024 sudah dicoblos di TPS 012 Kelurahan Sukamaju pada 14/02/2024 pukul 07.30 WIB. KPU menegaskan informasi tersebut tidak benar; hubungi 021-3193 0000 untuk aduan. "
	text := strings.Repeat(para, 200)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Scan(text)
	}
}

// TestRandomFloor measures how often a uniformly random 16-digit number with
// no context passes as a NIK: the floor no checksum-less scheme can go
// under, printed so the labelled figures can be read against it.
func TestRandomFloor(t *testing.T) {
	g := newGen(3)
	const n = 100_000
	pass := 0
	for range n {
		if nikOK([]byte(g.digits(16))) {
			pass++
		}
	}
	t.Logf("random 16-digit numbers that validate as a NIK: %d of %d (%.3f%%)", pass, n, 100*float64(pass)/n)
	if pass > n/100 {
		t.Errorf("%d of %d random numbers validate: the checks have come loose", pass, n)
	}
}

// TestWriteDump writes the generated labelled set as one file for the
// throughput run of scripts/bench-pii.sh; it runs only when asked.
func TestWriteDump(t *testing.T) {
	path := os.Getenv("GARDA_PII_DUMP")
	if path == "" {
		t.Skip("set GARDA_PII_DUMP=FILE to write the generated set (scripts/bench-pii.sh does)")
	}
	var b strings.Builder
	for b.Len() < 64<<20 {
		for _, d := range dataset(uint64(b.Len()), 38) {
			b.WriteString(d.text)
			b.WriteString("\n")
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

package idtext

import (
	"slices"
	"testing"
)

func TestStem(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"menyebarkan", "sebar"}, {"penipuan", "tipu"}, {"pemerintah", "perintah"},
		{"dibuat", "buat"}, {"bersama", "sama"}, {"bekerja", "kerja"}, {"pekerja", "kerja"},
		{"menulis", "tulis"}, {"mengambil", "ambil"}, {"menggunakan", "guna"}, {"pengguna", "guna"},
		{"memperkenalkan", "kenal"}, {"dikenalkan", "kenal"}, {"kegiatan", "giat"},
		{"bantuan", "bantu"}, {"rumahnya", "rumah"}, {"bukunya", "buku"}, {"benarkah", "benar"},
		{"mengobati", "obat"}, {"dicintai", "cinta"}, {"tertinggi", "tinggi"}, {"melihat", "lihat"},
		{"pencurian", "curi"}, {"belajar", "ajar"}, {"pelajaran", "ajar"}, {"tersebar", "sebar"},
		// Roots the safeguards keep whole.
		{"beli", "beli"}, {"kopi", "kopi"}, {"jalan", "jalan"}, {"makan", "makan"}, {"bulan", "bulan"},
		{"ikan", "ikan"}, {"berita", "berita"}, {"terus", "terus"}, {"ekonomi", "ekonomi"}, {"akan", "akan"},
		{"membeli", "beli"}, {"menjadi", "jadi"}, {"mencari", "cari"},
	} {
		if got := Stem(c.in); got != c.want {
			t.Errorf("Stem(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	d := Normalize(`“VIDEO FULL: Gelombang tinggi BAK tsunami sapu Demak, 13-9-2024” yg bangeeet group² anak-anak gak`)
	stems := d.Stems()
	for _, want := range []string{"gelombang", "tinggi", "tsunami", "sapu", "demak", "group", "anak"} {
		if !slices.Contains(stems, want) {
			t.Errorf("stems %v lack %q", stems, want)
		}
	}
	if slices.Contains(stems, "yg") || slices.Contains(stems, "gak") || slices.Contains(stems, "tidak") {
		t.Errorf("slang or stop words left in %v", stems)
	}
	if n := countOf(stems, "anak"); n != 1 {
		t.Errorf("reduplication: anak %d times in %v", n, stems)
	}
	if !slices.Contains(stems, "banget") && !slices.Contains(d.Keys(), "") {
		for _, w := range d.Words {
			if w.Surface == "bangeeet" && w.Stem != "banget" {
				t.Errorf("repeated letters: %q", w.Stem)
			}
		}
	}
	a := Normalize("Gelombang Tinggi Hancurkan Demak pada 13 September 2024").Keys()
	b := d.Keys()
	if !slices.Contains(a, "d:2024-09-13") || !slices.Contains(b, "d:2024-09-13") {
		t.Errorf("dates do not agree: %v vs %v", a, b)
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct{ in, key string }{
		{"Rp50.000.000", "n:50000000"}, {"50 juta", "n:50000000"}, {"5 jt", "n:5000000"},
		{"IDR 750.000", "n:750000"}, {"Rp750.000", "n:750000"}, {"9,8 magnitudo", "n:9.8"},
		{"US$ 15.4 Miliar", "n:15400000000"}, {"221 Triliun", "n:221000000000000"},
		{"tahun 2024", "y:2024"}, {"20 Feb. 2024", "d:2024-02-20"}, {"4 April 2024", "d:2024-04-04"},
		{"13/9/24", "d:2024-09-13"}, {"September 2024", "m:2024-09"}, {"1.900", "n:1900"},
	} {
		if keys := Normalize(c.in).Keys(); !slices.Contains(keys, c.key) {
			t.Errorf("Normalize(%q) keys %v lack %q", c.in, keys, c.key)
		}
	}
}

func countOf(s []string, w string) int {
	n := 0
	for _, x := range s {
		if x == w {
			n++
		}
	}
	return n
}

func TestFolding(t *testing.T) {
	d := Normalize("𝗨𝗻𝗱𝗶𝗮𝗻 𝗕𝗥𝗜 re5mi jadi ter54n9ka covid19")
	for _, want := range []string{"undi", "bri", "resmi", "sangka"} {
		if !slices.Contains(d.Stems(), want) {
			t.Errorf("stems %v lack %q", d.Stems(), want)
		}
	}
}

func TestGluedNumbers(t *testing.T) {
	if keys := Normalize("Undian BRI Spesial HUT RI KE79").Keys(); !slices.Contains(keys, "n:79") {
		t.Errorf("keys %v lack n:79", keys)
	}
}

// TestCompoundAbbreviations: a scam post's "loker", "pinjol" and "judol"
// read as the words a fact-check title spells out.
func TestCompoundAbbreviations(t *testing.T) {
	for short, long := range map[string]string{
		"loker bumn":           "Lowongan Kerja BUMN",
		"pinjol cair cepat":    "Pinjaman Online Cair Cepat",
		"situs judol gacor":    "Situs Judi Online Gacor",
		"bapak tranfer 50juta": "Bapak Transfer 50 juta",
	} {
		a, b := Normalize(short), Normalize(long)
		if !slices.Equal(a.Stems(), b.Stems()) {
			t.Errorf("%q reads %v, %q reads %v", short, a.Stems(), long, b.Stems())
		}
	}
}

package claim

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestMatchExplains needs no development data: a small index, texts that
// repeat a claim in other words, and the explanation of each match.
func TestMatchExplains(t *testing.T) {
	claims := append([]Claim{
		{ID: "gempa", Text: "Gempa 9,8 Magnitude Guncang Labuan Bajo 4 April 2024"},
		{ID: "gempa-malang", Text: "Gempa Bumi Magnitude 9,8 Guncang Malang pada 10 Maret 2024"},
		{ID: "polio", Text: "Vaksin Polio Tidak Berguna karena Polio Disebabkan oleh Racun"},
		{ID: "bansos", Text: "Prabowo Membagikan Bantuan 50 Juta untuk Tiap Keluarga"},
	}, Synthetic(2000, 7)...)
	ix := NewIndex(claims)
	for _, c := range []struct {
		text, want string
		words      []string
		agree      []string
		disagree   []string
	}{
		{"BARU SAJA GEMPA MAGNITUDE 9,8 GUNCANG LABUAN BAJO 4-4-2024", "gempa", []string{"gempa", "guncang", "labuan", "bajo"}, []string{"n:9.8", "d:2024-04-04"}, nil},
		{"vaksin polio gak berguna krn polio itu dr racun", "polio", []string{"vaksin", "polio", "berguna", "racun"}, nil, nil},
		{"SELAMAT! bantuan Rp50.000.000/keluarga dibagikan pak prabowo", "bansos", []string{"prabowo", "bantuan", "keluarga"}, []string{"n:50000000"}, nil},
		{"gempa magnitude 9,8 guncang malang 11 maret 2024", "gempa-malang", []string{"gempa", "guncang", "malang"}, []string{"n:9.8", "m:2024-03"}, []string{"d:2024-03-10"}},
	} {
		ms := ix.Match(c.text, 3)
		if len(ms) == 0 || ms[0].ClaimID != c.want {
			t.Errorf("%q: got %+v, want %s first", c.text, ms, c.want)
			continue
		}
		why := ms[0].Why
		for _, w := range c.words {
			if !slices.Contains(why.Words, w) {
				t.Errorf("%q: words %v lack %q", c.text, why.Words, w)
			}
		}
		for _, n := range c.agree {
			if !slices.Contains(why.NumbersAgree, n) {
				t.Errorf("%q: agreeing numbers %v lack %q", c.text, why.NumbersAgree, n)
			}
		}
		for _, n := range c.disagree {
			if !slices.Contains(why.NumbersDisagree, n) {
				t.Errorf("%q: disagreeing numbers %v lack %q", c.text, why.NumbersDisagree, n)
			}
		}
		if !reflect.DeepEqual(ms, ix.Match(c.text, 3)) {
			t.Errorf("%q: two runs differ", c.text)
		}
	}
	if ms := ix.Match("", 5); len(ms) != 0 {
		t.Errorf("empty text matched %v", ms)
	}
	keep := ix.MatchFilter("gempa 9,8 guncang labuan bajo", 2, func(id string) bool { return id != "gempa" })
	if len(keep) == 0 || keep[0].ClaimID == "gempa" {
		t.Errorf("filter let a refused claim through: %+v", keep)
	}
}

// TestMatchAtPrefersNearDate: two fact-checks of one claim, a year apart;
// a text seen near the second is matched to the second first, a text with
// no time keeps the order of the words (a tie goes to the first indexed),
// and a claim of other words is not lifted by its date alone.
func TestMatchAtPrefersNearDate(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	claims := append([]Claim{
		{ID: "2023", Text: "Pertalite Dihapus Pemerintah", Date: day("2023-08-01")},
		{ID: "2024", Text: "Pertalite Dihapus Pemerintah", Date: day("2024-08-10")},
		{ID: "other", Text: "Gempa Guncang Labuan Bajo", Date: day("2024-08-12")},
	}, Synthetic(500, 3)...)
	ix := NewIndex(claims)
	text := "pemerintah resmi hapus pertalite mulai bulan depan"
	if ms := ix.Match(text, 2); len(ms) != 2 || ms[0].ClaimID != "2023" || ms[1].ClaimID != "2024" {
		t.Fatalf("no time: %+v, want 2023 then 2024 (a tie)", ms)
	}
	ms := ix.MatchAt(text, day("2024-08-12"), 3)
	if len(ms) < 2 || ms[0].ClaimID != "2024" || ms[1].ClaimID != "2023" {
		t.Fatalf("seen 2024-08-12: %+v, want 2024 first", ms)
	}
	for _, m := range ms {
		if m.ClaimID == "other" {
			t.Errorf("a claim sharing no word came up by its date: %+v", ms)
		}
	}
	if ms := ix.MatchAt(text, day("2023-07-20"), 1); len(ms) != 1 || ms[0].ClaimID != "2023" {
		t.Errorf("seen 2023-07-20: %+v, want 2023", ms)
	}
}

package calendar

import (
	"slices"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/region"
)

func TestShippedCalendarIsWellFormed(t *testing.T) {
	c := Shipped()
	if len(c.Elections) != 2 {
		t.Fatalf("elections = %d, want Pemilu and Pilkada 2024", len(c.Elections))
	}
	for _, e := range c.Elections {
		if e.Source == "" {
			t.Errorf("%s: no source", e.Slug)
		}
		for _, p := range e.Phases {
			if err := p.Validate(); err != nil {
				t.Errorf("%s/%s: %v", e.Slug, p.Key, err)
			}
		}
	}
}

// The posture changes at local midnight of a phase's first day: masa
// tenang (awas) begins on 11 Feb 2024 at 00:00 WIB = 10 Feb 17:00 UTC,
// and in Papua at 00:00 WIT = 10 Feb 15:00 UTC, two hours earlier.
func TestPostureSwitchesAtLocalMidnight(t *testing.T) {
	c := Shipped()
	cases := []struct {
		name string
		at   time.Time
		tz   *time.Location
		want Posture
	}{
		{"campaign in Jakarta, a second before", time.Date(2024, 2, 10, 16, 59, 59, 0, time.UTC), WIB, Siaga},
		{"quiet days in Jakarta", time.Date(2024, 2, 10, 17, 0, 0, 0, time.UTC), WIB, Awas},
		{"campaign in Papua, a second before", time.Date(2024, 2, 10, 14, 59, 59, 0, time.UTC), WIT, Siaga},
		{"quiet days in Papua", time.Date(2024, 2, 10, 15, 0, 0, 0, time.UTC), WIT, Awas},
		{"Papua already awas while Jakarta is not", time.Date(2024, 2, 10, 16, 0, 0, 0, time.UTC), WIB, Siaga},
		{"count ends in Jakarta: recap stays siaga", time.Date(2024, 2, 15, 17, 0, 0, 0, time.UTC), WIB, Siaga},
		{"recap over in Jakarta", time.Date(2024, 3, 20, 17, 0, 0, 0, time.UTC), WIB, Normal},
		{"recap over in Papua, still on in Jakarta", time.Date(2024, 3, 20, 15, 30, 0, 0, time.UTC), WIT, Normal},
		{"Pilkada voting day in Makassar", time.Date(2024, 11, 26, 16, 0, 0, 0, time.UTC), WITA, Awas},
		{"between the two elections", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), WIB, Normal},
	}
	for _, tc := range cases {
		got, _ := c.PostureAt(tc.at, tc.tz)
		if got != tc.want {
			t.Errorf("%s: PostureAt(%s, %s) = %s, want %s", tc.name, tc.at.Format(time.RFC3339), tc.tz, got, tc.want)
		}
	}
}

// A fake clock walking the hours across the start of masa tenang: the
// first hour each zone is awas is its own midnight, and the staffing
// minimum follows the posture.
func TestFakeClockWalksBoundaryInWIBAndWIT(t *testing.T) {
	c := Shipped()
	clock := time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC)
	first := map[string]time.Time{}
	for ; clock.Before(time.Date(2024, 2, 11, 0, 0, 0, 0, time.UTC)); clock = clock.Add(15 * time.Minute) {
		for _, tz := range []*time.Location{WIB, WIT} {
			p, _ := c.PostureAt(clock, tz)
			if p == Awas && first[tz.String()].IsZero() {
				first[tz.String()] = clock
			}
			if got, want := RuleOf(p).MinStaff, Rules[p].MinStaff; got != want {
				t.Fatalf("staffing at %s %s = %d, want %d", clock, tz, got, want)
			}
		}
	}
	if want := time.Date(2024, 2, 11, 0, 0, 0, 0, WIB); !first["WIB"].Equal(want) {
		t.Errorf("WIB awas from %s, want %s", first["WIB"], want)
	}
	if want := time.Date(2024, 2, 11, 0, 0, 0, 0, WIT); !first["WIT"].Equal(want) {
		t.Errorf("WIT awas from %s, want %s", first["WIT"], want)
	}
	if RuleOf(Awas).MinStaff <= RuleOf(Siaga).MinStaff || RuleOf(Siaga).MinStaff <= RuleOf(Normal).MinStaff {
		t.Errorf("staffing does not rise with the posture: %+v", Rules)
	}
}

func TestNextBoundary(t *testing.T) {
	c := Shipped()
	at := time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC)
	got := c.NextBoundary(at, Zones...)
	if want := time.Date(2024, 2, 11, 0, 0, 0, 0, WIT); !got.Equal(want) {
		t.Errorf("next boundary = %s, want %s (WIT midnight comes first)", got, want)
	}
	if got := c.NextBoundary(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), WIB); !got.IsZero() {
		t.Errorf("no boundary after the last phase, got %s", got)
	}
}

func TestCriticalAssets(t *testing.T) {
	during := CriticalAssets(time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC))
	if !slices.Contains(during, "Sirekap") {
		t.Errorf("recapitulation: critical = %v, want Sirekap", during)
	}
	if !Matters(during, "Sirekap API", nil) || !Matters(during, "Situs lain", []string{"recapitulation"}) {
		t.Errorf("Matters misses a name or a tag: %v", during)
	}
	if Matters(during, "JDIH KPU", nil) {
		t.Errorf("JDIH matters during the count: %v", during)
	}
	reg := CriticalAssets(time.Date(2022, 8, 5, 3, 0, 0, 0, time.UTC))
	if !slices.Contains(reg, "Sipol") {
		t.Errorf("party registration: critical = %v, want Sipol", reg)
	}
	if got := CriticalAssets(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Errorf("no phase, critical = %v", got)
	}
}

func TestZoneOfEveryProvince(t *testing.T) {
	count := map[string]int{}
	for _, p := range region.Provinces() {
		count[ZoneOf(p.Code).String()]++
	}
	if count["WIB"] != 18 || count["WITA"] != 12 || count["WIT"] != 8 {
		t.Errorf("zones = %v, want WIB 18, WITA 12, WIT 8", count)
	}
	if ZoneOf("94.01") != WIT || ZoneOf("") != WIB || ZoneOf("51.71") != WITA {
		t.Error("a regency takes its province's zone; the national room is WIB")
	}
}

// BenchmarkPostureAt: the switcher asks this once per room per run.
func BenchmarkPostureAt(b *testing.B) {
	c := Shipped()
	at := time.Date(2024, 2, 12, 3, 0, 0, 0, time.UTC)
	for i := 0; i < b.N; i++ {
		c.PostureAt(at, WIT)
	}
}

// The phase an asset matters in is the running one with the highest
// posture: on 15 Feb 2024 voting (awas) and the recapitulation (siaga)
// both run and both name Sirekap; voting wins. A system tag counts without
// case, and the phase is read in the asker's zone.
func TestCriticalPhaseOfAnAsset(t *testing.T) {
	c := Shipped()
	p, entry, ok := c.Critical(time.Date(2024, 2, 15, 3, 0, 0, 0, time.UTC), WIB, "Sirekap Jawa Barat", []string{"sirekap"})
	if !ok || p.Key != "pemungutan-suara" || p.Posture != Awas || entry != "Sirekap" {
		t.Errorf("15 Feb: %s %s %q %v, want pemungutan-suara awas Sirekap", p.Key, p.Posture, entry, ok)
	}
	p, _, ok = c.Critical(time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC), WIB, "Sirekap Jawa Barat", []string{"Sirekap"})
	if !ok || p.Key != "rekapitulasi" || p.Posture != Siaga {
		t.Errorf("1 Mar: %s %s %v, want rekapitulasi siaga", p.Key, p.Posture, ok)
	}
	if _, _, ok := c.Critical(time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC), WIB, "JDIH KPU", []string{"planning"}); ok {
		t.Error("JDIH matters during the count")
	}
	// 20 Mar 2024 16:30 UTC: 23:30 WIB, the last day of the count in
	// Jakarta; already 21 Mar 01:30 in Papua, the count over there.
	at := time.Date(2024, 3, 20, 16, 30, 0, 0, time.UTC)
	if _, _, ok := c.Critical(at, WIB, "x", []string{"recapitulation"}); !ok {
		t.Error("20 Mar 23:30 WIB: the count runs in Jakarta")
	}
	if _, _, ok := c.Critical(at, WIT, "x", []string{"recapitulation"}); ok {
		t.Error("21 Mar 01:30 WIT: the count is over in Papua")
	}
}

func TestFocusWords(t *testing.T) {
	c := Shipped()
	camp := c.FocusAt(time.Date(2024, 1, 10, 3, 0, 0, 0, time.UTC), WIB)
	if !slices.Contains(camp, "politik uang") || slices.Contains(camp, "penggelembungan suara") {
		t.Errorf("campaign focus = %v", camp)
	}
	count := c.FocusAt(time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC), WITA)
	if !slices.Contains(count, "penggelembungan suara") {
		t.Errorf("count focus = %v", count)
	}
	if got := c.FocusAt(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), WIB); len(got) != 0 {
		t.Errorf("no phase, focus = %v", got)
	}
	got := FocusIn(count, "Ada PENGGELEMBUNGAN   suara di Sirekap! Formulir C1 berbeda.")
	if !slices.Equal(got, []string{"sirekap", "penggelembungan suara", "C1"}) {
		t.Errorf("FocusIn = %v", got)
	}
	// Whole words only: "C1" is not in "C12", "TPS" not in "TPSU".
	if got := FocusIn([]string{"C1", "TPS"}, "formulir C12 di TPSU"); len(got) != 0 {
		t.Errorf("FocusIn matched inside words: %v", got)
	}
}

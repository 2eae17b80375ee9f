package claim

import (
	"encoding/csv"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// TestDevPairsDatePrior measures what a date prior would add: a fact-check
// published near the time a text was seen is more likely its claim. The
// sample has only the fact-check's date, not the narrative's, so the
// item's time is simulated as the fact-check's date moved by up to ±delay
// days (fixed per pair by a hash); the prior adds λ·exp(-|days apart|/30)
// to the score of each of the best 50. λ is chosen on the "tune" half for
// each delay and reported on the "held" half. GARDA_CLAIM_DATE=1 runs it.
// In real use the text's time is the patrol item's first-seen time and the
// fact-check's is its datePublished; the matcher does not use dates today.
func TestDevPairsDatePrior(t *testing.T) {
	if os.Getenv("GARDA_CLAIM_DATE") == "" {
		t.Skip("set GARDA_CLAIM_DATE=1 to measure the date prior")
	}
	claims, queries := devPairs(t)
	date := devDates(t)
	ix := NewIndex(claims)
	ranked := make([][]Match, len(queries))
	for i, q := range queries {
		ranked[i] = ix.Match(q.Text, 50)
	}
	eval := func(delay int, lam float64) map[string]*score {
		res := map[string]*score{"tune": {}, "held": {}}
		for qi, q := range queries {
			h := fnv.New32a()
			h.Write([]byte("delay" + q.ID))
			shift := int(h.Sum32()%uint32(2*delay+1)) - delay
			seen := date[q.ID].AddDate(0, 0, shift)
			ms := ranked[qi]
			sc := make([]float64, len(ms))
			idx := make([]int, len(ms))
			for i, m := range ms {
				days := math.Abs(seen.Sub(date[m.ClaimID]).Hours() / 24)
				sc[i] = m.Score + lam*math.Exp(-days/30)
				idx[i] = i
			}
			sort.SliceStable(idx, func(a, b int) bool { return sc[idx[a]] > sc[idx[b]] })
			r := res[half(q.ID)]
			r.n++
			for j, i := range idx[:min(5, len(idx))] {
				if ms[i].ClaimID == q.ID {
					if j == 0 {
						r.p1++
					}
					r.r5++
				}
			}
		}
		return res
	}
	for _, delay := range []int{0, 7, 30, 90} {
		best, bestL := -1.0, 0.0
		for _, lam := range []float64{0, 0.02, 0.05, 0.1, 0.2} {
			r := eval(delay, lam)["tune"]
			if v := float64(r.p1) + 0.5*float64(r.r5); v > best {
				best, bestL = v, lam
			}
		}
		res := eval(delay, bestL)
		t.Logf("seen within ±%d days of the fact-check: λ %.2f (chosen on tune): tune %s, held %s", delay, bestL, res["tune"], res["held"])
	}
}

// devDates reads the development pairs' fact-check dates.
func devDates(tb testing.TB) map[string]time.Time {
	path := os.Getenv("GARDA_HOAX_PAIRS")
	if path == "" {
		path = filepath.Join("..", "..", "..", "shared", "data", "hoax-dev", "pairs.csv")
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Skip(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	out := map[string]time.Time{}
	for _, r := range rows[1:] {
		d, err := time.Parse("2 Jan 2006", r[col["date"]])
		if err != nil {
			tb.Fatalf("pair %s: date %q: %v", r[col["id"]], r[col["date"]], err)
		}
		out[r[col["id"]]] = d
	}
	return out
}

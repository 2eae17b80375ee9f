package claim

import (
	"encoding/csv"
	"hash/fnv"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDevPairsDatePrior measures the date prior of MatchAt: a fact-check
// published near the time a text was seen is preferred among claims the
// words score alike. The sample has only the fact-check's date, not the
// narrative's, so the time a narrative was seen is simulated as its
// fact-check's date moved by up to ±delay days (fixed per pair by a hash);
// delay 0 is the fact-check's own date, an upper bound, not a figure for
// real use. For each delay the weight is chosen on the "tune" half and
// reported on the "held" half, and the default weight is reported too.
// GARDA_CLAIM_DATE=1 runs it. In real use the time is the patrol item's
// (the post's own date, else its first sighting) and the fact-check's is
// its datePublished.
func TestDevPairsDatePrior(t *testing.T) {
	if os.Getenv("GARDA_CLAIM_DATE") == "" {
		t.Skip("set GARDA_CLAIM_DATE=1 to measure the date prior")
	}
	claims, queries := devPairs(t)
	date := devDates(t)
	for i := range claims {
		claims[i].Date = date[claims[i].ID]
	}
	ix := NewIndex(claims)
	eval := func(delay int, lam float64) map[string]*score {
		ix.model.w[fDate] = lam
		res := map[string]*score{"tune": {}, "held": {}}
		for _, q := range queries {
			h := fnv.New32a()
			h.Write([]byte("delay" + q.ID))
			shift := int(h.Sum32()%uint32(2*delay+1)) - delay
			ms := ix.MatchAt(q.Text, date[q.ID].AddDate(0, 0, shift), 5)
			r := res[half(q.ID)]
			r.n++
			for j, m := range ms {
				if m.ClaimID == q.ID {
					if j == 0 {
						r.p1++
					}
					r.r5++
				}
			}
		}
		return res
	}
	for _, delay := range []int{0, 7, 30, 90, 365} {
		best, bestL := -1.0, 0.0
		for _, lam := range []float64{0, 0.05, 0.1, 0.2, 0.4, 0.8} {
			r := eval(delay, lam)["tune"]
			if v := float64(r.p1) + 0.5*float64(r.r5); v > best {
				best, bestL = v, lam
			}
		}
		res := eval(delay, bestL)
		def := eval(delay, DefaultWeights.Date)
		t.Logf("seen within ±%d days of the fact-check: weight %.2f chosen on tune: tune %s, held %s; default %.2f: tune %s, held %s",
			delay, bestL, res["tune"], res["held"], DefaultWeights.Date, def["tune"], def["held"])
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

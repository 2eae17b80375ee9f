package claim

import (
	"os"
	"testing"
)

// TestTuneWeights searches fusion weights on the "tune" half of the
// development pairs; GARDA_CLAIM_TUNE=1 runs it. The "held" half is only
// reported, never searched on.
func TestTuneWeights(t *testing.T) {
	if os.Getenv("GARDA_CLAIM_TUNE") == "" {
		t.Skip("set GARDA_CLAIM_TUNE=1 to search fusion weights")
	}
	claims, queries := devPairs(t)
	var tune []Claim
	for _, q := range queries {
		if half(q.ID) == "tune" {
			tune = append(tune, q)
		}
	}
	ix := NewIndex(claims)
	best, bestW := -1.0, ix.weights
	for _, bm := range []float64{0.5, 1, 2} {
		for _, cov := range []float64{0, 0.5, 1, 2} {
			for _, ch := range []float64{0, 0.5, 1, 2} {
				for _, num := range []float64{0, 0.3, 1} {
					for _, pr := range []float64{0, 0.3, 1} {
						ix.weights = Weights{BM25: bm, Coverage: cov, Chars: ch, Numbers: num, Pairs: pr, Candidates: 50}
						r := evaluate(ix, tune)["tune"]
						v := float64(r.p1) + 0.5*float64(r.r5)
						if v > best {
							best, bestW = v, ix.weights
							t.Logf("%+v: %s", ix.weights, r)
						}
					}
				}
			}
		}
	}
	ix.weights = bestW
	res := evaluate(ix, queries)
	t.Logf("best %+v: tune %s, held %s", bestW, res["tune"], res["held"])
}

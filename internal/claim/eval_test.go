package claim

import (
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"testing"
)

// devPairs reads the development pairs (evaluation data only, never copied
// into the repository) or skips the test.
func devPairs(tb testing.TB) (claims []Claim, queries []Claim) {
	tb.Helper()
	path := os.Getenv("GARDA_HOAX_PAIRS")
	if path == "" {
		path = filepath.Join("..", "..", "..", "shared", "data", "hoax-dev", "pairs.csv")
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("needs ../shared/data/hoax-dev/pairs.csv (or GARDA_HOAX_PAIRS): %v", err)
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
	for _, r := range rows[1:] {
		claims = append(claims, Claim{ID: r[col["id"]], Text: r[col["factcheck_title"]]})
		queries = append(queries, Claim{ID: r[col["id"]], Text: r[col["narrative"]]})
	}
	return claims, queries
}

// half says which half of the split a pair falls in: "tune" pairs chose
// the weights, "held" pairs only report.
func half(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	if h.Sum32()%2 == 0 {
		return "tune"
	}
	return "held"
}

type score struct{ n, p1, r5 int }

func (s score) String() string {
	return fmt.Sprintf("P@1 %.3f R@5 %.3f (n=%d)", float64(s.p1)/float64(s.n), float64(s.r5)/float64(s.n), s.n)
}

func evaluate(ix *Index, queries []Claim) map[string]*score {
	out := map[string]*score{"all": {}, "tune": {}, "held": {}}
	for _, q := range queries {
		ms := ix.Match(q.Text, 5)
		for _, k := range []string{"all", half(q.ID)} {
			out[k].n++
			for i, m := range ms {
				if m.ClaimID == q.ID {
					if i == 0 {
						out[k].p1++
					}
					out[k].r5++
				}
			}
		}
	}
	return out
}

func TestDevPairs(t *testing.T) {
	claims, queries := devPairs(t)
	ix := NewIndex(claims)
	res := evaluate(ix, queries)
	for _, k := range []string{"all", "tune", "held"} {
		t.Logf("%s: %s", k, res[k])
	}
	if os.Getenv("GARDA_CLAIM_MISSES") != "" {
		for _, q := range queries {
			ms := ix.Match(q.Text, 1)
			if len(ms) == 0 || ms[0].ClaimID != q.ID {
				got := ""
				if len(ms) > 0 {
					got = ms[0].ClaimID
				}
				fmt.Printf("MISS %s want=%q got=%q\n  q=%.200q\n", q.ID, textOf(claims, q.ID), textOf(claims, got), q.Text)
			}
		}
	}
}

func textOf(cs []Claim, id string) string {
	for _, c := range cs {
		if c.ID == id {
			return c.Text
		}
	}
	return ""
}

package claim

import (
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/claim/idtext"
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

// TestDevPairsNoSharedWord counts the development narratives that share no
// stem (stop words aside) and no number with the title of their own
// fact-check: no lexical matcher can rank those above chance, and they bound
// what R@k can reach on the sample. GARDA_CLAIM_MISSES=1 lists them.
func TestDevPairsNoSharedWord(t *testing.T) {
	claims, queries := devPairs(t)
	n := 0
	for i, q := range queries {
		title := idtext.Normalize(claims[i].Text)
		have := map[string]bool{}
		for _, s := range title.Stems() {
			have[s] = true
		}
		for _, k := range title.Keys() {
			have[k] = true
		}
		nd := idtext.Normalize(q.Text)
		shared := false
		for _, s := range append(nd.Stems(), nd.Keys()...) {
			if have[s] {
				shared = true
				break
			}
		}
		if !shared {
			n++
			if os.Getenv("GARDA_CLAIM_MISSES") != "" {
				fmt.Printf("NOWORD %s title=%.100q\n  narrative=%.200q\n", q.ID, claims[i].Text, q.Text)
			}
		}
	}
	t.Logf("no shared word or number: %d of %d narratives (%.1f %%): R@k is at most %.3f for a lexical matcher, unless by chance",
		n, len(queries), 100*float64(n)/float64(len(queries)), 1-float64(n)/float64(len(queries)))

	// Narratives that normalise to the same words and numbers get the same
	// ranking from any matcher, whatever it reads, so of a group of g such
	// narratives with different fact-checks at most one is right at rank 1
	// and at most min(g, 5) within the first five.
	groups := map[string][]string{}
	for _, q := range queries {
		d := idtext.Normalize(q.Text)
		key := strings.Join(d.Stems(), " ") + "|" + strings.Join(d.Keys(), " ")
		groups[key] = append(groups[key], q.ID)
	}
	lost1, lost5, same := 0, 0, 0
	for key, ids := range groups {
		if len(ids) < 2 {
			continue
		}
		same += len(ids)
		lost1 += len(ids) - 1
		lost5 += max(0, len(ids)-5)
		if os.Getenv("GARDA_CLAIM_MISSES") != "" {
			fmt.Printf("SAME %d %q\n", len(ids), key)
		}
	}
	q := float64(len(queries))
	t.Logf("identical after normalising: %d narratives in groups; any matcher: P@1 at most %.3f, R@5 at most %.3f",
		same, 1-float64(lost1)/q, 1-float64(lost5)/q)
}

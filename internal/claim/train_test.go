package claim

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// TestTrainReranker fits the re-ranker's coefficients (trainedModel) on
// the "tune" half of the development pairs only; GARDA_CLAIM_TRAIN=1 runs
// it. The L2 strength is chosen by two-fold cross-validation inside the
// tune half; the "held" half is only reported. It prints the coefficients
// as Go; they order candidates (a listwise model has no scale of its own).
func TestTrainReranker(t *testing.T) {
	if os.Getenv("GARDA_CLAIM_TRAIN") == "" {
		t.Skip("set GARDA_CLAIM_TRAIN=1 to fit the re-ranker")
	}
	claims, queries := devPairs(t)
	ix := NewIndex(claims)
	var tune []list
	for _, q := range queries {
		if half(q.ID) != "tune" {
			continue
		}
		l := ix.trainingList(q)
		if l.pos >= 0 {
			tune = append(tune, l)
		}
	}
	t.Logf("tune lists with the right claim among the candidates: %d", len(tune))
	best, bestL := -1.0, 0.0
	for _, l2 := range []float64{0, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1} {
		var a, b []list
		for i, l := range tune {
			if i%2 == 0 {
				a = append(a, l)
			} else {
				b = append(b, l)
			}
		}
		m1, m2 := fitListwise(a, l2), fitListwise(b, l2)
		v := (p1Of(m1, b) + p1Of(m2, a)) / 2
		t.Logf("l2 %g: cross-validated P@1 among lists %.3f", l2, v)
		if v > best {
			best, bestL = v, l2
		}
	}
	m := fitListwise(tune, bestL)
	ix.model = m
	res := evaluate(ix, queries)
	t.Logf("l2 %g: tune %s, held %s, all %s", bestL, res["tune"], res["held"], res["all"])
	var b strings.Builder
	fmt.Fprintf(&b, "var trainedModel = model{b: %.4f, w: [nFeat]float64{", m.b)
	for i, v := range m.w {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%.4f", v)
	}
	b.WriteString("}}")
	t.Log(b.String())
}

// list is one query's candidates and which of them is right (-1: none).
type list struct {
	x   [][nFeat]float64
	pos int
}

func (ix *Index) trainingList(q Claim) list {
	feats, _, _ := ix.candidates(q.Text, nil)
	l := list{pos: -1}
	for i, f := range feats {
		l.x = append(l.x, f.x)
		if ix.claims[f.doc].id == q.ID {
			l.pos = i
		}
	}
	return l
}

// fitListwise minimises the softmax cross-entropy of the right candidate
// in each list (ListNet with one relevant item) plus l2·|w|², by gradient
// descent with Adam.
func fitListwise(ls []list, l2 float64) model {
	var w, m1, m2 [nFeat]float64
	const lr, b1, b2 = 0.05, 0.9, 0.999
	for it := 1; it <= 1500; it++ {
		var g [nFeat]float64
		for _, l := range ls {
			z := make([]float64, len(l.x))
			mx := math.Inf(-1)
			for i, x := range l.x {
				for j, v := range x {
					z[i] += w[j] * v
				}
				mx = max(mx, z[i])
			}
			var sum float64
			for i := range z {
				z[i] = math.Exp(z[i] - mx)
				sum += z[i]
			}
			for i, x := range l.x {
				p := z[i] / sum
				if i == l.pos {
					p--
				}
				for j, v := range x {
					g[j] += p * v
				}
			}
		}
		for j := range g {
			g[j] = g[j]/float64(len(ls)) + 2*l2*w[j]
			m1[j] = b1*m1[j] + (1-b1)*g[j]
			m2[j] = b2*m2[j] + (1-b2)*g[j]*g[j]
			mh := m1[j] / (1 - math.Pow(b1, float64(it)))
			vh := m2[j] / (1 - math.Pow(b2, float64(it)))
			w[j] -= lr * mh / (math.Sqrt(vh) + 1e-8)
		}
	}
	return model{w: w}
}

func p1Of(m model, ls []list) float64 {
	n := 0
	for _, l := range ls {
		best, bi := math.Inf(-1), -1
		for i, x := range l.x {
			var z float64
			for j, v := range x {
				z += m.w[j] * v
			}
			if z > best {
				best, bi = z, i
			}
		}
		if bi == l.pos {
			n++
		}
	}
	return float64(n) / float64(len(ls))
}

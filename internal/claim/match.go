package claim

import (
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/claim/idtext"
)

// Claim is what the matcher needs of a fact-checked claim.
type Claim struct {
	ID   string
	Text string
	// Date is when the fact-check was published (zero: unknown). Given the
	// time a text was seen (MatchAt), a fact-check published near it is
	// preferred among claims the words score alike.
	Date time.Time
}

// Match is one claim that a text may repeat, with the reason.
type Match struct {
	ClaimID string      `json:"claim"`
	Score   float64     `json:"score"`
	Why     Explanation `json:"why"`
}

// Explanation lists what a text and a claim share: words (as the claim
// writes them), and numbers and dates that agree or disagree.
type Explanation struct {
	Words           []string `json:"words"`
	NumbersAgree    []string `json:"numbers_agree,omitempty"`
	NumbersDisagree []string `json:"numbers_disagree,omitempty"`
}

// Index matches texts against a fixed set of claims. It is read-only once
// built and safe for concurrent use; a changed set of claims is a new Index.
//
// A text is scored in two steps. Candidates come from BM25 over stems and
// over adjacent-stem pairs, numbers and dates, and, for words the claims
// never use (typos, run-together names), from rare character 4-grams. The
// best candidates are then re-scored by a fusion of what each signal says
// relative to the best candidate: BM25, how much of the claim (by IDF) the
// text covers, character 4-gram cosine and agreement of numbers.
type Index struct {
	claims  []entry
	terms   map[string]int32 // stems, "a b" pairs and number keys
	post    [][]posting
	idf     []float32
	avgLen  float32
	grams   map[string]int32
	gpost   [][]int32
	gidf    []float32
	weights Weights
	model   model
	// spare holds scratch arrays between queries. Not a sync.Pool: a GC
	// empties a Pool, and re-making arrays the size of the index then costs
	// a query tens of milliseconds.
	spare chan *scratch
}

// Weights fuse the signals; the defaults were chosen on one half of the
// development pairs and checked on the other (see the README).
type Weights struct {
	BM25, Coverage, Chars, Numbers, Pairs, Phrase float64
	// Date weighs the date prior (MatchAt): exp(-days apart / 30).
	Date       float64
	Candidates int
}

// DefaultWeights are the fusion weights Garda uses. Date was chosen on the
// tune half with narratives seen within ±30 days of their fact-check
// (TestDevPairsDatePrior; the README gives the held half for each spread).
var DefaultWeights = Weights{BM25: 1, Coverage: 1, Chars: 1, Numbers: 0.3, Pairs: 0.3, Phrase: 0.5, Date: 0.2, Candidates: 50}

// datePriorDays is the scale of the date prior: a fact-check published a
// month from the text's time counts e⁻¹ of one published that day.
const datePriorDays = 30

// posting carries BM25's term-frequency part, computed once at build time.
type posting struct {
	doc int32
	w   float32
}

type entry struct {
	id      string
	terms   []int32 // distinct word terms (stems), for coverage
	pairs   []int32 // adjacent-stem pairs, for phrase coverage
	length  float32
	grams   []int32 // distinct character 4-grams
	gnorm   float32
	numbers []string
	surface []string // for each of terms, a word as the claim writes it
	day     float32  // publication date in days since 1970, when dated
	dated   bool
}

const (
	k1 = 1.2
	b  = 0.75
	k3 = 1.5
)

// NewIndex builds an index over claims.
func NewIndex(claims []Claim) *Index {
	return NewIndexWeights(claims, DefaultWeights)
}

// NewIndexWeights builds an index with given fusion weights (for tuning).
func NewIndexWeights(claims []Claim, w Weights) *Index {
	ix := &Index{terms: map[string]int32{}, grams: map[string]int32{}, weights: w, spare: make(chan *scratch, 2*runtime.GOMAXPROCS(0))}
	if ix.weights.Candidates <= 0 {
		ix.weights.Candidates = 50
	}
	ix.model = legacyModel(ix.weights)
	var total float32
	for i, c := range claims {
		d := idtext.Normalize(c.Text)
		e := entry{id: c.ID}
		if !c.Date.IsZero() {
			e.day, e.dated = float32(c.Date.Unix()/86400), true
		}
		tf := map[int32]int{}
		stems := d.Stems()
		for _, s := range stems {
			t := ix.term(s)
			if tf[t] == 0 {
				e.terms = append(e.terms, t)
				e.surface = append(e.surface, surfaceOf(d, s))
			}
			tf[t]++
		}
		for j := 1; j < len(stems); j++ {
			t := ix.term(stems[j-1] + " " + stems[j])
			if tf[t] == 0 {
				e.pairs = append(e.pairs, t)
			}
			tf[t]++
		}
		e.numbers = d.Keys()
		for _, k := range e.numbers {
			tf[ix.term(k)]++
		}
		e.length = float32(len(stems) + len(e.numbers))
		total += e.length
		for t, n := range tf {
			ix.post[t] = append(ix.post[t], posting{doc: int32(i), w: float32(n)})
		}
		for _, g := range charGrams(d) {
			gid, ok := ix.grams[g]
			if !ok {
				gid = int32(len(ix.gpost))
				ix.grams[g] = gid
				ix.gpost = append(ix.gpost, nil)
			}
			e.grams = append(e.grams, gid)
			ix.gpost[gid] = append(ix.gpost[gid], int32(i))
		}
		ix.claims = append(ix.claims, e)
	}
	n := float64(len(claims))
	if len(claims) > 0 {
		ix.avgLen = total / float32(len(claims))
	}
	for _, p := range ix.post {
		for j := range p {
			tf := p[j].w
			p[j].w = tf * (k1 + 1) / (tf + k1*(1-b+b*ix.claims[p[j].doc].length/ix.avgLen))
		}
	}
	ix.idf = make([]float32, len(ix.post))
	for t, p := range ix.post {
		ix.idf[t] = float32(math.Log(1 + (n-float64(len(p))+0.5)/(float64(len(p))+0.5)))
	}
	ix.gidf = make([]float32, len(ix.gpost))
	for g, p := range ix.gpost {
		ix.gidf[g] = float32(math.Log(1 + n/float64(len(p))))
	}
	for i := range ix.claims {
		var s float32
		for _, g := range ix.claims[i].grams {
			s += ix.gidf[g] * ix.gidf[g]
		}
		ix.claims[i].gnorm = float32(math.Sqrt(float64(s)))
	}
	return ix
}

// Len is the number of claims indexed.
func (ix *Index) Len() int { return len(ix.claims) }

func (ix *Index) term(s string) int32 {
	t, ok := ix.terms[s]
	if !ok {
		t = int32(len(ix.post))
		ix.terms[s] = t
		ix.post = append(ix.post, nil)
	}
	return t
}

func surfaceOf(d idtext.Doc, stem string) string {
	for _, w := range d.Words {
		if w.Stem == stem && !w.Stop {
			return w.Surface
		}
	}
	return stem
}

// charGrams are the distinct 4-grams of the words that are not stop words,
// joined without spaces so that "taylorswift13" and "Taylor Swift" share
// grams.
func charGrams(d idtext.Doc) []string {
	var b strings.Builder
	for _, w := range d.Words {
		if !w.Stop {
			b.WriteString(w.Surface)
		}
	}
	r := []rune(b.String())
	seen := map[string]bool{}
	var out []string
	for i := 0; i+4 <= len(r); i++ {
		g := string(r[i : i+4])
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// maxOOV bounds the unknown words looked up by their grams.
const maxOOV = 12

type scratch struct {
	acc     []float32
	touched []int32
	qgram   []float32
}

func (ix *Index) scratch() *scratch {
	select {
	case s := <-ix.spare:
		return s
	default:
	}
	return &scratch{acc: make([]float32, len(ix.claims)), qgram: make([]float32, len(ix.gpost))}
}

// maxQueryTerms bounds the work of a long text: its rarest terms say the
// most, and a 2,000-character post keeps its 48 rarest.
const maxQueryTerms = 48

// Match returns up to k claims the text may repeat, best first.
func (ix *Index) Match(text string, k int) []Match {
	return ix.MatchFilter(text, k, nil)
}

// MatchAt is Match for a text seen at a time (the patrol item's first
// sighting or the post's own date; zero: unknown, as Match).
func (ix *Index) MatchAt(text string, seen time.Time, k int) []Match {
	return ix.MatchFilterAt(text, seen, k, nil)
}

// MatchFilter is Match among the claims keep accepts (nil: all); the
// filter applies before the re-scoring, so k readable claims come back
// when there are k candidates.
func (ix *Index) MatchFilter(text string, k int, keep func(id string) bool) []Match {
	return ix.MatchFilterAt(text, time.Time{}, k, keep)
}

// MatchFilterAt is MatchFilter for a text seen at a time (zero: unknown).
func (ix *Index) MatchFilterAt(text string, seen time.Time, k int, keep func(id string) bool) []Match {
	if k <= 0 || len(ix.claims) == 0 {
		return nil
	}
	feats, qterms, qnums := ix.candidates(text, keep)
	if !seen.IsZero() {
		day := float64(seen.Unix() / 86400)
		for i := range feats {
			if e := &ix.claims[feats[i].doc]; e.dated {
				feats[i].x[fDate] = math.Exp(-math.Abs(day-float64(e.day)) / datePriorDays)
			}
		}
	}
	out := make([]Match, 0, len(feats))
	raw := make([]float64, 0, len(feats))
	for i := range feats {
		score := ix.score(&feats[i].x)
		out = append(out, Match{ClaimID: ix.claims[feats[i].doc].id, Score: math.Round(min(score, 1)*10000) / 10000})
		raw = append(raw, score)
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	// Ties go to the claim indexed first, so that output is the same
	// from run to run.
	sort.Slice(order, func(a, b int) bool {
		x, y := order[a], order[b]
		if raw[x] != raw[y] {
			return raw[x] > raw[y]
		}
		return feats[x].doc < feats[y].doc
	})
	res := make([]Match, 0, min(k, len(order)))
	for _, i := range order[:min(k, len(order))] {
		m := out[i]
		m.Why = ix.explain(feats[i].doc, qterms, qnums)
		res = append(res, m)
	}
	return res
}

// candidates finds the best claims by BM25 and computes the re-ranker's
// features for each.
func (ix *Index) candidates(text string, keep func(id string) bool) ([]cand, map[int32]bool, []string) {
	d := idtext.Normalize(text)
	stems := d.Stems()
	qterms := map[int32]bool{}
	// A post repeats what it is about ("BANK BJB ... BJB ... BJB"): the
	// re-ranker's fQTF counts the query's term frequency, saturated as in
	// BM25's k3 part.
	qtf := map[int32]float32{}
	var oov []string
	for _, s := range stems {
		if t, ok := ix.terms[s]; ok {
			qterms[t] = true
			qtf[t]++
		} else {
			oov = append(oov, s)
		}
	}
	pairs := map[int32]bool{}
	for j := 1; j < len(stems); j++ {
		if t, ok := ix.terms[stems[j-1]+" "+stems[j]]; ok {
			pairs[t] = true
		}
	}
	qnums := d.Keys()
	numTerms := map[int32]bool{}
	for _, n := range qnums {
		if t, ok := ix.terms[n]; ok {
			numTerms[t] = true
		}
	}

	s := ix.scratch()
	defer func() {
		select {
		case ix.spare <- s:
		default:
		}
	}()
	touch := func(doc int32, v float32) {
		if s.acc[doc] == 0 {
			s.touched = append(s.touched, doc)
		}
		s.acc[doc] += v
	}
	words := topByIDF(ix, qterms, maxQueryTerms)
	// A word in more than one claim in 20 finds no candidate the rarer
	// words miss (when there are any); it still counts in the re-scoring.
	common := len(ix.claims)/20 + 50
	for i, t := range words {
		if i >= 4 && len(ix.post[t]) > common {
			continue
		}
		ix.bm25(s, t, 1)
	}
	for t := range pairs {
		ix.bm25(s, t, float32(ix.weights.Pairs))
	}
	for t := range numTerms {
		ix.bm25(s, t, float32(ix.weights.Numbers))
	}

	// Query grams, weighted by IDF, in a dense array cleared on the way out.
	qg := charGrams(d)
	var qids []int32
	for _, g := range qg {
		if gid, ok := ix.grams[g]; ok {
			s.qgram[gid] = ix.gidf[gid]
			qids = append(qids, gid)
		}
	}
	// Words the claims never use reach candidates through rare grams.
	if len(oov) > 0 {
		rare := float32(math.Log(1 + float64(len(ix.claims))/50))
		for _, w := range oov[:min(len(oov), maxOOV)] {
			for _, g := range charGrams(idtext.Doc{Words: []idtext.Word{{Surface: w}}}) {
				if gid, ok := ix.grams[g]; ok && ix.gidf[gid] >= rare {
					for _, doc := range ix.gpost[gid] {
						touch(doc, 0.01)
					}
				}
			}
		}
	}

	touched := s.touched
	if keep != nil {
		touched = slices.DeleteFunc(slices.Clone(touched), func(d int32) bool { return !keep(ix.claims[d].id) })
	}
	cand := topDocs(s.acc, touched, ix.weights.Candidates)
	feats := ix.features(s, cand, qterms, qtf, pairs, qnums)
	for _, g := range qids {
		s.qgram[g] = 0
	}
	for _, doc := range s.touched {
		s.acc[doc] = 0
	}
	s.touched = s.touched[:0]
	return feats, qterms, qnums
}

func (ix *Index) bm25(s *scratch, t int32, weight float32) {
	idf := ix.idf[t] * weight
	acc := s.acc
	for _, p := range ix.post[t] {
		if acc[p.doc] == 0 {
			s.touched = append(s.touched, p.doc)
		}
		acc[p.doc] += idf * p.w
	}
}

// numberAgreement is +1 when the claim's numbers all appear in the text,
// down to -1 when the text has numbers and none of the claim's agree. A
// claim or text without numbers says nothing (0).
func numberAgreement(q, c []string) float64 {
	if len(q) == 0 || len(c) == 0 {
		return 0
	}
	agree := 0
	for _, n := range c {
		if slices.Contains(q, n) {
			agree++
		}
	}
	return 2*float64(agree)/float64(len(c)) - 1
}

func (ix *Index) explain(doc int32, qterms map[int32]bool, qnums []string) Explanation {
	e := &ix.claims[doc]
	x := Explanation{Words: []string{}}
	for i, t := range e.terms {
		if qterms[t] {
			x.Words = append(x.Words, e.surface[i])
		}
	}
	for _, n := range e.numbers {
		if slices.Contains(qnums, n) {
			x.NumbersAgree = append(x.NumbersAgree, n)
		} else if len(qnums) > 0 {
			x.NumbersDisagree = append(x.NumbersDisagree, n)
		}
	}
	return x
}

func topByIDF(ix *Index, terms map[int32]bool, n int) []int32 {
	out := make([]int32, 0, len(terms))
	for t := range terms {
		out = append(out, t)
	}
	sort.Slice(out, func(a, b int) bool {
		return ix.idf[out[a]] > ix.idf[out[b]] || ix.idf[out[a]] == ix.idf[out[b]] && out[a] < out[b]
	})
	return out[:min(n, len(out))]
}

// topDocs returns the n touched docs of highest score, through a min-heap
// of n, since a common word touches tens of thousands of claims.
func topDocs(acc []float32, touched []int32, n int) []int32 {
	if len(touched) <= n {
		return slices.Clone(touched)
	}
	h := make([]int32, 0, n)
	less := func(i, j int) bool { return acc[h[i]] < acc[h[j]] }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && less(r, l) {
				m = r
			}
			if !less(m, i) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for _, d := range touched {
		switch {
		case len(h) < n:
			h = append(h, d)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !less(i, p) {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
		case acc[d] > acc[h[0]]:
			h[0] = d
			down(0)
		}
	}
	return h
}

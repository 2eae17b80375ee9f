package claim

import "math"

// The re-ranker scores each of the best BM25 candidates from features of
// the text and the claim, all computed from the index (no extra data).
const (
	fBM       = iota // BM25 relative to the best candidate's
	fCov             // share of the claim's IDF the text has
	fChars           // character 4-gram containment of the claim in the text
	fNum             // number agreement, -1..1
	fPairs           // share of the claim's adjacent stem pairs the text has
	fQCov            // share of the text's IDF the claim has
	fQCovRel         // fQCov relative to the best candidate's
	fLen             // log of the claim's distinct words
	fMissing         // IDF of the claim's words the text lacks (/10)
	fBMAbs           // BM25 squashed: bm/(bm+10)
	fCount           // share of the claim's words the text has, unweighted
	fRank            // 1/(1+rank by BM25)
	fRare            // the rarest word they share, relative to the claim's rarest
	fMissRare        // the rarest claim word the text lacks, relative to the claim's rarest
	fGramQ           // the text's 4-gram weight the claim has, relative to the best candidate's
	fQTF             // share of the text's IDF × saturated term frequency the claim has
	fDate            // exp(-days between the text's time and the claim's date / 30); 0 when either is unknown
	nFeat
)

// model is a linear scorer over the features. With the hand weights
// (legacyModel) it is the fused score, 0..1 from the words, plus the date
// prior when a time is given; Match.Score is it, capped at 1.
type model struct {
	w [nFeat]float64
	b float64
}

func (ix *Index) score(x *[nFeat]float64) float64 {
	m := &ix.model
	z := m.b
	for i, v := range x {
		z += m.w[i] * v
	}
	return z
}

// legacyModel is the hand-fused score: (BM25 + coverage + chars + 0.3
// numbers + 0.5 pairs) / 3.8, plus the date prior.
func legacyModel(w Weights) model {
	var m model
	sum := w.BM25 + w.Coverage + w.Chars + w.Numbers + w.Phrase
	if sum == 0 {
		sum = 1
	}
	m.w[fBM] = w.BM25 / sum
	m.w[fCov] = w.Coverage / sum
	m.w[fChars] = w.Chars / sum
	m.w[fNum] = w.Numbers / sum
	m.w[fPairs] = w.Phrase / sum
	// The date prior is added to the fused score as it is (not a share of
	// the sum): it reorders claims whose words score within a few hundredths.
	m.w[fDate] = w.Date
	return m
}

type cand struct {
	doc int32
	x   [nFeat]float64
}

// features computes the re-ranker's inputs for the candidates. The
// scratch's query grams must still be set.
func (ix *Index) features(s *scratch, docs []int32, qterms map[int32]bool, qtf map[int32]float32, pairs map[int32]bool, qnums []string) []cand {
	var qmass, qtfmass float32
	for t := range qterms {
		qmass += ix.idf[t]
		qtfmass += ix.idf[t] * (k3 + 1) * qtf[t] / (k3 + qtf[t])
	}
	out := make([]cand, len(docs))
	var maxBM, maxQCov, maxGram float64
	for i, doc := range docs {
		e := &ix.claims[doc]
		c := cand{doc: doc}
		bm := float64(s.acc[doc])
		c.x[fBM] = bm
		maxBM = max(maxBM, bm)
		c.x[fBMAbs] = bm / (bm + 10)
		var have, all, rare, crare, miss, havetf float32
		n := 0
		for _, t := range e.terms {
			all += ix.idf[t]
			crare = max(crare, ix.idf[t])
			if qterms[t] {
				have += ix.idf[t]
				havetf += ix.idf[t] * (k3 + 1) * qtf[t] / (k3 + qtf[t])
				rare = max(rare, ix.idf[t])
				n++
			} else {
				miss = max(miss, ix.idf[t])
			}
		}
		if all > 0 {
			c.x[fCov] = float64(have / all)
		}
		if len(e.terms) > 0 {
			c.x[fCount] = float64(n) / float64(len(e.terms))
		}
		if qmass > 0 {
			c.x[fQCov] = float64(have / qmass)
			c.x[fQTF] = float64(havetf / qtfmass)
			maxQCov = max(maxQCov, c.x[fQCov])
		}
		if crare > 0 {
			c.x[fRare] = float64(rare / crare)
			c.x[fMissRare] = float64(miss / crare)
		}
		c.x[fMissing] = float64(all-have) / 10
		c.x[fLen] = math.Log1p(float64(len(e.terms)))
		var dot float32
		for _, g := range e.grams {
			dot += s.qgram[g] * ix.gidf[g]
		}
		// Containment, not cosine: a post is long and a claim short, so
		// what matters is how much of the claim the post repeats.
		if e.gnorm > 0 {
			c.x[fChars] = float64(dot / (e.gnorm * e.gnorm))
		}
		c.x[fGramQ] = float64(dot)
		maxGram = max(maxGram, float64(dot))
		c.x[fNum] = numberAgreement(qnums, e.numbers)
		if len(e.pairs) > 0 {
			n := 0
			for _, t := range e.pairs {
				if pairs[t] {
					n++
				}
			}
			c.x[fPairs] = float64(n) / float64(len(e.pairs))
		}
		out[i] = c
	}
	// Rank by BM25 (docs come from a heap, not in order).
	for i := range out {
		r := 0
		for j := range out {
			if out[j].x[fBM] > out[i].x[fBM] || out[j].x[fBM] == out[i].x[fBM] && out[j].doc < out[i].doc {
				r++
			}
		}
		out[i].x[fRank] = 1 / float64(1+r)
	}
	for i := range out {
		if maxBM > 0 {
			out[i].x[fBM] /= maxBM
		}
		if maxQCov > 0 {
			out[i].x[fQCovRel] = out[i].x[fQCov] / maxQCov
		}
		if maxGram > 0 {
			out[i].x[fGramQ] /= maxGram
		}
	}
	return out
}

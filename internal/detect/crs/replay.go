package crs

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Outcome is the replay of one case.
type Outcome struct {
	Case   *Case
	Result Result // Coraza's verdict without the prefilter
	Passed bool   // the prefilter sent the case to Coraza
}

// RuleHit reports whether an expected rule fired (for an attack case) or
// a rule expected not to fire did (for a negative case).
func (o *Outcome) RuleHit() bool {
	ids := o.Case.Expect
	if !o.Case.Attack() {
		ids = o.Case.NoExpect
	}
	for _, id := range ids {
		if slices.Contains(o.Result.RuleIDs, id) {
			return true
		}
	}
	return false
}

// Flagged reports whether the request was judged an attack, with or
// without the prefilter in front.
func (o *Outcome) Flagged(prefilter bool) bool {
	return o.Result.Attack && (o.Passed || !prefilter)
}

// Row is one line of a replay report: the cases of a class whose payload
// is in one location.
type Row struct {
	Location Location
	Class    Class
	// Attack cases (expect_ids): how many; how many had an expected rule
	// fire; how many were judged attacks (score >= threshold) without and
	// with the prefilter; how many either way (rule fired or judged).
	Attacks, RuleHits, Flagged, FlaggedPre, Detected int
	// Negative cases (no_expect_ids): how many; how many had the rule
	// expected not to fire fire (CRS's false positive); how many were
	// judged attacks anyway.
	Negatives, NegRuleHits, NegFlagged int
}

// Report is a replay of the regression cases through one detector.
type Report struct {
	ParanoiaLevel, Threshold int
	Rows                     []Row          // by location, then class; only non-empty rows
	Skipped                  map[string]int // reason -> cases
	Outcomes                 []Outcome      // every replayed case
}

// Replay runs every replayable case through the detector, in parallel,
// both through Coraza alone and as the prefilter would route it.
func Replay(d *Detector, cases []Case) *Report {
	rep := &Report{ParanoiaLevel: d.pl, Threshold: d.threshold, Skipped: map[string]int{}}
	var todo []*Case
	for i := range cases {
		c := &cases[i]
		if c.Skip != "" {
			rep.Skipped[c.Skip]++
			continue
		}
		todo = append(todo, c)
	}
	rep.Outcomes = make([]Outcome, len(todo))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				ev := todo[i].Event()
				rep.Outcomes[i] = Outcome{Case: todo[i], Result: d.Inspect(ev), Passed: d.pre.Suspicious(ev)}
			}
		})
	}
	for i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()

	rows := map[[2]int]*Row{}
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		key := [2]int{int(o.Case.Location), int(o.Case.Class)}
		r := rows[key]
		if r == nil {
			r = &Row{Location: o.Case.Location, Class: o.Case.Class}
			rows[key] = r
		}
		if o.Case.Attack() {
			r.Attacks++
			r.RuleHits += b2i(o.RuleHit())
			r.Flagged += b2i(o.Flagged(false))
			r.FlaggedPre += b2i(o.Flagged(true))
			r.Detected += b2i(o.RuleHit() || o.Flagged(false))
		} else {
			r.Negatives++
			r.NegRuleHits += b2i(o.RuleHit())
			r.NegFlagged += b2i(o.Flagged(false))
		}
	}
	for l := range numLocations {
		for c := range numClasses {
			if r := rows[[2]int{int(l), int(c)}]; r != nil {
				rep.Rows = append(rep.Rows, *r)
			}
		}
	}
	return rep
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Total sums the rows of one location.
func (r *Report) Total(l Location) Row {
	t := Row{Location: l}
	for _, x := range r.Rows {
		if x.Location != l {
			continue
		}
		t.Attacks += x.Attacks
		t.RuleHits += x.RuleHits
		t.Flagged += x.Flagged
		t.FlaggedPre += x.FlaggedPre
		t.Detected += x.Detected
		t.Negatives += x.Negatives
		t.NegRuleHits += x.NegRuleHits
		t.NegFlagged += x.NegFlagged
	}
	return t
}

// Lost lists the attack cases Coraza judges attacks but the prefilter
// would have skipped: each one is a detection the pipeline loses.
func (r *Report) Lost() []*Outcome {
	var out []*Outcome
	for i := range r.Outcomes {
		o := &r.Outcomes[i]
		if o.Case.Attack() && o.Flagged(false) && !o.Flagged(true) {
			out = append(out, o)
		}
	}
	return out
}

// Spared lists the negative cases Coraza judges attacks (CRS's own false
// positives) that the prefilter skips.
func (r *Report) Spared() []*Outcome {
	var out []*Outcome
	for i := range r.Outcomes {
		o := &r.Outcomes[i]
		if !o.Case.Attack() && o.Flagged(false) && !o.Flagged(true) {
			out = append(out, o)
		}
	}
	return out
}

// AtThreshold counts, for one location, the attack cases and the
// negative cases whose score reaches a threshold other than the
// detector's (scores do not depend on the threshold).
func (r *Report) AtThreshold(l Location, threshold int) (attacks, negatives int) {
	for i := range r.Outcomes {
		o := &r.Outcomes[i]
		if o.Case.Location != l || o.Result.Score < threshold {
			continue
		}
		if o.Case.Attack() {
			attacks++
		} else {
			negatives++
		}
	}
	return attacks, negatives
}

// Table renders the report as a fixed-width text table.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CRS regression replay, paranoia level %d, threshold %d\n", r.ParanoiaLevel, r.Threshold)
	fmt.Fprintf(&b, "%-10s %-16s %6s %6s %7s %7s %7s %7s %6s %6s %6s\n",
		"location", "class", "cases", "rule", "attack", "rate", "+pre", "either", "neg", "fp-id", "fp-att")
	line := func(loc, class string, x Row) {
		fmt.Fprintf(&b, "%-10s %-16s %6d %6d %7d %7s %7d %7d %6d %6d %6d\n",
			loc, class, x.Attacks, x.RuleHits, x.Flagged, pct(x.Flagged, x.Attacks), x.FlaggedPre, x.Detected,
			x.Negatives, x.NegRuleHits, x.NegFlagged)
	}
	for l := range numLocations {
		any := false
		for _, x := range r.Rows {
			if x.Location == l {
				line(l.String(), x.Class.String(), x)
				any = true
			}
		}
		if any {
			line(l.String(), "all", r.Total(l))
		}
	}
	reasons := make([]string, 0, len(r.Skipped))
	n := 0
	for k, v := range r.Skipped {
		reasons = append(reasons, k)
		n += v
	}
	slices.Sort(reasons)
	fmt.Fprintf(&b, "skipped %d cases:\n", n)
	for _, k := range reasons {
		fmt.Fprintf(&b, "  %5d  %s\n", r.Skipped[k], k)
	}
	b.WriteString("columns: rule = an expected rule id fired; attack = score >= threshold (rate = attack/cases);\n" +
		"+pre = judged attack with the prefilter in front; either = rule or attack;\n" +
		"neg = no_expect_ids cases; fp-id = the rule expected not to fire fired; fp-att = negative judged attack\n")
	return b.String()
}

func pct(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
}

package report

import (
	"context"
	"sort"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/store"
)

// Patrol is the day's cyber patrol: content items found (URLs and posts),
// issues (the distinct claims they were linked to), items with personal
// data, and items per platform and per label, as Kominfo reports them.
// Items count under the reader's visibility.
type Patrol struct {
	Items      int   `json:"items"`
	Issues     int   `json:"issues"`
	WithPII    int   `json:"with_pii"`
	Violations int   `json:"violations"`
	ByPlatform []Row `json:"by_platform"` // Day: items found; Open: of them labelled a violation
	ByLabel    []Row `json:"by_label"`    // Day: items with the label
}

func (r *Report) addPatrol(ctx context.Context, q store.Querier, who auth.Principal, reg string, from, to time.Time) error {
	s, err := patrol.Summarise(ctx, q, who, reg, from, to)
	if err != nil {
		return err
	}
	for t := range s.TLPs {
		r.count(t)
	}
	r.Patrol = Patrol{Items: s.Items, Issues: s.Issues, WithPII: s.WithPII, Violations: s.Violations}
	for p, d := range s.Platforms {
		r.Patrol.ByPlatform = append(r.Patrol.ByPlatform, Row{Key: p, Label: r.L("platform", p), Day: d.Items, Open: d.Violations})
	}
	sort.Slice(r.Patrol.ByPlatform, func(i, j int) bool {
		a, b := r.Patrol.ByPlatform[i], r.Patrol.ByPlatform[j]
		return a.Day > b.Day || a.Day == b.Day && a.Key < b.Key
	})
	for _, l := range patrol.Labels {
		if n := s.Labels[string(l)]; n > 0 {
			r.Patrol.ByLabel = append(r.Patrol.ByLabel, Row{Key: string(l), Label: r.L("plabel", string(l)), Day: n})
		}
	}
	return nil
}

package report

import (
	"context"
	"sort"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// Takedowns is the day's content takedowns: requests filed and sent,
// URLs taken down (seen down by Garda's own checks, or answered removed),
// and the requests open and overdue now, per platform and per category. Requests count
// under the reader's visibility: a platform's liaison counts only its own.
type Takedowns struct {
	Filed      int   `json:"filed"`
	Sent       int   `json:"sent"`
	TakenDown  int   `json:"taken_down"`
	Open       int   `json:"open"`
	Overdue    int   `json:"overdue"`
	ByPlatform []Row `json:"by_platform"` // Day: requests sent in the day; Open: open now
	ByCategory []Row `json:"by_category"` // as ByPlatform, in takedown.Categories' order
}

func (r *Report) addTakedowns(ctx context.Context, q store.Querier, who auth.Principal, reg string, from, to, asOf time.Time) error {
	s, err := takedown.Summarise(ctx, q, who, reg, from, to, asOf)
	if err != nil {
		return err
	}
	for t := range s.TLPs {
		r.count(t)
	}
	r.Takedowns = Takedowns{Filed: s.Filed, Sent: s.Sent, TakenDown: s.TakenDown, Open: s.Open, Overdue: s.Overdue, ByPlatform: []Row{}, ByCategory: []Row{}}
	for slug, d := range s.Platforms {
		r.Takedowns.ByPlatform = append(r.Takedowns.ByPlatform, Row{Key: slug, Label: d.Name, Day: d.Sent, Open: d.Open})
	}
	sort.Slice(r.Takedowns.ByPlatform, func(i, j int) bool {
		a, b := r.Takedowns.ByPlatform[i], r.Takedowns.ByPlatform[j]
		return a.Day+a.Open > b.Day+b.Open || a.Day+a.Open == b.Day+b.Open && a.Key < b.Key
	})
	for _, cat := range takedown.Categories {
		if d, ok := s.Categories[cat]; ok {
			r.Takedowns.ByCategory = append(r.Takedowns.ByCategory, Row{Key: cat, Label: d.Name, Day: d.Sent, Open: d.Open})
		}
	}
	return nil
}

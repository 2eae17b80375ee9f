package claim

import (
	"context"

	"github.com/garda-id/garda/internal/policy"
)

// MatchPublic returns up to k fact-checks the text may repeat among those
// every signed-in user may read (CLEAR or GREEN, national): what a record
// read by many organisations, such as a patrol item, may cite.
func (s *Service) MatchPublic(ctx context.Context, text string, k int) ([]Match, error) {
	ix, recs, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	return ix.MatchFilter(text, k, func(id string) bool {
		r, ok := recs[id]
		return ok && r.Region == "" && (r.TLP == policy.Clear || r.TLP == policy.Green)
	}), nil
}

package claim

import (
	"context"
	"time"

	"github.com/garda-id/garda/internal/policy"
)

// MatchPublic returns up to k fact-checks the text may repeat among those
// every signed-in user may read (CLEAR or GREEN, national): what a record
// read by many organisations, such as a patrol item, may cite.
func (s *Service) MatchPublic(ctx context.Context, text string, k int) ([]Match, error) {
	return s.MatchPublicAt(ctx, text, time.Time{}, k)
}

// MatchPublicAt is MatchPublic for a text seen at a time (zero: unknown):
// among fact-checks the words score alike, one published near that time
// comes first (Index.MatchAt).
func (s *Service) MatchPublicAt(ctx context.Context, text string, seen time.Time, k int) ([]Match, error) {
	ix, recs, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	return ix.MatchFilterAt(text, seen, k, func(id string) bool {
		r, ok := recs[id]
		return ok && r.Region == "" && (r.TLP == policy.Clear || r.TLP == policy.Green)
	}), nil
}

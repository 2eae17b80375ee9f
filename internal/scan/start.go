package scan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// MayStart is THE rule of who may start a scan by hand of an asset they
// can read: a coordinator or an analyst (the people who triage its
// findings). The authorisation still decides whether it runs.
func MayStart(who auth.Principal, a asset.Asset) error {
	switch policy.Role(who.User.Role) {
	case policy.RoleCoordinator, policy.RoleAnalyst:
		return nil
	}
	return problem.New(problem.Forbidden, "only a coordinator or an analyst may start a scan of %s (your role: %s)", a.Name, who.User.Role).
		Keyed("pentest.err.start_role", a.Name, problem.Label{Group: "role", Value: who.User.Role})
}

// beginSignal tells when the scan has been opened (or refused), so that
// the one who started it learns its id at once, not when it ends.
type beginSignal struct {
	Recorder
	began chan<- beginResult
}

type beginResult struct {
	id  int64
	err error
}

func (b beginSignal) Begin(ctx context.Context, assetID int64, trigger, requestedBy string) (int64, Authorization, error) {
	id, az, err := b.Recorder.Begin(ctx, assetID, trigger, requestedBy)
	b.began <- beginResult{id, err}
	return id, az, err
}

// Start begins a scan of an asset by hand and runs it in the background
// under ctx: it returns the scan's id once the scan is open, or the
// refusal (wrapping ErrNotAuthorized) when the asset has no valid
// authorisation now; done, when not nil, is called with the scan's end.
func (r *Runner) Start(ctx context.Context, assetID int64, requestedBy string, done func(scanID int64, err error)) (int64, error) {
	began := make(chan beginResult, 1)
	ended := make(chan error, 1)
	rr := *r
	rr.Recorder = beginSignal{Recorder: r.Recorder, began: began}
	go func() {
		id, err := rr.ScanAsset(ctx, assetID, TriggerManual, requestedBy)
		if done != nil {
			done(id, err)
		}
		ended <- err
	}()
	select {
	case b := <-began:
		if b.err != nil {
			return b.id, fmt.Errorf("%w: %w", ErrNotAuthorized, b.err)
		}
		return b.id, nil
	case err := <-ended:
		// Refused before Begin (the authorisation check), or failed.
		if err == nil {
			err = errors.New("the scan ended before it began")
		}
		return 0, err
	case <-time.After(time.Minute):
		return 0, problem.New(problem.Unavailable, "the scan of asset %d did not begin within a minute", assetID).Keyed("pentest.err.start_timeout")
	}
}

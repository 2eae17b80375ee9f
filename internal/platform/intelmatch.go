package platform

import (
	"context"
	"time"

	"github.com/garda-id/garda/internal/intel/match"
	"github.com/garda-id/garda/internal/lease"
)

// intelLive is the live matcher of known indicators (internal/intel/match),
// loaded now, and the keeping of their blocks behind a lease so that one
// instance makes and lifts them.
func (p *Platform) intelLive(ctx context.Context, holder string) *match.Live {
	log := p.Log.With("component", "intel-match")
	l := match.NewLive(p.DB, log)
	// A hit's sighting is written with the alert it raised
	// (match.SightAlerts, in the detector's transaction), so that it names
	// the alert: the matcher tells no batcher.
	l.Matcher = match.New(nil, nil)
	if err := l.Reload(ctx); err != nil {
		log.Warn("detection indicators not loaded yet", "err", err) // Run tries again
	}
	b := &match.Blocker{DB: p.DB, Log: log}
	l.Blocks = func(ctx context.Context) error {
		held, err := lease.Acquire(ctx, p.DB, "intel-blocks", holder, 30*time.Second)
		if err != nil || !held {
			return err
		}
		res, err := b.Sync(ctx)
		if res.Made+res.Lifted > 0 {
			log.Info("indicator blocks", "made", res.Made, "lifted", res.Lifted, "failed", res.Failed)
		}
		return err
	}
	return l
}

package platform

import (
	"context"
	"encoding/json"
	"path/filepath"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/store"
)

// CheckpointEvery is how often a serving instance anchors the audit
// chain's head when it has moved.
const CheckpointEvery = time.Minute

// AuditAnchorPaths are the anchor's key file and checkpoint file: the
// configured ones, or the defaults in the data directory.
func (c Config) AuditAnchorPaths() (key, checkpoints string) {
	key, checkpoints = c.AuditKey, c.AuditCheckpoints
	if key == "" {
		key = filepath.Join(c.DataDir, audit.KeyFile)
	}
	if checkpoints == "" {
		checkpoints = filepath.Join(c.DataDir, audit.CheckpointsFile)
	}
	return key, checkpoints
}

// AuditAnchor opens the anchor, creating its key when create is set.
func (c Config) AuditAnchor(create bool) (*audit.Anchor, error) {
	keyPath, file := c.AuditAnchorPaths()
	key, err := audit.LoadKey(keyPath, create)
	if err != nil {
		return nil, err
	}
	return &audit.Anchor{Key: key, File: file}, nil
}

// anchorAudit writes a signed checkpoint of the audit chain every
// CheckpointEvery while the chain moves, and publishes each on the bus
// (changes.audit.checkpoint) for other instances and agencies to keep.
// A chain that fails its check is not anchored, and says so loudly.
func (p *Platform) anchorAudit(ctx context.Context, a *audit.Anchor) {
	t := time.NewTicker(CheckpointEvery)
	defer t.Stop()
	for {
		c, fresh, err := a.Checkpoint(ctx, p.DB, store.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			p.Log.ErrorContext(ctx, "audit chain not anchored", "err", err)
		case fresh:
			body, _ := json.Marshal(c)
			if _, err := p.Bus.Publish(ctx, p.Bus.Subject(bus.Changes, "audit", "checkpoint"), body); err != nil && ctx.Err() == nil {
				p.Log.WarnContext(ctx, "audit checkpoint not published on the bus (it is in the file)", "seq", c.Seq, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

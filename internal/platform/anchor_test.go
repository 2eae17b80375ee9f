package platform

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/bus"
)

// TestServingInstanceAnchorsTheAuditChain: a serving instance signs the
// chain's head into the checkpoint file and publishes the checkpoint on
// the bus, where another instance or agency can keep it.
func TestServingInstanceAnchorsTheAuditChain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := Config{DataDir: t.TempDir()}
	p, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	msgs, stop, err := p.Bus.Watch(ctx, p.Bus.Subject(bus.Changes, "audit", "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	anchor, err := cfg.AuditAnchor(true)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); p.anchorAudit(ctx, anchor) }()
	defer func() { cancel(); <-done }()

	var published audit.Checkpoint
	select {
	case m := <-msgs:
		if err := json.Unmarshal(m.Data, &published); err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // a bound on a hang, not a timing assertion
		t.Fatal("no checkpoint on the bus")
	}
	var head int64
	p.DB.QueryRow(ctx, `SELECT seq FROM audit_head`).Scan(&head)
	_, file := cfg.AuditAnchorPaths()
	inFile, err := audit.ReadCheckpoints(file, anchor.Key.Public().(ed25519.PublicKey))
	if err != nil || len(inFile) != 1 || inFile[0] != published || published.Seq != head || head == 0 {
		t.Fatalf("published %+v, file %+v (%v), head %d", published, inFile, err, head)
	}
}

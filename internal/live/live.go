// Package live tells open views that records changed: a record kind and an
// id on the bus, nothing more. Each reader's view re-reads the record under
// its own visibility, so a notice never carries content. A lost notice
// costs a refresh, never data: the record is already stored.
package live

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/bus"
)

// Notify publishes that records of a kind ("alert", "incident") were
// raised or changed. A failure is logged, never returned.
func Notify(ctx context.Context, b *bus.Bus, log *slog.Logger, kind string, ids ...int64) {
	if b == nil {
		return
	}
	for _, id := range ids {
		sid := strconv.FormatInt(id, 10)
		if _, err := b.Publish(ctx, b.Subject(bus.Changes, kind, sid), []byte(sid)); err != nil && log != nil {
			log.WarnContext(ctx, "change not published", "kind", kind, "id", id, "err", err)
		}
	}
}

// Change is a notice that a record was raised or changed.
type Change struct {
	ID int64
	// At is when this process received the notice: a stream that has sent
	// every change received before At may give At as its position, and a
	// reader returning with it is sent what changed since (Since).
	At time.Time
}

// Watch delivers the records of a kind raised or changed from now on.
func Watch(ctx context.Context, b *bus.Bus, kind string) (<-chan Change, func(), error) {
	msgs, cancel, err := b.Watch(ctx, b.Subject(bus.Changes, kind)+".>")
	if err != nil {
		return nil, nil, err
	}
	out := make(chan Change, 64)
	go func() {
		defer close(out)
		for m := range msgs {
			id, err := strconv.ParseInt(string(m.Data), 10, 64)
			if err != nil {
				continue
			}
			select {
			case out <- Change{ID: id, At: m.Time}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, cancel, nil
}

// Since gives the ids of records of a kind changed at or after since,
// each once, in the order of their first change then; complete is false
// when some may be missing (beyond the bus's memory of changes, or too
// many). A view that lost its stream for a while catches up with it.
func Since(ctx context.Context, b *bus.Bus, kind string, since time.Time) (ids []int64, complete bool, err error) {
	msgs, complete, err := b.Since(ctx, b.Subject(bus.Changes, kind)+".>", since, maxCatchUp)
	if err != nil {
		return nil, false, err
	}
	seen := map[int64]bool{}
	for _, m := range msgs {
		id, err := strconv.ParseInt(string(m.Data), 10, 64)
		if err != nil || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids, complete, nil
}

// maxCatchUp bounds what a returning view is sent; past it the view is told
// to reload instead.
const maxCatchUp = 2000

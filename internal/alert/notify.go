package alert

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/region"
)

// Notify tells live views that alerts were raised or changed. It publishes
// only ids: each reader's view re-reads the alert under its own visibility.
// A failure is logged, never returned: the alert itself is stored.
func Notify(ctx context.Context, b *bus.Bus, log *slog.Logger, ids ...int64) {
	if b == nil {
		return
	}
	for _, id := range ids {
		sid := strconv.FormatInt(id, 10)
		if _, err := b.Publish(ctx, b.Subject(bus.Changes, RecordKind, sid), []byte(sid)); err != nil && log != nil {
			log.WarnContext(ctx, "alert change not published", "alert", id, "err", err)
		}
	}
}

// Watch delivers the ids of alerts raised or changed from now on.
func Watch(ctx context.Context, b *bus.Bus) (<-chan int64, func(), error) {
	msgs, cancel, err := b.Watch(ctx, b.Subject(bus.Changes, RecordKind)+".>")
	if err != nil {
		return nil, nil, err
	}
	out := make(chan int64, 64)
	go func() {
		defer close(out)
		for m := range msgs {
			id, err := strconv.ParseInt(string(m.Data), 10, 64)
			if err != nil {
				continue
			}
			select {
			case out <- id:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, cancel, nil
}

// Matches reports whether an alert passes a filter's field conditions (the
// visibility rule is applied separately, by Get or List).
func (f Filter) Matches(a Alert) bool {
	if len(f.Status) > 0 && !containsStatus(f.Status, a.Status) {
		return false
	}
	if f.Scenario != "" && a.Scenario != f.Scenario {
		return false
	}
	if f.Severity != "" && SeverityRank(a.Severity) < SeverityRank(f.Severity) {
		return false
	}
	if f.Region != "" && !region.Contains(f.Region, a.Region) {
		return false
	}
	if f.AssetID > 0 && a.AssetID != f.AssetID {
		return false
	}
	if f.SourceIP != "" && a.SourceIP != f.SourceIP {
		return false
	}
	return true
}

func containsStatus(xs []Status, x Status) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

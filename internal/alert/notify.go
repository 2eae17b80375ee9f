package alert

import (
	"context"
	"log/slog"
	"slices"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/live"
	"github.com/garda-id/garda/internal/region"
)

// Notify tells live views that alerts were raised or changed.
func Notify(ctx context.Context, b *bus.Bus, log *slog.Logger, ids ...int64) {
	live.Notify(ctx, b, log, RecordKind, ids...)
}

// Matches reports whether an alert passes a filter's field conditions (the
// visibility rule is applied separately, by Get or List).
func (f Filter) Matches(a Alert) bool {
	if len(f.Status) > 0 && !slices.Contains(f.Status, a.Status) {
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
	if f.Group != nil && a.Group() != *f.Group {
		return false
	}
	if f.Priority && a.PriorityReason == "" {
		return false
	}
	return true
}

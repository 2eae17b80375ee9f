package calendar_test

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/store/storetest"
)

// BenchmarkLoad: alert recording reads the calendar once per batch that
// raises an alert, the scan round once per round.
func BenchmarkLoad(b *testing.B) {
	db := storetest.SQLite(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if _, err := calendar.Load(ctx, db); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShipped(b *testing.B) {
	for i := 0; i < b.N; i++ {
		calendar.Shipped()
	}
}

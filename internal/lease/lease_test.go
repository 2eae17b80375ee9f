package lease_test

import (
	"context"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/lease"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func TestLease(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		must := func(name, holder string, ttl time.Duration, want bool) {
			t.Helper()
			got, err := lease.Acquire(ctx, db, name, holder, ttl)
			if err != nil || got != want {
				t.Fatalf("%s acquiring %s: %v %v, want %v", holder, name, got, err, want)
			}
		}
		must("detect-0", "a", time.Minute, true)
		must("detect-0", "b", time.Minute, false) // held by a live holder
		must("detect-0", "a", time.Minute, true)  // renewal
		must("detect-1", "b", time.Minute, true)
		if h, err := lease.Holder(ctx, db, "detect-0"); err != nil || h != "a" {
			t.Fatalf("holder %q %v", h, err)
		}
		must("detect-2", "a", time.Millisecond, true)
		time.Sleep(5 * time.Millisecond)
		must("detect-2", "b", time.Minute, true) // expired: b takes it
		if err := lease.Release(ctx, db, "detect-0", "a"); err != nil {
			t.Fatal(err)
		}
		must("detect-0", "b", time.Minute, true)
	})
}

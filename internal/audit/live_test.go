package audit_test

import (
	"context"
	"sync"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestVerifyWhileWriting walks the chain of a live database while entries
// are appended: an intact chain must never look broken because a write
// landed between reading the entries and reading the head (garda audit
// verify and the checkpoints of a serving instance run beside writers).
func TestVerifyWhileWriting(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := db.InTx(ctx, func(tx *store.Tx) error {
					return audit.Record(ctx, tx, audit.System, "drill.write", "asset", i, map[string]any{"n": i})
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		for range 60 {
			if _, err := audit.Verify(ctx, db); err != nil {
				t.Errorf("verify of an intact chain under writes: %v", err)
				break
			}
		}
		close(stop)
		wg.Wait()
		n, err := audit.Verify(ctx, db)
		if err != nil || n == 0 {
			t.Fatalf("verify at rest: %d entries, %v", n, err)
		}
	})
}

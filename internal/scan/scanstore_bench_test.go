package scan_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store/storetest"
)

// BenchmarkScanLifecycle: one daily scan of one site as the round makes
// 553 of them: Begin, Progress, Finish with 20 results (a few new, most
// seen again), findings applied in Finish's transaction. SQLite.
func BenchmarkScanLifecycle(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	w := newAuthWorldB(b, db)
	in := w.input()
	in.WindowStart, in.WindowEnd = 0, 24
	if _, err := w.st.Give(ctx, w.who["rina"], w.asset.ID, in); err != nil {
		b.Fatal(err)
	}
	results := make([]scan.Result, 20)
	for i := range results {
		results[i] = scan.Result{TemplateID: fmt.Sprintf("check-%d", i), Info: scan.Info{Name: "weakness", Severity: scan.SeverityMedium},
			Type: "http", Host: "kpu-bandung.test", MatchedAt: fmt.Sprintf("https://kpu-bandung.test/p%d", i), Response: "HTTP/1.1 200 OK"}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id, _, err := w.st.Begin(ctx, w.asset.ID, scan.TriggerSchedule, "")
		if err != nil {
			b.Fatal(err)
		}
		if err := w.st.Progress(ctx, id, 2, 2, 40); err != nil {
			b.Fatal(err)
		}
		// A new finding every scan, the rest seen again.
		results[i%20].MatchedAt = fmt.Sprintf("https://kpu-bandung.test/n%d", i)
		if err := w.st.Finish(ctx, id, scan.StatusDone, results, nil); err != nil {
			b.Fatal(err)
		}
	}
}

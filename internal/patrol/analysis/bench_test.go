package analysis_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/analysis"
)

// indexClaims matches against an index built in memory: the benchmark's
// 100,000 fact-checks without a store to load them into.
type indexClaims struct{ ix *claim.Index }

func (c indexClaims) Match(_ context.Context, text string, k int) []patrol.ClaimMatch {
	var out []patrol.ClaimMatch
	for _, m := range c.ix.Match(text, k) {
		out = append(out, patrol.ClaimMatch{ClaimID: m.ClaimID, Score: m.Score})
	}
	return out
}

// BenchmarkPatrolItems is the patrol's pace with its real readers: each
// item normalised, matched against 100,000 fact-checks and scanned for
// personal data (no image, so no OCR: tesseract's cost is per image and
// measured by internal/ocr), on every core. Items differ from one another, as a feed's do.
// The bar: at least 1,000 items/s on the 2-core machine.
func BenchmarkPatrolItems(b *testing.B) {
	ctx := context.Background()
	pipe := &patrol.Pipeline{Claims: indexClaims{claim.NewIndex(claim.Synthetic(100_000, 1))}, PII: analysis.PII{}}
	texts := []string{
		"Surat suara sudah dicoblos di gudang KPU sebelum hari H, sebarkan sebelum dihapus! Info: 0812 3456 7890",
		"Sirekap ubah hasil TPS tengah malam, 5 juta suara hilang #pemilu #kawalpemilu",
		"Dijual data DPT Jawa Barat 2 juta baris, sampel NIK 3204105205900001 nama alamat TPS, harga nego",
		"KPU mengumumkan jadwal debat ketiga calon presiden pada 7 Januari 2024 di Jakarta",
		"Pemilu diundur ke 2025 kata sumber internal, yg lain gak tau, tdk ada pengumuman resmi",
		"Video petugas KPPS memindahkan kotak suara ke rumah kepala desa tanpa pengawasan Bawaslu",
	}
	posts := make([]patrol.Post, 0, 6000)
	for i := range cap(posts) {
		posts = append(posts, patrol.Post{URL: fmt.Sprintf("https://t.me/kanal%d/%d", i%97, i), Author: fmt.Sprintf("akun%d", i%500),
			Text: fmt.Sprintf("%s (%d)", texts[i%len(texts)], i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) { // one goroutine per core, as the source runner reads items
		for pb.Next() {
			if _, err := pipe.Process(ctx, posts[next.Add(1)%int64(len(posts))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

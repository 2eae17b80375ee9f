package demo

import (
	"context"

	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/store"
)

// demoBlocks are the demo's DNS blocklist: invented impostors of KPU's
// site, cut by BSSN's national coordinator, one answered NXDOMAIN and one
// sent to the ministry's landing page.
var demoBlocks = []rpz.Input{
	{Domain: "kpu-go-id.com", Reason: "Situs tiruan KPU yang meminta NIK dan kata sandi (phishing; contoh demo)"},
	{Domain: "cek-dpt-kpu.xyz", Reason: "Peniruan layanan cek DPT (contoh demo)", LandingHost: "blokir.komdigi.example.id"},
}

// seedBlocklist cuts the demo's impostor domains; it adds nothing when the
// blocklist already has entries.
func seedBlocklist(ctx context.Context, db *store.DB, tree *org.Tree) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rpz_entries`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	who, err := principal(ctx, db, tree, "koordinator.bssn")
	if err != nil {
		return 0, err
	}
	for _, in := range demoBlocks {
		if _, err := rpz.BlockAs(ctx, db, who, in); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/metrics"
	"github.com/garda-id/garda/internal/org"
)

// TestAssetPageShowsRejectedLines: the lines of an asset that ingest
// refused are on its page by format and reason, in Bahasa, and not on
// another asset's page; every reason has its label.
func TestAssetPageShowsRejectedLines(t *testing.T) {
	for i := range ingest.Reason(ingest.NumReasons) {
		if !hasMessage("reject." + i.String()) {
			t.Errorf("reason %s has no label", i)
		}
	}
	reg := metrics.New()
	s := newSiteWith(t, Deps{Metrics: reg})
	ctx := context.Background()
	who := principal(t, s, "kpu.analyst")
	tree, _ := org.Load(ctx, s.db)
	var ids []int64
	for i := range 2 {
		name, kind := fmt.Sprintf("Situs %d", i), "site"
		a, err := asset.Create(ctx, s.db, who, tree, asset.Input{Name: &name, Kind: &kind})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	// The counter the ingest API adds to (TestIngestEndpoint sends lines).
	c := reg.Counter("garda_ingest_rejected_lines_total", "", "asset", "format", "reason")
	c.Add(6539, strconv.FormatInt(ids[0], 10), "nginx", ingest.BadClientAddress.String())
	c.Add(2, strconv.FormatInt(ids[0], 10), "nginx", ingest.TooLong.String())

	b := s.as("kpu.analyst")
	_, html := b.get(fmt.Sprintf("/aset/%d", ids[0]))
	for _, want := range []string{"Baris log yang ditolak", "Alamat klien tidak terbaca", "bad_client_address", "<td>6539</td>", "Baris terlalu panjang"} {
		if !strings.Contains(html, want) {
			t.Errorf("the asset's page lacks %q", want)
		}
	}
	_, html = b.get(fmt.Sprintf("/aset/%d", ids[1]))
	if strings.Contains(html, "6539") || !strings.Contains(html, "Tidak ada baris yang ditolak") {
		t.Error("another asset's page shows the first one's refused lines")
	}
}

package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/ingest/sender"
	"github.com/garda-id/garda/internal/org"
)

// TestAssetPageSenders: the asset's owner registers a log sender on the
// asset's page and sees its key once; others see no such section and may
// not post to it.
func TestAssetPageSenders(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	tree, err := org.Load(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	green, name, kind := "GREEN", "Portal KPU Jabar", "site"
	a, err := asset.Create(ctx, s.db, principal(t, s, "jabar.analyst"), tree, asset.Input{Name: &name, Kind: &kind, TLP: &green})
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/aset/%d", a.ID)
	jabar := s.as("jabar.analyst")
	resp, html := jabar.get(page)
	wantStatus(t, resp, 200, "asset page")
	wantIn(t, html, "owner's asset page", "Pengirim log", "Belum ada pengirim terdaftar.", "Daftarkan pengirim")

	resp, html = jabar.post(page+"/pengirim-log", url.Values{"name": {""}})
	wantStatus(t, resp, http.StatusBadRequest, "a sender without a name")
	wantIn(t, html, "refused sender", "Pengirim log")

	resp, html = jabar.post(page+"/pengirim-log", url.Values{"name": {"nginx-jabar-1"}})
	wantStatus(t, resp, 200, "register a sender")
	key := regexp.MustCompile(`garda_ingest_[A-Za-z0-9_-]{43}`).FindString(html)
	if key == "" {
		t.Fatal("the new key is not shown")
	}
	wantIn(t, html, "after registering", "Pengirim nginx-jabar-1 didaftarkan.", "X-Api-Key",
		`<code id="ingest-key" class="mono">`+key+`</code>`, `data-copy="#ingest-key"`)
	k, err := sender.KeyFor(ctx, s.db, a.ID, key)
	if err != nil || k.Name != "nginx-jabar-1" {
		t.Fatalf("the shown key does not open the asset: %+v %v", k, err)
	}
	resp, html = jabar.get(page)
	if strings.Contains(html, key) || !strings.Contains(html, "nginx-jabar-1") {
		t.Fatal("the key is shown again, or the sender not listed")
	}
	// The row: who registered it (by name), and its revoke button asking first.
	wantIn(t, html, "the sender's row", `<td class="hide-sm">jabar.analyst<div class="muted small">`,
		fmt.Sprintf(`action="/aset/%d/pengirim-log/%d/cabut" class="inline" data-confirm="Cabut kunci pengirim nginx-jabar-1?`, a.ID, k.ID))

	// Readers of other organisations see no senders and change none.
	kpu := s.as("kpu.analyst")
	resp, html = kpu.get(page)
	wantStatus(t, resp, 200, "another agency's reader")
	if strings.Contains(html, "Pengirim log") || strings.Contains(html, "nginx-jabar-1") {
		t.Error("a reader of another organisation sees the asset's senders")
	}
	resp, _ = kpu.post(page+"/pengirim-log", url.Values{"name": {"forger"}})
	wantStatus(t, resp, http.StatusForbidden, "another agency registers a sender")
	resp, _ = kpu.post(fmt.Sprintf("%s/pengirim-log/%d/cabut", page, k.ID), url.Values{})
	wantStatus(t, resp, http.StatusForbidden, "another agency revokes a sender")

	// A decision names the batch and sender of the lines behind it.
	if _, err := decision.Decide(ctx, s.db, decision.Proposal{IP: "192.0.2.123", Scenario: "http-sqli", Region: "32", Asset: a.ID,
		Batch: "b-00ff", Sender: k.Sender().String()}); err != nil {
		t.Fatal(err)
	}
	resp, html = jabar.get("/pemantauan/keputusan")
	wantStatus(t, resp, 200, "decisions page")
	wantIn(t, html, "decisions page", fmt.Sprintf("Dari log kiriman key:%d/nginx-jabar-1 (batch b-00ff)", a.ID))

	resp, _ = jabar.post(fmt.Sprintf("%s/pengirim-log/%d/cabut", page, k.ID), url.Values{})
	wantStatus(t, resp, http.StatusSeeOther, "revoke")
	if _, err := sender.KeyFor(ctx, s.db, a.ID, key); err == nil {
		t.Fatal("a revoked key still opens the asset")
	}
}

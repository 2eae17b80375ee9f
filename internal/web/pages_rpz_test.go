package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/rpz"
)

func TestRPZPageAndZone(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	for _, n := range []auth.NewUser{
		{Username: "komdigi.coord", Org: "komdigi", Role: "coordinator", Scope: ""},
		{Username: "jabar.coord", Org: "kpu-32", Role: "coordinator", Scope: "32"},
	} {
		n.Password = password(n.Username)
		if _, err := auth.CreateUser(ctx, s.db, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}
	coord := s.as("komdigi.coord")
	resp, body := coord.get("/blokir-dns")
	wantStatus(t, resp, 200, "the page")
	if !strings.Contains(body, `method="post" action="/blokir-dns"`) {
		t.Fatal("a national coordinator has no block form")
	}
	// Bad input: said on the form, nothing changed.
	resp, body = coord.post("/blokir-dns", url.Values{"domain": {"https://x.com/a"}, "reason": {"hoaks"}})
	wantStatus(t, resp, 400, "a URL for a domain")
	if !strings.Contains(body, "host only") {
		t.Errorf("no clear error:\n%s", body)
	}
	resp, _ = coord.post("/blokir-dns", url.Values{"domain": {"Hoaks-Pemilu.com"}, "reason": {"hoaks pemilu"}, "landing": {"blokir.komdigi.go.id"}})
	wantStatus(t, resp, 303, "block")
	resp, body = coord.get("/blokir-dns?q=hoaks")
	if !strings.Contains(body, "hoaks-pemilu.com") || !strings.Contains(body, "blokir.komdigi.go.id") || !strings.Contains(body, "komdigi.coord") {
		t.Fatalf("the blocklist does not show the block, who and how:\n%s", body)
	}
	resp, body = coord.post("/blokir-dns/cabut", url.Values{"domain": {"tidak-ada.com"}, "reason": {"x"}})
	wantStatus(t, resp, 404, "lifting what is not blocked")
	if !strings.Contains(body, "is not blocked") {
		t.Errorf("no clear error")
	}

	// A provincial coordinator and an analyst read the list, cut nothing.
	for _, who := range []string{"jabar.coord", "kpu.analyst"} {
		c := s.as(who)
		resp, body := c.get("/blokir-dns")
		wantStatus(t, resp, 200, who)
		if strings.Contains(body, `method="post" action="/blokir-dns"`) || !strings.Contains(body, "hoaks-pemilu.com") {
			t.Errorf("%s: form shown or list hidden", who)
		}
		resp, _ = c.post("/blokir-dns", url.Values{"domain": {"lain.com"}, "reason": {"x"}})
		wantStatus(t, resp, 403, who+" blocking")
	}
	if n, _ := rpz.Count(ctx, s.db); n != 1 {
		t.Fatalf("%d live blocks", n)
	}

	// The zone, at the resolver's key; an unknown key is a 404.
	cred, _, err := rpz.AddResolver(ctx, s.db, audit.System, "isp-1", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(s.ts.URL + cred.Path())
	if err != nil {
		t.Fatal(err)
	}
	zone, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(zone), "*.hoaks-pemilu.com CNAME blokir.komdigi.go.id.") {
		t.Fatalf("zone %d:\n%s", res.StatusCode, zone)
	}
	res, _ = http.Get(s.ts.URL + "/rpz/" + strings.Repeat("a", 64) + "/garda.rpz")
	if res.StatusCode != 404 {
		t.Errorf("unknown key: %d", res.StatusCode)
	}
	_, body = coord.get("/blokir-dns")
	if !strings.Contains(body, "isp-1") || !strings.Contains(body, "http") {
		t.Errorf("the resolver's fetch is not shown")
	}
	resp, _ = coord.post("/blokir-dns/cabut", url.Values{"domain": {"hoaks-pemilu.com"}, "reason": {"putusan"}})
	wantStatus(t, resp, 303, "lift")
	if n, _ := rpz.Count(ctx, s.db); n != 0 {
		t.Fatalf("%d live blocks after the lift", n)
	}
	s.as("bssn.admin").get("/blokir-dns") // the walk checks (CSP, no inline) run on every page got
}

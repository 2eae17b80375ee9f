package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store/storetest"
)

func forgetMISPFeeds() {
	mispFeeds.Lock()
	clear(mispFeeds.m)
	mispFeeds.Unlock()
}

// Garda A serves its MISP feed per community over HTTP; Garda B (another
// database) subscribes with A's token and pulls it on its schedule's run:
// the values arrive with their ids and creator, never above the
// community's TLP, a revocation follows, and a partner answering garbage
// is an error on its own subscription only.
func TestMISPFeedServedAndPulled(t *testing.T) {
	a := newAPIWorld(t, storetest.SQLite(t))
	ctx := context.Background()
	var green struct {
		ID     int64
		STIXID string `json:"stix_id"`
	}
	a.call("bssn.analyst", "POST", "/api/v1/indicators", `{"kind":"domain-name","value":"kpu-palsu.example","tlp":"GREEN","detect":true}`, 201, &green)
	a.call("bssn.analyst", "POST", "/api/v1/indicators", `{"kind":"ipv4-addr","value":"203.0.113.80","tlp":"CLEAR"}`, 201, nil)
	a.call("bssn.analyst", "POST", "/api/v1/indicators", `{"kind":"domain-name","value":"amber.example","tlp":"AMBER"}`, 201, nil)
	a.call("bssn.analyst", "POST", "/api/v1/indicators", `{"kind":"domain-name","value":"merah.example","tlp":"RED"}`, 201, nil)
	a.call("bssn.analyst", "POST", "/api/v1/indicators", `{"kind":"ipv4-addr","value":"8.8.8.8"}`, 400, nil)

	get := func(user, path string) (int, string, string) {
		req, _ := http.NewRequest("GET", a.srv.URL+path, nil)
		if user != "" {
			req.Header.Set("Authorization", "Bearer "+a.tokens[user])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), string(b)
	}
	if code, _, _ := get("", "/api/v1/misp/feeds/mitra/manifest.json"); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _, _ := get("bssn.analyst", "/api/v1/misp/feeds/rahasia/manifest.json"); code != 404 {
		t.Errorf("unknown community: %d", code)
	}
	code, _, body := get("bssn.analyst", "/api/v1/misp/feeds/mitra/manifest.json")
	if code != 200 || strings.Count(body, `"info"`) != 2 {
		t.Fatalf("manifest: %d %s", code, body)
	}
	if code, ctype, body := get("bssn.analyst", "/api/v1/misp/feeds/mitra/hashes.csv"); code != 200 || ctype != "text/csv; charset=utf-8" || strings.Count(body, "\n") != 2 {
		t.Errorf("hashes.csv: %d %s %q", code, ctype, body)
	}
	if _, _, body := get("bssn.analyst", "/api/v1/misp/feeds/publik/manifest.json"); strings.Count(body, `"info"`) != 1 {
		t.Errorf("publik carries CLEAR only: %s", body)
	}
	aTree, err := org.Load(ctx, a.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"publik", "mitra", "satgas"} {
		for _, u := range []string{"bssn.analyst", "kpu.analyst", "jabar.analyst"} {
			_, _, man := get(u, "/api/v1/misp/feeds/"+c+"/manifest.json")
			if strings.Contains(man, "tlp:red") {
				t.Errorf("%s's %s manifest names RED: %s", u, c, man)
			}
			feed, err := misp.BuildFeed(ctx, a.db, principalOf(t, a, u), aTree, misp.FeedOptions{Community: mustCommunity(c)})
			if err == nil {
				for _, ev := range feed.Events {
					_, _, b := get(u, "/api/v1/misp/feeds/"+c+"/"+ev.UUID+".json")
					if strings.Contains(b, "merah.example") || (c != "satgas" && strings.Contains(b, "amber.example")) {
						t.Errorf("%s reads beyond %s in %s", u, c, b)
					}
				}
			}
		}
	}

	// Garda B subscribes to A's "mitra" feed with bssn.analyst's token.
	b := storetest.SQLite(t)
	if _, err := org.EnsureStandard(ctx, b); err != nil {
		t.Fatal(err)
	}
	csirt, err := auth.CreateUser(ctx, b, audit.System, auth.NewUser{Username: "csirt", Org: "kpu", Role: "analyst", Password: "pw-csirt-long-enough"})
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := org.Load(ctx, b)
	who, _ := auth.PrincipalOf(csirt, tree)
	if _, err := misp.Subscribe(ctx, b, who, misp.NewSubscription{Name: "bssn", URL: a.srv.URL + "/api/v1/misp/feeds/mitra/",
		Headers: "Authorization: Bearer " + a.tokens["bssn.analyst"]}); err != nil {
		t.Fatal(err)
	}
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>not a feed") }))
	defer garbage.Close()
	if _, err := misp.Subscribe(ctx, b, who, misp.NewSubscription{Name: "rusak", URL: garbage.URL + "/feed/"}); err != nil {
		t.Fatal(err)
	}
	if err := misp.RunDue(ctx, b, http.DefaultClient, nil); err != nil {
		t.Fatal(err)
	}
	held := func() map[string]intel.Indicator {
		list, err := intel.List(ctx, b, who, intel.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]intel.Indicator{}
		for _, i := range list {
			out[i.Value] = i
		}
		return out
	}
	got := held()
	if len(got) != 2 || got["kpu-palsu.example"].STIXID != green.STIXID || got["kpu-palsu.example"].TLP != policy.Green ||
		got["kpu-palsu.example"].CreatedBy != intel.IdentityID("bssn") || got["203.0.113.80"].TLP != policy.Clear {
		t.Fatalf("B holds %+v", got)
	}
	subs, err := misp.Subscriptions(ctx, b)
	if err != nil || len(subs) != 2 {
		t.Fatal(subs, err)
	}
	if subs[0].LastError != "" || !strings.Contains(subs[0].Result, "2 events read, 0 refused; 2 values held") {
		t.Errorf("bssn subscription: %+v", subs[0])
	}
	if !strings.Contains(subs[1].LastError, "not a MISP feed manifest") {
		t.Errorf("garbage partner: %+v", subs[1])
	}
	// Nothing changed: the next pull holds nothing new (recent events are
	// fetched again for a while, since MISP timestamps are whole seconds).
	res, err := misp.RunOne(ctx, b, http.DefaultClient, subs[0])
	if err != nil || !strings.Contains(res, "0 refused") || len(held()) != 2 {
		t.Errorf("second pull: %s %v", res, err)
	}
	// A revokes; B's next pull revokes its copy.
	a.call("bssn.analyst", "POST", fmt.Sprintf("/api/v1/indicators/%d/revoke", green.ID), `{"reason":"salah"}`, 200, nil)
	forgetMISPFeeds()
	subs, _ = misp.Subscriptions(ctx, b)
	if res, err := misp.RunOne(ctx, b, http.DefaultClient, subs[0]); err != nil || !strings.Contains(res, "0 refused") {
		t.Errorf("pull after the revocation: %s %v", res, err)
	}
	if i := held()["kpu-palsu.example"]; !i.Revoked {
		t.Errorf("revocation did not reach B: %+v", i)
	}
}

func mustCommunity(slug string) misp.Community {
	c, _ := misp.CommunityOf(slug)
	return c
}

func principalOf(t *testing.T, w *apiWorld, username string) auth.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := auth.UserByName(ctx, w.db, username)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := org.Load(ctx, w.db)
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.PrincipalOf(u, tree)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

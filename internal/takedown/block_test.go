package takedown_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/takedown"
)

// TestPemutusanAksesBlocks: a request that climbs to pemutusan akses puts
// the domains of its URLs still online on the DNS blocklist by itself
// (audited, the request as source and reason), and the zone resolvers load
// says so; a domain a coordinator blocked before is left as it is; taking
// a URL down lifts its domain's block, closing the request lifts the rest,
// and the coordinator's block stays.
func TestPemutusanAksesBlocks(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		seedSitePlatform(t, db) // situs-uji.example.id
		cred, _, err := rpz.AddResolver(ctx, db, audit.System, "unbound-uji", "")
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /rpz/{key}/garda.rpz", rpz.Handler(db, rpz.Timers{}, nil))
		hs := httptest.NewServer(mux)
		defer hs.Close()
		zone := func() string {
			t.Helper()
			res, err := http.Get(hs.URL + cred.Path())
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return string(b)
		}
		blocked := func(z, domain string) bool {
			return strings.Contains(z, "\n"+domain+" CNAME .") && strings.Contains(z, "\n*."+domain+" CNAME .")
		}

		if _, err := rpz.Block(ctx, db, audit.System, rpz.Input{Domain: "c.situs-uji.example.id", Reason: "situs palsu (koordinator)"}); err != nil {
			t.Fatal(err)
		}
		urls := []string{"https://a.situs-uji.example.id/login", "https://www.b.situs-uji.example.id/x", "https://c.situs-uji.example.id/y"}
		r, err := w.lc.Create(ctx, w.who["adi"], takedown.New{Platform: "situs-uji", URLs: urls, Category: "phishing",
			LegalBasis: []string{"uu_ite_35"}, Urgency: takedown.Urgent, Summary: "Situs tiruan KPU"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.lc.Approve(ctx, w.who["rina"], r.ID); err != nil {
			t.Fatal(err)
		}
		// No outbox: recorded as sent, the letters carried by hand.
		if _, err := w.lc.Send(ctx, w.who["adi"], r.ID, takedown.ChannelEmail); err != nil {
			t.Fatal(err)
		}
		sent := w.now
		var cut takedown.Notice
		for i := 1; i <= 4; i++ {
			if z := zone(); blocked(z, "a.situs-uji.example.id") {
				t.Fatalf("blocked before pemutusan akses (stage %d):\n%s", i-1, z)
			}
			w.now = sent.Add(time.Duration(i)*4*time.Hour + time.Duration(i)*time.Minute)
			told, err := w.lc.Tick(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range told {
				if n.Stage == takedown.StageCut {
					cut = n
				}
			}
		}
		if want := []string{"a.situs-uji.example.id", "b.situs-uji.example.id"}; !slices.Equal(cut.Blocked, want) {
			t.Fatalf("pemutusan akses blocked %q, want %q", cut.Blocked, want)
		}
		z := zone()
		for _, d := range []string{"a.situs-uji.example.id", "b.situs-uji.example.id", "c.situs-uji.example.id"} {
			if !blocked(z, d) {
				t.Fatalf("the zone lacks %s:\n%s", d, z)
			}
		}
		mine, err := rpz.LiveFrom(ctx, db, rpz.SourceRequest(r.ID))
		if err != nil || len(mine) != 2 || !strings.Contains(mine[0].Reason, r.Number) || mine[0].CreatedBy != audit.System.Username {
			t.Fatalf("the request's blocks: %+v %v", mine, err)
		}
		if k := auditCount(t, db, "rpz.block"); k != 3 {
			t.Fatalf("%d rpz.block audit records, want 3 (the coordinator's and the request's two)", k)
		}
		// Idempotent: another tick blocks nothing more.
		w.now = w.now.Add(time.Hour)
		if _, err := w.lc.Tick(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if k := auditCount(t, db, "rpz.block"); k != 3 {
			t.Fatalf("a tick blocked again: %d", k)
		}

		// The platform takes a's page down: a's block is lifted, b's stays.
		if _, err := w.lc.Answer(ctx, w.who["adi"], r.ID, takedown.Answer{URL: urls[0], Outcome: takedown.Removed}); err != nil {
			t.Fatal(err)
		}
		if z := zone(); blocked(z, "a.situs-uji.example.id") || !blocked(z, "b.situs-uji.example.id") {
			t.Fatalf("after a was removed:\n%s", z)
		}
		// The request closes (no answer for the rest): b's block is lifted,
		// the coordinator's block on c stays.
		for _, u := range urls[1:] {
			if _, err := w.lc.Answer(ctx, w.who["adi"], r.ID, takedown.Answer{URL: u, Outcome: takedown.NoAnswer}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := takedown.Get(ctx, db, w.who["adi"], r.ID)
		if err != nil || got.Status != takedown.Closed {
			t.Fatalf("request %s: %v", got.Status, err)
		}
		if z := zone(); blocked(z, "b.situs-uji.example.id") || !blocked(z, "c.situs-uji.example.id") {
			t.Fatalf("after closing:\n%s", z)
		}
		if k := auditCount(t, db, "rpz.unblock"); k != 2 {
			t.Fatalf("%d rpz.unblock audit records, want 2", k)
		}
		hist, err := takedown.History(ctx, db, w.who["adi"], r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range hist {
			if e.Kind == "blocked" || e.Kind == "unblocked" {
				kinds = append(kinds, e.Kind+" "+e.Body)
			}
		}
		if want := []string{"blocked a.situs-uji.example.id b.situs-uji.example.id", "unblocked a.situs-uji.example.id", "unblocked b.situs-uji.example.id"}; !slices.Equal(kinds, want) {
			t.Fatalf("history %q, want %q", kinds, want)
		}
	})
}

package taxii_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestTwoInstances: two Garda platforms with their own data directories; B
// subscribes to A's AMBER collection with a partner account A gave it. A
// new AMBER indicator of A reaches B's allowed readers in one scheduled
// poll with its id, marking and creator; A's revocation reaches B on the
// next poll; A's RED indicator never leaves A.
// B is always SQLite in its own data directory; A is SQLite too, and once
// more on PostgreSQL when GARDA_TEST_POSTGRES is set.
func TestTwoInstances(t *testing.T) {
	storetest.Backends(t, testTwoInstances)
}

func testTwoInstances(t *testing.T, dbA *store.DB) {
	ctx := context.Background()
	a := newInstanceOn(t, dbA,
		auth.NewUser{Username: "bssn.analyst", Org: "bssn", Role: "analyst"},
		// The account A gives partner B: a reader in BSSN, named in nothing.
		auth.NewUser{Username: "partner.b", Org: "bssn", Role: "viewer"},
	)
	b := newInstance(t,
		auth.NewUser{Username: "kpu.analyst", Org: "kpu", Role: "analyst"},
		auth.NewUser{Username: "kpu.viewer", Org: "kpu", Role: "viewer"},
		auth.NewUser{Username: "polri.analyst", Org: "polri", Role: "analyst"},
	)

	bssn := a.principal("bssn.analyst")
	amber, err := intel.Create(ctx, a.db, bssn, intel.Input{Kind: intel.IPv4, Value: "203.0.113.10", Name: "C2 pemilu", Detect: true})
	if err != nil {
		t.Fatal(err)
	}
	red, err := intel.Create(ctx, a.db, bssn, intel.Input{Kind: intel.Domain, Value: "rahasia.example", TLP: policy.Red})
	if err != nil {
		t.Fatal(err)
	}

	sub, err := taxii.Subscribe(ctx, b.db, b.principal("kpu.analyst"), taxii.NewSubscription{
		Name: "BSSN (instans A)", APIRootURL: a.srv.URL + "/taxii2/nasional/", CollectionID: taxii.TLPCollectionID("nasional", policy.Amber),
		Username: "partner.b", Secret: a.tokens["partner.b"], EverySeconds: 30,
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second RED subscription: A must serve nothing of it.
	redSub, err := taxii.Subscribe(ctx, b.db, b.principal("kpu.analyst"), taxii.NewSubscription{
		Name: "BSSN RED", APIRootURL: a.srv.URL + "/taxii2/nasional", CollectionID: taxii.TLPCollectionID("nasional", policy.Red),
		Secret: a.tokens["partner.b"],
	})
	if err != nil {
		t.Fatal(err)
	}

	clock := time.Now().UTC()
	now := func() time.Time { return clock }
	puller := &taxii.Puller{DB: b.db, Orgs: b.orgs, Timeout: 10 * time.Second, Now: now}
	// B runs as two instances on one database: the schedule makes each
	// poll happen on one of them.
	sched, err := schedule.New(b.db, schedule.Options{Now: now, Holder: "b1"}, puller.Job(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	puller2 := &taxii.Puller{DB: b.db, Orgs: b.orgs, Timeout: 10 * time.Second, Now: now}
	sched2, err := schedule.New(b.db, schedule.Options{Now: now, Holder: "b2"}, puller2.Job(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	both := make(chan struct{})
	go func() { sched2.Tick(ctx); close(both) }()
	sched.Tick(ctx) // one poll
	<-both

	find := func(who string) []intel.Indicator {
		list, err := intel.List(ctx, b.db, b.principal(who), intel.Filter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	got := find("kpu.viewer")
	if len(got) != 1 {
		t.Fatalf("B's KPU reader sees %d indicators after one poll, want 1 (the AMBER one): %+v", len(got), got)
	}
	g := got[0]
	if g.STIXID != amber.STIXID || g.TLP != policy.Amber || g.CreatedBy != amber.CreatedBy || g.CreatedBy != intel.IdentityID("bssn") ||
		g.Value != "203.0.113.10" || g.Name != "C2 pemilu" || g.Revoked {
		t.Fatalf("B holds %+v; A's was %+v", g, amber)
	}
	if n := len(find("polri.analyst")); n != 0 {
		t.Fatalf("B's Polri analyst reads %d AMBER indicators of KPU's import", n)
	}
	for _, who := range []string{"kpu.analyst", "kpu.viewer", "polri.analyst"} {
		for _, i := range find(who) {
			if i.Value == red.Value || i.STIXID == red.STIXID {
				t.Fatalf("RED left A: %s on B reads %+v", who, i)
			}
		}
	}
	// A counted one read of its AMBER collection: two instances of B, one poll.
	var reads int
	if err := a.db.QueryRow(ctx, `SELECT reads FROM taxii_reads WHERE collection_id = ?`, taxii.TLPCollectionID("nasional", policy.Amber)).Scan(&reads); err != nil || reads != 1 {
		t.Fatalf("A answered %d reads of its AMBER collection (%v), want 1", reads, err)
	}
	subs, err := taxii.Subscriptions(ctx, b.db, b.principal("kpu.analyst"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if !s.Healthy() || s.LastOKAt == nil {
			t.Fatalf("subscription %q unhealthy after the poll: %q", s.Name, s.LastError)
		}
		// The AMBER collection: TLP:AMBER's marking definition, the
		// indicator and BSSN's identity.
		if s.ID == sub.ID && (s.Bookmark == "" || s.PulledObjects != 3) {
			t.Fatalf("bookmark %q, %d objects pulled", s.Bookmark, s.PulledObjects)
		}
		// The RED collection: TLP:RED's marking definition (OASIS publishes
		// it), nothing RED.
		if s.ID == redSub.ID && s.PulledObjects != 1 {
			t.Fatalf("the RED collection gave B %d objects", s.PulledObjects)
		}
	}

	// A revokes; the next poll carries it to B.
	if _, err := intel.Revoke(ctx, a.db, bssn, amber.ID, "a CDN address"); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * time.Minute)
	sched.Tick(ctx)
	got = find("kpu.viewer")
	if len(got) != 1 || !got[0].Revoked {
		t.Fatalf("after A's revocation and one poll B holds %+v", got)
	}
	// Nothing new: a third poll changes nothing, and the bookmark holds.
	clock = clock.Add(2 * time.Minute)
	sched.Tick(ctx)
	if got := find("kpu.analyst"); len(got) != 1 {
		t.Fatalf("B holds %d indicators after a quiet poll", len(got))
	}
	var count int
	if err := b.db.QueryRow(ctx, `SELECT COUNT(*) FROM indicators WHERE stix_id = ? OR value = ?`, red.STIXID, red.Value).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != 0 {
		t.Fatal("RED indicator stored on B")
	}
	if !strings.HasPrefix(amber.STIXID, "indicator--") {
		t.Fatal(amber.STIXID)
	}
}

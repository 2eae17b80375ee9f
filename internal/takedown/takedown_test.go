package takedown_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/takedown"
)

func TestPlatformOf(t *testing.T) {
	reg := takedown.NewRegistry([]takedown.Platform{
		{ID: 1, Slug: "fb", Name: "Facebook", Domains: []takedown.Domain{{Domain: "facebook.com"}, {Domain: "fb.com"}}},
		{ID: 2, Slug: "wa", Name: "WhatsApp", Domains: []takedown.Domain{{Domain: "whatsapp.com"}, {Domain: "chat.whatsapp.com"}}},
		{ID: 3, Slug: "host", Name: "Hosting", Domains: []takedown.Domain{{Domain: "sites.example.com", PathPrefix: "/kpu"}}},
		{ID: 4, Slug: "sites", Name: "Sites", Domains: []takedown.Domain{{Domain: "example.com"}}},
	})
	for _, c := range []struct {
		url, want string // want "" = no platform, "error" = refused
	}{
		{"https://www.facebook.com/story.php?id=1", "fb"},
		{"https://m.fb.com/x", "fb"},
		{"HTTPS://FACEBOOK.COM./x", "fb"},
		{"https://notfacebook.com/x", ""},
		{"https://chat.whatsapp.com/AbC", "wa"},
		{"https://sites.example.com/kpu/palsu", "host"},   // longest host suffix, then the path prefix
		{"https://sites.example.com/kpu", "host"},         // the prefix itself
		{"https://sites.example.com/kpuxyz", "sites"},     // not on a segment boundary
		{"https://sites.example.com/lain", "sites"},       // the path decides
		{"http://example.com:8080/", "sites"},             // a port does not matter
		{"ftp://facebook.com/x", "error"},                 // not http(s)
		{"facebook.com/x", "error"},                       // no scheme
		{"https://user:pw@facebook.com/", "error"},        // credentials
		{"https:///nohost", "error"},                      // no host
		{"https://exa mple.com/", "error"},                // malformed host
		{"https://" + strings.Repeat("a", 3000), "error"}, // too long
	} {
		p, ok, err := reg.PlatformOf(c.url)
		switch {
		case c.want == "error":
			if err == nil || !problem.Is(err, problem.Invalid) {
				t.Errorf("%s: want a validation error, got %v (%v)", c.url, p.Slug, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.url, err)
		case c.want == "" && ok:
			t.Errorf("%s: want no platform, got %s", c.url, p.Slug)
		case c.want != "" && p.Slug != c.want:
			t.Errorf("%s: want %s, got %q", c.url, c.want, p.Slug)
		}
	}
}

// world: Komdigi's patrol (an analyst writes, two coordinators), the
// demo platforms with a liaison at Facebook and one at TikTok, and a
// province that is not Komdigi's.
type world struct {
	db  *store.DB
	who map[string]auth.Principal
	lc  *takedown.Lifecycle
	now time.Time
}

var people = []auth.NewUser{
	{Username: "adi", Org: "komdigi", Role: "analyst"},
	{Username: "rina", Org: "komdigi", Role: "coordinator"},
	{Username: "budi", Org: "komdigi", Role: "coordinator"},
	{Username: "meta", Org: "platform-meta-facebook", Role: "liaison"},
	{Username: "tiktok", Org: "platform-tiktok", Role: "liaison"},
	{Username: "jabar", Org: "kpu-32", Role: "analyst", Scope: "32"},
	{Username: "room33", Org: "diskominfo-33", Role: "operator", Scope: "33"},
	{Username: "kpu", Org: "kpu", Role: "coordinator"},
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	if n, err := takedown.SeedPlatforms(ctx, db); err != nil || n != 8 {
		t.Fatalf("seed platforms: %d, %v", n, err)
	}
	if n, err := takedown.SeedPlatforms(ctx, db); err != nil || n != 0 {
		t.Fatalf("seed platforms again: %d, %v (want 0: repeatable)", n, err)
	}
	var users []auth.User
	for _, p := range people {
		p.Password = "pw-" + p.Username + "-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, p)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, who: map[string]auth.Principal{}, now: time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)}
	for _, u := range users {
		if w.who[u.Username], err = auth.PrincipalOf(u, tree); err != nil {
			t.Fatal(err)
		}
	}
	w.lc = &takedown.Lifecycle{DB: db, Now: func() time.Time { return w.now }}
	return w
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateRefusesBadInput(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		base := takedown.New{Category: "hoaks", LegalBasis: []string{"uu_ite_28_3"}, Urgency: "urgent", Summary: "Hoaks surat suara tercoblos"}
		for _, c := range []struct {
			name  string
			who   string
			edit  func(*takedown.New)
			field string
			code  problem.Code
		}{
			{"malformed URL", "adi", func(n *takedown.New) { n.URLs = []string{"https://www.facebook.com/a", "not a url"} }, "urls", problem.Invalid},
			{"no known platform", "adi", func(n *takedown.New) { n.URLs = []string{"https://hoaks-pemilu.example.org/a"} }, "platform", problem.Invalid},
			{"two platforms", "adi", func(n *takedown.New) {
				n.URLs = []string{"https://www.facebook.com/a", "https://www.tiktok.com/@x/video/1"}
			}, "urls", problem.Invalid},
			{"named platform, URL of another", "adi", func(n *takedown.New) { n.Platform = "tiktok"; n.URLs = []string{"https://www.facebook.com/a"} }, "urls", problem.Invalid},
			{"unknown platform named", "adi", func(n *takedown.New) { n.Platform = "myspace"; n.URLs = []string{"https://myspace.example/a"} }, "platform", problem.Invalid},
			{"no URL", "adi", func(n *takedown.New) {}, "urls", problem.Invalid},
			{"unknown category", "adi", func(n *takedown.New) { n.URLs = []string{"https://x.com/a/status/1"}; n.Category = "gosip" }, "category", problem.Invalid},
			{"unknown legal basis", "adi", func(n *takedown.New) {
				n.URLs = []string{"https://x.com/a/status/1"}
				n.LegalBasis = []string{"kuhp_1"}
			}, "legal_basis", problem.Invalid},
			{"no legal basis", "adi", func(n *takedown.New) { n.URLs = []string{"https://x.com/a/status/1"}; n.LegalBasis = nil }, "legal_basis", problem.Invalid},
			{"unknown urgency", "adi", func(n *takedown.New) { n.URLs = []string{"https://x.com/a/status/1"}; n.Urgency = "kemarin" }, "urgency", problem.Invalid},
			{"region outside scope", "jabar", func(n *takedown.New) { n.URLs = []string{"https://x.com/a/status/1"}; n.Region = "33" }, "region", problem.Invalid},
			{"a platform files nothing", "meta", func(n *takedown.New) { n.URLs = []string{"https://x.com/a/status/1"} }, "", problem.Forbidden},
		} {
			n := base
			c.edit(&n)
			_, err := takedown.Create(ctx, db, w.who[c.who], n)
			p := problem.As(err)
			if p == nil || p.Code != c.code || p.Field != c.field {
				t.Errorf("%s: want %s on %q, got %v", c.name, c.code, c.field, err)
			}
		}
		if n := count(t, db, "takedowns"); n != 0 {
			t.Fatalf("refused requests stored %d rows", n)
		}

		// Duplicates merge (case of scheme and host, fragment, default
		// port); a URL of no known platform goes in when the author names
		// the platform.
		n := base
		n.URLs = []string{"https://www.facebook.com/post/1", "HTTPS://WWW.Facebook.com:443/post/1#komentar", "https://www.facebook.com/post/2"}
		r, err := takedown.Create(ctx, db, w.who["adi"], n)
		if err != nil {
			t.Fatal(err)
		}
		if r.Platform != "meta-facebook" || len(r.URLs) != 2 || r.Status != takedown.Draft || r.TLP != "AMBER" || !strings.HasPrefix(r.Number, "PK-") {
			t.Fatalf("created %+v", r)
		}
		n.Platform, n.URLs = "hosting-nusantara", []string{"https://kpu-palsu.example.org/login"}
		if r, err = takedown.Create(ctx, db, w.who["adi"], n); err != nil || r.Platform != "hosting-nusantara" {
			t.Fatalf("named platform: %+v %v", r, err)
		}
	})
}

func TestLifecycleAndVisibility(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		wantCode := func(step string, err error, code problem.Code) {
			t.Helper()
			if p := problem.As(err); p == nil || p.Code != code {
				t.Fatalf("%s: want %s, got %v", step, code, err)
			}
		}
		r, err := takedown.Create(ctx, db, w.who["adi"], takedown.New{
			URLs:     []string{"https://www.facebook.com/hoaks/posts/1", "https://www.facebook.com/hoaks/posts/2", "https://fb.watch/abc"},
			Category: "hoaks", LegalBasis: []string{"uu_ite_28_3", "permenkominfo_5_2020"}, Urgency: takedown.Urgent,
			Summary: "Video hoaks surat suara tercoblos", Notes: "Sumber: laporan patroli sif malam; jangan dibagikan ke platform", Orgs: []string{"kpu"}})
		if err != nil {
			t.Fatal(err)
		}
		id := r.ID
		// A draft is the agencies' own: no platform sees it.
		_, err = takedown.Get(ctx, db, w.who["meta"], id)
		wantCode("liaison reads a draft", err, problem.NotFound)

		// Four eyes: the author cannot approve, nor can an analyst, a
		// coordinator of another organisation or the platform.
		_, err = w.lc.Approve(ctx, w.who["adi"], id)
		wantCode("analyst author approves", err, problem.Forbidden)
		_, err = w.lc.Approve(ctx, w.who["kpu"], id)
		wantCode("KPU's coordinator approves Komdigi's", err, problem.Forbidden)
		_, err = w.lc.Send(ctx, w.who["adi"], id, takedown.ChannelEmail)
		wantCode("send a draft", err, problem.Conflict)
		if r, err = w.lc.Approve(ctx, w.who["rina"], id); err != nil || r.Status != takedown.Approved || r.ApprovedBy != "rina" {
			t.Fatalf("approve: %+v %v", r, err)
		}
		// A coordinator who wrote a request cannot approve their own.
		own, err := takedown.Create(ctx, db, w.who["budi"], takedown.New{URLs: []string{"https://x.com/a/status/9"}, Category: "sara",
			LegalBasis: []string{"uu_ite_28_2"}, Summary: "Ujaran SARA"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.lc.Approve(ctx, w.who["budi"], own.ID)
		wantCode("coordinator approves own", err, problem.Forbidden)

		red, err := takedown.Create(ctx, db, w.who["budi"], takedown.New{URLs: []string{"https://x.com/a/status/10"}, Category: "lainnya",
			LegalBasis: []string{"uu_ite_40_2b"}, Summary: "Sumber intelijen", TLP: "RED"})
		if err != nil {
			t.Fatal(err)
		}
		// RED is read by its named users only: another coordinator cannot
		// even find it to approve it (and Send refuses RED outright).
		_, err = w.lc.Approve(ctx, w.who["rina"], red.ID)
		wantCode("approve a RED request one is not named on", err, problem.NotFound)

		_, err = w.lc.Send(ctx, w.who["adi"], id, takedown.ChannelAPI)
		wantCode("send by a channel the platform lacks", err, problem.Invalid)
		if r, err = w.lc.Send(ctx, w.who["adi"], id, takedown.ChannelEmail); err != nil || r.Status != takedown.Sent {
			t.Fatalf("send: %+v %v", r, err)
		}
		if r.DueAt == nil || !r.DueAt.Equal(w.now.Add(4*time.Hour)) || r.Clock == nil || len(r.URLs) != 3 || r.URLs[0].Clock == nil {
			t.Fatalf("urgent request's deadline: due %v, clock %+v", r.DueAt, r.Clock)
		}

		// The platform's liaison sees it, without the notes; another
		// platform's and another province's people do not, in lists,
		// reads or answers.
		got, err := takedown.Get(ctx, db, w.who["meta"], id)
		if err != nil || got.Notes != "" || len(got.URLs) != 3 {
			t.Fatalf("liaison reads: notes %q, %v", got.Notes, err)
		}
		if got, _ := takedown.Get(ctx, db, w.who["rina"], id); got.Notes == "" {
			t.Fatal("the agency lost its notes")
		}
		list, err := takedown.List(ctx, db, w.who["meta"], takedown.Filter{})
		if err != nil || len(list) != 1 || list[0].ID != id || list[0].Notes != "" {
			t.Fatalf("liaison's list: %+v %v", list, err)
		}
		for _, who := range []string{"tiktok", "room33", "jabar"} {
			_, err := takedown.Get(ctx, db, w.who[who], id)
			wantCode(who+" reads", err, problem.NotFound)
			_, err = w.lc.Answer(ctx, w.who[who], id, takedown.Answer{URL: "https://www.facebook.com/hoaks/posts/1", Outcome: takedown.Removed})
			wantCode(who+" answers", err, problem.NotFound)
			if list, err := takedown.List(ctx, db, w.who[who], takedown.Filter{}); err != nil || len(list) != 0 {
				t.Fatalf("%s's list: %d %v", who, len(list), err)
			}
		}
		// KPU takes part (election content): it reads the request.
		if _, err := takedown.Get(ctx, db, w.who["kpu"], id); err != nil {
			t.Fatalf("participant KPU: %v", err)
		}

		// Answers per URL: one not in the request is refused; a refusal
		// needs its reason; an answer acknowledges.
		_, err = w.lc.Answer(ctx, w.who["meta"], id, takedown.Answer{URL: "https://www.facebook.com/lain", Outcome: takedown.Removed})
		wantCode("answer a URL not in the request", err, problem.Invalid)
		_, err = w.lc.Answer(ctx, w.who["meta"], id, takedown.Answer{URL: "https://www.facebook.com/hoaks/posts/2", Outcome: takedown.Refused})
		wantCode("refuse without a reason", err, problem.Invalid)
		_, err = w.lc.Answer(ctx, w.who["meta"], id, takedown.Answer{URL: "https://fb.watch/abc", Outcome: takedown.NoAnswer})
		wantCode("the platform records no answer", err, problem.Invalid)
		w.now = w.now.Add(time.Hour)
		if r, err = w.lc.Answer(ctx, w.who["meta"], id, takedown.Answer{URL: "https://www.facebook.com/hoaks/posts/1", Outcome: takedown.Removed}); err != nil || r.Status != takedown.Acknowledged {
			t.Fatalf("answer: %+v %v", r, err)
		}
		_, err = w.lc.Answer(ctx, w.who["meta"], id, takedown.Answer{URL: "https://www.facebook.com/hoaks/posts/1", Outcome: takedown.Refused, Reason: "x"})
		wantCode("answer twice", err, problem.Conflict)
		if _, err = w.lc.Answer(ctx, w.who["meta"], id, takedown.Answer{URL: "https://www.facebook.com/hoaks/posts/2", Outcome: takedown.Objected,
			Reason: "Konten satire yang diberi label"}); err != nil {
			t.Fatal(err)
		}
		// The objection: the platform cannot decide it, the agency does.
		_, err = w.lc.Decide(ctx, w.who["meta"], id, takedown.Decision{URL: "https://www.facebook.com/hoaks/posts/2", Decision: takedown.Withdrawn, Note: "x"})
		wantCode("platform decides", err, problem.Forbidden)
		if r, err = w.lc.Decide(ctx, w.who["rina"], id, takedown.Decision{URL: "https://www.facebook.com/hoaks/posts/2", Decision: takedown.Maintained,
			Note: "Label tidak cukup: video disebar sebagai fakta"}); err != nil || r.URLs[1].Outcome != takedown.Pending {
			t.Fatalf("maintained: %+v %v", r.URLs, err)
		}
		if _, err = w.lc.Answer(ctx, w.who["meta"], id, takedown.Answer{URL: "https://www.facebook.com/hoaks/posts/2", Outcome: takedown.Restricted}); err != nil {
			t.Fatal(err)
		}
		// No answer for the last one: before the deadline it is too early.
		_, err = w.lc.Answer(ctx, w.who["adi"], id, takedown.Answer{URL: "https://fb.watch/abc", Outcome: takedown.NoAnswer})
		wantCode("no answer before the deadline", err, problem.Invalid)
		w.now = w.now.Add(4 * time.Hour)
		if list, err := takedown.List(ctx, db, w.who["rina"], takedown.Filter{Overdue: true, Now: w.now}); err != nil || len(list) != 1 {
			t.Fatalf("overdue list: %d %v", len(list), err)
		}
		if r, err = w.lc.Answer(ctx, w.who["adi"], id, takedown.Answer{URL: "https://fb.watch/abc", Outcome: takedown.NoAnswer}); err != nil || r.Status != takedown.Closed {
			t.Fatalf("close: %+v %v", r, err)
		}
		// The platform's figures, over what each reader may see.
		st, err := takedown.PlatformStats(ctx, db, w.who["rina"], r.PlatformID, w.now)
		if err != nil || st.Requests[takedown.Closed] != 1 || st.URLs[takedown.Removed] != 1 || st.URLs[takedown.Restricted] != 1 ||
			st.URLs[takedown.NoAnswer] != 1 || st.TakenDown != 2 || st.WithinDeadline != 2 || st.ShareWithinDeadline < 0.66 || st.ShareWithinDeadline > 0.67 {
			t.Fatalf("platform stats %+v %v", st, err)
		}
		if st, err := takedown.PlatformStats(ctx, db, w.who["tiktok"], r.PlatformID, w.now); err != nil || len(st.Requests) != 0 || len(st.URLs) != 0 {
			t.Fatalf("another platform counts this one's requests: %+v %v", st, err)
		}
		h, err := takedown.History(ctx, db, w.who["rina"], id)
		if err != nil || len(h) < 8 {
			t.Fatalf("history: %d %v", len(h), err)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
		var audited int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE kind = 'takedown' AND record_id = ?`, fmt.Sprint(id)).Scan(&audited); err != nil || audited < 8 {
			t.Fatalf("audited %d %v", audited, err)
		}
	})
}

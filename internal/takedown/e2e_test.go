package takedown_test

import (
	"context"
	"io"
	"log/slog"
	"mime"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/takedown"
)

// TestEndToEnd is the bar: a patrol item -> a request -> approval
// by a second person -> the letter e-mailed to a real SMTP server
// (aiosmtpd), message and PDF read back -> the platform's liaison answers
// per URL in Garda -> Garda's own check confirms the removal on a loopback
// site that removes the page (and flags the URL it did not remove) -> the
// platform's compliance figures change. Then an unanswered request climbs
// the warning stages with a fake clock, each warning e-mailed.
func TestEndToEnd(t *testing.T) {
	addr, box := startSMTP(t)
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		for _, f := range mustGlob(box) {
			if strings.HasSuffix(f, ".eml") {
				_ = os.Remove(f)
			}
		}
		s := newSite(t)
		// The hosting provider of the site, with its liaison in Garda.
		if _, err := org.Create(ctx, db, audit.System, "", org.New{Slug: "platform-situs-uji", Name: "PT Situs Uji", Kind: org.KindOther}); err != nil {
			t.Fatal(err)
		}
		if _, err := takedown.SeedPlatform(ctx, db, takedown.NewPlatform{Slug: "situs-uji", Name: "Situs Uji Hosting", Kind: "hosting",
			Org: "platform-situs-uji", Email: "abuse@situs-uji.example.id", Domains: []takedown.Domain{{Domain: "situs-uji.example.id"}},
			RemovalText: removalText}); err != nil {
			t.Fatal(err)
		}
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "abuse", Org: "platform-situs-uji", Role: "liaison", Password: "pw-abuse-long-enough"})
		if err != nil {
			t.Fatal(err)
		}
		tree, err := org.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		liaison, err := auth.PrincipalOf(u, tree)
		if err != nil {
			t.Fatal(err)
		}

		// 1. The patrol finds a post on the site and keeps a capture.
		post, err := (&patrol.Pipeline{}).Process(ctx, patrol.Post{URL: s.URL + "/hoaks/1", Platform: "web",
			Title: "Situs tiruan KPU", Text: "Cek DPT Anda di sini dan masukkan NIK", Raw: []byte("<html>tiruan KPU</html>")})
		if err != nil {
			t.Fatal(err)
		}
		saved, err := patrol.Saver{DB: db, Evidence: evidence.Store{Dir: t.TempDir()}}.Save(ctx, audit.System, patrol.Owner{OrgID: w.who["adi"].Viewer.OrgID}, post)
		if err != nil {
			t.Fatal(err)
		}
		item, err := patrol.Get(ctx, db, w.who["adi"], saved.ID)
		if err != nil || item.EvidenceSHA256 == "" {
			t.Fatalf("patrol item: %+v %v", item, err)
		}

		// 2. A request from it (and one more URL of the same site).
		lc := *w.lc
		lc.Outbox = &takedown.Outbox{From: "patroli@komdigi.example.id", Mail: notify.SMTP{Addr: addr, From: "patroli@komdigi.example.id"}.Send, Sign: notify.Sign}
		r, err := lc.Create(ctx, w.who["adi"], takedown.New{FromPatrol: item.ID, Platform: "situs-uji", URLs: []string{s.URL + "/hoaks/2"},
			Category: "phishing", LegalBasis: []string{"uu_ite_35", "permenkominfo_5_2020"}, Urgency: takedown.Urgent, Summary: "Situs tiruan KPU meminta NIK"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.URLs) != 2 || r.URLs[0].URL != item.URL || !slices.ContainsFunc(r.Evidence, func(e takedown.Evidence) bool { return e.SHA256 == item.EvidenceSHA256 && e.Ref == item.HumanID }) {
			t.Fatalf("request from the item: %+v, evidence %+v", r.URLs, r.Evidence)
		}

		// 3. Four eyes.
		if _, err := lc.Approve(ctx, w.who["adi"], r.ID); problem.As(err) == nil || problem.As(err).Code != problem.Forbidden {
			t.Fatalf("the author approved: %v", err)
		}
		if _, err := lc.Approve(ctx, w.who["rina"], r.ID); err != nil {
			t.Fatal(err)
		}

		// 4. Sent by e-mail; the message and its PDF read back.
		if _, err := lc.Send(ctx, w.who["adi"], r.ID, takedown.ChannelEmail); err != nil {
			t.Fatal(err)
		}
		sent := w.now
		msgs := mailbox(t, box)
		if len(msgs) != 1 || msgs[0].Header.Get("To") != "abuse@situs-uji.example.id" {
			t.Fatalf("%d messages", len(msgs))
		}
		_, files := parts(t, msgs[0])
		pdf := pdfText(t, files[strings.ReplaceAll(r.Number, "/", "_")+".pdf"])
		if !contains(pdf, r.Number, s.URL+"/hoaks/1", s.URL+"/hoaks/2", item.HumanID, item.EvidenceSHA256[:16]) {
			t.Fatalf("the letter's PDF:\n%s", pdf)
		}

		before, err := takedown.PlatformCompliance(ctx, db, w.who["rina"], platformID(t, db, "situs-uji"), sent.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if before.Overall.URLs != 2 || before.Overall.TakenDown != 0 || before.Overall.Requests != 1 {
			t.Fatalf("compliance before: %+v", before.Overall)
		}

		// 5. The liaison sees only its platform's request and answers per URL.
		if list, err := takedown.List(ctx, db, liaison, takedown.Filter{}); err != nil || len(list) != 1 || list[0].ID != r.ID || list[0].Notes != "" {
			t.Fatalf("the liaison's list: %+v %v", list, err)
		}
		if _, err := takedown.Get(ctx, db, w.who["meta"], r.ID); problem.As(err) == nil || problem.As(err).Code != problem.NotFound {
			t.Fatalf("another platform's liaison reads the request: %v", err)
		}
		if _, err := takedown.LetterOf(ctx, db, w.who["room33"], r.ID, takedown.LetterRequest); problem.As(err) == nil {
			t.Fatal("another province reads the letter")
		}
		w.now = sent.Add(90 * time.Minute)
		s.remove("/hoaks/1", "404")
		for _, path := range []string{"/hoaks/1", "/hoaks/2"} { // it says both are gone; it removed one
			if _, err := lc.Answer(ctx, liaison, r.ID, takedown.Answer{URL: s.URL + path, Outcome: takedown.Removed}); err != nil {
				t.Fatal(err)
			}
		}

		// 6. Garda's own check.
		w.now = sent.Add(2 * time.Hour)
		checker := &takedown.Checker{DB: db, Fetch: testFetcher(), Now: func() time.Time { return w.now }}
		if _, err := checker.Round(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := takedown.Get(ctx, db, w.who["adi"], r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.URLs[0].GoneAt == nil || got.URLs[0].StillOnline || got.URLs[1].GoneAt != nil || !got.URLs[1].StillOnline {
			t.Fatalf("after the check: %+v", got.URLs)
		}

		// 7. The compliance figures moved.
		after, err := takedown.PlatformCompliance(ctx, db, w.who["rina"], platformID(t, db, "situs-uji"), w.now)
		if err != nil {
			t.Fatal(err)
		}
		o := after.Overall
		if o.TakenDown != 1 || o.WithinDeadline != 1 || o.StillOnline != 1 || o.Measured != 1 || o.MedianHours != 2 || len(after.ByCategory) != 1 || after.ByCategory[0].Key != "phishing" {
			t.Fatalf("compliance after: %+v by category %+v", o, after.ByCategory)
		}

		// 8. An unanswered request climbs the warning stages, each e-mailed.
		r2, err := lc.Create(ctx, w.who["adi"], takedown.New{Platform: "situs-uji", URLs: []string{s.URL + "/hoaks/3"}, Category: "hoaks",
			LegalBasis: []string{"uu_ite_28_3"}, Urgency: takedown.Normal, Summary: "Hoaks"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lc.Approve(ctx, w.who["budi"], r2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := lc.Send(ctx, w.who["adi"], r2.ID, takedown.ChannelEmail); err != nil {
			t.Fatal(err)
		}
		n := notify.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), notify.SMTP{})
		start := w.now
		for i, want := range []string{takedown.LetterWarn1, takedown.LetterWarn2, takedown.LetterWarn3, takedown.LetterCut} {
			w.now = start.Add(time.Duration(i+1)*24*time.Hour + time.Duration(i+1)*time.Minute)
			told, err := lc.Tick(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(told, func(x takedown.Notice) bool { return x.RequestID == r2.ID && takedown.StageLetter[x.Stage] == want }) {
				t.Fatalf("tick %d: %+v, want %s", i, told, want)
			}
		}
		msgs = mailbox(t, box)
		var subjects []string
		for _, m := range msgs[2:] {
			s, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			subjects = append(subjects, s)
		}
		for i, suffix := range []string{"/T1", "/T2", "/T3", "/PA"} {
			if i >= len(subjects) || !strings.Contains(subjects[i], r2.Number+suffix) {
				t.Fatalf("warning e-mails: %q", subjects)
			}
		}
		final, err := takedown.PlatformCompliance(ctx, db, w.who["rina"], platformID(t, db, "situs-uji"), w.now)
		if err != nil {
			t.Fatal(err)
		}
		if final.Overall.Requests != 2 || final.Overall.Judged != 3 || final.Overall.Share >= after.Overall.Share {
			t.Fatalf("compliance with an overdue request: %+v (before %+v)", final.Overall, after.Overall)
		}
	})
}

func platformID(t *testing.T, db *store.DB, slug string) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRow(context.Background(), `SELECT id FROM takedown_platforms WHERE slug = ?`, slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

package takedown_test

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/takedown"
)

func auditCount(t *testing.T, db *store.DB, action string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func events(list []takedown.Notice) []string {
	var out []string
	for _, n := range list {
		e := n.Event
		if n.Stage > 0 {
			e += ":" + takedown.StageLetter[n.Stage]
		}
		out = append(out, n.Number+" "+e)
	}
	return out
}

// TestDeadlineClocksAndStages moves a fake clock over an urgent request
// the platform leaves unanswered: near, missed, then teguran 1, 2, 3 and
// pemutusan akses a deadline apart, each once, each a letter, audited and
// told in the agency's inboxes (not the platform's); an answered request
// climbs no further.
func TestDeadlineClocksAndStages(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		n := notify.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), notify.SMTP{})
		r := w.approved(t, "https://www.facebook.com/hoaks/1", "https://www.facebook.com/hoaks/2")
		other := w.approved(t, "https://www.facebook.com/lain/1")
		for _, id := range []int64{r.ID, other.ID} {
			if _, err := w.lc.Send(ctx, w.who["adi"], id, takedown.ChannelWebForm); err != nil {
				t.Fatal(err)
			}
		}
		sent := w.now
		tick := func(at time.Duration, want ...string) {
			t.Helper()
			w.now = sent.Add(at)
			got, err := w.lc.Tick(ctx, n)
			if err != nil {
				t.Fatalf("tick at +%s: %v", at, err)
			}
			if !slices.Equal(events(got), want) {
				t.Fatalf("tick at +%s: got %q, want %q", at, events(got), want)
			}
		}
		tick(time.Hour) // nothing near yet
		tick(3*time.Hour+10*time.Minute, r.Number+" "+takedown.EventDeadlineNear, other.Number+" "+takedown.EventDeadlineNear)
		tick(3*time.Hour + 20*time.Minute) // told once
		// The platform takes the other request's URL down in time.
		if _, err := w.lc.Answer(ctx, w.who["meta"], other.ID, takedown.Answer{URL: "https://www.facebook.com/lain/1", Outcome: takedown.Removed}); err != nil {
			t.Fatal(err)
		}
		// One URL of r is answered; the other is still pending.
		if _, err := w.lc.Answer(ctx, w.who["meta"], r.ID, takedown.Answer{URL: "https://www.facebook.com/hoaks/1", Outcome: takedown.Removed}); err != nil {
			t.Fatal(err)
		}
		tick(4*time.Hour+time.Minute, r.Number+" "+takedown.EventDeadlineMissed, r.Number+" "+takedown.EventStage+":"+takedown.LetterWarn1)
		tick(4*time.Hour + 2*time.Minute)
		tick(8 * time.Hour) // a deadline after teguran 1 is 8h01
		tick(8*time.Hour+time.Minute, r.Number+" "+takedown.EventStage+":"+takedown.LetterWarn2)
		tick(12*time.Hour+time.Minute, r.Number+" "+takedown.EventStage+":"+takedown.LetterWarn3)
		tick(16*time.Hour+time.Minute, r.Number+" "+takedown.EventStage+":"+takedown.LetterCut)
		tick(40 * time.Hour) // the last stage

		got, err := takedown.Get(ctx, db, w.who["adi"], r.ID)
		if err != nil || got.Stage != takedown.StageCut {
			t.Fatalf("stage %d, %v", got.Stage, err)
		}
		letters, err := takedown.Letters(ctx, db, w.who["meta"], r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, l := range letters {
			kinds = append(kinds, l.Number)
		}
		if want := []string{r.Number, r.Number + "/T1", r.Number + "/T2", r.Number + "/T3", r.Number + "/PA"}; !slices.Equal(kinds, want) {
			t.Fatalf("letters %q, want %q", kinds, want)
		}
		if k := auditCount(t, db, "takedown.stage"); k != 4 {
			t.Fatalf("%d stage audit records, want 4", k)
		}
		// A warning letter names only the URL still to act on.
		warn, err := takedown.LetterOf(ctx, db, w.who["adi"], r.ID, takedown.LetterWarn2)
		if err != nil {
			t.Fatal(err)
		}
		if u := warn.URLsToAct(); len(u) != 1 || u[0].URL != "https://www.facebook.com/hoaks/2" {
			t.Fatalf("teguran 2 names %+v", u)
		}
		text := pdfText(t, warn.PDF())
		if !contains(text, r.Number+"/T2", "Teguran Kedua", "https://www.facebook.com/hoaks/2") || contains(text, "https://www.facebook.com/hoaks/1") {
			t.Fatalf("teguran 2 PDF:\n%s", text)
		}
		// The agency's people are told; the platform's liaison is not.
		inbox, err := notify.Inbox(ctx, db, w.who["rina"], 0, false, 50)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, it := range inbox {
			if it.TakedownID == r.ID {
				seen = append(seen, it.Event)
			}
		}
		if len(seen) != 6 { // near, missed, four stages
			t.Fatalf("rina's inbox about %s: %q", r.Number, seen)
		}
		if inbox, _ := notify.Inbox(ctx, db, w.who["meta"], 0, false, 50); len(inbox) != 0 {
			t.Fatalf("the liaison was told: %+v", inbox)
		}
		// Another province's operator never sees the entries.
		if inbox, _ := notify.Inbox(ctx, db, w.who["room33"], 0, false, 50); len(inbox) != 0 {
			t.Fatalf("another province was told: %+v", inbox)
		}
	})
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestSummarise: the daily report's takedown section counts the day's
// requests and takedowns under the reader's visibility.
func TestSummarise(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		day := w.now.Truncate(24 * time.Hour)
		a := w.approved(t, "https://www.facebook.com/hoaks/1", "https://www.facebook.com/hoaks/2")
		w.approved(t, "https://www.facebook.com/hoaks/3") // approved, never sent
		if _, err := w.lc.Send(ctx, w.who["adi"], a.ID, takedown.ChannelEmail); err != nil {
			t.Fatal(err)
		}
		if _, err := w.lc.Answer(ctx, w.who["meta"], a.ID, takedown.Answer{URL: "https://www.facebook.com/hoaks/1", Outcome: takedown.Removed}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			who                                   string
			filed, sent, open, overdue, takenDown int
		}{
			{"rina", 2, 1, 1, 1, 1},   // the agency: both filed, one sent, overdue at +5h
			{"meta", 1, 1, 1, 1, 1},   // the platform: only what was sent to it
			{"tiktok", 0, 0, 0, 0, 0}, // another platform
			{"room33", 0, 0, 0, 0, 0}, // another province
		} {
			s, err := takedown.Summarise(ctx, db, w.who[c.who], "", day, day.Add(24*time.Hour), w.now.Add(5*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if s.Filed != c.filed || s.Sent != c.sent || s.Open != c.open || s.Overdue != c.overdue || s.TakenDown != c.takenDown {
				t.Errorf("%s: %+v", c.who, s)
			}
		}
	})
}

// TestConfiguredDeadlines: a deadline set for the instance is the one a
// request is sent with, its letter states, and its clocks and stages run on.
func TestConfiguredDeadlines(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		w.lc.Deadlines = takedown.Deadlines{takedown.Urgent: 2 * time.Hour}
		r := w.approved(t, "https://www.facebook.com/hoaks/1")
		sent, err := w.lc.Send(ctx, w.who["adi"], r.ID, takedown.ChannelEmail)
		if err != nil {
			t.Fatal(err)
		}
		if sent.DueAt.Sub(*sent.SentAt) != 2*time.Hour || sent.Clock == nil || !sent.Clock.Due.Equal(*sent.DueAt) {
			t.Fatalf("due %v after sending, clock %+v", sent.DueAt.Sub(*sent.SentAt), sent.Clock)
		}
		l, err := takedown.LetterOf(ctx, db, w.who["adi"], r.ID, takedown.LetterRequest)
		if err != nil || !strings.Contains(l.Text(), "mendesak (2 jam)") {
			t.Fatalf("letter: %v\n%s", err, l.Text())
		}
		start := w.now
		w.now = start.Add(2*time.Hour + time.Minute)
		told, err := w.lc.Tick(ctx, nil)
		if err != nil || len(told) != 2 || told[1].Stage != 1 {
			t.Fatalf("at the configured deadline: %+v %v", told, err)
		}
	})
}

// TestSummariseByCategory: the daily report's takedown section breaks the
// day down by category (sent in the day, open now), under visibility.
func TestSummariseByCategory(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		day := w.now.Truncate(24 * time.Hour)
		a := w.approved(t, "https://www.facebook.com/hoaks/1")
		w.approved(t, "https://www.facebook.com/hoaks/2") // approved, never sent
		p, err := w.lc.Create(ctx, w.who["adi"], takedown.New{URLs: []string{"https://www.tiktok.com/@palsu/video/1"}, Category: "phishing",
			LegalBasis: []string{"uu_ite_35"}, Urgency: takedown.Urgent, Summary: "Akun tiruan KPU"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.lc.Approve(ctx, w.who["rina"], p.ID); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{a.ID, p.ID} {
			if _, err := w.lc.Send(ctx, w.who["adi"], id, takedown.ChannelEmail); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.lc.Answer(ctx, w.who["tiktok"], p.ID, takedown.Answer{URL: "https://www.tiktok.com/@palsu/video/1", Outcome: takedown.Removed}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			who  string
			want map[string]takedown.PlatformDay
		}{
			{"rina", map[string]takedown.PlatformDay{"hoaks": {Name: "Hoaks", Sent: 1, Open: 1}, "phishing": {Name: "Phishing / peniruan situs KPU", Sent: 1, Open: 0}}},
			{"meta", map[string]takedown.PlatformDay{"hoaks": {Name: "Hoaks", Sent: 1, Open: 1}}},
			{"tiktok", map[string]takedown.PlatformDay{"phishing": {Name: "Phishing / peniruan situs KPU", Sent: 1, Open: 0}}},
			{"room33", map[string]takedown.PlatformDay{}},
		} {
			s, err := takedown.Summarise(ctx, db, w.who[c.who], "", day, day.Add(24*time.Hour), w.now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Categories, c.want) {
				t.Errorf("%s: by category %+v, want %+v", c.who, s.Categories, c.want)
			}
		}
	})
}

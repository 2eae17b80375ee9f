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
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/takedown"
)

// TestNoticesByEmail: the deadline's and the warning stages' notices are
// e-mailed, through the SMTP sender the letters use, to the agency's people
// they go to (a real SMTP server nobody here wrote: aiosmtpd), and stay in
// their inboxes; the platform's liaison gets no mail; an AMBER request's
// mail names its number and page, never its summary.
func TestNoticesByEmail(t *testing.T) {
	addr, box := startSMTP(t)
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		for _, f := range mustGlob(box) {
			_ = os.Remove(f)
		}
		w := newWorld(t, db)
		ctx := context.Background()
		for _, u := range []auth.NewUser{
			{Username: "sari", Org: "komdigi", Role: "coordinator", Email: "sari@komdigi.example.id"},
			{Username: "fbmail", Org: "platform-meta-facebook", Role: "liaison", Email: "fb@facebook.example.com"},
		} {
			u.Password = "pw-" + u.Username + "-long-enough"
			if _, err := auth.CreateUser(ctx, db, audit.System, u); err != nil {
				t.Fatal(err)
			}
		}
		n := notify.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), notify.SMTP{Addr: addr, From: "garda@komdigi.example.id"})
		r := w.approved(t, "https://www.facebook.com/hoaks/9")
		if _, err := w.lc.Send(ctx, w.who["adi"], r.ID, takedown.ChannelWebForm); err != nil {
			t.Fatal(err)
		}
		sent := w.now
		for _, at := range []time.Duration{3*time.Hour + 10*time.Minute, 4*time.Hour + time.Minute} {
			w.now = sent.Add(at)
			if _, err := w.lc.Tick(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"[Garda] Tenggat " + r.Number + " segera berakhir", "[Garda] Tenggat " + r.Number + " terlewati",
			"[Garda] " + r.Number + " naik ke tahap teguran 1"}
		var subjects []string
		deadline := time.Now().Add(20 * time.Second)
		for {
			subjects = subjects[:0]
			for _, m := range mailbox(t, box) {
				if m.Header.Get("To") != "sari@komdigi.example.id" {
					t.Fatalf("mail to %s", m.Header.Get("To"))
				}
				s, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
				body, _ := io.ReadAll(m.Body)
				if strings.Contains(string(body), "Video hoaks") || !strings.Contains(string(body), "/penurunan-konten/") {
					t.Fatalf("an AMBER notice's body:\n%s", body)
				}
				subjects = append(subjects, s)
			}
			slices.Sort(subjects)
			if len(subjects) >= len(want) || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		slices.Sort(want)
		if !slices.Equal(subjects, want) {
			t.Fatalf("mailed %q, want %q", subjects, want)
		}
		// The inbox entries stay.
		sari, err := auth.UserByName(ctx, db, "sari")
		if err != nil {
			t.Fatal(err)
		}
		var entries int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND takedown_id = ?`, sari.ID, r.ID).Scan(&entries); err != nil || entries != 3 {
			t.Fatalf("sari's inbox entries: %d %v", entries, err)
		}
	})
}

package incident_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestPersonalDataBreach marks a breach, watches its 3x24 h clock, records
// the notification and writes the letter.
func TestPersonalDataBreach(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		i := w.create(t, "jabar.analyst", incident.Input{Title: str("Data pemilih cekdptonline dijual di forum"), Severity: str("critical"),
			Category: str("information-content-security"), Description: str("Contoh 1.000 baris dengan NIK beredar di forum")})
		for _, bad := range []incident.PDPInput{{DataSubjects: 0, DataCategories: []string{"nik"}}, {DataSubjects: 5}, {DataSubjects: 5, DataCategories: []string{"golongan_darah"}}} {
			if _, err := incident.MarkBreach(ctx, db, w.who["jabar.analyst"], i.HumanID, bad); !problem.Is(err, problem.Invalid) {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		if _, err := incident.MarkBreach(ctx, db, w.who["jateng.analyst"], i.HumanID, incident.PDPInput{DataSubjects: 5, DataCategories: []string{"nik"}}); !problem.Is(err, problem.NotFound) {
			t.Errorf("another province marks it: %v", err)
		}
		if _, err := incident.MarkBreach(ctx, db, w.who["jabar.viewer"], i.HumanID, incident.PDPInput{DataSubjects: 5, DataCategories: []string{"nik"}}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a viewer marks it: %v", err)
		}
		p, err := incident.MarkBreach(ctx, db, w.who["jabar.analyst"], i.HumanID, incident.PDPInput{DataSubjects: 204000000, DataCategories: []string{"nama", "nik", "alamat"}})
		if err != nil || p.DataSubjects != 204000000 {
			t.Fatalf("mark: %+v %v", p, err)
		}
		state := func(at time.Time) string {
			clocks, err := incident.ClocksOf(ctx, db, w.who["jabar.analyst"], i.HumanID, at)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range clocks {
				if c.Name == "pdp_notification" {
					return c.State
				}
			}
			return "none"
		}
		if s := state(i.DetectedAt.Add(time.Hour)); s != incident.ClockRunning {
			t.Errorf("an hour in: %s", s)
		}
		if s := state(i.DetectedAt.Add(60 * time.Hour)); s != incident.ClockAmber {
			t.Errorf("60 hours in: %s", s)
		}
		if s := state(i.DetectedAt.Add(73 * time.Hour)); s != incident.ClockMissed {
			t.Errorf("73 hours in: %s", s)
		}
		letter, err := incident.Letter(ctx, db, w.who["jabar.analyst"], i.HumanID)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Pasal 46 Undang-Undang Nomor 27 Tahun 2022", "204.000.000 orang", "Nomor Induk Kependudukan (NIK)", i.HumanID, "3x24 jam"} {
			if !strings.Contains(letter, want) {
				t.Errorf("the letter lacks %q:\n%s", want, letter)
			}
		}
		if _, err := incident.RecordNotification(ctx, db, w.who["jabar.analyst"], i.HumanID); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an analyst records the notification: %v", err)
		}
		if _, err := incident.RecordNotification(ctx, db, w.who["jabar.coord"], i.HumanID); err != nil {
			t.Fatal(err)
		}
		if s := state(store.Now()); s != incident.ClockMet {
			t.Errorf("after notification: %s", s)
		}
		if _, err := incident.RecordNotification(ctx, db, w.who["jabar.coord"], i.HumanID); !problem.Is(err, problem.Conflict) {
			t.Errorf("notified twice: %v", err)
		}
		other := w.create(t, "jabar.analyst", incident.Input{Title: str("Bukan kebocoran")})
		if _, err := incident.Letter(ctx, db, w.who["jabar.analyst"], other.HumanID); !problem.Is(err, problem.Conflict) {
			t.Errorf("a letter for no breach: %v", err)
		}
	})
}

// TestLetterEscapesPeoplesText: a title or description with a link, an
// image or HTML is written into the letter as text, never as markup.
func TestLetterEscapesPeoplesText(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		i := w.create(t, "jabar.analyst", incident.Input{Title: str("Data bocor [click](javascript:alert(1))"), Severity: str("high"),
			Description: str("<script>alert(1)</script> ![x](http://evil.example/p.png)\n# Bukan judul")})
		if _, err := incident.MarkBreach(ctx, db, w.who["jabar.analyst"], i.HumanID, incident.PDPInput{DataSubjects: 10, DataCategories: []string{"nik"}}); err != nil {
			t.Fatal(err)
		}
		letter, err := incident.Letter(ctx, db, w.who["jabar.analyst"], i.HumanID)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"[click]", "<script>", "![x]", "\n# Bukan"} {
			if strings.Contains(letter, bad) {
				t.Errorf("the letter keeps %q as markup:\n%s", bad, letter)
			}
		}
		for _, want := range []string{`\[click\](javascript:alert(1))`, "&lt;script&gt;", `!\[x\]`} {
			if !strings.Contains(letter, want) {
				t.Errorf("the letter lacks %q:\n%s", want, letter)
			}
		}
	})
}

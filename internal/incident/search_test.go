package incident_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestSearch finds incidents by words in their id, title, description,
// observables and comments, never past the visibility rule, with LIKE's
// wildcards taken literally, case and accents folded alike on both
// databases.
func TestSearch(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		deface := w.create(t, "jabar.analyst", incident.Input{Title: str("Defacement situs KPU Jabar"), Region: str("32"),
			Description: str("Halaman depan diganti; pelaku meninggalkan pesan 100% hacked_by_x")})
		phish := w.create(t, "jabar.analyst", incident.Input{Title: str("Phishing ke operator"), Region: str("32")})
		if _, _, err := incident.AddObservable(ctx, db, w.who["jabar.analyst"], phish.HumanID, incident.ObservableInput{Type: "domain", Value: "kpu-jabar.login-verify.example"}); err != nil {
			t.Fatal(err)
		}
		if _, err := incident.Comment(ctx, db, w.who["jabar.analyst"], phish.HumanID, "Pengirim memakai server surat di Batam"); err != nil {
			t.Fatal(err)
		}
		red := w.create(t, "jabar.analyst", incident.Input{Title: str("Kebocoran data pemilih Jabar"), Region: str("32"), TLP: str("RED")})
		unicode := w.create(t, "jabar.analyst", incident.Input{Title: str("SÉRANGAN ke situs pemilu"), Region: str("32"),
			Description: str(`jejak back\slash di log`)})
		other := w.create(t, "jateng.analyst", incident.Input{Title: str("Defacement situs KPU Jateng"), Region: str("33")})

		find := func(user, text string) []string {
			t.Helper()
			l, err := incident.List(ctx, db, w.who[user], incident.Filter{Text: text})
			if err != nil {
				t.Fatalf("%s searches %q: %v", user, text, err)
			}
			var ids []string
			for _, i := range l {
				ids = append(ids, i.HumanID)
			}
			slices.Sort(ids)
			return ids
		}
		sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
		for _, c := range []struct {
			user, text string
			want       []string
		}{
			{"jabar.analyst", "defacement", sorted(deface.HumanID)},                  // title, any case; Central Java's is not visible
			{"jateng.analyst", "DEFACEMENT", sorted(other.HumanID)},                  // and the other way round
			{"jabar.analyst", "login-verify", sorted(phish.HumanID)},                 // an observable
			{"jabar.analyst", "batam", sorted(phish.HumanID)},                        // a comment
			{"jabar.analyst", "pelaku pesan", sorted(deface.HumanID)},                // every word, in the description
			{"jabar.analyst", "pelaku batam", nil},                                   // words in two incidents: none
			{"jabar.analyst", strings.ToLower(phish.HumanID), sorted(phish.HumanID)}, // the id
			{"jabar.analyst", "100%", sorted(deface.HumanID)},                        // % is a character, not a wildcard
			{"jabar.analyst", "0%h", nil},
			{"jabar.analyst", "hacked_by", sorted(deface.HumanID)},
			{"jabar.analyst", "hacked_b_", nil},                 // _ is not a wildcard either
			{"jabar.analyst", "kebocoran", sorted(red.HumanID)}, // RED: its creator is named
			{"jabar.viewer", "kebocoran", nil},                  // and no one else finds it
			{"kpu.coord", "kebocoran", nil},
			{"jabar.analyst", "situs", sorted(deface.HumanID, unicode.HumanID)},
			{"jabar.analyst", "", sorted(deface.HumanID, phish.HumanID, red.HumanID, unicode.HumanID)},
			{"jabar.analyst", " \t ", sorted(deface.HumanID, phish.HumanID, red.HumanID, unicode.HumanID)}, // blanks: no search
			{"jabar.analyst", "pemilu!", nil},                                                              // the escape character is a character
			{"jabar.analyst", "SÉRANGAN", sorted(unicode.HumanID)},                                         // non-ASCII typed as stored
			{"jabar.analyst", "sérangan", sorted(unicode.HumanID)},                                         // any case, beyond ASCII too
			{"jabar.analyst", "serangan", sorted(unicode.HumanID)},                                         // and without the accent
			{"jabar.analyst", `back\slash`, sorted(unicode.HumanID)},
		} {
			if got := find(c.user, c.text); !slices.Equal(got, c.want) {
				t.Errorf("%s searches %q: %v, want %v", c.user, c.text, got, c.want)
			}
		}
		if _, err := incident.List(ctx, db, w.who["jabar.analyst"], incident.Filter{Text: "a b c d e f g h i"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("nine words: %v, want invalid", err)
		}
	})
}

// TestSearchIndex: the search index follows every write that changes an
// incident's text, in that write's transaction, folds accents, full-width
// letters and quotes alike on both databases, pages through matches, and
// is filled at start for incidents written before it (IndexMissing).
func TestSearchIndex(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		find := func(user, text string, f incident.Filter) []string {
			t.Helper()
			f.Text = text
			l, err := incident.List(ctx, db, w.who[user], f)
			if err != nil {
				t.Fatalf("%s searches %q: %v", user, text, err)
			}
			var ids []string
			for _, i := range l {
				ids = append(ids, i.HumanID)
			}
			return ids // newest first
		}
		check := func(user, text string, want ...string) {
			t.Helper()
			if got := find(user, text, incident.Filter{}); !slices.Equal(got, want) {
				t.Errorf("%s searches %q: %v, want %v", user, text, got, want)
			}
		}
		a := w.create(t, "jabar.analyst", incident.Input{Title: str("Réformasi data pemilih"), Region: str("32"),
			Description: str(`Pesan "kutip" dan it's a test, ＰＥＭＩＬＵ 2029`)})
		b := w.create(t, "jabar.analyst", incident.Input{Title: str("Gangguan situs"), Region: str("32")})
		strict := w.create(t, "bandung.analyst", incident.Input{Title: str("Rahasia kabupaten Bandung"), Region: str("32.04"), TLP: str("AMBER+STRICT")})

		check("jabar.analyst", "reformasi", a.HumanID)      // the accent folded away
		check("jabar.analyst", "RÉFORMASI", a.HumanID)      // and typed
		check("jabar.analyst", "pemilu", a.HumanID)         // full-width letters read as ASCII
		check("jabar.analyst", `"kutip"`, a.HumanID)        // quotes are characters
		check("jabar.analyst", `it's`, a.HumanID)           //
		check("jabar.analyst", `kutip"`, a.HumanID)         //
		check("jabar.analyst", `'kutip`, nil...)            //
		check("jabar.analyst", "29", a.HumanID)             // a short word, read from the text
		check("jabar.analyst", "data 29", a.HumanID)        // beside a long one
		check("jabar.analyst", "situs ke", nil...)          //
		check("bandung.analyst", "rahasia", strict.HumanID) // AMBER+STRICT: its own organisation
		check("jabar.analyst", "rahasia", nil...)           // not the province above it
		check("jabar.room", "rahasia", nil...)              // nor the province's operation room
		check("jateng.analyst", "rahasia", nil...)          //

		// Edits: the new title is found and the old one no longer; a
		// comment and an observable are found at once.
		if _, err := incident.Edit(ctx, db, w.who["jabar.analyst"], b.HumanID, incident.Update{Title: str("Situs lumpuh")}); err != nil {
			t.Fatal(err)
		}
		check("jabar.analyst", "lumpuh", b.HumanID)
		check("jabar.analyst", "gangguan", nil...)
		if _, err := incident.Comment(ctx, db, w.who["jabar.analyst"], b.HumanID, "Serangan DDoS dari botnet"); err != nil {
			t.Fatal(err)
		}
		check("jabar.analyst", "botnet", b.HumanID)
		if _, _, err := incident.AddObservable(ctx, db, w.who["jabar.analyst"], b.HumanID, incident.ObservableInput{Type: "ip", Value: "203.0.113.77"}); err != nil {
			t.Fatal(err)
		}
		check("jabar.analyst", "203.0.113", b.HumanID)
		// A refused edit changes nothing, the index included.
		if _, err := incident.Edit(ctx, db, w.who["jabar.analyst"], b.HumanID, incident.Update{Title: str("Judul tertolak"), Severity: str("huge")}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("edit with a bad severity: %v", err)
		}
		check("jabar.analyst", "tertolak", nil...)

		// Newest first, and the cursor and single-incident filters page
		// through the matches.
		c := w.create(t, "jabar.analyst", incident.Input{Title: str("Situs ketiga"), Region: str("32")})
		check("jabar.analyst", "situs", c.HumanID, b.HumanID)
		if got := find("jabar.analyst", "situs", incident.Filter{Before: c.ID}); !slices.Equal(got, []string{b.HumanID}) {
			t.Errorf("situs before %s: %v", c.HumanID, got)
		}
		if got := find("jabar.analyst", "situs", incident.Filter{ID: b.ID}); !slices.Equal(got, []string{b.HumanID}) {
			t.Errorf("situs, %s only: %v", b.HumanID, got)
		}
		if got := find("jabar.analyst", "situs", incident.Filter{ID: a.ID}); len(got) != 0 {
			t.Errorf("situs, %s only: %v", a.HumanID, got)
		}

		// Incidents written before the index (here: its rows dropped) are
		// not found until IndexMissing fills it, and then as before.
		if _, err := db.Exec(ctx, `DELETE FROM incident_search`); err != nil {
			t.Fatal(err)
		}
		check("jabar.analyst", "botnet", nil...)
		if n, err := incident.IndexMissing(ctx, db); err != nil || n != 4 {
			t.Fatalf("IndexMissing: %d, %v; want 4 incidents", n, err)
		}
		check("jabar.analyst", "botnet", b.HumanID)
		check("jabar.analyst", "reformasi", a.HumanID)
		check("bandung.analyst", "rahasia", strict.HumanID)
		if n, err := incident.IndexMissing(ctx, db); err != nil || n != 0 {
			t.Fatalf("IndexMissing again: %d, %v; want nothing to do", n, err)
		}
	})
}

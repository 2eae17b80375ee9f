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
// wildcards taken literally.
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
			{"jabar.analyst", `back\slash`, sorted(unicode.HumanID)},
		} {
			if got := find(c.user, c.text); !slices.Equal(got, c.want) {
				t.Errorf("%s searches %q: %v, want %v", c.user, c.text, got, c.want)
			}
		}
		// Letters beyond ASCII fold on PostgreSQL; SQLite folds ASCII only.
		if got := find("jabar.analyst", "sérangan"); slices.Equal(got, sorted(unicode.HumanID)) != (db.Dialect() == store.Postgres) {
			t.Errorf("%s: \"sérangan\" finds %v", db.Dialect(), got)
		}
		if _, err := incident.List(ctx, db, w.who["jabar.analyst"], incident.Filter{Text: "a b c d e f g h i"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("nine words: %v, want invalid", err)
		}
	})
}

package patrol_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/patroltest"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestFocusWordsOfThePhase: a post found during the count that speaks of
// "penggelembungan suara" carries the phase's focus word and is in the
// queue's focus filter; the same post found during the campaign does not,
// and neither does one about something else. Seen again, an item keeps
// the focus words of its first capture.
func TestFocusWordsOfThePhase(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := patroltest.NewWorld(t, db)
		kom := w.Who["komdigi.analyst"]
		now := time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC) // the count
		saver := patrol.Saver{DB: db, Now: func() time.Time { return now }}
		save := func(url, text string) patrol.Item {
			t.Helper()
			proc, err := pipeline().Process(ctx, patrol.Post{URL: url, Text: text})
			if err != nil {
				t.Fatal(err)
			}
			s, err := saver.Save(ctx, kom.Actor(), patrol.Owner{OrgID: kom.Org.ID, Region: "32"}, proc)
			if err != nil {
				t.Fatal(err)
			}
			it, err := patrol.Get(ctx, db, kom, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			return it
		}
		rumour := "Ada PENGGELEMBUNGAN suara di Sirekap, formulir C1 diubah!"
		count := save("https://x.com/a/status/1", rumour)
		if !slices.Equal(count.Focus, []string{"sirekap", "penggelembungan suara", "C1"}) {
			t.Errorf("during the count: focus = %q", count.Focus)
		}
		other := save("https://x.com/a/status/2", "Jadwal pertandingan sepak bola malam ini")
		if len(other.Focus) != 0 {
			t.Errorf("unrelated post: focus = %q", other.Focus)
		}
		now = time.Date(2024, 1, 10, 3, 0, 0, 0, time.UTC) // the campaign
		camp := save("https://x.com/a/status/3", rumour)
		if len(camp.Focus) != 0 {
			t.Errorf("during the campaign: focus = %q", camp.Focus)
		}
		money := save("https://x.com/a/status/4", "Warga dapat amplop, politik uang menjelang pencoblosan")
		if !slices.Equal(money.Focus, []string{"politik uang"}) {
			t.Errorf("politik uang in the campaign: focus = %q", money.Focus)
		}
		again := save("https://x.com/a/status/1", rumour) // seen again in the campaign
		if !slices.Equal(again.Focus, count.Focus) {
			t.Errorf("seen again: focus = %q, want the first capture's", again.Focus)
		}
		list, err := patrol.List(ctx, db, kom, patrol.Filter{Focus: true})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, it := range list {
			ids = append(ids, it.ID)
		}
		if !slices.Equal(ids, []int64{money.ID, count.ID}) {
			t.Errorf("focus filter lists %v, want [%d %d]", ids, money.ID, count.ID)
		}
	})
}

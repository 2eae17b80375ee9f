package patrol_test

import (
	"context"
	"github.com/garda-id/garda/internal/web"
	"github.com/garda-id/garda/internal/web/webtest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/patrol"
)

// The patrol queue says the focus words of the phase running now (here a
// phase a coordinator entered around today), marks the items holding them
// and filters on them.
func TestPatrolFocusWords(t *testing.T) {
	s := webtest.NewSite(t, web.Deps{Version: "test"}.Handler)
	ctx := context.Background()
	n := auth.NewUser{Username: "bssn.coord", Org: "bssn", Role: "coordinator", Password: webtest.Password("bssn.coord")}
	if _, err := auth.CreateUser(ctx, s.DB, audit.System, n); err != nil {
		t.Fatal(err)
	}
	coord := webtest.Principal(t, s.DB, "bssn.coord")
	if _, err := calendar.CreateElection(ctx, s.DB, coord, calendar.NewElection{Slug: "psu-uji", Name: "Pemungutan suara ulang (uji)"}); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(calendar.WIB)
	if _, err := calendar.AddPhase(ctx, s.DB, coord, "psu-uji", calendar.Phase{Key: "psu", Name: "Pemungutan suara ulang",
		Start: today.AddDate(0, 0, -1).Format(calendar.DateLayout), End: today.AddDate(0, 0, 1).Format(calendar.DateLayout),
		Posture: calendar.Siaga, Focus: []string{"surat suara ulang", "TPS"}}); err != nil {
		t.Fatal(err)
	}
	kpu := webtest.Principal(t, s.DB, "kpu.analyst")
	saver := patrol.Saver{DB: s.DB}
	var ids []int64
	for i, text := range []string{"Beredar kabar surat suara ulang sudah dicoblos di TPS 12", "Resep rendang padang"} {
		proc, err := (&patrol.Pipeline{}).Process(ctx, patrol.Post{URL: "https://x.com/a/status/" + strconv.Itoa(i+1), Text: text})
		if err != nil {
			t.Fatal(err)
		}
		saved, err := saver.Save(ctx, kpu.Actor(), patrol.Owner{OrgID: kpu.Org.ID, Region: "32"}, proc)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, saved.ID)
	}
	c := s.As("kpu.analyst")
	resp, page := c.Get("/patroli")
	webtest.WantStatus(t, resp, 200, "patrol queue")
	wantIn(t, page, "patrol queue", "Kata fokus fase kalender sekarang: surat suara ulang, TPS.", "Fokus fase: surat suara ulang, TPS",
		`name="focus" value="true"`)
	_, page = c.Get("/patroli?focus=true")
	row := func(id int64) string { return `data-id="` + strconv.FormatInt(id, 10) + `"` }
	if !strings.Contains(page, row(ids[0])) || strings.Contains(page, row(ids[1])) {
		t.Errorf("focus filter: want item %d only", ids[0])
	}
	resp, body := c.Get("/api/v1/patrol/items?focus=true")
	webtest.WantStatus(t, resp, 200, "API focus filter")
	if !strings.Contains(body, `"focus":["surat suara ulang","TPS"]`) || strings.Contains(body, "rendang") {
		t.Errorf("API focus filter: %s", body)
	}
}

package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// seedTakedowns gives "Penurunan Konten" something to show, the first time
// only: Komdigi's patrol files five requests and its coordinator approves
// them; one stays a draft, one was answered in full, one is past its
// deadline with a URL objected to (teguran 1), one was just sent, one was
// left unanswered (teguran 3); each sent one has its letters and Garda's
// checks. The URLs are made up: nothing is sent or fetched anywhere.
func seedTakedowns(ctx context.Context, db *store.DB, tree *org.Tree) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM takedowns`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	patrol, err := principal(ctx, db, tree, "patroli.komdigi")
	if err != nil {
		return 0, err
	}
	coord, err := principal(ctx, db, tree, "koordinator.komdigi")
	if err != nil {
		return 0, err
	}
	fb, err := principal(ctx, db, tree, "liaison.facebook")
	if err != nil {
		return 0, err
	}
	tt, err := principal(ctx, db, tree, "liaison.tiktok")
	if err != nil {
		return 0, err
	}
	at := time.Now().UTC()
	lc := takedown.Lifecycle{DB: db, Now: func() time.Time { return at }}
	type step func(id int64) error
	specs := []struct {
		n     takedown.New
		ago   time.Duration
		steps []step
	}{
		{takedown.New{URLs: []string{"https://x.com/KabarPemiluPalsu/status/1790000000000000001"}, Category: "hoaks",
			LegalBasis: []string{"uu_ite_28_3"}, Urgency: takedown.Normal, Summary: "Klaim palsu bahwa pemungutan suara diundur satu minggu.",
			Notes: "Menunggu tangkapan layar kedua dari sif pagi."}, 0, nil},
		{takedown.New{URLs: []string{"https://www.facebook.com/groups/relawan.palsu/posts/101", "https://www.facebook.com/groups/relawan.palsu/posts/102"},
			Category: "phishing", LegalBasis: []string{"uu_ite_35", "permenkominfo_5_2020"}, Urgency: takedown.Urgent, Orgs: []string{"kpu"},
			Summary: "Kiriman yang meniru pengumuman KPU dan menautkan formulir pengambilan NIK."}, 30 * time.Hour, []step{
			func(id int64) error { _, err := lc.Approve(ctx, coord, id); return err },
			func(id int64) error { _, err := lc.Send(ctx, patrol, id, takedown.ChannelEmail); return err },
			func(id int64) error {
				at = at.Add(2 * time.Hour)
				_, err := lc.Answer(ctx, fb, id, takedown.Answer{URL: "https://www.facebook.com/groups/relawan.palsu/posts/101", Outcome: takedown.Removed})
				return err
			},
			func(id int64) error {
				_, err := lc.Answer(ctx, fb, id, takedown.Answer{URL: "https://www.facebook.com/groups/relawan.palsu/posts/102", Outcome: takedown.Restricted})
				return err
			}}},
		{takedown.New{URLs: []string{"https://www.tiktok.com/@suararakyat.x/video/7300000000000000001", "https://www.tiktok.com/@suararakyat.x/video/7300000000000000002"},
			Category: "disinformasi", LegalBasis: []string{"uu_ite_28_3", "uu_pemilu_280"}, Urgency: takedown.Normal, Orgs: []string{"bawaslu"},
			Summary: "Video suntingan yang menampilkan surat suara tercoblos sebagai kejadian di TPS."}, 40 * time.Hour, []step{
			func(id int64) error { _, err := lc.Approve(ctx, coord, id); return err },
			func(id int64) error { _, err := lc.Send(ctx, patrol, id, takedown.ChannelAPI); return err },
			func(id int64) error {
				at = at.Add(20 * time.Hour)
				_, err := lc.Answer(ctx, tt, id, takedown.Answer{URL: "https://www.tiktok.com/@suararakyat.x/video/7300000000000000001", Outcome: takedown.Objected,
					Reason: "Video diberi label konten suntingan; kami menilai tidak melanggar pedoman komunitas."})
				return err
			}}},
		{takedown.New{Platform: "hosting-nusantara", URLs: []string{"https://cek-dpt-kpu.example.org/login"}, Category: "phishing",
			LegalBasis: []string{"uu_ite_35", "uu_pdp_65"}, Urgency: takedown.Urgent, Summary: "Situs tiruan cekdptonline yang meminta NIK dan nomor KK."},
			time.Hour, []step{
				func(id int64) error { _, err := lc.Approve(ctx, coord, id); return err },
				func(id int64) error { _, err := lc.Send(ctx, patrol, id, takedown.ChannelEmail); return err }}},
		// Left unanswered: it climbs the warning stages below.
		{takedown.New{URLs: []string{"https://x.com/InfoTPSPalsu/status/1790000000000000777"}, Category: "hoaks",
			LegalBasis: []string{"uu_ite_28_3", "permenkominfo_5_2020"}, Urgency: takedown.Urgent,
			Summary: "Unggahan yang menyebut TPS di Bekasi dipindahkan, dengan alamat palsu."}, 13 * time.Hour, []step{
			func(id int64) error { _, err := lc.Approve(ctx, coord, id); return err },
			func(id int64) error { _, err := lc.Send(ctx, patrol, id, takedown.ChannelWebForm); return err }}},
	}
	var made []takedown.Request
	for _, s := range specs {
		at = time.Now().UTC().Add(-s.ago)
		r, err := lc.Create(ctx, patrol, s.n)
		if err != nil {
			return n, fmt.Errorf("demo takedown: %w", err)
		}
		for _, st := range s.steps {
			if err := st(r.ID); err != nil {
				return n, fmt.Errorf("demo takedown %s: %w", r.Number, err)
			}
		}
		made = append(made, r)
		n++
	}
	// Garda's own checks, as its checker would have recorded them (the
	// demo fetches nothing): Facebook's removed post answers 404 an hour
	// after the request, the restricted one shows the removal page; the
	// TikTok videos and the impostor site still answer.
	sent := time.Now().UTC()
	check := func(r takedown.Request, i int, result string, ago time.Duration) takedown.Check {
		return takedown.Check{URLID: r.URLs[i].ID, At: sent.Add(-ago), Result: result}
	}
	checks := []takedown.Check{
		check(made[1], 0, takedown.CheckNotFound, 29*time.Hour), check(made[1], 1, takedown.CheckRemovalPage, 27*time.Hour),
		check(made[2], 0, takedown.CheckOnline, 2*time.Hour), check(made[2], 1, takedown.CheckOnline, 2*time.Hour),
		check(made[3], 0, takedown.CheckOnline, 30*time.Minute),
	}
	if err := (&takedown.Checker{DB: db}).Record(ctx, audit.System, checks); err != nil {
		return n, fmt.Errorf("demo takedown checks: %w", err)
	}
	// The clocks as they ran: the X post, unanswered, climbs teguran 1, 2
	// and 3 a deadline (4 hours) apart, each a letter; TikTok's request,
	// past its deadline with a URL unanswered, reaches teguran 1.
	for i := 1; i <= 3; i++ {
		at = sent.Add(-13*time.Hour + time.Duration(i)*(4*time.Hour+time.Minute))
		if _, err := lc.Tick(ctx, nil); err != nil {
			return n, fmt.Errorf("demo takedown clocks: %w", err)
		}
	}
	return n, nil
}

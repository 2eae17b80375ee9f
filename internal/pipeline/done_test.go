package pipeline

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestRedeliveredBatchCountedOnce: a holder killed after storing a
// batch's alerts and before acknowledging it leaves the batch to be
// delivered again, to another holder with a fresh shard; the alerts must
// not count its events twice (internal/cluster's kill-instance fault).
func TestRedeliveredBatchCountedOnce(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b, newUser, portal := detectorSetup(t, db)
		a := portal(newUser(auth.NewUser{Username: "analis", Org: "kpu-32", Role: "analyst", Scope: "32"}))
		eng, err := detect.New(detect.Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := &Detector{DB: db, Bus: b, Engine: eng, Log: slog.New(slog.DiscardHandler)}
		line := "203.0.113.9 - - [" + time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700") +
			`] "GET /berita.php?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users-- HTTP/1.1" 200 512 "-" "Mozilla/5.0"`
		msg := func(seq, delivered uint64) bus.Msg {
			return bus.Msg{Subject: b.Subject(bus.Events, "p0", "1"), Data: []byte("1\t" + line + "\n"), Seq: seq, Delivered: delivered,
				Header: map[string][]string{headerAsset: {itoa(a.ID)}, headerRegion: {"32"}, headerFormat: {"nginx"}}}
		}
		events := func() (alerts, sum int64) {
			if err := db.QueryRow(ctx, `SELECT count(*), COALESCE(sum(event_count), 0) FROM alerts WHERE source_ip = ?`, "203.0.113.9").Scan(&alerts, &sum); err != nil {
				t.Fatal(err)
			}
			return
		}
		// First delivery, then the same batch again to a new holder.
		if err := d.handle(ctx, msg(7, 1), eng.NewInspector(), eng.NewShard()); err != nil {
			t.Fatal(err)
		}
		n, first := events()
		if n == 0 {
			t.Fatal("the attack raised no alert")
		}
		if err := d.handle(ctx, msg(7, 2), eng.NewInspector(), eng.NewShard()); err != nil {
			t.Fatal(err)
		}
		if m, again := events(); m != n || again != first {
			t.Fatalf("delivered again: %d alerts counting %d events, want %d counting %d", m, again, n, first)
		}
		// Another batch with the same line is new events, counted.
		if err := d.handle(ctx, msg(8, 1), eng.NewInspector(), eng.NewShard()); err != nil {
			t.Fatal(err)
		}
		if _, more := events(); more != 2*first {
			t.Fatalf("a new batch: %d events counted, want %d", more, 2*first)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// detectorSetup is the start the in-package detector tests share: a bus of
// its own, the standard organisations, a user made by newUser, and West
// Java's portal created by site's principal.
func detectorSetup(t *testing.T, db *store.DB) (b *bus.Bus, newUser func(auth.NewUser) auth.Principal, portal func(auth.Principal) asset.Asset) {
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	org.EnsureStandard(ctx, db)
	newUser = func(n auth.NewUser) auth.Principal {
		n.Password = "a long password"
		u, err := auth.CreateUser(ctx, db, audit.System, n)
		if err != nil {
			t.Fatal(err)
		}
		tree, _ := org.Load(ctx, db)
		p, _ := auth.PrincipalOf(u, tree)
		return p
	}
	portal = func(p auth.Principal) asset.Asset {
		tree, _ := org.Load(ctx, db)
		name, kind, reg := "Portal KPU Jawa Barat", "site", "32"
		a, err := asset.Create(ctx, db, p, tree, asset.Input{Name: &name, Kind: &kind, Region: &reg})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return b, newUser, portal
}

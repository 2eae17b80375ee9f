package alert_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestReadSharedAgreesWithGet: what Shared.For gives each reader, decided
// in memory, is what Get gives that reader through SQL (without
// evidence): the same alerts refused, the asset's name shown to the same
// people, on alerts of an AMBER, a RED and a GREEN asset.
func TestReadSharedAgreesWithGet(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		tree, _ := org.Load(ctx, db)
		ids := []int64{}
		for _, a := range []struct{ name, region, tlp, ip string }{
			{"Server cadangan", "32", "RED", "103.6.6.1"},
			{"Portal publik", "32.04", "GREEN", "103.6.6.2"},
		} {
			kind := "site"
			as, err := asset.Create(ctx, db, w.who["jabar.analyst"], tree, asset.Input{Name: &a.name, Kind: &kind, Region: &a.region, TLP: &a.tlp})
			if err != nil {
				t.Fatal(err)
			}
			created, _, err := alert.Record(ctx, db, []alert.Signal{sig("http-sqli", a.ip, as.ID, 0, 1)})
			if err != nil || len(created) != 1 {
				t.Fatal(created, err)
			}
			ids = append(ids, created[0])
		}
		created, _, err := alert.Record(ctx, db, []alert.Signal{sig("http-xss", "103.6.6.3", w.jabar, 0, 1)})
		if err != nil || len(created) != 1 {
			t.Fatal(created, err)
		}
		ids = append(ids, created[0], 999999) // and an id of no alert
		shared, err := alert.ReadShared(ctx, db, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(shared) != 3 {
			t.Fatalf("read %d of 3 alerts", len(shared))
		}
		seen := 0
		for user, p := range w.who {
			for _, sh := range shared {
				got, ok := sh.For(p.Viewer)
				want, err := alert.Get(ctx, db, p, sh.ID())
				if ok != (err == nil) {
					t.Errorf("%s, alert %d: shared says %v, Get says %v", user, sh.ID(), ok, err)
					continue
				}
				if !ok {
					continue
				}
				seen++
				want.Evidence = nil
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, alert %d:\nshared %+v\nGet    %+v", user, sh.ID(), got, want)
				}
			}
		}
		if seen == 0 {
			t.Fatal("no reader read any alert")
		}
	})
}

package asset_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

type world struct {
	db   *store.DB
	tree *org.Tree
	who  map[string]auth.Principal
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	users := []auth.NewUser{
		{Username: "kpu.analyst", Org: "kpu", Role: "analyst", Scope: ""},
		{Username: "kpu.viewer", Org: "kpu", Role: "viewer", Scope: ""},
		{Username: "jabar.analyst", Org: "kpu-32", Role: "analyst", Scope: "32"},
		{Username: "jabar.viewer", Org: "kpu-32", Role: "viewer", Scope: "32"},
		{Username: "bandung.analyst", Org: "kpu-32.04", Role: "analyst", Scope: "32.04"},
		{Username: "bandung.coord", Org: "kpu-32.04", Role: "coordinator", Scope: "32.04"},
		{Username: "jateng.analyst", Org: "kpu-33", Role: "analyst", Scope: "33"},
		{Username: "bssn.analyst", Org: "bssn", Role: "analyst", Scope: ""},
		{Username: "bssn.admin", Org: "bssn", Role: "admin", Scope: ""},
		{Username: "diskominfo.jabar", Org: "diskominfo-32", Role: "operator", Scope: "32"},
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, tree: tree, who: map[string]auth.Principal{}}
	for _, n := range users {
		n.Password = "password-" + n.Username
		u, err := auth.CreateUser(ctx, db, audit.System, n)
		if err != nil {
			t.Fatal(err)
		}
		p, err := auth.PrincipalOf(u, tree)
		if err != nil {
			t.Fatal(err)
		}
		w.who[n.Username] = p
	}
	return w
}

// TestVisibilityThroughTheStore creates assets as users of different
// organisations, provinces and TLPs and reads them back as everyone: the
// list, the direct read and the policy's own judgement must agree.
func TestVisibilityThroughTheStore(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		creators := []string{"kpu.analyst", "jabar.analyst", "bandung.analyst", "jateng.analyst", "bssn.analyst"}
		var ids []int64
		for _, c := range creators {
			who := w.who[c]
			for _, tlp := range policy.TLPs() {
				a, err := asset.Create(ctx, db, who, w.tree, asset.Input{
					Name: ptr(fmt.Sprintf("%s %s", c, tlp)), Kind: ptr("web_app"), TLP: ptr(string(tlp)),
					URLs: ptr([]string{"https://" + c + ".example.id/"}), Region: ptr(who.User.Scope),
				})
				if err != nil {
					t.Fatalf("%s creates %s: %v", c, tlp, err)
				}
				ids = append(ids, a.ID)
			}
		}
		allowed := 0
		for name, viewer := range w.who {
			listed := map[int64]bool{}
			all, err := asset.List(ctx, db, viewer, asset.Filter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range all {
				listed[a.ID] = true
			}
			for _, id := range ids {
				var owner int64
				var region, tlp string
				db.QueryRow(ctx, `SELECT owner_org_id, region, tlp FROM assets WHERE id = ?`, id).Scan(&owner, &region, &tlp)
				set, err := participant.Load(ctx, db, asset.RecordKind, id)
				if err != nil {
					t.Fatal(err)
				}
				want := policy.CanRead(viewer.Viewer, policy.Record{OwnerOrg: owner, Region: region, TLP: policy.TLP(tlp), Orgs: set.Orgs, Users: set.Users})
				_, getErr := asset.Get(ctx, db, viewer, id)
				switch {
				case listed[id] != want:
					t.Errorf("%s listing asset %d (%s, region %q): listed %v, policy says %v", name, id, tlp, region, listed[id], want)
				case want && getErr != nil:
					t.Errorf("%s reading asset %d: %v", name, id, getErr)
				case !want && !problem.Is(getErr, problem.NotFound):
					t.Errorf("%s reading hidden asset %d: got %v, want not_found", name, id, getErr)
				}
				if want {
					allowed++
				}
			}
		}
		// Spot checks of the design's table, so that an always-empty or
		// always-full answer cannot pass.
		mustSee := map[string][]string{
			"kpu.viewer":       {"jabar.analyst AMBER", "bandung.analyst AMBER", "jateng.analyst GREEN"},
			"jabar.viewer":     {"bandung.analyst AMBER", "jabar.analyst AMBER+STRICT"},
			"bssn.admin":       {"bssn.analyst AMBER+STRICT", "kpu.analyst GREEN"},
			"diskominfo.jabar": {"jabar.analyst GREEN", "bandung.analyst CLEAR"},
		}
		mustNot := map[string][]string{
			"kpu.viewer":       {"jabar.analyst AMBER+STRICT", "jabar.analyst RED", "bssn.analyst AMBER"},
			"jabar.viewer":     {"kpu.analyst GREEN", "jateng.analyst CLEAR", "bandung.analyst AMBER+STRICT", "jabar.analyst RED"},
			"bssn.admin":       {"bssn.analyst RED", "kpu.analyst AMBER"},
			"diskominfo.jabar": {"jabar.analyst AMBER", "bandung.analyst RED"},
			"bandung.analyst":  {"jabar.analyst GREEN"},
		}
		for who, names := range mustSee {
			for _, n := range names {
				if got, _ := asset.List(ctx, db, w.who[who], asset.Filter{Query: n}); !containsName(got, n) {
					t.Errorf("%s must see %q", who, n)
				}
			}
		}
		for who, names := range mustNot {
			for _, n := range names {
				if got, _ := asset.List(ctx, db, w.who[who], asset.Filter{Query: n}); containsName(got, n) {
					t.Errorf("%s must not see %q", who, n)
				}
			}
		}
		if allowed == 0 || allowed == len(ids)*len(w.who) {
			t.Fatalf("%d of %d reads allowed: the filter is not discriminating", allowed, len(ids)*len(w.who))
		}
	})
}

func containsName(as []asset.Asset, name string) bool {
	for _, a := range as {
		if a.Name == name {
			return true
		}
	}
	return false
}

func TestCreateAndUpdateValidate(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		jabar := w.who["jabar.analyst"]
		bad := []asset.Input{
			{Name: ptr("x"), Kind: ptr("toaster")},
			{Name: ptr("x"), Kind: ptr("site"), Region: ptr("33")},    // outside scope
			{Name: ptr("x"), Kind: ptr("site"), Region: ptr("32.99")}, // unknown region
			{Name: ptr("x"), Kind: ptr("site"), Owner: ptr("kpu")},    // owner above
			{Name: ptr("x"), Kind: ptr("site"), URLs: ptr([]string{"ftp://x"})},
			{Name: ptr("x"), Kind: ptr("site"), Hostnames: ptr([]string{"bad host"})},
			{Name: ptr("x"), Kind: ptr("site"), TLP: ptr("PURPLE")},
			{Name: ptr("x"), Kind: ptr("site"), Phases: ptr([]string{"party"})},
			{Name: ptr(""), Kind: ptr("site")},
		}
		for i, in := range bad {
			if _, err := asset.Create(ctx, db, jabar, w.tree, in); !problem.Is(err, problem.Invalid) {
				t.Errorf("bad input %d: got %v, want validation_failed", i, err)
			}
		}
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM assets`).Scan(&n)
		if n != 0 {
			t.Fatalf("bad input stored %d assets", n)
		}
		if _, err := asset.Create(ctx, db, w.who["diskominfo.jabar"], w.tree, asset.Input{Name: ptr("x"), Kind: ptr("site")}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("operator creating an asset: %v", err)
		}
		a, err := asset.Create(ctx, db, jabar, w.tree, asset.Input{Name: ptr("KPU Jabar"), Kind: ptr("site"), Owner: ptr("kpu-32.04"),
			Region: ptr("32.04"), Hostnames: ptr([]string{"KPU-Jabar.example.id."}), Phases: ptr([]string{"voting", "results"})})
		if err != nil || a.Owner != "kpu-32.04" || a.Hostnames[0] != "kpu-jabar.example.id" || a.TLP != policy.Amber {
			t.Fatalf("create: %+v %v", a, err)
		}
		if _, err := asset.Create(ctx, db, jabar, w.tree, asset.Input{Name: ptr("KPU Jabar"), Kind: ptr("site"), Owner: ptr("kpu-32.04"), Region: ptr("32.04")}); !problem.Is(err, problem.Conflict) {
			t.Errorf("duplicate name: %v", err)
		}
		if _, err := asset.Update(ctx, db, w.who["bandung.analyst"], w.tree, a.ID, asset.Input{TLP: ptr("RED")}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an analyst changes the TLP: %v", err)
		}
		u, err := asset.Update(ctx, db, w.who["bandung.coord"], w.tree, a.ID, asset.Input{Criticality: ptr("critical"), TLP: ptr("RED")})
		if err != nil || u.Criticality != "critical" || u.Name != "KPU Jabar" {
			t.Fatalf("update: %+v %v", u, err)
		}
		// RED now: the creator and the editor are named; the province's viewer is not.
		if _, err := asset.Get(ctx, db, jabar, a.ID); err != nil {
			t.Errorf("creator lost access: %v", err)
		}
		if _, err := asset.Get(ctx, db, w.who["jabar.viewer"], a.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("unnamed viewer reads RED: %v", err)
		}
		if _, err := asset.Update(ctx, db, w.who["jateng.analyst"], w.tree, a.ID, asset.Input{Name: ptr("x")}); !problem.Is(err, problem.NotFound) {
			t.Errorf("other province updates: %v", err)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// TestHostNameBelongsToOneAsset: host names say which addresses send an
// asset's syslog, so another organisation cannot list one already used,
// neither on create nor on edit, and is not told whose it is.
func TestHostNameBelongsToOneAsset(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		kpu, err := asset.Create(ctx, db, w.who["kpu.analyst"], w.tree, asset.Input{Name: ptr("Portal KPU"), Kind: ptr("site"), TLP: ptr("GREEN"),
			Hostnames: ptr([]string{"portal.kpu.go.id", "10.0.0.5"})})
		if err != nil {
			t.Fatal(err)
		}
		bssn := w.who["bssn.analyst"]
		_, err = asset.Create(ctx, db, bssn, w.tree, asset.Input{Name: ptr("Cermin"), Kind: ptr("site"), Hostnames: ptr([]string{"cermin.example", "Portal.KPU.go.id."})})
		if pe := problem.As(err); pe == nil || pe.Code != problem.Conflict || pe.Field != "hostnames" ||
			!strings.Contains(pe.Message, "portal.kpu.go.id") || strings.Contains(pe.Message, "KPU") {
			t.Errorf("create with a used host name: %v", err)
		}
		other, err := asset.Create(ctx, db, bssn, w.tree, asset.Input{Name: ptr("Cermin"), Kind: ptr("site"), Hostnames: ptr([]string{"cermin.example"})})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := asset.Update(ctx, db, bssn, w.tree, other.ID, asset.Input{Hostnames: ptr([]string{"cermin.example", "10.0.0.5"})}); !problem.Is(err, problem.Conflict) {
			t.Errorf("edit to a used address: %v", err)
		}
		// A name that only contains another's is no clash; an asset keeps its own.
		if _, err := asset.Update(ctx, db, bssn, w.tree, other.ID, asset.Input{Hostnames: ptr([]string{"cermin.example", "kpu.go.id", "10.0.0.50"})}); err != nil {
			t.Errorf("edit to free names: %v", err)
		}
		if _, err := asset.Update(ctx, db, w.who["kpu.analyst"], w.tree, kpu.ID, asset.Input{Criticality: ptr("high")}); err != nil {
			t.Errorf("edit keeping its own names: %v", err)
		}
		var hosts string
		db.QueryRow(ctx, `SELECT hostnames FROM assets WHERE id = ?`, other.ID).Scan(&hosts)
		if strings.Contains(hosts, "10.0.0.5\"") {
			t.Errorf("a refused edit stored %s", hosts)
		}
		// Two assets sharing a name from before the rule can still be edited.
		if _, err := db.Exec(ctx, `UPDATE assets SET hostnames = ? WHERE id = ?`, `["portal.kpu.go.id"]`, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := asset.Update(ctx, db, w.who["kpu.analyst"], w.tree, kpu.ID, asset.Input{Criticality: ptr("critical")}); err != nil {
			t.Errorf("edit an asset whose name another lists from before: %v", err)
		}
	})
}

// An asset's election systems are stored, read back, changed and checked:
// bad entries are refused and change nothing.
func TestSystemsStoredAndChecked(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		who := w.who["jabar.analyst"]
		a, err := asset.Create(ctx, db, who, w.tree, asset.Input{Name: ptr("Sirekap Jawa Barat"), Kind: ptr("web_app"),
			Region: ptr("32"), Phases: ptr([]string{"counting"}), Systems: ptr([]string{" Sirekap ", "situs KPU"})})
		if err != nil {
			t.Fatal(err)
		}
		got, err := asset.Get(ctx, db, who, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got.Systems, "|") != "Sirekap|situs KPU" || strings.Join(got.Tags(), "|") != "counting|Sirekap|situs KPU" {
			t.Errorf("stored systems %q, tags %q", got.Systems, got.Tags())
		}
		for _, bad := range [][]string{{""}, {"Sirekap", "sirekap"}, {strings.Repeat("x", 61)}, {"a,b"}} {
			_, err := asset.Update(ctx, db, who, w.tree, a.ID, asset.Input{Systems: ptr(bad)})
			if !problem.Is(err, problem.Invalid) {
				t.Errorf("systems %q: err = %v, want invalid", bad, err)
			}
		}
		if _, err := asset.Update(ctx, db, who, w.tree, a.ID, asset.Input{Systems: ptr([]string{"Sipol"})}); err != nil {
			t.Fatal(err)
		}
		got, _ = asset.Get(ctx, db, who, a.ID)
		if strings.Join(got.Systems, "|") != "Sipol" {
			t.Errorf("after update systems = %q", got.Systems)
		}
	})
}

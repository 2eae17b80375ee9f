package intel_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

var people = []auth.NewUser{
	{Username: "adi", Org: "kpu-32", Role: "analyst", Scope: "32"},
	{Username: "pusat", Org: "kpu", Role: "analyst", Scope: ""},
	{Username: "budi", Org: "bssn", Role: "coordinator", Scope: ""},
	{Username: "intan", Org: "bin", Role: "analyst", Scope: ""},
	{Username: "sari", Org: "kpu-33", Role: "analyst", Scope: "33"},
	{Username: "vera", Org: "kpu-32", Role: "viewer", Scope: "32"},
}

type world struct {
	db   *store.DB
	tree *org.Tree
	who  map[string]auth.Principal
}

func newWorld(t testing.TB, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, who: map[string]auth.Principal{}}
	var users []auth.User
	for _, p := range people {
		p.Password = "pw-" + p.Username + "-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, p)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	var err error
	if w.tree, err = org.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if w.who[u.Username], err = auth.PrincipalOf(u, w.tree); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) create(t *testing.T, as string, in intel.Input) intel.Indicator {
	t.Helper()
	i, err := intel.Create(context.Background(), w.db, w.who[as], in)
	if err != nil {
		t.Fatalf("%s creates %s %s: %v", as, in.Kind, in.Value, err)
	}
	return i
}

func (w *world) visible(t *testing.T, as string) map[string]bool {
	t.Helper()
	list, err := intel.List(context.Background(), w.db, w.who[as], intel.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, i := range list {
		out[i.Value] = true
	}
	return out
}

func TestIndicatorsStoreAndVisibility(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		amber := w.create(t, "adi", intel.Input{Kind: intel.IPv4, Value: " 203.0.113.7 ", Techniques: []string{"t1190"}, Detect: true})
		if amber.TLP != policy.Amber || amber.Region != "32" || amber.Pattern != "[ipv4-addr:value = '203.0.113.7']" || amber.Owner != "kpu-32" {
			t.Fatalf("defaults: %+v", amber)
		}
		w.create(t, "budi", intel.Input{Kind: intel.Domain, Value: "Sirekap-Login.Example.", TLP: policy.Green})
		red := w.create(t, "intan", intel.Input{Kind: intel.IPv4, Value: "198.51.100.0/24", TLP: policy.Red})
		if red.Pattern != "[ipv4-addr:value ISSUBSET '198.51.100.0/24']" {
			t.Errorf("range pattern %q", red.Pattern)
		}

		want := map[string][]string{
			"adi":   {"203.0.113.7"},                          // a national record is outside a provincial scope
			"pusat": {"203.0.113.7", "sirekap-login.example"}, // KPU RI is kpu-32's ancestor
			"budi":  {"sirekap-login.example"},                // AMBER is not BSSN's
			"intan": {"sirekap-login.example", "198.51.100.0/24"},
			"sari":  {}, // region 33 sees nothing of 32 nor national GREEN
		}
		for as, vals := range want {
			got := w.visible(t, as)
			if len(got) != len(vals) {
				t.Errorf("%s sees %v, want %v", as, got, vals)
			}
			for _, v := range vals {
				if !got[v] {
					t.Errorf("%s does not see %s", as, v)
				}
			}
		}
		// RED: even an admin-like coordinator of BSSN gets not found.
		if _, err := intel.Get(ctx, db, w.who["budi"], red.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("budi reads the RED indicator: %v", err)
		}

		// Bad input: a clear error naming the field, nothing stored.
		for _, in := range []intel.Input{
			{Kind: intel.IPv4, Value: "10.0.0.1/8"},
			{Kind: intel.IPv4, Value: "2001:db8::1"},
			{Kind: "hash", Value: "x"},
			{Kind: intel.Domain, Value: "localhost"},
			{Kind: intel.SHA256, Value: "abc"},
			{Kind: intel.URL, Value: "javascript:alert(1)"},
			{Kind: intel.IPv4, Value: "192.0.2.1", Region: ptr("33")},
		} {
			if _, err := intel.Create(ctx, db, w.who["adi"], in); problem.As(err) == nil || problem.As(err).Field == "" {
				t.Errorf("%s %q: want a field error, got %v", in.Kind, in.Value, err)
			}
		}
		if _, err := intel.Create(ctx, db, w.who["adi"], intel.Input{Kind: intel.IPv4, Value: "203.0.113.7"}); !problem.Is(err, problem.Conflict) {
			t.Errorf("a second indicator of one value: %v", err)
		}
		if _, err := intel.Create(ctx, db, w.who["vera"], intel.Input{Kind: intel.IPv4, Value: "192.0.2.9"}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a viewer creates: %v", err)
		}

		// Sightings count per place; revocation is for good.
		for range 2 {
			if err := intel.AddSighting(ctx, db, w.who["adi"], amber.ID, intel.Seen{Count: 5, Region: "32.04", AssetID: 3}); err != nil {
				t.Fatal(err)
			}
		}
		ss, err := intel.Sightings(ctx, db, w.who["adi"], amber.ID)
		if err != nil || len(ss) != 1 || ss[0].Count != 10 || ss[0].Org != "kpu-32" {
			t.Fatalf("sightings %+v %v", ss, err)
		}
		if _, err := intel.Sightings(ctx, db, w.who["sari"], amber.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("sari reads sightings: %v", err)
		}
		r, err := intel.Revoke(ctx, db, w.who["adi"], amber.ID, "false positive: a KPU proxy")
		if err != nil || !r.Revoked || r.RevokedAt == nil {
			t.Fatalf("revoke: %+v %v", r, err)
		}
		active := true
		if l, _ := intel.List(ctx, db, w.who["pusat"], intel.Filter{Active: &active}); len(l) != 1 || l[0].Kind != intel.Domain {
			t.Errorf("active after revoking: %d", len(l))
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Error(err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestExportAndImport(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.create(t, "intan", intel.Input{Kind: intel.Domain, Value: "secret.example", TLP: policy.Red})
		g := w.create(t, "budi", intel.Input{Kind: intel.URL, Value: "http://phish.example/login", TLP: policy.Green, Techniques: []string{"T1566"}})
		if err := intel.AddSighting(ctx, db, w.who["budi"], g.ID, intel.Seen{Count: 3, Region: "32"}); err != nil {
			t.Fatal(err)
		}
		b, n, err := intel.Export(ctx, db, w.who["budi"], w.tree, intel.ExportOptions{})
		if err != nil || n != 1 {
			t.Fatalf("export: %d %v", n, err)
		}
		js, _ := json.Marshal(b)
		if strings.Contains(string(js), "secret.example") || !strings.Contains(string(js), intel.MarkingID(policy.Green)) {
			t.Fatalf("budi's export: %s", js)
		}
		for _, typ := range []string{`"type":"sighting"`, `"type":"observed-data"`, `"type":"url"`, `"type":"attack-pattern"`, `"type":"identity"`} {
			if !strings.Contains(string(js), typ) {
				t.Errorf("export lacks %s", typ)
			}
		}
		if b2, _, _ := intel.Export(ctx, db, w.who["intan"], w.tree, intel.ExportOptions{TLP: []policy.TLP{policy.Red}}); !strings.Contains(mustJSON(b2), "secret.example") {
			t.Error("intan's RED export lacks her indicator")
		}

		// A bundle from a partner: one indicator (kept id, creator and
		// RED), an identity, an unknown type (reported, skipped).
		partner := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
		 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
		  "created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z",
		  "object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]},
		 {"type":"identity","spec_version":"2.1","id":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"CERT Mitra","identity_class":"organization"},
		 {"type":"x-acme-thing","id":"x-acme-thing--2f3bfcb6-ec2a-4b3b-9f8b-0bbbcb0c0b0b"}]}`
		res, err := intel.Import(ctx, db, w.who["intan"], strings.NewReader(partner))
		if err != nil || res.Indicators != 1 || res.Objects != 1 || len(res.Unknown) != 1 {
			t.Fatalf("import: %+v %v", res, err)
		}
		l, _ := intel.List(ctx, db, w.who["intan"], intel.Filter{Text: "evil"})
		if len(l) != 1 || l[0].TLP != policy.Red || l[0].STIXID != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" || l[0].CreatedBy != "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff" {
			t.Fatalf("imported: %+v", l)
		}
		if w.visible(t, "budi")["evil.example"] {
			t.Error("RED import read by budi")
		}
		// The same value under a partner's other id: already held, no error.
		again := strings.ReplaceAll(strings.ReplaceAll(partner, "8e2e2d2b", "7e2e2d2b"), "5d0092c5", "4d0092c5")
		if res, err := intel.Import(ctx, db, w.who["intan"], strings.NewReader(again)); err != nil || res.Unchanged != 1 || res.Indicators != 0 {
			t.Errorf("a held value again: %+v %v", res, err)
		}

		// A bundle with bad objects: every one named, nothing kept.
		bad := `{"type":"bundle","id":"bundle--6d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
		 {"type":"indicator","spec_version":"2.1","id":"indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[domain-name:value = 'fine.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
		 {"type":"indicator","spec_version":"2.1","id":"indicator--ae2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[ipv4-addr:value = '","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
		 {"type":"indicator","spec_version":"2.1","id":"indicator--be2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix","valid_from":"yesterday"},
		 {"type":"identity","id":"identity--nope"},
		 "not an object"]}`
		_, err = intel.Import(ctx, db, w.who["budi"], strings.NewReader(bad))
		var ie *intel.ImportError
		if !errors.As(err, &ie) || len(ie.Objects) != 4 {
			t.Fatalf("bad bundle: %v", err)
		}
		t.Log(err)
		if w.visible(t, "budi")["fine.example"] {
			t.Error("half an import was kept")
		}
		if _, err := intel.Import(ctx, db, w.who["budi"], strings.NewReader(`{"type":"bundle"`)); !problem.Is(err, problem.InvalidJSON) {
			t.Errorf("truncated bundle: %v", err)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

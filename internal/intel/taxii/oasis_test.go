package taxii_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/stixcheck"
	"github.com/garda-id/garda/internal/policy"
)

// needOASISClient finds OASIS's taxii2-client and Debian's python3 with its
// packages, or skips (fails under GARDA_CI=1).
func needOASISClient(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("GARDA_CI") == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	dir, _ := os.Getwd()
	var client string
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		cand := filepath.Join(filepath.Dir(d), "shared", "clients", "taxii2-client")
		if _, err := os.Stat(filepath.Join(cand, "taxii2client")); err == nil {
			client = cand
			break
		}
	}
	if client == "" {
		missing("needs ../shared/clients/taxii2-client (OASIS's TAXII client) beside the repository")
	}
	cmd := exec.Command("/usr/bin/python3", "-c", "import taxii2client.v21, requests, pytz, six")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+client)
	if out, err := cmd.CombinedOutput(); err != nil {
		missing("needs Debian's python3 with python3-requests, python3-tz and python3-six: " + strings.TrimSpace(string(out)))
	}
	return client
}

// TestOASISClient: OASIS's own TAXII client against Garda's server does
// discovery, the API root, the collections, pages through objects 2 at a
// time with next, added_after, the manifest, versions, one object, and a
// POST whose status it polls to complete. Three users of different
// organisations and regions each get exactly what the visibility rules
// allow; a RED object reaches only its named user.
func TestOASISClient(t *testing.T) {
	client := needOASISClient(t)
	ctx := context.Background()
	a := newInstance(t,
		auth.NewUser{Username: "bssn.analyst", Org: "bssn", Role: "analyst"},
		auth.NewUser{Username: "jabar.analyst", Org: "kpu-32", Role: "analyst", Scope: "32"},
		auth.NewUser{Username: "polri.analyst", Org: "polri", Role: "analyst"},
		auth.NewUser{Username: "kpu.analyst", Org: "kpu", Role: "analyst"},
	)
	mk := func(user string, k intel.Kind, v string, tlp policy.TLP, region string) intel.Indicator {
		t.Helper()
		i, err := intel.Create(ctx, a.db, a.principal(user), intel.Input{Kind: k, Value: v, TLP: tlp, Region: &region})
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	bAmber := mk("bssn.analyst", intel.IPv4, "203.0.113.1", policy.Amber, "")
	bGreen := mk("bssn.analyst", intel.IPv4, "203.0.113.2", policy.Green, "")
	bRed := mk("bssn.analyst", intel.Domain, "rahasia.example", policy.Red, "")
	bStrict := mk("bssn.analyst", intel.IPv4, "203.0.113.3", policy.AmberStrict, "")
	bAmber2 := mk("bssn.analyst", intel.IPv4, "203.0.113.4", policy.Amber, "")
	bAmber3 := mk("bssn.analyst", intel.URL, "http://phish.example/login", policy.Amber, "")
	jAmber := mk("jabar.analyst", intel.Domain, "kpu-jabar.example", policy.Amber, "32")
	jGreen := mk("jabar.analyst", intel.IPv4, "192.0.2.32", policy.Green, "32.04")
	kAmber := mk("kpu.analyst", intel.IPv4, "192.0.2.33", policy.Amber, "33")
	want := map[string][]intel.Indicator{
		// National BSSN: its own (RED as the named creator), GREEN anywhere;
		// not KPU's AMBER.
		"bssn.analyst": {bAmber, bGreen, bRed, bStrict, bAmber2, bAmber3, jGreen},
		// KPU Jawa Barat, scope 32: its own; nothing national, nothing of 33.
		"jabar.analyst": {jAmber, jGreen},
		// Polri: GREEN only.
		"polri.analyst": {bGreen, jGreen},
		// KPU RI: its own, its province's AMBER (below it), GREEN.
		"kpu.analyst": {bGreen, jAmber, jGreen, kAmber},
	}

	posted := intel.Indicator{STIXID: intel.NewID("indicator"), Kind: intel.Domain, Value: "kiriman.example",
		Pattern: "[domain-name:value = 'kiriman.example']", TLP: policy.Amber, CreatedBy: intel.IdentityID("bssn"), Confidence: 80,
		CreatedAt: bAmber.CreatedAt, ModifiedAt: bAmber.CreatedAt, ValidFrom: bAmber.CreatedAt}
	plan := map[string]any{
		"url":    a.srv.URL + "/taxii2/",
		"tokens": a.tokens,
		"auth":   map[string]string{"polri.analyst": "bearer", "kpu.analyst": "bearer"},
		"walker": "bssn.analyst",
		"post":   map[string]any{"objects": []any{posted.STIX()}},
	}
	in, _ := json.Marshal(plan)
	cmd := exec.Command("/usr/bin/python3", "testdata/oasis_client.py")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+client)
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("OASIS client: %v\n%s", err, stderr.String())
	}
	var got struct {
		Users map[string]struct {
			Objects []struct {
				ID, Pattern, Collection string
				Markings                []string
				CreatedByRef            string `json:"created_by_ref"`
			}
			Pages     int
			PageSizes []int `json:"page_sizes"`
		}
		Discovery struct {
			Title    string
			APIRoots []string `json:"api_roots"`
			Default  string
		}
		APIRoot struct {
			Title    string
			Versions []string
		} `json:"api_root"`
		Collections []struct {
			ID, Title string
			CanRead   bool `json:"can_read"`
			CanWrite  bool `json:"can_write"`
		}
		Manifest []struct {
			ID, Version string
			DateAdded   string `json:"date_added"`
		}
		AddedAfter []string `json:"added_after"`
		Versions   []string
		Object     []string
		Status     struct {
			Status                  string
			Total, Success, Failure int
		}
		PostedReadback []string `json:"posted_readback"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}

	for user, list := range want {
		var wantIDs, gotIDs []string
		for _, i := range list {
			wantIDs = append(wantIDs, i.STIXID)
		}
		seen := got.Users[user]
		for _, o := range seen.Objects {
			gotIDs = append(gotIDs, o.ID)
			if o.ID == bRed.STIXID && user != "bssn.analyst" {
				t.Errorf("RED served to %s, who is not named", user)
			}
			if o.CreatedByRef == "" || len(o.Markings) != 1 || o.Collection != "TLP:"+string(tlpOfMarking(o.Markings[0])) {
				t.Errorf("%s: object %s marked %v by %q in %s", user, o.ID, o.Markings, o.CreatedByRef, o.Collection)
			}
		}
		slices.Sort(wantIDs)
		slices.Sort(gotIDs)
		if !slices.Equal(wantIDs, gotIDs) {
			t.Errorf("%s got %d objects %v, want %d %v", user, len(gotIDs), gotIDs, len(wantIDs), wantIDs)
		}
		for _, n := range seen.PageSizes {
			if n > 2 {
				t.Errorf("%s: a page of %d with limit 2", user, n)
			}
		}
	}
	// BSSN's AMBER collection holds 3: two pages of 2 and 1.
	if p := got.Users["bssn.analyst"].Pages; p < 6 {
		t.Errorf("bssn paged %d times over 5 collections with 3 AMBER objects", p)
	}

	if got.Discovery.Default != a.srv.URL+"/taxii2/nasional/" || len(got.Discovery.APIRoots) != 1 {
		t.Errorf("discovery %+v", got.Discovery)
	}
	if !slices.Contains(got.APIRoot.Versions, "application/taxii+json;version=2.1") {
		t.Errorf("api root %+v", got.APIRoot)
	}
	if len(got.Collections) != 6 || !got.Collections[0].CanRead || !got.Collections[0].CanWrite {
		t.Errorf("collections %+v", got.Collections)
	}
	if len(got.Manifest) != 3 || got.Manifest[0].ID != bAmber.STIXID || got.Manifest[0].DateAdded == "" {
		t.Errorf("manifest %+v", got.Manifest)
	}
	// Created in order: after the first's date, the other two (or fewer
	// when two share a microsecond, which the store's clock rules out).
	if len(got.AddedAfter) != 2 || slices.Contains(got.AddedAfter, bAmber.STIXID) {
		t.Errorf("added_after the first: %v", got.AddedAfter)
	}
	if len(got.Versions) != 1 || got.Versions[0] != got.Manifest[0].Version {
		t.Errorf("versions %v, manifest %+v", got.Versions, got.Manifest[0])
	}
	if len(got.Object) != 1 || got.Object[0] != bAmber.STIXID {
		t.Errorf("object %v", got.Object)
	}
	if got.Status.Status != "complete" || got.Status.Total != 1 || got.Status.Success != 1 || got.Status.Failure != 0 {
		t.Errorf("status %+v", got.Status)
	}
	if len(got.PostedReadback) != 1 || got.PostedReadback[0] != posted.STIXID {
		t.Errorf("the posted indicator read back: %v", got.PostedReadback)
	}

	// What the server serves validates against OASIS's STIX 2.1 schemas.
	stixcheck.Shared(t)
	for _, i := range want["bssn.analyst"] {
		if err := stixcheck.Validate(t, i.STIX()); err != nil {
			t.Errorf("%s: %v", i.STIXID, err)
		}
	}
}

func tlpOfMarking(id string) policy.TLP {
	t, _ := intel.TLPOfMarkings([]string{id})
	return t
}

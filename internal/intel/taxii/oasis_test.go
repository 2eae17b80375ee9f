package taxii_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	empty := ""
	bGreen, err := intel.Create(ctx, a.db, a.principal("bssn.analyst"), intel.Input{Kind: intel.IPv4, Value: "203.0.113.2", TLP: policy.Green, Region: &empty, Techniques: []string{"T1190"}})
	if err != nil {
		t.Fatal(err)
	}
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

	// Beside the indicators: a sighting of BSSN's AMBER one (counted twice,
	// so its row has a later version), the attack pattern and "indicates"
	// relationship of BSSN's GREEN one, and what imports kept: BSSN's AMBER
	// report and RED threat actor, KPU RI's GREEN malware.
	for n := 0; n < 2; n++ {
		if err := intel.AddSighting(ctx, a.db, a.principal("bssn.analyst"), bAmber.ID, intel.Seen{Region: "31", Count: 3}); err != nil {
			t.Fatal(err)
		}
	}
	ap, _ := intel.AttackPatternOf("T1190", "")
	rel := intel.RelationshipID("indicates", bGreen.STIXID, ap.ID)
	report, actor, malware := intel.NewID("report"), intel.NewID("threat-actor"), intel.NewID("malware")
	imp := func(user, objects string) {
		t.Helper()
		if _, err := intel.Import(ctx, a.db, a.principal(user), strings.NewReader(`{"type":"bundle","id":"`+intel.NewID("bundle")+`","objects":[`+objects+`]}`)); err != nil {
			t.Fatalf("import as %s: %v", user, err)
		}
	}
	const at = `"created":"2026-11-01T00:00:00.000Z","modified":"2026-11-02T00:00:00.000Z"`
	imp("bssn.analyst", `{"type":"report","spec_version":"2.1","id":"`+report+`",`+at+`,"name":"Kampanye deface","published":"2026-11-02T00:00:00Z","object_refs":["`+bAmber.STIXID+`"],"object_marking_refs":["`+intel.MarkingID(policy.Amber)+`"]},
		{"type":"threat-actor","spec_version":"2.1","id":"`+actor+`",`+at+`,"name":"Kelompok X","object_marking_refs":["`+intel.MarkingID(policy.Red)+`"]}`)
	imp("kpu.analyst", `{"type":"malware","spec_version":"2.1","id":"`+malware+`",`+at+`,"name":"Pencuri sandi PPK","is_family":false,"object_marking_refs":["`+intel.MarkingID(policy.Green)+`"]}`)
	// Who gets each of them: exactly these users.
	others := map[string][]string{
		ap.ID:                         {"bssn.analyst", "polri.analyst", "kpu.analyst"},
		rel:                           {"bssn.analyst", "polri.analyst", "kpu.analyst"},
		report:                        {"bssn.analyst"},
		actor:                         {"bssn.analyst"},
		malware:                       {"bssn.analyst", "polri.analyst", "kpu.analyst"},
		intel.IdentityID("bssn"):      {"bssn.analyst", "polri.analyst", "kpu.analyst"},
		intel.IdentityID("kpu-32"):    {"bssn.analyst", "jabar.analyst", "polri.analyst", "kpu.analyst"},
		intel.IdentityID("kpu"):       {"kpu.analyst"},
		intel.MarkingID(policy.Red):   {"bssn.analyst", "jabar.analyst", "polri.analyst", "kpu.analyst"},
		intel.MarkingID(policy.Clear): {"bssn.analyst", "jabar.analyst", "polri.analyst", "kpu.analyst"},
	}

	posted := intel.Indicator{STIXID: intel.NewID("indicator"), Kind: intel.Domain, Value: "kiriman.example",
		Pattern: "[domain-name:value = 'kiriman.example']", TLP: policy.Amber, CreatedBy: intel.IdentityID("bssn"), Confidence: 80,
		CreatedAt: bAmber.CreatedAt, ModifiedAt: bAmber.CreatedAt, ValidFrom: bAmber.CreatedAt}
	plan := map[string]any{
		"url":     a.srv.URL + "/taxii2/",
		"tokens":  a.tokens,
		"auth":    map[string]string{"polri.analyst": "bearer", "kpu.analyst": "bearer"},
		"walker":  "bssn.analyst",
		"post":    map[string]any{"objects": []any{posted.STIX()}},
		"revoked": bGreen.STIXID,
	}
	revoked, err := intel.Revoke(ctx, a.db, a.principal("bssn.analyst"), bGreen.ID, "alamat CDN")
	if err != nil {
		t.Fatal(err)
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
				ID, Type, Collection string
				Markings             []string
				CreatedByRef         string `json:"created_by_ref"`
				Body                 map[string]any
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
		PostedReadback     []string            `json:"posted_readback"`
		ByType             map[string][]string `json:"by_type"`
		SightingVersions   []string            `json:"sighting_versions"`
		SightingByID       []string            `json:"sighting_by_id"`
		SightingByVersion  []string            `json:"sighting_by_version"`
		SightingOldVersion []string            `json:"sighting_old_version"`
		RevokedVersions    []string            `json:"revoked_versions"`
		RevokedAll         [][]any             `json:"revoked_all"`
		RevokedLast        [][]any             `json:"revoked_last"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}

	stixcheck.Shared(t)
	gotBy := map[string]map[string]bool{} // object id -> users
	sightings := map[string]int{}
	for user, list := range want {
		var wantIDs, gotIDs []string
		for _, i := range list {
			wantIDs = append(wantIDs, i.STIXID)
		}
		seen := got.Users[user]
		valid := map[string]bool{}
		for _, o := range seen.Objects {
			if gotBy[o.ID] == nil {
				gotBy[o.ID] = map[string]bool{}
			}
			gotBy[o.ID][user] = true
			if o.Type == "sighting" {
				sightings[user]++
			}
			// Every object served validates against OASIS's STIX 2.1
			// schemas (each id once: an attack pattern travels with each
			// indicator naming it).
			if !valid[o.ID] {
				valid[o.ID] = true
				if err := stixcheck.Validate(t, o.Body); err != nil {
					t.Errorf("%s: %s %s: %v", user, o.Type, o.ID, err)
				}
			}
			if o.ID == bRed.STIXID && user != "bssn.analyst" {
				t.Errorf("RED served to %s, who is not named", user)
			}
			switch o.Type {
			case "marking-definition":
				if o.Collection != "TLP:"+string(tlpOfMarking(o.ID)) {
					t.Errorf("%s: marking %s in %s", user, o.ID, o.Collection)
				}
				continue
			case "identity", "attack-pattern":
				if len(o.Markings) != 0 {
					t.Errorf("%s: %s %s marked %v", user, o.Type, o.ID, o.Markings)
				}
				continue
			}
			if len(o.Markings) != 1 || o.Collection != "TLP:"+string(tlpOfMarking(o.Markings[0])) {
				t.Errorf("%s: object %s marked %v in %s", user, o.ID, o.Markings, o.Collection)
			}
			if o.Type != "indicator" {
				continue
			}
			gotIDs = append(gotIDs, o.ID)
			if o.CreatedByRef == "" {
				t.Errorf("%s: indicator %s without its creator", user, o.ID)
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
	for id, users := range others {
		var gotUsers []string
		for u := range gotBy[id] {
			gotUsers = append(gotUsers, u)
		}
		slices.Sort(gotUsers)
		slices.Sort(users)
		if !slices.Equal(gotUsers, users) {
			t.Errorf("%s served to %v, want %v", id, gotUsers, users)
		}
	}
	// The sighting of BSSN's AMBER indicator: to BSSN only, once (its row
	// counted twice is one sighting at its latest version).
	if sightings["bssn.analyst"] != 1 || len(sightings) != 1 {
		t.Errorf("sightings served: %v", sightings)
	}
	// BSSN's AMBER collection holds 9: the marking, 3 indicators, BSSN's
	// identity, the sighting, the report, and the posted one is not there
	// yet: pages of 2.
	if p := got.Users["bssn.analyst"].Pages; p < 8 {
		t.Errorf("bssn paged %d times over 5 collections", p)
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
	// The AMBER manifest: the marking first (added in 2022), then in the
	// order added: indicator, BSSN's identity (with its first indicator),
	// the other two indicators, the sighting, the report.
	var manifest []string
	for _, m := range got.Manifest {
		manifest = append(manifest, m.ID)
	}
	wantManifest := []string{intel.MarkingID(policy.Amber), bAmber.STIXID, intel.IdentityID("bssn"), bAmber2.STIXID, bAmber3.STIXID}
	if len(manifest) != 7 || !slices.Equal(manifest[:5], wantManifest) || !strings.HasPrefix(manifest[5], "sighting--") || manifest[6] != report {
		t.Errorf("manifest %v, want %v, the sighting, %s", manifest, wantManifest, report)
	}
	// Added after the first indicator: the two others, the sighting and the
	// report (the identity came with the first).
	if len(got.AddedAfter) != 4 || slices.Contains(got.AddedAfter, bAmber.STIXID) || !slices.Contains(got.AddedAfter, report) {
		t.Errorf("added_after the first: %v", got.AddedAfter)
	}
	if len(got.Versions) != 1 || got.Versions[0] != got.Manifest[1].Version {
		t.Errorf("versions %v, manifest %+v", got.Versions, got.Manifest[1])
	}
	for typ, n := range map[string]int{"sighting": 1, "report": 1, "identity": 1, "marking-definition": 1, "indicator,report": 4} {
		if len(got.ByType[typ]) != n {
			t.Errorf("match[type]=%s: %v, want %d", typ, got.ByType[typ], n)
		}
	}
	if got.ByType["report"][0] != report || got.ByType["identity"][0] != intel.IdentityID("bssn") {
		t.Errorf("by type: %v", got.ByType)
	}
	// BSSN's GREEN indicator, revoked: two versions, both by match[version]=all,
	// the revoked one by default.
	made, gone := bGreen.STIX().Modified, revoked.STIX().Modified
	if strings.Join(got.RevokedVersions, " ") != made+" "+gone || fmt.Sprint(got.RevokedAll) != fmt.Sprintf("[[%s false] [%s true]]", made, gone) ||
		fmt.Sprint(got.RevokedLast) != fmt.Sprintf("[[%s true]]", gone) {
		t.Errorf("revoked indicator: versions %v, all %v, last %v; made %s, revoked %s", got.RevokedVersions, got.RevokedAll, got.RevokedLast, made, gone)
	}
	// The sighting's version is its row's last change: after its first
	// sighting (counted again), one version served.
	sightingID := got.ByType["sighting"][0]
	if len(got.SightingVersions) != 1 || len(got.SightingByID) != 1 || got.SightingByID[0] != sightingID ||
		len(got.SightingByVersion) != 1 || len(got.SightingOldVersion) != 0 {
		t.Errorf("sighting %s: versions %v, by id %v, by version %v, old version %v", sightingID, got.SightingVersions,
			got.SightingByID, got.SightingByVersion, got.SightingOldVersion)
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

}

func tlpOfMarking(id string) policy.TLP {
	t, _ := intel.TLPOfMarkings([]string{id})
	return t
}

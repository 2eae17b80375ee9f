package taxii_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

type req struct {
	method, path, body   string
	accept, contentType  string
	bearer, user, passwd string
}

func (in *instance) do(t *testing.T, r req) (int, http.Header, []byte) {
	t.Helper()
	hr, err := http.NewRequest(r.method, in.srv.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.accept != "-" {
		hr.Header.Set("Accept", taxii.MediaTAXII)
		if r.accept != "" {
			hr.Header.Set("Accept", r.accept)
		}
	}
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	if r.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.bearer)
	} else if r.passwd != "" {
		hr.SetBasicAuth(r.user, r.passwd)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// TestServerProtocol checks what OASIS's client does not exercise: media
// types, both kinds of authentication, the date headers, paging, filters,
// partial POSTs and who may read a status.
func TestServerProtocol(t *testing.T) {
	storetest.Backends(t, testServerProtocol)
}

func testServerProtocol(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a := newInstanceOn(t, db,
		auth.NewUser{Username: "bssn.analyst", Org: "bssn", Role: "analyst"},
		auth.NewUser{Username: "bssn.viewer", Org: "bssn", Role: "viewer"},
		auth.NewUser{Username: "polri.analyst", Org: "polri", Role: "analyst"},
	)
	tok := a.tokens["bssn.analyst"]
	amberCol := "/taxii2/nasional/collections/" + taxii.TLPCollectionID("nasional", policy.Amber) + "/"
	var made []intel.Indicator
	for n := 1; n <= 5; n++ {
		i, err := intel.Create(ctx, a.db, a.principal("bssn.analyst"), intel.Input{Kind: intel.IPv4, Value: fmt.Sprintf("198.51.100.%d", n)})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, i)
	}

	// Media types and authentication.
	if st, _, _ := a.do(t, req{method: "GET", path: "/taxii2/", accept: "application/json", bearer: tok}); st != 406 {
		t.Fatalf("Accept application/json: %d, want 406", st)
	}
	if st, _, _ := a.do(t, req{method: "GET", path: "/taxii2/", accept: "-", bearer: tok}); st != 406 {
		t.Fatalf("no Accept: %d, want 406", st)
	}
	st, h, _ := a.do(t, req{method: "GET", path: "/taxii2/"})
	if st != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("anonymous: %d %q", st, h.Get("WWW-Authenticate"))
	}
	if st, _, _ := a.do(t, req{method: "GET", path: "/taxii2/", user: "bssn.analyst", passwd: "not-a-token"}); st != 401 {
		t.Fatalf("a password that is no token: %d", st)
	}
	if st, _, _ := a.do(t, req{method: "GET", path: "/taxii2/", user: "polri.analyst", passwd: tok}); st != 401 {
		t.Fatalf("someone else's token under Basic: %d", st)
	}
	st, h, body := a.do(t, req{method: "GET", path: "/taxii2/", user: "bssn.analyst", passwd: tok})
	if st != 200 || h.Get("Content-Type") != taxii.MediaTAXII || !strings.Contains(string(body), "/taxii2/nasional/") {
		t.Fatalf("discovery with Basic: %d %s %s", st, h.Get("Content-Type"), body)
	}

	// Paging: 2 a page over 5, with the date headers; next carries on.
	var seen []string
	next := ""
	for pages := 0; ; pages++ {
		q := url.Values{"limit": {"2"}}
		if next != "" {
			q.Set("next", next)
		}
		st, h, body := a.do(t, req{method: "GET", path: amberCol + "objects/?" + q.Encode(), bearer: tok})
		var env struct {
			More    bool
			Next    string
			Objects []struct{ ID string }
		}
		if st != 200 || json.Unmarshal(body, &env) != nil {
			t.Fatalf("page %d: %d %s", pages, st, body)
		}
		if len(env.Objects) > 0 && (h.Get("X-TAXII-Date-Added-First") == "" || h.Get("X-TAXII-Date-Added-Last") == "") {
			t.Fatalf("page %d without date headers", pages)
		}
		for _, o := range env.Objects {
			seen = append(seen, o.ID)
		}
		if !env.More {
			break
		}
		next = env.Next
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	// In the order added: the TLP:AMBER marking definition (2022), the
	// indicators, and BSSN's identity when its first indicator came.
	want := []string{intel.MarkingID(policy.Amber), made[0].STIXID, intel.IdentityID("bssn"), made[1].STIXID, made[2].STIXID, made[3].STIXID, made[4].STIXID}
	if strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Fatalf("paged %v, want %v", seen, want)
	}
	// added_after the third's date: the fourth and fifth.
	st, h, _ = a.do(t, req{method: "GET", path: amberCol + "manifest/?limit=5", bearer: tok}) // marking, 1, identity, 2, 3
	last := h.Get("X-TAXII-Date-Added-Last")
	st, _, body = a.do(t, req{method: "GET", path: amberCol + "objects/?added_after=" + url.QueryEscape(last), bearer: tok})
	if st != 200 || strings.Count(string(body), `"type":"indicator"`) != 2 {
		t.Fatalf("added_after %s: %d %s", last, st, body)
	}
	for q, want := range map[string]int{
		"match[id]=" + made[1].STIXID:   1,
		"match[type]=malware":           0,
		"match[type]=identity":          0,
		"match[type]=indicator,malware": 5,
		"match[spec_version]=2.0":       0,
		"match[version]=all":            5,
		"match[id]=" + made[2].STIXID + "&match[version]=" + made[2].STIX().Modified: 1,
		"match[version]=2001-01-01T00:00:00.000Z":                                    0,
		"added_after=2999-01-01T00:00:00Z":                                           0,
	} {
		st, _, body := a.do(t, req{method: "GET", path: amberCol + "objects/?" + q, bearer: tok})
		if st != 200 || strings.Count(string(body), `"type":"indicator"`) != want {
			t.Errorf("%s: %d, want %d objects: %s", q, st, want, body)
		}
	}
	// An entry of several objects (an indicator with two techniques: the
	// indicator, two attack patterns, two relationships) split across pages
	// of 2: the pages together are exactly the whole, in order.
	for n := 0; n < 2; n++ {
		if _, err := intel.Create(ctx, a.db, a.principal("bssn.analyst"), intel.Input{Kind: intel.IPv4, Value: fmt.Sprintf("192.0.2.%d", 70+n), TLP: policy.Green,
			Techniques: []string{"T1190", "T1566"}}); err != nil {
			t.Fatal(err)
		}
	}
	greenCol := "/taxii2/nasional/collections/" + taxii.TLPCollectionID("nasional", policy.Green) + "/"
	whole := func(q string) []string {
		var ids []string
		next := ""
		for pages := 0; ; pages++ {
			p := greenCol + "objects/?" + q
			if next != "" {
				p += "&next=" + url.QueryEscape(next)
			}
			st, _, body := a.do(t, req{method: "GET", path: p, bearer: tok})
			var env struct {
				More    bool
				Next    string
				Objects []struct{ ID string }
			}
			if st != 200 || json.Unmarshal(body, &env) != nil {
				t.Fatalf("%s: %d %s", p, st, body)
			}
			for _, o := range env.Objects {
				ids = append(ids, o.ID)
			}
			if !env.More {
				return ids
			}
			next = env.Next
			if pages > 50 {
				t.Fatal("paging does not end")
			}
		}
	}
	all, paged := whole("limit=1000"), whole("limit=2")
	// marking, 2 x (indicator, 2 attack patterns, 2 relationships), identity
	if len(all) != 12 || strings.Join(all, " ") != strings.Join(paged, " ") {
		t.Fatalf("GREEN collection whole %v, by pages of 2 %v", all, paged)
	}
	if got := whole("limit=1&match[type]=relationship"); len(got) != 4 || !strings.HasPrefix(got[0], "relationship--") {
		t.Fatalf("relationships by pages of 1: %v", got)
	}
	if st, _, _ := a.do(t, req{method: "GET", path: greenCol + "objects/?next=12-3", bearer: tok}); st != 400 {
		t.Errorf("a next token of another server: %d", st)
	}
	// Versions: a revoked indicator has two, as made and as revoked; the
	// objects endpoint serves the latest unless match[version] asks.
	revoked, err := intel.Revoke(ctx, a.db, a.principal("bssn.analyst"), made[4].ID, "salah sasaran")
	if err != nil {
		t.Fatal(err)
	}
	created, last := made[4].STIX().Modified, revoked.STIX().Modified
	if created == last {
		t.Fatalf("revoked in the millisecond it was made: %s", created)
	}
	objPath := amberCol + "objects/" + made[4].STIXID + "/"
	st, _, body = a.do(t, req{method: "GET", path: objPath + "versions/", bearer: tok})
	var vers struct{ Versions []string }
	if st != 200 || json.Unmarshal(body, &vers) != nil || strings.Join(vers.Versions, " ") != created+" "+last {
		t.Fatalf("versions of a revoked indicator: %d %s, want %s and %s", st, body, created, last)
	}
	for q, want := range map[string]string{
		"":                                  last + ":true",
		"match[version]=last":               last + ":true",
		"match[version]=first":              created + ":false",
		"match[version]=all":                created + ":false " + last + ":true",
		"match[version]=first,last":         created + ":false " + last + ":true",
		"match[version]=" + created:         created + ":false",
		"match[version]=" + last + ",first": created + ":false " + last + ":true",
	} {
		for _, path := range []string{objPath + "?" + q, amberCol + "objects/?match[id]=" + made[4].STIXID + "&" + q} {
			st, _, body := a.do(t, req{method: "GET", path: path, bearer: tok})
			var env struct {
				Objects []struct {
					Modified string
					Revoked  bool
				}
			}
			if st != 200 || json.Unmarshal(body, &env) != nil {
				t.Fatalf("%s: %d %s", path, st, body)
			}
			var got []string
			for _, o := range env.Objects {
				got = append(got, fmt.Sprintf("%s:%v", o.Modified, o.Revoked))
			}
			if strings.Join(got, " ") != want {
				t.Errorf("%s: %v, want %s", path, got, want)
			}
		}
	}
	if st, _, _ := a.do(t, req{method: "GET", path: amberCol + "objects/?added_after=yesterday", bearer: tok}); st != 400 {
		t.Errorf("bad added_after: %d", st)
	}
	// Polri reads none of BSSN's AMBER, not even by id.
	st, _, body = a.do(t, req{method: "GET", path: amberCol + "objects/", bearer: a.tokens["polri.analyst"]})
	if st != 200 || strings.Contains(string(body), "indicator--") {
		t.Fatalf("polri reads BSSN's AMBER: %s", body)
	}
	if st, _, _ := a.do(t, req{method: "GET", path: amberCol + "objects/" + made[0].STIXID + "/", bearer: a.tokens["polri.analyst"]}); st != 404 {
		t.Fatalf("polri by id: %d", st)
	}

	// POST: a wrong media type is 415, a viewer may not write, a mixed
	// envelope is partly kept with a reason per failure.
	good := intel.Indicator{STIXID: intel.NewID("indicator"), Kind: intel.Domain, Value: "baru.example", Pattern: "[domain-name:value = 'baru.example']",
		TLP: policy.Amber, CreatedBy: intel.IdentityID("bssn"), Confidence: 60}
	goodJSON, _ := json.Marshal(good.STIX())
	envelope := `{"objects":[` + string(goodJSON) + `,
		{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '300.1.1.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + intel.MarkingID(policy.Amber) + `"]},
		{"type":"indicator","spec_version":"2.1","id":"indicator--1e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.9']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + intel.MarkingID(policy.Green) + `"]}]}`
	if st, _, _ := a.do(t, req{method: "POST", path: amberCol + "objects/", body: envelope, contentType: "application/json", bearer: tok}); st != 415 {
		t.Fatalf("POST as application/json: %d", st)
	}
	if st, _, _ := a.do(t, req{method: "POST", path: amberCol + "objects/", body: envelope, contentType: taxii.MediaTAXII, bearer: a.tokens["bssn.viewer"]}); st != 403 {
		t.Fatalf("POST by a viewer: %d", st)
	}
	st, _, body = a.do(t, req{method: "POST", path: amberCol + "objects/", body: envelope, contentType: taxii.MediaTAXII, bearer: tok})
	var status taxii.Status
	if st != 202 || json.Unmarshal(body, &status) != nil {
		t.Fatalf("POST: %d %s", st, body)
	}
	if status.Status != "complete" || status.TotalCount != 3 || status.SuccessCount != 1 || status.FailureCount != 2 ||
		status.Successes[0].ID != good.STIXID || status.Failures[0].Message == "" || !strings.Contains(status.Failures[1].Message, "GREEN") {
		t.Fatalf("status %+v", status)
	}
	if _, err := intel.List(ctx, a.db, a.principal("bssn.analyst"), intel.Filter{Text: "baru.example"}); err != nil {
		t.Fatal(err)
	}
	var n int
	a.db.QueryRow(ctx, `SELECT COUNT(*) FROM indicators WHERE value IN ('baru.example', '192.0.2.9')`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d of the POSTed indicators stored, want only the good one", n)
	}
	statusPath := "/taxii2/nasional/status/" + status.ID + "/"
	if st, _, _ := a.do(t, req{method: "GET", path: statusPath, bearer: tok}); st != 200 {
		t.Fatalf("own status: %d", st)
	}
	if st, _, _ := a.do(t, req{method: "GET", path: statusPath, bearer: a.tokens["polri.analyst"]}); st != 404 {
		t.Fatalf("someone else's status: %d", st)
	}
	if st, _, _ := a.do(t, req{method: "GET", path: "/taxii2/nowhere/", bearer: tok}); st != 404 {
		t.Fatalf("unknown API root: %d", st)
	}
}

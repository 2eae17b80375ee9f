package decision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// What CrowdSec's own LAPI answers, copied from CrowdSec v1.4.6 (Debian's
// crowdsec package) serving decisions made with cscli: its bouncer
// endpoints' bodies are compact JSON, keys in this order, an empty list is
// null, and duration is the time left in Go's format (negative for a
// deleted decision).
const (
	crowdsecForbidden = `{"message":"access forbidden"}`
	crowdsecEmpty     = `{"deleted":null,"new":null}`
	crowdsecNone      = `null`
	crowdsecStartup   = `{"deleted":null,"new":[{"duration":"59m58.897009283s","id":2,"origin":"cscli","scenario":"manual 'captcha' from 'test'","scope":"Range","type":"captcha","value":"10.0.0.0/24"},{"duration":"3h59m58.897008712s","id":1,"origin":"cscli","scenario":"manual test","scope":"Ip","type":"ban","value":"1.2.3.4"}]}`
	crowdsecDeleted   = `{"deleted":[{"duration":"-23.072893ms","id":1,"origin":"cscli","scenario":"manual test","scope":"Ip","type":"ban","value":"1.2.3.4"}],"new":null}`
	crowdsecBoth      = `{"deleted":[{"duration":"-320.12179ms","id":1,"origin":"cscli","scenario":"manual test","scope":"Ip","type":"ban","value":"1.2.3.4"}],"new":[{"duration":"7h59m59.52717587s","id":5,"origin":"cscli","scenario":"y","scope":"Ip","type":"ban","value":"5.6.7.8"}]}`
	crowdsecList      = `[{"duration":"59m58.773323539s","id":2,"origin":"cscli","scenario":"manual 'captcha' from 'test'","scope":"Range","type":"captcha","value":"10.0.0.0/24"}]`
)

// shape reduces a JSON document to its skeleton: objects keep their keys
// in order, scalars become their JSON type, and an array becomes the shape
// its elements share.
func shape(t *testing.T, body string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var walk func() string
	walk = func() string {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("shape of %s: %v", body, err)
		}
		switch v := tok.(type) {
		case json.Delim:
			var parts []string
			if v == '{' {
				for dec.More() {
					k, _ := dec.Token()
					parts = append(parts, fmt.Sprintf("%s:%s", k, walk()))
				}
				dec.Token()
				return "{" + strings.Join(parts, ",") + "}"
			}
			for dec.More() {
				parts = append(parts, walk())
			}
			dec.Token()
			sort.Strings(parts)
			if len(parts) > 0 && parts[0] != parts[len(parts)-1] {
				t.Fatalf("elements of different shapes in %s", body)
			}
			if len(parts) == 0 {
				return "[]"
			}
			return "[" + parts[0] + "]"
		case string:
			return "string"
		case json.Number:
			return "number"
		case bool:
			return "bool"
		case nil:
			return "null"
		}
		return "?"
	}
	return walk()
}

type lapiDecision struct {
	Duration string `json:"duration"`
	ID       int64  `json:"id"`
	Origin   string `json:"origin"`
	Scenario string `json:"scenario"`
	Scope    string `json:"scope"`
	Type     string `json:"type"`
	Value    string `json:"value"`
}

type lapiStream struct {
	Deleted []lapiDecision `json:"deleted"`
	New     []lapiDecision `json:"new"`
}

type bouncerClient struct {
	t   *testing.T
	url string
	key string
	ua  string
}

func (c bouncerClient) do(method, path string) (int, http.Header, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.key != "" {
		req.Header.Set("X-Api-Key", c.key)
	}
	req.Header.Set("User-Agent", "garda-test/1.0")
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func (c bouncerClient) get(path string) string {
	c.t.Helper()
	code, h, body := c.do(http.MethodGet, path)
	if code != http.StatusOK || h.Get("Content-Type") != "application/json; charset=utf-8" {
		c.t.Fatalf("GET %s: %d %s %s", path, code, h.Get("Content-Type"), body)
	}
	return body
}

func (c bouncerClient) stream(query string) (lapiStream, string) {
	c.t.Helper()
	body := c.get("/v1/decisions/stream" + query)
	var s lapiStream
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		c.t.Fatalf("stream body %s: %v", body, err)
	}
	return s, body
}

func newLAPI(t *testing.T, db *store.DB) (*httptest.Server, bouncerClient) {
	t.Helper()
	srv := httptest.NewServer(decision.LAPI(db, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	key, _, err := decision.AddBouncer(context.Background(), db, audit.System, "test-bouncer")
	if err != nil {
		t.Fatal(err)
	}
	return srv, bouncerClient{t: t, url: srv.URL, key: key}
}

// ids lists the ids of decisions, sorted.
func ids(ds []lapiDecision) []int64 {
	out := []int64{}
	for _, d := range ds {
		out = append(out, d.ID)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func sameIDs(t *testing.T, what string, got []lapiDecision, want ...int64) {
	t.Helper()
	if want == nil {
		want = []int64{}
	}
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Fatalf("%s: ids %v, want %v (%+v)", what, ids(got), want, got)
	}
}

// left parses a decision's duration, the time it has left.
func left(t *testing.T, d lapiDecision) time.Duration {
	t.Helper()
	v, err := time.ParseDuration(d.Duration)
	if err != nil {
		t.Fatalf("duration %q is not in Go's format: %v", d.Duration, err)
	}
	return v
}

func TestLAPIAuthAndErrors(t *testing.T) {
	db := storetest.SQLite(t)
	srv, c := newLAPI(t, db)
	for _, key := range []string{"", "wrong", strings.Repeat("a", 64)} {
		for _, path := range []string{"/v1/decisions/stream?startup=true", "/v1/decisions?ip=1.2.3.4", "/v1/decisions"} {
			code, h, body := bouncerClient{t: t, url: srv.URL, key: key}.do(http.MethodGet, path)
			if code != http.StatusForbidden || body != crowdsecForbidden || h.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("key %q, GET %s: %d %q %q; want 403 %s", key, path, code, h.Get("Content-Type"), body, crowdsecForbidden)
			}
		}
	}
	if err := decision.DeleteBouncer(context.Background(), db, audit.System, "test-bouncer"); err != nil {
		t.Fatal(err)
	}
	if code, _, body := c.do(http.MethodGet, "/v1/decisions/stream"); code != http.StatusForbidden || body != crowdsecForbidden {
		t.Errorf("deleted bouncer's key: %d %s", code, body)
	}
	_, c = newLAPI(t, db)
	c.url = srv.URL
	if code, _, _ := c.do(http.MethodPost, "/v1/decisions/stream"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", code)
	}
	if code, _, _ := c.do(http.MethodGet, "/v1/alerts"); code != http.StatusNotFound {
		t.Errorf("GET /v1/alerts: %d", code)
	}
	for _, q := range []string{"?ip=not-an-ip", "?range=10.0.0.0/99", "?ip=1.2.3.4&contains=maybe"} {
		code, _, body := c.do(http.MethodGet, "/v1/decisions"+q)
		var msg map[string]string
		if code != http.StatusBadRequest || json.Unmarshal([]byte(body), &msg) != nil || msg["message"] == "" || len(msg) != 1 {
			t.Errorf("GET /v1/decisions%s: %d %s", q, code, body)
		}
	}
	if body := c.get("/v1/decisions/stream?startup=true"); body != crowdsecEmpty {
		t.Errorf("empty startup: %s, want %s", body, crowdsecEmpty)
	}
	if body := c.get("/v1/decisions?ip=192.0.2.1"); body != crowdsecNone {
		t.Errorf("no decision: %s, want %s", body, crowdsecNone)
	}
}

// TestLAPIStream follows one bouncer's pulls: everything active at
// startup, then only what changed since its previous pull; each expiry and
// revocation is announced once; proposals never leave Garda.
func TestLAPIStream(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := people(t, db)
		analyst := who["bssn.analyst"]
		_, c := newLAPI(t, db)

		a := mustDecide(t, db, decision.Proposal{IP: "198.51.100.1", Scenario: "http-sqli"}, decision.OutcomeCreated)
		r, err := decision.Create(ctx, db, analyst, decision.Input{Value: "10.1.0.0/16", Type: "captcha", Duration: "1h", Reason: "scraper farm"})
		if err != nil {
			t.Fatal(err)
		}
		p := mustDecide(t, db, decision.Proposal{IP: "2001:db8::2", Scenario: "http-xss"}, decision.OutcomeProposed)

		s, body := c.stream("?startup=true")
		if shape(t, body) != shape(t, crowdsecStartup) {
			t.Fatalf("startup shape\n got %s\nwant %s", shape(t, body), shape(t, crowdsecStartup))
		}
		sameIDs(t, "startup new", s.New, a.ID, r.ID)
		if s.Deleted != nil {
			t.Fatalf("startup deleted: %+v", s.Deleted)
		}
		for _, d := range s.New {
			switch d.ID {
			case a.ID:
				if d != (lapiDecision{Duration: d.Duration, ID: a.ID, Origin: "garda", Scenario: "http-sqli", Scope: "Ip", Type: "ban", Value: "198.51.100.1"}) {
					t.Errorf("sqli decision on the wire: %+v", d)
				}
				if l := left(t, d); l < 4*time.Hour-time.Minute || l > 4*time.Hour {
					t.Errorf("sqli duration %s", d.Duration)
				}
			case r.ID:
				if d != (lapiDecision{Duration: d.Duration, ID: r.ID, Origin: "manual", Scenario: "scraper farm", Scope: "Range", Type: "captcha", Value: "10.1.0.0/16"}) {
					t.Errorf("manual range on the wire: %+v", d)
				}
			}
		}
		if _, body := c.stream(""); body != crowdsecEmpty {
			t.Fatalf("pull with no change: %s", body)
		}

		b := mustDecide(t, db, decision.Proposal{IP: "198.51.100.3", Scenario: "http-rce"}, decision.OutcomeCreated)
		if _, err := decision.Approve(ctx, db, analyst, p.ID); err != nil {
			t.Fatal(err)
		}
		s, body = c.stream("")
		sameIDs(t, "new since the last pull", s.New, b.ID, p.ID)
		if s.Deleted != nil || shape(t, body) != shape(t, crowdsecStartup) {
			t.Fatalf("delta: %s", body)
		}

		if _, err := decision.Revoke(ctx, db, analyst, a.ID, "false positive"); err != nil {
			t.Fatal(err)
		}
		s, body = c.stream("")
		sameIDs(t, "deleted after revoke", s.Deleted, a.ID)
		if s.New != nil || shape(t, body) != shape(t, crowdsecDeleted) {
			t.Fatalf("revoked: %s", body)
		}
		if l := left(t, s.Deleted[0]); l >= 0 || l < -time.Minute {
			t.Errorf("a revoked decision's duration is %s, want a little below zero", s.Deleted[0].Duration)
		}
		if _, body := c.stream(""); body != crowdsecEmpty {
			t.Fatalf("revocation announced twice: %s", body)
		}

		// b runs out: it is announced as deleted on the next pull, once.
		if _, err := db.Exec(ctx, `UPDATE decisions SET until = ? WHERE id = ?`, store.Now(), b.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		s, _ = c.stream("")
		sameIDs(t, "deleted after expiry", s.Deleted, b.ID)
		sameIDs(t, "new after expiry", s.New)
		for i := 0; i < 3; i++ {
			if _, body := c.stream(""); body != crowdsecEmpty {
				t.Fatalf("expiry announced again: %s", body)
			}
		}

		// An extension is new again, with the longer duration.
		ext := mustDecide(t, db, decision.Proposal{IP: "2001:db8::2", Scenario: "http-rce"}, decision.OutcomeExtended)
		s, _ = c.stream("")
		sameIDs(t, "new after extension", s.New, ext.ID)
		if l := left(t, s.New[0]); l < 23*time.Hour {
			t.Errorf("extended duration %s", s.New[0].Duration)
		}

		// Revoked and made again before the pull: the address stays blocked,
		// so it is not deleted, only new.
		x := mustDecide(t, db, decision.Proposal{IP: "198.51.100.9", Scenario: "http-sqli"}, decision.OutcomeCreated)
		c.stream("")
		if _, err := decision.Revoke(ctx, db, analyst, x.ID, "wrong"); err != nil {
			t.Fatal(err)
		}
		x2 := mustDecide(t, db, decision.Proposal{IP: "198.51.100.9", Scenario: "http-sqli"}, decision.OutcomeCreated)
		s, body = c.stream("")
		sameIDs(t, "re-blocked new", s.New, x2.ID)
		if s.Deleted != nil {
			t.Fatalf("a re-blocked address was deleted: %s", body)
		}

		// A HEAD reads nothing and moves nothing.
		y := mustDecide(t, db, decision.Proposal{IP: "198.51.100.10", Scenario: "http-sqli"}, decision.OutcomeCreated)
		if code, _, body := c.do(http.MethodHead, "/v1/decisions/stream"); code != http.StatusOK || body != "" {
			t.Fatalf("HEAD: %d %q", code, body)
		}
		s, _ = c.stream("")
		sameIDs(t, "new after HEAD", s.New, y.ID)

		// A restarted bouncer gets everything active, and what ended lately.
		s, body = c.stream("?startup=true")
		sameIDs(t, "restart new", s.New, r.ID, p.ID, x2.ID, y.ID)
		sameIDs(t, "restart deleted", s.Deleted, a.ID, b.ID)
		if shape(t, body) != shape(t, crowdsecBoth) {
			t.Fatalf("restart shape %s", shape(t, body))
		}

		fw := c
		fw.ua = "crowdsec-firewall-bouncer/v0.0.28-debian"
		if s, _ := fw.stream("?startup=true"); s.Deleted != nil || len(s.New) != 4 {
			t.Fatalf("the firewall bouncer's startup: %+v", s)
		}

		// The filters bouncers send.
		for q, want := range map[string][]int64{
			"?startup=true&scopes=range":                      {r.ID},
			"?startup=true&scopes=Ip":                         {p.ID, x2.ID, y.ID},
			"?startup=true&scopes=ip,RANGE":                   {r.ID, p.ID, x2.ID, y.ID},
			"?startup=true&scopes=country":                    {},
			"?startup=true&origins=manual":                    {r.ID},
			"?startup=true&origins=garda,crowdsec":            {p.ID, x2.ID, y.ID},
			"?startup=true&scenarios_containing=SQLI,farm":    {r.ID, x2.ID, y.ID},
			"?startup=true&scenarios_not_containing=sqli,xss": {r.ID},
			"?startup=true&scenarios_containing=%25":          {},
			"?startup=true&scenarios_not_containing=":         {r.ID, p.ID, x2.ID, y.ID},
		} {
			s, _ := c.stream(q)
			sameIDs(t, q, s.New, want...)
		}

		c.stream("")
		bs, err := decision.ListBouncers(ctx, db, false)
		if err != nil || len(bs) != 1 || bs[0].LastPullAt == nil || bs[0].LastPullIP != "127.0.0.1" || bs[0].UserAgent != "garda-test/1.0" {
			t.Fatalf("last pull not recorded: %+v, %v", bs, err)
		}
		verifyAudit(t, db)
	})
}

// TestLAPIDecisions is the live-mode query a bouncer makes per request.
func TestLAPIDecisions(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := people(t, db)
		analyst := who["bssn.analyst"]
		_, c := newLAPI(t, db)
		mk := func(value, typ string) decision.Decision {
			d, err := decision.Create(ctx, db, analyst, decision.Input{Value: value, Type: typ, Reason: "test " + value})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		rng := mk("10.1.0.0/16", "ban")
		ip := mk("198.51.100.5", "captcha")
		v6 := mk("2001:db8:5::/64", "ban")
		gone := mk("198.51.100.6", "ban")
		if _, err := decision.Revoke(ctx, db, analyst, gone.ID, "x"); err != nil {
			t.Fatal(err)
		}
		old := mk("198.51.100.7", "ban")
		age(t, db, old.ID, 5*time.Hour)
		mustDecide(t, db, decision.Proposal{IP: "198.51.100.8", Scenario: "http-xss"}, decision.OutcomeProposed)

		list := func(q string) ([]lapiDecision, string) {
			body := c.get("/v1/decisions" + q)
			var out []lapiDecision
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			return out, body
		}
		got, body := list("?ip=10.1.2.3")
		sameIDs(t, "ip inside a banned range", got, rng.ID)
		if shape(t, body) != shape(t, crowdsecList) {
			t.Fatalf("list shape %s, want %s", shape(t, body), shape(t, crowdsecList))
		}
		for q, want := range map[string][]int64{
			"":                                 {rng.ID, ip.ID, v6.ID},
			"?ip=10.2.0.1":                     nil,
			"?range=10.1.2.0/24":               {rng.ID},
			"?range=10.0.0.0/8":                nil,
			"?range=10.0.0.0/8&contains=false": {rng.ID},
			"?ip=2001:db8:5::1":                {v6.ID},
			"?ip=2001:db8:6::1":                nil,
			"?ip=::ffff:10.1.0.1":              {rng.ID},
			"?ip=198.51.100.5&type=ban":        nil,
			"?ip=198.51.100.5&type=captcha":    {ip.ID},
			"?scope=ip&value=198.51.100.5":     {ip.ID},
			"?scope=range&value=198.51.100.5":  nil,
			"?value=10.1.0.0/16":               {rng.ID},
			"?ip=198.51.100.6":                 nil, // revoked
			"?ip=198.51.100.7":                 nil, // expired
			"?ip=198.51.100.8":                 nil, // proposed
			"?origins=garda":                   nil,
			"?scenarios_containing=2001":       {v6.ID},
		} {
			got, body := list(q)
			if want == nil && body != crowdsecNone {
				t.Errorf("%s: %s, want %s", q, body, crowdsecNone)
				continue
			}
			sameIDs(t, q, got, want...)
		}
		if code, _, body := c.do(http.MethodHead, "/v1/decisions?ip=10.1.2.3"); code != http.StatusOK || body != "" {
			t.Errorf("HEAD: %d %q", code, body)
		}
		bs, _ := decision.ListBouncers(ctx, db, false)
		if bs[0].LastPullAt == nil {
			t.Error("a live-mode query was not recorded as a pull")
		}
	})
}

// TestStreamUnderConcurrentWrites: a bouncer that applies every pull (its
// deletions, then its new decisions) ends up holding exactly the active
// decisions, however its pulls interleave with the writers' transactions.
func TestStreamUnderConcurrentWrites(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, c := newLAPI(t, db)
		held := map[string]bool{}
		apply := func(s lapiStream) {
			for _, d := range s.Deleted {
				delete(held, d.Value)
			}
			for _, d := range s.New {
				held[d.Value] = true
			}
		}
		s, _ := c.stream("?startup=true")
		apply(s)

		const writers, each = 4, 12
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			go func(w int) {
				for i := 0; i < each; i++ {
					d, err := decision.Decide(ctx, db, decision.Proposal{IP: fmt.Sprintf("198.51.%d.%d", 100+w, i+1), Scenario: "http-sqli"})
					if err == nil && i%3 == 0 {
						_, err = decision.RevokeBy(ctx, db, audit.System, d.ID, "test")
					}
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}(w)
		}
		done, pulls := 0, 0
		for ; done < writers && pulls < 10000; pulls++ {
			select {
			case err := <-errs:
				if err != nil {
					t.Fatal(err)
				}
				done++
			default:
			}
			s, _ := c.stream("")
			apply(s)
		}
		if done < writers {
			t.Fatal("the writers did not finish")
		}
		t.Logf("%d pulls while %d writers worked", pulls, writers)
		s, _ = c.stream("")
		apply(s)

		active, err := decision.ListAll(ctx, db, decision.Filter{Status: "active", Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, d := range active {
			want[d.Value] = true
		}
		if len(want) != writers*(each-each/3) || fmt.Sprint(held) != fmt.Sprint(want) {
			t.Fatalf("the bouncer holds %d addresses, %d are active:\nheld %v\nwant %v", len(held), len(want), held, want)
		}
	})
}

// TestNoDuplicatesUnderConcurrency: decisions for one address made at the
// same time leave one decision.
func TestNoDuplicatesUnderConcurrency(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 8
		errs := make(chan error, n)
		scenarios := []string{"http-sqli", "http-rce", "http-probing", "http-scanner"}
		for i := 0; i < n; i++ {
			go func(i int) {
				_, err := decision.Decide(ctx, db, decision.Proposal{IP: "2001:db8::77", Scenario: scenarios[i%len(scenarios)]})
				errs <- err
			}(i)
		}
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if got := countFor(t, db, "2001:db8::77"); got != 1 {
			t.Fatalf("%d decisions for one address", got)
		}
		verifyAudit(t, db)
	})
}

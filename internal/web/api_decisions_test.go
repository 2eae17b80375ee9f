package web

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestBlockAnswersAsTheDecisionIsRead: blocking an address already blocked
// by a decision the person may not read (made from a RED alert) says only
// what happened to the address and until when, nothing of that decision.
func TestBlockAnswersAsTheDecisionIsRead(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		var site struct {
			ID int64 `json:"id"`
		}
		w.call("jabar.analyst", "POST", "/api/v1/assets", `{"name":"KPU Jabar","kind":"site","region":"32","tlp":"RED"}`, 201, &site)
		ctx := context.Background()
		created, _, err := alert.Record(ctx, db, []alert.Signal{{Scenario: "http-sqli", Title: "SQL injection", Severity: "high",
			SourceIP: "203.0.113.7", AssetID: site.ID, Time: time.Now().UTC(), Count: 1}})
		if err != nil {
			t.Fatal(err)
		}
		hidden, err := decision.Decide(ctx, db, decision.Proposal{IP: "203.0.113.7", Scenario: "http-sqli", AlertID: created[0], Asset: site.ID, Region: "32"})
		if err != nil {
			t.Fatal(err)
		}
		w.call("kpu.analyst", "GET", "/api/v1/decisions/"+itoa(hidden.ID), "", 404, nil)

		for _, c := range []struct{ body, outcome string }{
			{`{"value":"203.0.113.7","duration":"1h","reason":"pemindaian"}`, decision.OutcomeCovered},
			// Longer: the hidden decision is extended (the address stays
			// blocked longer), and still nothing of it is said.
			{`{"value":"203.0.113.7","duration":"720h","reason":"pemindaian"}`, decision.OutcomeExtended},
		} {
			var got map[string]json.RawMessage
			w.call("kpu.analyst", "POST", "/api/v1/decisions", c.body, 200, &got)
			if len(got) != 3 || string(got["outcome"]) != `"`+c.outcome+`"` || string(got["value"]) != `"203.0.113.7"` || got["until"] == nil {
				t.Errorf("%s answers %v, want only outcome %s, value and until", c.body, keysOf(got), c.outcome)
			}
		}
		// A decision the person may read is answered whole.
		var own decision.Decision
		w.call("kpu.analyst", "POST", "/api/v1/decisions", `{"value":"203.0.113.9","reason":"pemindaian"}`, 201, &own)
		if own.ID == 0 || own.Reason != "pemindaian" || own.Outcome != decision.OutcomeCreated {
			t.Errorf("own block answered %+v", own)
		}
	})
}

func keysOf(m map[string]json.RawMessage) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestFindingsAPIBadInput: malformed filters and cursors of the findings
// and scans lists answer 400 in the problem shape, naming the parameter
// and saying what it takes; none is ignored (a misspelt filter would list
// everything) and none is guessed.
func TestFindingsAPIBadInput(t *testing.T) {
	w := newScanAPIWorld(t, storetest.SQLite(t))
	garbage := httpapi.EncodeCursor("not-an-id")
	cases := []struct {
		path, code, field, says string
	}{
		{"/api/v1/findings?limit=abc", "bad_request", "", "limit must be a whole number from 1 to 500"},
		{"/api/v1/findings?limit=0", "bad_request", "", "limit must be a whole number"},
		{"/api/v1/findings?limit=501", "bad_request", "", "limit must be a whole number"},
		{"/api/v1/findings?limit=-3", "bad_request", "", "limit must be a whole number"},
		{"/api/v1/findings?cursor=%25%25%25", "bad_request", "", "cursor is not one this server gave out"},
		{"/api/v1/findings?cursor=" + garbage, "bad_request", "", "cursor is not one this server gave out"},
		{"/api/v1/findings?cursor=" + httpapi.EncodeCursor("-4"), "bad_request", "", "cursor is not one this server gave out"},
		{"/api/v1/findings?cursor=" + strings.Repeat("QUFB", 100), "bad_request", "", "cursor is not one this server gave out"},
		{"/api/v1/findings?severity=loud", "validation_failed", "severity", "must be info, low, medium, high, critical or unknown"},
		{"/api/v1/findings?status=closed", "validation_failed", "status", "must be open, mitigated, false_positive or risk_accepted"},
		{"/api/v1/findings?status=open,mitigated", "validation_failed", "status", "must be open, mitigated"},
		{"/api/v1/findings?region=99", "validation_failed", "region", `unknown region code "99"`},
		{"/api/v1/findings?region=32.", "validation_failed", "region", "unknown region code"},
		{"/api/v1/findings?asset=abc", "validation_failed", "asset", "must be an asset id"},
		{"/api/v1/findings?asset=0", "validation_failed", "asset", "must be an asset id"},
		{"/api/v1/findings?overdue=maybe", "validation_failed", "overdue", "must be true or false"},
		{"/api/v1/findings?sevrity=high", "validation_failed", "sevrity", `unknown query parameter "sevrity": this list takes asset, cursor, limit, overdue, region, severity, status`},
		{"/api/v1/findings?severity=high&severity=low", "validation_failed", "severity", "severity is given 2 times: give it once"},
		{"/api/v1/findings?limit=5&limit=6", "validation_failed", "limit", "limit is given 2 times"},
		{"/api/v1/scans?status=sleeping", "validation_failed", "status", "must be queued, running, done, partial, failed or refused"},
		{"/api/v1/scans?asset=x", "validation_failed", "asset", "must be an asset id"},
		{"/api/v1/scans?cursor=" + garbage, "bad_request", "", "cursor is not one this server gave out"},
		{"/api/v1/scans?limit=100000", "bad_request", "", "limit must be a whole number"},
		{"/api/v1/scans?assets=1", "validation_failed", "assets", `unknown query parameter "assets": this list takes asset, cursor, limit, status`},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("GET", w.srv.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+w.tokens["jabar.analyst"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var p struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if err := json.Unmarshal(b, &p); err != nil || res.StatusCode != 400 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %q %s: want 400 in the problem shape", c.path, res.StatusCode, res.Header.Get("Content-Type"), b)
			continue
		}
		if p.Error.Code != c.code || p.Error.Field != c.field || !strings.Contains(p.Error.Message, c.says) {
			t.Errorf("%s: %+v, want code %s, field %q, a message saying %q", c.path, p.Error, c.code, c.field, c.says)
		}
	}

	// Good input still lists, and the cursor a list gives out is taken.
	for _, path := range []string{
		"/api/v1/findings?status=open&status=mitigated&severity=high&region=32&overdue=false&limit=1",
		"/api/v1/findings?cursor=" + url.QueryEscape(httpapi.EncodeCursor("7")),
		"/api/v1/scans?status=done&limit=2",
	} {
		w.call("jabar.analyst", "GET", path, "", 200, nil)
	}
	var list struct {
		NextCursor string `json:"next_cursor"`
	}
	w.call("jabar.analyst", "GET", "/api/v1/findings?limit=1", "", 200, &list)
	if list.NextCursor != "" {
		w.call("jabar.analyst", "GET", fmt.Sprintf("/api/v1/findings?limit=1&cursor=%s", list.NextCursor), "", 200, nil)
	}
}

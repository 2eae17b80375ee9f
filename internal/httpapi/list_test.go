package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/garda-id/garda/internal/problem"
)

// TestListByID pages through ids 1..7, newest first, three at a time, as a
// client does: each page asks for the items before the cursor, and the last
// page has no cursor.
func TestListByID(t *testing.T) {
	ids := []int64{7, 6, 5, 4, 3, 2, 1}
	list := func(before int64, limit int) ([]int64, error) {
		var out []int64
		for _, id := range ids {
			if (before == 0 || id < before) && len(out) < limit+1 {
				out = append(out, id)
			}
		}
		return out, nil
	}
	var got []int64
	cursor, pages := "", 0
	for {
		r := httptest.NewRequest("GET", "/x?limit=3&cursor="+cursor, nil)
		w := httptest.NewRecorder()
		if err := ListByID(w, r, func(id int64) int64 { return id }, list); err != nil {
			t.Fatal(err)
		}
		var page List[int64]
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		got, pages = append(got, page.Items...), pages+1
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if pages != 3 || len(got) != 7 || got[0] != 7 || got[6] != 1 {
		t.Fatalf("pages %d, items %v", pages, got)
	}
	for _, q := range []string{"/x?limit=0", "/x?cursor=bm90LWFuLWlk"} {
		err := ListByID(httptest.NewRecorder(), httptest.NewRequest("GET", q, nil), func(id int64) int64 { return id }, list)
		if !problem.Is(err, problem.BadRequest) {
			t.Errorf("%s: %v, want a bad request", q, err)
		}
	}
}

func TestBoolParam(t *testing.T) {
	for q, want := range map[string]bool{"": false, "?x=false": false, "?x=0": false, "?x=true": true, "?x=1": true} {
		if got, err := BoolParam(httptest.NewRequest("GET", "/"+q, nil), "x"); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", q, got, err, want)
		}
	}
	if _, err := BoolParam(httptest.NewRequest("GET", "/?x=yes", nil), "x"); !problem.Is(err, problem.Invalid) {
		t.Errorf("x=yes: %v, want an invalid field", err)
	}
}

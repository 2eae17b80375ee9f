package shell

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/problem"
)

func TestPathID(t *testing.T) {
	for _, c := range []struct {
		id   string
		want int64
	}{{"7", 7}, {"0", 0}, {"-3", 0}, {"x", 0}, {"99999999999999999999", 0}} {
		r := httptest.NewRequest("GET", "/x/"+c.id, nil)
		r.SetPathValue("id", c.id)
		got, err := PathID(r, "finding")
		if got != c.want || (c.want == 0) != problem.Is(err, problem.NotFound) {
			t.Errorf("PathID(%q) = %d, %v; want %d (a 404 when not an id)", c.id, got, err, c.want)
		}
	}
}

func TestPageURL(t *testing.T) {
	r := httptest.NewRequest("GET", "/uji-penetrasi?region=32&sebelum=9", nil)
	if got := PageURL(r, "sebelum", "4"); got != "/uji-penetrasi?region=32&sebelum=4" {
		t.Errorf("next page: %q", got)
	}
	if got := PageURL(r, "sebelum", ""); got != "/uji-penetrasi?region=32" {
		t.Errorf("first page: %q", got)
	}
	if got := PageURL(httptest.NewRequest("GET", "/uji-penetrasi?sebelum=9", nil), "sebelum", ""); got != "/uji-penetrasi" {
		t.Errorf("first page without filters: %q", got)
	}
}

func TestClientAddrAndWIB(t *testing.T) {
	for addr, want := range map[string]string{"192.0.2.1:4000": "192.0.2.1", "[2001:db8::1]:443": "2001:db8::1"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		if got := ClientAddr(r); got != want {
			t.Errorf("ClientAddr(%s) = %q, want %q", addr, got, want)
		}
	}
	if got := FormatWIB(time.Time{}); got != "—" {
		t.Errorf("no time shows as %q", got)
	}
	if got := FormatWIB(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)); got != "2026-12-07 08:00 WIB" {
		t.Errorf("01:00 UTC in WIB: %q", got)
	}
	if _, ok := FormFailed(problem.Field("x", "bad")); !ok {
		t.Error("an invalid field is the form's to show")
	}
	if _, ok := FormFailed(problem.New(problem.Forbidden, "no")); ok {
		t.Error("a refusal by role is an error page, not the form's")
	}
}

// TestPageOf: a list read with one row more than a page is cut to the
// page, with a link to the next that keeps the filters; the first page
// has no link back to itself, a later one does.
func TestPageOf(t *testing.T) {
	ids := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(100 - i)
		}
		return out
	}
	id := func(v int64) int64 { return v }
	keep := url.Values{"rating": {"hoaks"}}
	page, next, first := PageOf(ids(4), 3, id, "/klaim", keep, 0)
	if len(page) != 3 || next != "/klaim?before=98&rating=hoaks" || first != "" {
		t.Errorf("first page: %v %q %q", page, next, first)
	}
	page, next, first = PageOf(ids(2), 3, id, "/klaim", keep, 101)
	if len(page) != 2 || next != "" || first != "/klaim?rating=hoaks" {
		t.Errorf("last page: %v %q %q", page, next, first)
	}
	if _, _, first = PageOf(ids(1), 3, id, "/klaim", nil, 5); first != "/klaim" {
		t.Errorf("back to an unfiltered first page: %q", first)
	}
}

// TestFieldForm: a field's error is said beside it, any other in the
// form's banner.
func TestFieldForm(t *testing.T) {
	f := FieldForm{Err: problem.Field("claim", "is required"), Fields: []string{"claim", "rating"}}
	if f.E("claim") != "is required" || f.E("rating") != "" || f.Banner() != "" {
		t.Errorf("a field's error: E %q, banner %q", f.E("claim"), f.Banner())
	}
	f.Err = problem.Field("file", "too large")
	if f.E("claim") != "" || f.Banner() != "too large" {
		t.Errorf("another field's error: banner %q", f.Banner())
	}
	if (FieldForm{}).Banner() != "" {
		t.Error("a form without an error has a banner")
	}
}

package metrics

import (
	"strings"
	"testing"
)

func TestTextFormat(t *testing.T) {
	r := New()
	c := r.Counter("garda_http_requests_total", "HTTP requests.", "route", "code")
	c.Inc("GET /api/v1/me", "200")
	c.Inc("GET /api/v1/me", "200")
	c.Inc(`GET /x"y`, "404")
	h := r.Histogram("garda_http_request_seconds", "Latency.", []float64{0.1, 1}, "route")
	h.Observe(0.05, "r")
	h.Observe(0.5, "r")
	h.Observe(5, "r")
	r.GaugeFunc("garda_up", "Up.", func() float64 { return 1 })
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# TYPE garda_http_requests_total counter\n",
		`garda_http_requests_total{route="GET /api/v1/me",code="200"} 2` + "\n",
		`garda_http_requests_total{route="GET /x\"y",code="404"} 1` + "\n",
		"# TYPE garda_http_request_seconds histogram\n",
		`garda_http_request_seconds_bucket{route="r",le="0.1"} 1` + "\n",
		`garda_http_request_seconds_bucket{route="r",le="1"} 2` + "\n",
		`garda_http_request_seconds_bucket{route="r",le="+Inf"} 3` + "\n",
		`garda_http_request_seconds_sum{route="r"} 5.55` + "\n",
		`garda_http_request_seconds_count{route="r"} 3` + "\n",
		"# TYPE garda_up gauge\ngarda_up 1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// TestCounterSamples: a page reads back what a counter counted of one
// thing, and nothing of another.
func TestCounterSamples(t *testing.T) {
	c := New().Counter("garda_x_total", "X.", "asset", "reason")
	c.Add(3, "12", "bad_time")
	c.Add(2, "12", "bad_client_address")
	c.Inc("120", "bad_time")
	got := c.Samples("12")
	if len(got) != 2 || got[0].LabelValues[1] != "bad_client_address" || got[0].Value != 2 || got[1].Value != 3 {
		t.Fatalf("samples of asset 12: %+v", got)
	}
	if n := len(c.Samples()); n != 3 {
		t.Fatalf("%d samples in all, want 3", n)
	}
}

package main

import (
	"testing"

	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/ingest"
)

// TestRejectedWarning: a replay that refused lines says how many and why,
// the commonest reason first; one that refused none says nothing.
func TestRejectedWarning(t *testing.T) {
	res := detect.ReplayResult{Lines: 10, Accepted: 4}
	if w := rejectedWarning("nginx", res); w != "" {
		t.Errorf("warning with nothing rejected: %q", w)
	}
	res.Rejected[ingest.BadTime], res.Rejected[ingest.BadClientAddress] = 1, 5
	want := "warning: 6 of 10 lines not read as nginx, and not detected over (bad_client_address 5, bad_time 1)"
	if w := rejectedWarning("nginx", res); w != want {
		t.Errorf("got  %q\nwant %q", w, want)
	}
}

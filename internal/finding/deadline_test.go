package finding

import (
	"testing"
	"time"
)

func TestDeadlines(t *testing.T) {
	first := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for sev, days := range map[string]int{"critical": 15, "high": 30, "medium": 90, "low": 180} {
		if due := DefaultDeadlines.Due(sev, first); due == nil || !due.Equal(first.AddDate(0, 0, days)) {
			t.Errorf("%s: due %v, want %d days", sev, due, days)
		}
	}
	for _, sev := range []string{"info", "unknown", ""} {
		if due := DefaultDeadlines.Due(sev, first); due != nil {
			t.Errorf("%s has a deadline: %v", sev, due)
		}
	}
	d, err := ParseDeadlines("critical=7d, high=336h, low=0")
	if err != nil {
		t.Fatal(err)
	}
	if d["critical"] != 7*day || d["high"] != 14*day || d["medium"] != 90*day || d.Due("low", first) != nil {
		t.Errorf("parsed %v", d)
	}
	for _, bad := range []string{"critical", "info=3d", "severe=3d", "high=-1d", "high=x", "high=-3h"} {
		if _, err := ParseDeadlines(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

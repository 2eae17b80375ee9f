package incident

import (
	"testing"
	"time"
)

func TestClocks(t *testing.T) {
	t0 := time.Date(2024, 2, 14, 8, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	cases := []struct {
		name     string
		inc      Incident
		reported *time.Time
		now      time.Duration
		want     map[string]string
	}{
		{"critical, fresh", Incident{Severity: "critical", DetectedAt: t0}, nil, 10 * time.Minute,
			map[string]string{"first_response": ClockRunning, "containment": ClockRunning, "bssn_report": ClockRunning}},
		{"critical, near the first-response target", Incident{Severity: "critical", DetectedAt: t0}, nil, 50 * time.Minute,
			map[string]string{"first_response": ClockAmber, "containment": ClockRunning, "bssn_report": ClockRunning}},
		{"high, answered in time, reported late", Incident{Severity: "high", DetectedAt: t0, FirstResponseAt: at(time.Hour)}, at(30 * time.Hour), 31 * time.Hour,
			map[string]string{"first_response": ClockMet, "containment": ClockMissed, "bssn_report": ClockLate}},
		{"medium: no BSSN clock", Incident{Severity: "medium", DetectedAt: t0, ContainedAt: at(80 * time.Hour), FirstResponseAt: at(2 * time.Hour)}, nil, 100 * time.Hour,
			map[string]string{"first_response": ClockMet, "containment": ClockLate}},
	}
	for _, c := range cases {
		got := map[string]string{}
		for _, cl := range Clocks(c.inc, DefaultTargets, c.reported, t0.Add(c.now)) {
			got[cl.Name] = cl.State
			if cl.State == ClockMissed && cl.Remaining >= 0 {
				t.Errorf("%s: a missed clock has %v left", c.name, cl.Remaining)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: clocks %v, want %v", c.name, got, c.want)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %s is %s, want %s", c.name, k, got[k], v)
			}
		}
	}
}

package room

import (
	"testing"
	"time"

	"github.com/garda-id/garda/internal/calendar"
)

// The job wakes exactly at the next boundary when one is near, and at
// least every ten minutes otherwise.
func TestPostureJobDue(t *testing.T) {
	j := PostureJob(nil, nil, nil, nil)
	before := time.Date(2024, 2, 10, 14, 55, 0, 0, time.UTC)
	if got, want := j.Due(before), time.Date(2024, 2, 11, 0, 0, 0, 0, calendar.WIT); !got.Equal(want) {
		t.Errorf("Due(%s) = %s, want WIT midnight %s", before, got, want)
	}
	quiet := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := j.Due(quiet); !got.Equal(quiet.Add(10 * time.Minute)) {
		t.Errorf("Due with no boundary near = %s", got)
	}
}

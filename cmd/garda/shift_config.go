package main

import (
	"fmt"
	"os"
	"time"

	"github.com/garda-id/garda/internal/shift"
)

// lateEscalateAfter is GARDA_LATE_REPORT_ESCALATE: how long a regency's
// shift report, flagged late to its province and still missing, waits
// before it goes on to the national room (default shift.EscalateAfter).
func lateEscalateAfter() (time.Duration, error) {
	v := os.Getenv("GARDA_LATE_REPORT_ESCALATE")
	if v == "" {
		return shift.EscalateAfter, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("GARDA_LATE_REPORT_ESCALATE=%q: a positive duration such as 2h or 90m", v)
	}
	return d, nil
}

package calendar

import "time"

// DueAtBoundary is when a job that follows the phases is next due after t:
// at the next phase boundary in any of Indonesia's zones, and at least
// every ten minutes (a coordinator may have entered a phase since, or every
// instance was down across a boundary).
func DueAtBoundary(t time.Time) time.Time {
	next := t.Add(10 * time.Minute)
	if b := Shipped().NextBoundary(t, Zones...); !b.IsZero() && b.Before(next) {
		next = b
	}
	return next
}

package shift

import (
	"testing"
	"time"

	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/problem"
)

func TestTimesAt(t *testing.T) {
	custom := Times{Pagi: "06:00", Siang: "14:00", Malam: "22:00"}
	for _, c := range []struct {
		times Times
		zone  *time.Location
		at    time.Time
		want  string
		start time.Time
	}{
		{DefaultTimes, calendar.WIB, time.Date(2024, 2, 5, 8, 0, 0, 0, calendar.WIB), "2024-02-05-pagi", time.Date(2024, 2, 5, 7, 0, 0, 0, calendar.WIB)},
		{DefaultTimes, calendar.WIB, time.Date(2024, 2, 5, 6, 59, 0, 0, calendar.WIB), "2024-02-04-malam", time.Date(2024, 2, 4, 23, 0, 0, 0, calendar.WIB)},
		{DefaultTimes, calendar.WIB, time.Date(2024, 2, 5, 23, 0, 0, 0, calendar.WIB), "2024-02-05-malam", time.Date(2024, 2, 5, 23, 0, 0, 0, calendar.WIB)},
		{DefaultTimes, calendar.WIB, time.Date(2024, 2, 5, 15, 0, 0, 0, calendar.WIB), "2024-02-05-siang", time.Date(2024, 2, 5, 15, 0, 0, 0, calendar.WIB)},
		// The same instant is another shift in Papua (WIT, two hours ahead).
		{DefaultTimes, calendar.WIT, time.Date(2024, 2, 5, 14, 0, 0, 0, calendar.WIB), "2024-02-05-siang", time.Date(2024, 2, 5, 15, 0, 0, 0, calendar.WIT)},
		{custom, calendar.WITA, time.Date(2024, 2, 5, 5, 0, 0, 0, calendar.WITA), "2024-02-04-malam", time.Date(2024, 2, 4, 22, 0, 0, 0, calendar.WITA)},
		{custom, calendar.WITA, time.Date(2024, 2, 5, 13, 59, 0, 0, calendar.WITA), "2024-02-05-pagi", time.Date(2024, 2, 5, 6, 0, 0, 0, calendar.WITA)},
	} {
		w := c.times.At(c.at, c.zone)
		if w.ID() != c.want || !w.Start.Equal(c.start) {
			t.Errorf("At(%s %s) = %s from %s, want %s from %s", c.at, c.zone, w.ID(), w.Start, c.want, c.start)
		}
		if n := c.times.Next(w, c.zone); !n.Start.Equal(w.End) {
			t.Errorf("next of %s starts %s, want %s", w.ID(), n.Start, w.End)
		}
		if p := c.times.Prev(w, c.zone); !p.End.Equal(w.Start) {
			t.Errorf("prev of %s ends %s, want %s", w.ID(), p.End, w.Start)
		}
		if got, err := ParseKey(w.ID(), c.times, c.zone, time.Time{}); err != nil || got != w {
			t.Errorf("ParseKey(%s) = %v %v", w.ID(), got, err)
		}
	}
	for _, bad := range []Times{{Pagi: "07:00", Siang: "06:00", Malam: "23:00"}, {Pagi: "7:00", Siang: "15:00", Malam: "23:00"}, {Pagi: "07:00", Siang: "15:00"}} {
		if err := bad.Validate(); !problem.Is(err, problem.Invalid) {
			t.Errorf("Validate(%v) = %v, want refused", bad, err)
		}
	}
	for _, bad := range []string{"2024-02-05-sore", "2024-13-05-pagi", "pagi", "2024-02-05"} {
		if _, err := ParseKey(bad, DefaultTimes, calendar.WIB, time.Now()); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

package shift

import "testing"

// TestConsolidate: staffing and checklists add up across the rooms below
// that sent their report; the region's figures take the larger of the
// room's own count and the sum below (never the two added: the rooms
// below's regions lie inside the room's); a province's report in the
// national room's counts with its own merged figures; missing reports
// count for nothing.
func TestConsolidate(t *testing.T) {
	c := Counts{OnDuty: 3, MinStaff: 4, ChecklistDone: 2, ChecklistTotal: 4, NewAlerts: 10, OpenIncidents: 1, PatrolWaiting: 7}
	below := []Below{
		{Status: Sent, Counts: &Counts{OnDuty: 2, MinStaff: 2, ChecklistDone: 4, ChecklistTotal: 4, NewAlerts: 6, OpenIncidents: 2}},
		{Status: Sent, Counts: &Counts{OnDuty: 1, MinStaff: 2, ChecklistTotal: 4, NewAlerts: 3, OpenIncidents: 1, PatrolWaiting: 1,
			Consolidated: &Counts{OnDuty: 5, MinStaff: 6, ChecklistTotal: 8, NewAlerts: 3, OpenIncidents: 1, PatrolWaiting: 2}}},
		{Status: "missing"},
	}
	consolidate(&c, below)
	m := c.Consolidated
	if m == nil || c.RoomsBelow != 3 || c.ReportsBelow != 2 {
		t.Fatalf("consolidated %+v, rooms below %d, reports %d", m, c.RoomsBelow, c.ReportsBelow)
	}
	want := Counts{OnDuty: 3 + 2 + 5, MinStaff: 4 + 2 + 6, ChecklistDone: 2 + 4, ChecklistTotal: 4 + 4 + 8,
		NewAlerts: 10, OpenIncidents: 3, PatrolWaiting: 7}
	if *m != want {
		t.Errorf("merged %+v, want %+v", *m, want)
	}
	alone := Counts{OnDuty: 1}
	consolidate(&alone, nil)
	if alone.Consolidated != nil || alone.RoomsBelow != 0 {
		t.Errorf("a room with none below consolidated: %+v", alone)
	}
}

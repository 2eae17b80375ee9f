package demo

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/store"
)

// checkIncidentsLookWorked: the demo's incidents are seen as the task
// force would leave them: moved on from "new", assigned, their clocks met
// or running but for exactly one missed, so an inbox does not open on a
// wall of missed deadlines, nor on none at all.
func checkIncidentsLookWorked(t *testing.T, db *store.DB, w World) {
	ctx := context.Background()
	if w.Incidents != 6 {
		t.Fatalf("%d demo incidents, want 6", w.Incidents)
	}
	rows, err := db.Query(ctx, `SELECT human_id, status, assignee_id IS NOT NULL FROM incidents ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[incident.Status]int{}
	var openUnassigned []string
	for rows.Next() {
		var id string
		var st incident.Status
		var assigned bool
		if err := rows.Scan(&id, &st, &assigned); err != nil {
			t.Fatal(err)
		}
		statuses[st]++
		if !st.Done() && !assigned {
			openUnassigned = append(openUnassigned, id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if statuses[incident.New] > 1 || statuses[incident.Triage] == 0 || statuses[incident.Containment]+statuses[incident.Eradication] == 0 || statuses[incident.Closed] != 2 {
		t.Errorf("demo incidents by status: %v; want at most one new, some in triage and in containment, two closed", statuses)
	}
	if len(openUnassigned) > 1 {
		t.Errorf("open incidents with no assignee: %v; want only the one nobody picked up", openUnassigned)
	}
	missed, err := incident.MissedClocks(ctx, db, store.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(missed) != 1 || missed[0].Clock != "first_response" {
		t.Errorf("missed clocks: %+v; want exactly one, a first response", missed)
	}
}

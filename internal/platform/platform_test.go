package platform

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestOpenStoreIndexesIncidents: incidents the search index does not hold
// (those written before migration 0020) are indexed when the store opens.
func TestOpenStoreIndexesIncidents(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { reopen(t, Config{DataDir: t.TempDir()}) })
	t.Run("postgres", func(t *testing.T) { reopen(t, Config{Database: storetest.PostgresURL(t)}) })
}

func reopen(t *testing.T, cfg Config) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	// An incident as the tables held it before the index.
	now := store.Now()
	if _, err := db.Exec(ctx, `INSERT INTO incidents (human_id, year, seq, title, category, severity, tlp, pap, region, owner_org_id,
		status, detected_at, reported_at, created_at, updated_at)
		SELECT 'INC-2026-000001', 2026, 1, 'Lama', 'other', 'low', 'GREEN', 'GREEN', '', MIN(id), 'new', ?, ?, ?, ? FROM orgs`,
		now, now, now, now); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = OpenStore(ctx, cfg, log); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM incident_search`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the search index holds %d incidents (%v) after start, want 1", n, err)
	}
}

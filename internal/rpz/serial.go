package rpz

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// The zone serial lives in the database (rpz_zone), so every instance
// publishes the same one and it only moves forward. A fresh database starts
// it at the current Unix time: a resolver that kept an older zone from an
// earlier database still sees the new one as newer.

func initZone(ctx context.Context, q store.Querier) error {
	_, err := q.Exec(ctx, `INSERT INTO rpz_zone (id, serial) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`, time.Now().Unix())
	return err
}

// nextSerial moves the serial on, in the change's transaction (the row
// lock makes concurrent changes take turns), and returns the new one.
func nextSerial(ctx context.Context, tx *store.Tx) (uint32, error) {
	if err := initZone(ctx, tx); err != nil {
		return 0, fmt.Errorf("zone serial: %w", err)
	}
	var s int64
	// SOA serials are 32-bit and compared in serial arithmetic (RFC 1982):
	// past 2^32-1 the stored value wraps to 1, which resolvers read as newer.
	if err := tx.QueryRow(ctx, `UPDATE rpz_zone SET serial = CASE WHEN serial >= 4294967295 THEN 1 ELSE serial + 1 END WHERE id = 1 RETURNING serial`).Scan(&s); err != nil {
		return 0, fmt.Errorf("zone serial: %w", err)
	}
	// The journal keeps the last JournalSerials changes: a resolver further
	// behind gets the whole zone, as after the serial's wrap.
	if s > JournalSerials {
		if _, err := tx.Exec(ctx, `DELETE FROM rpz_journal WHERE serial <= ?`, s-JournalSerials); err != nil {
			return 0, fmt.Errorf("prune zone journal: %w", err)
		}
	}
	return uint32(s), nil
}

// JournalSerials is how many changes back IXFR reaches.
const JournalSerials = 10000

// Serial is the zone's current serial.
func Serial(ctx context.Context, q store.Querier) (uint32, error) {
	var s int64
	err := q.QueryRow(ctx, `SELECT serial FROM rpz_zone WHERE id = 1`).Scan(&s)
	if err == nil {
		return uint32(s), nil
	}
	if err := initZone(ctx, q); err != nil {
		return 0, fmt.Errorf("zone serial: %w", err)
	}
	if err := q.QueryRow(ctx, `SELECT serial FROM rpz_zone WHERE id = 1`).Scan(&s); err != nil {
		return 0, fmt.Errorf("zone serial: %w", err)
	}
	return uint32(s), nil
}

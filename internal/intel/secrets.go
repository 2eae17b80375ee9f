package intel

import (
	"context"
	"fmt"

	"github.com/garda-id/garda/internal/store"
)

// SealColumn seals the clear values of one column of a table with an id
// key, each row only if it is still the value read (another instance may
// seal at the same moment).
func SealColumn(ctx context.Context, db *store.DB, table, column, purpose string) (int, error) {
	rows, err := db.Query(ctx, `SELECT id, `+column+` FROM `+table+` WHERE `+column+` <> '' AND `+column+` NOT LIKE 'garda-sealed:%'`)
	if err != nil {
		return 0, fmt.Errorf("read %s.%s: %w", table, column, err)
	}
	type clear struct {
		id    int64
		value string
	}
	list, err := store.Collect(rows, func(r store.Scanner) (clear, error) {
		var c clear
		return c, r.Scan(&c.id, &c.value)
	})
	if err != nil || len(list) == 0 {
		return 0, err
	}
	key, err := db.Secrets()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list {
		sealed, err := key.Seal(purpose, c.value)
		if err != nil {
			return n, err
		}
		res, err := db.Exec(ctx, `UPDATE `+table+` SET `+column+` = ? WHERE id = ? AND `+column+` = ?`, sealed, c.id, c.value)
		if err != nil {
			return n, fmt.Errorf("seal %s.%s of %d: %w", table, column, c.id, err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	if n > 0 && db.Dialect() == store.SQLite {
		// SQLite leaves the old cells in free space and the WAL: rewrite
		// the file and empty the WAL so the clear values are gone from disk.
		if _, err := db.Exec(ctx, `VACUUM`); err != nil {
			return n, fmt.Errorf("rewrite the database after sealing: %w", err)
		}
		if _, err := db.Exec(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return n, fmt.Errorf("checkpoint after sealing: %w", err)
		}
	}
	return n, nil
}

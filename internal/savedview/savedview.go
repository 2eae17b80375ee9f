// Package savedview keeps a person's saved views of a queue: a name and the
// filters (a query string) of a page such as the incident queue. Views are
// private to their owner; they hold filters, never records.
package savedview

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// View is one saved view.
type View struct {
	ID        int64     `json:"id"`
	Page      string    `json:"page"`
	Name      string    `json:"name"`
	Query     string    `json:"query"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxPerPage bounds how many views one person keeps for a page.
const MaxPerPage = 30

// Save stores (or replaces, by name) a view of page for who.
func Save(ctx context.Context, db *store.DB, who auth.Principal, page, name, query string) (View, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 60 {
		return View{}, problem.Field("name", "name the view (at most 60 characters)")
	}
	if _, err := url.ParseQuery(query); err != nil || len(query) > 1000 {
		return View{}, problem.Field("query", "not a set of filters")
	}
	v := View{Page: page, Name: name, Query: query, CreatedAt: store.Now()}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM saved_views WHERE user_id = ? AND page = ? AND name <> ?`, who.User.ID, page, name).Scan(&n); err != nil {
			return err
		}
		if n >= MaxPerPage {
			return problem.New(problem.Conflict, "at most %d saved views per page: delete one first", MaxPerPage)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM saved_views WHERE user_id = ? AND page = ? AND name = ?`, who.User.ID, page, name); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO saved_views (user_id, page, name, query, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			who.User.ID, page, name, query, v.CreatedAt).Scan(&v.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "view.save", "saved_view", v.ID, v)
	})
	if err != nil {
		return View{}, fmt.Errorf("save view: %w", err)
	}
	return v, nil
}

// List returns who's views of page, by name.
func List(ctx context.Context, q store.Querier, who auth.Principal, page string) ([]View, error) {
	rows, err := q.Query(ctx, `SELECT id, page, name, query, created_at FROM saved_views WHERE user_id = ? AND page = ? ORDER BY name`, who.User.ID, page)
	if err != nil {
		return nil, fmt.Errorf("saved views: %w", err)
	}
	defer rows.Close()
	var out []View
	for rows.Next() {
		var v View
		if err := rows.Scan(&v.ID, &v.Page, &v.Name, &v.Query, &v.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Delete removes one of who's views; another person's is not found.
func Delete(ctx context.Context, db *store.DB, who auth.Principal, id int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM saved_views WHERE id = ? AND user_id = ?`, id, who.User.ID).Scan(&one)
		if errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "no saved view %d", id)
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM saved_views WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "view.delete", "saved_view", id, nil)
	})
}

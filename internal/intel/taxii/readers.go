package taxii

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// countRead records that p read n objects of a collection.
func (s *Server) countRead(ctx context.Context, root, collection string, p *auth.Principal, n int) {
	now := store.Now()
	_, err := s.DB.Exec(ctx, `INSERT INTO taxii_reads (api_root, collection_id, user_id, reads, objects, first_read_at, last_read_at)
		VALUES (?, ?, ?, 1, ?, ?, ?)
		ON CONFLICT (api_root, collection_id, user_id) DO UPDATE SET reads = taxii_reads.reads + 1,
			objects = taxii_reads.objects + excluded.objects, last_read_at = excluded.last_read_at`,
		root, collection, p.User.ID, n, now, now)
	if err != nil && s.Log != nil {
		s.Log.Warn("taxii: could not count a read", "err", err)
	}
}

// Reader is someone who read a collection over TAXII.
type Reader struct {
	CollectionID string    `json:"collection_id"`
	Username     string    `json:"username"`
	Org          string    `json:"org"`
	Reads        int64     `json:"reads"`
	Objects      int64     `json:"objects"`
	LastReadAt   time.Time `json:"last_read_at"`
}

// Readers lists who read the collections of an API root: everyone for an
// administrator or a coordinator, otherwise the people of the principal's
// organisation and of those below it.
func Readers(ctx context.Context, q store.Querier, who auth.Principal, root string) ([]Reader, error) {
	where, args := "r.api_root = ?", []any{root}
	if !who.Can(policy.ManageUsers) && who.Viewer.Role != policy.RoleCoordinator {
		lin := append([]int64{who.Org.ID}, who.Viewer.Lineage...)
		where += " AND u.org_id IN (" + store.In(len(lin)) + ")"
		for _, id := range lin {
			args = append(args, id)
		}
	}
	rows, err := q.Query(ctx, `SELECT r.collection_id, u.username, o.slug, r.reads, r.objects, r.last_read_at
		FROM taxii_reads r JOIN users u ON u.id = r.user_id JOIN orgs o ON o.id = u.org_id
		WHERE `+where+` ORDER BY r.last_read_at DESC LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("taxii readers: %w", err)
	}
	return store.Collect(rows, func(r store.Scanner) (Reader, error) {
		var x Reader
		return x, r.Scan(&x.CollectionID, &x.Username, &x.Org, &x.Reads, &x.Objects, &x.LastReadAt)
	})
}

// CollectionsFor lists the collections of an API root as p sees them.
func CollectionsFor(root string, p auth.Principal) []Collection { return collectionsFor(root, &p) }

// Roots are the server's API roots (its sharing communities).
func (s *Server) Roots() []Community { return s.communities() }

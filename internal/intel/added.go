package intel

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// AddedFilter narrows ListAdded: the indicators a reader may read in the
// order they were added or last changed (TAXII's date_added of the latest
// version is the indicator's modified_at: a revocation is a new version).
type AddedFilter struct {
	After   time.Time    // modified strictly after (zero: from the start)
	TLP     []policy.TLP // any of these (empty: any)
	Owner   int64        // one organisation's (0: any)
	STIXIDs []string     // these ids only (empty: any)
	// Cursor: after (CursorAt, CursorID) in (modified_at, id) order.
	CursorAt time.Time
	CursorID int64
	Limit    int // default 100, at most 1000; ListAdded returns up to Limit+1
}

// ListAdded returns the indicators the principal may read, oldest change
// first, up to Limit+1 so the caller can tell whether there is more.
// Visibility is decided in the query (policy.ReadFilter): RED only to the
// named users, AMBER as the rules allow.
func ListAdded(ctx context.Context, q store.Querier, who auth.Principal, f AddedFilter) ([]Indicator, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	where := []string{vis}
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	if !f.After.IsZero() {
		add("i.modified_at > ?", f.After.UTC())
	}
	if len(f.TLP) > 0 {
		for _, t := range f.TLP {
			args = append(args, string(t))
		}
		where = append(where, "i.tlp IN ("+store.In(len(f.TLP))+")")
	}
	if f.Owner > 0 {
		add("i.owner_org_id = ?", f.Owner)
	}
	if len(f.STIXIDs) > 0 {
		for _, id := range f.STIXIDs {
			args = append(args, id)
		}
		where = append(where, "i.stix_id IN ("+store.In(len(f.STIXIDs))+")")
	}
	if f.CursorID > 0 {
		add("(i.modified_at > ? OR (i.modified_at = ? AND i.id > ?))", f.CursorAt.UTC(), f.CursorAt.UTC(), f.CursorID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY i.modified_at, i.id LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list indicators by date added: %w", err)
	}
	return store.Collect(rows, scan)
}

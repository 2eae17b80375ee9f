package takedown

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/store"
)

// Stats are a platform's figures over the requests a reader may see: how
// many requests stand where, how its URLs were answered, and how many
// were taken down (removed or restricted) within the deadline.
type Stats struct {
	Requests       map[string]int `json:"requests"` // by status
	URLs           map[string]int `json:"urls"`     // by outcome
	TakenDown      int            `json:"taken_down"`
	WithinDeadline int            `json:"within_deadline"`
	// ShareWithinDeadline is WithinDeadline over the URLs of sent
	// requests whose deadline has passed or that were answered (0-1).
	ShareWithinDeadline float64 `json:"share_within_deadline"`
}

// PlatformStats counts a platform's requests and URLs that who may read.
// The counting runs in the query, under the same visibility as List.
func PlatformStats(ctx context.Context, q store.Querier, who auth.Principal, platformID int64, now time.Time) (Stats, error) {
	st := Stats{Requests: map[string]int{}, URLs: map[string]int{}}
	vis, args, _, err := visibility(ctx, q, who.Viewer)
	if err != nil {
		return st, err
	}
	rows, err := q.Query(ctx, `SELECT t.status, COUNT(*) FROM takedowns t WHERE t.platform_id = ? AND `+vis+` GROUP BY t.status`,
		append([]any{platformID}, args...)...)
	if err != nil {
		return st, fmt.Errorf("count platform requests: %w", err)
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return st, err
		}
		st.Requests[s] = n
	}
	rows.Close()
	// Per outcome, and whether the answer came by the deadline.
	rows, err = q.Query(ctx, `SELECT tu.outcome, CASE WHEN tu.answered_at IS NOT NULL AND tu.answered_at <= t.due_at THEN 1 ELSE 0 END,
		CASE WHEN t.due_at IS NOT NULL AND (t.due_at < ? OR tu.outcome <> ?) THEN 1 ELSE 0 END, COUNT(*)
		FROM takedown_urls tu JOIN takedowns t ON t.id = tu.takedown_id WHERE t.platform_id = ? AND `+vis+` GROUP BY 1, 2, 3`,
		append([]any{now, Pending, platformID}, args...)...)
	if err != nil {
		return st, fmt.Errorf("count platform URLs: %w", err)
	}
	defer rows.Close()
	judged := 0
	for rows.Next() {
		var outcome string
		var inTime, due, n int
		if err := rows.Scan(&outcome, &inTime, &due, &n); err != nil {
			return st, err
		}
		st.URLs[outcome] += n
		if due == 1 {
			judged += n
		}
		if outcome == Removed || outcome == Restricted {
			st.TakenDown += n
			if inTime == 1 {
				st.WithinDeadline += n
			}
		}
	}
	if judged > 0 {
		st.ShareWithinDeadline = float64(st.WithinDeadline) / float64(judged)
	}
	return st, rows.Err()
}

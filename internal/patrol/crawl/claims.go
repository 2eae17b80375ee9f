package crawl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// DBClaims is the Claimer of several instances: a row per URL in
// patrol_crawl_urls, taken by one conditional INSERT or UPDATE, so that
// of instances crawling one site each URL is fetched once. A claim older
// than Lease without a fetch was an instance that died: it may be taken
// over. A URL fetched more than Revisit ago may be fetched again, with the
// validators it answered last time.
type DBClaims struct {
	DB       *store.DB
	SourceID int64
	Holder   string        // this instance
	Lease    time.Duration // default 5 minutes
	Revisit  time.Duration // default 1 hour
	Now      func() time.Time
}

func (c *DBClaims) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC().Truncate(time.Microsecond)
	}
	return store.Now()
}

func urlHash(u string) string {
	s := sha256.Sum256([]byte(u))
	return hex.EncodeToString(s[:])
}

// Claim takes u for this instance, or says another instance has it.
func (c *DBClaims) Claim(ctx context.Context, u string) (Validators, bool, error) {
	lease, revisit := c.Lease, c.Revisit
	if lease <= 0 {
		lease = 5 * time.Minute
	}
	if revisit <= 0 {
		revisit = time.Hour
	}
	now, h := c.now(), urlHash(u)
	res, err := c.DB.Exec(ctx, `INSERT INTO patrol_crawl_urls (url_hash, source_id, url, claimed_by, claimed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (url_hash) DO NOTHING`,
		h, c.SourceID, u, c.Holder, now)
	if err != nil {
		return Validators{}, false, fmt.Errorf("claim %s: %w", u, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return Validators{}, true, nil
	}
	res, err = c.DB.Exec(ctx, `UPDATE patrol_crawl_urls SET claimed_by = ?, claimed_at = ? WHERE url_hash = ? AND claimed_at < ? AND (fetched_at IS NULL OR fetched_at < ?)`,
		c.Holder, now, h, now.Add(-lease), now.Add(-revisit))
	if err != nil {
		return Validators{}, false, fmt.Errorf("claim %s: %w", u, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Validators{}, false, nil
	}
	var v Validators
	err = c.DB.QueryRow(ctx, `SELECT etag, last_modified FROM patrol_crawl_urls WHERE url_hash = ?`, h).Scan(&v.ETag, &v.LastModified)
	return v, true, err
}

// Done records a fetch: its status, its validators, its error.
func (c *DBClaims) Done(ctx context.Context, u string, status int, v Validators, fetchErr error) error {
	msg := ""
	if fetchErr != nil {
		msg = fetchErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
	}
	if len(v.ETag) > 200 {
		v.ETag = ""
	}
	if len(v.LastModified) > 100 {
		v.LastModified = ""
	}
	_, err := c.DB.Exec(ctx, `UPDATE patrol_crawl_urls SET fetched_at = ?, status = ?, error = ?, etag = ?, last_modified = ? WHERE url_hash = ? AND claimed_by = ?`,
		c.now(), status, msg, v.ETag, v.LastModified, urlHash(u), c.Holder)
	if err != nil {
		return fmt.Errorf("crawl: record the fetch of %s: %w", u, err)
	}
	return nil
}

package match

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/store"
)

// Load reads the indicators in force at now that are marked for
// detection. RED indicators are left out: an alert on another
// organisation's line would tell its readers that someone holds the value
// (RED never leaves the named users).
func Load(ctx context.Context, q store.Querier, now time.Time) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT id, kind, value, confidence, techniques, valid_until FROM indicators
		WHERE detect = 1 AND revoked = 0 AND tlp <> 'RED' AND valid_from <= ? AND (valid_until IS NULL OR valid_until > ?)
		ORDER BY id`, now, now)
	if err != nil {
		return nil, fmt.Errorf("load detection indicators: %w", err)
	}
	return store.Collect(rows, func(r store.Scanner) (Entry, error) {
		var e Entry
		var kind, techniques string
		var until *time.Time
		if err := r.Scan(&e.ID, &kind, &e.Value, &e.Confidence, &techniques, &until); err != nil {
			return Entry{}, err
		}
		e.Kind = intel.Kind(kind)
		e.Technique, _, _ = strings.Cut(techniques, ",")
		if until != nil {
			e.Until = *until
		}
		return e, nil
	})
}

// version is what changes when the indicators in force may have: their
// number, the newest, and how many are revoked, marked for detection or
// blocking (indicators are otherwise immutable), and the next valid_from
// still to come.
func version(ctx context.Context, q store.Querier, now time.Time) (string, error) {
	var n, maxID, revoked, detect, block int64
	if err := q.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(revoked), 0), COALESCE(SUM(detect), 0), COALESCE(SUM(block), 0)
		FROM indicators`).Scan(&n, &maxID, &revoked, &detect, &block); err != nil {
		return "", err
	}
	var due int64
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM indicators WHERE (detect = 1 OR block = 1) AND revoked = 0
		AND (valid_from > ? OR valid_until <= ?)`, now, now).Scan(&due); err != nil {
		return "", err
	}
	return fmt.Sprint(n, maxID, revoked, detect, block, due), nil
}

// Batcher gathers hits as sightings and writes them in one transaction
// at each Flush: the live pipeline's hits never wait for the database.
type Batcher struct {
	mu      sync.Mutex
	pending map[place]*intel.Seen
	max     int
	dropped int64
}

type place struct {
	id     int64
	region string
	asset  int64
}

// maxPending bounds the places held between flushes (a flood of distinct
// places while the database is away): beyond it, hits are only counted.
const maxPending = 100000

// NewBatcher returns an empty batcher.
func NewBatcher() *Batcher { return &Batcher{pending: map[place]*intel.Seen{}, max: maxPending} }

// Seen implements Recorder.
func (b *Batcher) Seen(id int64, region, asset string, at time.Time) {
	a, _ := strconv.ParseInt(asset, 10, 64)
	if at.IsZero() {
		at = time.Now()
	}
	k := place{id, region, a}
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.pending[k]
	if !ok {
		if len(b.pending) >= b.max {
			b.dropped++
			return
		}
		s = &intel.Seen{FirstSeen: at, LastSeen: at, Region: region, AssetID: a, Note: "deteksi"}
		b.pending[k] = s
	}
	s.Count++
	if at.Before(s.FirstSeen) {
		s.FirstSeen = at
	}
	if at.After(s.LastSeen) {
		s.LastSeen = at
	}
}

// Flush writes the sightings gathered so far; on failure they are kept for
// the next flush. It returns how many places it wrote.
func (b *Batcher) Flush(ctx context.Context, db *store.DB) (int, error) {
	b.mu.Lock()
	batch := b.pending
	b.pending = map[place]*intel.Seen{}
	b.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for k, s := range batch {
			if err := intel.AddDetected(ctx, tx, k.id, *s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.mu.Lock()
		for k, s := range batch {
			if cur, ok := b.pending[k]; ok {
				cur.Count += s.Count
				cur.FirstSeen, cur.LastSeen = minTime(cur.FirstSeen, s.FirstSeen), maxTime(cur.LastSeen, s.LastSeen)
			} else if len(b.pending) < b.max {
				b.pending[k] = s
			}
		}
		b.mu.Unlock()
		return 0, err
	}
	return len(batch), nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Live keeps a Matcher in step with the database: it reloads the set
// when the indicators change (swapping it atomically), writes the
// sightings in batches, and, when Blocks is set, keeps the blocks of the
// indicators marked for blocking (block.go).
type Live struct {
	DB       *store.DB
	Log      *slog.Logger
	Matcher  *Matcher
	Batcher  *Batcher
	Interval time.Duration // between checks and flushes; 0 = 5 s
	// Blocks, when set, is called after each check to keep the blocks
	// (Blocker.Sync, behind a lease so one instance does it).
	Blocks func(ctx context.Context) error

	version string
}

// NewLive returns a Live over an empty set; call Reload before use.
func NewLive(db *store.DB, log *slog.Logger) *Live {
	b := NewBatcher()
	return &Live{DB: db, Log: log, Batcher: b, Matcher: New(nil, b)}
}

// Reload loads the indicators for detection and puts them in force.
func (l *Live) Reload(ctx context.Context) error {
	now := store.Now()
	v, err := version(ctx, l.DB, now)
	if err != nil {
		return err
	}
	entries, err := Load(ctx, l.DB, now)
	if err != nil {
		return err
	}
	set := Compile(entries)
	l.Matcher.Swap(set)
	l.version = v
	if l.Log != nil {
		l.Log.Info("detection indicators loaded", "indicators", set.Len(), "dropped", set.Dropped())
	}
	return nil
}

// Step reloads when the indicators changed, flushes the sightings and
// keeps the blocks: one round of Run.
func (l *Live) Step(ctx context.Context) error {
	v, err := version(ctx, l.DB, store.Now())
	if err != nil {
		return err
	}
	if v != l.version {
		if err := l.Reload(ctx); err != nil {
			return err
		}
	}
	if _, err := l.Batcher.Flush(ctx, l.DB); err != nil {
		return fmt.Errorf("indicator sightings: %w", err)
	}
	if l.Blocks != nil {
		return l.Blocks(ctx)
	}
	return nil
}

// Run calls Step every Interval until ctx ends, then flushes.
func (l *Live) Run(ctx context.Context) {
	every := l.Interval
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			l.Batcher.Flush(fctx, l.DB)
			cancel()
			return
		case <-t.C:
		}
		if err := l.Step(ctx); err != nil && ctx.Err() == nil && l.Log != nil {
			l.Log.Warn("detection indicators", "err", err)
		}
	}
}

package takedown

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/store"
)

// Pemutusan akses: a request that reached the last warning stage puts the
// domains of its URLs still online on the DNS blocklist (internal/rpz) by
// itself, as the system, with the request as the block's source and in its
// reason; a domain's block is lifted when no URL of the request needs it any
// more (taken down: answered removed or restricted, withdrawn, or seen down
// by Garda's checks) or the request closed. A domain already blocked by
// someone else stays as it is: the request neither takes nor lifts it.

// blockDomain is the domain a URL's block names: its host, without a
// leading "www." (a block covers the domain's subdomains too).
func blockDomain(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	h := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	return rpz.NormalizeDomain(h)
}

// needsBlock says whether a URL of a request at the last stage still needs
// its domain cut.
func needsBlock(u URL) bool {
	return u.GoneAt == nil && u.Outcome != Removed && u.Outcome != Restricted && u.Outcome != Withdrawn
}

// SyncBlocks makes the blocklist hold what request id needs: its domains
// blocked while it stands at pemutusan akses with URLs still online, none
// once it closed or they were taken down. It is idempotent: the lifecycle
// calls it when a request reaches the last stage and after each answer,
// decision or check of such a request, and the clocks' tick calls it again
// for every request at that stage, so a step that failed is retried. It
// returns the domains it blocked and lifted.
func SyncBlocks(ctx context.Context, db *store.DB, id int64) (blocked, lifted []string, err error) {
	r, err := system(ctx, db, id)
	if err != nil {
		return nil, nil, err
	}
	source := rpz.SourceRequest(id)
	need := map[string]bool{}
	if r.Stage >= StageCut && (r.Status == Sent || r.Status == Acknowledged) {
		for _, u := range r.URLs {
			if !needsBlock(u) {
				continue
			}
			d, err := blockDomain(u.URL)
			if err != nil {
				continue // stored URLs were checked when filed; a host rpz refuses (an address) is not a domain to cut
			}
			need[d] = true
		}
	}
	live, err := rpz.LiveFrom(ctx, db, source)
	if err != nil {
		return nil, nil, err
	}
	have := map[string]bool{}
	var errs []error
	for _, e := range live {
		have[e.Domain] = true
		if need[e.Domain] {
			continue
		}
		why := fmt.Sprintf("%s: konten pada %s sudah diturunkan atau permohonan ditutup", r.Number, e.Domain)
		if _, err := rpz.Unblock(ctx, db, audit.System, e.Domain, why); err != nil && !problem.Is(err, problem.NotFound) {
			errs = append(errs, err)
			continue
		}
		lifted = append(lifted, e.Domain)
	}
	for d := range need {
		if have[d] {
			continue
		}
		why := fmt.Sprintf("Pemutusan akses %s (permohonan penurunan konten kepada %s tidak dipenuhi setelah teguran 3)", r.Number, r.PlatformName)
		_, err := rpz.Block(ctx, db, audit.System, rpz.Input{Domain: d, Reason: why, Source: source})
		switch {
		case problem.Is(err, problem.Conflict):
			// Blocked already by a coordinator or another source: cut either way.
		case err != nil:
			errs = append(errs, err)
		default:
			blocked = append(blocked, d)
		}
	}
	slices.Sort(blocked)
	slices.Sort(lifted)
	if len(blocked) > 0 || len(lifted) > 0 {
		now := store.Now()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if len(blocked) > 0 {
				if err := systemEvent(ctx, tx, id, "blocked", strings.Join(blocked, " "), now); err != nil {
					return err
				}
			}
			if len(lifted) > 0 {
				return systemEvent(ctx, tx, id, "unblocked", strings.Join(lifted, " "), now)
			}
			return nil
		})
		errs = append(errs, err)
	}
	return blocked, lifted, errors.Join(errs...)
}

// syncCutBlocks runs SyncBlocks for every request at pemutusan akses that
// is open or closed within the last day (a lift that failed at closing is
// retried).
func (l Lifecycle) syncCutBlocks(ctx context.Context, now time.Time) error {
	rows, err := l.DB.Query(ctx, `SELECT id FROM takedowns WHERE stage >= ? AND (closed_at IS NULL OR closed_at >= ?) ORDER BY id`, StageCut, now.Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("requests at pemutusan akses: %w", err)
	}
	ids, err := store.Collect(rows, func(s store.Scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if _, _, err := SyncBlocks(ctx, l.DB, id); err != nil {
			errs = append(errs, fmt.Errorf("blocks of request %d: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

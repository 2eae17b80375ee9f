package takedown

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// Inbox events of a request's deadline: it nears, it passed, and the
// request climbed a warning stage.
const (
	EventDeadlineNear   = "takedown.deadline_near"
	EventDeadlineMissed = "takedown.deadline_missed"
	EventStage          = "takedown.stage"
)

// Stages an overdue request climbs, one deadline apart: teguran 1 when the
// deadline passes with URLs still unanswered, teguran 2 and 3 each a
// deadline later, then pemutusan akses.
const (
	StageNone = 0
	StageCut  = 4
)

// StageLetter is the letter of each stage.
var StageLetter = map[int]string{1: LetterWarn1, 2: LetterWarn2, 3: LetterWarn3, StageCut: LetterCut}

// Teller tells people of a request's clock (package notify's Notifier puts
// it in their inboxes).
type Teller interface {
	TellTakedown(ctx context.Context, requestID int64, userIDs []int64, event, actor string) error
}

// Notice is one thing a tick told: a clock of a request, or a stage it
// climbed.
type Notice struct {
	RequestID int64     `json:"request_id"`
	Number    string    `json:"number"`
	Event     string    `json:"event"`
	Stage     int       `json:"stage,omitempty"`
	DueAt     time.Time `json:"due_at"`
	Pending   []string  `json:"pending,omitempty"` // the URLs still unanswered
	Blocked   []string  `json:"blocked,omitempty"` // pemutusan akses: the domains put on the DNS blocklist
}

// nearBefore is how long before its deadline a request is told it nears:
// a quarter of the time the platform has, at most an hour.
func nearBefore(d time.Duration) time.Duration { return min(d/4, time.Hour) }

// Tick looks at every open request at the lifecycle's clock: it tells the
// issuing agency's people when a deadline nears and when it passed (once
// per request and clock, whichever instance runs it), and moves an overdue
// request one warning stage up when its time came, each step a letter
// (sent by the request's channel when an Outbox is set), a history event
// and an audit record. A request whose warning could not be sent stays
// where it is and is tried again at the next tick.
func (l Lifecycle) Tick(ctx context.Context, tell Teller) ([]Notice, error) {
	now := l.now()
	type open struct {
		id, owner int64
		number    string
		urgency   string
		dueAt     time.Time
		stage     int
		stageAt   *time.Time
		pending   []string
	}
	rows, err := l.DB.Query(ctx, `SELECT t.id, t.owner_org_id, t.number, t.urgency, t.due_at, t.stage, t.stage_at FROM takedowns t
		WHERE t.status IN (?, ?) AND t.due_at IS NOT NULL AND t.due_at <= ? AND t.stage < ?
		AND EXISTS (SELECT 1 FROM takedown_urls tu WHERE tu.takedown_id = t.id AND tu.outcome = ?) ORDER BY t.due_at, t.id`,
		Sent, Acknowledged, now.Add(time.Hour), StageCut, Pending)
	if err != nil {
		return nil, fmt.Errorf("open takedown requests: %w", err)
	}
	list, err := store.Collect(rows, func(s store.Scanner) (open, error) {
		var o open
		return o, s.Scan(&o.id, &o.owner, &o.number, &o.urgency, &o.dueAt, &o.stage, &o.stageAt)
	})
	if err != nil {
		return nil, err
	}
	var out []Notice
	var errs []error
	if err := l.syncCutBlocks(ctx, now); err != nil {
		errs = append(errs, err)
	}
	for _, o := range list {
		d := o.dueAt.Sub(now) // time left
		sentWith := l.deadline(o.urgency)
		var clock, event string
		switch {
		case d <= 0:
			clock, event = "missed", EventDeadlineMissed
		case d <= nearBefore(sentWith):
			clock, event = "near", EventDeadlineNear
		}
		if clock != "" {
			told, err := l.tellClock(ctx, tell, o.id, o.owner, clock, event, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o.number, err))
				continue
			}
			if told {
				out = append(out, Notice{RequestID: o.id, Number: o.number, Event: event, DueAt: o.dueAt})
			}
		}
		// The next stage is due a deadline after the last one (the first
		// when the deadline passed).
		nextAt := o.dueAt
		if o.stage > 0 && o.stageAt != nil {
			nextAt = o.stageAt.Add(sentWith)
		}
		if now.Before(nextAt) {
			continue
		}
		n, err := l.climb(ctx, tell, o.id, o.stage, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.number, err))
			continue
		}
		if n != nil {
			n.DueAt = o.dueAt
			out = append(out, *n)
		}
	}
	return out, errors.Join(errs...)
}

// tellClock claims a request's clock notice and tells the issuing
// agency's people; false when it was told before.
func (l Lifecycle) tellClock(ctx context.Context, tell Teller, id, owner int64, clock, event string, now time.Time) (bool, error) {
	var users []int64
	err := l.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO clock_notices (kind, record_id, clock, notified_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			RecordKind, id, clock, now)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errTold
		}
		if err := systemEvent(ctx, tx, id, "deadline_"+clock, "", now); err != nil {
			return err
		}
		users, err = workers(ctx, tx, owner)
		return err
	})
	if errors.Is(err, errTold) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if tell != nil && len(users) > 0 {
		if err := tell.TellTakedown(ctx, id, users, event, "system"); err != nil {
			return true, fmt.Errorf("tell %s: %w", clock, err)
		}
	}
	return true, nil
}

var errTold = errors.New("told before")

// workers are the issuing agency's people who work requests.
func workers(ctx context.Context, q store.Querier, owner int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id, role FROM users WHERE org_id = ? AND disabled_at IS NULL ORDER BY id`, owner)
	if err != nil {
		return nil, err
	}
	type u struct {
		id   int64
		role string
	}
	list, err := store.Collect(rows, func(s store.Scanner) (u, error) {
		var x u
		return x, s.Scan(&x.id, &x.role)
	})
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, x := range list {
		if policy.Can(policy.Role(x.role), policy.Takedown) || policy.Can(policy.Role(x.role), policy.Investigate) {
			out = append(out, x.id)
		}
	}
	return out, nil
}

// climb moves request id from stage from to the next, with its letter.
func (l Lifecycle) climb(ctx context.Context, tell Teller, id int64, from int, now time.Time) (*Notice, error) {
	var n *Notice
	var owner int64
	err := l.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := system(ctx, tx, id)
		if err != nil {
			return err
		}
		var stage int
		if err := tx.QueryRow(ctx, `SELECT stage FROM takedowns WHERE id = ?`, id).Scan(&stage); err != nil {
			return err
		}
		if stage != from {
			return errTold // another instance climbed it
		}
		to := from + 1
		kind := StageLetter[to]
		fromOrg, err := orgName(ctx, tx, r.OwnerOrgID)
		if err != nil {
			return err
		}
		letter, err := BuildLetter(r, kind, fromOrg, now)
		if err != nil {
			return err
		}
		var pending []string
		for _, u := range letter.URLsToAct() {
			pending = append(pending, u.URL)
		}
		sentTo, carried := "", ""
		if l.Outbox != nil && r.Channel != ChannelWebForm {
			reg, err := LoadRegistry(ctx, tx)
			if err != nil {
				return err
			}
			p, _ := reg.ByID(r.PlatformID)
			var secret string
			if err := tx.QueryRow(ctx, `SELECT api_secret FROM takedown_platforms WHERE id = ?`, p.ID).Scan(&secret); err != nil {
				return err
			}
			switch sentTo, err = l.Outbox.deliver(ctx, p, secret, letter, r.Channel); {
			case errors.Is(err, errNotConfigured):
				sentTo = ""
			case err != nil:
				return problem.New(problem.Unavailable, "%s was not sent: %v", letter.Number, err)
			default:
				carried = r.Channel
			}
		}
		res, err := tx.Exec(ctx, `UPDATE takedowns SET stage = ?, stage_at = ?, updated_at = ? WHERE id = ? AND stage = ?`, to, now, now, id, from)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errTold
		}
		if err := issueLetter(ctx, tx, r, kind, carried, sentTo, now); err != nil {
			return err
		}
		if err := systemEvent(ctx, tx, id, "stage", letter.Number+" "+kind, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.System, "takedown.stage", RecordKind, id, map[string]any{
			"number": r.Number, "stage": to, "letter": letter.Number, "kind": kind, "pending": pending, "channel": carried}); err != nil {
			return err
		}
		owner = r.OwnerOrgID
		n = &Notice{RequestID: id, Number: r.Number, Event: EventStage, Stage: to, Pending: pending}
		return nil
	})
	if errors.Is(err, errTold) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if n.Stage == StageCut {
		// A failure here is retried by the next tick (syncCutBlocks).
		if n.Blocked, _, err = SyncBlocks(ctx, l.DB, id); err != nil {
			return n, fmt.Errorf("pemutusan akses: %w", err)
		}
	}
	if tell != nil {
		users, err := workers(ctx, l.DB, owner)
		if err == nil && len(users) > 0 {
			err = tell.TellTakedown(ctx, id, users, EventStage, StageLetter[n.Stage])
		}
		if err != nil {
			return n, fmt.Errorf("tell stage: %w", err)
		}
	}
	return n, nil
}

// system reads a request as the system (no reader's visibility), with its
// URLs.
func system(ctx context.Context, q store.Querier, id int64) (Request, error) {
	r, err := scanRequest(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE t.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return Request{}, problem.New(problem.NotFound, "no takedown request %d", id)
	} else if err != nil {
		return Request{}, err
	}
	if r.URLs, err = loadURLs(ctx, q, id); err != nil {
		return Request{}, err
	}
	if r.Evidence, err = loadEvidence(ctx, q, id); err != nil {
		return Request{}, err
	}
	return r, nil
}

// systemEvent appends to a request's history as the system.
func systemEvent(ctx context.Context, tx *store.Tx, id int64, kind, body string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO takedown_events (takedown_id, at, actor, actor_org, kind, body) VALUES (?, ?, ?, ?, ?, ?)`,
		id, at, "system", "", kind, body)
	return err
}

// TickJob is the scheduled job of the deadline clocks and warning stages:
// every minute, on one instance at a time.
func TickJob(l Lifecycle, tell Teller, log *slog.Logger) schedule.Job {
	return schedule.Job{Name: "takedown.clocks", Every: time.Minute, Run: func(ctx context.Context) error {
		told, err := l.Tick(ctx, tell)
		if len(told) > 0 && log != nil {
			log.Info("takedown clocks", "notices", len(told))
		}
		return err
	}}
}

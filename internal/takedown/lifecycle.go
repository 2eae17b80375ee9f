package takedown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// The lifecycle: draft -> approved (a coordinator of the issuing agency who
// is not the author: four eyes) -> sent (by a channel the platform has; the
// deadline starts) -> acknowledged -> per URL an answer; closed when every
// URL has a final one. Each step is checked against the request as it
// stands inside the transaction that changes it.

// Lifecycle changes requests.
type Lifecycle struct {
	DB *store.DB
	// Now lets tests and the demo move time; nil is store.Now.
	Now func() time.Time
	// Outbox carries the letters (e-mail, API); nil records a request as
	// sent without Garda carrying its letter (it went another way).
	Outbox *Outbox
	// Deadlines are the times a platform has by urgency; nil is
	// DefaultDeadlines (Permenkominfo 5/2020).
	Deadlines Deadlines
}

func (l Lifecycle) deadline(urgency string) time.Duration {
	if d, ok := l.Deadlines[urgency]; ok && d > 0 {
		return d
	}
	return DefaultDeadlines[urgency]
}

func (l Lifecycle) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC().Truncate(time.Microsecond)
	}
	return store.Now()
}

// ownerWorker reports whether who works requests for r's issuing agency.
func ownerWorker(who auth.Principal, r Request) bool {
	return who.Viewer.OrgID == r.OwnerOrgID && (who.Can(policy.Takedown) || who.Can(policy.Investigate))
}

// change reads the request under who's visibility inside a transaction,
// lets fn check and change it, then audits and returns it read again.
func (l Lifecycle) change(ctx context.Context, who auth.Principal, id int64, action string, fn func(tx *store.Tx, r Request, pid int64, now time.Time) (any, error)) (Request, error) {
	var out Request
	err := l.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := get(ctx, tx, who, id)
		if err != nil {
			return err
		}
		pid, err := platformOf(ctx, tx, who.Viewer)
		if err != nil {
			return err
		}
		now := l.now()
		detail, err := fn(tx, r, pid, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE takedowns SET updated_at = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Actor(), action, RecordKind, id, detail); err != nil {
			return err
		}
		out, err = get(ctx, tx, who, id)
		return err
	})
	return out, err
}

func wrongStatus(r Request, want ...string) error {
	return problem.New(problem.Conflict, "request %s is %s; this step needs it %s", r.Number, r.Status, strings.Join(want, " or "))
}

// Approve is the second pair of eyes: a coordinator of the issuing agency
// who did not write the request approves its draft.
func (l Lifecycle) Approve(ctx context.Context, who auth.Principal, id int64) (Request, error) {
	return l.change(ctx, who, id, "takedown.approve", func(tx *store.Tx, r Request, _ int64, now time.Time) (any, error) {
		switch {
		case who.Viewer.Role != policy.RoleCoordinator || who.Viewer.OrgID != r.OwnerOrgID:
			return nil, problem.New(problem.Forbidden, "only a coordinator of %s approves its requests", r.Owner)
		case who.User.ID == r.AuthorID:
			return nil, problem.New(problem.Forbidden, "four eyes: the author of %s cannot approve it; another coordinator must", r.Number)
		case r.Status != Draft:
			return nil, wrongStatus(r, Draft)
		}
		if _, err := tx.Exec(ctx, `UPDATE takedowns SET status = ?, approved_by = ?, approved_at = ? WHERE id = ?`, Approved, who.User.ID, now, r.ID); err != nil {
			return nil, err
		}
		return map[string]any{"number": r.Number}, event(ctx, tx, who, r.ID, 0, "approved", "", now)
	})
}

// Send records that an approved request went to the platform by one of its
// channels: the deadline starts now, and the platform's organisation joins
// the request so that its liaisons read and answer it.
func (l Lifecycle) Send(ctx context.Context, who auth.Principal, id int64, channel string) (Request, error) {
	reg, err := LoadRegistry(ctx, l.DB)
	if err != nil {
		return Request{}, err
	}
	return l.change(ctx, who, id, "takedown.send", func(tx *store.Tx, r Request, _ int64, now time.Time) (any, error) {
		p, _ := reg.ByID(r.PlatformID)
		switch {
		case !ownerWorker(who, r):
			return nil, problem.New(problem.Forbidden, "only %s's people send its requests", r.Owner)
		case r.Status != Approved:
			return nil, wrongStatus(r, Approved)
		case !slices.Contains(p.Channels(), channel):
			return nil, problem.Field("channel", "%s is reached by %s", p.Name, strings.Join(p.Channels(), ", "))
		case r.TLP == policy.Red:
			// RED is for named people only: the platform could not read
			// what it is asked to act on.
			return nil, problem.New(problem.Conflict, "%s is TLP:RED: lower its label before sending it to %s", r.Number, p.Name)
		}
		due := now.Add(l.deadline(r.Urgency))
		// The letter goes first: if it cannot go, nothing changes.
		from, err := orgName(ctx, tx, r.OwnerOrgID)
		if err != nil {
			return nil, err
		}
		r.SentAt, r.DueAt = &now, &due // the letter states the deadline it is sent with
		letter, err := BuildLetter(r, LetterRequest, from, now)
		if err != nil {
			return nil, err
		}
		to, carried := "", ""
		if l.Outbox != nil || channel == ChannelWebForm {
			var secret string
			if err := tx.QueryRow(ctx, `SELECT api_secret FROM takedown_platforms WHERE id = ?`, p.ID).Scan(&secret); err != nil {
				return nil, err
			}
			o := l.Outbox
			if o == nil {
				o = &Outbox{}
			}
			switch to, err = o.deliver(ctx, p, secret, letter, channel); {
			case errors.Is(err, errNotConfigured):
				to = "" // recorded as sent; the letter went by hand
			case err != nil:
				return nil, problem.New(problem.Unavailable, "%s was not sent: %v", r.Number, err)
			default:
				carried = channel
			}
		}
		if err := issueLetter(ctx, tx, r, LetterRequest, carried, to, now); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE takedowns SET status = ?, sent_by = ?, sent_at = ?, channel = ?, due_at = ? WHERE id = ?`,
			Sent, who.User.ID, now, channel, due, r.ID); err != nil {
			return nil, err
		}
		if p.OrgID > 0 {
			if err := participant.Add(ctx, tx, RecordKind, r.ID, participant.Set{Orgs: []int64{p.OrgID}}); err != nil {
				return nil, err
			}
		}
		body := channel
		if to != "" {
			body += " " + to
		}
		return map[string]any{"number": r.Number, "channel": channel, "due_at": due, "to": to},
			event(ctx, tx, who, r.ID, 0, "sent", body, now)
	})
}

// mayAnswer reports whether who speaks for the platform of r (its liaison)
// or records an answer for the issuing agency (received by e-mail).
func mayAnswer(who auth.Principal, r Request, pid int64) bool {
	if pid > 0 {
		return pid == r.PlatformID && who.Can(policy.Takedown)
	}
	return ownerWorker(who, r)
}

// Acknowledge records that the platform received the request.
func (l Lifecycle) Acknowledge(ctx context.Context, who auth.Principal, id int64) (Request, error) {
	return l.change(ctx, who, id, "takedown.acknowledge", func(tx *store.Tx, r Request, pid int64, now time.Time) (any, error) {
		if !mayAnswer(who, r, pid) {
			return nil, problem.New(problem.Forbidden, "only %s's liaison, or %s's people, acknowledge this request", r.PlatformName, r.Owner)
		}
		if r.Status != Sent {
			return nil, wrongStatus(r, Sent)
		}
		if _, err := tx.Exec(ctx, `UPDATE takedowns SET status = ?, acknowledged_at = ? WHERE id = ?`, Acknowledged, now, r.ID); err != nil {
			return nil, err
		}
		return map[string]any{"number": r.Number}, event(ctx, tx, who, r.ID, 0, "acknowledged", "", now)
	})
}

// Answer is the platform's answer for one URL of the request.
type Answer struct {
	URLID   int64  `json:"url_id,omitempty"`
	URL     string `json:"url,omitempty"` // or the URL itself
	Outcome string `json:"outcome"`       // removed, restricted, refused, objected, no_answer
	Reason  string `json:"reason,omitempty"`
}

// findURL finds the answered URL in r, by id or by the URL itself.
func findURL(r Request, a Answer) (URL, error) {
	norm := ""
	if a.URLID == 0 {
		u, err := ParseURL(a.URL)
		if err != nil {
			return URL{}, problem.Field("url", "give the URL's id or the URL itself")
		}
		norm = u.String()
	}
	for _, u := range r.URLs {
		if (a.URLID != 0 && u.ID == a.URLID) || (norm != "" && u.URL == norm) {
			return u, nil
		}
	}
	if norm == "" {
		norm = fmt.Sprint(a.URLID)
	}
	return URL{}, problem.Field("url", "%s is not a URL of request %s", norm, r.Number)
}

// Answer records the platform's answer for one URL of a sent request: by
// the platform's liaison in Garda, or by the issuing agency for an answer
// received elsewhere. "no_answer" is the agency's to record, once the
// deadline passed. A refusal needs its reason, an objection (sanggah) the
// platform's argument. The request closes when every URL has a final answer.
func (l Lifecycle) Answer(ctx context.Context, who auth.Principal, id int64, a Answer) (Request, error) {
	a.Reason = strings.TrimSpace(a.Reason)
	return l.afterCut(ctx)(l.change(ctx, who, id, "takedown.answer", func(tx *store.Tx, r Request, pid int64, now time.Time) (any, error) {
		if !mayAnswer(who, r, pid) {
			return nil, problem.New(problem.Forbidden, "only %s's liaison, or %s's people, answer this request", r.PlatformName, r.Owner)
		}
		if r.Status != Sent && r.Status != Acknowledged {
			return nil, wrongStatus(r, Sent, Acknowledged)
		}
		u, err := findURL(r, a)
		if err != nil {
			return nil, err
		}
		switch a.Outcome {
		case Removed, Restricted:
		case Refused, Objected:
			if a.Reason == "" {
				return nil, problem.Field("reason", "a refusal or an objection says why")
			}
		case NoAnswer:
			if pid > 0 {
				return nil, problem.Field("outcome", "no_answer is recorded by the issuing agency, not by the platform")
			}
			if r.DueAt == nil || !now.After(*r.DueAt) {
				return nil, problem.Field("outcome", "no_answer is recorded once the deadline has passed")
			}
		default:
			return nil, problem.Field("outcome", "must be removed, restricted, refused, objected or no_answer")
		}
		if len(a.Reason) > 4000 {
			return nil, problem.Field("reason", "at most 4000 characters")
		}
		if u.Outcome != Pending {
			return nil, problem.New(problem.Conflict, "%s is already answered (%s)", u.URL, u.Outcome)
		}
		if _, err := tx.Exec(ctx, `UPDATE takedown_urls SET outcome = ?, reason = ?, answered_by = ?, answered_at = ? WHERE id = ?`,
			a.Outcome, a.Reason, who.User.ID, now, u.ID); err != nil {
			return nil, err
		}
		if r.Status == Sent && a.Outcome != NoAnswer {
			// An answer is an acknowledgement.
			if _, err := tx.Exec(ctx, `UPDATE takedowns SET status = ?, acknowledged_at = ? WHERE id = ?`, Acknowledged, now, r.ID); err != nil {
				return nil, err
			}
		}
		if err := event(ctx, tx, who, r.ID, u.ID, "answered", a.Outcome+": "+a.Reason, now); err != nil {
			return nil, err
		}
		return map[string]any{"number": r.Number, "url": u.URL, "outcome": a.Outcome, "reason": a.Reason}, closeIfDone(ctx, tx, who, r.ID, now)
	}))
}

// afterCut brings the blocklist in line with a request at pemutusan akses
// after a step changed it (a URL taken down, withdrawn, the request
// closed). The step stands either way: a failed block or lift is retried
// by the clocks' next tick.
func (l Lifecycle) afterCut(ctx context.Context) func(Request, error) (Request, error) {
	return func(r Request, err error) (Request, error) {
		if err == nil && r.Stage >= StageCut {
			_, _, _ = SyncBlocks(context.WithoutCancel(ctx), l.DB, r.ID)
		}
		return r, err
	}
}

// Decisions on an objection.
const (
	Maintained = "maintained" // the agency keeps its request: the platform must act
	// Withdrawn (the outcome) doubles as the decision: the agency accepts
	// the platform's argument and withdraws the URL.
)

// Decision is the issuing agency's decision on an objection.
type Decision struct {
	URLID    int64  `json:"url_id,omitempty"`
	URL      string `json:"url,omitempty"`
	Decision string `json:"decision"` // maintained, withdrawn
	Note     string `json:"note"`
}

// Decide is a coordinator of the issuing agency deciding an objection:
// maintained sends the URL back to the platform (pending again), withdrawn
// ends it.
func (l Lifecycle) Decide(ctx context.Context, who auth.Principal, id int64, d Decision) (Request, error) {
	d.Note = strings.TrimSpace(d.Note)
	return l.afterCut(ctx)(l.change(ctx, who, id, "takedown.decide", func(tx *store.Tx, r Request, _ int64, now time.Time) (any, error) {
		if who.Viewer.Role != policy.RoleCoordinator || who.Viewer.OrgID != r.OwnerOrgID {
			return nil, problem.New(problem.Forbidden, "only a coordinator of %s decides objections to its requests", r.Owner)
		}
		u, err := findURL(r, Answer{URLID: d.URLID, URL: d.URL})
		if err != nil {
			return nil, err
		}
		if u.Outcome != Objected {
			return nil, problem.New(problem.Conflict, "%s is %s, not objected", u.URL, u.Outcome)
		}
		if d.Note == "" || len(d.Note) > 4000 {
			return nil, problem.Field("note", "say why (at most 4000 characters)")
		}
		outcome := Pending
		switch d.Decision {
		case Maintained:
		case Withdrawn:
			outcome = Withdrawn
		default:
			return nil, problem.Field("decision", "must be maintained or withdrawn")
		}
		if _, err := tx.Exec(ctx, `UPDATE takedown_urls SET outcome = ?, decision = ?, decision_note = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
			outcome, d.Decision, d.Note, who.User.ID, now, u.ID); err != nil {
			return nil, err
		}
		if err := event(ctx, tx, who, r.ID, u.ID, "decided", d.Decision+": "+d.Note, now); err != nil {
			return nil, err
		}
		return map[string]any{"number": r.Number, "url": u.URL, "decision": d.Decision}, closeIfDone(ctx, tx, who, r.ID, now)
	}))
}

// closeIfDone closes a request once every URL has a final answer.
func closeIfDone(ctx context.Context, tx *store.Tx, who auth.Principal, id int64, now time.Time) error {
	var open int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM takedown_urls WHERE takedown_id = ? AND outcome IN (?, ?)`, id, Pending, Objected).Scan(&open); err != nil {
		return err
	}
	if open > 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE takedowns SET status = ?, closed_at = ? WHERE id = ?`, Closed, now, id); err != nil {
		return err
	}
	return event(ctx, tx, who, id, 0, "closed", "", now)
}

// Event is one step of a request's history.
type Event struct {
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	ActorOrg string    `json:"actor_org,omitempty"`
	Kind     string    `json:"kind"`
	URLID    int64     `json:"url_id,omitempty"`
	Body     string    `json:"body,omitempty"`
}

// History reads a request's history, for a principal who may read it.
func History(ctx context.Context, q store.Querier, who auth.Principal, id int64) ([]Event, error) {
	if _, err := get(ctx, q, who, id); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT at, actor, actor_org, kind, COALESCE(url_id, 0), body FROM takedown_events WHERE takedown_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("takedown history: %w", err)
	}
	return store.Collect(rows, func(s store.Scanner) (Event, error) {
		var e Event
		return e, s.Scan(&e.At, &e.Actor, &e.ActorOrg, &e.Kind, &e.URLID, &e.Body)
	})
}

// Rights are the steps a principal may take on a request as it stands:
// the page shows only these forms; the steps themselves check again.
type Rights struct {
	Approve, Send, Acknowledge, Answer, Decide bool
	// Platform: the principal is the platform's (a liaison's view).
	Platform bool
}

// RightsOn says which steps who may take on r now.
func RightsOn(ctx context.Context, q store.Querier, who auth.Principal, r Request) (Rights, error) {
	pid, err := platformOf(ctx, q, who.Viewer)
	if err != nil {
		return Rights{}, err
	}
	coordinator := who.Viewer.Role == policy.RoleCoordinator && who.Viewer.OrgID == r.OwnerOrgID
	open := r.Status == Sent || r.Status == Acknowledged
	objected := slices.ContainsFunc(r.URLs, func(u URL) bool { return u.Outcome == Objected })
	return Rights{
		Approve:     r.Status == Draft && coordinator && who.User.ID != r.AuthorID,
		Send:        r.Status == Approved && ownerWorker(who, r),
		Acknowledge: r.Status == Sent && mayAnswer(who, r, pid),
		Answer:      open && mayAnswer(who, r, pid),
		Decide:      objected && coordinator,
		Platform:    pid > 0,
	}, nil
}

// MayFile reports whether who files requests (the "new request" form).
func MayFile(ctx context.Context, q store.Querier, who auth.Principal) (bool, error) {
	reg, err := LoadRegistry(ctx, q)
	if err != nil {
		return false, err
	}
	return mayDraft(who, reg), nil
}

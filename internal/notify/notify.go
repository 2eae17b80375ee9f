// Package notify tells people and systems about changes to incidents: an
// in-app inbox, email over SMTP and signed outgoing webhooks. Who is told
// what follows the visibility rule of package policy: each candidate
// recipient is judged with policy.CanRead as the user they are, a RED
// incident reaches its named users only, and a webhook (which leaves the
// platform) gets the details of CLEAR and GREEN incidents only, a bare
// reference for AMBER and AMBER+STRICT, and nothing for RED.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// Events.
const (
	IncidentCreated      = "incident.created"
	IncidentUpdated      = "incident.updated"
	IncidentEscalated    = "incident.escalated"
	IncidentComment      = "incident.comment"
	IncidentParticipants = "incident.participants"
	IncidentTask         = "incident.task" // a task handed out; its owner organisation joins the incident and hears of it too
	// IncidentEscalationRequested: someone working the incident asked for
	// its escalation; those who may escalate it are told.
	IncidentEscalationRequested = "incident.escalation_requested"
	// IncidentMention is an inbox (and email) event only: a user was
	// @mentioned in a comment on an incident they may read.
	IncidentMention = "incident.mention"
)

// Events lists the events a webhook may subscribe to.
var Events = []string{IncidentCreated, IncidentUpdated, IncidentEscalated, IncidentComment, IncidentParticipants, IncidentTask,
	IncidentEscalationRequested}

// SMTP configures email. With Addr empty, email is off.
type SMTP struct {
	Addr     string // host:port
	From     string
	Username string // optional: PLAIN auth (net/smtp allows it over TLS or to localhost only)
	Password string
}

// Notifier sends notifications. DB is required; the rest has defaults.
type Notifier struct {
	DB   *store.DB
	Log  *slog.Logger
	HTTP *http.Client // for webhooks; default: 10 s timeout, redirects not followed
	SMTP SMTP
	Orgs *org.Cache // optional; the tree is loaded per event without it
	// Poll is how often Start looks for due deliveries (default 5 s).
	Poll time.Duration

	kick chan struct{}
	// sendMail is net/smtp.SendMail; tests replace it.
	sendMail func(addr string, a any, from string, to []string, msg []byte) error
}

// New returns a notifier with defaults filled in.
func New(db *store.DB, log *slog.Logger, smtpCfg SMTP) *Notifier {
	n := &Notifier{DB: db, Log: log, SMTP: smtpCfg}
	n.defaults()
	return n
}

func (n *Notifier) defaults() {
	if n.Log == nil {
		n.Log = slog.Default()
	}
	if n.HTTP == nil {
		n.HTTP = &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if n.Poll <= 0 {
		n.Poll = 5 * time.Second
	}
	if n.kick == nil {
		n.kick = make(chan struct{}, 1)
	}
}

// Status says what the notifier does, for health pages and logs.
type Status struct {
	Inbox    bool   `json:"inbox"`
	Webhooks bool   `json:"webhooks"`
	Email    bool   `json:"email"`
	EmailMsg string `json:"email_status"`
}

// Status reports which channels are on. Email is off, and says so, when no
// SMTP server is configured.
func (n *Notifier) Status() Status {
	s := Status{Inbox: true, Webhooks: true}
	switch {
	case n.SMTP.Addr == "":
		s.EmailMsg = "off: no SMTP server configured"
	case n.SMTP.From == "":
		s.EmailMsg = "off: no sender (From) configured"
	default:
		s.Email = true
		s.EmailMsg = "on: via " + n.SMTP.Addr
	}
	return s
}

// mentionPattern finds @username in a comment (usernames as package auth
// accepts them).
var mentionPattern = regexp.MustCompile(`(?:^|[^A-Za-z0-9._@-])@([a-z0-9][a-z0-9._-]{2,63})`)

// Mentions returns the distinct usernames @mentioned in body.
func Mentions(body string) []string {
	var out []string
	for _, m := range mentionPattern.FindAllStringSubmatch(body, -1) {
		name := strings.TrimRight(m[1], "._-")
		if len(name) >= 3 && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// Incident notifies about a change the principal just made to the incident
// ref (human id or numeric id). kind is one of Events; comment is the body
// of a comment (for its @mentions), otherwise "". A failure is logged and
// returned, but callers should not fail the request: the change is stored.
func (n *Notifier) Incident(ctx context.Context, who auth.Principal, kind, ref, comment string) error {
	_, err := n.Tell(ctx, who, kind, ref, comment)
	return err
}

// Unreached is someone @mentioned in a comment who was not told, and why.
type Unreached struct {
	Username string `json:"username"`
	Reason   string `json:"reason"` // one of the Not* reasons
}

// Why a mention was not told.
const (
	NotAUser   = "no_such_user" // no account has that name
	NotEnabled = "disabled"     // the account is disabled
	NotReader  = "cannot_read"  // they may not read the incident: they learn nothing of it
)

// Tell is Incident that also says which @mentions of a comment were not
// told, and why, so the commenter knows whom the comment did not reach.
func (n *Notifier) Tell(ctx context.Context, who auth.Principal, kind, ref, comment string) ([]Unreached, error) {
	n.defaults()
	unreached, err := n.incident(ctx, who, kind, ref, comment)
	if err != nil {
		n.Log.WarnContext(ctx, "notification not sent", "event", kind, "incident", ref, "err", err)
	}
	return unreached, err
}

func (n *Notifier) incident(ctx context.Context, who auth.Principal, kind, ref, comment string) ([]Unreached, error) {
	if !slices.Contains(Events, kind) {
		return nil, fmt.Errorf("unknown event %q", kind)
	}
	// Read the incident as the actor: what they cannot read (any more) is
	// described to no one.
	inc, err := incident.Get(ctx, n.DB, who, ref)
	if err != nil {
		return nil, err
	}
	if inc.Drill {
		// A drill's incident tells no one: no inbox, e-mail or webhook
		// carries an exercise out of its room (its page and BSSN's
		// trainers' page show it).
		return nil, nil
	}
	tree, err := n.tree(ctx)
	if err != nil {
		return nil, err
	}
	rec := inc.Record()
	var recipients []auth.User
	switch kind {
	case IncidentEscalationRequested:
		recipients, err = n.escalators(ctx, tree, rec, who.User.ID)
	default:
		recipients, err = n.recipients(ctx, tree, rec, who.User.ID, n.desks(tree, kind, inc)...)
	}
	if err != nil {
		return nil, err
	}
	events := map[int64]string{}
	for _, u := range recipients {
		events[u.ID] = kind
	}
	var unreached []Unreached
	if kind == IncidentComment {
		for _, name := range Mentions(comment) {
			u, err := auth.UserByName(ctx, n.DB, name)
			if errors.Is(err, store.ErrNotFound) {
				unreached = append(unreached, Unreached{name, NotAUser})
				continue
			} else if err != nil {
				return nil, err
			}
			if u.ID == who.User.ID {
				continue
			}
			if u.Disabled {
				unreached = append(unreached, Unreached{name, NotEnabled})
				continue
			}
			if !readable(u, tree, rec) {
				unreached = append(unreached, Unreached{name, NotReader}) // nothing, and never the content
				continue
			}
			if _, ok := events[u.ID]; !ok {
				recipients = append(recipients, u)
			}
			events[u.ID] = IncidentMention
		}
	}
	now := store.Now()
	err = n.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, u := range recipients {
			if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, incident_id, event, actor, created_at) VALUES (?, ?, ?, ?, ?)`,
				u.ID, inc.ID, events[u.ID], who.User.Username, now); err != nil {
				return err
			}
		}
		return n.enqueue(ctx, tx, kind, inc, tree, rec, now)
	})
	if err != nil {
		return unreached, err
	}
	n.wake()
	if n.Status().Email {
		n.email(inc, who.User.Username, recipients, events)
	}
	return unreached, nil
}

// desks are the organisations told of a new incident beyond its own: the
// province's KPU and operation room (Diskominfo) of every incident inside
// the province, and the national desk of every high or critical one. Each
// of their users is still told only if they may read the incident.
func (n *Notifier) desks(tree *org.Tree, kind string, inc incident.Incident) []int64 {
	if kind != IncidentCreated {
		return nil
	}
	var slugs []string
	if inc.Region != "" {
		slugs = org.ProvinceDesks(region.Province(inc.Region))
	}
	if inc.Severity == "high" || inc.Severity == "critical" {
		slugs = append(slugs, incident.NationalDesk)
	}
	var ids []int64
	for _, s := range slugs {
		if o, ok := tree.BySlug(s); ok {
			ids = append(ids, o.ID)
		}
	}
	return ids
}

// escalators are the users who may escalate rec (policy.CanCase), without
// the actor: those an escalation request is for.
func (n *Notifier) escalators(ctx context.Context, tree *org.Tree, rec policy.Record, actor int64) ([]auth.User, error) {
	rows, err := n.DB.Query(ctx, `SELECT id FROM users WHERE disabled_at IS NULL AND role = ? ORDER BY id`, string(policy.RoleCoordinator))
	if err != nil {
		return nil, err
	}
	ids, err := store.Collect(rows, func(r store.Scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	var out []auth.User
	for _, id := range ids {
		if id == actor {
			continue
		}
		u, err := auth.UserByID(ctx, n.DB, id)
		if err != nil {
			return nil, err
		}
		if p, err := auth.PrincipalOf(u, tree); err == nil && policy.CanCase(p.Viewer, rec, policy.CaseEscalate) {
			out = append(out, u)
		}
	}
	return out, nil
}

func (n *Notifier) tree(ctx context.Context) (*org.Tree, error) {
	if n.Orgs != nil {
		return n.Orgs.Tree(ctx)
	}
	return org.Load(ctx, n.DB)
}

// readable judges u as the viewer they are.
func readable(u auth.User, tree *org.Tree, rec policy.Record) bool {
	p, err := auth.PrincipalOf(u, tree)
	return err == nil && policy.CanRead(p.Viewer, rec)
}

// recipients are the named users and the users of the owner and participant
// organisations (and of the further organisations given) who may read rec
// (RED: named users only), without the actor.
func (n *Notifier) recipients(ctx context.Context, tree *org.Tree, rec policy.Record, actor int64, further ...int64) ([]auth.User, error) {
	ids := slices.Clone(rec.Users)
	if rec.TLP != policy.Red {
		orgs := append(append([]int64{rec.OwnerOrg}, rec.Orgs...), further...)
		rows, err := n.DB.Query(ctx, `SELECT id FROM users WHERE disabled_at IS NULL AND org_id IN (`+store.In(len(orgs))+`) ORDER BY id`, anys(orgs)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []auth.User
	for _, id := range ids {
		if id == actor {
			continue
		}
		u, err := auth.UserByID(ctx, n.DB, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if readable(u, tree, rec) {
			out = append(out, u)
		}
	}
	return out, nil
}

func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// Item is an inbox entry as its recipient sees it.
type Item struct {
	ID         int64      `json:"id"`
	Event      string     `json:"event"`
	IncidentID int64      `json:"incident_id,omitempty"`
	FindingID  int64      `json:"finding_id,omitempty"` // an entry is about an incident, a finding or a room
	RoomID     int64      `json:"room_id,omitempty"`
	TakedownID int64      `json:"takedown_id,omitempty"`
	HumanID    string     `json:"human_id"`
	Title      string     `json:"title"`
	Actor      string     `json:"actor,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ReadAt     *time.Time `json:"read_at,omitempty"`
}

// Inbox lists who's notifications, newest first, below the id before (0 =
// from the top), up to limit+1 items (the extra one says there is more).
// Entries of incidents or findings who can no longer read are not shown:
// the list joins them under policy.ReadFilter.
func Inbox(ctx context.Context, q store.Querier, who auth.Principal, before int64, unreadOnly bool, limit int) ([]Item, error) {
	vis, vargs := entryVisible(who)
	where := `n.user_id = ?`
	args := []any{who.User.ID}
	if before > 0 {
		where += ` AND n.id < ?`
		args = append(args, before)
	}
	if unreadOnly {
		where += ` AND n.read_at IS NULL`
	}
	args = append(args, vargs...)
	args = append(args, limit+1)
	rows, err := q.Query(ctx, `SELECT n.id, n.event, COALESCE(n.incident_id, 0), COALESCE(n.finding_id, 0), COALESCE(n.room_id, 0), COALESCE(i.human_id, ''),
		COALESCE(i.title, f.title, rm.name, ''), COALESCE(n.takedown_id, 0), COALESCE((SELECT tk.number FROM takedowns tk WHERE tk.id = n.takedown_id), ''), n.actor, n.created_at, n.read_at
		FROM notifications n LEFT JOIN incidents i ON i.id = n.incident_id LEFT JOIN findings f ON f.id = n.finding_id LEFT JOIN rooms rm ON rm.id = n.room_id
		WHERE `+where+` AND `+vis+` ORDER BY n.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		var it Item
		var number string
		if err := rows.Scan(&it.ID, &it.Event, &it.IncidentID, &it.FindingID, &it.RoomID, &it.HumanID, &it.Title, &it.TakedownID, &number, &it.Actor, &it.CreatedAt, &it.ReadAt); err != nil {
			return nil, err
		}
		if it.TakedownID != 0 {
			it.HumanID, it.Title = number, number
		}
		if it.FindingID != 0 {
			it.HumanID = finding.HumanID(it.FindingID)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// entryVisible is the visibility test of an inbox entry: of its incident or of
// its finding, whichever it is about.
func entryVisible(who auth.Principal) (string, []any) {
	visI, argsI := policy.ReadFilter(who.Viewer, incident.RecordKind, "i")
	visF, argsF := policy.ReadFilter(who.Viewer, finding.RecordKind, "f")
	// A room's entry is read while its recipient is on the room's staff.
	room := `(n.room_id IS NOT NULL AND EXISTS (SELECT 1 FROM room_members rmm WHERE rmm.room_id = n.room_id AND rmm.user_id = n.user_id))`
	// A takedown request's entry is read while its recipient may read the request.
	visT, argsT := policy.ReadFilter(who.Viewer, takedown.RecordKind, "tk")
	tk := `(n.takedown_id IS NOT NULL AND EXISTS (SELECT 1 FROM takedowns tk WHERE tk.id = n.takedown_id AND ` + visT + `))`
	return `((n.incident_id IS NOT NULL AND ` + visI + `) OR (n.finding_id IS NOT NULL AND ` + visF + `) OR ` + room + ` OR ` + tk + `)`,
		append(append(argsI, argsF...), argsT...)
}

// Unread counts who's unread notifications of incidents and findings they
// may still read: the number beside the inbox in the navigation.
func Unread(ctx context.Context, q store.Querier, who auth.Principal) (int, error) {
	vis, vargs := entryVisible(who)
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM notifications n LEFT JOIN incidents i ON i.id = n.incident_id LEFT JOIN findings f ON f.id = n.finding_id
		WHERE n.user_id = ? AND n.read_at IS NULL AND `+vis, append([]any{who.User.ID}, vargs...)...).Scan(&n)
	return n, err
}

// MarkAllRead marks all of who's notifications read.
func MarkAllRead(ctx context.Context, db *store.DB, who auth.Principal) error {
	_, err := db.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`, store.Now(), who.User.ID)
	return err
}

// MarkOpened marks read who's notification id if it is about the incident
// being opened; any other id changes nothing.
func MarkOpened(ctx context.Context, db *store.DB, who auth.Principal, id, incidentID int64) error {
	_, err := db.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND incident_id = ? AND read_at IS NULL`,
		store.Now(), id, who.User.ID, incidentID)
	return err
}

// MarkRead marks one of who's notifications read (idempotent). Another
// user's notification is not found.
func MarkRead(ctx context.Context, db *store.DB, who auth.Principal, id int64) error {
	var owner int64
	err := db.QueryRow(ctx, `SELECT user_id FROM notifications WHERE id = ?`, id).Scan(&owner)
	if errors.Is(err, store.ErrNotFound) || (err == nil && owner != who.User.ID) {
		return problem.New(problem.NotFound, "no notification %d", id)
	} else if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL`, store.Now(), id, who.User.ID)
	return err
}

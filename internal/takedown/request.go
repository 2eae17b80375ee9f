package takedown

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names takedown requests in the participant tables, the audit
// chain and clock notices.
const RecordKind = "takedown"

// Categories of content a request is about.
var Categories = []string{"hoaks", "disinformasi", "ujaran_kebencian", "sara", "phishing", "kebocoran_data", "lainnya"}

// LegalBasis is one provision a request may rest on.
type LegalBasis struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// LegalBases is the fixed list a request's legal basis is chosen from.
var LegalBases = []LegalBasis{
	{"uu_ite_28_2", "UU ITE (UU 1/2024) Pasal 28 ayat (2): ujaran kebencian berbasis SARA"},
	{"uu_ite_28_3", "UU ITE (UU 1/2024) Pasal 28 ayat (3): pemberitahuan bohong yang menimbulkan kerusuhan"},
	{"uu_ite_35", "UU ITE Pasal 35: manipulasi informasi elektronik (peniruan situs)"},
	{"uu_ite_40_2b", "UU ITE Pasal 40 ayat (2b): pemutusan akses informasi elektronik yang melanggar hukum"},
	{"uu_pemilu_280", "UU 7/2017 tentang Pemilu Pasal 280: larangan dalam kampanye"},
	{"uu_pdp_65", "UU 27/2022 tentang PDP Pasal 65: pengungkapan data pribadi tanpa hak"},
	{"permenkominfo_5_2020", "Permenkominfo 5/2020 Pasal 13-15: permohonan pemutusan akses"},
}

func legalBasisKnown(key string) bool {
	return slices.ContainsFunc(LegalBases, func(b LegalBasis) bool { return b.Key == key })
}

// Urgencies and the time a platform has to act on each (Permenkominfo
// 5/2020: 4 hours when urgent, 24 hours otherwise).
const (
	Urgent = "urgent" // mendesak
	Normal = "normal" // biasa
)

// Deadlines are the times a platform has, by urgency.
type Deadlines map[string]time.Duration

// DefaultDeadlines are the regulation's.
var DefaultDeadlines = Deadlines{Urgent: 4 * time.Hour, Normal: 24 * time.Hour}

// Statuses of a request.
const (
	Draft        = "draft"
	Approved     = "approved"
	Sent         = "sent"
	Acknowledged = "acknowledged"
	Closed       = "closed" // every URL has a final answer
)

// Statuses lists the request statuses in lifecycle order.
var Statuses = []string{Draft, Approved, Sent, Acknowledged, Closed}

// Channels a request is sent by.
const (
	ChannelEmail   = "email"
	ChannelWebForm = "web_form"
	ChannelAPI     = "api"
)

// Outcomes of a URL.
const (
	Pending    = "pending"
	Removed    = "removed"
	Restricted = "restricted" // restricted in Indonesia
	Refused    = "refused"
	Objected   = "objected" // sanggah: the platform argues; the agency decides
	NoAnswer   = "no_answer"
	Withdrawn  = "withdrawn" // the agency accepted an objection
)

// Outcomes lists the URL outcomes.
var Outcomes = []string{Pending, Removed, Restricted, Refused, Objected, NoAnswer, Withdrawn}

// final reports whether a URL's outcome ends its part of the request.
func final(outcome string) bool {
	return outcome != Pending && outcome != Objected
}

// URL is one URL of a request and the platform's answer for it.
type URL struct {
	ID           int64      `json:"id"`
	URL          string     `json:"url"`
	Outcome      string     `json:"outcome"`
	Reason       string     `json:"reason,omitempty"`
	AnsweredBy   string     `json:"answered_by,omitempty"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	Decision     string     `json:"decision,omitempty"`
	DecisionNote string     `json:"decision_note,omitempty"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	Clock        *Clock     `json:"clock,omitempty"`
	// GoneAt is when Garda's own check first saw the content down;
	// StillOnline flags a URL answered removed that Garda still sees.
	GoneAt      *time.Time `json:"gone_at,omitempty"`
	StillOnline bool       `json:"still_online,omitempty"`
}

// Clock is a deadline as the incident desk computes it: every deadline in
// Garda reads the same.
type Clock = incident.Clock

// Request is a takedown request.
type Request struct {
	ID             int64      `json:"id"`
	Number         string     `json:"number"`
	PlatformID     int64      `json:"platform_id"`
	Platform       string     `json:"platform"` // slug
	PlatformName   string     `json:"platform_name"`
	Category       string     `json:"category"`
	LegalBasis     []string   `json:"legal_basis"`
	Urgency        string     `json:"urgency"`
	Status         string     `json:"status"`
	Summary        string     `json:"summary"`
	Notes          string     `json:"notes,omitempty"` // internal: never shown to the platform
	TLP            policy.TLP `json:"tlp"`
	Region         string     `json:"region"`
	OwnerOrgID     int64      `json:"owner_org_id"`
	Owner          string     `json:"owner"`
	AuthorID       int64      `json:"author_id"`
	Author         string     `json:"author"`
	ApprovedBy     string     `json:"approved_by,omitempty"`
	ApprovedAt     *time.Time `json:"approved_at,omitempty"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	Channel        string     `json:"channel,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	DueAt          *time.Time `json:"due_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	Stage          int        `json:"stage"` // the warning stage reached: 0 none, 1-3 teguran, 4 pemutusan akses
	StageAt        *time.Time `json:"stage_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	URLCount       int        `json:"url_count"`
	URLs           []URL      `json:"urls,omitempty"`
	Evidence       []Evidence `json:"evidence,omitempty"`
	Clock          *Clock     `json:"clock,omitempty"`

	orgs, users []int64
}

// Record is the request's access-relevant part.
func (r Request) Record() policy.Record {
	return policy.Record{OwnerOrg: r.OwnerOrgID, Region: r.Region, TLP: r.TLP, Orgs: r.orgs, Users: r.users}
}

// New describes a request to create. Platform (a slug) may be left empty
// when every URL finds its platform by itself; a URL of no known platform
// needs it.
type New struct {
	Platform   string   `json:"platform,omitempty"`
	URLs       []string `json:"urls"`
	Category   string   `json:"category"`
	LegalBasis []string `json:"legal_basis"`
	Urgency    string   `json:"urgency"`
	Summary    string   `json:"summary"`
	Notes      string   `json:"notes,omitempty"`
	TLP        string   `json:"tlp,omitempty"`    // AMBER when empty
	Region     string   `json:"region,omitempty"` // the author's scope when empty
	Orgs       []string `json:"orgs,omitempty"`   // participant organisations (KPU, Bawaslu on election content)
	// FromPatrol files the request from a patrol item (its URL, its
	// capture's hashes); FromIncident from an incident's URL and domain
	// observables (its evidence files' hashes). Either adds to URLs.
	FromPatrol   int64  `json:"from_patrol,omitempty"`
	FromIncident string `json:"from_incident,omitempty"`
}

// maxURLs bounds one request.
const maxURLs = 500

// mayDraft reports whether a principal files requests: the people who
// work cases, and agency liaisons; never a platform's own people.
func mayDraft(who auth.Principal, reg *Registry) bool {
	if _, platform := reg.ByOrg(who.Viewer.OrgID); platform {
		return false
	}
	return who.Can(policy.Takedown) || who.Can(policy.Investigate)
}

// Create files a draft request. Every URL is checked before anything is
// stored: malformed URLs are refused, duplicates merged, and each URL must
// belong to the request's platform: found by itself, or, for a URL of no
// known platform, named by the author (never guessed).
func Create(ctx context.Context, db *store.DB, who auth.Principal, n New) (Request, error) {
	return Lifecycle{DB: db}.Create(ctx, who, n)
}

// Create files a draft request at the lifecycle's clock; see Create.
func (l Lifecycle) Create(ctx context.Context, who auth.Principal, n New) (Request, error) {
	db := l.DB
	reg, err := LoadRegistry(ctx, db)
	if err != nil {
		return Request{}, err
	}
	if !mayDraft(who, reg) {
		return Request{}, problem.New(problem.Forbidden, "your role does not file takedown requests")
	}
	evidence, err := fromSources(ctx, db, who, &n)
	if err != nil {
		return Request{}, err
	}
	p, urls, err := placeURLs(reg, n.Platform, n.URLs)
	if err != nil {
		return Request{}, err
	}
	switch {
	case !slices.Contains(Categories, n.Category):
		return Request{}, problem.Field("category", "must be one of %s", strings.Join(Categories, ", "))
	case len(n.LegalBasis) == 0:
		return Request{}, problem.Field("legal_basis", "choose at least one legal basis")
	case n.Urgency == "":
		n.Urgency = Normal
	}
	if _, ok := DefaultDeadlines[n.Urgency]; !ok {
		return Request{}, problem.Field("urgency", "must be urgent (4 hours) or normal (24 hours)")
	}
	var basis []string
	for _, b := range n.LegalBasis {
		if !legalBasisKnown(b) {
			return Request{}, problem.Field("legal_basis", "unknown legal basis %q", b)
		}
		if !slices.Contains(basis, b) {
			basis = append(basis, b)
		}
	}
	n.Summary, n.Notes = strings.TrimSpace(n.Summary), strings.TrimSpace(n.Notes)
	if n.Summary == "" || len(n.Summary) > 4000 {
		return Request{}, problem.Field("summary", "say what the content is and why it must go (at most 4000 characters)")
	}
	if len(n.Notes) > 8000 {
		return Request{}, problem.Field("notes", "at most 8000 characters")
	}
	tlp := policy.Amber
	if n.TLP != "" {
		if tlp, err = policy.ParseTLP(n.TLP); err != nil {
			return Request{}, problem.Field("tlp", "unknown TLP label %q", n.TLP)
		}
	}
	if n.Region == "" {
		n.Region = who.Viewer.Scope
	}
	if !region.Valid(n.Region) {
		return Request{}, problem.Field("region", "unknown region code %q", n.Region)
	}
	if !region.Contains(who.Viewer.Scope, n.Region) {
		return Request{}, problem.Field("region", "%q lies outside your scope", n.Region)
	}
	var r Request
	err = db.InTx(ctx, func(tx *store.Tx) error {
		rec := policy.Record{OwnerOrg: who.Viewer.OrgID, Region: n.Region, TLP: tlp}.WithNamedUser(who.User.ID, who.Viewer.OrgID)
		for _, slug := range n.Orgs {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM orgs WHERE slug = ?`, slug).Scan(&id)
			if errors.Is(err, store.ErrNotFound) {
				return problem.Field("orgs", "no organisation %q", slug)
			} else if err != nil {
				return err
			}
			if _, platform := reg.ByOrg(id); platform {
				return problem.Field("orgs", "%q is a platform: it joins the request when the request is sent to it", slug)
			}
			if !slices.Contains(rec.Orgs, id) {
				rec.Orgs = append(rec.Orgs, id)
			}
		}
		now := l.now()
		lb, _ := json.Marshal(basis)
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO takedowns (platform_id, category, legal_basis, urgency, status, summary, notes, tlp, region, owner_org_id, author_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.ID, n.Category, string(lb), n.Urgency, Draft, n.Summary, n.Notes, string(tlp), n.Region, who.Viewer.OrgID, who.User.ID, now, now).Scan(&id); err != nil {
			return fmt.Errorf("create takedown request: %w", err)
		}
		number := fmt.Sprintf("PK-%d-%06d", now.Year(), id)
		if _, err := tx.Exec(ctx, `UPDATE takedowns SET number = ? WHERE id = ?`, number, id); err != nil {
			return fmt.Errorf("number takedown request: %w", err)
		}
		for _, u := range urls {
			if _, err := tx.Exec(ctx, `INSERT INTO takedown_urls (takedown_id, url) VALUES (?, ?)`, id, u); err != nil {
				return fmt.Errorf("store takedown URL: %w", err)
			}
		}
		if err := participant.Add(ctx, tx, RecordKind, id, participant.Set{Orgs: rec.Orgs, Users: rec.Users}); err != nil {
			return err
		}
		if err := storeEvidence(ctx, tx, id, evidence); err != nil {
			return err
		}
		if err := event(ctx, tx, who, id, 0, "created", fmt.Sprintf("%d URL", len(urls)), now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Actor(), "takedown.create", RecordKind, id, map[string]any{
			"number": number, "platform": p.Slug, "urls": urls, "category": n.Category, "legal_basis": basis,
			"urgency": n.Urgency, "tlp": tlp, "region": n.Region, "orgs": n.Orgs,
			"from_patrol": n.FromPatrol, "from_incident": n.FromIncident, "evidence": evidence}); err != nil {
			return err
		}
		r, err = get(ctx, tx, who, id)
		return err
	})
	return r, err
}

// placeURLs checks and normalises urls, merges duplicates and finds the one
// platform they are addressed to.
func placeURLs(reg *Registry, platform string, raw []string) (Platform, []string, error) {
	var named Platform
	if platform != "" {
		var ok bool
		if named, ok = reg.BySlug(platform); !ok {
			return Platform{}, nil, problem.Field("platform", "no platform %q in the registry", platform)
		}
	}
	if len(raw) == 0 {
		return Platform{}, nil, problem.Field("urls", "give at least one URL")
	}
	if len(raw) > maxURLs {
		return Platform{}, nil, problem.Field("urls", "at most %d URLs in one request", maxURLs)
	}
	var out []string
	found := Platform{}
	for _, s := range raw {
		u, err := ParseURL(s)
		if err != nil {
			return Platform{}, nil, err
		}
		norm := u.String()
		if slices.Contains(out, norm) {
			continue // the same URL twice is one URL
		}
		p, ok, err := reg.PlatformOf(norm)
		if err != nil {
			return Platform{}, nil, err
		}
		switch {
		case !ok && named.ID == 0:
			return Platform{}, nil, problem.Field("platform", "%s belongs to no platform in the registry: say which platform it is addressed to", norm)
		case ok && named.ID != 0 && p.ID != named.ID:
			return Platform{}, nil, problem.Field("urls", "%s belongs to %s, not %s: file it in a request to %s", norm, p.Name, named.Name, p.Name)
		case ok && found.ID != 0 && p.ID != found.ID:
			return Platform{}, nil, problem.Field("urls", "the URLs belong to %s and %s: one request goes to one platform", found.Name, p.Name)
		case ok:
			found = p
		}
		out = append(out, norm)
	}
	if named.ID != 0 {
		return named, out, nil
	}
	return found, out, nil
}

// event appends to a request's history.
func event(ctx context.Context, tx *store.Tx, who auth.Principal, id, urlID int64, kind, body string, at time.Time) error {
	var u any
	if urlID > 0 {
		u = urlID
	}
	_, err := tx.Exec(ctx, `INSERT INTO takedown_events (takedown_id, url_id, at, actor, actor_org, kind, body) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, u, at, who.User.Username, who.Org.Slug, kind, body)
	if err != nil {
		return fmt.Errorf("takedown history: %w", err)
	}
	return nil
}

const columns = `t.id, COALESCE(t.number, ''), t.platform_id, p.slug, p.name, t.category, t.legal_basis, t.urgency, t.status, t.summary, t.notes,
	t.tlp, t.region, t.owner_org_id, o.slug, t.author_id, au.username, COALESCE(ap.username, ''), t.approved_at, t.sent_at, t.channel,
	t.acknowledged_at, t.due_at, t.closed_at, t.stage, t.stage_at, t.created_at, t.updated_at,
	(SELECT COUNT(*) FROM takedown_urls tu WHERE tu.takedown_id = t.id)`

const from = ` FROM takedowns t JOIN takedown_platforms p ON p.id = t.platform_id JOIN orgs o ON o.id = t.owner_org_id
	JOIN users au ON au.id = t.author_id LEFT JOIN users ap ON ap.id = t.approved_by`

func scanRequest(s store.Scanner) (Request, error) {
	var r Request
	var lb string
	err := s.Scan(&r.ID, &r.Number, &r.PlatformID, &r.Platform, &r.PlatformName, &r.Category, &lb, &r.Urgency, &r.Status, &r.Summary, &r.Notes,
		&r.TLP, &r.Region, &r.OwnerOrgID, &r.Owner, &r.AuthorID, &r.Author, &r.ApprovedBy, &r.ApprovedAt, &r.SentAt, &r.Channel,
		&r.AcknowledgedAt, &r.DueAt, &r.ClosedAt, &r.Stage, &r.StageAt, &r.CreatedAt, &r.UpdatedAt, &r.URLCount)
	if err != nil {
		return r, err
	}
	if json.Unmarshal([]byte(lb), &r.LegalBasis) != nil || r.LegalBasis == nil {
		r.LegalBasis = []string{}
	}
	return r, nil
}

// platformOf returns the platform whose organisation the viewer belongs to
// (0 when none): such a viewer is the platform's, and sees only what was
// sent to it.
func platformOf(ctx context.Context, q store.Querier, v policy.Viewer) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM takedown_platforms WHERE org_id = ?`, v.OrgID).Scan(&id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return id, err
}

// visibility is the WHERE fragment, on takedowns aliased t, for the
// requests v may read: policy's rule, and for a platform's people only the
// requests sent to their platform (never a draft or an approved request
// not yet sent).
func visibility(ctx context.Context, q store.Querier, v policy.Viewer) (string, []any, int64, error) {
	vis, args := policy.ReadFilter(v, RecordKind, "t")
	pid, err := platformOf(ctx, q, v)
	if err != nil {
		return "", nil, 0, err
	}
	if pid > 0 {
		vis = "(" + vis + " AND t.platform_id = ? AND t.status NOT IN (?, ?))"
		args = append(args, pid, Draft, Approved)
	}
	return vis, args, pid, nil
}

// Get reads a request the principal may see, with its URLs and clocks. A
// request it may not see is "not found", as one that does not exist. A
// platform's people never get the internal notes.
func Get(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Request, error) {
	return get(ctx, q, who, id)
}

func get(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Request, error) {
	vis, args, pid, err := visibility(ctx, q, who.Viewer)
	if err != nil {
		return Request{}, err
	}
	r, err := scanRequest(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE t.id = ? AND `+vis, append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return Request{}, problem.New(problem.NotFound, "no takedown request %d", id)
	} else if err != nil {
		return Request{}, err
	}
	if pid > 0 {
		r.Notes = ""
	}
	set, err := participant.Load(ctx, q, RecordKind, id)
	if err != nil {
		return Request{}, err
	}
	r.orgs, r.users = set.Orgs, set.Users
	if r.URLs, err = loadURLs(ctx, q, id); err != nil {
		return Request{}, err
	}
	if r.Evidence, err = loadEvidence(ctx, q, id); err != nil {
		return Request{}, err
	}
	withClocks(&r, store.Now())
	return r, nil
}

func loadURLs(ctx context.Context, q store.Querier, id int64) ([]URL, error) {
	rows, err := q.Query(ctx, `SELECT tu.id, tu.url, tu.outcome, tu.reason, COALESCE(u.username, ''), tu.answered_at, tu.decision, tu.decision_note, tu.decided_at, tu.gone_at, tu.still_online
		FROM takedown_urls tu LEFT JOIN users u ON u.id = tu.answered_by WHERE tu.takedown_id = ? ORDER BY tu.id`, id)
	if err != nil {
		return nil, fmt.Errorf("takedown URLs: %w", err)
	}
	return store.Collect(rows, func(s store.Scanner) (URL, error) {
		var u URL
		var still int
		err := s.Scan(&u.ID, &u.URL, &u.Outcome, &u.Reason, &u.AnsweredBy, &u.AnsweredAt, &u.Decision, &u.DecisionNote, &u.DecidedAt, &u.GoneAt, &still)
		u.StillOnline = still == 1
		return u, err
	})
}

// Filter narrows a list. The zero Filter lists every request the reader
// may read, newest first.
type Filter struct {
	Status   []string // any of these
	Platform string   // a platform's slug
	Category string
	Region   string // this region and inside it
	Overdue  bool   // sent, not closed, past the deadline at Now
	Now      time.Time
	Before   int64 // cursor: ids below this (newest-first order only)
	Limit    int   // default 50, at most 500
	// ByDeadline orders the queue as people work it: the nearest deadline
	// first, requests not yet sent after them; Before is then ignored.
	ByDeadline bool
}

// List returns the requests the principal may read, newest first, up to
// Limit+1 so the caller can tell whether there is more. Visibility is
// decided in the query. URLs are not loaded (URLCount says how many).
func List(ctx context.Context, q store.Querier, who auth.Principal, f Filter) ([]Request, error) {
	vis, args, pid, err := visibility(ctx, q, who.Viewer)
	if err != nil {
		return nil, err
	}
	where := []string{vis}
	for _, s := range f.Status {
		if !slices.Contains(Statuses, s) {
			return nil, problem.Field("status", "must be one of %s", strings.Join(Statuses, ", "))
		}
	}
	if len(f.Status) > 0 {
		where = append(where, "t.status IN ("+store.In(len(f.Status))+")")
		for _, s := range f.Status {
			args = append(args, s)
		}
	}
	if f.Platform != "" {
		where, args = append(where, "p.slug = ?"), append(args, f.Platform)
	}
	if f.Category != "" {
		if !slices.Contains(Categories, f.Category) {
			return nil, problem.Field("category", "must be one of %s", strings.Join(Categories, ", "))
		}
		where, args = append(where, "t.category = ?"), append(args, f.Category)
	}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, problem.Field("region", "unknown region code %q", f.Region)
		}
		if cond, cargs := policy.InRegion(who.Viewer, "t", f.Region); cond != "" {
			where, args = append(where, cond), append(args, cargs...)
		}
	}
	now := f.Now
	if now.IsZero() {
		now = store.Now()
	}
	if f.Overdue {
		where, args = append(where, "t.status IN (?, ?) AND t.due_at < ?"), append(args, Sent, Acknowledged, now)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	page := func(where []string, order string, n int) ([]Request, error) {
		rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` LIMIT ?`, append(slices.Clone(args), n)...)
		if err != nil {
			return nil, fmt.Errorf("list takedown requests: %w", err)
		}
		return store.Collect(rows, scanRequest)
	}
	var list []Request
	if f.ByDeadline {
		// Nearest deadline first, then the requests not yet sent, newest
		// first: two reads in index order (takedowns_open_deadline when
		// only open requests are asked for, a literal condition so that
		// the engines match the partial index), each stopping at the page.
		if len(f.Status) > 0 && !slices.Contains(f.Status, Closed) {
			where = append(where, "t.closed_at IS NULL")
		}
		if list, err = page(append(slices.Clone(where), "t.due_at IS NOT NULL"), "t.due_at, t.id DESC", limit+1); err != nil {
			return nil, err
		}
		if len(list) <= limit {
			more, err := page(append(where, "t.due_at IS NULL"), "t.id DESC", limit+1-len(list))
			if err != nil {
				return nil, err
			}
			list = append(list, more...)
		}
	} else {
		if f.Before > 0 {
			where, args = append(where, "t.id < ?"), append(args, f.Before)
		}
		if list, err = page(where, "t.id DESC", limit+1); err != nil {
			return nil, err
		}
	}
	for i := range list {
		if pid > 0 {
			list[i].Notes = ""
		}
		withClocks(&list[i], now)
	}
	return list, nil
}

// withClocks sets the request's clock and its URLs' from the sent time and
// the urgency: a URL's is met by its answer; the request's when it closes.
func withClocks(r *Request, now time.Time) {
	if r.SentAt == nil {
		return
	}
	d, ok := DefaultDeadlines[r.Urgency]
	if r.DueAt != nil {
		d, ok = r.DueAt.Sub(*r.SentAt), true // the deadline it was sent with
	}
	if !ok {
		return
	}
	c := incident.DeadlineClock("takedown", *r.SentAt, d, r.ClosedAt, now)
	r.Clock = &c
	for i := range r.URLs {
		u := &r.URLs[i]
		var met *time.Time
		if u.Outcome != Pending {
			met = u.AnsweredAt
		}
		uc := incident.DeadlineClock("takedown_url", *r.SentAt, d, met, now)
		u.Clock = &uc
	}
}

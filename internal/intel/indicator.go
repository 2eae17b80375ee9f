package intel

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel/warninglist"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names indicators in the participant tables and the audit chain.
const RecordKind = "indicator"

// Indicator is one value Garda looks for, as stored.
type Indicator struct {
	ID          int64      `json:"id"`
	STIXID      string     `json:"stix_id"`
	Kind        Kind       `json:"kind"`
	Value       string     `json:"value"`
	Pattern     string     `json:"pattern"`
	Name        string     `json:"name,omitempty"`
	Description string     `json:"description,omitempty"`
	Confidence  int        `json:"confidence"`
	ValidFrom   time.Time  `json:"valid_from"`
	ValidUntil  *time.Time `json:"valid_until,omitempty"`
	Revoked     bool       `json:"revoked"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	Detect      bool       `json:"detect"`
	Block       bool       `json:"block"`
	Techniques  []string   `json:"techniques,omitempty"`
	Source      string     `json:"source"`
	SourceRef   string     `json:"source_ref,omitempty"`
	CreatedBy   string     `json:"created_by"` // STIX identity id
	TLP         policy.TLP `json:"tlp"`
	Region      string     `json:"region"`
	Owner       string     `json:"owner"` // organisation slug
	OwnerID     int64      `json:"-"`
	CreatedAt   time.Time  `json:"created_at"`
	ModifiedAt  time.Time  `json:"modified_at"`

	access policy.Record
}

// Record is the indicator as policy judges it (filled when one is read).
func (i Indicator) Record() policy.Record { return i.access }

// Active reports whether the indicator is in force at now.
func (i Indicator) Active(now time.Time) bool {
	return !i.Revoked && !i.ValidFrom.After(now) && (i.ValidUntil == nil || i.ValidUntil.After(now))
}

// Input is a new indicator. Kind and Value are required; the rest has
// defaults: confidence 50, valid from now, AMBER, the creator's home region.
type Input struct {
	Kind        Kind       `json:"kind"`
	Value       string     `json:"value"`
	Name        string     `json:"name,omitempty"`
	Description string     `json:"description,omitempty"`
	Confidence  *int       `json:"confidence,omitempty"`
	ValidFrom   *time.Time `json:"valid_from,omitempty"`
	ValidUntil  *time.Time `json:"valid_until,omitempty"`
	Detect      bool       `json:"detect,omitempty"`
	Block       bool       `json:"block,omitempty"`
	Techniques  []string   `json:"techniques,omitempty"`
	TLP         policy.TLP `json:"tlp,omitempty"`
	Region      *string    `json:"region,omitempty"`
	// Named users (RED material is read by them only) beside the creator:
	// set by the platform (an incident's named users), never by API callers,
	// since naming someone is a coordinator's decision.
	Users []int64 `json:"-"`

	// Set by the platform, not by API callers.
	STIXID    string `json:"-"`
	Source    string `json:"-"`
	SourceRef string `json:"-"`
	CreatedBy string `json:"-"`
}

// Limits on what an indicator carries.
const (
	maxName        = 256
	maxDescription = 4096
)

// check validates in and fills its defaults; the error names the field.
func (in *Input) check(who auth.Principal, now time.Time) error {
	if !in.Kind.Valid() {
		return problem.Field("kind", "must be one of %s", kindList())
	}
	v, err := Normalize(in.Kind, in.Value)
	if err != nil {
		return problem.Field("value", "%s", err.Error())
	}
	in.Value = v
	if hit, ok := Warned(in.Kind, v); ok {
		return problem.Field("value", "%s is on the %s: a known resolver, CDN or platform never becomes an indicator", v, hit)
	}
	if len(in.Name) > maxName {
		return problem.Field("name", "at most %d bytes", maxName)
	}
	if len(in.Description) > maxDescription {
		return problem.Field("description", "at most %d bytes", maxDescription)
	}
	if in.Confidence == nil {
		c := 50
		in.Confidence = &c
	} else if *in.Confidence < 0 || *in.Confidence > 100 {
		return problem.Field("confidence", "must be 0 to 100")
	}
	if in.ValidFrom == nil {
		in.ValidFrom = &now
	}
	if in.ValidUntil != nil && !in.ValidUntil.After(*in.ValidFrom) {
		return problem.Field("valid_until", "must be after valid_from")
	}
	for i, t := range in.Techniques {
		t = strings.ToUpper(strings.TrimSpace(t))
		if !techniqueRE.MatchString(t) && !capecRE.MatchString(t) {
			return problem.Field("techniques", "%q is neither an ATT&CK technique (T1190) nor a CAPEC id (CAPEC-66)", t)
		}
		in.Techniques[i] = t
	}
	if in.TLP == "" {
		in.TLP = policy.Amber
	}
	if !in.TLP.Valid() {
		return problem.Field("tlp", "must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
	}
	if in.Region == nil {
		r := who.Org.Region
		in.Region = &r
	}
	if *in.Region != "" && !region.Valid(*in.Region) {
		return problem.Field("region", "unknown region code %q", *in.Region)
	}
	if who.Viewer.Scope != "" && *in.Region != who.Viewer.Scope && !strings.HasPrefix(*in.Region, who.Viewer.Scope+".") {
		return problem.Field("region", "outside your scope %s", who.Viewer.Scope)
	}
	if in.STIXID == "" {
		in.STIXID = NewID("indicator")
	} else if !validID("indicator", in.STIXID) {
		return problem.Field("stix_id", "not an indicator id")
	}
	if in.Source == "" {
		in.Source = "manual"
	}
	if in.CreatedBy == "" {
		in.CreatedBy = IdentityID(who.Org.Slug)
	}
	return nil
}

const columns = `i.id, i.stix_id, i.kind, i.value, i.pattern, i.name, i.description, i.confidence, i.valid_from, i.valid_until,
	i.revoked, i.revoked_at, i.detect, i.block, i.techniques, i.source, i.source_ref, i.created_by, i.tlp, i.region,
	o.slug, i.owner_org_id, i.created_at, i.modified_at`

const from = ` FROM indicators i JOIN orgs o ON o.id = i.owner_org_id`

func scan(row store.Scanner) (Indicator, error) {
	var i Indicator
	var kind, tlp, techniques string
	var revoked, detect, block int
	if err := row.Scan(&i.ID, &i.STIXID, &kind, &i.Value, &i.Pattern, &i.Name, &i.Description, &i.Confidence, &i.ValidFrom, &i.ValidUntil,
		&revoked, &i.RevokedAt, &detect, &block, &techniques, &i.Source, &i.SourceRef, &i.CreatedBy, &tlp, &i.Region,
		&i.Owner, &i.OwnerID, &i.CreatedAt, &i.ModifiedAt); err != nil {
		return Indicator{}, err
	}
	i.Kind, i.TLP = Kind(kind), policy.TLP(tlp)
	i.Revoked, i.Detect, i.Block = revoked != 0, detect != 0, block != 0
	if techniques != "" {
		i.Techniques = strings.Split(techniques, ",")
	}
	return i, nil
}

func withAccess(ctx context.Context, q store.Querier, i *Indicator) error {
	set, err := participant.Load(ctx, q, RecordKind, i.ID)
	if err != nil {
		return err
	}
	i.access = policy.Record{OwnerOrg: i.OwnerID, Region: i.Region, TLP: i.TLP, Orgs: set.Orgs, Users: set.Users}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Create stores a new indicator owned by the principal's organisation, with
// the principal named (so RED is read by its creator). A value the
// organisation already holds is a conflict naming the existing indicator.
func Create(ctx context.Context, db *store.DB, who auth.Principal, in Input) (Indicator, error) {
	var out Indicator
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = create(ctx, tx, who, in)
		return err
	})
	return out, err
}

func create(ctx context.Context, tx *store.Tx, who auth.Principal, in Input) (Indicator, error) {
	if !who.Can(policy.Investigate) {
		return Indicator{}, problem.New(problem.Forbidden, "your role may not create indicators")
	}
	now := store.Now()
	if err := in.check(who, now); err != nil {
		return Indicator{}, err
	}
	var existing int64
	err := tx.QueryRow(ctx, `SELECT id FROM indicators WHERE owner_org_id = ? AND kind = ? AND value = ?`, who.Org.ID, string(in.Kind), in.Value).Scan(&existing)
	if err == nil {
		return Indicator{}, problem.New(problem.Conflict, "your organisation already has indicator %d for %s %s", existing, in.Kind, in.Value)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Indicator{}, err
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO indicators (stix_id, kind, value, pattern, name, description, confidence, valid_from, valid_until,
		detect, block, techniques, source, source_ref, created_by, tlp, region, owner_org_id, created_at, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		in.STIXID, string(in.Kind), in.Value, Pattern(in.Kind, in.Value), in.Name, in.Description, *in.Confidence,
		in.ValidFrom.UTC(), utcPtr(in.ValidUntil), boolInt(in.Detect), boolInt(in.Block), strings.Join(in.Techniques, ","),
		in.Source, in.SourceRef, in.CreatedBy, string(in.TLP), *in.Region, who.Org.ID, now, now).Scan(&id); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return Indicator{}, problem.New(problem.Conflict, "indicator %s exists already", in.STIXID)
		}
		return Indicator{}, fmt.Errorf("create indicator: %w", err)
	}
	users := slices.Clone(in.Users)
	// A rule (the patrol's lookalikes) creates as no one: nobody named.
	if who.User.ID > 0 && !slices.Contains(users, who.User.ID) {
		users = append(users, who.User.ID)
	}
	if err := participant.Add(ctx, tx, RecordKind, id, participant.Set{Orgs: []int64{who.Org.ID}, Users: users}); err != nil {
		return Indicator{}, err
	}
	if err := audit.Record(ctx, tx, who.Actor(), "indicator.create", RecordKind, id, map[string]any{
		"stix_id": in.STIXID, "kind": in.Kind, "value": in.Value, "tlp": in.TLP, "region": *in.Region, "source": in.Source, "source_ref": in.SourceRef,
	}); err != nil {
		return Indicator{}, err
	}
	i, err := scan(tx.QueryRow(ctx, `SELECT `+columns+from+` WHERE i.id = ?`, id))
	if err != nil {
		return Indicator{}, err
	}
	return i, withAccess(ctx, tx, &i)
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// Get reads one indicator; one the principal may not read is not found.
func Get(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Indicator, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	i, err := scan(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE i.id = ? AND `+vis, append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return Indicator{}, problem.New(problem.NotFound, "no indicator %d", id)
	} else if err != nil {
		return Indicator{}, err
	}
	return i, withAccess(ctx, q, &i)
}

// Filter narrows a list. The zero Filter lists everything the reader may
// read, newest first.
type Filter struct {
	Text   string       // part of the value or the name
	Kind   Kind         // one kind
	TLP    []policy.TLP // any of these
	Region string       // this region and inside it
	Active *bool        // in force now (true) or revoked/expired (false)
	Detect bool         // marked for detection
	Block  bool         // marked for blocking
	Source string       // manual, alert, incident, finding, import
	Owner  int64        // one organisation's
	Now    time.Time
	Before int64 // cursor: ids below this
	Limit  int   // default 50, at most 500
}

// List returns the indicators the principal may read, newest first, up to
// Limit+1 so the caller can tell whether there is more. Visibility is
// decided in the query.
func List(ctx context.Context, q store.Querier, who auth.Principal, f Filter) ([]Indicator, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	where := []string{vis}
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	if f.Text = strings.TrimSpace(f.Text); f.Text != "" {
		if len(f.Text) > 256 {
			return nil, problem.Field("q", "at most 256 bytes")
		}
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(f.Text)) + "%"
		add(`(LOWER(i.value) LIKE ? ESCAPE '\' OR LOWER(i.name) LIKE ? ESCAPE '\')`, like, like)
	}
	if f.Kind != "" {
		if !f.Kind.Valid() {
			return nil, problem.Field("kind", "must be one of %s", kindList())
		}
		add("i.kind = ?", string(f.Kind))
	}
	if len(f.TLP) > 0 {
		for _, t := range f.TLP {
			if !t.Valid() {
				return nil, problem.Field("tlp", "must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
			}
			args = append(args, string(t))
		}
		where = append(where, "i.tlp IN ("+store.In(len(f.TLP))+")")
	}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, problem.Field("region", "unknown region code %q", f.Region)
		}
		if cond, cargs := policy.InRegion(who.Viewer, "i", f.Region); cond != "" {
			add(cond, cargs...)
		}
	}
	now := f.Now
	if now.IsZero() {
		now = store.Now()
	}
	if f.Active != nil {
		if *f.Active {
			add("i.revoked = 0 AND i.valid_from <= ? AND (i.valid_until IS NULL OR i.valid_until > ?)", now, now)
		} else {
			add("(i.revoked = 1 OR i.valid_from > ? OR i.valid_until <= ?)", now, now)
		}
	}
	if f.Detect {
		add("i.detect = 1")
	}
	if f.Block {
		add("i.block = 1")
	}
	if f.Source != "" {
		add("i.source = ?", f.Source)
	}
	if f.Owner > 0 {
		add("i.owner_org_id = ?", f.Owner)
	}
	if f.Before > 0 {
		add("i.id < ?", f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY i.id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list indicators: %w", err)
	}
	return store.Collect(rows, scan)
}

// Revoke withdraws an indicator for good (STIX: revoked objects are never
// un-revoked). It needs the role to investigate and read access; revoking a
// revoked indicator changes nothing.
func Revoke(ctx context.Context, db *store.DB, who auth.Principal, id int64, reason string) (Indicator, error) {
	var out Indicator
	err := db.InTx(ctx, func(tx *store.Tx) error {
		i, err := Get(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if !policy.CanWrite(who.Viewer, i.Record(), policy.Investigate) {
			return problem.New(problem.Forbidden, "your role may not revoke indicators")
		}
		if len(reason) > maxDescription {
			return problem.Field("reason", "at most %d bytes", maxDescription)
		}
		if i.Revoked {
			out = i
			return nil
		}
		now := store.Now()
		if _, err := tx.Exec(ctx, `UPDATE indicators SET revoked = 1, revoked_at = ?, modified_at = ? WHERE id = ?`, now, now, id); err != nil {
			return fmt.Errorf("revoke indicator %d: %w", id, err)
		}
		if err := audit.Record(ctx, tx, who.Actor(), "indicator.revoke", RecordKind, id, map[string]any{"reason": reason}); err != nil {
			return err
		}
		out, err = Get(ctx, tx, who, id)
		return err
	})
	return out, err
}

// Warned reports whether a normalised value of kind k is on one of the MISP
// warninglists Garda ships (internal/intel/warninglist): an address or
// range overlapping a resolver's or a CDN's, a domain of a large platform,
// or a URL that is nothing but such a host. A URL with a path is not
// warned: a phishing page on a platform's host is a real indicator.
func Warned(k Kind, v string) (warninglist.Hit, bool) {
	switch k {
	case IPv4, IPv6:
		return warninglist.Address(v)
	case Domain:
		return warninglist.Domain(v)
	case URL:
		u, err := url.Parse(v)
		if err != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return warninglist.Hit{}, false
		}
		if h, ok := warninglist.Address(strings.Trim(u.Hostname(), "[]")); ok {
			return h, true
		}
		return warninglist.Domain(u.Hostname())
	}
	return warninglist.Hit{}, false
}

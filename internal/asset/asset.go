// Package asset is the inventory of election systems that every pillar
// refers to: KPU's applications and sites, their addresses, owner, region,
// criticality and the election phases in which they matter. Assets are
// shared records: every read and list goes through policy's visibility rule.
package asset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names assets in the participant tables and the audit chain.
const RecordKind = "asset"

// Kinds of asset.
var Kinds = []string{"web_app", "api", "site", "server"}

// Criticalities, lowest first.
var Criticalities = []string{"low", "medium", "high", "critical"}

// Phases of an election in which a system matters, in order.
var Phases = []string{
	"planning", "voter-registration", "party-registration", "candidacy", "campaign",
	"voting", "counting", "recapitulation", "results", "dispute",
}

// Asset is one election system.
type Asset struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`
	Description string     `json:"description"`
	URLs        []string   `json:"urls"`
	Hostnames   []string   `json:"hostnames"`
	Owner       string     `json:"owner"` // organisation slug
	OwnerID     int64      `json:"-"`
	Region      string     `json:"region"`
	Criticality string     `json:"criticality"`
	Phases      []string   `json:"phases"`
	Systems     []string   `json:"systems"` // the election systems it belongs to (Sirekap, Sipol, ...), which the calendar's phases name
	TLP         policy.TLP `json:"tlp"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Input is what a person sends to create an asset, or (nil = unchanged) to
// change one.
type Input struct {
	Name        *string   `json:"name"`
	Kind        *string   `json:"kind"`
	Description *string   `json:"description"`
	URLs        *[]string `json:"urls"`
	Hostnames   *[]string `json:"hostnames"`
	Owner       *string   `json:"owner"`
	Region      *string   `json:"region"`
	Criticality *string   `json:"criticality"`
	Phases      *[]string `json:"phases"`
	Systems     *[]string `json:"systems"`
	TLP         *string   `json:"tlp"`
}

// apply copies the given fields onto a and checks the whole result.
func (in Input) apply(a *Asset, who auth.Principal, tree *org.Tree) error {
	if in.Name != nil {
		a.Name = strings.TrimSpace(*in.Name)
	}
	if in.Kind != nil {
		a.Kind = *in.Kind
	}
	if in.Description != nil {
		a.Description = strings.TrimSpace(*in.Description)
	}
	if in.URLs != nil {
		a.URLs = *in.URLs
	}
	if in.Hostnames != nil {
		a.Hostnames = *in.Hostnames
	}
	if in.Region != nil {
		a.Region = *in.Region
	}
	if in.Criticality != nil {
		a.Criticality = *in.Criticality
	}
	if in.Phases != nil {
		a.Phases = *in.Phases
	}
	if in.Systems != nil {
		a.Systems = slices.Clone(*in.Systems)
	}
	if in.TLP != nil {
		t, err := policy.ParseTLP(*in.TLP)
		if err != nil {
			return problem.Field("tlp", "unknown TLP %q: use CLEAR, GREEN, AMBER, AMBER+STRICT or RED", *in.TLP)
		}
		a.TLP = t
	}
	if in.Owner != nil {
		o, ok := tree.BySlug(*in.Owner)
		if !ok {
			return problem.Field("owner", "no organisation %q", *in.Owner)
		}
		if !slices.Contains(who.Viewer.Lineage, o.ID) {
			return problem.Field("owner", "%q is neither your organisation nor one below it", *in.Owner)
		}
		a.Owner, a.OwnerID = o.Slug, o.ID
	}
	return a.validate(who)
}

func (a *Asset) validate(who auth.Principal) error {
	if a.Name == "" || len(a.Name) > 120 {
		return problem.Field("name", "is required (at most 120 characters)")
	}
	if !slices.Contains(Kinds, a.Kind) {
		return problem.Field("kind", "must be one of %s", strings.Join(Kinds, ", "))
	}
	if len(a.Description) > 4000 {
		return problem.Field("description", "at most 4000 characters")
	}
	if !region.Valid(a.Region) {
		return problem.Field("region", "unknown region code %q", a.Region)
	}
	if !region.Contains(who.User.Scope, a.Region) {
		return problem.Field("region", "%q lies outside your scope", a.Region)
	}
	if !slices.Contains(Criticalities, a.Criticality) {
		return problem.Field("criticality", "must be one of %s", strings.Join(Criticalities, ", "))
	}
	if len(a.URLs) > 20 || len(a.Hostnames) > 20 || len(a.Phases) > len(Phases) {
		return problem.Field("urls", "at most 20 URLs and 20 hostnames")
	}
	for i, s := range a.URLs {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s) > 2000 {
			return problem.Field("urls", "entry %d (%q) is not an http(s) URL", i+1, s)
		}
	}
	for i, h := range a.Hostnames {
		a.Hostnames[i] = strings.ToLower(strings.TrimSuffix(h, "."))
		if !validHost(a.Hostnames[i]) {
			return problem.Field("hostnames", "entry %d (%q) is not a hostname or IP address", i+1, h)
		}
	}
	for _, p := range a.Phases {
		if !slices.Contains(Phases, p) {
			return problem.Field("phases", "unknown phase %q (one of %s)", p, strings.Join(Phases, ", "))
		}
	}
	if len(a.Systems) > 10 {
		return problem.Field("systems", "at most 10 systems")
	}
	for i, s := range a.Systems {
		a.Systems[i] = strings.TrimSpace(s)
		if a.Systems[i] == "" || len(a.Systems[i]) > 60 || strings.ContainsAny(a.Systems[i], ",\n") {
			return problem.Field("systems", "entry %d (%q) must be a system's name of 1-60 characters", i+1, s)
		}
		for _, earlier := range a.Systems[:i] {
			if strings.EqualFold(earlier, a.Systems[i]) {
				return problem.Field("systems", "%q is listed twice", a.Systems[i])
			}
		}
	}
	if !a.TLP.Valid() {
		return problem.Field("tlp", "is required")
	}
	return nil
}

// Tags are what the calendar matches an asset by besides its name: its
// phase tags and its systems.
func (a Asset) Tags() []string { return append(slices.Clone(a.Phases), a.Systems...) }

// hostsFree refuses a host name another asset already lists: host names
// say which addresses may send an asset's syslog, so one name belongs to one
// asset. The other asset may be one the caller cannot read; it is not named.
// Only names a has not listed before are checked, so two assets that share
// a name from before this rule can still be edited, and one can drop it.
func hostsFree(ctx context.Context, q store.Querier, a Asset, before []string) error {
	for _, h := range a.Hostnames {
		if slices.Contains(before, h) {
			continue
		}
		// Stored as a JSON list of validated names (no quote, % or _), so
		// the quoted name matches exactly one whole entry.
		var other int64
		err := q.QueryRow(ctx, `SELECT id FROM assets WHERE id <> ? AND hostnames LIKE ? LIMIT 1`, a.ID, `%"`+h+`"%`).Scan(&other)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return fmt.Errorf("host name %q: %w", h, err)
		}
		return &problem.Error{Code: problem.Conflict, Field: "hostnames", Message: fmt.Sprintf("%q is already used by another asset", h)}
	}
	return nil
}

func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Create adds an asset owned by the creator's organisation unless another
// owner below it is named; the creator becomes a named user and its
// organisation a participant.
func Create(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, in Input) (Asset, error) {
	if !who.Can(policy.CreateAsset) {
		return Asset{}, problem.New(problem.Forbidden, "your role (%s) may not add assets", who.User.Role)
	}
	a := Asset{Owner: who.Org.Slug, OwnerID: who.Org.ID, Region: who.User.Scope, TLP: policy.Amber, Criticality: "medium", URLs: []string{}, Hostnames: []string{}, Phases: []string{}, Systems: []string{}}
	if in.Name == nil || in.Kind == nil {
		return Asset{}, problem.Field("name", "name and kind are required")
	}
	if err := in.apply(&a, who, tree); err != nil {
		return Asset{}, err
	}
	a.CreatedAt, a.UpdatedAt = store.Now(), store.Now()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := hostsFree(ctx, tx, a, nil); err != nil {
			return err
		}
		urls, hosts, phases := jsonList(a.URLs), jsonList(a.Hostnames), jsonList(a.Phases)
		err := tx.QueryRow(ctx, `INSERT INTO assets (name, kind, description, urls, hostnames, owner_org_id, region, criticality, phases, systems, tlp, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.Name, a.Kind, a.Description, urls, hosts, a.OwnerID, a.Region, a.Criticality, phases, jsonList(a.Systems), string(a.TLP), who.User.ID, a.CreatedAt, a.UpdatedAt).Scan(&a.ID)
		if errors.Is(err, store.ErrConflict) {
			return problem.New(problem.Conflict, "%s already has an asset named %q", a.Owner, a.Name)
		} else if err != nil {
			return err
		}
		if err := participant.Add(ctx, tx, RecordKind, a.ID, participant.Set{Orgs: []int64{who.Org.ID}, Users: []int64{who.User.ID}}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "asset.create", RecordKind, a.ID, a)
	})
	if err != nil {
		return Asset{}, fmt.Errorf("create asset: %w", err)
	}
	return a, nil
}

// CheckEdit answers Forbidden unless who may change a, which who has read:
// assets are edited by their owners (and the organisations above them), as
// policy.CanEditOwned decides; their host names route syslog to them.
func CheckEdit(ctx context.Context, q store.Querier, who auth.Principal, a Asset) error {
	rec, err := participant.Record(ctx, q, RecordKind, a.ID, a.OwnerID, a.Region, a.TLP)
	if err != nil {
		return err
	}
	if !policy.CanEditOwned(who.Viewer, rec, policy.EditAsset) {
		if !who.Can(policy.EditAsset) {
			return problem.New(problem.Forbidden, "your role (%s) may not change assets", who.User.Role)
		}
		return problem.New(problem.Forbidden, "only %s, which owns this asset, and the organisations above it may change it", a.Owner)
	}
	return nil
}

// Update changes the given fields of an asset the principal may read and edit.
func Update(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, id int64, in Input) (Asset, error) {
	var a Asset
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = Get(ctx, tx, who, id); err != nil {
			return err
		}
		if err := CheckEdit(ctx, tx, who, a); err != nil {
			return err
		}
		before := a
		before.URLs, before.Hostnames, before.Phases, before.Systems = slices.Clone(a.URLs), slices.Clone(a.Hostnames), slices.Clone(a.Phases), slices.Clone(a.Systems)
		if err := in.apply(&a, who, tree); err != nil {
			return err
		}
		if a.TLP != before.TLP && !who.Can(policy.ChangeTLP) {
			return problem.New(problem.Forbidden, "changing an asset's TLP is a coordinator's decision (your role: %s)", who.User.Role)
		}
		if err := hostsFree(ctx, tx, a, before.Hostnames); err != nil {
			return err
		}
		a.UpdatedAt = store.Now()
		_, err = tx.Exec(ctx, `UPDATE assets SET name = ?, kind = ?, description = ?, urls = ?, hostnames = ?, owner_org_id = ?, region = ?,
			criticality = ?, phases = ?, systems = ?, tlp = ?, updated_at = ? WHERE id = ?`,
			a.Name, a.Kind, a.Description, jsonList(a.URLs), jsonList(a.Hostnames), a.OwnerID, a.Region, a.Criticality, jsonList(a.Phases), jsonList(a.Systems), string(a.TLP), a.UpdatedAt, a.ID)
		if errors.Is(err, store.ErrConflict) {
			return problem.New(problem.Conflict, "%s already has an asset named %q", a.Owner, a.Name)
		} else if err != nil {
			return err
		}
		// Editing does not make one a participant; the one who labels the
		// asset RED is named, so the change does not lock them out.
		if a.TLP == policy.Red && before.TLP != policy.Red {
			if err := participant.Add(ctx, tx, RecordKind, a.ID, participant.Set{Users: []int64{who.User.ID}}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, who.Actor(), "asset.update", RecordKind, a.ID, map[string]any{"before": before, "after": a})
	})
	if err != nil {
		return Asset{}, fmt.Errorf("update asset %d: %w", id, err)
	}
	return a, nil
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

const columns = `a.id, a.name, a.kind, a.description, a.urls, a.hostnames, o.slug, a.owner_org_id, a.region, a.criticality, a.phases, a.systems, a.tlp, a.created_at, a.updated_at`

func scan(row store.Scanner) (Asset, error) {
	var a Asset
	var urls, hosts, phases, systems, tlp string
	if err := row.Scan(&a.ID, &a.Name, &a.Kind, &a.Description, &urls, &hosts, &a.Owner, &a.OwnerID, &a.Region, &a.Criticality, &phases, &systems, &tlp, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return Asset{}, err
	}
	a.TLP = policy.TLP(tlp)
	for _, f := range []struct {
		s  string
		to *[]string
	}{{urls, &a.URLs}, {hosts, &a.Hostnames}, {phases, &a.Phases}, {systems, &a.Systems}} {
		if err := json.Unmarshal([]byte(f.s), f.to); err != nil {
			return Asset{}, fmt.Errorf("asset %d: stored list is corrupt: %w", a.ID, err)
		}
	}
	return a, nil
}

// Get reads one asset; one the principal may not read is not found.
func Get(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Asset, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "a")
	a, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM assets a JOIN orgs o ON o.id = a.owner_org_id WHERE a.id = ? AND `+vis,
		append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return Asset{}, problem.New(problem.NotFound, "no asset %d", id)
	}
	return a, err
}

// Filter narrows a list.
type Filter struct {
	Region      string // a region and everything inside it
	Kind        string
	Owner       string // organisation slug
	Criticality string
	Query       string // in the name or a hostname
	Before      int64  // cursor: ids below this
	Limit       int
}

// List returns the assets the principal may read, newest first, up to
// Limit+1 so the caller can tell whether there is more.
func List(ctx context.Context, q store.Querier, who auth.Principal, f Filter) ([]Asset, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "a")
	where := []string{vis}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, problem.Field("region", "unknown region code %q", f.Region)
		}
		if cond, cargs := policy.InRegion(who.Viewer, "a", f.Region); cond != "" {
			where, args = append(where, cond), append(args, cargs...)
		}
	}
	if f.Kind != "" {
		where, args = append(where, "a.kind = ?"), append(args, f.Kind)
	}
	if f.Owner != "" {
		where, args = append(where, "o.slug = ?"), append(args, f.Owner)
	}
	if f.Criticality != "" {
		where, args = append(where, "a.criticality = ?"), append(args, f.Criticality)
	}
	if f.Query != "" {
		like := "%" + strings.ToLower(strings.NewReplacer("%", "", "_", "").Replace(f.Query)) + "%"
		where, args = append(where, "(LOWER(a.name) LIKE ? OR a.hostnames LIKE ?)"), append(args, like, like)
	}
	if f.Before > 0 {
		where, args = append(where, "a.id < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM assets a JOIN orgs o ON o.id = a.owner_org_id WHERE `+
		strings.Join(where, " AND ")+` ORDER BY a.id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	return store.Collect(rows, scan)
}

// CountByProvince counts the assets the principal may read in each province
// (national assets under "").
func CountByProvince(ctx context.Context, q store.Querier, who auth.Principal) (map[string]int, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "a")
	rows, err := q.Query(ctx, `SELECT SUBSTR(a.region, 1, 2), COUNT(*) FROM assets a WHERE `+vis+` GROUP BY SUBSTR(a.region, 1, 2)`, args...)
	if err != nil {
		return nil, fmt.Errorf("count assets: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, err
		}
		out[p] = n
	}
	return out, rows.Err()
}

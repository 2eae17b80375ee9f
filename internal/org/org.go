// Package org holds the task force's organisations: a tree (KPU RI ⟶ KPU
// Provinsi ⟶ KPU Kabupaten/Kota; the agencies at the root; a Diskominfo per
// province), each with a home region. It answers the tree questions the
// visibility rules ask (who are an organisation's descendants) and must
// never decide visibility itself: that is the policy package's job.
package org

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// Kinds of organisation.
const (
	KindKPU        = "kpu"
	KindAgency     = "agency"
	KindDiskominfo = "diskominfo"
	KindOther      = "other"
)

// Org is one organisation.
type Org struct {
	ID        int64     `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	ParentID  int64     `json:"parent_id,omitempty"`
	Parent    string    `json:"parent,omitempty"` // parent's slug
	Region    string    `json:"region"`
	CreatedAt time.Time `json:"created_at"`
}

// Tree is a snapshot of all organisations, small enough to hold whole.
type Tree struct {
	byID   map[int64]*Org
	bySlug map[string]*Org
	kids   map[int64][]int64
	order  []*Org
}

// Load reads every organisation.
func Load(ctx context.Context, db store.Querier) (*Tree, error) {
	rows, err := db.Query(ctx, `SELECT id, slug, name, kind, COALESCE(parent_id, 0), region, created_at FROM orgs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("load organisations: %w", err)
	}
	defer rows.Close()
	t := &Tree{byID: map[int64]*Org{}, bySlug: map[string]*Org{}, kids: map[int64][]int64{}}
	for rows.Next() {
		o := &Org{}
		if err := rows.Scan(&o.ID, &o.Slug, &o.Name, &o.Kind, &o.ParentID, &o.Region, &o.CreatedAt); err != nil {
			return nil, fmt.Errorf("load organisations: %w", err)
		}
		t.byID[o.ID], t.bySlug[o.Slug] = o, o
		t.order = append(t.order, o)
		if o.ParentID != 0 {
			t.kids[o.ParentID] = append(t.kids[o.ParentID], o.ID)
		}
	}
	for _, o := range t.order {
		if p := t.byID[o.ParentID]; p != nil {
			o.Parent = p.Slug
		}
	}
	return t, rows.Err()
}

// ByID finds an organisation by id.
func (t *Tree) ByID(id int64) (Org, bool) {
	o, ok := t.byID[id]
	if !ok {
		return Org{}, false
	}
	return *o, true
}

// BySlug finds an organisation by slug.
func (t *Tree) BySlug(slug string) (Org, bool) {
	o, ok := t.bySlug[slug]
	if !ok {
		return Org{}, false
	}
	return *o, true
}

// All lists organisations sorted by slug.
func (t *Tree) All() []Org {
	out := make([]Org, 0, len(t.order))
	for _, o := range t.order {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out
}

// Lineage is the organisation and all its descendants: the organisations
// whose AMBER records a user of this one may read as the supervising body.
func (t *Tree) Lineage(id int64) []int64 {
	parentOf := make(map[int64]int64, len(t.byID))
	for _, o := range t.byID {
		if o.ParentID != 0 {
			parentOf[o.ID] = o.ParentID
		}
	}
	return policy.LineageOf(id, parentOf)
}

// Ancestors lists the parent, grandparent, ... of an organisation.
func (t *Tree) Ancestors(id int64) []Org {
	var out []Org
	seen := map[int64]bool{id: true}
	for o := t.byID[id]; o != nil && o.ParentID != 0 && !seen[o.ParentID]; o = t.byID[o.ParentID] {
		seen[o.ParentID] = true
		if p := t.byID[o.ParentID]; p != nil {
			out = append(out, *p)
		}
	}
	return out
}

var slugPattern = regexp.MustCompile(`^[a-z][a-z0-9-]*(-[0-9]{2}(\.[0-9]{2})?)?$`)

// New describes an organisation to create.
type New struct {
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Parent string `json:"parent"` // parent slug, "" for a root
	Region string `json:"region"`
}

// Create adds an organisation inside the region within (the creating
// administrator's scope; "" for the whole nation) and audits it.
func Create(ctx context.Context, db *store.DB, who audit.Actor, within string, n New) (Org, error) {
	n.Slug, n.Name = strings.TrimSpace(n.Slug), strings.TrimSpace(n.Name)
	if len(n.Slug) < 2 || len(n.Slug) > 64 || !slugPattern.MatchString(n.Slug) {
		return Org{}, problem.Field("slug", "must be 2-64 lower-case letters, digits and dashes, optionally ending in a region code (kpu-32.04)")
	}
	if n.Name == "" || len(n.Name) > 200 {
		return Org{}, problem.Field("name", "is required (at most 200 characters)")
	}
	switch n.Kind {
	case KindKPU, KindAgency, KindDiskominfo, KindOther:
	case "":
		n.Kind = KindOther
	default:
		return Org{}, problem.Field("kind", "must be kpu, agency, diskominfo or other")
	}
	if !region.Valid(n.Region) {
		return Org{}, problem.Field("region", "unknown region code %q", n.Region)
	}
	if !region.Contains(within, n.Region) {
		return Org{}, problem.Field("region", "%q lies outside your scope", n.Region)
	}
	var o Org
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var parentID any
		if n.Parent != "" {
			var pid int64
			var pregion string
			err := tx.QueryRow(ctx, `SELECT id, region FROM orgs WHERE slug = ?`, n.Parent).Scan(&pid, &pregion)
			if errors.Is(err, store.ErrNotFound) {
				return problem.Field("parent", "no organisation %q", n.Parent)
			} else if err != nil {
				return err
			}
			if !region.Contains(pregion, n.Region) {
				return problem.Field("region", "must lie inside the parent's region %q", pregion)
			}
			parentID = pid
			o.ParentID, o.Parent = pid, n.Parent
		}
		o.Slug, o.Name, o.Kind, o.Region, o.CreatedAt = n.Slug, n.Name, n.Kind, n.Region, store.Now()
		err := tx.QueryRow(ctx, `INSERT INTO orgs (slug, name, kind, parent_id, region, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			o.Slug, o.Name, o.Kind, parentID, o.Region, o.CreatedAt).Scan(&o.ID)
		if errors.Is(err, store.ErrConflict) {
			return problem.Field("slug", "%q is taken", n.Slug)
		}
		if err != nil {
			return fmt.Errorf("create organisation: %w", err)
		}
		return audit.Record(ctx, tx, who, "org.create", "org", o.ID, n)
	})
	return o, err
}

// KPUSlug names the KPU of a region (province or regency): "kpu-32",
// "kpu-32.04". The standard organisations are made with these names, and
// the rest of the platform finds them by them.
func KPUSlug(region string) string { return "kpu-" + region }

// DiskominfoSlug names a province's Diskominfo, its operation room.
func DiskominfoSlug(province string) string { return "diskominfo-" + province }

// ProvinceDesks are the organisations an escalation to a province brings
// in: its KPU and its operation room.
func ProvinceDesks(province string) []string {
	return []string{KPUSlug(province), DiskominfoSlug(province)}
}

// Standard lists the task force's organisations, parents before children:
// the national bodies, a KPU and a Diskominfo for every province, and a KPU
// for every regency and city.
func Standard() []New {
	out := []New{
		{Slug: "kpu", Name: "KPU RI", Kind: KindKPU},
		{Slug: "bawaslu", Name: "Bawaslu RI", Kind: KindAgency},
		{Slug: "bssn", Name: "Badan Siber dan Sandi Negara", Kind: KindAgency},
		{Slug: "komdigi", Name: "Kementerian Komunikasi dan Digital", Kind: KindAgency},
		{Slug: "polri", Name: "Kepolisian Negara Republik Indonesia", Kind: KindAgency},
		{Slug: "bin", Name: "Badan Intelijen Negara", Kind: KindAgency},
		{Slug: "brin", Name: "Badan Riset dan Inovasi Nasional", Kind: KindAgency},
		{Slug: "kemendagri", Name: "Kementerian Dalam Negeri", Kind: KindAgency},
	}
	for _, p := range region.Provinces() {
		out = append(out,
			New{Slug: KPUSlug(p.Code), Name: "KPU Provinsi " + p.Name, Kind: KindKPU, Parent: "kpu", Region: p.Code},
			New{Slug: DiskominfoSlug(p.Code), Name: "Diskominfo Provinsi " + p.Name, Kind: KindDiskominfo, Region: p.Code},
		)
	}
	for _, p := range region.Provinces() {
		for _, r := range region.Regencies(p.Code) {
			out = append(out, New{Slug: KPUSlug(r.Code), Name: "KPU " + r.Name, Kind: KindKPU, Parent: KPUSlug(p.Code), Region: r.Code})
		}
	}
	return out
}

// EnsureStandard creates the standard organisations that do not exist yet,
// in one transaction, and returns how many it created.
func EnsureStandard(ctx context.Context, db *store.DB) (int, error) {
	created := 0
	err := db.InTx(ctx, func(tx *store.Tx) error {
		ids := map[string]int64{}
		rows, err := tx.Query(ctx, `SELECT slug, id FROM orgs`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s string
			var id int64
			if err := rows.Scan(&s, &id); err != nil {
				rows.Close()
				return err
			}
			ids[s] = id
		}
		rows.Close()
		now := store.Now()
		for _, n := range Standard() {
			if _, ok := ids[n.Slug]; ok {
				continue
			}
			var parent any
			if n.Parent != "" {
				parent = ids[n.Parent]
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO orgs (slug, name, kind, parent_id, region, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
				n.Slug, n.Name, n.Kind, parent, n.Region, now).Scan(&id); err != nil {
				return fmt.Errorf("create %s: %w", n.Slug, err)
			}
			ids[n.Slug] = id
			created++
		}
		if created == 0 {
			return nil
		}
		return audit.Record(ctx, tx, audit.System, "org.seed", "org", "standard", map[string]int{"created": created})
	})
	if err != nil {
		return 0, fmt.Errorf("create standard organisations: %w", err)
	}
	return created, nil
}

// Cache keeps the tree in memory: every request needs it to know a user's
// lineage, and organisations change seldom. Another instance's change is
// seen within MaxAge; this instance's own changes call Invalidate.
type Cache struct {
	db     store.Querier
	maxAge time.Duration
	mu     sync.Mutex
	tree   *Tree
	loaded time.Time
}

// NewCache makes a cache that reloads trees older than maxAge.
func NewCache(db store.Querier, maxAge time.Duration) *Cache {
	return &Cache{db: db, maxAge: maxAge}
}

// Tree returns a current tree.
func (c *Cache) Tree(ctx context.Context) (*Tree, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tree != nil && time.Since(c.loaded) < c.maxAge {
		return c.tree, nil
	}
	t, err := Load(ctx, c.db)
	if err != nil {
		return nil, err
	}
	c.tree, c.loaded = t, time.Now()
	return t, nil
}

// Invalidate makes the next Tree call reload.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	c.tree = nil
	c.mu.Unlock()
}

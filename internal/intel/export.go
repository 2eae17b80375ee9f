package intel

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// STIX is the indicator as a STIX 2.1 indicator object, marked with its TLP.
func (i Indicator) STIX() *IndicatorObject {
	o := &IndicatorObject{
		Common:         sdo("indicator", i.STIXID, i.CreatedBy, i.CreatedAt, []string{MarkingID(i.TLP)}),
		Name:           i.Name,
		Description:    i.Description,
		IndicatorTypes: []string{"malicious-activity"},
		Pattern:        i.Pattern,
		PatternType:    "stix",
		PatternVersion: SpecVersion,
		ValidFrom:      Stamp(i.ValidFrom),
	}
	if o.Name == "" {
		o.Name = string(i.Kind) + " " + i.Value
	}
	o.Modified = Stamp(i.ModifiedAt)
	if i.ModifiedAt.Before(i.CreatedAt) {
		o.Modified = o.Created
	}
	if i.ValidUntil != nil {
		o.ValidUntil = Stamp(*i.ValidUntil)
	}
	c := i.Confidence
	o.Confidence = &c
	o.Revoked = i.Revoked
	return o
}

// Objects are the STIX objects that carry an indicator: its identity, the
// indicator, its attack patterns with "indicates" relationships, and per
// sighting a sighting (with observed-data and the observable when the value
// is one). Markings are not included (the bundle adds each once).
func (i Indicator) Objects(owner org.Org, sightings []Sighting, tree *org.Tree) []Object {
	marks := []string{MarkingID(i.TLP)}
	out := []Object{NewIdentity(owner.Slug, owner.Name), i.STIX()}
	out = append(out, i.techniqueObjects()...)
	sco := ObservableOf(i.Kind, i.Value)
	for _, s := range sightings {
		so := &SightingObject{Common: sdo("sighting", s.STIXID, i.CreatedBy, s.FirstSeen, marks), SightingOfRef: i.STIXID,
			FirstSeen: Stamp(s.FirstSeen), LastSeen: Stamp(s.LastSeen)}
		so.Modified = Stamp(s.LastSeen)
		n := s.Count
		so.Count = &n
		if o, ok := bySlug(tree, s.Org); ok {
			out = append(out, NewIdentity(o.Slug, o.Name))
			so.WhereSightedRefs = []string{IdentityID(o.Slug)}
		}
		so.Description = sightingDescription(s) // as TAXII serves it
		if sco != nil {
			od := &ObservedData{Common: sdo("observed-data", gardaID("observed-data", s.STIXID), i.CreatedBy, s.FirstSeen, marks),
				FirstObserved: Stamp(s.FirstSeen), LastObserved: Stamp(s.LastSeen), NumberObserved: max(1, min(s.Count, 999999999)), ObjectRefs: []string{sco.ID}}
			od.Modified = so.Modified
			so.ObservedDataRefs = []string{od.ID}
			out = append(out, sco, od)
		}
		out = append(out, so)
	}
	return out
}

// techniqueObjects are the indicator's attack patterns, each with the
// "indicates" relationship to it (a deterministic id, a version that moves
// with the indicator's, since its marking follows the indicator's).
func (i Indicator) techniqueObjects() []Object {
	var out []Object
	for _, t := range i.Techniques {
		ap, err := AttackPatternOf(t, "")
		if err != nil {
			continue // stored techniques were checked on the way in
		}
		rel := NewRelationship("indicates", i.STIXID, ap.ID, i.CreatedBy, i.CreatedAt, []string{MarkingID(i.TLP)})
		rel.Modified = i.STIX().Modified
		out = append(out, ap, rel)
	}
	return out
}

// ExportOptions narrow an export.
type ExportOptions struct {
	TLP    []policy.TLP // only these labels (empty: all the reader may read)
	Active bool         // only indicators in force
	Limit  int          // at most this many indicators (default and cap 100,000)
}

// Export builds a STIX 2.1 bundle of the indicators the principal may read
// (RED only those naming it), with their sightings, identities, attack
// patterns and the TLP 2.0 markings they use.
func Export(ctx context.Context, q store.Querier, who auth.Principal, tree *org.Tree, opt ExportOptions) (*Bundle, int, error) {
	if opt.Limit <= 0 || opt.Limit > 100000 {
		opt.Limit = 100000
	}
	b := NewBundle()
	used := map[policy.TLP]bool{}
	var objs []Object
	n, before := 0, int64(0)
	f := Filter{TLP: opt.TLP, Limit: 500}
	if opt.Active {
		t := true
		f.Active = &t
	}
	for n < opt.Limit {
		f.Before = before
		page, err := List(ctx, q, who, f)
		if err != nil {
			return nil, 0, err
		}
		if len(page) > f.Limit {
			page = page[:f.Limit]
		}
		for _, i := range page {
			if n == opt.Limit {
				break
			}
			owner, _ := tree.ByID(i.OwnerID)
			ss, err := Sightings(ctx, q, who, i.ID)
			if err != nil {
				return nil, 0, err
			}
			objs = append(objs, i.Objects(owner, ss, tree)...)
			used[i.TLP] = true
			n++
		}
		if len(page) < f.Limit {
			break
		}
		before = page[len(page)-1].ID
	}
	vulns, err := vulnerabilities(ctx, q, who, opt.TLP)
	if err != nil {
		return nil, 0, err
	}
	for _, v := range vulns {
		used[v.tlp] = true
		objs = append(objs, v.obj)
	}
	kept, err := keptObjects(ctx, q, who, opt.TLP)
	if err != nil {
		return nil, 0, err
	}
	for _, k := range kept {
		used[k.tlp] = true
		objs = append(objs, k)
	}
	for _, t := range policy.TLPs() {
		if used[t] {
			m, _ := Marking(t)
			b.Add(m)
		}
	}
	b.Add(objs...)
	return b, n, nil
}

func bySlug(tree *org.Tree, slug string) (org.Org, bool) {
	if tree == nil || slug == "" {
		return org.Org{}, false
	}
	return tree.BySlug(slug)
}

type markedVuln struct {
	obj *Vulnerability
	tlp policy.TLP
}

// vulnerabilities are the CVEs the principal may read, rebuilt by Garda
// (so what leaves is what Garda itself writes, never a stored body), each
// once at its strictest marking the reader may see.
func vulnerabilities(ctx context.Context, q store.Querier, who auth.Principal, tlps []policy.TLP) ([]markedVuln, error) {
	vis, args := policy.ReadFilter(who.Viewer, ObjectKind, "x")
	rows, err := q.Query(ctx, `SELECT x.name, x.tlp FROM intel_objects x WHERE x.type = 'vulnerability' AND `+vis+` ORDER BY x.id LIMIT 10000`, args...)
	if err != nil {
		return nil, fmt.Errorf("export vulnerabilities: %w", err)
	}
	type row struct{ name, tlp string }
	list, err := store.Collect(rows, func(r store.Scanner) (row, error) {
		var x row
		return x, r.Scan(&x.name, &x.tlp)
	})
	if err != nil {
		return nil, err
	}
	var out []markedVuln
	at := map[string]int{}
	for _, x := range list {
		t := policy.TLP(x.tlp)
		if len(tlps) > 0 && !slices.Contains(tlps, t) {
			continue
		}
		v, err := VulnerabilityOf(x.name, "")
		if err != nil {
			continue
		}
		if i, ok := at[v.ID]; ok {
			if t.Stricter(out[i].tlp) {
				out[i].tlp, out[i].obj.ObjectMarkingRefs = t, []string{MarkingID(t)}
			}
			continue
		}
		v.ObjectMarkingRefs = []string{MarkingID(t)}
		at[v.ID] = len(out)
		out = append(out, markedVuln{v, t})
	}
	return out, nil
}

// kept is a STIX object Garda keeps as it came (an import's report,
// relationship, identity, malware, ...), re-exported as it is, marked with
// the TLP Garda holds it at when it came without a marking.
type kept struct {
	core Common
	body json.RawMessage
	tlp  policy.TLP
}

func (k *kept) Core() *Common { return &k.core }

func (k *kept) MarshalJSON() ([]byte, error) { return k.body, nil }

// keptObjects are the kept objects the principal may read (visibility in
// the query), but for vulnerabilities, which Garda rebuilds itself.
func keptObjects(ctx context.Context, q store.Querier, who auth.Principal, tlps []policy.TLP) ([]*kept, error) {
	vis, args := policy.ReadFilter(who.Viewer, ObjectKind, "x")
	rows, err := q.Query(ctx, `SELECT `+objectColumns+` FROM intel_objects x WHERE x.type <> 'vulnerability' AND `+vis+` ORDER BY x.id LIMIT 100000`, args...)
	if err != nil {
		return nil, fmt.Errorf("export kept objects: %w", err)
	}
	list, err := store.Collect(rows, scanObject)
	if err != nil {
		return nil, err
	}
	var out []*kept
	for _, o := range list {
		if len(tlps) > 0 && !slices.Contains(tlps, o.TLP) {
			continue
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(o.Body, &m) != nil {
			continue // kept from a checked import: never, but never half-written either
		}
		if _, marked := m["object_marking_refs"]; !marked {
			m["object_marking_refs"], _ = json.Marshal([]string{MarkingID(o.TLP)})
		}
		body, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, &kept{core: Common{Type: o.Type, ID: o.STIXID}, body: body, tlp: o.TLP})
	}
	return out, nil
}

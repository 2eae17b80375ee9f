package intel

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// The feed is every STIX object Garda keeps that a reader may read, in the
// order it was added (TAXII's date_added): indicators (with the attack
// patterns of their techniques and the "indicates" relationships to them),
// their sightings, the kept objects of imports and findings (reports,
// relationships, malware, identities, vulnerabilities, ...), the identities
// of the organisations that own or sighted them, and the TLP 2.0 marking
// definitions. Each entry is one row of the store (or one marking), read
// through the same visibility as indicators (policy.ReadFilter in the
// query); an entry may carry more than one object.

// Feed sources, in their order within one date_added.
const (
	feedAll       = 1 << 20
	feedMarking   = 0
	feedIndicator = 1
	feedSighting  = 2
	feedKept      = 3
	feedIdentity  = 4
)

// FeedPos is a place in a feed: an entry (its date added, source and row)
// and an object within it (feedAll: past its last). The date keeps
// nanoseconds: a sighting's last_seen can carry them, and a position
// rounded below it would serve that sighting again for ever.
type FeedPos struct {
	At  time.Time
	Src int
	Row int64
	K   int
}

// String is the position as a TAXII next token.
func (p FeedPos) String() string {
	return fmt.Sprintf("%d-%d-%d-%d", p.At.UnixNano(), p.Src, p.Row, p.K)
}

// ParseFeedPos reads a position written by String.
func ParseFeedPos(s string) (FeedPos, bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 4 {
		return FeedPos{}, false
	}
	var n [4]int64
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 {
			return FeedPos{}, false
		}
		n[i] = v
	}
	if n[1] > feedIdentity || n[3] > feedAll {
		return FeedPos{}, false
	}
	return FeedPos{At: time.Unix(0, n[0]).UTC(), Src: int(n[1]), Row: n[2], K: int(n[3])}, true
}

func (p FeedPos) entryBefore(q FeedPos) bool {
	if !p.At.Equal(q.At) {
		return p.At.Before(q.At)
	}
	if p.Src != q.Src {
		return p.Src < q.Src
	}
	return p.Row < q.Row
}

// FeedFilter narrows Feed.
type FeedFilter struct {
	After time.Time    // added strictly after (zero: from the start)
	TLP   []policy.TLP // any of these labels (empty: any)
	Owner int64        // one organisation's (0: any)
	Types []string     // these STIX types only (empty: any)
	IDs   []string     // these ids only (empty: any)
	From  *FeedPos     // the last object already served (nil: from the start)
	Limit int          // objects; default 100, at most 1000
	// Versions are which versions of an object: VersionLast (the default),
	// VersionFirst or VersionAll. Only indicators have more than one: the
	// one created and, once revoked, the revoked one (Garda changes an
	// indicator in no other way), each with its "indicates" relationships.
	Versions string
}

// Which versions a feed serves (TAXII's match[version] keywords).
const (
	VersionLast  = "last"
	VersionFirst = "first"
	VersionAll   = "all"
)

// Versions are the indicator's versions, oldest first: as created and,
// when revoked since, as revoked. Indicators change in no other way
// (created and modified are equal when one is made), so the first is
// rebuilt exactly.
func (i Indicator) Versions() []Indicator {
	// Revoked within the millisecond it was made: one version (STIX
	// timestamps carry milliseconds), the revoked one.
	if !i.Revoked || Stamp(i.ModifiedAt) <= Stamp(i.CreatedAt) {
		return []Indicator{i}
	}
	first := i
	first.Revoked, first.RevokedAt, first.ModifiedAt = false, nil, i.CreatedAt
	return []Indicator{first, i}
}

// FeedItem is one object of the feed.
type FeedItem struct {
	Object  Object
	Added   time.Time // date_added: when this version entered the feed
	Version string    // the object's modified (created when it has none)
	Pos     FeedPos
	// First and Last say whether this is the object's first or latest
	// version (both for an object of one version).
	First, Last bool
}

// FeedPage is one page: the objects, and where the next page starts when
// there is more.
type FeedPage struct {
	Items []FeedItem
	More  bool
	Next  FeedPos
}

// feedScan bounds the entries one page reads (a filter that few entries
// pass ends the page early, with More set, rather than reading the store
// to its end).
var feedScan = 5000

// Feed returns one page of the feed as who may read it.
func Feed(ctx context.Context, q store.Querier, who auth.Principal, tree *org.Tree, f FeedFilter) (FeedPage, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var pg FeedPage
	from := f.From
	scanned := 0
	for {
		batch := f.Limit + 1
		entries, full, err := feedEntries(ctx, q, who, f, from, batch)
		if err != nil {
			return FeedPage{}, err
		}
		for _, e := range entries {
			objs, err := e.objects(tree, f.Versions)
			if err != nil {
				return FeedPage{}, err
			}
			for k, vo := range objs {
				o := vo.Object
				pos := FeedPos{At: e.at, Src: e.src, Row: e.row, K: k}
				if from != nil && !from.entryBefore(pos) && k <= from.K {
					continue // served on an earlier page
				}
				if !f.wants(o) {
					continue
				}
				if len(pg.Items) == f.Limit {
					pg.More, pg.Next = true, pg.Items[len(pg.Items)-1].Pos
					return pg, nil
				}
				v := versionOf(o)
				if v == "" {
					v = Stamp(e.at) // an observable kept from an import has no dates
				}
				added := e.at
				if !vo.added.IsZero() {
					added = vo.added
				}
				pg.Items = append(pg.Items, FeedItem{Object: o, Added: added, Version: v, Pos: pos, First: vo.first, Last: vo.last})
			}
			last := FeedPos{At: e.at, Src: e.src, Row: e.row, K: feedAll}
			from = &last
			scanned++
		}
		if !full {
			return pg, nil
		}
		if scanned >= feedScan {
			// Read enough for one answer: the client asks again from here.
			pg.More, pg.Next = true, *from
			return pg, nil
		}
	}
}

// wants applies match[type] and match[id] to one object.
func (f FeedFilter) wants(o Object) bool {
	c := o.Core()
	if len(f.Types) > 0 && !slices.Contains(f.Types, c.Type) {
		return false
	}
	return len(f.IDs) == 0 || slices.Contains(f.IDs, c.ID)
}

func (f FeedFilter) wantsType(types ...string) bool {
	if len(f.Types) == 0 {
		return true
	}
	for _, t := range types {
		if slices.Contains(f.Types, t) {
			return true
		}
	}
	return false
}

// idsOf are the wanted ids of the given types.
func (f FeedFilter) idsOf(types ...string) []string {
	var out []string
	for _, id := range f.IDs {
		typ, _, _ := strings.Cut(id, "--")
		if slices.Contains(types, typ) {
			out = append(out, id)
		}
	}
	return out
}

// versionOf is an object's version: modified, or created for objects
// without one (marking definitions).
func versionOf(o Object) string {
	c := o.Core()
	if c.Modified != "" {
		return c.Modified
	}
	return c.Created
}

// entry is one row of the feed before it is read in full.
type entry struct {
	at  time.Time
	src int
	row int64

	// Filled by load.
	ind   *Indicator
	sight *feedSighted
	kept  *IntelObject
	org   org.Org
	tlp   policy.TLP
}

type feedSighted struct {
	Sighting
	modified  time.Time
	indicator string // its indicator's STIX id
	creator   string
	tlp       policy.TLP
}

// feedEntries reads up to n entries after from (nil: the start), with
// whether it read n (so more may follow).
func feedEntries(ctx context.Context, q store.Querier, who auth.Principal, f FeedFilter, from *FeedPos, n int) ([]*entry, bool, error) {
	var parts []string
	var args []any
	collection := func(alias string) (string, []any) {
		var conds []string
		var a []any
		if len(f.TLP) > 0 {
			for _, t := range f.TLP {
				a = append(a, string(t))
			}
			conds = append(conds, alias+".tlp IN ("+store.In(len(f.TLP))+")")
		}
		if f.Owner > 0 {
			conds, a = append(conds, alias+".owner_org_id = ?"), append(a, f.Owner)
		}
		if len(conds) == 0 {
			return "", nil
		}
		return " AND " + strings.Join(conds, " AND "), a
	}
	inList := func(col string, ids []string) (string, []any) {
		a := make([]any, len(ids))
		for i, id := range ids {
			a[i] = id
		}
		return col + " IN (" + store.In(len(ids)) + ")", a
	}

	// Indicators, with their techniques' attack patterns and relationships.
	if f.wantsType("indicator", "attack-pattern", "relationship") {
		vis, a := policy.ReadFilter(who.Viewer, RecordKind, "i")
		coll, ca := collection("i")
		cond := vis + coll
		a = append(a, ca...)
		if !f.wantsType("indicator") {
			cond += " AND i.techniques <> ''"
		}
		if len(f.IDs) > 0 {
			ids := f.idsOf("indicator")
			c, ia := inList("i.stix_id", ids)
			if len(ids) == 0 {
				c, ia = "1 = 0", nil
			}
			if len(f.idsOf("attack-pattern", "relationship")) > 0 {
				c = "(" + c + " OR i.techniques <> '')"
			}
			cond += " AND " + c
			a = append(a, ia...)
		}
		parts = append(parts, `SELECT `+strconv.Itoa(feedIndicator)+` AS src, i.id AS row_id, i.modified_at AS added FROM indicators i WHERE `+cond)
		args = append(args, a...)
	}
	// Sightings, read through their indicator.
	if f.wantsType("sighting") {
		vis, a := policy.ReadFilter(who.Viewer, RecordKind, "i")
		coll, ca := collection("i")
		cond := vis + coll
		a = append(a, ca...)
		if len(f.IDs) > 0 {
			c, ia := inList("s.stix_id", append(f.idsOf("sighting"), ""))
			cond += " AND " + c
			a = append(a, ia...)
		}
		parts = append(parts, `SELECT `+strconv.Itoa(feedSighting)+` AS src, s.id AS row_id, COALESCE(s.modified_at, s.last_seen) AS added FROM indicator_sightings s JOIN indicators i ON i.id = s.indicator_id WHERE `+cond)
		args = append(args, a...)
	}
	// Kept objects.
	{
		vis, a := policy.ReadFilter(who.Viewer, ObjectKind, "x")
		coll, ca := collection("x")
		cond := vis + coll
		a = append(a, ca...)
		if len(f.Types) > 0 {
			c, ta := inList("x.type", f.Types)
			cond += " AND " + c
			a = append(a, ta...)
		}
		if len(f.IDs) > 0 {
			c, ia := inList("x.stix_id", f.IDs)
			cond += " AND " + c
			a = append(a, ia...)
		}
		parts = append(parts, `SELECT `+strconv.Itoa(feedKept)+` AS src, x.id AS row_id, x.modified_at AS added FROM intel_objects x WHERE `+cond)
		args = append(args, a...)
	}
	// The identities of the organisations that own or sighted what the
	// reader reads here, added when the first of those was.
	if f.wantsType("identity") && (len(f.IDs) == 0 || len(f.idsOf("identity")) > 0) {
		vis1, a1 := policy.ReadFilter(who.Viewer, RecordKind, "i")
		coll1, ca1 := collection("i")
		vis2, a2 := policy.ReadFilter(who.Viewer, RecordKind, "i")
		coll2, ca2 := collection("i")
		parts = append(parts, `SELECT `+strconv.Itoa(feedIdentity)+` AS src, g.org_id AS row_id, MIN(g.added) AS added FROM (
			SELECT i.owner_org_id AS org_id, i.modified_at AS added FROM indicators i WHERE `+vis1+coll1+`
			UNION ALL
			SELECT s.org_id, COALESCE(s.modified_at, s.last_seen) FROM indicator_sightings s JOIN indicators i ON i.id = s.indicator_id
				WHERE s.org_id IS NOT NULL AND `+vis2+coll2+`) g GROUP BY g.org_id`)
		args = append(args, a1...)
		args = append(args, ca1...)
		args = append(args, a2...)
		args = append(args, ca2...)
	}
	var where []string
	if !f.After.IsZero() {
		where, args = append(where, "f.added > ?"), append(args, f.After.UTC())
	}
	if from != nil {
		where = append(where, "(f.added > ? OR (f.added = ? AND (f.src > ? OR (f.src = ? AND f.row_id > ?))))")
		args = append(args, from.At.UTC(), from.At.UTC(), from.Src, from.Src, from.Row)
		if from.K < feedAll {
			// The entry of from itself, for the objects after its K.
			where[len(where)-1] = "(" + where[len(where)-1] + " OR (f.added = ? AND f.src = ? AND f.row_id = ?))"
			args = append(args, from.At.UTC(), from.Src, from.Row)
		}
	}
	var out []*entry
	if len(parts) > 0 {
		sqlText := `SELECT f.src, f.row_id, f.added FROM (` + strings.Join(parts, "\nUNION ALL\n") + `) f`
		if len(where) > 0 {
			sqlText += ` WHERE ` + strings.Join(where, " AND ")
		}
		sqlText += ` ORDER BY f.added, f.src, f.row_id LIMIT ` + strconv.Itoa(n)
		rows, err := q.Query(ctx, sqlText, args...)
		if err != nil {
			return nil, false, fmt.Errorf("feed: %w", err)
		}
		out, err = store.Collect(rows, func(r store.Scanner) (*entry, error) {
			var e entry
			var at any
			if err := r.Scan(&e.src, &e.row, &at); err != nil {
				return nil, err
			}
			t, err := anyTime(at)
			e.at = t
			return &e, err
		})
		if err != nil {
			return nil, false, fmt.Errorf("feed: %w", err)
		}
	}
	full := len(out) == n
	// The marking definitions: one entry each, added when TLP 2.0 was.
	if f.wantsType("marking-definition") {
		at, _ := time.Parse(time.RFC3339, tlp2Created)
		for n, t := range policy.TLPs() {
			if len(f.TLP) > 0 && !slices.Contains(f.TLP, t) {
				continue
			}
			e := &entry{at: at, src: feedMarking, row: int64(n + 1), tlp: t}
			pos := FeedPos{At: e.at, Src: e.src, Row: e.row}
			if !f.After.IsZero() && !at.After(f.After) {
				continue
			}
			if from != nil && pos.entryBefore(*from) {
				continue
			}
			if from != nil && !from.entryBefore(pos) && from.K >= feedAll {
				continue
			}
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		return FeedPos{At: out[a].at, Src: out[a].src, Row: out[a].row}.entryBefore(FeedPos{At: out[b].at, Src: out[b].src, Row: out[b].row})
	})
	if full {
		// Markings after the last row of a full batch come in a later one.
		lastRow := -1
		for i, e := range out {
			if e.src != feedMarking {
				lastRow = i
			}
		}
		out = out[:lastRow+1]
	}
	if err := loadEntries(ctx, q, out); err != nil {
		return nil, false, err
	}
	return out, full, nil
}

// anyTime reads a timestamp the driver gives as a time (PostgreSQL) or, out
// of a UNION or an aggregate where SQLite forgets the column's type, as
// text.
func anyTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case []byte:
		return anyTime(string(x))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("feed: unreadable time %q", x)
	case int64:
		return time.Unix(x, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("feed: unreadable time %T", v)
}

// loadEntries reads the rows of the entries, one query per source.
func loadEntries(ctx context.Context, q store.Querier, entries []*entry) error {
	ids := map[int][]any{}
	at := map[int]map[int64]*entry{}
	for _, e := range entries {
		if e.src == feedMarking {
			continue
		}
		if at[e.src] == nil {
			at[e.src] = map[int64]*entry{}
		}
		ids[e.src] = append(ids[e.src], e.row)
		at[e.src][e.row] = e
	}
	if list := ids[feedIndicator]; len(list) > 0 {
		rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE i.id IN (`+store.In(len(list))+`)`, list...)
		if err != nil {
			return fmt.Errorf("feed indicators: %w", err)
		}
		inds, err := store.Collect(rows, scan)
		if err != nil {
			return err
		}
		for _, i := range inds {
			i := i
			at[feedIndicator][i.ID].ind = &i
		}
	}
	if list := ids[feedSighting]; len(list) > 0 {
		rows, err := q.Query(ctx, `SELECT s.id, s.indicator_id, s.stix_id, s.count, s.first_seen, s.last_seen, s.region, s.asset_id, s.alert_id,
			COALESCE(o.slug, ''), s.note, i.stix_id, i.created_by, i.tlp FROM indicator_sightings s JOIN indicators i ON i.id = s.indicator_id
			LEFT JOIN orgs o ON o.id = s.org_id WHERE s.id IN (`+store.In(len(list))+`)`, list...)
		if err != nil {
			return fmt.Errorf("feed sightings: %w", err)
		}
		ss, err := store.Collect(rows, func(r store.Scanner) (feedSighted, error) {
			var s feedSighted
			var tlp string
			err := r.Scan(&s.ID, &s.IndicatorID, &s.STIXID, &s.Count, &s.FirstSeen, &s.LastSeen, &s.Region, &s.AssetID, &s.AlertID,
				&s.Org, &s.Note, &s.indicator, &s.creator, &tlp)
			s.tlp = policy.TLP(tlp)
			return s, err
		})
		if err != nil {
			return err
		}
		for _, s := range ss {
			s := s
			e := at[feedSighting][s.ID]
			s.modified = e.at
			e.sight = &s
		}
	}
	if list := ids[feedKept]; len(list) > 0 {
		rows, err := q.Query(ctx, `SELECT `+objectColumns+` FROM intel_objects x WHERE x.id IN (`+store.In(len(list))+`)`, list...)
		if err != nil {
			return fmt.Errorf("feed kept objects: %w", err)
		}
		objs, err := store.Collect(rows, scanObject)
		if err != nil {
			return err
		}
		for _, o := range objs {
			o := o
			at[feedKept][o.ID].kept = &o
		}
	}
	return nil
}

// versioned is an object of an entry with the date its version was added
// (zero: the entry's).
type versioned struct {
	Object
	added       time.Time
	first, last bool // the object's first, latest version
}

func one(o Object) []versioned { return []versioned{{Object: o, first: true, last: true}} }

// objects are the STIX objects of an entry, in a fixed order, in the
// versions asked for.
func (e *entry) objects(tree *org.Tree, versions string) ([]versioned, error) {
	switch e.src {
	case feedMarking:
		m, err := Marking(e.tlp)
		if err != nil {
			return nil, err
		}
		return one(m), nil
	case feedIndicator:
		if e.ind == nil {
			return nil, nil // gone between the two reads
		}
		every := e.ind.Versions()
		vs := every
		switch versions {
		case VersionFirst:
			vs = vs[:1]
		case VersionAll:
		default:
			vs = vs[len(vs)-1:]
		}
		var out []versioned
		for n, v := range vs {
			added := v.ModifiedAt // the first version was added when made
			first, last := v.ModifiedAt.Equal(every[0].ModifiedAt), v.ModifiedAt.Equal(e.ind.ModifiedAt)
			out = append(out, versioned{Object: v.STIX(), added: added, first: first, last: last})
			for _, o := range v.techniqueObjects() {
				if o.Core().Type == "attack-pattern" {
					if n > 0 && len(vs) > 1 {
						continue // one version: once per entry
					}
					out = append(out, versioned{Object: o, added: added, first: true, last: true})
					continue
				}
				out = append(out, versioned{Object: o, added: added, first: first, last: last})
			}
		}
		return out, nil
	case feedSighting:
		if e.sight == nil {
			return nil, nil
		}
		return one(e.sight.object(tree)), nil
	case feedKept:
		if e.kept == nil {
			return nil, nil
		}
		o, err := keptObject(*e.kept)
		if err != nil || o == nil {
			return nil, err
		}
		return one(o), nil
	case feedIdentity:
		o, ok := tree.ByID(e.row)
		if !ok {
			return nil, nil
		}
		return one(NewIdentity(o.Slug, o.Name)), nil
	}
	return nil, nil
}

// object is the sighting as STIX: sighted by the organisation that saw it,
// marked and created as its indicator, a new version at each change of its
// row (count, last seen).
func (s *feedSighted) object(tree *org.Tree) *SightingObject {
	marks := []string{MarkingID(s.tlp)}
	so := &SightingObject{Common: sdo("sighting", s.STIXID, s.creator, s.FirstSeen, marks), SightingOfRef: s.indicator,
		FirstSeen: Stamp(s.FirstSeen), LastSeen: Stamp(s.LastSeen)}
	if s.modified.After(s.FirstSeen) {
		so.Modified = Stamp(s.modified)
	}
	n := min(s.Count, 999999999)
	so.Count = &n
	if o, ok := bySlug(tree, s.Org); ok {
		so.WhereSightedRefs = []string{IdentityID(o.Slug)}
	}
	so.Description = sightingDescription(s.Sighting)
	return so
}

// sightingDescription says where the sighting was, and the alert it
// raised, in words a partner's analyst reads.
func sightingDescription(s Sighting) string {
	var parts []string
	if s.Region != "" {
		parts = append(parts, "wilayah "+s.Region)
	}
	if s.AssetID > 0 {
		parts = append(parts, "aset "+strconv.FormatInt(s.AssetID, 10))
	}
	if s.AlertID > 0 {
		parts = append(parts, "peringatan "+strconv.FormatInt(s.AlertID, 10))
	}
	return strings.Join(parts, ", ")
}

// keptObject is a kept row as the STIX object Garda serves: a
// vulnerability rebuilt, anything else as it came, marked with the TLP
// Garda holds it at when it came unmarked.
func keptObject(o IntelObject) (Object, error) {
	if o.Type == "vulnerability" {
		v, err := VulnerabilityOf(o.Name, "")
		if err != nil {
			return nil, nil
		}
		v.ObjectMarkingRefs = []string{MarkingID(o.TLP)}
		return v, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(o.Body, &m) != nil {
		return nil, nil // kept from a checked import: never, but never half-written either
	}
	if _, marked := m["object_marking_refs"]; !marked {
		m["object_marking_refs"], _ = json.Marshal([]string{MarkingID(o.TLP)})
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	k := &kept{core: Common{Type: o.Type, ID: o.STIXID}, body: body, tlp: o.TLP}
	var stamps struct{ Created, Modified string }
	_ = json.Unmarshal(body, &stamps)
	k.core.Created, k.core.Modified = stamps.Created, stamps.Modified
	return k, nil
}

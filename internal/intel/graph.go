package intel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Node kinds of an indicator's graph, in the order they are laid out.
const (
	NodeIndicator     = "indicator" // the centre
	NodeRegion        = "region"
	NodeAsset         = "asset"
	NodeAlert         = "alert"
	NodeIncident      = "incident"
	NodePatrol        = "patrol"
	NodeAttackPattern = "attack-pattern"
	NodeVulnerability = "vulnerability"
	NodeReport        = "report"
	NodeLinked        = "linked-indicator"
	NodeObject        = "object" // another STIX object a relationship names
)

var nodeOrder = []string{NodeIndicator, NodeRegion, NodeAsset, NodeAlert, NodeIncident, NodePatrol,
	NodeAttackPattern, NodeVulnerability, NodeReport, NodeLinked, NodeObject}

// MaxGraphNodes bounds the nodes around an indicator (the rest are
// counted in Graph.More).
const MaxGraphNodes = 40

// GraphNode is one thing linked to an indicator; Href is its page.
type GraphNode struct {
	Key   string `json:"key"`
	Kind  string `json:"kind"`
	Label string `json:"label"`
	Href  string `json:"href"`
}

// GraphEdge links the indicator (From) to a node; Rel says how:
// "sighted-in", "sighted-at", "from", "indicates" or a STIX
// relationship_type, "in-report".
type GraphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Rel  string `json:"rel"`
}

// Graph is an indicator and what it is linked to, as its reader may see
// it: a node the reader may not read is left out, never drawn blank.
type Graph struct {
	Nodes []GraphNode `json:"nodes"` // Nodes[0] is the indicator
	Edges []GraphEdge `json:"edges"`
	More  int         `json:"more,omitempty"` // nodes left out past MaxGraphNodes
}

// IndicatorGraph builds the graph of indicator i (read by who) from its
// sightings (places, assets, alerts), its source (alert, incident, patrol
// item), its techniques, the relationships and reports that name it among
// the STIX objects Garda keeps, and the indicators those relationships
// link. Every node is read through its own package's visibility.
func IndicatorGraph(ctx context.Context, q store.Querier, who auth.Principal, i Indicator, sightings []Sighting) (Graph, error) {
	center := "indicator:" + i.STIXID
	g := Graph{Nodes: []GraphNode{{Key: center, Kind: NodeIndicator, Label: i.Value, Href: fmt.Sprintf("/intelijen/indikator/%d", i.ID)}}}
	seen := map[string]bool{center: true}
	edges := map[string]bool{}
	add := func(n GraphNode, rel string) {
		if !seen[n.Key] {
			seen[n.Key] = true
			g.Nodes = append(g.Nodes, n)
		}
		if e := center + "|" + n.Key + "|" + rel; !edges[e] {
			edges[e] = true
			g.Edges = append(g.Edges, GraphEdge{From: center, To: n.Key, Rel: rel})
		}
	}
	readable := func(err error) (bool, error) {
		if err == nil {
			return true, nil
		}
		if pe := problem.As(err); pe != nil && pe.Code == problem.NotFound {
			return false, nil
		}
		return false, err
	}
	alertNode := func(id int64, rel string) error {
		a, err := alert.Get(ctx, q, who, id)
		if ok, err := readable(err); !ok {
			return err
		}
		add(GraphNode{Key: "alert:" + strconv.FormatInt(id, 10), Kind: NodeAlert, Label: fmt.Sprintf("#%d %s", id, a.Title),
			Href: fmt.Sprintf("/pemantauan/peringatan/%d", id)}, rel)
		return nil
	}
	for _, s := range sightings {
		add(GraphNode{Key: "region:" + s.Region, Kind: NodeRegion, Label: s.Region, Href: "/intelijen?region=" + s.Region}, "sighted-in")
		if s.AssetID > 0 && !seen["asset:"+strconv.FormatInt(s.AssetID, 10)] {
			a, err := asset.Get(ctx, q, who, s.AssetID)
			if ok, err := readable(err); err != nil {
				return g, err
			} else if ok {
				add(GraphNode{Key: "asset:" + strconv.FormatInt(a.ID, 10), Kind: NodeAsset, Label: a.Name, Href: fmt.Sprintf("/aset/%d", a.ID)}, "sighted-at")
			}
		}
		if s.AlertID > 0 {
			if err := alertNode(s.AlertID, "sighted-at"); err != nil {
				return g, err
			}
		}
	}
	switch i.Source {
	case "alert":
		if id, err := strconv.ParseInt(i.SourceRef, 10, 64); err == nil {
			if err := alertNode(id, "from"); err != nil {
				return g, err
			}
		}
	case "incident":
		inc, err := incident.Get(ctx, q, who, i.SourceRef)
		if ok, err := readable(err); err != nil {
			return g, err
		} else if ok {
			add(GraphNode{Key: "incident:" + inc.HumanID, Kind: NodeIncident, Label: inc.HumanID + " " + inc.Title, Href: "/insiden/" + inc.HumanID}, "from")
		}
	case "patrol", "lookalike":
		if id, err := strconv.ParseInt(i.SourceRef, 10, 64); err == nil {
			it, err := patrol.Get(ctx, q, who, id)
			if ok, err := readable(err); err != nil {
				return g, err
			} else if ok {
				add(GraphNode{Key: "patrol:" + strconv.FormatInt(id, 10), Kind: NodePatrol, Label: strings.TrimSpace(it.HumanID + " " + it.Title),
					Href: fmt.Sprintf("/patroli/item/%d", id)}, "from")
			}
		}
	}
	for _, t := range i.Techniques {
		ap, err := AttackPatternOf(t, "")
		if err != nil {
			continue
		}
		add(GraphNode{Key: "stix:" + ap.ID, Kind: NodeAttackPattern, Label: t, Href: ap.ExternalReferences[0].URL}, "indicates")
	}
	// Relationships and reports Garda keeps (imported or made) that name
	// the indicator, as far as the reader may read them.
	vis, args := policy.ReadFilter(who.Viewer, ObjectKind, "x")
	rows, err := q.Query(ctx, `SELECT x.type, x.body FROM intel_objects x WHERE x.type IN ('relationship', 'report') AND x.body LIKE ? AND `+vis+
		` ORDER BY x.id LIMIT 200`, append([]any{`%"` + i.STIXID + `"%`}, args...)...)
	if err != nil {
		return g, fmt.Errorf("indicator %d relationships: %w", i.ID, err)
	}
	type linked struct{ typ, body string }
	list, err := store.Collect(rows, func(r store.Scanner) (linked, error) {
		var l linked
		return l, r.Scan(&l.typ, &l.body)
	})
	if err != nil {
		return g, err
	}
	for _, l := range list {
		var o struct {
			ID         string   `json:"id"`
			Rel        string   `json:"relationship_type"`
			Source     string   `json:"source_ref"`
			Target     string   `json:"target_ref"`
			ObjectRefs []string `json:"object_refs"`
		}
		if json.Unmarshal([]byte(l.body), &o) != nil {
			continue
		}
		if l.typ == "report" {
			if !slices.Contains(o.ObjectRefs, i.STIXID) {
				continue
			}
			n, ok, err := stixNode(ctx, q, who, o.ID)
			if err != nil {
				return g, err
			}
			if ok {
				add(n, "in-report")
			}
			continue
		}
		other := ""
		switch i.STIXID {
		case o.Source:
			other = o.Target
		case o.Target:
			other = o.Source
		}
		if other == "" || other == i.STIXID || !validID("", other) {
			continue
		}
		n, ok, err := stixNode(ctx, q, who, other)
		if err != nil {
			return g, err
		}
		if ok {
			rel := o.Rel
			if !relRE.MatchString(rel) {
				rel = "related-to"
			}
			add(n, rel)
		}
	}
	rest := g.Nodes[1:]
	slices.SortStableFunc(rest, func(a, b GraphNode) int {
		if d := slices.Index(nodeOrder, a.Kind) - slices.Index(nodeOrder, b.Kind); d != 0 {
			return d
		}
		if c := strings.Compare(a.Label, b.Label); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(g.Nodes) > MaxGraphNodes+1 {
		g.More = len(g.Nodes) - MaxGraphNodes - 1
		kept := map[string]bool{}
		g.Nodes = g.Nodes[:MaxGraphNodes+1]
		for _, n := range g.Nodes {
			kept[n.Key] = true
		}
		g.Edges = slices.DeleteFunc(g.Edges, func(e GraphEdge) bool { return !kept[e.To] })
	}
	slices.SortStableFunc(g.Edges, func(a, b GraphEdge) int {
		if c := strings.Compare(a.To, b.To); c != 0 {
			return c
		}
		return strings.Compare(a.Rel, b.Rel)
	})
	return g, nil
}

// stixNode is the node of a STIX id the reader may read: one of Garda's
// indicators or another object Garda keeps; ok is false otherwise.
func stixNode(ctx context.Context, q store.Querier, who auth.Principal, id string) (GraphNode, bool, error) {
	if strings.HasPrefix(id, "indicator--") {
		vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
		var n int64
		var value string
		err := q.QueryRow(ctx, `SELECT i.id, i.value FROM indicators i WHERE i.stix_id = ? AND `+vis, append([]any{id}, args...)...).Scan(&n, &value)
		if errors.Is(err, store.ErrNotFound) {
			return GraphNode{}, false, nil
		} else if err != nil {
			return GraphNode{}, false, err
		}
		return GraphNode{Key: "indicator:" + id, Kind: NodeLinked, Label: value, Href: fmt.Sprintf("/intelijen/indikator/%d", n)}, true, nil
	}
	o, err := objectBySTIXID(ctx, q, who, id)
	if errors.Is(err, store.ErrNotFound) {
		return GraphNode{}, false, nil
	} else if err != nil {
		return GraphNode{}, false, err
	}
	kind := NodeObject
	switch o.Type {
	case "attack-pattern":
		kind = NodeAttackPattern
	case "vulnerability":
		kind = NodeVulnerability
	case "report":
		kind = NodeReport
	}
	label := o.Name
	if label == "" {
		label = o.Type
	}
	return GraphNode{Key: "stix:" + id, Kind: kind, Label: label, Href: fmt.Sprintf("/intelijen/objek/%d", o.ID)}, true, nil
}

var relRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

const objectColumns = `x.id, x.stix_id, x.type, x.name, x.body, x.tlp, x.region`

func scanObject(r store.Scanner) (IntelObject, error) {
	var o IntelObject
	var body, tlp string
	if err := r.Scan(&o.ID, &o.STIXID, &o.Type, &o.Name, &body, &tlp, &o.Region); err != nil {
		return o, err
	}
	o.Body, o.TLP = json.RawMessage(body), policy.TLP(tlp)
	return o, nil
}

// objectBySTIXID is the first kept object of that id the reader may read.
func objectBySTIXID(ctx context.Context, q store.Querier, who auth.Principal, id string) (IntelObject, error) {
	vis, args := policy.ReadFilter(who.Viewer, ObjectKind, "x")
	return scanObject(q.QueryRow(ctx, `SELECT `+objectColumns+` FROM intel_objects x WHERE x.stix_id = ? AND `+vis+` ORDER BY x.id LIMIT 1`,
		append([]any{id}, args...)...))
}

// GetObject reads one kept STIX object (an import's report,
// relationship, identity, ... or a finding's vulnerability); one the
// principal may not read is not found.
func GetObject(ctx context.Context, q store.Querier, who auth.Principal, id int64) (IntelObject, error) {
	vis, args := policy.ReadFilter(who.Viewer, ObjectKind, "x")
	o, err := scanObject(q.QueryRow(ctx, `SELECT `+objectColumns+` FROM intel_objects x WHERE x.id = ? AND `+vis, append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return o, problem.New(problem.NotFound, "no intelligence object %d", id)
	}
	return o, err
}

// wib is the task force's day: Western Indonesian Time.
var wib = time.FixedZone("WIB", 7*3600)

// Day is the WIB day of t, as the sightings chart counts it.
func Day(t time.Time) string { return t.In(wib).Format("2006-01-02") }

// DayCount is how often an indicator was sighted on one WIB day.
type DayCount struct {
	Day   string `json:"day"`
	Count int64  `json:"count"`
}

// SightingDays are the counts per day of the last days days up to now
// (WIB), every day present (zero when none). Sightings from before the
// daily counts (migration 0050) count on their last_seen day.
func SightingDays(ctx context.Context, q store.Querier, who auth.Principal, id int64, days int, now time.Time) ([]DayCount, error) {
	if _, err := Get(ctx, q, who, id); err != nil {
		return nil, err
	}
	if days < 1 || days > 366 {
		days = 30
	}
	first := Day(now.AddDate(0, 0, -(days - 1)))
	rows, err := q.Query(ctx, `SELECT day, count FROM indicator_sighting_days WHERE indicator_id = ? AND day >= ? ORDER BY day`, id, first)
	if err != nil {
		return nil, fmt.Errorf("indicator %d sighting days: %w", id, err)
	}
	got, err := store.Collect(rows, func(r store.Scanner) (DayCount, error) {
		var d DayCount
		return d, r.Scan(&d.Day, &d.Count)
	})
	if err != nil {
		return nil, err
	}
	by := map[string]int64{}
	for _, d := range got {
		by[d.Day] += d.Count
	}
	var counted int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM indicator_sighting_days WHERE indicator_id = ?`, id).Scan(&counted); err != nil {
		return nil, err
	}
	if counted == 0 {
		ss, err := Sightings(ctx, q, who, id)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			by[Day(s.LastSeen)] += s.Count
		}
	}
	out := make([]DayCount, 0, days)
	for d := days - 1; d >= 0; d-- {
		day := Day(now.AddDate(0, 0, -d))
		out = append(out, DayCount{Day: day, Count: by[day]})
	}
	return out, nil
}

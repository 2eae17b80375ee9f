package web

import (
	"context"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/store"
)

// svgOf is the first <svg class="CLASS"> of a page, parsed: its nodes
// (key -> href, kind), edges and bars.
type svgNode struct {
	Key, Kind, Href string
}

type svgParsed struct {
	raw   string
	nodes map[string]svgNode
	edges [][3]string // from, to, rel
	bars  map[string]string
}

func svgOf(t *testing.T, page, class string) svgParsed {
	t.Helper()
	m := regexp.MustCompile(`(?s)<svg class="` + class + `".*?</svg>`).FindString(page)
	if m == "" {
		t.Fatalf("no svg %s in the page", class)
	}
	out := svgParsed{raw: m, nodes: map[string]svgNode{}, bars: map[string]string{}}
	d := xml.NewDecoder(strings.NewReader(m))
	var cur *svgNode
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := map[string]string{}
		for _, a := range se.Attr {
			attr[a.Name.Local] = a.Value
		}
		switch {
		case se.Name.Local == "g" && attr["class"] == "node":
			n := svgNode{Key: attr["data-key"], Kind: attr["data-kind"]}
			if _, dup := out.nodes[n.Key]; dup {
				t.Errorf("node %s drawn twice", n.Key)
			}
			out.nodes[n.Key] = n
			cur = &n
		case se.Name.Local == "a" && cur != nil:
			cur.Href = attr["href"]
			out.nodes[cur.Key] = *cur
			cur = nil
		case se.Name.Local == "g" && attr["class"] == "edge":
			out.edges = append(out.edges, [3]string{attr["data-from"], attr["data-to"], attr["data-rel"]})
		case se.Name.Local == "rect" && attr["class"] == "bar":
			out.bars[attr["data-day"]] = attr["data-count"]
		}
	}
	return out
}

// TestIndicatorGraphPage: the indicator's page draws its relationships
// (places and alerts it was sighted at, its technique, the indicators,
// vulnerabilities and reports linked by STIX relationships kept from an
// import) as an SVG whose every node is a link and every edge joins drawn
// nodes; another organisation's AMBER indicator a relationship names is
// not drawn at all; the sightings per day are bars; the same graph draws
// the same SVG.
func TestIndicatorGraphPage(t *testing.T) {
	s := newSiteWith(t, Deps{})
	ctx := context.Background()
	jabar, bssn := principal(t, s, "jabar.analyst"), principal(t, s, "jateng.analyst")
	i, err := intel.Create(ctx, s.db, jabar, intel.Input{Kind: intel.Domain, Value: "kpu-jabar-login.example", Techniques: []string{"T1566"}})
	if err != nil {
		t.Fatal(err)
	}
	j, err := intel.Create(ctx, s.db, jabar, intel.Input{Kind: intel.IPv4, Value: "198.51.100.40"})
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := intel.Create(ctx, s.db, bssn, intel.Input{Kind: intel.IPv4, Value: "203.0.113.66"})
	if err != nil {
		t.Fatal(err)
	}
	now := store.Now()
	yesterday := now.Add(-24 * time.Hour)
	for _, sg := range []intel.Seen{{Count: 4, Region: "32.04", LastSeen: now, FirstSeen: now}, {Count: 2, Region: "32.73", FirstSeen: yesterday, LastSeen: yesterday}} {
		if err := intel.AddSighting(ctx, s.db, jabar, i.ID, sg); err != nil {
			t.Fatal(err)
		}
	}
	vuln := "vulnerability--" + strings.TrimPrefix(intel.NewID("x"), "x--")
	report := "report--" + strings.TrimPrefix(intel.NewID("x"), "x--")
	rel := func(typ, src, dst string) string {
		return fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"%s","source_ref":"%s","target_ref":"%s"}`,
			intel.NewID("relationship"), typ, src, dst)
	}
	bundle := fmt.Sprintf(`{"type":"bundle","id":"%s","objects":[
		{"type":"vulnerability","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"CVE-2026-1234"},
		{"type":"report","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Kampanye phishing PPK","published":"2026-01-01T00:00:00Z","object_refs":["%s"]},
		%s, %s, %s]}`, intel.NewID("bundle"), vuln, report, i.STIXID,
		rel("targets", i.STIXID, vuln), rel("related-to", j.STIXID, i.STIXID), rel("related-to", i.STIXID, hidden.STIXID))
	if _, err := intel.Import(ctx, s.db, jabar, strings.NewReader(bundle)); err != nil {
		t.Fatal(err)
	}

	analyst := s.as("jabar.analyst")
	path := fmt.Sprintf("/intelijen/indikator/%d", i.ID)
	resp, html := analyst.get(path)
	wantStatus(t, resp, 200, "indicator page")
	g := svgOf(t, html, "intel-graph")
	want := map[string]string{ // key -> kind
		"indicator:" + i.STIXID: intel.NodeIndicator,
		"region:32.04":          intel.NodeRegion,
		"region:32.73":          intel.NodeRegion,
		"indicator:" + j.STIXID: intel.NodeLinked,
		"stix:" + vuln:          intel.NodeVulnerability,
		"stix:" + report:        intel.NodeReport,
	}
	ap, _ := intel.AttackPatternOf("T1566", "")
	want["stix:"+ap.ID] = intel.NodeAttackPattern
	if len(g.nodes) != len(want) {
		t.Errorf("%d nodes, want %d: %v", len(g.nodes), len(want), g.nodes)
	}
	for k, kind := range want {
		n, ok := g.nodes[k]
		if !ok || n.Kind != kind {
			t.Errorf("node %s (%s) missing or of kind %q", k, kind, n.Kind)
		}
	}
	for _, n := range g.nodes {
		if n.Href == "" {
			t.Errorf("node %s is not a link", n.Key)
		}
		if strings.Contains(n.Key, hidden.STIXID) {
			t.Errorf("Central Java's AMBER indicator is drawn for KPU Jawa Barat")
		}
	}
	if strings.Contains(g.raw, hidden.STIXID) || strings.Contains(g.raw, "203.0.113.66") {
		t.Error("the SVG names Central Java's AMBER indicator")
	}
	to := map[string]string{}
	for _, e := range g.edges {
		if _, ok := g.nodes[e[0]]; !ok {
			t.Errorf("edge from an undrawn node %s", e[0])
		}
		if _, ok := g.nodes[e[1]]; !ok {
			t.Errorf("edge to an undrawn node %s", e[1])
		}
		to[e[1]] = e[2]
	}
	for k := range want {
		if k != "indicator:"+i.STIXID && to[k] == "" {
			t.Errorf("no edge to %s", k)
		}
	}
	if to["stix:"+vuln] != "targets" || to["indicator:"+j.STIXID] != "related-to" || to["stix:"+report] != "in-report" {
		t.Errorf("edge relations: %v", to)
	}
	wantIn(t, html, "graph labels", "menyasar", "Kerentanan", "Wilayah", "Kabupaten Bandung")
	// The linked indicator and the vulnerability open their pages.
	resp, _ = analyst.get(g.nodes["indicator:"+j.STIXID].Href)
	wantStatus(t, resp, 200, "linked indicator")
	resp, obj := analyst.get(g.nodes["stix:"+vuln].Href)
	wantStatus(t, resp, 200, "vulnerability object page")
	wantIn(t, obj, "object page", "CVE-2026-1234", vuln)
	resp, _ = s.as("jateng.analyst").get(g.nodes["stix:"+vuln].Href)
	wantStatus(t, resp, 404, "another organisation's AMBER object")

	days := svgOf(t, html, "intel-days")
	if len(days.bars) != 30 || days.bars[intel.Day(now)] != "4" || days.bars[intel.Day(yesterday)] != "2" {
		t.Errorf("bars: %v", days.bars)
	}
	_, again := analyst.get(path)
	if svgOf(t, again, "intel-graph").raw != g.raw {
		t.Error("the same graph drew another SVG")
	}
}

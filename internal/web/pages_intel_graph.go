package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/intel"
)

// Server-drawn SVG for an indicator's page: its relationships as a graph
// (the indicator in the centre, what it is linked to on a ring around it)
// and its sightings per day as bars. No script, no library: the layout is
// a function of the graph alone, so the same graph draws the same picture.

// nodeFill colours a node by kind (presentation attributes: the CSP
// allows no inline style).
var nodeFill = map[string]string{
	intel.NodeIndicator: "#b42318", intel.NodeRegion: "#175cd3", intel.NodeAsset: "#0e7090", intel.NodeAlert: "#dc6803",
	intel.NodeIncident: "#c11574", intel.NodePatrol: "#6938ef", intel.NodeAttackPattern: "#344054", intel.NodeVulnerability: "#b54708",
	intel.NodeReport: "#027a48", intel.NodeLinked: "#d92d20", intel.NodeObject: "#667085",
}

func esc(s string) string { return html.EscapeString(s) }

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// graphSVG draws g: the centre at the middle, the other nodes on one ring
// (two when there are many) in the graph's order, an edge from the centre
// to each, labelled by its relationship. Each node is a link to its page.
func graphSVG(rq *req, g intel.Graph) template.HTML {
	const w, h = 760.0, 520.0
	cx, cy := w/2, h/2
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="intel-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="100%%" role="img" aria-labelledby="graf-judul">`, w, h)
	fmt.Fprintf(&b, `<title id="graf-judul">%s</title>`, esc(rq.T("intelview.graph_title", len(g.Nodes)-1)))
	type pos struct{ x, y float64 }
	at := map[string]pos{}
	rest := g.Nodes[1:]
	rings := 1
	if len(rest) > 14 {
		rings = 2
	}
	for k, n := range rest {
		ring := k % rings
		perRing := (len(rest) + rings - 1 - ring) / rings
		idx := k / rings
		r := 190.0
		if rings == 2 {
			r = []float64{130, 215}[ring]
		}
		a := -math.Pi/2 + 2*math.Pi*float64(idx)/float64(max(perRing, 1)) + float64(ring)*math.Pi/float64(max(perRing, 1))
		at[n.Key] = pos{math.Round((cx+r*math.Cos(a))*10) / 10, math.Round((cy+r*math.Sin(a)*0.85)*10) / 10}
	}
	at[g.Nodes[0].Key] = pos{cx, cy}
	for _, e := range g.Edges {
		p, q := at[e.From], at[e.To]
		fmt.Fprintf(&b, `<g class="edge" data-from="%s" data-to="%s" data-rel="%s"><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#98a2b3" stroke-width="1.5"/>`,
			esc(e.From), esc(e.To), esc(e.Rel), p.x, p.y, q.x, q.y)
		fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="10" fill="#475467" text-anchor="middle">%s</text></g>`,
			math.Round((p.x+q.x)/2*10)/10, math.Round(((p.y+q.y)/2-3)*10)/10, esc(relLabel(rq, e.Rel)))
	}
	for k, n := range g.Nodes {
		p := at[n.Key]
		radius := 9.0
		if k == 0 {
			radius = 16
		}
		label := n.Label
		if n.Kind == intel.NodeRegion {
			label = rq.ScopeName(n.Label)
		}
		fill := nodeFill[n.Kind]
		if fill == "" {
			fill = "#667085"
		}
		fmt.Fprintf(&b, `<g class="node" data-key="%s" data-kind="%s"><a href="%s"><title>%s: %s</title>`,
			esc(n.Key), esc(n.Kind), esc(n.Href), esc(rq.T("intelview.node."+n.Kind)), esc(label))
		fmt.Fprintf(&b, `<circle cx="%g" cy="%g" r="%g" fill="%s"/>`, p.x, p.y, radius, fill)
		fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" text-anchor="middle" fill="#101828">%s</text>`, p.x, p.y+radius+12, esc(shorten(label, 28)))
		fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="9" text-anchor="middle" fill="#667085">%s</text></a></g>`, p.x, p.y+radius+23, esc(rq.T("intelview.node."+n.Kind)))
	}
	if g.More > 0 {
		fmt.Fprintf(&b, `<text x="8" y="%g" font-size="11" fill="#475467">%s</text>`, h-8, esc(rq.T("intelview.more", g.More)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every value above went through esc
}

func relLabel(rq *req, rel string) string {
	if k := "intelview.rel." + rel; hasMessage(k) {
		return rq.T(k)
	}
	return rel // a partner's own relationship_type, shown as it came
}

// daysSVG draws the sightings per day as bars, the oldest day left, with
// each bar's day and count in its title.
func daysSVG(rq *req, days []intel.DayCount) template.HTML {
	const w, h, top, bottom = 760.0, 180.0, 16.0, 30.0
	var peak int64
	var total int64
	for _, d := range days {
		peak, total = max(peak, d.Count), total+d.Count
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="intel-days" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="100%%" role="img" aria-labelledby="hari-judul">`, w, h)
	fmt.Fprintf(&b, `<title id="hari-judul">%s</title>`, esc(rq.T("intelview.days_title", len(days), total)))
	fmt.Fprintf(&b, `<line x1="0" y1="%g" x2="%g" y2="%g" stroke="#d0d5dd"/>`, h-bottom, w, h-bottom)
	if len(days) > 0 {
		slot := w / float64(len(days))
		for k, d := range days {
			bh := 0.0
			if peak > 0 {
				bh = math.Round((h-top-bottom)*float64(d.Count)/float64(peak)*10) / 10
			}
			x := math.Round((float64(k)*slot+slot*0.15)*10) / 10
			fmt.Fprintf(&b, `<rect class="bar" data-day="%s" data-count="%d" x="%g" y="%g" width="%g" height="%g" fill="#175cd3"><title>%s: %d</title></rect>`,
				d.Day, d.Count, x, h-bottom-bh, math.Round(slot*0.7*10)/10, bh, d.Day, d.Count)
			if k == 0 || k == len(days)-1 || k%7 == 0 {
				fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="10" fill="#475467">%s</text>`, x, h-bottom+14, d.Day[5:])
			}
		}
		fmt.Fprintf(&b, `<text x="%g" y="12" font-size="10" fill="#475467" text-anchor="end">%s</text>`, w-2, esc(rq.T("intelview.peak", strconv.FormatInt(peak, 10))))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

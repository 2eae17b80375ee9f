package web

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// mapView is an SVG map drawn by the server: every province a path with
// data-region inside a link to its page, coloured by a CSS class.
type mapView struct {
	ViewBox   string
	Label     string // aria-label
	Class     string // "map-national" or "map-province"
	Provinces []mapProvince
}

type mapProvince struct {
	Code, D, Title string
	Class          string // "lvl-none own", ...
}

// drawMap builds the map from the per-province states. focus, when set,
// zooms onto that province and fades the others.
func (p *pages) drawMap(rq *req, states []provinceState, own, focus, label string) mapView {
	byCode := make(map[string]provinceState, len(states))
	for _, st := range states {
		byCode[st.Code] = st
	}
	v := mapView{ViewBox: p.geo.ViewBox, Label: label, Class: "map-national"}
	for _, gp := range p.geo.Provinces {
		st := byCode[gp.Code]
		name := st.Name
		if name == "" {
			name = regionName(gp.Code)
		}
		if st.Level == "" {
			st.Level = levelOf(0, "")
		}
		class := "lvl-" + st.Level
		if gp.Code == own {
			class += " own"
		}
		if focus != "" {
			if gp.Code == focus {
				class += " focus"
			} else {
				class += " dim"
			}
		}
		v.Provinces = append(v.Provinces, mapProvince{Code: gp.Code, D: gp.D, Class: class,
			Title: rq.T("map.title_items", name, st.Assets, st.Alerts, st.Incidents)})
	}
	// SVG paints in document order: the outlined province goes last, so
	// that its neighbours do not cover its border.
	slices.SortStableFunc(v.Provinces, func(a, b mapProvince) int {
		return cmp.Compare(rank(a.Code, own, focus), rank(b.Code, own, focus))
	})
	if focus != "" {
		if gp, ok := p.geo.Province(focus); ok {
			v.ViewBox, v.Class = zoomBox(gp.D, p.geo.Width, p.geo.Height), "map-province"
		}
	}
	return v
}

func rank(code, own, focus string) int {
	switch code {
	case focus:
		return 2
	case own:
		return 1
	}
	return 0
}

// zoomBox is a view box around a path, with a margin and a minimum size so
// that small provinces (DKI Jakarta) keep some surroundings.
func zoomBox(d string, mapW, mapH float64) string {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, f := range strings.FieldsFunc(d, func(r rune) bool { return r == 'M' || r == 'L' || r == 'Z' || r == ' ' }) {
		xs, ys, ok := strings.Cut(f, ",")
		if !ok {
			continue
		}
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		minX, minY, maxX, maxY = math.Min(minX, x), math.Min(minY, y), math.Max(maxX, x), math.Max(maxY, y)
	}
	if math.IsInf(minX, 0) {
		return fmt.Sprintf("0 0 %g %g", mapW, mapH)
	}
	// Twice the province's size, and at least 110 by 60, so that the
	// neighbours show where it lies; no narrower than 4:3, so the province
	// sits in a landscape frame like the national map.
	w, h := (maxX-minX)*2, (maxY-minY)*2
	w = math.Max(w, 110)
	h = math.Max(h, 60)
	if w < h*4/3 {
		w = h * 4 / 3
	}
	cx, cy := (minX+maxX)/2, (minY+maxY)/2
	return fmt.Sprintf("%.1f %.1f %.1f %.1f", cx-w/2, cy-h/2, w, h)
}

// ownProvince is the province a provincial or regency user works in.
func ownProvince(scope string) string { return region.Province(scope) }

// overviewRow is one province in the table beside the map.
type overviewRow struct {
	provinceState
	Own bool
}

type overviewView struct {
	Map               mapView
	Rows              []overviewRow
	Total, National   int       // assets
	Provinces         int       // with assets
	Alerts, Incidents int       // open, nation-wide: the provinces' and the national ones
	Nation            openItems // national records: no province holds them
	You               string
	Layer             string // "" (alerts and incidents) or "temuan" (overdue findings)
}

// overdueFindingStates colours the provinces by their overdue findings
// (the penetration tests' layer): the level is the highest severity among
// the open findings, shown only where some are past their deadline.
func (p *pages) overdueFindingStates(r *http.Request, rq *req, states []provinceState) ([]provinceState, error) {
	byProv, err := finding.ByProvince(r.Context(), p.s.DB, *rq.P, store.Now())
	if err != nil {
		return nil, err
	}
	out := make([]provinceState, len(states))
	for i, st := range states {
		fs := byProv[st.Code]
		st.Level = levelOf(fs.Overdue, fs.Highest)
		out[i] = st
	}
	return out, nil
}

// openItems are a place's open incidents and alerts as its page lists
// them: counted apart, each list its latest few the reader may see, the
// counts the whole of what the reader may see.
type openItems struct {
	Region         string // the province's code; "" for the nation's own
	Incidents      []incident.Incident
	Alerts         []alert.Alert
	IncidentsCount int
	AlertsCount    int
}

// openItemLimit is how many of each a place's page lists before linking to
// its queue.
const openItemLimit = 5

// openIncidentStatuses are the statuses the map counts as open (as
// incident.OpenByProvince does): neither resolved nor closed.
func openIncidentStatuses() []incident.Status {
	return slices.DeleteFunc(slices.Clone(incident.Statuses), incident.Status.Done)
}

// loadOpenItems lists a province's (code) or, with code "", the nation's
// own open incidents and alerts, with the counts st holds for them.
func (p *pages) loadOpenItems(r *http.Request, rq *req, code string, st provinceState) (openItems, error) {
	v := openItems{Region: code, IncidentsCount: st.Incidents, AlertsCount: st.Alerts}
	incF := incident.Filter{Status: openIncidentStatuses(), Region: code, National: code == "", Limit: openItemLimit}
	incs, err := incident.List(r.Context(), p.s.DB, *rq.P, incF)
	if err != nil {
		return v, err
	}
	alF := alert.Filter{Status: openStatuses, Region: code, National: code == "", Limit: openItemLimit}
	als, err := alert.List(r.Context(), p.s.DB, *rq.P, alF)
	if err != nil {
		return v, err
	}
	v.Incidents, v.Alerts = incs[:min(len(incs), openItemLimit)], als[:min(len(als), openItemLimit)]
	return v, nil
}

// byOpenSeverity orders provinces as the map colours them: the highest
// open severity first, then the most open items, then the catalogue's
// order (a stable sort).
func byOpenSeverity(a, b overviewRow) int {
	if c := cmp.Compare(alert.SeverityRank(b.Highest), alert.SeverityRank(a.Highest)); c != 0 {
		return c
	}
	return cmp.Compare(b.Open, a.Open)
}

func (p *pages) overviewPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	ctx := r.Context()
	states, national, err := p.s.overview(ctx, rq.P)
	if err != nil {
		return err
	}
	counts, err := asset.CountByProvince(ctx, p.s.DB, *rq.P)
	if err != nil {
		return err
	}
	own := ownProvince(rq.P.User.Scope)
	v := overviewView{National: counts[""], Alerts: national.Alerts, Incidents: national.Incidents}
	for _, c := range counts {
		v.Total += c
	}
	var ownRow []overviewRow
	for _, st := range states {
		row := overviewRow{provinceState: st, Own: st.Code == own}
		if row.Own { // a provincial user's own province heads the table
			ownRow = append(ownRow, row)
		} else {
			v.Rows = append(v.Rows, row)
		}
		v.Alerts += st.Alerts
		v.Incidents += st.Incidents
		if st.Assets > 0 {
			v.Provinces++
		}
	}
	slices.SortStableFunc(v.Rows, byOpenSeverity)
	v.Rows = append(ownRow, v.Rows...)
	if v.Nation, err = p.loadOpenItems(r, rq, "", national); err != nil {
		return err
	}
	mapStates := states
	if r.URL.Query().Get("lapisan") == "temuan" {
		v.Layer = "temuan"
		if mapStates, err = p.overdueFindingStates(r, rq, states); err != nil {
			return err
		}
	}
	v.Map = p.drawMap(rq, mapStates, own, "", rq.T("overview.map_label"))
	v.You = rq.T("overview.you", rq.L("role", rq.P.User.Role), rq.P.Org.Name, rq.ScopeName(rq.P.User.Scope))
	p.render(w, r, http.StatusOK, "overview.html", page{req: rq, Title: rq.T("overview.title"), Active: "nav.overview", Data: v})
	return nil
}

// assetRow is an asset with its owner's name, for tables.
type assetRow struct {
	asset.Asset
	OwnerName string
}

func assetRows(tree *org.Tree, list []asset.Asset) []assetRow {
	out := make([]assetRow, 0, len(list))
	for _, a := range list {
		out = append(out, assetRow{Asset: a, OwnerName: orgName(tree, a.Owner)})
	}
	return out
}

type provinceView struct {
	Region     region.Region
	State      provinceState
	Map        mapView
	Regencies  []region.Region
	Assets     []assetRow
	More       bool
	KPU        *org.Org
	Diskominfo *org.Org
	KPUKab     int
	Own        bool
	Open       openItems
}

// provinceAssetLimit is how many of a province's assets its page lists
// before linking to the full, filtered asset list.
const provinceAssetLimit = 25

func (p *pages) provincePage(w http.ResponseWriter, r *http.Request, rq *req) error {
	ctx := r.Context()
	code := r.PathValue("code")
	reg, ok := region.Lookup(code)
	if !ok || reg.Level != region.LevelProvince {
		return problem.New(problem.NotFound, "no province %q", code)
	}
	states, _, err := p.s.overview(ctx, rq.P)
	if err != nil {
		return err
	}
	list, err := asset.List(ctx, p.s.DB, *rq.P, asset.Filter{Region: code, Limit: provinceAssetLimit})
	if err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(ctx)
	if err != nil {
		return err
	}
	own := ownProvince(rq.P.User.Scope)
	v := provinceView{Region: reg, Regencies: region.Regencies(code), Own: own == code}
	for _, st := range states {
		if st.Code == code {
			v.State = st
		}
	}
	if len(list) > provinceAssetLimit {
		list, v.More = list[:provinceAssetLimit], true
	}
	v.Assets = assetRows(tree, list)
	if v.Open, err = p.loadOpenItems(r, rq, code, v.State); err != nil {
		return err
	}
	v.Map = p.drawMap(rq, states, own, code, rq.T("province.map_label", reg.Name))
	v.KPU, v.Diskominfo, v.KPUKab = provinceOrgs(tree, code)
	p.render(w, r, http.StatusOK, "province.html", page{req: rq, Title: reg.Name, Active: "nav.overview", Data: v})
	return nil
}

// provinceOrgs finds a province's standard organisations.
func provinceOrgs(tree *org.Tree, code string) (kpu, diskominfo *org.Org, kpuKab int) {
	if o, ok := tree.BySlug(org.KPUSlug(code)); ok {
		kpu = &o
	}
	if o, ok := tree.BySlug(org.DiskominfoSlug(code)); ok {
		diskominfo = &o
	}
	for _, o := range tree.All() {
		if o.Kind == org.KindKPU && region.Parent(o.Region) == code && region.LevelOf(o.Region) == region.LevelRegency {
			kpuKab++
		}
	}
	return kpu, diskominfo, kpuKab
}

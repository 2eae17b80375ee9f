package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/ingest/sender"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/web/shell"
)

// option is one choice of a select, radio group or checkbox list.
type option = shell.Option

// optGroup is an <optgroup>; Label "" puts the options at the top level.
type optGroup struct {
	Label   string
	Options []option
}

// orgGroups lists organisations for a select, grouped by province. keep
// says which to list.
func orgGroups(rq *req, tree *org.Tree, selected string, keep func(org.Org) bool) []optGroup {
	national := optGroup{Label: rq.T("region.national")}
	byProv := map[string]*optGroup{}
	for _, o := range tree.All() {
		if !keep(o) {
			continue
		}
		opt := option{Value: o.Slug, Label: o.Name, Selected: o.Slug == selected}
		prov := region.Province(o.Region)
		if prov == "" {
			national.Options = append(national.Options, opt)
			continue
		}
		g := byProv[prov]
		if g == nil {
			g = &optGroup{Label: regionName(prov)}
			byProv[prov] = g
		}
		g.Options = append(g.Options, opt)
	}
	var out []optGroup
	if len(national.Options) > 0 {
		out = append(out, national)
	}
	for _, prov := range region.Provinces() {
		if g := byProv[prov.Code]; g != nil {
			out = append(out, *g)
		}
	}
	return out
}

func enumOptions(rq *req, group string, values []string, selected string) []option {
	return shell.EnumOptions(rq, group, values, selected)
}

// assetListView is the data of the asset list.
type assetListView struct {
	Region, Kind, Crit, Q string
	Regions               picker
	Kinds, Crits          []option
	Assets                []assetRow
	Next, First           string // links, "" when there is none
	Error                 string
}

const assetPageSize = 50

func (p *pages) assetList(w http.ResponseWriter, r *http.Request, rq *req) error {
	ctx := r.Context()
	q := r.URL.Query()
	v := assetListView{Region: q.Get("region"), Kind: q.Get("kind"), Crit: q.Get("criticality"), Q: strings.TrimSpace(q.Get("q"))}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	v.Regions = rq.RegionPicker("f-region", "region", v.Region)
	v.Kinds = enumOptions(rq, "kind", asset.Kinds, v.Kind)
	v.Crits = enumOptions(rq, "crit", asset.Criticalities, v.Crit)
	status := http.StatusOK
	list, err := asset.List(ctx, p.s.DB, *rq.P, asset.Filter{Region: v.Region, Kind: v.Kind, Criticality: v.Crit,
		Query: v.Q, Before: before, Limit: assetPageSize})
	if pe := problem.As(err); pe != nil && pe.Code == problem.Invalid {
		status, v.Error = pe.Status(), fieldMessage(rq, pe, q).Message
	} else if err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(ctx)
	if err != nil {
		return err
	}
	keep := url.Values{}
	for k, val := range map[string]string{"region": v.Region, "kind": v.Kind, "criticality": v.Crit, "q": v.Q} {
		if val != "" {
			keep.Set(k, val)
		}
	}
	list, v.Next, v.First = pageOf(list, assetPageSize, func(a asset.Asset) int64 { return a.ID }, "/aset", keep, before)
	v.Assets = assetRows(tree, list)
	p.render(w, r, status, "assets.html", page{req: rq, Title: rq.T("assets.title"), Active: "nav.assets", Data: v})
	return nil
}

// assetView is the data of an asset's page.
type assetView struct {
	assetRow
	RegionName string
	Province   string // code, for the link to the province page
	Phases     []string
	Ingest     *ingestKeysView // nil for those who may not send the asset's logs
	CanEdit    bool            // its owner (or an organisation above it) with a role that edits assets
	Rejected   []rejectedRow   // its log lines refused since this server started

	Systems []string
	// CriticalNow is the running phase the asset matters in, in its
	// region's zone ("" none): its alerts rise in priority, its scans
	// follow the phase's posture.
	CriticalNow, CriticalPosture, ScanEvery string
}

// ingestKeysView is the asset page's section of log senders: the asset's
// ingest keys, the form for a new one, and a new key shown this once.
type ingestKeysView struct {
	AssetID  int64
	Keys     []sender.Key
	Form     bouncerForm
	NewKey   string // the key just made: the store keeps only its hash
	NewName  string
	Endpoint string // where a sender posts the asset's logs
}

// rejectedRow is how many of an asset's log lines one format refused for
// one reason.
type rejectedRow struct {
	Format, Reason, Code string
	Lines                int64
}

// rejectedRows reads an asset's refused lines from the ingest counter.
func (p *pages) rejectedRows(rq *req, id int64) []rejectedRow {
	var rows []rejectedRow
	for _, sm := range p.s.rejectedLines.Samples(strconv.FormatInt(id, 10)) {
		code := sm.LabelValues[2]
		rows = append(rows, rejectedRow{Format: sm.LabelValues[1], Code: code, Reason: rq.L("reject", code), Lines: int64(sm.Value)})
	}
	return rows
}

func (p *pages) assetDetail(w http.ResponseWriter, r *http.Request, rq *req) error {
	flash := ""
	if r.URL.Query().Get("disimpan") == "1" {
		flash = "asset.created_ok"
	} else if r.URL.Query().Get("kunci_dicabut") != "" {
		flash = "ingest.key_revoked"
	}
	return p.renderAsset(w, r, rq, http.StatusOK, ingestKeysView{}, flash)
}

// renderAsset shows an asset's page; keys carries what a sender form
// just did (a new key, an error), and flash names the message to show.
func (p *pages) renderAsset(w http.ResponseWriter, r *http.Request, rq *req, status int, keys ingestKeysView, flash string) error {
	ctx := r.Context()
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	a, err := asset.Get(ctx, p.s.DB, *rq.P, id)
	if err != nil {
		return err // not found for ids the person may not read: never 403
	}
	tree, err := p.s.Orgs.Tree(ctx)
	if err != nil {
		return err
	}
	v := assetView{assetRow: assetRows(tree, []asset.Asset{a})[0], RegionName: rq.ScopeName(a.Region), Province: region.Province(a.Region),
		Rejected: p.rejectedRows(rq, a.ID)}
	if err := asset.CheckEdit(ctx, p.s.DB, *rq.P, a); err == nil {
		v.CanEdit = true
	} else if !problem.Is(err, problem.Forbidden) {
		return err
	}
	for _, ph := range a.Phases {
		v.Phases = append(v.Phases, rq.L("phase", ph))
	}
	v.Systems = a.Systems
	cal, err := calendar.Load(ctx, p.s.DB)
	if err != nil {
		return err
	}
	if ph, _, ok := cal.Critical(store.Now(), calendar.ZoneOf(a.Region), a.Name, a.Tags()); ok {
		v.CriticalNow, v.CriticalPosture, v.ScanEvery = ph.Name, string(ph.Posture), calendar.RuleOf(ph.Posture).ScanHint
	}
	if sender.Authorize(*rq.P, a) == nil {
		if keys.Keys, err = sender.ListKeys(ctx, p.s.DB, *rq.P, a); err != nil {
			return err
		}
		scheme := "http"
		if p.s.TLS || r.TLS != nil {
			scheme = "https"
		}
		keys.AssetID = a.ID
		keys.Endpoint = fmt.Sprintf("%s://%s/api/v1/ingest/%d", scheme, r.Host, a.ID)
		if keys.Form.fields == nil {
			keys.Form.fields = []string{"name"}
		}
		v.Ingest = &keys
	}
	switch flash {
	case "asset.created_ok":
		flash = rq.T(flash, a.Name)
	case "ingest.key_added":
		flash = rq.T(flash, keys.NewName)
	case "ingest.key_revoked":
		flash = rq.T(flash, r.URL.Query().Get("kunci_dicabut"))
	}
	p.render(w, r, status, "asset.html", page{req: rq, Title: a.Name, Active: "nav.assets", Flash: flash, Data: v})
	return nil
}

// ingestKeyAdd registers a sender of the asset's logs and shows its key in
// this response only.
func (p *pages) ingestKeyAdd(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	a, err := asset.Get(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	key, k, err := sender.CreateKey(r.Context(), p.s.DB, *rq.P, a, name)
	if pe, ok := formFailed(err); ok {
		f := bouncerForm{fieldForm: fieldForm{Err: fieldMessage(rq, pe, r.PostForm), fields: []string{"name"}}, Name: name}
		return p.renderAsset(w, r, rq, pe.Status(), ingestKeysView{Form: f}, "")
	} else if err != nil {
		return err
	}
	return p.renderAsset(w, r, rq, http.StatusOK, ingestKeysView{NewKey: key, NewName: k.Name}, "ingest.key_added")
}

func (p *pages) ingestKeyRevoke(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	a, err := asset.Get(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return err
	}
	keyID, err := strconv.ParseInt(r.PathValue("key"), 10, 64)
	if err != nil || keyID <= 0 {
		return problem.New(problem.NotFound, "no ingest key %q", r.PathValue("key"))
	}
	if err := sender.RevokeKey(r.Context(), p.s.DB, *rq.P, a, keyID); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/aset/%d?kunci_dicabut=%d", a.ID, keyID), http.StatusSeeOther)
	return nil
}

// assetForm is the create/edit form: what was typed, as typed, and the
// error to show next to its field.
type assetForm struct {
	fieldForm
	ID                                 int64 // 0 for a new asset
	Name, Description, URLs, Hostnames string
	Systems                            string   // comma-separated, as typed
	KnownSystems                       []string // the systems the calendar names, offered as the field's suggestions
	Kinds, Crits, Phases, TLPs         []option
	Regions                            picker
	Owners                             []optGroup
}

// assetFields are the fields the form shows; an error about any other is
// shown above the form.
var assetFields = []string{"name", "kind", "description", "urls", "hostnames", "owner", "region", "criticality", "phases", "systems", "tlp"}

// formValues is what an asset form holds, as strings.
type formValues struct {
	Name, Kind, Description, URLs, Hostnames, Owner, Region, Crit, TLP string
	Phases                                                             []string
	Systems                                                            string
}

func valuesOf(a asset.Asset) formValues {
	return formValues{Name: a.Name, Kind: a.Kind, Description: a.Description, URLs: strings.Join(a.URLs, "\n"),
		Hostnames: strings.Join(a.Hostnames, "\n"), Owner: a.Owner, Region: a.Region, Crit: a.Criticality,
		TLP: string(a.TLP), Phases: a.Phases, Systems: strings.Join(a.Systems, ", ")}
}

func postedValues(r *http.Request) formValues {
	f := r.PostForm
	return formValues{Name: f.Get("name"), Kind: f.Get("kind"), Description: f.Get("description"), URLs: f.Get("urls"),
		Hostnames: f.Get("hostnames"), Owner: f.Get("owner"), Region: f.Get("region"), Crit: f.Get("criticality"),
		TLP: f.Get("tlp"), Phases: f["phases"], Systems: f.Get("systems")}
}

// lines splits a textarea into its non-empty trimmed lines.
func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// input turns the form into the domain's input. The owner is sent only
// when it changed: editing a record of an organisation outside one's own
// lineage (a GREEN asset, say) must not fail on an owner nobody touched.
func (v formValues) input(current *asset.Asset) asset.Input {
	urls, hosts, phases := lines(v.URLs), lines(v.Hostnames), v.Phases
	if phases == nil {
		phases = []string{}
	}
	systems := []string{}
	for _, s := range strings.Split(v.Systems, ",") {
		if s = strings.TrimSpace(s); s != "" {
			systems = append(systems, s)
		}
	}
	in := asset.Input{Name: &v.Name, Kind: &v.Kind, Description: &v.Description, URLs: &urls, Hostnames: &hosts,
		Region: &v.Region, Criticality: &v.Crit, Phases: &phases, Systems: &systems, TLP: &v.TLP}
	if current == nil || v.Owner != current.Owner {
		in.Owner = &v.Owner
	}
	return in
}

func (p *pages) assetFormView(rq *req, tree *org.Tree, id int64, v formValues, current *asset.Asset, err *problem.Error) assetForm {
	if err != nil && err.Code == problem.Conflict && err.Field == "hostnames" {
		// The API's message is English; the page says it in Bahasa.
		err = &problem.Error{Code: err.Code, Field: err.Field, Message: rq.T("ingest.host_taken")}
	}
	if err != nil && err.Field == "systems" { // the domain's message is English
		err = &problem.Error{Code: err.Code, Field: err.Field, Message: rq.T("asset.systems_invalid")}
	}
	f := assetForm{fieldForm: fieldForm{Err: err, fields: assetFields}, ID: id, Name: v.Name, Description: v.Description, URLs: v.URLs, Hostnames: v.Hostnames, Systems: v.Systems}
	f.KnownSystems = knownSystems()
	f.Kinds = enumOptions(rq, "kind", asset.Kinds, v.Kind)
	f.Crits = enumOptions(rq, "crit", asset.Criticalities, v.Crit)
	for _, ph := range asset.Phases {
		f.Phases = append(f.Phases, option{Value: ph, Label: rq.L("phase", ph), Selected: slices.Contains(v.Phases, ph)})
	}
	for _, t := range policy.TLPs() {
		f.TLPs = append(f.TLPs, option{Value: string(t), Label: rq.L("tlp", string(t)), Selected: string(t) == v.TLP, Class: tlpClass(t)})
	}
	f.Regions = rq.RegionPicker("region", "region", v.Region)
	lineage := rq.P.Viewer.Lineage
	f.Owners = orgGroups(rq, tree, v.Owner, func(o org.Org) bool {
		return slices.Contains(lineage, o.ID) || (current != nil && o.Slug == current.Owner)
	})
	return f
}

func (p *pages) assetNew(w http.ResponseWriter, r *http.Request, rq *req) error {
	if !rq.P.Can(policy.CreateAsset) {
		return problem.New(problem.Forbidden, "your role may not add assets")
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	v := formValues{Kind: asset.Kinds[0], Owner: rq.P.Org.Slug, Region: rq.P.User.Scope, Crit: "medium", TLP: string(policy.Amber)}
	p.renderAssetForm(w, r, rq, http.StatusOK, p.assetFormView(rq, tree, 0, v, nil, nil))
	return nil
}

func (p *pages) renderAssetForm(w http.ResponseWriter, r *http.Request, rq *req, status int, f assetForm) {
	title := rq.T("form.new_asset")
	if f.ID != 0 {
		title = rq.T("form.edit_asset")
	}
	p.render(w, r, status, "asset_form.html", page{req: rq, Title: title, Active: "nav.assets", Data: f})
}

// formFailed re-renders a form for errors a person can fix (validation,
// conflict) and reports every other error to the caller.
func formFailed(err error) (*problem.Error, bool) { return shell.FormFailed(err) }

func (p *pages) assetCreate(w http.ResponseWriter, r *http.Request, rq *req) error {
	ctx := r.Context()
	if !rq.P.Can(policy.CreateAsset) {
		return problem.New(problem.Forbidden, "your role may not add assets")
	}
	tree, err := p.s.Orgs.Tree(ctx)
	if err != nil {
		return err
	}
	v := postedValues(r)
	a, err := asset.Create(ctx, p.s.DB, *rq.P, tree, v.input(nil))
	if pe, ok := formFailed(err); ok {
		p.renderAssetForm(w, r, rq, pe.Status(), p.assetFormView(rq, tree, 0, v, nil, fieldMessage(rq, pe, r.PostForm)))
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/aset/%d?disimpan=1", a.ID), http.StatusSeeOther)
	return nil
}

// editable reads an asset for its edit form: not found when unreadable,
// forbidden when readable but the role may not change assets.
func (p *pages) editable(r *http.Request, who *auth.Principal) (asset.Asset, error) {
	id, err := pathID(r, "asset")
	if err != nil {
		return asset.Asset{}, err
	}
	a, err := asset.Get(r.Context(), p.s.DB, *who, id)
	if err != nil {
		return asset.Asset{}, err
	}
	return a, asset.CheckEdit(r.Context(), p.s.DB, *who, a)
}

func (p *pages) assetEdit(w http.ResponseWriter, r *http.Request, rq *req) error {
	a, err := p.editable(r, rq.P)
	if err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	p.renderAssetForm(w, r, rq, http.StatusOK, p.assetFormView(rq, tree, a.ID, valuesOf(a), &a, nil))
	return nil
}

func (p *pages) assetUpdate(w http.ResponseWriter, r *http.Request, rq *req) error {
	ctx := r.Context()
	a, err := p.editable(r, rq.P)
	if err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(ctx)
	if err != nil {
		return err
	}
	v := postedValues(r)
	_, err = asset.Update(ctx, p.s.DB, *rq.P, tree, a.ID, v.input(&a))
	if pe, ok := formFailed(err); ok {
		p.renderAssetForm(w, r, rq, pe.Status(), p.assetFormView(rq, tree, a.ID, v, &a, fieldMessage(rq, pe, r.PostForm)))
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/aset/%d?disimpan=1", a.ID), http.StatusSeeOther)
	return nil
}

// knownSystems are the entries of the shipped calendar's critical lists
// that are not phase tags: the election systems (Sirekap, Sipol, ...).
func knownSystems() []string {
	var out []string
	for _, ph := range calendar.Shipped().Phases() {
		for _, c := range ph.Critical {
			if !slices.Contains(asset.Phases, c) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
)

// The administration pages are not records with ids, so a person without
// the permission gets 403, not 404.
func require(rq *req, a policy.Action) error {
	if !rq.P.Can(a) {
		return problem.New(problem.Forbidden, "your role may not %s", a)
	}
	return nil
}

// fieldForm carries the error of a posted form for its template.
type fieldForm struct {
	Err    *problem.Error
	fields []string
}

// E is the error message for a field, "" when it has none.
func (f fieldForm) E(field string) string {
	if f.Err != nil && f.Err.Field == field {
		return f.Err.Message
	}
	return ""
}

// Banner is the error message that belongs to no field of the form.
func (f fieldForm) Banner() string {
	if f.Err == nil || slices.Contains(f.fields, f.Err.Field) {
		return ""
	}
	return f.Err.Message
}

// ---- Organisations

// provinceOrgRow is one province in the organisation tree.
type provinceOrgRow struct {
	Region     region.Region
	KPU        *org.Org
	Diskominfo *org.Org
	Regencies  []org.Org // KPU Kabupaten/Kota
	Others     []org.Org
}

type orgsView struct {
	Total     int
	National  []nationalOrg
	Provinces []provinceOrgRow
	Form      orgForm
}

type nationalOrg struct {
	org.Org
	ParentName string
	Children   int
}

type orgForm struct {
	fieldForm
	Slug, Name string
	Kinds      []option
	Parents    []optGroup
	Regions    picker
	NoParent   bool
}

func (p *pages) orgsPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	if err := require(rq, policy.ManageOrgs); err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	flash := ""
	if slug := r.URL.Query().Get("dibuat"); slug != "" {
		if o, ok := tree.BySlug(slug); ok {
			flash = rq.T("orgs.created", o.Name)
		}
	}
	f := p.orgFormView(rq, tree, org.New{Kind: org.KindOther, Region: rq.P.User.Scope}, nil)
	p.renderOrgs(w, r, rq, http.StatusOK, tree, f, flash)
	return nil
}

func (p *pages) renderOrgs(w http.ResponseWriter, r *http.Request, rq *req, status int, tree *org.Tree, f orgForm, flash string) {
	v := orgsView{Form: f}
	all := tree.All()
	scope := rq.P.User.Scope
	children := map[int64]int{}
	for _, o := range all {
		children[o.ParentID]++
	}
	rows := map[string]*provinceOrgRow{}
	for _, prov := range region.Provinces() {
		if region.Contains(scope, prov.Code) || region.Contains(prov.Code, scope) {
			rows[prov.Code] = &provinceOrgRow{Region: prov}
		}
	}
	for _, o := range all {
		if o.Region == "" {
			no := nationalOrg{Org: o, Children: children[o.ID]}
			if par, ok := tree.ByID(o.ParentID); ok {
				no.ParentName = par.Name
			}
			v.National = append(v.National, no)
			v.Total++
			continue
		}
		row := rows[region.Province(o.Region)]
		if row == nil {
			continue
		}
		v.Total++
		switch {
		case o.Slug == org.KPUSlug(row.Region.Code):
			row.KPU = &o
		case o.Slug == org.DiskominfoSlug(row.Region.Code):
			row.Diskominfo = &o
		case o.Kind == org.KindKPU && region.LevelOf(o.Region) == region.LevelRegency:
			row.Regencies = append(row.Regencies, o)
		default:
			row.Others = append(row.Others, o)
		}
	}
	for _, prov := range region.Provinces() {
		if row := rows[prov.Code]; row != nil {
			v.Provinces = append(v.Provinces, *row)
		}
	}
	p.render(w, r, status, "orgs.html", page{req: rq, Title: rq.T("orgs.title"), Active: "nav.orgs", Flash: flash, Data: v})
}

func (p *pages) orgFormView(rq *req, tree *org.Tree, n org.New, err *problem.Error) orgForm {
	scope := rq.P.User.Scope
	f := orgForm{fieldForm: fieldForm{Err: err, fields: []string{"slug", "name", "kind", "parent", "region"}},
		Slug: n.Slug, Name: n.Name, NoParent: n.Parent == ""}
	f.Kinds = enumOptions(rq, "orgkind", []string{org.KindKPU, org.KindAgency, org.KindDiskominfo, org.KindOther}, n.Kind)
	f.Parents = orgGroups(rq, tree, n.Parent, func(o org.Org) bool { return region.Contains(scope, o.Region) })
	f.Regions = rq.RegionPicker("org-region", "region", n.Region)
	return f
}

func (p *pages) orgCreate(w http.ResponseWriter, r *http.Request, rq *req) error {
	if err := require(rq, policy.ManageOrgs); err != nil {
		return err
	}
	ctx := r.Context()
	fv := r.PostForm
	n := org.New{Slug: strings.TrimSpace(fv.Get("slug")), Name: strings.TrimSpace(fv.Get("name")), Kind: fv.Get("kind"),
		Parent: fv.Get("parent"), Region: fv.Get("region")}
	o, err := org.Create(ctx, p.s.DB, rq.P.Actor(), rq.P.User.Scope, n)
	if pe, ok := formFailed(err); ok {
		tree, terr := p.s.Orgs.Tree(ctx)
		if terr != nil {
			return terr
		}
		p.renderOrgs(w, r, rq, pe.Status(), tree, p.orgFormView(rq, tree, n, fieldMessage(rq, pe, fv)), "")
		return nil
	} else if err != nil {
		return err
	}
	p.s.Orgs.Invalidate()
	http.Redirect(w, r, "/admin/organisasi?dibuat="+url.QueryEscape(o.Slug), http.StatusSeeOther)
	return nil
}

// ---- Users

type userRow struct {
	auth.User
	OrgName string
	Self    bool
}

type usersView struct {
	Scope string
	Users []userRow
	Next  string
	Form  userForm
}

type userForm struct {
	fieldForm
	Username, DisplayName, Email string
	Orgs                         []optGroup
	Roles                        []option
	Scopes                       picker
	MinPassword                  int
}

const userPageSize = 100

func (p *pages) usersPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	if err := require(rq, policy.ManageUsers); err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	flash := ""
	if name := q.Get("dibuat"); name != "" {
		if u, ok := p.userInScope(r, rq, name); ok {
			flash = rq.T("users.created", u.Username)
		}
	} else if name := q.Get("nonaktif"); name != "" {
		if u, ok := p.userInScope(r, rq, name); ok && u.Disabled {
			flash = rq.T("users.disabled_ok", u.Username)
		}
	}
	f := p.userFormView(rq, tree, auth.NewUser{Org: rq.P.Org.Slug, Role: string(policy.RoleViewer), Scope: rq.P.User.Scope}, nil)
	return p.renderUsers(w, r, rq, http.StatusOK, tree, f, flash)
}

// userInScope reads an account the admin may manage.
func (p *pages) userInScope(r *http.Request, rq *req, username string) (auth.User, bool) {
	u, err := auth.UserByName(r.Context(), p.s.DB, username)
	if err != nil || !region.Contains(rq.P.User.Scope, u.Scope) {
		return auth.User{}, false
	}
	return u, true
}

func (p *pages) renderUsers(w http.ResponseWriter, r *http.Request, rq *req, status int, tree *org.Tree, f userForm, flash string) error {
	after := r.URL.Query().Get("setelah")
	users, err := auth.ListUsers(r.Context(), p.s.DB, rq.P.User.Scope, after, userPageSize+1)
	if err != nil {
		return err
	}
	v := usersView{Scope: rq.ScopeName(rq.P.User.Scope), Form: f}
	if len(users) > userPageSize {
		users = users[:userPageSize]
		v.Next = "/admin/pengguna?setelah=" + url.QueryEscape(users[len(users)-1].Username)
	}
	for _, u := range users {
		row := userRow{User: u, OrgName: u.Org, Self: u.ID == rq.P.User.ID}
		if o, ok := tree.ByID(u.OrgID); ok {
			row.OrgName = o.Name
		}
		v.Users = append(v.Users, row)
	}
	p.render(w, r, status, "users.html", page{req: rq, Title: rq.T("users.title"), Active: "nav.users", Flash: flash, Data: v})
	return nil
}

func (p *pages) userFormView(rq *req, tree *org.Tree, n auth.NewUser, err *problem.Error) userForm {
	scope := rq.P.User.Scope
	f := userForm{fieldForm: fieldForm{Err: err, fields: []string{"username", "display_name", "email", "org", "role", "scope", "password"}},
		Username: n.Username, DisplayName: n.DisplayName, Email: n.Email, MinPassword: auth.MinPasswordLength}
	f.Orgs = orgGroups(rq, tree, n.Org, func(o org.Org) bool { return region.Contains(scope, o.Region) })
	var roles []string
	for _, r := range policy.Roles() {
		roles = append(roles, string(r))
	}
	f.Roles = enumOptions(rq, "role", roles, n.Role)
	f.Scopes = rq.RegionPicker("u-scope", "scope", n.Scope)
	return f
}

func (p *pages) userCreate(w http.ResponseWriter, r *http.Request, rq *req) error {
	ctx := r.Context()
	fv := r.PostForm
	n := auth.NewUser{Username: strings.TrimSpace(fv.Get("username")), DisplayName: strings.TrimSpace(fv.Get("display_name")),
		Email: strings.TrimSpace(fv.Get("email")), Org: fv.Get("org"), Role: fv.Get("role"), Scope: fv.Get("scope"),
		Password: fv.Get("password")}
	u, err := auth.CreateUserAs(ctx, p.s.DB, *rq.P, n)
	if pe, ok := formFailed(err); ok {
		if weak := (*auth.WeakPasswordError)(nil); errors.As(err, &weak) {
			var args []any
			if weak.Rule == auth.RuleTooShort {
				args = append(args, auth.MinPasswordLength)
			}
			pe = &problem.Error{Code: pe.Code, Field: pe.Field, Message: rq.T("password.weak."+weak.Rule, args...)}
		}
		tree, terr := p.s.Orgs.Tree(ctx)
		if terr != nil {
			return terr
		}
		return p.renderUsers(w, r, rq, pe.Status(), tree, p.userFormView(rq, tree, n, fieldMessage(rq, pe, fv)), "")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/pengguna?dibuat="+url.QueryEscape(u.Username), http.StatusSeeOther)
	return nil
}

func (p *pages) userDisable(w http.ResponseWriter, r *http.Request, rq *req) error {
	name := r.PathValue("username")
	if err := auth.DisableUserAs(r.Context(), p.s.DB, *rq.P, name); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/pengguna?nonaktif="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}

// ---- Audit

type auditView struct {
	Checked     int64
	Broken      *audit.BrokenError
	VerifyError bool
	Entries     []audit.Entry
	Kind        string
	RecordID    string
	Actor       string
	Next, First string
}

const auditPageSize = 50

func (p *pages) auditPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	if err := require(rq, policy.ViewAudit); err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	v := auditView{Kind: strings.TrimSpace(q.Get("kind")), RecordID: strings.TrimSpace(q.Get("record_id")), Actor: strings.TrimSpace(q.Get("actor"))}
	n, err := audit.Verify(ctx, p.s.DB)
	v.Checked = n
	if err != nil && !errors.As(err, &v.Broken) {
		p.s.Log.ErrorContext(ctx, "verify audit chain", "err", err)
		v.VerifyError = true
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	entries, err := audit.ListFor(ctx, p.s.DB, rq.P.Viewer, audit.Filter{Kind: v.Kind, RecordID: v.RecordID, Actor: v.Actor, Before: before, Limit: auditPageSize + 1})
	if err != nil {
		return err
	}
	keep := url.Values{}
	for k, val := range map[string]string{"kind": v.Kind, "record_id": v.RecordID, "actor": v.Actor} {
		if val != "" {
			keep.Set(k, val)
		}
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		next := url.Values{}
		for k, vs := range keep {
			next[k] = vs
		}
		next.Set("before", strconv.FormatInt(entries[len(entries)-1].Seq, 10))
		v.Next = "/admin/audit?" + next.Encode()
	}
	if before > 0 {
		v.First = "/admin/audit"
		if len(keep) > 0 {
			v.First += "?" + keep.Encode()
		}
	}
	v.Entries = entries
	p.render(w, r, http.StatusOK, "audit.html", page{req: rq, Title: rq.T("audit.title"), Active: "nav.audit", Data: v})
	return nil
}

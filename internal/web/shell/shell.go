// Package shell is the seam between package web (the shell: server,
// sessions, layout, navigation, streams) and the pillars' pages packages
// under internal/web/<pillar>. A pillar package imports shell, never web;
// web imports the pillars and mounts each once (web/pillars.go), giving it
// a Shell to register its routes on and render its own templates with the
// shared layout and partials.
//
// The shell decides who is signed in, checks CSRF tokens, renders error
// pages and answers API errors in the problem shape; a pillar only
// answers its requests. This package must never hold state of its own,
// nor know any pillar.
package shell

import (
	"io/fs"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
)

// Access says who may call an API route.
type Access int

const (
	Public   Access = iota // anyone
	SignedIn               // a bearer token, or a browser session whose writes carry its CSRF token
)

// PageHandler answers a signed-in page request; a returned error becomes
// the shell's error page (a problem.Error with its status, anything else
// a logged 500).
type PageHandler func(w http.ResponseWriter, r *http.Request, rq Request) error

// APIHandler answers an API request; a returned error is answered as JSON
// in the problem shape. p is nil on a Public route.
type APIHandler func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error

// Request is a signed-in page request as the shell resolved it: who asks,
// in which language, and the words for them.
type Request interface {
	// Principal is the signed-in person.
	Principal() *auth.Principal
	// T translates a message key (the shared catalogue, package locale),
	// formatting args into it.
	T(key string, args ...any) string
	// L labels a domain value (group.value), falling back to the value.
	L(group, value string) string
	// ProblemText is a refusal in the reader's language: the problem's
	// message key when it has one, a generic sentence otherwise.
	ProblemText(pe *problem.Error) string
	// RegionPicker is a filter field that searches the regions.
	RegionPicker(id, name, value string) Picker
	// ScopeName names a region code for people: "Nasional", "Jawa Barat".
	ScopeName(code string) string
}

// View is what a pillar's page shows inside the layout: templates read
// .Title, .Flash and .Data beside the shell's own (.T, .L, .CSRF, .With,
// the navigation ...).
type View struct {
	Title  string // in the page's language
	Active string // the navigation key to mark as current
	Flash  string // a one-line confirmation after a change
	Data   any
}

// Shell is what package web gives a pillar when it mounts it.
type Shell interface {
	// Templates parses the pillar's templates: fsys's templates/parts.html
	// (the pillar's own partials, optional) and every other
	// templates/*.html as a page, each on the shared layout and partials.
	// Call it once, before Render.
	Templates(fsys fs.FS) error
	// Page registers a page that needs a session; writes must carry the
	// session's CSRF token (checked before h runs) and their form is parsed.
	Page(pattern string, h PageHandler)
	// Upload registers a form that sends a file (multipart/form-data,
	// its "csrf" field first, checked before h runs); h reads the rest
	// with UploadOf, streamed, never held whole.
	Upload(pattern string, h PageHandler)
	// UploadOf is the rest of an Upload form.
	UploadOf(r *http.Request) (*multipart.Reader, error)
	// Public registers a page anyone may open without an account (the
	// public report form): rq has no Principal; a write must carry the
	// visitor's pre-session token as "csrf" (checked, the form parsed,
	// before h runs), as the sign-in form does.
	Public(pattern string, h PageHandler)
	// Part executes one named template of a pillar's page (a row the
	// page's script fetches) without the layout.
	Part(w http.ResponseWriter, rq Request, file, name string, data any) error
	// Changes streams the changes of kind to an API request as server-sent
	// events (package live: the shell's one stream), each id's data as
	// render gives it; render says false for an id p may not see.
	Changes(w http.ResponseWriter, r *http.Request, p *auth.Principal, kind string, render func(id int64) ([]byte, bool)) error
	// API registers a JSON endpoint (pattern "METHOD /api/v1/..."); it must
	// be in openapi.json.
	API(pattern string, a Access, h APIHandler)
	// Render executes one of the pillar's pages (its file name under
	// templates/) with the layout, answering status.
	Render(w http.ResponseWriter, r *http.Request, rq Request, status int, file string, v View)
	// Authenticate checks an API request's token or session again: a long
	// stream's heartbeat ends when it was revoked.
	Authenticate(w http.ResponseWriter, r *http.Request) (*auth.Principal, error)
}

// Option is one choice of a select (the partials "options",
// "filter-select").
type Option struct {
	Value, Label string
	Selected     bool
	Class        string
}

// Picker is a text field that offers matches as one types: the partial
// "picker" renders it with a <datalist>, which garda.js fills from Source
// (a JSON list's items: ValueField is what the field takes, LabelField
// what people read). Without the script it is a plain field that takes a
// region code, username, organisation slug or incident id as typed. Multi
// takes several, separated by commas.
type Picker struct {
	ID, Name, Value        string
	Source                 string // the search endpoint; the script adds q
	ValueField, LabelField string
	Placeholder            string
	Multi, Required        bool
	Options                []Option // the current value, named
}

// PathID reads the {id} path value as a record id; anything else is "no
// such <what>" (404), as an unknown id is.
func PathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.New(problem.NotFound, "no %s %q", what, r.PathValue("id"))
	}
	return id, nil
}

// ClientAddr is the request's remote address without its port (for the
// audit chain and sign-in throttling).
func ClientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndex(host, ":"); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// FormFailed says whether an error is a form's to show beside it (invalid
// input or a conflict) rather than an error page.
func FormFailed(err error) (*problem.Error, bool) {
	pe := problem.As(err)
	if pe != nil && (pe.Code == problem.Invalid || pe.Code == problem.Conflict) {
		return pe, true
	}
	return nil, false
}

// FormatWIB shows a time in WIB (region.WIB says why a fixed zone), "—"
// for none.
func FormatWIB(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(region.WIB).Format(region.WIBLayout)
}

// PageURL is the request's URL with one query value set ("" removes it):
// a pager's links keep the page's filters.
func PageURL(r *http.Request, key, value string) string {
	q := url.Values{}
	for k, vs := range r.URL.Query() {
		q[k] = vs
	}
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

// FieldForm carries a posted form's error for its template (the partials
// "field", "form-banner"): Fields are the form's fields, whose errors are
// said beside them; any other is the form's banner.
type FieldForm struct {
	Err    *problem.Error
	Fields []string
}

// E is the error message for a field, "" when it has none.
func (f FieldForm) E(field string) string {
	if f.Err != nil && f.Err.Field == field {
		return f.Err.Message
	}
	return ""
}

// Banner is the error message that belongs to no field of the form.
func (f FieldForm) Banner() string {
	if f.Err == nil || slices.Contains(f.Fields, f.Err.Field) {
		return ""
	}
	return f.Err.Message
}

// FieldMessage is a form error for people: the domain's message, except
// for a required field left empty or a region field naming no region,
// said in the page's language. values is nil when the form was streamed
// (an upload): nothing to judge by.
func FieldMessage(rq Request, pe *problem.Error, values url.Values) *problem.Error {
	if pe == nil || pe.Field == "" || values == nil {
		return pe
	}
	out := *pe
	switch v := strings.TrimSpace(values.Get(pe.Field)); {
	case v == "":
		out.Message = rq.T("form.field_required")
	case (pe.Field == "region" || pe.Field == "scope") && !region.Valid(v):
		out.Message = rq.T("picker.region_unknown", v)
	default:
		return pe
	}
	return &out
}

// EnumOptions are a domain's values to choose from, labelled (group).
func EnumOptions(rq Request, group string, values []string, selected string) []Option {
	out := make([]Option, 0, len(values))
	for _, v := range values {
		out = append(out, Option{Value: v, Label: rq.L(group, v), Selected: v == selected})
	}
	return out
}

// TLPOptions are the TLP labels to choose from, each in its colour.
func TLPOptions(rq Request, selected string) []Option {
	var out []Option
	for _, t := range policy.TLPs() {
		out = append(out, Option{Value: string(t), Label: string(t) + " · " + rq.L("tlp", string(t)), Selected: string(t) == selected,
			Class: TLPClass(t)})
	}
	return out
}

// TLPClass is the badge class of a TLP label: "tlp tlp-amber-strict".
func TLPClass(t policy.TLP) string {
	return "tlp tlp-" + strings.ReplaceAll(strings.ToLower(string(t)), "+", "-")
}

// PageOf cuts a list read with one row more than size to a page, and
// gives the links to the next page (when there is more) and back to the
// first (when this is not it), keeping the page's filters: the partial
// "pager" reads them as .Data.Next and .Data.First.
func PageOf[T any](list []T, size int, id func(T) int64, path string, keep url.Values, before int64) (page []T, next, first string) {
	if len(list) > size {
		list = list[:size]
		q := maps.Clone(keep)
		if q == nil {
			q = url.Values{}
		}
		q.Set("before", strconv.FormatInt(id(list[len(list)-1]), 10))
		next = path + "?" + q.Encode()
	}
	if before > 0 {
		first = path
		if len(keep) > 0 {
			first += "?" + keep.Encode()
		}
	}
	return list, next, first
}

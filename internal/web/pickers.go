package web

import (
	"net/url"
	"strings"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/web/shell"
)

// picker is a text field that offers matches as one types: the partial
// "picker" (parts.html) renders it with a <datalist>, which garda.js
// fills from Source (a JSON list's items: ValueField is what the field
// takes, LabelField what people read). Without the script it is a plain
// field that takes a region code, username, organisation slug or incident
// id as typed. Multi takes several, separated by commas. Templates make
// them with the req methods below.
type picker = shell.Picker

// RegionPicker searches the regions by name or code.
func (rq *req) RegionPicker(id, name, value string) picker {
	p := picker{ID: id, Name: name, Value: value, Source: "/api/v1/regions", ValueField: "Code", LabelField: "Name",
		Placeholder: rq.T("picker.region")}
	if value != "" {
		p.Options = []option{{Value: value, Label: rq.ScopeName(value)}}
	}
	return p
}

// IncidentPicker searches the open incidents the reader may read by id or title.
func (rq *req) IncidentPicker(id, name, value string) picker {
	open := url.Values{"limit": {"20"}}
	var statuses []string
	for _, st := range incident.Statuses {
		if !st.Done() {
			statuses = append(statuses, string(st))
		}
	}
	open.Set("status", strings.Join(statuses, ","))
	return picker{ID: id, Name: name, Value: value, Source: "/api/v1/incidents?" + open.Encode(), ValueField: "human_id", LabelField: "title",
		Placeholder: rq.T("picker.incident")}
}

// UserPicker searches the people the reader may name.
func (rq *req) UserPicker(id, name, value string) picker {
	return picker{ID: id, Name: name, Value: value, Source: "/api/v1/users/search", ValueField: "username", LabelField: "display_name",
		Placeholder: rq.T("picker.user")}
}

// OrgPicker searches the organisations by slug or name; multi takes a list.
func (rq *req) OrgPicker(id, name, value string, multi bool) picker {
	return picker{ID: id, Name: name, Value: value, Source: "/api/v1/orgs", ValueField: "slug", LabelField: "name",
		Placeholder: rq.T("picker.org"), Multi: multi}
}

package sigma

import "github.com/garda-id/garda/internal/event"

// FieldMap maps Sigma field names to event fields. A name mapped to several
// fields is satisfied when any of them satisfies the condition (pySigma's
// one-to-many mapping). Names are looked up exactly first, then
// case-insensitively.
type FieldMap map[string][]event.Field

// WebFieldMap maps the W3C extended log field names used by SigmaHQ's
// webserver and proxy rules, and the ECS names of every event field, to
// event fields.
//
// cs-uri-query and c-uri-query map to the query and to the whole request
// target: SigmaHQ's webserver rules use cs-uri-query for paths as well
// ("/ecp/default.aspx", "?search="), which only the whole target holds,
// while "cs-uri-query: null" and "|startswith: cmd=" mean the query alone.
// cs-uri-stem is the path, cs-uri and c-uri the whole target, cs-host the
// Host header (or virtual host), r-dns the requested host name.
//
// Not mapped, because no event field holds them: cs-cookie,
// cs-content-type, dst_ip (the server itself for a web server log),
// cs-bytes. Conditions on them see an empty value.
var WebFieldMap = func() FieldMap {
	m := FieldMap{
		"c-uri":            {event.URLOriginal},
		"cs-uri":           {event.URLOriginal},
		"c-uri-query":      {event.URLQuery, event.URLOriginal},
		"cs-uri-query":     {event.URLQuery, event.URLOriginal},
		"c-uri-stem":       {event.URLPath},
		"cs-uri-stem":      {event.URLPath},
		"c-uri-extension":  {event.URLExtension},
		"cs-uri-extension": {event.URLExtension},
		"cs-method":        {event.HTTPMethod},
		"sc-status":        {event.StatusCode},
		"c-useragent":      {event.UserAgent},
		"cs-user-agent":    {event.UserAgent},
		"cs(user-agent)":   {event.UserAgent},
		"cs-host":          {event.URLDomain},
		"cs(host)":         {event.URLDomain},
		"r-dns":            {event.URLDomain},
		"cs-referer":       {event.Referrer},
		"cs-referrer":      {event.Referrer},
		"cs(referer)":      {event.Referrer},
		"c-ip":             {event.SourceIP},
		"cs-username":      {event.UserName},
		"sc-bytes":         {event.BodyBytes},
		"cs-version":       {event.HTTPVersion},
		"s-computername":   {event.HostName},
	}
	for f := event.Field(0); int(f) < event.NumFields; f++ {
		m[f.ECS()] = []event.Field{f}
	}
	return m
}()

// DefaultKeywordFields are the fields a keyword search (a value with no
// field) looks in for web logs.
var DefaultKeywordFields = []event.Field{event.URLOriginal, event.UserAgent, event.Referrer, event.Message}

// Options configures Compile.
type Options struct {
	// FieldMap maps rule field names to event fields; nil means WebFieldMap.
	FieldMap FieldMap
	// KeywordFields are searched by keyword searches; nil means
	// DefaultKeywordFields.
	KeywordFields []event.Field
	// Placeholders gives the values of |expand placeholders, by name
	// without the percent signs. A placeholder with no entry is a compile
	// error.
	Placeholders map[string][]string
	// MemoSlots is the size of each Matcher's per-field cache of prefilter
	// results, keyed by field value (user agents and referrers repeat).
	// 0 means 256; a negative value turns the cache off.
	MemoSlots int
}

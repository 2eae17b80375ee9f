// Package event is the normalised form of one log event, with Elastic
// Common Schema field names: what every parser produces and every detector
// reads. It is a plain value with fixed field slots, so parsing and
// matching allocate little and look fields up by index, not by name. It
// must never know a log format or a detection rule.
package event

import (
	"net/netip"
	"time"
)

// Field is one normalised field of an event.
type Field uint8

// The fields, by their ECS names.
const (
	SourceIP      Field = iota // source.ip
	UserName                   // user.name
	HTTPMethod                 // http.request.method
	URLOriginal                // url.original: the request target as sent (path and query)
	URLPath                    // url.path
	URLQuery                   // url.query (without '?')
	URLExtension               // url.extension (without '.')
	URLDomain                  // url.domain: the Host header or virtual host
	StatusCode                 // http.response.status_code
	BodyBytes                  // http.response.body.bytes
	Referrer                   // http.request.referrer
	UserAgent                  // user_agent.original
	HTTPVersion                // http.version
	EventAction                // event.action, e.g. ssh_login, http_request
	EventOutcome               // event.outcome: success, failure, unknown
	EventCategory              // event.category: web, authentication, intrusion_detection
	Message                    // message: free text (syslog message, audit message)
	ProcessName                // process.name: the syslog program
	HostName                   // host.hostname: the machine that logged
	RuleID                     // rule.id: a WAF or IDS rule that fired at the source
	numFields
)

// NumFields is the number of field slots.
const NumFields = int(numFields)

var ecsNames = [numFields]string{
	SourceIP: "source.ip", UserName: "user.name", HTTPMethod: "http.request.method",
	URLOriginal: "url.original", URLPath: "url.path", URLQuery: "url.query", URLExtension: "url.extension",
	URLDomain: "url.domain", StatusCode: "http.response.status_code", BodyBytes: "http.response.body.bytes",
	Referrer: "http.request.referrer", UserAgent: "user_agent.original", HTTPVersion: "http.version",
	EventAction: "event.action", EventOutcome: "event.outcome", EventCategory: "event.category",
	Message: "message", ProcessName: "process.name", HostName: "host.hostname", RuleID: "rule.id",
}

// ECS is the field's Elastic Common Schema name.
func (f Field) ECS() string {
	if f < numFields {
		return ecsNames[f]
	}
	return ""
}

// ByECS finds a field by its ECS name.
func ByECS(name string) (Field, bool) {
	for i, n := range ecsNames {
		if n == name {
			return Field(i), true
		}
	}
	return 0, false
}

// Event is one normalised log event. The zero value is an empty event.
type Event struct {
	Time    time.Time  // @timestamp
	IP      netip.Addr // source.ip, parsed; invalid when absent
	Status  int        // http.response.status_code, parsed; 0 when absent
	Dataset string     // event.dataset: nginx.access, apache.access, json, coraza.audit, system.auth
	Asset   string     // the asset the event came from (its id as text), set by ingest
	Region  string     // the asset's region, set by ingest
	Line    int64      // 1-based line number in its source, for replay and evidence
	fields  [numFields]string
}

// Get returns a field's value ("" when absent).
func (e *Event) Get(f Field) string { return e.fields[f] }

// Set sets a field's value.
func (e *Event) Set(f Field, v string) { e.fields[f] = v }

// Reset empties the event for reuse.
func (e *Event) Reset() { *e = Event{} }

// Map returns the present fields by ECS name (for JSON, evidence and display).
func (e *Event) Map() map[string]string {
	// Sized to fit: an access log line has some ten fields, and a map
	// that outgrows its hint is built twice (a hostile replay makes one
	// per alert signal's evidence).
	n := 0
	for _, v := range e.fields {
		if v != "" {
			n++
		}
	}
	m := make(map[string]string, n)
	for i, v := range e.fields {
		if v != "" {
			m[ecsNames[i]] = v
		}
	}
	return m
}

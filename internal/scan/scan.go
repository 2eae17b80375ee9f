// Package scan is the daily penetration-test pillar's engine side: what a
// check is, what it is run against, and what it reports. Two kinds of
// check produce the same Result: nuclei templates read as they are
// (scan/nuclei) and built-in checks where a template language is a poor
// fit (scan/builtin). Findings (package finding) are made from Results.
//
// Result keeps nuclei's JSONL shape, field for field, so that DefectDojo's
// nuclei importer and anyone's jq scripts read Garda's output unchanged.
package scan

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Mode says how far an authorisation lets a scan go.
type Mode string

const (
	// Passive: only what a browser would fetch (pages, headers, the TLS
	// handshake, DNS records); no payloads, no guessing of paths.
	Passive Mode = "passive"
	// Active: probes that send payloads or ask for paths nobody linked.
	Active Mode = "active"
)

// Target is one authorised thing to test: a base URL (scheme, host, port)
// and how far the authorisation lets the checks go.
type Target struct {
	URL  string // e.g. https://kpu.go.id or http://127.0.0.1:8080
	Mode Mode
}

// Env is what a check may use to reach the target. Every connection goes
// through it (package fetch builds it): politeness, the address guard,
// limits on time and size, and one User-Agent are decided there, never in
// a check.
type Env struct {
	HTTP *http.Client
	// Dial opens TCP (network "tcp") connections for the ssl and network
	// protocols and the port scan.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Resolver is the DNS server ("127.0.0.1:53") that dns checks ask;
	// "" means the system's first resolver.
	Resolver string
	// Now is the clock (tests set it; nil means time.Now).
	Now func() time.Time
	// PayloadCap bounds the requests one template block sends when its
	// payload lists expand (clusterbomb: every combination), the first
	// ones kept; 0 leaves the engine's own bound (5000). A daily
	// round at 5 requests/s per host cannot afford the two backup-file
	// templates' 2,873 guesses on every site: see DefaultPayloadCap.
	PayloadCap int
}

// DefaultPayloadCap is the scans' PayloadCap (package fetch's ScanEnv):
// at 5 requests/s a site's daily scan must stay within minutes, and only
// brute-force lists (backup names times extensions) are longer than this.
// The first combinations are kept (payload names sorted, the last varying
// fastest): for the shipped backup-file templates, the first extensions
// with every file name.
const DefaultPayloadCap = 128

// Check is one test: a nuclei template or a built-in check.
type Check interface {
	// ID is stable across versions: the template id or "garda-<name>".
	ID() string
	// Active reports whether the check sends payloads or probes paths, so
	// that it runs only under an active authorisation.
	Active() bool
	// Run tests the target and calls emit for each thing it saw. An error
	// means the check could not run (unreachable, refused, malformed
	// answer), never "found nothing".
	Run(ctx context.Context, env *Env, t Target, emit func(Result)) error
}

// Result is one thing a check saw, in nuclei's JSONL result shape.
type Result struct {
	TemplateID       string    `json:"template-id"`
	TemplatePath     string    `json:"template-path,omitempty"`
	Info             Info      `json:"info"`
	Type             string    `json:"type"` // http, ssl, dns, network, tcp, builtin
	Host             string    `json:"host"`
	Port             string    `json:"port,omitempty"`
	Scheme           string    `json:"scheme,omitempty"`
	URL              string    `json:"url,omitempty"`
	MatchedAt        string    `json:"matched-at"`
	MatcherName      string    `json:"matcher-name,omitempty"`
	ExtractorName    string    `json:"extractor-name,omitempty"`
	ExtractedResults []string  `json:"extracted-results,omitempty"`
	IP               string    `json:"ip,omitempty"`
	Request          string    `json:"request,omitempty"`
	Response         string    `json:"response,omitempty"`
	CURLCommand      string    `json:"curl-command,omitempty"`
	Timestamp        time.Time `json:"timestamp"`
	MatcherStatus    bool      `json:"matcher-status"`
}

// Info is a template's (or built-in check's) description.
type Info struct {
	Name           string          `json:"name"`
	Author         []string        `json:"author,omitempty"`
	Tags           []string        `json:"tags,omitempty"`
	Description    string          `json:"description,omitempty"`
	Reference      []string        `json:"reference,omitempty"`
	Severity       Severity        `json:"severity"`
	Remediation    string          `json:"remediation,omitempty"`
	Classification *Classification `json:"classification,omitempty"`
	Metadata       map[string]any  `json:"metadata,omitempty"`
}

// Classification carries the CVE/CWE/CVSS a template names.
type Classification struct {
	CVEID       []string `json:"cve-id,omitempty"`
	CWEID       []string `json:"cwe-id,omitempty"`
	CVSSMetrics string   `json:"cvss-metrics,omitempty"`
	CVSSScore   float64  `json:"cvss-score,omitempty"`
	CPE         string   `json:"cpe,omitempty"`
}

// Severity is nuclei's severity scale.
type Severity string

const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
	SeverityUnknown  Severity = "unknown"
)

// Rank orders severities for sorting and thresholds: unknown 0, info 1
// ... critical 5; anything else -1.
func (s Severity) Rank() int {
	switch s {
	case SeverityUnknown:
		return 0
	case SeverityInfo:
		return 1
	case SeverityLow:
		return 2
	case SeverityMedium:
		return 3
	case SeverityHigh:
		return 4
	case SeverityCritical:
		return 5
	}
	return -1
}

// Location is where a Result was seen, the third part of a finding's key
// (asset, check, location): the matched URL, or host:port for ssl,
// network and tcp checks.
func (r Result) Location() string {
	if r.MatchedAt != "" {
		return r.MatchedAt
	}
	if r.Port != "" {
		return r.Host + ":" + r.Port
	}
	return r.Host
}

// CheckKey is the second part of a finding's key: the template id and,
// when a template names its matchers, which one matched (nuclei reports
// each named matcher as its own result).
func (r Result) CheckKey() string {
	if r.MatcherName != "" {
		return r.TemplateID + ":" + r.MatcherName
	}
	return r.TemplateID
}

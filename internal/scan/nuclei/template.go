package nuclei

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

// maxTemplateSize bounds what Parse reads: real templates are a few KB.
const maxTemplateSize = 1 << 20

// Template is one loaded nuclei template; it is a scan.Check.
type Template struct {
	id        string
	path      string
	info      scan.Info
	variables []variable
	http      []*httpRequest
	ssl       []*sslRequest
	dns       []*dnsRequest
	network   []*networkRequest
	active    bool
	overrides map[string]string
	flow      *flowExpr
}

var _ scan.Check = (*Template)(nil)

// ID is the template's id.
func (t *Template) ID() string { return t.id }

// Path is the file the template was read from.
func (t *Template) Path() string { return t.path }

// Info is the template's info block.
func (t *Template) Info() scan.Info { return t.info }

// Active reports whether the template needs an active authorisation: see
// the package comment for the rule.
func (t *Template) Active() bool { return t.active }

// Protocol names the template's protocol (the first it uses).
func (t *Template) Protocol() string {
	switch {
	case len(t.http) > 0:
		return "http"
	case len(t.ssl) > 0:
		return "ssl"
	case len(t.dns) > 0:
		return "dns"
	default:
		return "network"
	}
}

type variable struct {
	name     string
	value    string
	constant bool // constants: not overridden by a caller's variables
}

// UnsupportedError says which nuclei feature a template uses that this
// engine refuses.
type UnsupportedError struct{ Feature string }

func (e *UnsupportedError) Error() string { return "unsupported: " + e.Feature }

func unsupported(format string, a ...any) error {
	return &UnsupportedError{Feature: fmt.Sprintf(format, a...)}
}

// ProtocolError is an UnsupportedError for a whole protocol; its message is
// `unsupported protocol "headless"`.
type ProtocolError struct{ Protocol string }

func (e *ProtocolError) Error() string { return fmt.Sprintf("unsupported protocol %q", e.Protocol) }

// Load reads and parses a template file.
func Load(path string) (*Template, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxTemplateSize {
		return nil, fmt.Errorf("template %s: larger than %d bytes", path, maxTemplateSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// rawTemplate is the YAML shape of a template.
type rawTemplate struct {
	ID        string            `yaml:"id"`
	Info      rawInfo           `yaml:"info"`
	Variables yaml.Node         `yaml:"variables"`
	Constants yaml.Node         `yaml:"constants"`
	HTTP      []*httpRequest    `yaml:"http"`
	Requests  []*httpRequest    `yaml:"requests"`
	SSL       []*sslRequest     `yaml:"ssl"`
	DNS       []*dnsRequest     `yaml:"dns"`
	Network   []*networkRequest `yaml:"network"`
	TCP       []*networkRequest `yaml:"tcp"`
	Flow      string            `yaml:"flow"`
}

type rawInfo struct {
	Name           string             `yaml:"name"`
	Author         stringList         `yaml:"author"`
	Tags           stringList         `yaml:"tags"`
	Description    string             `yaml:"description"`
	Reference      stringList         `yaml:"reference"`
	Severity       string             `yaml:"severity"`
	Remediation    string             `yaml:"remediation"`
	Classification *rawClassification `yaml:"classification"`
	Metadata       map[string]any     `yaml:"metadata"`
}

type rawClassification struct {
	CVEID       stringList `yaml:"cve-id"`
	CWEID       stringList `yaml:"cwe-id"`
	CVSSMetrics string     `yaml:"cvss-metrics"`
	CVSSScore   any        `yaml:"cvss-score"` // a number, sometimes quoted
	CPE         string     `yaml:"cpe"`
}

// stringList reads nuclei's "a,b" or [a, b] lists.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		for _, p := range strings.Split(n.Value, ",") {
			if p = strings.TrimSpace(p); p != "" {
				*l = append(*l, p)
			}
		}
		return nil
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: expected a string", c.Line)
			}
			*l = append(*l, c.Value)
		}
		return nil
	}
	return fmt.Errorf("line %d: expected a string or a list", n.Line)
}

// unsupportedProtocols are the top-level sections this engine refuses.
var unsupportedProtocols = []string{"headless", "code", "javascript", "file", "whois", "websocket", "workflows", "workflow", "offline", "pipeline"}

// unsupportedKeys are template sections that change how a template runs
// and that the engine does not implement.
var unsupportedKeys = map[string]string{
	"self-contained": "self-contained (requests to fixed hosts, not the target)",
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Parse parses a template's YAML. path is what results report as the
// template path. Unsupported features are refused with an error naming
// them (an *UnsupportedError or *ProtocolError).
func Parse(data []byte, path string) (t *Template, err error) {
	defer func() {
		// the parser of a third-party format must never take the
		// process down: a panic is a malformed template
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("malformed template: %v", r)
		}
	}()
	if len(data) > maxTemplateSize {
		return nil, fmt.Errorf("larger than %d bytes", maxTemplateSize)
	}
	var top yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	if len(top.Content) == 0 || top.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a template: the document is not a YAML mapping")
	}
	keys := map[string]bool{}
	for i := 0; i+1 < len(top.Content[0].Content); i += 2 {
		keys[top.Content[0].Content[i].Value] = true
	}
	for _, p := range unsupportedProtocols {
		if keys[p] {
			return nil, &ProtocolError{Protocol: p}
		}
	}
	for k, why := range unsupportedKeys {
		if keys[k] && why != "" {
			return nil, unsupported("%s", why)
		}
	}
	var raw rawTemplate
	if err := top.Content[0].Decode(&raw); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	if raw.ID == "" {
		return nil, errors.New("template has no id")
	}
	if !idPattern.MatchString(raw.ID) {
		return nil, fmt.Errorf("template id %q: only letters, digits, '-', '_' and '.'", raw.ID)
	}
	if raw.Info.Name == "" {
		return nil, errors.New("template has no info.name")
	}
	if len(raw.Info.Author) == 0 {
		return nil, errors.New("template has no info.author")
	}
	sev := scan.Severity(strings.ToLower(strings.TrimSpace(raw.Info.Severity)))
	if sev == "" {
		sev = scan.SeverityUnknown
	}
	if sev.Rank() < 0 {
		return nil, fmt.Errorf("info.severity %q: not one of info, low, medium, high, critical, unknown", raw.Info.Severity)
	}
	t = &Template{id: raw.ID, path: path, info: scan.Info{
		Name: raw.Info.Name, Author: raw.Info.Author, Tags: raw.Info.Tags,
		Description: strings.TrimSpace(raw.Info.Description), Reference: raw.Info.Reference,
		Severity: sev, Remediation: strings.TrimSpace(raw.Info.Remediation), Metadata: raw.Info.Metadata,
	}}
	if c := raw.Info.Classification; c != nil {
		score, _ := strconv.ParseFloat(dsl.ToString(c.CVSSScore), 64)
		t.info.Classification = &scan.Classification{CVEID: c.CVEID, CWEID: c.CWEID, CVSSMetrics: c.CVSSMetrics, CVSSScore: score, CPE: c.CPE}
	}
	for i, n := range []*yaml.Node{&raw.Constants, &raw.Variables} {
		vs, err := orderedStrings(n)
		if err != nil {
			return nil, fmt.Errorf("variables: %w", err)
		}
		for j := range vs {
			vs[j].constant = i == 0
		}
		t.variables = append(t.variables, vs...)
	}
	for _, v := range t.variables {
		if err := checkPlaceholders(v.value); err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.name, err)
		}
	}
	t.http = append(raw.HTTP, raw.Requests...)
	t.ssl = raw.SSL
	t.dns = raw.DNS
	t.network = append(raw.Network, raw.TCP...)
	if len(t.http)+len(t.ssl)+len(t.dns)+len(t.network) == 0 {
		return nil, errors.New("template has no http, ssl, dns or network request")
	}
	kinds := 0
	for _, n := range []int{len(t.http), len(t.ssl), len(t.dns), len(t.network)} {
		if n > 0 {
			kinds++
		}
	}
	if kinds > 1 {
		return nil, unsupported("multi-protocol template (more than one of http, ssl, dns, network)")
	}
	if raw.Flow != "" {
		if len(t.http) == 0 {
			return nil, errFlow
		}
		if t.flow, err = parseFlow(raw.Flow, len(t.http)); err != nil {
			return nil, err
		}
	}
	baseDir := filepath.Dir(path)
	for i, r := range t.http {
		if r == nil {
			return nil, fmt.Errorf("http[%d]: empty request", i)
		}
		if err := r.compile(baseDir); err != nil {
			return nil, fmt.Errorf("http[%d]: %w", i, err)
		}
		if r.isActive() {
			t.active = true
		}
	}
	for i, r := range t.ssl {
		if r == nil {
			return nil, fmt.Errorf("ssl[%d]: empty request", i)
		}
		if err := r.compile(); err != nil {
			return nil, fmt.Errorf("ssl[%d]: %w", i, err)
		}
	}
	for i, r := range t.dns {
		if r == nil {
			return nil, fmt.Errorf("dns[%d]: empty request", i)
		}
		if err := r.compile(baseDir); err != nil {
			return nil, fmt.Errorf("dns[%d]: %w", i, err)
		}
		if r.payloads != nil {
			// guessing names (subdomain lists) is probing
			t.active = true
		}
	}
	for i, r := range t.network {
		if r == nil {
			return nil, fmt.Errorf("network[%d]: empty request", i)
		}
		if err := r.compile(baseDir); err != nil {
			return nil, fmt.Errorf("network[%d]: %w", i, err)
		}
		t.active = true
	}
	return t, nil
}

func orderedStrings(n *yaml.Node) ([]variable, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: expected a mapping", n.Line)
	}
	var out []variable
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: %s: expected a string", v.Line, k.Value)
		}
		out = append(out, variable{name: k.Value, value: v.Value})
	}
	return out, nil
}

// oobMarkers are placeholders that need an out-of-band interaction
// server (interactsh), which Garda does not run.
var oobMarkers = []string{"interactsh-url", "interactsh_url", "interactsh-protocol", "interactsh_protocol", "interactsh_request", "interactsh_response", "interactsh-server"}

// checkPlaceholders refuses strings that need features Garda lacks: an
// out-of-band placeholder, or a {{...}} expression calling a helper the
// engine refuses (jarm, generate_java_gadget...).
func checkPlaceholders(s string) error {
	low := strings.ToLower(s)
	for _, m := range oobMarkers {
		if strings.Contains(low, m) {
			return unsupported("interactsh (out-of-band) placeholder {{%s}}", m)
		}
	}
	for _, p := range dsl.Unresolved(s) {
		_, err := dsl.Parse(strings.TrimSpace(p[2 : len(p)-2]))
		var uf *dsl.UnsupportedFunctionError
		if errors.As(err, &uf) {
			return unsupported("dsl function %s (%s)", uf.Name, uf.Why)
		}
	}
	return nil
}

// payloadSet is a template's payloads: name -> values, and the attack that
// combines them.
type payloadSet struct {
	names  []string
	values map[string][]string
	attack string
}

func loadPayloads(raw map[string]any, attack, baseDir string) (*payloadSet, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	ps := &payloadSet{values: map[string][]string{}, attack: strings.ToLower(attack)}
	for name, v := range raw {
		if err := checkPlaceholders(name); err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				s := dsl.ToString(e)
				if err := checkPlaceholders(s); err != nil {
					return nil, err
				}
				ps.values[name] = append(ps.values[name], s)
			}
		case string:
			if strings.Contains(v, "\n") {
				ps.values[name] = strings.Split(strings.TrimRight(v, "\n"), "\n")
				break
			}
			vals, err := payloadFile(v, baseDir)
			if err != nil {
				return nil, fmt.Errorf("payload %s: %w", name, err)
			}
			ps.values[name] = vals
		default:
			if v == nil {
				return nil, fmt.Errorf("payload %s: empty", name)
			}
			ps.values[name] = []string{dsl.ToString(v)}
		}
		if len(ps.values[name]) == 0 {
			return nil, fmt.Errorf("payload %s: no values", name)
		}
		ps.names = append(ps.names, name)
	}
	sort.Strings(ps.names)
	switch ps.attack {
	case "":
		ps.attack = "batteringram"
		if len(ps.names) > 1 {
			ps.attack = "clusterbomb"
		}
	case "batteringram", "pitchfork", "clusterbomb":
	default:
		return nil, fmt.Errorf("attack %q: not batteringram, pitchfork or clusterbomb", attack)
	}
	if ps.attack == "pitchfork" {
		n := len(ps.values[ps.names[0]])
		for _, name := range ps.names {
			if len(ps.values[name]) != n {
				return nil, fmt.Errorf("pitchfork payloads must have the same length (%s has %d, %s has %d)", ps.names[0], n, name, len(ps.values[name]))
			}
		}
	}
	return ps, nil
}

// maxPayloadFile bounds a payload list read from disk.
const maxPayloadFile = 4 << 20

// payloadFile reads a payload list as nuclei finds it: relative to the
// template's folder or to any folder above it (nuclei-templates names its
// lists from the repository's root: helpers/wordlists/...). Absolute paths
// and ".." are refused: a template reads no file outside its tree. A list
// that is not there is refused by name.
func payloadFile(name, baseDir string) ([]string, error) {
	if filepath.IsAbs(name) || strings.Contains(name, "..") {
		return nil, unsupported("payload file %q outside the template's folder", name)
	}
	var p string
	for dir := baseDir; ; {
		candidate := filepath.Join(dir, filepath.FromSlash(name))
		if st, err := os.Stat(candidate); err == nil && st.Mode().IsRegular() {
			if st.Size() > maxPayloadFile {
				return nil, fmt.Errorf("payload file %q larger than %d bytes", name, maxPayloadFile)
			}
			p = candidate
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir || dir == "." || dir == "" {
			break
		}
		dir = parent
	}
	if p == "" {
		return nil, unsupported("payload file %q (not shipped with the template)", name)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// combinations returns every assignment of payload values to names the
// attack asks for: batteringram (one list, its value in every position),
// pitchfork (the i-th of each list together), clusterbomb (every
// combination). A nil set gives one empty assignment.
func (ps *payloadSet) combinations(limit int) []map[string]any {
	if ps == nil {
		return []map[string]any{{}}
	}
	var out []map[string]any
	switch ps.attack {
	case "batteringram":
		// nuclei's batteringram puts each value of the (first) list in
		// every position
		for _, v := range ps.values[ps.names[0]] {
			m := map[string]any{}
			for _, name := range ps.names {
				m[name] = v
			}
			out = append(out, m)
			if len(out) >= limit {
				break
			}
		}
	case "pitchfork":
		for i := range ps.values[ps.names[0]] {
			m := map[string]any{}
			for _, name := range ps.names {
				m[name] = ps.values[name][i]
			}
			out = append(out, m)
			if len(out) >= limit {
				break
			}
		}
	default:
		out = []map[string]any{{}}
		for _, name := range ps.names {
			var next []map[string]any
			for _, m := range out {
				for _, v := range ps.values[name] {
					c := make(map[string]any, len(m)+1)
					for k, x := range m {
						c[k] = x
					}
					c[name] = v
					next = append(next, c)
					if len(next) >= limit {
						break
					}
				}
			}
			out = next
		}
	}
	return out
}

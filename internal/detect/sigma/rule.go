package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Rule is one Sigma detection rule as written, plus what is derived from it
// (ATT&CK techniques). Its detection has been validated: every modifier is
// known, every value fits its modifiers, the condition parses and names
// only defined search identifiers.
type Rule struct {
	Title          string
	ID             string
	Name           string
	Status         string
	Description    string
	License        string
	References     []string
	Author         string
	Date           string
	Modified       string
	Tags           []string
	Logsource      Logsource
	Detection      Detection
	Fields         []string
	FalsePositives []string
	Level          string
	Related        []Related

	// Techniques are the MITRE ATT&CK technique ids from the tags
	// (attack.t1190 gives T1190, attack.t1071.001 gives T1071.001).
	Techniques []string
	// Source names where the rule came from (its file), for errors and
	// evidence.
	Source string

	cond *node // the parsed condition (a list of conditions is one OR)
}

// Logsource says which logs a rule is meant for.
type Logsource struct {
	Category   string
	Product    string
	Service    string
	Definition string
}

// Related links a rule to another rule by id.
type Related struct {
	ID   string
	Type string // derived, obsolete, merged, renamed, similar
}

// Detection is a rule's detection section: named searches and the
// condition that combines them.
type Detection struct {
	Searches []Search // in file order
	// Conditions holds the condition, or each entry when the condition is a
	// list (the entries are OR-ed).
	Conditions []string
	// Timeframe is kept for display; it only mattered to the deprecated
	// aggregations, which are rejected.
	Timeframe string
}

// Search is one search identifier: the OR of its items.
type Search struct {
	Name  string
	Items []Item
}

// Item is one map of field conditions (all must hold), or a keyword search
// (one FieldCond with an empty Field).
type Item struct {
	Conds []FieldCond
}

// FieldCond is one "field|modifier|...: values" entry. Field is empty for a
// keyword search.
type FieldCond struct {
	Field     string
	Modifiers []string
	Values    []Value

	spec *condSpec // validated form, built by Parse
}

// Keyword reports whether the condition is a keyword search.
func (c *FieldCond) Keyword() bool { return c.Field == "" }

// ValueKind is the YAML type of a value.
type ValueKind uint8

// The kinds of values.
const (
	KindString ValueKind = iota
	KindNumber
	KindBool
	KindNull
)

// Value is one value as written in the rule.
type Value struct {
	Kind ValueKind
	Text string // the scalar as written; "" for null
}

// The levels and statuses the specification defines.
var (
	levels   = []string{"informational", "low", "medium", "high", "critical"}
	statuses = []string{"stable", "test", "experimental", "deprecated", "unsupported"}
)

// Parse parses one Sigma rule. source names it in errors (a file path).
func Parse(data []byte, source string) (*Rule, error) {
	r, err := parse(data, source)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return r, nil
}

func parse(data []byte, source string) (*Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file")
		}
		return nil, fmt.Errorf("bad YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("several YAML documents: rule collections and action: global files are not supported, one rule per file")
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("bad YAML: %w", err)
	}
	root := deref(&doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = deref(root.Content[0])
	}
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("a rule must be a YAML mapping")
	}
	r := &Rule{Source: source}
	var detNode *yaml.Node
	var hasLogsource bool
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := deref(root.Content[i]), deref(root.Content[i+1])
		key := k.Value
		if seen[key] {
			return nil, fmt.Errorf("key %q is defined twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "title":
			r.Title, err = scalar(v, key)
		case "id":
			r.ID, err = scalar(v, key)
		case "name":
			r.Name, err = scalar(v, key)
		case "status":
			r.Status, err = scalar(v, key)
		case "description":
			r.Description, err = scalar(v, key)
		case "license":
			r.License, err = scalar(v, key)
		case "author":
			var a []string
			a, err = scalars(v, key)
			r.Author = strings.Join(a, ", ")
		case "references":
			r.References, err = scalars(v, key)
		case "date":
			r.Date, err = scalar(v, key)
		case "modified":
			r.Modified, err = scalar(v, key)
		case "tags":
			r.Tags, err = scalars(v, key)
		case "fields":
			r.Fields, err = scalars(v, key)
		case "falsepositives":
			r.FalsePositives, err = scalars(v, key)
		case "level":
			r.Level, err = scalar(v, key)
		case "logsource":
			hasLogsource = true
			r.Logsource, err = parseLogsource(v)
		case "related":
			r.Related, err = parseRelated(v)
		case "detection":
			detNode = v
		case "correlation":
			err = errors.New("correlation rules are not supported, only detection rules")
		case "filter":
			err = errors.New("sigma filters (filter:) are not supported, only detection rules")
		case "action":
			err = errors.New("action: collections are not supported, one rule per file")
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case strings.TrimSpace(r.Title) == "":
		return nil, errors.New("missing title")
	case !hasLogsource:
		return nil, errors.New("missing logsource")
	case detNode == nil:
		return nil, errors.New("missing detection")
	}
	if r.Level != "" && !slices.Contains(levels, r.Level) {
		return nil, fmt.Errorf("level %q is not one of %s", r.Level, strings.Join(levels, ", "))
	}
	if r.Status != "" && !slices.Contains(statuses, r.Status) {
		return nil, fmt.Errorf("status %q is not one of %s", r.Status, strings.Join(statuses, ", "))
	}
	if err := parseDetection(r, detNode); err != nil {
		return nil, fmt.Errorf("detection: %w", err)
	}
	r.Techniques = techniques(r.Tags)
	return r, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func scalar(n *yaml.Node, key string) (string, error) {
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s must be a plain value", key)
	}
	return n.Value, nil
}

// scalars accepts a list of plain values or a single one.
func scalars(n *yaml.Node, key string) ([]string, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s must be a list of plain values", key)
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		c = deref(c)
		if c.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s must be a list of plain values", key)
		}
		out = append(out, c.Value)
	}
	return out, nil
}

func parseLogsource(n *yaml.Node) (Logsource, error) {
	var ls Logsource
	if n.Kind != yaml.MappingNode {
		return ls, errors.New("logsource must be a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		var err error
		switch k.Value {
		case "category":
			ls.Category, err = scalar(v, "logsource.category")
		case "product":
			ls.Product, err = scalar(v, "logsource.product")
		case "service":
			ls.Service, err = scalar(v, "logsource.service")
		case "definition":
			ls.Definition, err = scalar(v, "logsource.definition")
		}
		if err != nil {
			return ls, err
		}
	}
	return ls, nil
}

func parseRelated(n *yaml.Node) ([]Related, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errors.New("related must be a list of {id, type}")
	}
	var out []Related
	for _, c := range n.Content {
		c = deref(c)
		if c.Kind != yaml.MappingNode {
			return nil, errors.New("related must be a list of {id, type}")
		}
		var rel Related
		for i := 0; i+1 < len(c.Content); i += 2 {
			k, v := deref(c.Content[i]), deref(c.Content[i+1])
			var err error
			switch k.Value {
			case "id":
				rel.ID, err = scalar(v, "related.id")
			case "type":
				rel.Type, err = scalar(v, "related.type")
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, rel)
	}
	return out, nil
}

func parseDetection(r *Rule, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return errors.New("must be a mapping of search identifiers and a condition")
	}
	d := &r.Detection
	var hasCond bool
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		name := k.Value
		if seen[name] {
			return fmt.Errorf("%q is defined twice", name)
		}
		seen[name] = true
		switch name {
		case "condition":
			hasCond = true
			conds, err := scalars(v, "condition")
			if err != nil {
				return err
			}
			d.Conditions = conds
		case "timeframe":
			tf, err := scalar(v, "timeframe")
			if err != nil {
				return err
			}
			d.Timeframe = tf
		default:
			s, err := parseSearch(name, v)
			if err != nil {
				return fmt.Errorf("search %q: %w", name, err)
			}
			d.Searches = append(d.Searches, s)
		}
	}
	if !hasCond || len(d.Conditions) == 0 {
		return errors.New("missing condition")
	}
	if len(d.Searches) == 0 {
		return errors.New("no search identifiers")
	}
	for si := range d.Searches {
		s := &d.Searches[si]
		for ii := range s.Items {
			for ci := range s.Items[ii].Conds {
				fc := &s.Items[ii].Conds[ci]
				spec, err := newCondSpec(fc)
				if err != nil {
					return fmt.Errorf("search %q: %s: %w", s.Name, fc.key(), err)
				}
				fc.spec = spec
			}
		}
	}
	var ors []*node
	for _, c := range d.Conditions {
		nd, err := parseCondition(c, d.Searches)
		if err != nil {
			return fmt.Errorf("condition %q: %w", c, err)
		}
		ors = append(ors, nd)
	}
	if len(ors) == 1 {
		r.cond = ors[0]
	} else {
		r.cond = &node{op: opOr, kids: ors}
	}
	return nil
}

func (c *FieldCond) key() string {
	return strings.Join(append([]string{c.Field}, c.Modifiers...), "|")
}

func parseSearch(name string, n *yaml.Node) (Search, error) {
	s := Search{Name: name}
	if strings.ContainsAny(name, " ()|*") || name == "" {
		return s, errors.New("a search identifier may not contain spaces, parentheses, | or *")
	}
	switch {
	case isNull(n):
		return s, errors.New("is empty")
	case n.Kind == yaml.MappingNode:
		it, err := parseItem(n)
		if err != nil {
			return s, err
		}
		s.Items = []Item{it}
	case n.Kind == yaml.SequenceNode:
		if len(n.Content) == 0 {
			return s, errors.New("is an empty list")
		}
		maps, plain := 0, 0
		for _, c := range n.Content {
			if deref(c).Kind == yaml.MappingNode {
				maps++
			} else {
				plain++
			}
		}
		switch {
		case maps > 0 && plain > 0:
			return s, errors.New("mixes maps and plain values in one list")
		case maps > 0:
			for _, c := range n.Content {
				it, err := parseItem(deref(c))
				if err != nil {
					return s, err
				}
				s.Items = append(s.Items, it)
			}
		default:
			vals, err := parseValues(n)
			if err != nil {
				return s, err
			}
			s.Items = []Item{{Conds: []FieldCond{{Values: vals}}}}
		}
	case n.Kind == yaml.ScalarNode:
		vals, err := parseValues(n)
		if err != nil {
			return s, err
		}
		s.Items = []Item{{Conds: []FieldCond{{Values: vals}}}}
	default:
		return s, errors.New("must be a map, a list of maps or a list of values")
	}
	return s, nil
}

func parseItem(n *yaml.Node) (Item, error) {
	var it Item
	if len(n.Content) == 0 {
		return it, errors.New("is an empty map")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return it, errors.New("a field name must be a plain value")
		}
		if seen[k.Value] {
			return it, fmt.Errorf("%q is defined twice in one map", k.Value)
		}
		seen[k.Value] = true
		parts := strings.Split(k.Value, "|")
		fc := FieldCond{Field: parts[0], Modifiers: parts[1:]}
		for _, m := range fc.Modifiers {
			if m == "" {
				return it, fmt.Errorf("%q: empty modifier", k.Value)
			}
		}
		vals, err := parseValues(v)
		if err != nil {
			return it, fmt.Errorf("%s: %w", k.Value, err)
		}
		fc.Values = vals
		it.Conds = append(it.Conds, fc)
	}
	return it, nil
}

func parseValues(n *yaml.Node) ([]Value, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []Value{scalarValue(n)}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, errors.New("empty list of values")
		}
		out := make([]Value, 0, len(n.Content))
		for _, c := range n.Content {
			c = deref(c)
			if c.Kind != yaml.ScalarNode {
				return nil, errors.New("values must be plain values (strings, numbers, booleans or null)")
			}
			out = append(out, scalarValue(c))
		}
		return out, nil
	default:
		return nil, errors.New("values must be a plain value or a list of plain values")
	}
}

func scalarValue(n *yaml.Node) Value {
	switch n.ShortTag() {
	case "!!null":
		return Value{Kind: KindNull}
	case "!!int", "!!float":
		return Value{Kind: KindNumber, Text: n.Value}
	case "!!bool":
		return Value{Kind: KindBool, Text: n.Value}
	default:
		return Value{Kind: KindString, Text: n.Value}
	}
}

var techniqueTag = regexp.MustCompile(`^attack\.t(\d{4})(\.\d{3})?$`)

func techniques(tags []string) []string {
	var out []string
	for _, t := range tags {
		if m := techniqueTag.FindStringSubmatch(strings.ToLower(t)); m != nil {
			id := "T" + m[1] + m[2]
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

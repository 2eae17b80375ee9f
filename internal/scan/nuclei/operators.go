package nuclei

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/net/html"

	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

// maxMatchInput caps how much of a part a matcher or extractor reads: the
// Env's client bounds bodies too, this bounds the engine's own work.
const maxMatchInput = 10 << 20

// Matcher is a nuclei matcher.
type Matcher struct {
	Type            string   `yaml:"type"`
	Condition       string   `yaml:"condition"`
	Part            string   `yaml:"part"`
	Negative        bool     `yaml:"negative"`
	Name            string   `yaml:"name"`
	Status          []int    `yaml:"status"`
	Size            []int    `yaml:"size"`
	Words           []string `yaml:"words"`
	Regex           []string `yaml:"regex"`
	Binary          []string `yaml:"binary"`
	DSL             []string `yaml:"dsl"`
	XPath           []string `yaml:"xpath"`
	Encoding        string   `yaml:"encoding"`
	CaseInsensitive bool     `yaml:"case-insensitive"`
	MatchAll        bool     `yaml:"match-all"`
	Internal        bool     `yaml:"internal"`

	and     bool
	regexes []*regexp.Regexp
	exprs   []*dsl.Expr
	binary  [][]byte
}

// Extractor is a nuclei extractor.
type Extractor struct {
	Type            string   `yaml:"type"`
	Name            string   `yaml:"name"`
	Part            string   `yaml:"part"`
	Regex           []string `yaml:"regex"`
	Group           int      `yaml:"group"`
	KVal            []string `yaml:"kval"`
	JSON            []string `yaml:"json"`
	XPath           []string `yaml:"xpath"`
	Attribute       string   `yaml:"attribute"`
	DSL             []string `yaml:"dsl"`
	Internal        bool     `yaml:"internal"`
	CaseInsensitive bool     `yaml:"case-insensitive"`

	regexes []*regexp.Regexp
	exprs   []*dsl.Expr
	paths   [][]jsonStep
}

// operators are a request's matchers and extractors.
type operators struct {
	Matchers          []*Matcher   `yaml:"matchers"`
	Extractors        []*Extractor `yaml:"extractors"`
	MatchersCondition string       `yaml:"matchers-condition"`
	and               bool
}

func (o *operators) compile() error {
	switch strings.ToLower(o.MatchersCondition) {
	case "", "or":
	case "and":
		o.and = true
	default:
		return fmt.Errorf("matchers-condition %q: not and/or", o.MatchersCondition)
	}
	for i, m := range o.Matchers {
		if m == nil {
			return fmt.Errorf("matcher %d: empty", i+1)
		}
		if err := m.compile(); err != nil {
			return fmt.Errorf("matcher %d: %w", i+1, err)
		}
	}
	for i, e := range o.Extractors {
		if e == nil {
			return fmt.Errorf("extractor %d: empty", i+1)
		}
		if err := e.compile(); err != nil {
			return fmt.Errorf("extractor %d: %w", i+1, err)
		}
	}
	return nil
}

func (m *Matcher) compile() error {
	switch strings.ToLower(m.Condition) {
	case "", "or":
	case "and":
		m.and = true
	default:
		return fmt.Errorf("condition %q: not and/or", m.Condition)
	}
	if err := checkPart(m.Part); err != nil {
		return err
	}
	for _, w := range m.Words {
		if err := checkPlaceholders(w); err != nil {
			return err
		}
	}
	for _, d := range m.DSL {
		if err := checkPlaceholders(d); err != nil {
			return err
		}
	}
	switch m.Type {
	case "word":
		if len(m.Words) == 0 {
			return fmt.Errorf("word matcher without words")
		}
		if m.Encoding == "hex" {
			// as nuclei: a word that is not valid hex is matched as
			// written
			for i, w := range m.Words {
				if b, err := hex.DecodeString(w); err == nil && len(b) > 0 {
					m.Words[i] = string(b)
				}
			}
		}
	case "regex":
		if len(m.Regex) == 0 {
			return fmt.Errorf("regex matcher without regex")
		}
		for _, r := range m.Regex {
			if m.CaseInsensitive && !strings.HasPrefix(r, "(?i)") {
				r = "(?i)" + r
			}
			re, err := regexp.Compile(r)
			if err != nil {
				return fmt.Errorf("regex %q: %w", r, err)
			}
			m.regexes = append(m.regexes, re)
		}
	case "status":
		if len(m.Status) == 0 {
			return fmt.Errorf("status matcher without status")
		}
	case "size":
		if len(m.Size) == 0 {
			return fmt.Errorf("size matcher without size")
		}
	case "binary":
		if len(m.Binary) == 0 {
			return fmt.Errorf("binary matcher without binary")
		}
		for _, b := range m.Binary {
			x, err := hex.DecodeString(b)
			if err != nil {
				return fmt.Errorf("binary %q: %w", b, err)
			}
			m.binary = append(m.binary, x)
		}
	case "dsl":
		if len(m.DSL) == 0 {
			return fmt.Errorf("dsl matcher without dsl")
		}
		for _, d := range m.DSL {
			e, err := dsl.Parse(d)
			if err != nil {
				return dslError(err)
			}
			m.exprs = append(m.exprs, e)
		}
	case "xpath":
		if len(m.XPath) == 0 {
			return fmt.Errorf("xpath matcher without xpath")
		}
		for _, x := range m.XPath {
			if _, err := parseXPath(x); err != nil {
				return err
			}
		}
	case "":
		return fmt.Errorf("matcher without type")
	default:
		return fmt.Errorf("unknown matcher type %q", m.Type)
	}
	return nil
}

func (e *Extractor) compile() error {
	if err := checkPart(e.Part); err != nil {
		return err
	}
	switch e.Type {
	case "regex":
		if len(e.Regex) == 0 {
			return fmt.Errorf("regex extractor without regex")
		}
		for _, r := range e.Regex {
			if e.CaseInsensitive && !strings.HasPrefix(r, "(?i)") {
				r = "(?i)" + r
			}
			re, err := regexp.Compile(r)
			if err != nil {
				return fmt.Errorf("regex %q: %w", r, err)
			}
			e.regexes = append(e.regexes, re)
		}
	case "kval":
		if len(e.KVal) == 0 {
			return fmt.Errorf("kval extractor without kval")
		}
	case "json":
		if len(e.JSON) == 0 {
			return fmt.Errorf("json extractor without json")
		}
		for _, q := range e.JSON {
			p, err := parseJSONPath(q)
			if err != nil {
				return err
			}
			e.paths = append(e.paths, p)
		}
	case "xpath":
		if len(e.XPath) == 0 {
			return fmt.Errorf("xpath extractor without xpath")
		}
		for _, x := range e.XPath {
			if _, err := parseXPath(x); err != nil {
				return err
			}
		}
	case "dsl":
		if len(e.DSL) == 0 {
			return fmt.Errorf("dsl extractor without dsl")
		}
		for _, d := range e.DSL {
			x, err := dsl.Parse(d)
			if err != nil {
				return dslError(err)
			}
			e.exprs = append(e.exprs, x)
		}
	case "":
		return fmt.Errorf("extractor without type")
	default:
		return fmt.Errorf("unknown extractor type %q", e.Type)
	}
	return nil
}

func checkPart(p string) error {
	if strings.HasPrefix(p, "interactsh") {
		return unsupported("interactsh (out-of-band) part %q", p)
	}
	return nil
}

// partValue is the text a matcher or extractor looks at. Part names map to
// the response variables; body is the default.
func partValue(part string, vars dsl.Vars, defaultPart string) (string, bool) {
	if part == "" {
		part = defaultPart
	}
	switch part {
	case "header", "headers", "all_headers":
		part = "all_headers"
	case "all", "raw", "response":
		if v, ok := vars["response"]; ok {
			return clip(dsl.ToString(v)), true
		}
		if v, ok := vars["raw"]; ok {
			return clip(dsl.ToString(v)), true
		}
		return clip(dsl.ToString(vars["all_headers"]) + dsl.ToString(vars["body"])), true
	}
	v, ok := vars[part]
	if !ok {
		v, ok = vars[strings.ReplaceAll(strings.ToLower(part), "-", "_")]
	}
	if !ok {
		return "", false
	}
	return clip(dsl.ToString(v)), true
}

func clip(s string) string {
	if len(s) > maxMatchInput {
		return s[:maxMatchInput]
	}
	return s
}

// match runs a matcher; it returns whether it matched and what it matched.
func (m *Matcher) match(vars dsl.Vars, defaultPart string) (bool, []string) {
	ok, snippets := m.matchPositive(vars, defaultPart)
	if m.Negative {
		return !ok, nil
	}
	return ok, snippets
}

func (m *Matcher) matchPositive(vars dsl.Vars, defaultPart string) (bool, []string) {
	switch m.Type {
	case "status":
		code, _ := vars["status_code"].(int)
		for _, s := range m.Status {
			if s == code {
				return true, []string{strconv.Itoa(code)}
			}
		}
		return false, nil
	case "size":
		// as nuclei: the length of the part read (the body by default)
		text, _ := partValue(m.Part, vars, defaultPart)
		n := len(text)
		for _, s := range m.Size {
			if s == n {
				return true, []string{strconv.Itoa(n)}
			}
		}
		return false, nil
	case "dsl":
		return m.combine(len(m.exprs), func(i int) (bool, string) {
			v, err := evalWithPlaceholders(m.exprs[i], vars)
			if err != nil {
				return false, ""
			}
			b, ok := v.(bool)
			return ok && b, m.exprs[i].String()
		})
	}
	text, ok := partValue(m.Part, vars, defaultPart)
	if !ok {
		return false, nil
	}
	switch m.Type {
	case "word":
		hay := text
		if m.CaseInsensitive {
			hay = strings.ToLower(text)
		}
		return m.combine(len(m.Words), func(i int) (bool, string) {
			w := m.Words[i]
			if strings.Contains(w, "{{") {
				w = dsl.Interpolate(w, vars)
			}
			if m.CaseInsensitive {
				w = strings.ToLower(w)
			}
			return strings.Contains(hay, w), w
		})
	case "regex":
		return m.combine(len(m.regexes), func(i int) (bool, string) {
			loc := m.regexes[i].FindString(text)
			return m.regexes[i].MatchString(text), loc
		})
	case "binary":
		return m.combine(len(m.binary), func(i int) (bool, string) {
			return bytes.Contains([]byte(text), m.binary[i]), hex.EncodeToString(m.binary[i])
		})
	case "xpath":
		root, err := html.Parse(strings.NewReader(text))
		if err != nil {
			return false, nil
		}
		return m.combine(len(m.XPath), func(i int) (bool, string) {
			steps, _ := parseXPath(m.XPath[i])
			return len(evalXPath(steps, root)) > 0, m.XPath[i]
		})
	}
	return false, nil
}

// combine applies the matcher's condition over its n items.
func (m *Matcher) combine(n int, one func(int) (bool, string)) (bool, []string) {
	var snippets []string
	any := false
	for i := 0; i < n; i++ {
		ok, s := one(i)
		if !ok {
			if m.and {
				return false, nil
			}
			continue
		}
		any = true
		if s != "" {
			snippets = append(snippets, s)
		}
		if !m.and && !m.MatchAll {
			return true, snippets
		}
	}
	return any, snippets
}

// extract runs an extractor and returns its values, in order, without
// duplicates.
func (e *Extractor) extract(vars dsl.Vars, defaultPart string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	switch e.Type {
	case "dsl":
		for _, x := range e.exprs {
			v, err := evalWithPlaceholders(x, vars)
			if err != nil || v == nil {
				continue
			}
			if s := dsl.ToString(v); s != "" {
				add(s)
			}
		}
		return out
	case "kval":
		for _, k := range e.KVal {
			if v, ok := vars[k]; ok {
				add(dsl.ToString(v))
			} else if v, ok := vars[strings.ReplaceAll(strings.ToLower(k), "-", "_")]; ok {
				add(dsl.ToString(v))
			}
		}
		return out
	}
	text, ok := partValue(e.Part, vars, defaultPart)
	if !ok {
		return nil
	}
	switch e.Type {
	case "regex":
		for _, re := range e.regexes {
			for _, m := range re.FindAllStringSubmatch(text, 100) {
				if e.Group < len(m) {
					add(m[e.Group])
				}
			}
		}
	case "json":
		var doc any
		if err := json.Unmarshal([]byte(text), &doc); err != nil {
			return nil
		}
		for _, p := range e.paths {
			for _, v := range evalJSONPath(p, doc) {
				add(jsonString(v))
			}
		}
	case "xpath":
		root, err := html.Parse(strings.NewReader(text))
		if err != nil {
			return nil
		}
		for _, x := range e.XPath {
			steps, _ := parseXPath(x)
			attr := e.Attribute
			if len(steps) > 0 && steps[len(steps)-1].attribute != "" {
				attr = steps[len(steps)-1].attribute
			}
			for _, n := range evalXPath(steps, root) {
				if attr != "" {
					for _, a := range n.Attr {
						if a.Key == attr {
							add(a.Val)
						}
					}
				} else {
					add(nodeText(n))
				}
			}
		}
	}
	return out
}

func jsonString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// opResult is what running a request's operators on one response gave.
type opResult struct {
	matched bool
	// internalOnly: only internal matchers matched; nothing is shown
	internalOnly bool
	names        []string // named, non-internal matchers that matched
	extracts     []string // extracted-results (non-internal extractors)
	dynamic      map[string][]string
	byName       map[string][]string // extractor name -> values (non-internal)
}

// execute runs matchers and extractors, with nuclei's semantics: with
// "and" every matcher must match; named matchers that match are reported
// each on its own; internal extractors feed later requests.
func (o *operators) execute(vars dsl.Vars, defaultPart string) (opResult, bool) {
	res := opResult{dynamic: map[string][]string{}, byName: map[string][]string{}}
	for _, e := range o.Extractors {
		vals := e.extract(vars, defaultPart)
		if len(vals) == 0 {
			continue
		}
		if e.Internal {
			if e.Name != "" {
				res.dynamic[e.Name] = vals
				vars[e.Name] = vals[0]
			}
			continue
		}
		if e.Name != "" {
			res.dynamic[e.Name] = vals
			vars[e.Name] = vals[0]
		}
		res.extracts = appendUnique(res.extracts, vals...)
		res.byName[e.Name] = appendUnique(res.byName[e.Name], vals...)
	}
	matched, shown := false, false
	for _, m := range o.Matchers {
		ok, _ := m.match(vars, defaultPart)
		if ok {
			matched = true
			shown = shown || !m.Internal
			if m.Name != "" && !m.Internal {
				res.names = appendUnique(res.names, m.Name)
			}
			continue
		}
		if o.and {
			res.matched = false
			res.names = nil
			return res, false
		}
	}
	res.matched = matched
	res.internalOnly = matched && !shown && len(res.extracts) == 0
	if len(o.Matchers) > 0 && !matched {
		return res, false
	}
	if len(o.Matchers) == 0 {
		return res, len(res.extracts) > 0
	}
	return res, true
}

func appendUnique(l []string, vals ...string) []string {
	for _, v := range vals {
		dup := false
		for _, x := range l {
			if x == v {
				dup = true
				break
			}
		}
		if !dup {
			l = append(l, v)
		}
	}
	return l
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// evalWithPlaceholders evaluates an expression whose text holds {{...}}
// placeholders (contains(body, "{{VALUE}}")) after putting the values in,
// as nuclei does; others are evaluated as parsed.
func evalWithPlaceholders(e *dsl.Expr, vars dsl.Vars) (any, error) {
	src := e.String()
	if !strings.Contains(src, "{{") {
		return e.Eval(vars)
	}
	x, err := dsl.Parse(dsl.Interpolate(src, vars))
	if err != nil {
		return nil, err
	}
	return x.Eval(vars)
}

// dslError turns a refused helper into the unsupported-feature error.
func dslError(err error) error {
	var uf *dsl.UnsupportedFunctionError
	if errors.As(err, &uf) {
		return unsupported("dsl function %s (%s)", uf.Name, uf.Why)
	}
	return err
}

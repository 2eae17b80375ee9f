package decision

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed rules.yaml
var defaultRules []byte

// Mode is what a scenario's rule does.
type Mode string

// Modes.
const (
	ModeAuto    Mode = "auto"    // active at once
	ModePropose Mode = "propose" // a person approves
	ModeOff     Mode = "off"     // no decision
)

// Rule is the policy for one scenario.
type Rule struct {
	Mode     Mode
	Type     Type
	Duration time.Duration
}

// MarshalJSON shows the duration as people write it ("4h0m0s").
func (r Rule) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Mode     Mode   `json:"mode"`
		Type     Type   `json:"type"`
		Duration string `json:"duration"`
	}{r.Mode, r.Type, r.Duration.String()})
}

// Rules is the per-scenario policy: what Decide does for each detection
// scenario, and for any scenario it does not name.
type Rules struct {
	Default   Rule            `json:"default"`
	Scenarios map[string]Rule `json:"scenarios"`
}

// Bounds of a decision's duration, for rules and for people alike.
const (
	MinDuration = time.Minute
	MaxDuration = 365 * 24 * time.Hour
)

// For is the rule for a scenario.
func (r Rules) For(scenario string) Rule {
	if rule, ok := r.Scenarios[scenario]; ok {
		return rule
	}
	return r.Default
}

// ruleFile is the YAML form; nil fields keep what the defaults say.
type ruleFile struct {
	Mode     *string `yaml:"mode"`
	Type     *string `yaml:"type"`
	Duration *string `yaml:"duration"`
}

type rulesFile struct {
	Default   *ruleFile            `yaml:"default"`
	Scenarios map[string]*ruleFile `yaml:"scenarios"`
}

// DefaultRules returns the built-in policy (rules.yaml beside this file).
func DefaultRules() Rules {
	r, err := parseRules(Rules{Scenarios: map[string]Rule{}}, defaultRules)
	if err != nil {
		panic("decision: rules.yaml is broken: " + err.Error())
	}
	return r
}

// LoadRules reads a YAML file over the defaults: a scenario it names
// changes only the fields given, and a scenario it adds starts from the
// default rule. An empty path gives the defaults.
func LoadRules(path string) (Rules, error) {
	if path == "" {
		return Builtin(), nil
	}
	r := DefaultRules()
	body, err := os.ReadFile(path)
	if err != nil {
		return Rules{}, fmt.Errorf("read decision rules: %w", err)
	}
	r, err = parseRules(r, body)
	if err != nil {
		return Rules{}, fmt.Errorf("decision rules %s: %w", path, err)
	}
	return r, nil
}

func parseRules(base Rules, body []byte) (Rules, error) {
	var f rulesFile
	dec := yaml.NewDecoder(strings.NewReader(string(body)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return Rules{}, err
	}
	out := Rules{Default: base.Default, Scenarios: map[string]Rule{}}
	for id, rule := range base.Scenarios {
		out.Scenarios[id] = rule
	}
	if f.Default != nil {
		rule, err := f.Default.over(out.Default)
		if err != nil {
			return Rules{}, fmt.Errorf("default: %w", err)
		}
		out.Default = rule
	}
	for id, rf := range f.Scenarios {
		if rf == nil {
			continue
		}
		from, ok := out.Scenarios[id]
		if !ok {
			from = out.Default
		}
		rule, err := rf.over(from)
		if err != nil {
			return Rules{}, fmt.Errorf("scenario %s: %w", id, err)
		}
		out.Scenarios[id] = rule
	}
	return out, nil
}

func (f ruleFile) over(r Rule) (Rule, error) {
	if f.Mode != nil {
		r.Mode = Mode(*f.Mode)
	}
	if f.Type != nil {
		r.Type = Type(*f.Type)
	}
	if f.Duration != nil {
		d, err := ParseDuration(*f.Duration)
		if err != nil {
			return Rule{}, err
		}
		r.Duration = d
	}
	switch r.Mode {
	case ModeAuto, ModePropose, ModeOff:
	default:
		return Rule{}, fmt.Errorf("mode %q: use auto, propose or off", r.Mode)
	}
	if !r.Type.Valid() {
		return Rule{}, fmt.Errorf("type %q: use ban or captcha", r.Type)
	}
	if r.Mode != ModeOff && (r.Duration < MinDuration || r.Duration > MaxDuration) {
		return Rule{}, fmt.Errorf("duration %s: must be between %s and %s", r.Duration, MinDuration, MaxDuration)
	}
	return r, nil
}

// ParseDuration reads a Go duration ("4h", "90m", "1h30m") or a number of
// days ("2d"), as people write block durations.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3660 {
			return 0, fmt.Errorf("duration %q: use a Go duration such as 4h or 90m, or days such as 2d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: use a Go duration such as 4h or 90m, or days such as 2d", s)
	}
	return d, nil
}

package scenario

import (
	_ "embed"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultConfig []byte

// Config holds every scenario's thresholds. The defaults live in
// default.yaml beside this file; a file given by the user overrides the
// fields it names.
type Config struct {
	Probing           Distinct  `yaml:"probing"`
	SensitiveFiles    Threshold `yaml:"sensitive_files"`
	SensitivePatterns []string  `yaml:"sensitive_patterns"`
	ScannerAgents     []string  `yaml:"scanner_agents"`
	WebBruteforce     Threshold `yaml:"web_bruteforce"`
	LoginPaths        []string  `yaml:"login_paths"`
	AuthBruteforce    Threshold `yaml:"auth_bruteforce"`
	CredentialStuff   Distinct  `yaml:"credential_stuffing"`
	Flood             Threshold `yaml:"flood"`
	Scraping          Distinct  `yaml:"voter_scraping"`
	VoterLookupPaths  []string  `yaml:"voter_lookup_paths"`
	NIKParams         []string  `yaml:"nik_params"`
}

// Threshold fires when Count matching events arrive within Window.
type Threshold struct {
	Count  int           `yaml:"count"`
	Window time.Duration `yaml:"window"`
}

// Distinct fires when Count distinct values arrive within Window.
type Distinct struct {
	Count  int           `yaml:"count"`
	Window time.Duration `yaml:"window"`
}

// DefaultConfig returns the built-in thresholds.
func DefaultConfig() Config {
	var c Config
	if err := yaml.Unmarshal(defaultConfig, &c); err != nil {
		panic("scenario: default.yaml is broken: " + err.Error())
	}
	return c
}

// LoadConfig reads a YAML file over the defaults and checks the result.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read scenario config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("scenario config %s: %w", path, err)
	}
	return c, c.Validate()
}

// Validate refuses thresholds that could never fire or would fire on anything.
func (c Config) Validate() error {
	checks := []struct {
		name       string
		count, max int
		window     time.Duration
	}{
		{"probing", c.Probing.Count, maxDistinct, c.Probing.Window},
		{"sensitive_files", c.SensitiveFiles.Count, maxRecent, c.SensitiveFiles.Window},
		{"web_bruteforce", c.WebBruteforce.Count, maxRecent, c.WebBruteforce.Window},
		{"auth_bruteforce", c.AuthBruteforce.Count, maxRecent, c.AuthBruteforce.Window},
		{"credential_stuffing", c.CredentialStuff.Count, maxDistinct, c.CredentialStuff.Window},
		{"flood", c.Flood.Count, 1 << 30, c.Flood.Window},
		{"voter_scraping", c.Scraping.Count, maxDistinct, c.Scraping.Window},
	}
	for _, ch := range checks {
		if ch.count < 1 || ch.count > ch.max {
			return fmt.Errorf("scenario %s: count must be 1..%d, not %d", ch.name, ch.max, ch.count)
		}
		if ch.window < time.Second || ch.window > 24*time.Hour {
			return fmt.Errorf("scenario %s: window must be between 1s and 24h, not %s", ch.name, ch.window)
		}
	}
	if len(c.LoginPaths) == 0 || len(c.VoterLookupPaths) == 0 || len(c.NIKParams) == 0 {
		return fmt.Errorf("scenario config: login_paths, voter_lookup_paths and nik_params must not be empty")
	}
	return nil
}

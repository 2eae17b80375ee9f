package scan

import (
	"fmt"
	"sort"
	"sync"
)

// Source gives checks to whoever runs scans (the round, the command
// line): the nuclei templates under a folder, the built-in checks. Each
// engine registers its Source in an init(), as Caddy's modules do, so
// that the runner never imports an engine. templates is the folder of
// nuclei templates the user named ("" for the shipped set).
type Source func(templates string) ([]Check, error)

var (
	sourcesMu sync.Mutex
	sources   = map[string]Source{}
)

// Register adds a source of checks under name (e.g. "nuclei", "builtin").
// It panics on a name used twice: that is a wiring mistake.
func Register(name string, s Source) {
	sourcesMu.Lock()
	defer sourcesMu.Unlock()
	if _, dup := sources[name]; dup {
		panic("scan: source of checks " + name + " registered twice")
	}
	sources[name] = s
}

// Sources lists the registered sources' names, sorted.
func Sources() []string {
	sourcesMu.Lock()
	defer sourcesMu.Unlock()
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LoadChecks asks every registered source for its checks (in the order of
// their names) and refuses two checks with one id: a finding's key would
// no longer say which check saw it.
func LoadChecks(templates string) ([]Check, error) {
	sourcesMu.Lock()
	srcs := make(map[string]Source, len(sources))
	for n, s := range sources {
		srcs[n] = s
	}
	sourcesMu.Unlock()
	var all []Check
	from := map[string]string{}
	for _, name := range Sources() {
		s, ok := srcs[name]
		if !ok {
			continue
		}
		checks, err := s(templates)
		if err != nil {
			return nil, fmt.Errorf("load the %s checks: %w", name, err)
		}
		for _, c := range checks {
			if other, dup := from[c.ID()]; dup {
				return nil, fmt.Errorf("check id %q comes from both %s and %s", c.ID(), other, name)
			}
			from[c.ID()] = name
			all = append(all, c)
		}
	}
	return all, nil
}

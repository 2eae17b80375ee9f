package crs

import (
	"io/fs"
	"slices"
	"sync"
	"sync/atomic"
)

// prebuild is the costly part of New done on the other cores: compiling
// every @rx pattern (compileRx) and building the phrase matchers of the
// @pm rules the evaluator takes. The goroutine that plans the evaluator
// and pruner and then loads Coraza asks for them in rule order, and builds
// itself those no worker has begun; the workers take them from the last
// rule back, so that the two meet rather than wait on each other.
type prebuild struct {
	patterns []string         // every @rx pattern, as parseRule reads it
	pm       map[int]*pmBuild // by rule id
	wait     func()           // returns when the workers are done
}

type pmBuild struct {
	once sync.Once
	m    *ruleAutomaton
	ok   bool
}

// startPrebuild starts workers goroutines on the rules' texts (at
// paranoia level pl, without the rules skip) and returns at once.
func startPrebuild(texts []string, pl int, root fs.FS, skip []int, workers int) *prebuild {
	p := &prebuild{pm: map[int]*pmBuild{}}
	var tasks []func()
	for _, raw := range texts {
		r, ok := parseRule(raw)
		switch {
		case !ok:
		case r.op == "rx":
			// An error is Coraza's to report, when it loads the rule.
			p.patterns = append(p.patterns, r.opArg)
			tasks = append(tasks, func() { compileRx(r.opArg) })
		case isPM(r.op) && movable(r, pl) && !slices.Contains(skip, r.id):
			b := &pmBuild{}
			p.pm[r.id] = b
			tasks = append(tasks, func() { b.build(r, root) })
		}
	}
	var next atomic.Int64
	next.Store(int64(len(tasks)))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := next.Add(-1); i >= 0; i = next.Add(-1) {
				tasks[i]()
			}
		})
	}
	p.wait = wg.Wait
	return p
}

func isPM(op string) bool { return op == "pm" || op == "pmFromFile" || op == "pmf" }

// phraseMatcher is the @pm rule's phrase matcher (newPhraseMatcher), ok
// false when its phrases are not the evaluator's to take (pmPhrases).
func (p *prebuild) phraseMatcher(r ruleInfo, root fs.FS) (*ruleAutomaton, bool) {
	if b := p.pm[r.id]; b != nil {
		return b.build(r, root)
	}
	return buildPhraseMatcher(r, root)
}

func (b *pmBuild) build(r ruleInfo, root fs.FS) (*ruleAutomaton, bool) {
	b.once.Do(func() { b.m, b.ok = buildPhraseMatcher(r, root) })
	return b.m, b.ok
}

func buildPhraseMatcher(r ruleInfo, root fs.FS) (*ruleAutomaton, bool) {
	phrases, ok := pmPhrases(r, root)
	if !ok {
		return nil, false
	}
	return newPhraseMatcher(phrases), true
}

// loaded reports whether Coraza's loading asked for every pattern (see
// rxLoaded): then every operator taken from rxCache is the one of the
// rule as Coraza reads it.
func (p *prebuild) loaded() bool {
	for _, pat := range p.patterns {
		if _, ok := rxLoaded.Load(pat); !ok {
			return false
		}
	}
	return true
}

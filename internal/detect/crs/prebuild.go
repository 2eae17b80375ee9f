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
// itself those no worker has begun; the workers read the rules from the
// last back, so that the two meet rather than wait on each other.
type prebuild struct {
	pm       sync.Map   // rule id -> *pmBuild
	patterns [][]string // per worker, the @rx patterns it read (parseRule)
	wait     func()     // returns when the workers are done
}

type pmBuild struct {
	once sync.Once
	m    *ruleAutomaton
	ok   bool
}

// startPrebuild starts workers goroutines on the rules' texts (at
// paranoia level pl, without the rules skip) and returns at once.
func startPrebuild(texts []string, pl int, root fs.FS, skip []int, workers int) *prebuild {
	p := &prebuild{patterns: make([][]string, workers)}
	var next atomic.Int64
	next.Store(int64(len(texts)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := next.Add(-1); i >= 0; i = next.Add(-1) {
				r, ok := parseRule(texts[i])
				switch {
				case !ok:
				case r.op == "rx":
					p.patterns[w] = append(p.patterns[w], r.opArg)
					compileRx(r.opArg) // an error is Coraza's to report, when it loads the rule
				case isPM(r.op) && movable(r, pl) && !slices.Contains(skip, r.id):
					p.pmBuild(r.id).build(r, root)
				}
			}
		})
	}
	p.wait = wg.Wait
	return p
}

func (p *prebuild) pmBuild(id int) *pmBuild {
	b, ok := p.pm.Load(id)
	if !ok {
		b, _ = p.pm.LoadOrStore(id, &pmBuild{})
	}
	return b.(*pmBuild)
}

func isPM(op string) bool { return op == "pm" || op == "pmFromFile" || op == "pmf" }

// phraseMatcher is the @pm rule's phrase matcher (newPhraseMatcher), ok
// false when its phrases are not the evaluator's to take (pmPhrases).
func (p *prebuild) phraseMatcher(r ruleInfo, root fs.FS) (*ruleAutomaton, bool) {
	return p.pmBuild(r.id).build(r, root)
}

func (b *pmBuild) build(r ruleInfo, root fs.FS) (*ruleAutomaton, bool) {
	b.once.Do(func() {
		if phrases, ok := pmPhrases(r, root); ok {
			b.m, b.ok = newPhraseMatcher(phrases), true
		}
	})
	return b.m, b.ok
}

// loaded reports whether Coraza's loading asked for every pattern (see
// rxLoaded): then every operator taken from rxCache is the one of the
// rule as Coraza reads it.
func (p *prebuild) loaded() bool {
	for _, patterns := range p.patterns {
		for _, pat := range patterns {
			if _, ok := rxLoaded.Load(pat); !ok {
				return false
			}
		}
	}
	return true
}

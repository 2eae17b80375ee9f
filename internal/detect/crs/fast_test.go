package crs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"

	"github.com/garda-id/garda/internal/detect/crs/transform"
	"github.com/garda-id/garda/internal/event"
)

// TestFastPlan: at the default paranoia level the fast path knows every
// detection rule Coraza keeps, so access-log events skip Coraza.
func TestFastPlan(t *testing.T) {
	d, err := New(Options{RemoveRules: SearchFalsePositives})
	if err != nil {
		t.Fatal(err)
	}
	texts, err := ruleTexts(coreruleset.FS, ruleFiles())
	if err != nil {
		t.Fatal(err)
	}
	f, err := newFastPlan(d.prune.eval, texts, DefaultParanoiaLevel, coreruleset.FS, slices.Concat(removedRules, SearchFalsePositives))
	if err != nil {
		t.Fatalf("no fast path: %v", err)
	}
	if d.fast == nil {
		t.Fatal("the detector has no fast path")
	}
	kinds := map[fastKind]int{}
	for _, r := range f.rules {
		kinds[r.kind]++
	}
	t.Logf("%d groups, %d kept rules: %d never, %d protocol, %d plain, %d matched chains, %d to Coraza when their first rule matches",
		len(f.groups), len(f.rules), kinds[kindNever], kinds[kindProtocol], kinds[kindPlain], kinds[kindMatched], kinds[kindFallback])
}

// probeOp records every value Coraza hands it (the variables a rule
// reads, transformed by Coraza itself); it never matches.
type probeOp struct{ id int }

var (
	registerProbe sync.Once
	probeMu       sync.Mutex
	probeSeen     = map[int][]string{}
)

func (p probeOp) Evaluate(_ plugintypes.TransactionState, v string) bool {
	probeMu.Lock()
	probeSeen[p.id] = append(probeSeen[p.id], v)
	probeMu.Unlock()
	return false
}

func probeWAF(t *testing.T, rules string) coraza.WAF {
	t.Helper()
	registerProbe.Do(func() {
		plugins.RegisterOperator("gardaProbe", func(o plugintypes.OperatorOptions) (plugintypes.Operator, error) {
			id, err := strconv.Atoi(o.Arguments)
			return probeOp{id}, err
		})
	})
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().WithDirectives("SecRuleEngine DetectionOnly\nSecRequestBodyAccess Off\n" + rules))
	if err != nil {
		t.Fatal(err)
	}
	return waf
}

// fastCorpus is the requests the differential tests replay: CRS's
// regression cases, the hostile sample and genlog's benign sample.
func fastCorpus(t *testing.T) []*event.Event {
	var evs []*event.Event
	for _, c := range regression(t) {
		if c.Skip == "" {
			evs = append(evs, c.Event())
		}
	}
	evs = append(evs, hostileSample(t)...)
	for _, l := range benignSample(t) {
		evs = append(evs, l.ev)
	}
	return evs
}

// TestTransformsMatchCoraza compares each transformation CRS uses
// (package transform, copied from Coraza) with Coraza's own, called
// through a one-rule transaction, on every argument value and name of the
// corpus and on 3,000 random byte strings.
func TestTransformsMatchCoraza(t *testing.T) {
	names := []string{"base64Decode", "cmdLine", "compressWhitespace", "cssDecode", "escapeSeqDecode",
		"hexDecode", "htmlEntityDecode", "jsDecode", "length", "lowercase", "normalizePath", "normalizePathWin",
		"removeComments", "removeCommentsChar", "removeNulls", "removeWhitespace", "replaceComments",
		"replaceNulls", "trim", "trimLeft", "trimRight", "uppercase", "urlDecode", "urlDecodeUni", "utf8toUnicode"}
	var rules strings.Builder
	for i, n := range names {
		fmt.Fprintf(&rules, "SecRule ARGS_GET:v \"@gardaProbe %d\" \"id:%d,phase:1,pass,nolog,t:none,t:%s\"\n", i, i+1, n)
	}
	waf := probeWAF(t, rules.String())
	var inputs []string
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var q fastReq
	for _, ev := range fastCorpus(t) {
		q.fill(d, ev)
		inputs = append(inputs, q.argValues...)
		inputs = append(inputs, q.argNames...)
		inputs = append(inputs, q.uriRaw, q.line)
	}
	inputs = append(inputs, randomStrings(7, 3000, 40, "%+&;\\/<>'\"` \t\n\r\x00\x0bAaZz09uUxX#*-_.()[]{}=:\xc2\xa0\xef\xbc\x9c\xff&#x;&lt")...)
	differ := 0
	for _, in := range inputs {
		probeMu.Lock()
		clear(probeSeen)
		probeMu.Unlock()
		tx := waf.NewTransaction()
		tx.ProcessURI("/", "GET", "HTTP/1.1")
		tx.AddGetRequestArgument("v", in)
		tx.ProcessRequestHeaders()
		tx.Close()
		for i, n := range names {
			f, ok := transform.Get(n)
			if !ok {
				t.Fatalf("no transformation %s", n)
			}
			got, _, err := f(in)
			if err != nil {
				got = in
			}
			want := probeSeen[i]
			if len(want) != 1 || want[0] != got {
				differ++
				if differ <= 10 {
					t.Errorf("t:%s on %q: ours %q, Coraza's %q", n, in, got, want)
				}
			}
		}
	}
	t.Logf("%d inputs, %d transformations: %d differ", len(inputs), len(names), differ)
}

// TestFastValuesMatchCoraza compares, for each of the evaluator's groups,
// the values the fast path reads (its variables as it fills them,
// transformed by package transform) with those Coraza hands the group's
// rule on the same request, as multisets, over the corpus.
func TestFastValuesMatchCoraza(t *testing.T) {
	d, err := New(Options{RemoveRules: SearchFalsePositives})
	if err != nil {
		t.Fatal(err)
	}
	f := d.fast
	if f == nil {
		t.Fatal("no fast path")
	}
	var rules strings.Builder
	for gi, g := range f.e.groups {
		fmt.Fprintf(&rules, "SecRule %s \"@gardaProbe %d\" \"id:%d,phase:%d,pass,nolog", g.vars, gi, gi+1, g.phase)
		for _, tr := range g.transforms {
			fmt.Fprintf(&rules, ",t:%s", tr)
		}
		if g.multiMatch {
			rules.WriteString(",multiMatch")
		}
		rules.WriteString("\"\n")
	}
	waf := probeWAF(t, rules.String())
	differ, values := 0, 0
	for _, ev := range fastCorpus(t) {
		probeMu.Lock()
		clear(probeSeen)
		probeMu.Unlock()
		tx := waf.NewTransaction()
		// As Detector.Inspect feeds Coraza.
		s := f.pool.Get().(*fastState)
		s.req.fill(d, ev)
		q := &s.req
		tx.ProcessConnection(q.remote, 0, "", 0)
		tx.ProcessURI(q.uriRaw, q.method, q.proto)
		for i, n := range q.hdrNames {
			tx.AddRequestHeader(n, q.hdrValues[i])
		}
		tx.SetServerName(hostName(q.hdrValues[0]))
		tx.ProcessRequestHeaders()
		_, _ = tx.ProcessRequestBody()
		tx.Close()
		s.begin(f.prefixes)
		for gi := range f.groups {
			g, eg := &f.groups[gi], f.e.groups[gi]
			var ours []string
			s.eachValue(g.sels, false, eg.multiMatch, g.chain, g.funcs, func(v string, _ int32) { ours = append(ours, v) })
			theirs := slices.Clone(probeSeen[gi])
			slices.Sort(ours)
			slices.Sort(theirs)
			values += len(theirs)
			if !slices.Equal(ours, theirs) {
				differ++
				if differ <= 10 {
					t.Errorf("%s %s, group %s %v: ours %q, Coraza's %q", q.method, q.uriRaw, eg.vars, eg.transforms, ours, theirs)
				}
			}
		}
		f.pool.Put(s)
	}
	t.Logf("%d values compared in %d groups: %d request-groups differ", values, len(f.groups), differ)
	if values == 0 {
		t.Fatal("no values")
	}
}

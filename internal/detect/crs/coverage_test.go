package crs

import (
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"

	"github.com/garda-id/garda/internal/event"
)

// probe is one synthetic request carrying a CRS phrase.
type probe struct {
	source, context, phrase string
	ev                      *event.Event
}

const probeUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"

// phraseProbes puts every phrase of CRS's phrase files, and every shell
// command CRS knows, into the places an access log shows: a query value,
// a query value followed by an argument, a parameter name, the path, the
// User-Agent (alone and inside a browser's comment) and the Referer.
func phraseProbes() ([]probe, error) {
	files := append(append([]string{}, targetPhraseFiles...), "scanners-user-agents.data", "unix-shell-builtins.data", "unix-shell-aliases.data")
	type src struct{ name, phrase string }
	var phrases []src
	seen := map[string]bool{}
	for _, f := range files {
		b, err := fs.ReadFile(coreruleset.FS, "@owasp_crs/"+f)
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") || seen[l] {
				continue
			}
			seen[l] = true
			phrases = append(phrases, src{f, l})
			if f == "unix-shell.data" && strings.Contains(l, "bin/") {
				cmd := l[strings.LastIndexByte(l, '/')+1:]
				if cmd != "" && !seen[cmd] {
					seen[cmd] = true
					phrases = append(phrases, src{"unix commands", cmd})
				}
			}
		}
	}
	for _, k := range targetKeywords {
		if !seen[k] {
			phrases = append(phrases, src{"keywords", k})
		}
	}
	var out []probe
	add := func(s src, ctx, method, target, ua, ref string) {
		ev := &event.Event{}
		ev.Set(event.SourceIP, "192.0.2.20")
		ev.Set(event.HTTPMethod, method)
		ev.Set(event.URLOriginal, target)
		ev.Set(event.HTTPVersion, "1.1")
		ev.Set(event.UserAgent, ua)
		ev.Set(event.Referrer, ref)
		out = append(out, probe{source: s.name, context: ctx, phrase: s.phrase, ev: ev})
	}
	for _, s := range phrases {
		q := url.QueryEscape(s.phrase)
		add(s, "value", "GET", "/cari?q="+q, probeUA, "-")
		add(s, "value+arg", "GET", "/cari?q="+q+"+x", probeUA, "-")
		add(s, "name", "GET", "/cari?"+q+"=1", probeUA, "-")
		add(s, "value/", "GET", "/cari?q=x/"+q, probeUA, "-")
		add(s, "path", "GET", "/"+strings.ReplaceAll(url.PathEscape(s.phrase), "%2F", "/"), probeUA, "-")
		add(s, "ua", "GET", "/", s.phrase, "-")
		add(s, "ua-product", "GET", "/", s.phrase+"/1.0", "-")
		add(s, "ua-product-x", "GET", "/", s.phrase+"-x/2.31.0 (linux)", "-")
		add(s, "ua-comment", "GET", "/", "Mozilla/5.0 (X11; "+s.phrase+") Gecko/20100101", "-")
		add(s, "referer", "GET", "/", probeUA, "https://example.com/cari?q="+q)
		add(s, "referer-path", "GET", "/", probeUA, "https://example.com/x/"+strings.ReplaceAll(url.PathEscape(s.phrase), "%2F", "/"))
	}
	return out, nil
}

// Every phrase CRS's phrase files hold, every shell command it knows and
// every keyword, in every place a log shows: where CRS judges the probe an
// attack, the prefilter must pass it. Only the probes the prefilter skips
// need CRS, so this costs seconds. The default level always; the others
// unless -short.
func TestPrefilterCoversPhrases(t *testing.T) {
	probes, err := phraseProbes()
	if err != nil {
		t.Fatal(err)
	}
	levels := []int{DefaultParanoiaLevel}
	if !testing.Short() && !raceEnabled {
		levels = []int{1, 2, 3, 4}
	}
	for _, pl := range levels {
		d := testDetector(t, pl)
		var skipped []probe
		for i, pr := range probes {
			if raceEnabled && i%10 != 0 {
				continue
			}
			if !d.Prefilter().Suspicious(pr.ev) {
				skipped = append(skipped, pr)
			}
		}
		var (
			mu   sync.Mutex
			lost []string
			next = make(chan probe)
			wg   sync.WaitGroup
		)
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for pr := range next {
					if r := d.Inspect(pr.ev); r.Attack {
						mu.Lock()
						lost = append(lost, fmt.Sprintf("%s %s %q %v", pr.source, pr.context, pr.phrase, r.RuleIDs))
						mu.Unlock()
					}
				}
			})
		}
		for _, pr := range skipped {
			next <- pr
		}
		close(next)
		wg.Wait()
		slices.Sort(lost)
		for _, l := range lost {
			t.Errorf("PL%d: the prefilter skips a probe CRS flags: %s", pl, l)
		}
		t.Logf("PL%d: %d probes, %d skipped by the prefilter, %d of those flagged by CRS", pl, len(probes), len(skipped), len(lost))
	}
}

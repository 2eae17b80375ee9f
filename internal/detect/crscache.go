package detect

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/garda-id/garda/internal/detect/crs"
	"github.com/garda-id/garda/internal/event"
)

// verdicts remembers CRS's verdict on requests already inspected. Attack
// traffic repeats itself (the same payloads from tools), and one Coraza
// evaluation costs about a millisecond, so a hit saves a thousand times
// its cost. The key is the whole request as CRS sees it, except that a
// path, user agent or referrer in which the prefilter sees nothing CRS
// could flag counts as "ordinary": CRS's verdict cannot turn on it. A cached
// verdict is thus the one CRS gives that very request, so whichever worker
// asked first, the answer is the same.
type verdicts struct {
	seed        maphash.Seed
	shards      [64]verdictShard
	hits, evals atomic.Int64
}

type verdictShard struct {
	mu sync.Mutex
	m  map[string]crs.Result
}

// maxVerdictsPerShard bounds memory: a full shard is emptied (the cache
// refills from the requests that matter now).
const (
	maxVerdictsPerShard = 2048
	maxVerdictKey       = 8 << 10
)

func newVerdicts() *verdicts {
	v := &verdicts{seed: maphash.MakeSeed()}
	for i := range v.shards {
		v.shards[i].m = map[string]crs.Result{}
	}
	return v
}

func verdictKey(pre *crs.Prefilter, ev *event.Event) string {
	var b strings.Builder
	target := ev.Get(event.URLOriginal)
	path, query, hasQuery := strings.Cut(target, "?")
	b.Grow(len(target) + len(ev.Get(event.UserAgent)) + len(ev.Get(event.Referrer)) + 32)
	b.WriteString(ev.Get(event.HTTPMethod))
	b.WriteByte(' ')
	if pre.OrdinaryPath(path) {
		b.WriteString("\x00ordinary") // a botnet's payload on every page is one verdict
	} else {
		b.WriteString(path)
	}
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(query)
	}
	b.WriteByte('\n')
	b.WriteString(ev.Get(event.HTTPVersion))
	b.WriteByte('\n')
	b.WriteString(ev.Get(event.URLDomain))
	ua, ref := ev.Get(event.UserAgent), ev.Get(event.Referrer)
	b.WriteByte('\n')
	if ua != "" && !pre.SuspiciousRequest("GET", "/", "HTTP/1.1", "localhost", ua, "-") {
		b.WriteString("\x00ordinary")
	} else {
		b.WriteString(ua)
	}
	b.WriteByte('\n')
	if ref != "" && ref != "-" && !pre.SuspiciousRequest("GET", "/", "HTTP/1.1", "localhost", "Mozilla/5.0", ref) {
		b.WriteString("\x00ordinary")
	} else {
		b.WriteString(ref)
	}
	return b.String()
}

// inspect returns CRS's verdict on a suspicious request, from the cache
// when the same request was seen.
func (v *verdicts) inspect(d *crs.Detector, pre *crs.Prefilter, ev *event.Event) crs.Result {
	key := verdictKey(pre, ev)
	sh := &v.shards[maphash.String(v.seed, key)%uint64(len(v.shards))]
	sh.mu.Lock()
	r, ok := sh.m[key]
	sh.mu.Unlock()
	if ok {
		v.hits.Add(1)
		return r
	}
	v.evals.Add(1)
	r = d.Inspect(ev)
	if len(key) > maxVerdictKey {
		return r // a huge request is not worth remembering
	}
	sh.mu.Lock()
	if len(sh.m) >= maxVerdictsPerShard {
		clear(sh.m)
	}
	sh.m[key] = r
	sh.mu.Unlock()
	return r
}

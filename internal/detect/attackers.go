package detect

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/detect/scenario"
)

// attackers remembers clients that CRS has confirmed as attacking. Once a
// client has sent confirmedAfter attacks within attackerWindow, its next
// suspicious requests count as attacks of the class it was confirmed for
// without another Coraza evaluation (about a millisecond each), and every
// reverifyEvery-th one is evaluated again so a change of tactic is seen.
// The alert a client raises counts its attempts either way; what this
// saves is the cost that a fuzzer's thousands of distinct payloads would
// otherwise put on one core.
type attackers struct {
	shards [32]attackerShard
}

type attackerShard struct {
	mu sync.Mutex
	m  map[netip.Addr]*attacker
}

type attacker struct {
	class     scenario.Class
	rules     []int
	confirmed int
	skipped   int
	until     int64 // event time after which the memory lapses
}

const (
	confirmedAfter  = 1
	reverifyEvery   = 16
	attackerWindow  = 10 * time.Minute
	maxAttackersPer = 4096 // per shard; a full shard is emptied
)

func newAttackers() *attackers {
	a := &attackers{}
	for i := range a.shards {
		a.shards[i].m = map[netip.Addr]*attacker{}
	}
	return a
}

func (a *attackers) shard(ip netip.Addr) *attackerShard {
	b := ip.As16()
	return &a.shards[(uint(b[15])^uint(b[14])<<1^uint(b[13])<<2)%uint(len(a.shards))]
}

// known returns the class and rules to count a suspicious request of a
// confirmed attacker with, or ok=false when CRS must look at it.
func (a *attackers) known(ip netip.Addr, now int64) (scenario.Class, []int, bool) {
	if !ip.IsValid() {
		return 0, nil, false
	}
	sh := a.shard(ip)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	at := sh.m[ip]
	if at == nil || now > at.until || at.confirmed < confirmedAfter || at.skipped >= reverifyEvery-1 {
		return 0, nil, false
	}
	at.skipped++
	return at.class, at.rules, true
}

// confirm records a CRS-confirmed attack.
func (a *attackers) confirm(ip netip.Addr, now int64, class scenario.Class, rules []int) {
	if !ip.IsValid() || class == 0 {
		return
	}
	sh := a.shard(ip)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	at := sh.m[ip]
	if at == nil || now > at.until {
		if len(sh.m) >= maxAttackersPer {
			clear(sh.m)
		}
		at = &attacker{}
		sh.m[ip] = at
	}
	at.confirmed++
	at.skipped = 0
	at.class, at.rules = class, slices.Clone(rules) // known() hands out the old slice
	at.until = now + int64(attackerWindow)
}

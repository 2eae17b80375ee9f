package rpz

import (
	"bytes"
	"context"
	"sync"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/store"
)

// zoneCache keeps the last zone this instance built, by serial: a hundred
// resolvers fetching the same serial cost one read of the blocklist, and
// asking for the serial is one row. A change anywhere moves the serial,
// so a stale zone is never served.
type zoneCache struct {
	mu     sync.Mutex
	serial uint32
	text   []byte   // the master file (HTTP)
	rrs    []dns.RR // the AXFR's records
	built  bool
	timers Timers
}

// current returns the zone at the current serial, building it when the
// serial moved. Callers must not change what it returns.
func (c *zoneCache) current(ctx context.Context, db *store.DB, wantText bool) (uint32, []byte, []dns.RR, error) {
	serial, err := Serial(ctx, db)
	if err != nil {
		return 0, nil, nil, err
	}
	c.mu.Lock()
	if c.built && c.serial == serial && (!wantText || c.text != nil) && (wantText || c.rrs != nil) {
		s, text, rrs := c.serial, c.text, c.rrs
		c.mu.Unlock()
		return s, text, rrs, nil
	}
	c.mu.Unlock()
	serial, entries, err := snapshot(ctx, db)
	if err != nil {
		return 0, nil, nil, err
	}
	var text []byte
	var rrs []dns.RR
	if wantText {
		var b bytes.Buffer
		b.Grow(len(entries) * 80)
		if err := c.timers.WriteZone(&b, serial, entries); err != nil {
			return 0, nil, nil, err
		}
		text = b.Bytes()
	} else {
		soa := c.timers.SOA(serial)
		rrs = make([]dns.RR, 0, 2*len(entries)+3)
		rrs = append(rrs, soa, c.timers.ns())
		for _, e := range entries {
			rrs = append(rrs, c.timers.records(e.Domain, e.Policy, e.Target)...)
		}
		rrs = append(rrs, soa)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.built || newer(serial, c.serial) {
		c.serial, c.text, c.rrs, c.built = serial, nil, nil, true
	}
	if c.serial == serial {
		if text != nil {
			c.text = text
		}
		if rrs != nil {
			c.rrs = rrs
		}
	}
	return serial, text, rrs, nil
}

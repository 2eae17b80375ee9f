package decision

import (
	"fmt"
	"net/netip"
	"strings"
)

// Scopes, spelled as CrowdSec spells them on the wire.
const (
	ScopeIP    = "Ip"
	ScopeRange = "Range"
)

// The widest ranges a decision may block, and an allow-list entry may
// lift. A ban on a /8 would take a province's mobile network off the voter
// lookup, and an entry as wide (0.0.0.0/1 and 128.0.0.0/1 together) would
// end every block at once: a person who needs more than this makes several
// on purpose.
const (
	minBitsV4 = 16
	minBitsV6 = 32
)

// Target is what a decision or an allow-list entry applies to: one address
// or a CIDR range, kept as a masked prefix (a single address is a /32 or
// /128). IPv4-mapped IPv6 addresses are unmapped, so ::ffff:192.0.2.7 and
// 192.0.2.7 are the same target.
type Target struct {
	prefix netip.Prefix
}

// ParseTarget reads an IP address or a CIDR range. Host bits of a range
// are cleared (192.0.2.7/24 is 192.0.2.0/24); zones are refused.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, fmt.Errorf("empty address")
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Target{}, fmt.Errorf("%q is not an IP address or CIDR range", s)
		}
		addr, bits := p.Addr(), p.Bits()
		if addr.Is4In6() {
			if bits < 96 {
				return Target{}, fmt.Errorf("%q is not an IP address or CIDR range", s)
			}
			addr, bits = addr.Unmap(), bits-96
		}
		return Target{prefix: netip.PrefixFrom(addr, bits).Masked()}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return Target{}, fmt.Errorf("%q is not an IP address or CIDR range", s)
	}
	a = a.Unmap()
	return Target{prefix: netip.PrefixFrom(a, a.BitLen())}, nil
}

// Single reports whether the target is one address.
func (t Target) Single() bool { return t.prefix.Bits() == t.prefix.Addr().BitLen() }

// String is the canonical form: "192.0.2.7", "2001:db8::/32".
func (t Target) String() string {
	if t.Single() {
		return t.prefix.Addr().String()
	}
	return t.prefix.String()
}

// Scope is ScopeIP for one address, ScopeRange otherwise.
func (t Target) Scope() string {
	if t.Single() {
		return ScopeIP
	}
	return ScopeRange
}

// size is 4 or 16, the address family as CrowdSec's ip_size.
func (t Target) size() int {
	if t.prefix.Addr().Is4() {
		return 4
	}
	return 16
}

// bounds are the first and last address of the target, 16 bytes each
// (IPv4 in its mapped form), so both engines order them bytewise.
func (t Target) bounds() (start, end []byte) {
	a := t.prefix.Addr().As16()
	bits := t.prefix.Bits()
	if t.prefix.Addr().Is4() {
		bits += 96
	}
	first, last := a, a
	for i := bits; i < 128; i++ {
		last[i/8] |= 1 << (7 - uint(i%8))
	}
	return first[:], last[:]
}

// Overlaps reports whether the two targets share an address.
func (t Target) Overlaps(o Target) bool { return t.prefix.Overlaps(o.prefix) }

// Contains reports whether every address of o lies in t.
func (t Target) Contains(o Target) bool {
	return t.prefix.Bits() <= o.prefix.Bits() && t.prefix.Contains(o.prefix.Addr())
}

// tooWide refuses ranges wider than the limits above, for decisions and
// allow-list entries alike.
func (t Target) tooWide() error {
	a := t.prefix.Addr()
	switch {
	case a.Is4() && t.prefix.Bits() < minBitsV4:
		return fmt.Errorf("%s is wider than /%d: use smaller ranges", t, minBitsV4)
	case a.Is6() && t.prefix.Bits() < minBitsV6:
		return fmt.Errorf("%s is wider than /%d: use smaller ranges", t, minBitsV6)
	}
	return nil
}

// blockable refuses what no decision may block: ranges wider than the
// limits above, and addresses that are never a remote client.
func (t Target) blockable() error {
	if err := t.tooWide(); err != nil {
		return err
	}
	switch a := t.prefix.Addr(); {
	case a.IsLoopback(), a.IsUnspecified(), a.IsMulticast():
		return fmt.Errorf("%s is a loopback, unspecified or multicast address: it is never a remote client", t)
	}
	return nil
}

package fetch

import (
	"fmt"
	"net"
	"net/netip"
)

// Policy is the set of networks Garda may connect to: an address is
// allowed when some Allow prefix holds it and no Deny prefix does.
type Policy struct {
	Allow []netip.Prefix
	Deny  []netip.Prefix
}

// LoopbackOnly is the policy of tests and the demo: 127.0.0.0/8 and ::1.
func LoopbackOnly() Policy {
	return Policy{Allow: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
	}}
}

// PublicInternet allows every public address and denies the networks a
// platform's own services live in (RFC 1918, loopback, link-local and the
// cloud metadata address, CGNAT, ULA, multicast, reserved): an outside
// site's redirect or DNS answer must never lead a scan into them.
func PublicInternet() Policy {
	deny := []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b::/96", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	}
	p := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}
	for _, d := range deny {
		p.Deny = append(p.Deny, netip.MustParsePrefix(d))
	}
	return p
}

// ParsePolicy reads a comma-free list of CIDR prefixes to allow.
func ParsePolicy(allow ...string) (Policy, error) {
	var p Policy
	for _, a := range allow {
		pr, err := netip.ParsePrefix(a)
		if err != nil {
			return Policy{}, fmt.Errorf("fetch: allowed network %q: %w", a, err)
		}
		p.Allow = append(p.Allow, pr.Masked())
	}
	return p, nil
}

// Permits reports whether Garda may connect to addr.
func (p Policy) Permits(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	for _, d := range p.Deny {
		if d.Contains(addr) {
			return false
		}
	}
	for _, a := range p.Allow {
		if a.Contains(addr) {
			return true
		}
	}
	return false
}

// DeniedError says that a connection was refused because its resolved
// address lies outside the Policy.
type DeniedError struct{ Addr string }

func (e *DeniedError) Error() string {
	return fmt.Sprintf("fetch: address %s is outside the networks Garda may reach", e.Addr)
}

// check is called with the resolved "ip:port" just before connecting.
func (p Policy) check(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &DeniedError{Addr: address}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !p.Permits(ip) {
		return &DeniedError{Addr: address}
	}
	return nil
}

package rpz

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/garda-id/garda/internal/problem"
)

// MaxDomainLen bounds a blocked domain. A DNS name is at most 253
// characters; in the zone the domain sits under "*." and the origin
// (".garda.rpz."), which must fit too.
const MaxDomainLen = 253 - len(".") - len(Origin) - len("*.")

// profile is IDNA 2008 as resolvers look names up (UTS #46 mapping,
// non-transitional), strict about what a host name may hold.
var profile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.BidiRule(),
	idna.ValidateLabels(true), idna.StrictDomainName(true), idna.VerifyDNSLength(true))

// NormalizeDomain turns what a person typed into the form the zone holds:
// lower-case ASCII (punycode for internationalised names), no trailing dot.
// It refuses what must never be blocked by name: wildcards (a block covers
// the subdomains already), addresses, a TLD alone, the root, URLs.
func NormalizeDomain(s string) (string, error) {
	return normalize("domain", s)
}

func normalize(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", problem.Field(field, "the domain is not valid UTF-8 text")
	case s == "" || s == ".":
		return "", problem.Field(field, "give a domain name, e.g. contoh-hoaks.com (the root cannot be blocked)")
	case strings.Contains(s, "*"):
		return "", problem.Field(field, "%q: no wildcards; blocking a domain blocks its subdomains too", s)
	case strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@ \t"):
		return "", problem.Field(field, "%q is not a domain name: give the host only (contoh.com, not https://contoh.com/page)", clip(s))
	}
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil || strings.HasPrefix(s, "[") {
		return "", problem.Field(field, "%q is an IP address: the DNS blocklist takes domain names", s)
	}
	s = strings.TrimSuffix(s, ".")
	if len(s) > 4*MaxDomainLen { // before the IDNA work on hostile input
		return "", problem.Field(field, "the domain is too long (at most %d characters)", MaxDomainLen)
	}
	a, err := profile.ToASCII(s)
	if err != nil {
		return "", problem.Field(field, "%q is not a valid domain name: %v", clip(s), err)
	}
	a = strings.ToLower(a)
	// A name must read back as itself: U+FFFD from broken UTF-8, or a
	// punycode label that does not decode, would otherwise slip through.
	if b, err := profile.ToASCII(a); err != nil || b != a {
		return "", problem.Field(field, "%q is not a valid domain name", clip(s))
	}
	if len(a) > MaxDomainLen {
		return "", problem.Field(field, "the domain is too long: %d characters, at most %d", len(a), MaxDomainLen)
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 {
		return "", problem.Field(field, "%q is a top-level domain alone: block a domain under it", s)
	}
	for _, l := range labels {
		if l == "" {
			return "", problem.Field(field, "%q has an empty label", clip(s))
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return "", problem.Field(field, "%q ends in a number: not a domain name", clip(s))
	}
	if a == Origin || strings.HasSuffix(a, "."+Origin) {
		return "", problem.Field(field, "%q is inside the policy zone itself", a)
	}
	return a, nil
}

func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "..."
	}
	return s
}

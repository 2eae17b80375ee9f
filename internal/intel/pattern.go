package intel

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Kind is the type of value an indicator looks for.
type Kind string

// The kinds Garda builds indicators of. Each maps to a STIX pattern the
// specification allows and OASIS's pattern validator accepts.
const (
	IPv4      Kind = "ipv4-addr" // an address or a CIDR range
	IPv6      Kind = "ipv6-addr" // an address or a CIDR range
	Domain    Kind = "domain-name"
	URL       Kind = "url"
	Email     Kind = "email-addr"
	MD5       Kind = "file:MD5"
	SHA1      Kind = "file:SHA-1"
	SHA256    Kind = "file:SHA-256"
	UserAgent Kind = "user-agent" // network-traffic's http-request-ext User-Agent header
)

// Kinds lists the kinds.
var Kinds = []Kind{IPv4, IPv6, Domain, URL, Email, MD5, SHA1, SHA256, UserAgent}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// MaxValue bounds a value's length in bytes.
const MaxValue = 2048

var (
	techniqueRE = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	capecRE     = regexp.MustCompile(`^CAPEC-\d{1,6}$`)
	cveRE       = regexp.MustCompile(`^CVE-\d{4}-\d{4,7}$`)
	emailRE     = regexp.MustCompile(`^[^\s@\\]{1,64}@[^\s@'\\]+$`)
)

// Normalize checks value as a kind and returns its canonical form: addresses
// and ranges as netip prints them (a range's host bits must be zero), domain
// names in lower case without the trailing dot, hashes in lower-case hex. A
// value that is not one gets an error saying why.
func Normalize(k Kind, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", fmt.Errorf("empty value")
	}
	if len(v) > MaxValue {
		return "", fmt.Errorf("value longer than %d bytes", MaxValue)
	}
	if !printable(v) {
		return "", fmt.Errorf("value holds invalid UTF-8 or control characters")
	}
	switch k {
	case IPv4, IPv6:
		want4 := k == IPv4
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil || p.Addr().Zone() != "" {
				return "", fmt.Errorf("%q is not a CIDR range", v)
			}
			if p.Addr().Is4() != want4 || p.Addr().Is4In6() {
				return "", fmt.Errorf("%q is not an %s range", v, k)
			}
			if p.Masked() != p {
				return "", fmt.Errorf("%q has host bits set (the range is %s)", v, p.Masked())
			}
			if p.IsSingleIP() {
				return p.Addr().String(), nil
			}
			return canonical(v, p.AppendTo), nil
		}
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			return "", fmt.Errorf("%q is not an IP address", v)
		}
		if a.Is4() != want4 || a.Is4In6() {
			return "", fmt.Errorf("%q is not an %s", v, k)
		}
		return canonical(v, a.AppendTo), nil
	case Domain:
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		if len(d) > 253 || !strings.Contains(d, ".") {
			return "", fmt.Errorf("%q is not a fully qualified domain name", v)
		}
		for rest := d; ; {
			l, more, found := strings.Cut(rest, ".")
			if !validLabel(l) {
				return "", fmt.Errorf("%q is not a domain name (label %q)", v, l)
			}
			if !found {
				break
			}
			rest = more
		}
		return d, nil
	case URL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ftp") || u.Host == "" {
			return "", fmt.Errorf("%q is not an absolute http, https or ftp URL", v)
		}
		if strings.ContainsAny(v, " \t") {
			return "", fmt.Errorf("%q holds spaces", v)
		}
		return v, nil
	case Email:
		if !emailRE.MatchString(v) {
			return "", fmt.Errorf("%q is not an e-mail address", v)
		}
		at := strings.LastIndexByte(v, '@')
		d, err := Normalize(Domain, v[at+1:])
		if err != nil {
			return "", fmt.Errorf("%q is not an e-mail address: %w", v, err)
		}
		return v[:at+1] + d, nil
	case MD5, SHA1, SHA256:
		n := map[Kind]int{MD5: 32, SHA1: 40, SHA256: 64}[k]
		h := strings.ToLower(v)
		if _, err := hex.DecodeString(h); err != nil || len(h) != n {
			return "", fmt.Errorf("%q is not a %s hash (%d hex digits)", v, strings.TrimPrefix(string(k), "file:"), n)
		}
		return h, nil
	case UserAgent:
		return v, nil
	}
	return "", fmt.Errorf("unknown kind %q (one of %s)", k, kindList())
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// quote is a STIX pattern string literal: single quotes, with backslash and
// quote escaped (STIX 2.1 section 9.2).
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Pattern is the STIX pattern that matches a normalised value of kind k.
// Ranges use ISSUBSET, the operator the specification gives for CIDR.
func Pattern(k Kind, v string) string {
	switch k {
	case IPv4, IPv6:
		if strings.Contains(v, "/") {
			return "[" + string(k) + ":value ISSUBSET " + quote(v) + "]"
		}
		return "[" + string(k) + ":value = " + quote(v) + "]"
	case Domain, URL, Email:
		return "[" + string(k) + ":value = " + quote(v) + "]"
	case MD5, SHA1, SHA256:
		return "[file:hashes." + quote(strings.TrimPrefix(string(k), "file:")) + " = " + quote(v) + "]"
	case UserAgent:
		return "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = " + quote(v) + "]"
	}
	return ""
}

// ObservableOf is the cyber-observable of a value, with its deterministic
// id; nil for kinds that have none on their own (a range, a user agent: the
// first is not one address, the second lives inside network-traffic, which
// needs an endpoint Garda may not know).
func ObservableOf(k Kind, v string) *Observable {
	switch k {
	case IPv4, IPv6, Domain, URL, Email:
		if (k == IPv4 || k == IPv6) && strings.Contains(v, "/") {
			return nil
		}
		return &Observable{Type: string(k), ID: scoID(string(k), map[string]any{"value": v}), SpecVersion: SpecVersion, Props: map[string]any{"value": v}}
	case MD5, SHA1, SHA256:
		hashes := map[string]any{strings.TrimPrefix(string(k), "file:"): v}
		return &Observable{Type: "file", ID: scoID("file", map[string]any{"hashes": hashes}), SpecVersion: SpecVersion, Props: map[string]any{"hashes": hashes}}
	}
	return nil
}

// printable is whether v is valid UTF-8 without control characters; ASCII
// (almost every value) is checked a byte at a time, without decoding.
func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			return utf8.ValidString(v) && !strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f })
		}
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// validLabel is whether l is a domain label: 1 to 63 of [a-z0-9-], not
// beginning or ending with '-' (once the regular expression
// ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$, a tenth of the load of 100,000
// indicators).
func validLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// canonical is v when appendTo writes it as it is (the usual case: no new
// string), else what appendTo writes.
func canonical(v string, appendTo func([]byte) []byte) string {
	var buf [64]byte
	b := appendTo(buf[:0])
	if string(b) == v {
		return v
	}
	return string(b)
}

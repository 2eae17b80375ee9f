package intel

import (
	"fmt"
	"strings"
)

// ParsePattern reads back a pattern of the forms Pattern writes: one
// comparison of one value ([ipv4-addr:value = '...'], ISSUBSET for ranges,
// file hashes, the User-Agent header), and returns its kind and normalised
// value. Other STIX patterns (several comparisons, qualifiers) are valid
// STIX that Garda does not hold as one-value indicators yet; they get an
// error saying so.
func ParsePattern(p string) (Kind, string, error) {
	s := strings.TrimSpace(p)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return "", "", fmt.Errorf("pattern %q: not one observation expression in brackets", short(p))
	}
	body := strings.TrimSpace(s[1 : len(s)-1])
	// The literal is the last token: a quoted string ending the body.
	if !strings.HasSuffix(body, "'") {
		return "", "", fmt.Errorf("pattern %q: the comparison does not end in a string literal", short(p))
	}
	start, value, err := lastLiteral(body)
	if err != nil {
		return "", "", fmt.Errorf("pattern %q: %w", short(p), err)
	}
	lhs := strings.TrimSpace(body[:start])
	var path, op string
	switch {
	case strings.HasSuffix(lhs, " ISSUBSET"):
		path, op = strings.TrimSpace(strings.TrimSuffix(lhs, " ISSUBSET")), "ISSUBSET"
	case strings.HasSuffix(lhs, "="):
		path, op = strings.TrimSpace(strings.TrimSuffix(lhs, "=")), "="
	default:
		return "", "", fmt.Errorf("pattern %q: Garda holds single comparisons with = or ISSUBSET only", short(p))
	}
	var k Kind
	switch path {
	case "ipv4-addr:value":
		k = IPv4
	case "ipv6-addr:value":
		k = IPv6
	case "domain-name:value":
		k = Domain
	case "url:value":
		k = URL
	case "email-addr:value":
		k = Email
	case "file:hashes.'MD5'", "file:hashes.MD5":
		k = MD5
	case "file:hashes.'SHA-1'":
		k = SHA1
	case "file:hashes.'SHA-256'":
		k = SHA256
	case "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'":
		k = UserAgent
	default:
		return "", "", fmt.Errorf("pattern %q: Garda does not hold indicators on %s", short(p), path)
	}
	if op == "ISSUBSET" && k != IPv4 && k != IPv6 {
		return "", "", fmt.Errorf("pattern %q: ISSUBSET is for address ranges", short(p))
	}
	v, err := Normalize(k, value)
	if err != nil {
		return "", "", fmt.Errorf("pattern %q: %w", short(p), err)
	}
	if op == "=" && (k == IPv4 || k == IPv6) && strings.Contains(v, "/") {
		return "", "", fmt.Errorf("pattern %q: a range needs ISSUBSET", short(p))
	}
	return k, v, nil
}

// lastLiteral finds the string literal that ends s: its start and its
// unescaped value. Backslash escapes only a quote or a backslash.
func lastLiteral(s string) (int, string, error) {
	// Scan forward to find literals; the last one must end at len(s).
	i, start, val := 0, -1, ""
	for i < len(s) {
		if s[i] != '\'' {
			i++
			continue
		}
		start = i
		var b strings.Builder
		i++
		closed := false
		for i < len(s) {
			c := s[i]
			if c == '\\' {
				if i+1 >= len(s) || (s[i+1] != '\'' && s[i+1] != '\\') {
					return 0, "", fmt.Errorf("bad escape in string literal")
				}
				b.WriteByte(s[i+1])
				i += 2
				continue
			}
			if c == '\'' {
				closed = true
				i++
				break
			}
			b.WriteByte(c)
			i++
		}
		if !closed {
			return 0, "", fmt.Errorf("unterminated string literal")
		}
		val = b.String()
		if i == len(s) {
			return start, val, nil
		}
	}
	return 0, "", fmt.Errorf("no string literal")
}

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

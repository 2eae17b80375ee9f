// Package decode turns a logged request target into what the application
// reads from it: '+' in the query as a space (HTML forms encode spaces so),
// and percent-encodings undone until none is left (a payload encoded
// twice, %2527 or %252e%252e, reaches an application that decodes twice),
// and overlong UTF-8 read as the ASCII it spells ("%c0%ae%c0%ae%c0%af" is
// "../" to a decoder that does not reject it, as old IIS and some Java
// decoders did),
// so that every rule family sees the attacker's words whichever way a
// client encoded them. It only decodes; it must never judge, and never
// allocate when there is nothing to decode.
package decode

import (
	"strings"
	"unicode/utf8"
)

// MaxRounds bounds how many times a value is percent-decoded: three
// rounds undo a triple encoding, and no application decodes more.
const MaxRounds = 3

// Encoded reports whether a target holds anything Target would change.
func Encoded(target string) bool {
	return strings.IndexByte(target, '%') >= 0 || strings.IndexByte(target, '+') >= 0
}

// Target decodes a request target: its path percent-decoded, its query
// with '+' as space and percent-decoded, each up to MaxRounds times. ok is
// false (and the target returned as it is) when nothing changed.
func Target(target string) (decoded string, ok bool) {
	if !Encoded(target) {
		return target, false
	}
	path, query, hasQuery := strings.Cut(target, "?")
	p := Value(path, false)
	if !hasQuery {
		return p, p != target
	}
	q := Value(query, true)
	out := p + "?" + q
	return out, out != target
}

// Value decodes one part of a target; form says '+' means a space (a
// query), which holds in the first round only: a '+' that decoding
// produced ("%2B") is the character the client meant.
func Value(s string, form bool) string {
	if form && strings.IndexByte(s, '+') >= 0 {
		s = strings.ReplaceAll(s, "+", " ")
	}
	for range MaxRounds {
		d, changed := percent(s)
		if !changed {
			break
		}
		s = d
	}
	return overlong(s)
}

// overlong replaces overlong UTF-8 forms of ASCII (two bytes C0 or C1 and a
// continuation byte; three bytes E0, 80-81 and a continuation byte) with
// the ASCII byte; anything else stays as it is.
func overlong(s string) string {
	i := 0
	for i < len(s) && s[i] != 0xc0 && s[i] != 0xc1 && s[i] != 0xe0 {
		i++
	}
	var b []byte
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case (c == 0xc0 || c == 0xc1) && i+1 < len(s) && s[i+1]&0xc0 == 0x80:
			if b == nil {
				b = append(make([]byte, 0, len(s)), s[:i]...)
			}
			b = append(b, (c&1)<<6|s[i+1]&0x3f)
			i++
			continue
		case c == 0xe0 && i+2 < len(s) && (s[i+1] == 0x80 || s[i+1] == 0x81) && s[i+2]&0xc0 == 0x80:
			if b == nil {
				b = append(make([]byte, 0, len(s)), s[:i]...)
			}
			b = append(b, (s[i+1]&1)<<6|s[i+2]&0x3f)
			i += 2
			continue
		}
		if b != nil {
			b = append(b, c)
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// percent undoes one round of %XX and IIS's %uXXXX; a '%' that starts
// neither stays as it is.
func percent(s string) (string, bool) {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s, false
	}
	var b []byte
	changed := false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 < len(s) && hex(s[i+1]) >= 0 && hex(s[i+2]) >= 0 {
				if b == nil {
					b = append(make([]byte, 0, len(s)), s[:i]...)
				}
				b = append(b, byte(hex(s[i+1])<<4|hex(s[i+2])))
				i += 2
				changed = true
				continue
			}
			if i+5 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') && hex(s[i+2]) >= 0 && hex(s[i+3]) >= 0 && hex(s[i+4]) >= 0 && hex(s[i+5]) >= 0 {
				if b == nil {
					b = append(make([]byte, 0, len(s)), s[:i]...)
				}
				r := rune(hex(s[i+2])<<12 | hex(s[i+3])<<8 | hex(s[i+4])<<4 | hex(s[i+5]))
				b = utf8.AppendRune(b, r)
				i += 5
				changed = true
				continue
			}
		}
		if b != nil {
			b = append(b, c)
		}
	}
	if !changed {
		return s, false
	}
	return string(b), true
}

func hex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

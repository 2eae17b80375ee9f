package format

import (
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A small strict JSON reader for one object per line. encoding/json would
// decode each line into a map of interfaces, a few dozen allocations for
// fields the parser then drops; this walks the text once and hands out the
// scalar leaves with their dotted paths, cut from the line without copying.

var (
	errJSON      = errors.New("json: malformed")
	errJSONDepth = errors.New("json: nested too deep")
	errJSONTop   = errors.New("json: not an object")
)

const (
	jsonMaxDepth = 64
	jsonMaxPath  = 256
)

type jsonKind uint8

const (
	jsonEnd jsonKind = iota // no more leaves
	jsonString
	jsonNumber
	jsonBool
	jsonNull
)

// jsonLeaf is one scalar value of the object.
type jsonLeaf struct {
	kind    jsonKind
	raw     string // a string's content between its quotes (escapes not undone), or the literal
	escaped bool   // raw holds a backslash escape
	inArray bool   // the value is an element of an array
}

// text is the leaf's value as text: a string unescaped, a number or a
// literal as written.
func (l jsonLeaf) text() string {
	if l.kind == jsonString && l.escaped {
		return jsonUnescape(l.raw)
	}
	return l.raw
}

type jsonFrame struct {
	array bool
	base  int  // length of the container's own path; -1 when too long to keep
	first bool // no member read yet
}

// jsonScanner walks one JSON object. A leaf's path joins the keys from the
// top with dots, arrays adding nothing: {"a":{"b":[{"c":1}]}} has the leaf
// "a.b.c". A key that is itself dotted ({"source.ip":...}) reads the same
// as nested objects, which is what ECS means by it.
type jsonScanner struct {
	s     string
	i     int
	depth int
	done  bool
	plen  int // length of path; -1 when the path is too long to keep
	path  [jsonMaxPath]byte
	stack [jsonMaxDepth]jsonFrame
}

func (sc *jsonScanner) init(s string) {
	sc.s, sc.i, sc.depth, sc.done, sc.plen = s, 0, 0, false, 0
}

// pathBytes is the current leaf's path, valid until the next call to
// next; nil (which names no field) when too long to keep.
func (sc *jsonScanner) pathBytes() []byte {
	if sc.plen < 0 {
		return nil
	}
	return sc.path[:sc.plen]
}

func (sc *jsonScanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// next returns the next leaf, a leaf of kind jsonEnd after the object's
// close (when nothing but white space follows it), or an error.
func (sc *jsonScanner) next() (jsonLeaf, error) {
	if sc.done {
		return jsonLeaf{}, nil
	}
	if sc.depth == 0 {
		sc.ws()
		if sc.i >= len(sc.s) || sc.s[sc.i] != '{' {
			return jsonLeaf{}, errJSONTop
		}
		sc.i++
		sc.stack[0] = jsonFrame{base: 0, first: true}
		sc.depth = 1
	}
	for {
		f := &sc.stack[sc.depth-1]
		sc.ws()
		if sc.i >= len(sc.s) {
			return jsonLeaf{}, errJSON
		}
		c := sc.s[sc.i]
		if (f.array && c == ']') || (!f.array && c == '}') {
			sc.i++
			sc.depth--
			if sc.depth == 0 {
				sc.ws()
				if sc.i != len(sc.s) {
					return jsonLeaf{}, errJSON
				}
				sc.done = true
				return jsonLeaf{}, nil
			}
			continue
		}
		if !f.first {
			if c != ',' {
				return jsonLeaf{}, errJSON
			}
			sc.i++
			sc.ws()
			if sc.i < len(sc.s) && (sc.s[sc.i] == '}' || sc.s[sc.i] == ']') {
				return jsonLeaf{}, errJSON // a trailing comma
			}
		}
		f.first = false
		sc.plen = f.base
		if !f.array {
			if err := sc.key(f.base); err != nil {
				return jsonLeaf{}, err
			}
			sc.ws()
			if sc.i >= len(sc.s) || sc.s[sc.i] != ':' {
				return jsonLeaf{}, errJSON
			}
			sc.i++
			sc.ws()
		}
		if sc.i >= len(sc.s) {
			return jsonLeaf{}, errJSON
		}
		switch sc.s[sc.i] {
		case '{', '[':
			if sc.depth == jsonMaxDepth {
				return jsonLeaf{}, errJSONDepth
			}
			sc.stack[sc.depth] = jsonFrame{array: sc.s[sc.i] == '[', base: sc.plen, first: true}
			sc.depth++
			sc.i++
			continue
		}
		leaf, err := sc.scalar()
		leaf.inArray = f.array
		return leaf, err
	}
}

// key reads an object key and appends it to the path at base.
func (sc *jsonScanner) key(base int) error {
	if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
		return errJSON
	}
	raw, escaped, err := sc.str()
	if err != nil {
		return err
	}
	if base < 0 {
		sc.plen = -1
		return nil
	}
	k := raw
	if escaped {
		k = jsonUnescape(raw) // rare: a key with an escape
	}
	n := base
	if n > 0 {
		n++
	}
	if n+len(k) > jsonMaxPath {
		sc.plen = -1
		return nil
	}
	if base > 0 {
		sc.path[base] = '.'
	}
	copy(sc.path[n:], k)
	sc.plen = n + len(k)
	return nil
}

// str reads a string at s[i] (a quote) and returns its content.
func (sc *jsonScanner) str() (string, bool, error) {
	s := sc.s
	start := sc.i + 1
	escaped := false
	for i := start; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			sc.i = i + 1
			return s[start:i], escaped, nil
		case c == '\\':
			escaped = true
			i++
			if i >= len(s) {
				return "", false, errJSON
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(s) || !isHex4(s[i+1:i+5]) {
					return "", false, errJSON
				}
				i += 4
			default:
				return "", false, errJSON
			}
		case c < 0x20:
			return "", false, errJSON
		}
	}
	return "", false, errJSON
}

func (sc *jsonScanner) scalar() (jsonLeaf, error) {
	s := sc.s
	switch c := s[sc.i]; {
	case c == '"':
		raw, esc, err := sc.str()
		return jsonLeaf{kind: jsonString, raw: raw, escaped: esc}, err
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if strings.HasPrefix(s[sc.i:], lit) {
				sc.i += len(lit)
				kind := jsonBool
				if lit == "null" {
					kind = jsonNull
				}
				return jsonLeaf{kind: kind, raw: lit}, nil
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		start := sc.i
		i := start
		if s[i] == '-' {
			i++
		}
		switch {
		case i < len(s) && s[i] == '0':
			i++
		case i < len(s) && s[i] >= '1' && s[i] <= '9':
			i = skipDigits(s, i)
		default:
			return jsonLeaf{}, errJSON
		}
		if i < len(s) && s[i] == '.' {
			j := skipDigits(s, i+1)
			if j == i+1 {
				return jsonLeaf{}, errJSON
			}
			i = j
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			i++
			if i < len(s) && (s[i] == '+' || s[i] == '-') {
				i++
			}
			j := skipDigits(s, i)
			if j == i {
				return jsonLeaf{}, errJSON
			}
			i = j
		}
		sc.i = i
		return jsonLeaf{kind: jsonNumber, raw: s[start:i]}, nil
	}
	return jsonLeaf{}, errJSON
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

func hex4(s string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// jsonUnescape undoes the escapes of a string the scanner has checked. A
// lone surrogate becomes U+FFFD, as encoding/json does.
func jsonUnescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 >= len(s) {
				b.WriteRune(utf8.RuneError)
				i = len(s)
				continue
			}
			r := hex4(s[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' && isHex4(s[i+3:i+7]) {
					if r2 := utf16.DecodeRune(r, hex4(s[i+3:])); r2 != utf8.RuneError {
						b.WriteRune(r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default: // '"', '\\', '/'
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

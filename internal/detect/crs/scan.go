package crs

import "strings"

// Byte classes of the prefilter's scans.
const (
	bSpecial = iota // always suspicious
	bWord           // ASCII letter or digit: part of a word
	bSep            // a plain separator: ends a word
	bPct            // '%': a percent-encoding follows
)

// targetClass classifies the bytes of a request target; agentClass those
// of a User-Agent, where parentheses, semicolons, colons and spaces are
// ordinary ("Mozilla/5.0 (Windows NT 10.0; Win64; x64)").
var targetClass, agentClass [256]uint8

// lowerByte folds ASCII letters; the word hash is over folded bytes.
var lowerByte [256]byte

func init() {
	for c := range 256 {
		lowerByte[c] = byte(c)
		switch {
		case c >= 'A' && c <= 'Z':
			lowerByte[c] = byte(c) + 32
			targetClass[c], agentClass[c] = bWord, bWord
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			targetClass[c], agentClass[c] = bWord, bWord
		}
	}
	for _, c := range []byte("/.-_=&?+,") {
		targetClass[c] = bSep
	}
	targetClass['%'] = bPct
	// '_' is part of a word in a header, as \b sees it: "id_ID" is no "id".
	agentClass['_'] = bWord
	for _, c := range []byte("/.-=&?+, ();:,[]!*#@~") {
		agentClass[c] = bSep
	}
}

// Words are hashed by rotating and folding in each byte: two cheap
// operations a byte, where a multiply would cost three or four cycles.
// ASCII leaves each byte's top bit clear, so words of up to nine bytes
// hash without loss; the table mixes the hash before indexing, and a
// collision could only pass a request, never skip one.
const wordSeed = 0x2545f4914f6cdd1d

func wordStep(h uint64, c byte) uint64 { return (h<<7 | h>>57) ^ uint64(lowerByte[c]) }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isHex(c byte) bool {
	_, ok := unhex(c)
	return ok
}

// maxTarget is the longest target the prefilter judges itself; longer
// ones go to CRS (none of the ordinary requests is that long).
const maxTarget = 2048

// targetSuspicious scans a request target (path and query) once: byte
// classes, percent-encodings, structure, words; then, for a plain target,
// the base64 check.
func (p *Prefilter) targetSuspicious(s string) bool { return p.scanTarget(s, false) }

// scanTarget is targetSuspicious; referer adds the words CRS flags in a
// Referer.
func (p *Prefilter) scanTarget(s string, referer bool) bool {
	if len(s) == 0 || s[0] != '/' || len(s) > maxTarget {
		return true
	}
	var (
		prev    byte // previous byte, decoded
		query   bool // after the first '?'
		valueEq bool // the current query parameter already has its '='
		slash   int  // index of the last raw '/' in the path
		dot     = -1 // index of the last raw '.' in the path
		pathEnd = len(s)
		verify  bool // a multi-word phrase's anchor matched
		first   bool // the next word is the first of a query name or value
		command bool // the query name or value starts with a shell command
		comma   bool // the query name or value holds a comma
		upper   byte // non-zero once an upper-case letter was seen
	)
	i := 0
	for i < len(s) {
		c := s[i]
		cls := targetClass[c]
		if cls == bWord {
			// A word: hash it to its end, then look it up once.
			h := uint64(wordSeed)
			for ; i < len(s) && targetClass[s[i]] == bWord; i++ {
				h = wordStep(h, s[i])
				upper |= lowerByte[s[i]] ^ s[i]
			}
			prev = s[i-1]
			flags, group := p.target.lookup(h)
			if flags == 0 {
				first = false
				continue
			}
			if flags&fPhrase != 0 || referer && flags&fReferer != 0 || first && flags&fStart != 0 {
				return true
			}
			verify = verify || group > 0
			command = command || first && flags&fCommand != 0
			first = false
			continue
		}
		i++
		if cls == bPct {
			if i+2 > len(s) {
				return true
			}
			hi, ok1 := unhex(s[i])
			lo, ok2 := unhex(s[i+1])
			if !ok1 || !ok2 {
				return true
			}
			i += 2
			c = hi<<4 | lo
			switch c {
			case ' ', '/', ',', '+':
			default:
				return true // encoded letters, dots, quotes, nulls, '%': evasion or payload
			}
		} else if cls == bSpecial {
			return true
		}
		switch c {
		case '/':
			if prev == '/' {
				return true
			}
			if query {
				if p.pl >= 4 {
					return true // 920273 allows no '/' in arguments
				}
				first = true // "x/hostname": 932236 reads a command after a slash too
			} else {
				slash = i - 1
			}
		case '.':
			if targetClass[prev] != bWord {
				return true // "..", "/.env", "=.htaccess"
			}
			if !query {
				dot = i - 1
			}
		case '?':
			if query {
				return true
			}
			query, valueEq, pathEnd = true, false, i-1
			first, command, comma = true, false, false
		case '&':
			if !query || p.commaHex(comma, prev) {
				return true
			}
			valueEq, first, command, comma = false, true, false, false
		case '=':
			if !query || valueEq || p.commaHex(comma, prev) {
				return true
			}
			valueEq, first, command, comma = true, true, false, false
		case ' ', '+':
			// "ls -la", "nohup ifconfig": a command and its arguments
			// (932236, 932250, 932260 match commands at a value's start);
			// at paranoia level 4, 920273 allows no space in arguments.
			if query {
				if command || p.pl >= 4 {
					return true
				}
				first = true
			}
		case ',':
			comma = query
		}
		prev = c
	}
	if p.commaHex(comma, prev) {
		return true
	}
	if dot > slash && dot < pathEnd && p.target.flagsOf(s[dot+1:pathEnd])&fExt != 0 {
		return true // 920440: restricted file extension
	}
	if verify && p.target.verify(s, true) {
		return true
	}
	// Only upper-case letters can spell, in base64, the code CRS looks for
	// (TestBase64NeedsUpperCase); most targets have none.
	return upper != 0 && base64Suspicious(s, pathEnd)
}

// commaHex: 942200 (paranoia level 2) reads a value holding a comma and
// ending in a hex digit ("1,2,3", "x,hostname") as a comma-obfuscated
// injection.
func (p *Prefilter) commaHex(comma bool, last byte) bool {
	return comma && p.pl >= 2 && isHex(last)
}

// commaEnd is 942200 on a whole header value: a comma followed by no ')'
// up to a final hex digit, or a final "(x, 1f)" group.
func commaEnd(v string) bool {
	if len(v) == 0 {
		return false
	}
	last := v[len(v)-1]
	comma := strings.LastIndexByte(v, ',')
	if comma < 0 {
		return false
	}
	if isHex(last) {
		return strings.IndexByte(v[comma:], ')') < 0
	}
	if last != ')' {
		return false
	}
	open := strings.LastIndexByte(v, '(')
	if open < 0 || comma < open {
		return false
	}
	// "(...,1f)" or "(a, 1, 2f)": after the first comma only hex digits,
	// spaces and commas.
	group := v[open+1 : len(v)-1]
	i := strings.IndexByte(group, ',')
	for _, c := range []byte(group[i:]) {
		if c != ',' && c != ' ' && !isHex(c) {
			return strings.IndexByte(v[comma:len(v)-1], ')') < 0 // ",...(1f)"
		}
	}
	return true
}

// uaStart stands for the start of a User-Agent where a separator would be.
const uaStart = 1

// pathByte marks the bytes of 932239's optional path before a command
// name ("usr/bin/" in ";usr/bin/id").
var pathByte [256]bool

func init() {
	for c := range 256 {
		pathByte[c] = agentClass[c] == bWord
	}
	for _, c := range []byte("\"'()*+,-./?[\\]|") {
		pathByte[c] = true
	}
}

// agentSuspicious judges a User-Agent.
func (p *Prefilter) agentSuspicious(ua string) bool {
	if len(ua) > maxTarget {
		return true
	}
	var (
		slash  bool
		verify bool
		last   byte = uaStart // the last separator other than a space, 0 after a word
		// lead: a command name here follows the start, ';' or '=', maybe
		// after spaces and a path (932239); fresh: nothing but spaces yet.
		lead, fresh = true, true
	)
	i := 0
	for i < len(ua) {
		c := ua[i]
		switch agentClass[c] {
		case bWord:
			// A word, '_' included (as \b sees it), made of sub-words split
			// at '_' (as phrases and command names are).
			var (
				h, sub   uint64 = wordSeed, wordSeed
				firstSub uint64 // the first sub-word, when a '_' follows it
				under    bool
			)
			for ; i < len(ua) && agentClass[ua[i]] == bWord; i++ {
				c := ua[i]
				h = wordStep(h, c)
				if c != '_' {
					sub = wordStep(sub, c)
					continue
				}
				if !under {
					firstSub, under = sub, true
				}
				if f, g := p.agent.lookup(sub); f&fPhrase != 0 {
					return true
				} else if g > 0 {
					verify = true
				}
				sub = wordSeed
			}
			flags, group := p.agent.lookup(sub)
			if flags&fPhrase != 0 {
				return true
			}
			verify = verify || group > 0
			if under {
				flags, _ = p.agent.lookup(h)
			}
			// 932239: a shell command leading the value or following ';'
			// or '=', as a product ("python3/1.0"), with arguments
			// ("(X11; nohup x)"), or joined ("python3-requests",
			// "base64_decode"); 932237 (level 3): a whole word after any
			// separator ("x.php x"). Measured per level: shellwords.go.
			if lead {
				if under {
					if f, _ := p.agent.lookup(firstSub); f&fUnder != 0 {
						return true
					}
				} else {
					need := fLead
					if i < len(ua) {
						switch ua[i] {
						case '/':
							need = fStart
						case '-':
							need = fDash
						}
					}
					if flags&need != 0 {
						return true
					}
				}
			}
			if last != uaStart && flags&fCommand != 0 {
				return true
			}
			last, fresh = 0, false
			continue
		case bSpecial:
			return true
		}
		switch c {
		case '/':
			slash = true
		case '[':
			// 932131: "/name[...]" reads as a shell expression
			// ("http://[::1]"); "Safari/604.1 [FBAN/..." does not.
			j := i - 1
			for j >= 0 && (agentClass[ua[j]] == bWord || ua[j] == '_') {
				j--
			}
			if j >= 0 && ua[j] == '/' {
				return true
			}
		case '@':
			if i > 0 && ua[i-1] == '@' {
				return true // 942480: "@@version"
			}
		case '.':
			// ".." and "/./": CRS normalises paths in the User-Agent
			// (930121), and the phrase check does not.
			if i > 0 && ua[i-1] == '.' || i > 0 && ua[i-1] == '/' && i+1 < len(ua) && ua[i+1] == '/' {
				return true
			}
		}
		switch {
		case c == ';' || c == '=':
			lead, fresh = true, true
		case c == ' ':
			lead = lead && fresh
		case !pathByte[c]:
			lead = false
		default:
			fresh = false
		}
		if c != ' ' {
			last = c
		}
		i++
	}
	if !slash {
		return true // not "product/version": a command line, not a client
	}
	if p.pl >= 2 && commaEnd(ua) {
		return true
	}
	if verify && p.agent.verify(ua, false) {
		return true
	}
	return p.scanners.Any(ua)
}

// refererSuspicious judges a Referer: an absolute http(s) URL whose host
// is plain and whose target would itself skip CRS.
func (p *Prefilter) refererSuspicious(ref string) bool {
	var rest string
	switch {
	case len(ref) > 8 && equalFold(ref[:8], "https://"):
		rest = ref[8:]
	case len(ref) > 7 && equalFold(ref[:7], "http://"):
		rest = ref[7:]
	default:
		return true
	}
	end := len(rest)
	for i := 0; i < len(rest); i++ {
		if rest[i] == '/' || rest[i] == '?' || rest[i] == '#' {
			end = i
			break
		}
	}
	if _, ok := plainHost(rest[:end]); !ok {
		return true
	}
	if p.pl >= 2 && commaEnd(ref) {
		return true
	}
	target := rest[end:]
	switch {
	case target == "":
		return false
	case target[0] == '?':
		target = "/" + target // rare: allocates
	}
	return p.scanTarget(target, true)
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lowerByte[a[i]] != b[i] {
			return false
		}
	}
	return true
}

// base64Suspicious decodes the target's path and each query name and
// value as CRS's t:base64Decode does (from the start, up to the first byte
// outside the alphabet) and reports code-like text in the result: four
// ASCII letters next to one of ( . [ { : = $ _ , as in "require(",
// "process.env", "this.constructor" (934100, 934101, 934160). Seven
// characters decode to five bytes, the shortest such text ("eval(").
func base64Suspicious(s string, pathEnd int) bool {
	if pathEnd >= 7 && decodesToCode(s[:pathEnd], false) {
		return true
	}
	for start := pathEnd + 1; start < len(s); {
		end := start
		for end < len(s) && s[end] != '&' && s[end] != '=' {
			end++
		}
		if end-start >= 7 && decodesToCode(s[start:end], true) {
			return true
		}
		start = end + 1
	}
	return false
}

// b64 maps the base64 alphabet to its values, anything else to 0xff;
// codeClass marks ASCII letters (1) and code punctuation (2).
var b64, codeClass [256]byte

func init() {
	for i := range b64 {
		b64[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		b64[alphabet[i]] = byte(i)
	}
	for c := 'a'; c <= 'z'; c++ {
		codeClass[c], codeClass[c-32] = 1, 1
	}
	for _, c := range []byte("(.[{:=$_") {
		codeClass[c] = 2
	}
}

// Decoded bytes are tracked as 2-bit classes, newest in the low bits:
// code-like text is four letters after or before a punctuation mark.
const (
	codeLettersPunct = 0b01_01_01_01_10 // "eval("
	codePunctLetters = 0b10_01_01_01_01 // ".exec"
	codeMask         = 0b11_11_11_11_11
)

// decodesToCode decodes s (percent-encodings of a plain target, and in a
// query '+' as a space, both skipped as CRS's t:removeWhitespace does).
func decodesToCode(s string, query bool) bool {
	var (
		acc  uint32
		n    int
		hist uint32
	)
	code := func(b byte) bool {
		hist = hist<<2 | uint32(codeClass[b])
		h := hist & codeMask
		return h == codeLettersPunct || h == codePunctLetters
	}
decode:
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '+' && query {
			continue
		}
		v := b64[c]
		if v == 0xff {
			switch {
			case c == '%' && i+2 < len(s):
				hi, _ := unhex(s[i+1])
				lo, _ := unhex(s[i+2])
				i += 2
				if c = hi<<4 | lo; c == ' ' {
					continue
				}
				if v = b64[c]; v == 0xff {
					break decode
				}
			default:
				break decode // CRS's decoder stops here, keeping what it has
			}
		}
		acc = acc<<6 | uint32(v)
		if n++; n == 4 {
			if code(byte(acc>>16)) || code(byte(acc>>8)) || code(byte(acc)) {
				return true
			}
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		return code(byte(acc >> 4))
	case 3:
		return code(byte(acc>>10)) || code(byte(acc>>2))
	}
	return false
}

package crs

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/bits"
	"regexp"
	"slices"
	"strings"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
)

// The CRS phrase files (@pmFromFile) whose phrases the prefilter must
// pass, by where CRS looks for them.
var (
	// REQUEST_FILENAME, ARGS_NAMES, ARGS: the request target.
	targetPhraseFiles = []string{
		"lfi-os-files.data", "restricted-files.data", "ai-critical-artifacts.data", "unix-shell.data",
		"windows-powershell-commands.data", "php-function-names-933150.data", "php-variables.data",
		"java-classes.data", "ssrf.data", "ssrf-no-scheme.data",
	}
	// The User-Agent (930121 and 932161 read lfi-os-files and unix-shell
	// there, 944130 java-classes in every header); the scanner list (913100)
	// is matched as substrings, not words. A Referer is scanned as a target.
	agentPhraseFiles = []string{"lfi-os-files.data", "unix-shell.data", "java-classes.data"}
)

type phraseLists struct {
	target, agent, scanners, extensions, commands []string
}

// loadPhrases reads the phrase files and 920440's restricted extensions
// from the embedded CRS, and adds the hand-written keywords.
func loadPhrases() (*phraseLists, error) {
	var l phraseLists
	read := func(name string) ([]string, error) {
		b, err := fs.ReadFile(coreruleset.FS, "@owasp_crs/"+name)
		if err != nil {
			return nil, fmt.Errorf("read crs phrases: %w", err)
		}
		var out []string
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
		return out, nil
	}
	for _, f := range targetPhraseFiles {
		p, err := read(f)
		if err != nil {
			return nil, err
		}
		l.target = append(l.target, p...)
	}
	for _, f := range agentPhraseFiles {
		p, err := read(f)
		if err != nil {
			return nil, err
		}
		l.agent = append(l.agent, p...)
	}
	scanners, err := read("scanners-user-agents.data")
	if err != nil {
		return nil, err
	}
	l.scanners = scanners
	// Shell commands: the names unix-shell.data lists under bin/, and the
	// shell's builtins and aliases. CRS's command-injection expressions
	// (932236, 932239, 932250, 932260) know the same names.
	shell, err := read("unix-shell.data")
	if err != nil {
		return nil, err
	}
	for _, p := range shell {
		if i := strings.Index(p, "bin/"); i >= 0 && len(p) > i+4 {
			l.commands = append(l.commands, p[i+4:])
		}
	}
	for _, f := range []string{"unix-shell-builtins.data", "unix-shell-aliases.data"} {
		p, err := read(f)
		if err != nil {
			return nil, err
		}
		l.commands = append(l.commands, p...)
	}
	l.target = append(l.target, targetKeywords...)
	l.agent = append(l.agent, agentKeywords...)

	b, err := fs.ReadFile(coreruleset.FS, "@owasp_crs/REQUEST-901-INITIALIZATION.conf")
	if err != nil {
		return nil, fmt.Errorf("read crs restricted extensions: %w", err)
	}
	m := restrictedExtensions.FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("read crs restricted extensions: tx.restricted_extensions not found")
	}
	for _, e := range strings.Fields(string(m[1])) {
		l.extensions = append(l.extensions, strings.Trim(e, "./"))
	}
	return &l, nil
}

var restrictedExtensions = regexp.MustCompile(`tx\.restricted_extensions=([^']*)'`)

// Word flags: what a word means where it is found.
const (
	fPhrase  uint16 = 1 << iota // a phrase of one word: suspicious anywhere
	fAnchor                     // anchors phrases of several words: verify them
	fStart                      // target: starting a query name or value; User-Agent: leading it, or after ';' or '=', as a product ("python3/1.0")
	fCommand                    // target: a shell command, suspicious with arguments; User-Agent: after any separator (level 3)
	fReferer                    // suspicious anywhere in a Referer
	fExt                        // a restricted file extension
	fLead                       // User-Agent: as fStart, followed by arguments ("(X11; nohup x)")
	fDash                       // User-Agent: as fStart, followed by '-' ("python3-requests")
	fUnder                      // User-Agent: as fStart, followed by '_' ("base64_decode")
)

// wordTable finds words by their hash: an open-addressing table of
// hashes (wordStep) over folded letters and digits, each with its flags and,
// for an anchor, the skeletons (letters and digits, folded) of the
// phrases it anchors, for verification. One lookup per word answers every
// question the scans ask.
type wordTable struct {
	keys   []uint64
	vals   []uint32 // flags | (phrase group + 1) << 16
	phrase [][][]byte
	shift  uint
	// covered counts phrases left out because a byte of theirs is already
	// suspicious in the context; uncovered lists phrases without words and
	// without such a byte (the tests require none).
	covered   int
	uncovered []string
	header    bool // phrases are normalised header text, not skeletons
}

// tableBuilder collects words before the table is sized.
type tableBuilder struct {
	words     map[string]*wordEntry
	covered   int
	uncovered []string
	// header: phrases are verified on the header value as CRS normalises
	// it (normalizeHeader), separators included, rather than on letters
	// and digits: ".java/" is then not found in "Java/1.8".
	header bool
}

type wordEntry struct {
	flags  uint16
	phrase [][]byte
}

func newTableBuilder(header bool) *tableBuilder {
	return &tableBuilder{words: map[string]*wordEntry{}, header: header}
}

func (tb *tableBuilder) entry(w string) *wordEntry {
	e := tb.words[w]
	if e == nil {
		e = &wordEntry{}
		tb.words[w] = e
	}
	return e
}

// stopWords are words too common in ordinary requests to anchor a phrase
// of several words when the phrase has another: an anchor found costs a
// verification, on every request for a target. Web paths and browsers'
// user agents.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`www com net org http https html php js json xml txt css img
		index api get set new add data file files user users home test app web local log date item
		content list name type id info page search view show update host start admin login logout
		auth status sort format touch var fonts font images image static assets upload uploads
		download version windows win64 x64 macintosh intel mac os linux android mobile safari
		chrome firefox gecko applewebkit khtml like mozilla iphone cpu build wv en us`) {
		stopWords[w] = true
	}
}

// phrases adds phrases found anywhere. class, when not nil, is the byte
// class of the context: a phrase holding a byte that is special there is
// already passed by the scan and needs no word.
func (tb *tableBuilder) phrases(ps []string, class *[256]uint8) {
	for _, p := range ps {
		if class != nil && hasSpecial(p, class) {
			tb.covered++
			continue
		}
		ws := splitWords(p, &targetClass)
		if len(ws) == 0 {
			tb.uncovered = append(tb.uncovered, p)
			continue
		}
		raw := tb.header && len(ws[0]) != len(p)
		if len(ws) == 1 && !raw {
			tb.entry(ws[0]).flags |= fPhrase
			continue
		}
		anchor := ws[0]
		for _, w := range ws[1:] {
			if stopWords[anchor] && !stopWords[w] || stopWords[anchor] == stopWords[w] && len(w) > len(anchor) {
				anchor = w
			}
		}
		e := tb.entry(anchor)
		e.flags |= fAnchor
		if tb.header {
			e.phrase = append(e.phrase, normalizeHeader(nil, p))
		} else {
			e.phrase = append(e.phrase, []byte(strings.Join(ws, "")))
		}
	}
}

// flagWords flags single words: the first word of each entry, words split
// by class (in a User-Agent, '_' joins words for 932237's \b but not for
// phrases and 932239's command names).
func (tb *tableBuilder) flagWords(ws []string, flag uint16, class *[256]uint8) {
	for _, w := range ws {
		if split := splitWords(w, class); len(split) > 0 {
			tb.entry(split[0]).flags |= flag
		}
	}
}

func (tb *tableBuilder) build() *wordTable {
	size := 64
	for size < 2*len(tb.words) {
		size *= 2
	}
	t := &wordTable{keys: make([]uint64, size), vals: make([]uint32, size), covered: tb.covered, uncovered: tb.uncovered, header: tb.header}
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	words := make([]string, 0, len(tb.words))
	for w := range tb.words {
		words = append(words, w)
	}
	slices.Sort(words) // a deterministic table
	for _, w := range words {
		e := tb.words[w]
		h := tableKey(hashWord(w))
		i := t.slot(h)
		for t.keys[i] != 0 && t.keys[i] != h {
			i = (i + 1) & (len(t.keys) - 1)
		}
		// Two words with one hash share a slot: their flags and phrases
		// merge, so the collision can pass a request, never skip one.
		t.keys[i] = h
		t.vals[i] |= uint32(e.flags)
		if len(e.phrase) > 0 {
			if g := t.vals[i] >> 16; g > 0 {
				t.phrase[g-1] = append(t.phrase[g-1], e.phrase...)
			} else {
				t.phrase = append(t.phrase, e.phrase)
				t.vals[i] |= uint32(len(t.phrase)) << 16
			}
		}
	}
	return t
}

// tableKey keeps 0 for empty slots.
func tableKey(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

func hashWord(w string) uint64 {
	h := uint64(wordSeed)
	for i := 0; i < len(w); i++ {
		h = wordStep(h, w[i])
	}
	return h
}

func (t *wordTable) slot(h uint64) int { return int((h * 0x9E3779B97F4A7C15) >> t.shift) }

// lookup returns a word's flags and phrase group (0 for none) by its hash.
func (t *wordTable) lookup(h uint64) (flags uint16, group uint32) {
	h = tableKey(h)
	for i := t.slot(h); ; i = (i + 1) & (len(t.keys) - 1) {
		switch t.keys[i] {
		case 0:
			return 0, 0
		case h:
			return uint16(t.vals[i]), t.vals[i] >> 16
		}
	}
}

// flagsOf is lookup for a word given as text (letters and digits only).
func (t *wordTable) flagsOf(w string) uint16 {
	for i := 0; i < len(w); i++ {
		if targetClass[w[i]] != bWord {
			return 0
		}
	}
	f, _ := t.lookup(hashWord(w))
	return f
}

// verify reports whether any phrase anchored on a word of s occurs in
// s's skeleton: its letters and digits, folded, with percent-encodings
// decoded when s is a target. The skeleton ignores the separators CRS's
// phrase match would need, so it errs towards passing.
func (t *wordTable) verify(s string, target bool) bool {
	var buf [maxTarget]byte
	skel := buf[:0]
	if t.header {
		skel = normalizeHeader(skel, s)
	}
	for i := 0; i < len(s) && len(skel) < len(buf) && !t.header; i++ {
		c := s[i]
		if target && c == '%' && i+2 < len(s) {
			hi, _ := unhex(s[i+1])
			lo, _ := unhex(s[i+2])
			c = hi<<4 | lo
			i += 2
		}
		if targetClass[c] == bWord {
			skel = append(skel, lowerByte[c])
		}
	}
	class := &targetClass // phrases are anchored on words split at '_' too
	h, n := uint64(wordSeed), 0
	check := func() bool {
		defer func() { h, n = wordSeed, 0 }()
		if n == 0 {
			return false
		}
		if _, g := t.lookup(h); g > 0 {
			for _, p := range t.phrase[g-1] {
				if bytes.Contains(skel, p) {
					return true
				}
			}
		}
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if target && c == '%' && i+2 < len(s) {
			hi, _ := unhex(s[i+1])
			lo, _ := unhex(s[i+2])
			c = hi<<4 | lo
			i += 2
		}
		if class[c] == bWord {
			h = wordStep(h, c)
			n++
			continue
		}
		if check() {
			return true
		}
	}
	return check()
}

// normalizeHeader appends to dst the header value s as CRS's rules on
// the User-Agent and Referer see it after their transformations, as far
// as a value the scan did not pass can differ: lower case (@pm ignores
// case), ',' and ';' as spaces, runs of spaces as one, no space before
// '/' or '(' (t:cmdLine), "//" as "/" (t:normalizePath). The scan passes
// what else they would change ('%', '\\', "..", "/./", quotes, '^').
func normalizeHeader(dst []byte, s string) []byte {
	for i := 0; i < len(s) && len(dst) < maxTarget; i++ {
		c := lowerByte[s[i]]
		switch c {
		case ',', ';', '\t':
			c = ' '
		}
		n := len(dst)
		switch {
		case c == ' ' && n > 0 && dst[n-1] == ' ':
			continue
		case (c == '/' || c == '(') && n > 0 && dst[n-1] == ' ':
			dst[n-1] = c
			continue
		case c == '/' && n > 0 && dst[n-1] == '/':
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// splitWords splits a phrase into its words (runs of bytes of class
// bWord: ASCII letters and digits, and '_' in a header), folded.
func splitWords(p string, class *[256]uint8) []string {
	var out []string
	start := -1
	for i := 0; i <= len(p); i++ {
		if i < len(p) && class[p[i]] == bWord {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, strings.ToLower(p[start:i]))
			start = -1
		}
	}
	return out
}

// hasSpecial reports whether p holds a byte the context's scan passes on
// sight.
func hasSpecial(p string, class *[256]uint8) bool {
	for i := 0; i < len(p); i++ {
		// A space in a target may come as %20 or '+', both plain.
		if class[p[i]] == bSpecial && !(class == &targetClass && p[i] == ' ') {
			return true
		}
	}
	return false
}

package crs

import (
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	re2 "github.com/wasilibs/go-re2"
	"rsc.io/binaryregexp"

	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"

	"github.com/garda-id/garda/internal/detect/literal"
)

// CRS's @rx runs on RE2 (github.com/wasilibs/go-re2, built here as Go
// code translated from RE2's WebAssembly build, so without cgo or a
// system library): on CRS's large alternations RE2's DFA is many times
// faster than Go's regexp. The detector loads the rule files through
// rx2FS, which renames their @rx to @gardaRx, our operator; Coraza's own
// rx is left as it is (the tests compare with it). gardaRx means what
// Coraza's rx means, byte for byte: the pattern in (?sm) mode, captures
// TX.0 to TX.9 when the rule captures, patterns that match bytes outside
// UTF-8 on binaryregexp; and a value that is not valid UTF-8 (which RE2
// stops reading at, where Go reads U+FFFD) goes to Go's regexp.
const gardaRx = "gardaRx"

var registerRx sync.Once

type rxOperator struct {
	// need finds the literals one of which every match holds (see
	// required); nil when the pattern has none. A value without any, and
	// without a byte outside ASCII, cannot match.
	need *literal.Matcher
	// re is compiled on first use (RE2's compilation is the costly part
	// of loading CRS, and the pruner spares many patterns any use); nil
	// if RE2 refuses the pattern.
	data   string
	reOnce sync.Once
	re     *re2.Regexp
	std    *regexp.Regexp // values that are not valid UTF-8
	bin    *binaryregexp.Regexp
	// binPrefix begins every match of bin (its LiteralPrefix): a value
	// without it cannot match; binWhole when it is the whole pattern.
	binPrefix string
	binWhole  bool
	// minLen and count: conditions every match meets (need.go).
	minLen int
	count  *byteCount
	// lineFirst: for a pattern whose every match begins at a line start
	// and holds a character, the bytes that character can begin with;
	// emptyLine: the pattern is ^$ (need.go).
	lineFirst *[256]bool
	emptyLine bool
	// binRe is a binaryregexp pattern on RE2, for values in ASCII only
	// (compiled on first use from binSrc, without the mode flags, as
	// Coraza compiles it for binaryregexp). In an ASCII value both read
	// the pattern alike: its \xNN bytes outside ASCII (one character
	// outside ASCII each for RE2) and the members of its classes outside
	// ASCII match nothing there, and ASCII case folding is the same.
	// Binaryregexp's backtracker and NFA took 18 µs of a hostile request
	// on 934120 alone, RE2 1 µs (TestBinaryEngines compares them).
	binSrc  string
	binOnce sync.Once
	binRe   *re2.Regexp
	// binDFA is binSrc's DFA (dfa.go), which reads an ASCII value as RE2
	// and binaryregexp do (above): one call into RE2 cost some 200 ns
	// before it read a byte (934120, 942430, 944200: 1.3 µs of a
	// hostile request). Built on first use; RE2 takes the values it
	// leaves undecided (TestBinaryEngines compares it with binaryregexp).
	binDFAOnce sync.Once
	binDFA     *lazyDFA
	// dfa matches values (dfa.go), built on first use; nil if the
	// pattern does not compile to one.
	dfaOnce sync.Once
	dfa     *lazyDFA
	// required and requiredOK are required's answer for the pattern
	// (literalsOf's, uncut), computed once for the pruner and evaluator.
	required   []string
	requiredOK bool
}

// lazyDFA is the pattern's DFA, or nil.
func (o *rxOperator) lazyDFA() *lazyDFA {
	o.dfaOnce.Do(func() { o.dfa = newLazyDFA(o.data, true) })
	return o.dfa
}

// rxCache holds every pattern compiled, shared by the rules (and
// detectors) that repeat one; rxLoaded the patterns Coraza's loading
// asked for (gardaRx). The evaluator and the fast path take their
// operators from rxCache, and New checks that Coraza loaded them: a
// pattern read differently here than by Coraza's parser is an error, not
// a silently different rule.
var rxCache, rxLoaded sync.Map // pattern -> *rxOperator, pattern -> struct{}

// rxBuilt holds each pattern's compilation, done once however many
// goroutines want it (Coraza's loading, New's workers: prebuild).
var rxBuilt sync.Map // pattern -> *rxBuild

type rxBuild struct {
	once sync.Once
	op   *rxOperator
	err  error
}

func newRxOperator(opts plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	op, err := compileRx(opts.Arguments)
	if err != nil {
		return nil, err
	}
	rxLoaded.Store(opts.Arguments, struct{}{})
	return op, nil
}

// compileRx is the pattern's operator, compiled by the first goroutine
// that asks; the others wait for it.
func compileRx(pattern string) (*rxOperator, error) {
	if op, ok := rxCache.Load(pattern); ok {
		return op.(*rxOperator), nil
	}
	b, ok := rxBuilt.Load(pattern)
	if !ok {
		b, _ = rxBuilt.LoadOrStore(pattern, &rxBuild{})
	}
	build := b.(*rxBuild)
	build.once.Do(func() {
		if build.op, build.err = buildRx(pattern); build.err == nil {
			rxCache.Store(pattern, build.op)
		}
	})
	return build.op, build.err
}

// buildRx compiles a pattern as Coraza's rx does and analyses it (need.go).
func buildRx(pattern string) (*rxOperator, error) {
	data := "(?sm)" + pattern
	op := &rxOperator{}
	if matchesArbitraryBytes(data) {
		re, err := binaryregexp.Compile(pattern) // as Coraza: without the mode flags
		if err != nil {
			return nil, err
		}
		op.bin = re
		op.binSrc = pattern
		op.binPrefix, op.binWhole = re.LiteralPrefix()
	} else {
		std, err := regexp.Compile(data)
		if err != nil {
			return nil, err
		}
		op.std, op.data = std, data
	}
	// The literals, for both engines: regexp/syntax reads \xNN as one
	// character outside ASCII, which the analysis does not follow, and
	// ASCII as binaryregexp does.
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return op, nil
	}
	simple := parsed.Simplify()
	op.required, op.requiredOK = required(simple)
	if op.requiredOK {
		lits := make([]string, len(op.required))
		for i, l := range op.required {
			lits[i] = l[:min(len(l), maxPattern)]
		}
		op.need = literal.New(lits, true)
	}
	op.analyse(pattern, simple)
	return op, nil
}

// Evaluate is Coraza's rx Evaluate on the engine that fits the value.
func (o *rxOperator) Evaluate(tx plugintypes.TransactionState, value string) bool {
	if o.short(value) {
		return false
	}
	if o.bin != nil {
		if o.binPrefix != "" && !strings.Contains(value, o.binPrefix) {
			return false
		}
		if o.need != nil && ascii(value) && !o.need.Any(value) {
			return false
		}
		if tx.Capturing() {
			match := o.bin.FindStringSubmatch(value)
			if len(match) == 0 {
				return false
			}
			for i, c := range match {
				if i == 9 {
					return true
				}
				tx.CaptureField(i, c)
			}
			return true
		}
		return o.binMatch(value)
	}
	if o.need != nil && !o.need.Any(value) && ascii(value) {
		return false
	}
	o.reOnce.Do(func() {
		if re, err := re2.Compile(o.data); err == nil {
			o.re = re
		}
	})
	var match []int
	switch {
	case o.re != nil && utf8.ValidString(value):
		if !tx.Capturing() {
			return o.re.MatchString(value)
		}
		match = o.re.FindStringSubmatchIndex(value)
	default:
		if !tx.Capturing() {
			return o.std.MatchString(value)
		}
		match = o.std.FindStringSubmatchIndex(value)
	}
	if match == nil {
		return false
	}
	for i := 0; i < len(match)/2; i++ {
		if i == 9 {
			return true
		}
		if match[2*i] >= 0 {
			tx.CaptureField(i, value[match[2*i]:match[2*i+1]])
		} else {
			tx.CaptureField(i, "")
		}
	}
	return true
}

// binMatch is the binaryregexp pattern's match, on its DFA or RE2 for a
// value in ASCII (see binRe and binDFA).
func (o *rxOperator) binMatch(value string) bool {
	o.binDFAOnce.Do(func() { o.binDFA = newLazyDFA(o.binSrc, false) })
	if m, ok := o.binDFA.matchString(value); ok {
		return m
	}
	if ascii(value) {
		o.binOnce.Do(func() {
			if re, err := re2.Compile(o.binSrc); err == nil {
				o.binRe = re
			}
		})
		if o.binRe != nil {
			return o.binRe.MatchString(value)
		}
	}
	return o.bin.MatchString(value)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// matchesArbitraryBytes is Coraza's test for a pattern that matches bytes
// outside UTF-8 (\xNN escapes that do not spell UTF-8), which Coraza runs
// on binaryregexp.
func matchesArbitraryBytes(expr string) bool {
	decoded := make([]byte, 0, len(expr))
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if c != '\\' {
			decoded = append(decoded, c)
			continue
		}
		if i+3 >= len(expr) {
			decoded = append(decoded, expr[i:]...)
			break
		}
		if expr[i+1] != 'x' {
			decoded = append(decoded, expr[i])
			continue
		}
		sub := expr[i:]
		advance := 3
		if len(sub) >= 6 && sub[2] == '{' {
			if end := strings.IndexByte(sub, '}'); end != -1 {
				sub = `\x` + sub[3:end]
				advance = end
			}
		}
		v, mb, _, err := strconv.UnquoteChar(sub, 0)
		if err != nil || mb {
			decoded = append(decoded, expr[i])
			continue
		}
		decoded = append(decoded, byte(v))
		i += advance
	}
	return !utf8.Valid(decoded)
}

// rx2FS serves CRS's files with every @rx operator renamed gardaRx, and
// every logdata action's text replaced by "-": Coraza expands a rule's
// logdata macro (the matched data, %{TX.0} and %{MATCHED_VAR}) before
// each evaluation of the rule, matched or not, which cost 7 % of a
// hostile request's evaluation (pprof of BenchmarkReplay/hostile); the
// detector reads only the ids and severities of the rules that matched,
// and no CRS rule reads RULE:logdata.
type rx2FS struct{ fs.FS }

var logdataAction = regexp.MustCompile(`logdata:'(?:[^'\\]|\\.)*'`)

func (f rx2FS) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil || !strings.HasSuffix(name, ".conf") {
		return file, err
	}
	defer file.Close()
	b, err := io.ReadAll(file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	s := strings.NewReplacer(`"@rx `, `"@`+gardaRx+` `, `"!@rx `, `"!@`+gardaRx+` `).Replace(string(b))
	s = logdataAction.ReplaceAllLiteralString(s, "logdata:'-'")
	info, err := file.Stat()
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: strings.NewReader(s), info: info, size: int64(len(s))}, nil
}

type memFile struct {
	*strings.Reader
	info fs.FileInfo
	size int64
}

func (m *memFile) Stat() (fs.FileInfo, error) { return memInfo{m.info, m.size}, nil }
func (m *memFile) Close() error               { return nil }

type memInfo struct {
	fs.FileInfo
	size int64
}

func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return i.FileInfo.ModTime() }

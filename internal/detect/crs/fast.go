package crs

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/maphash"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/corazawaf/libinjection-go"

	"github.com/garda-id/garda/internal/detect/crs/transform"
	"github.com/garda-id/garda/internal/event"
)

// The fast path takes the Coraza transaction off an access-log event's
// path. An access log gives CRS a request line, a client address and at
// most three headers (Host, User-Agent, Referer): no cookies, no body, no
// files. Garda fills the variables CRS reads from those exactly as
// Coraza's ProcessURI and AddRequestHeader do (query parsing, the
// re-encoded REQUEST_URI, the basename), runs the transformation chains
// in Go (package transform: Coraza's own, copied), and evaluates
//   - the evaluator's groups (eval.go), value by value as its Coraza rule
//     of ours would;
//   - each detection rule the evaluator leaves to Coraza, by id (fastKind):
//     rules that read headers or a body an access log never holds cannot
//     match; the protocol rules are written out here; a rule, or a chain
//     whose links all read MATCHED_VARS, runs in Go.
//
// Chains that read captures (TX:0-9, MATCHED_VAR) are not rewritten: when
// the first rule of one matches, the request goes to Coraza as before
// (with the pruner and the evaluator), and so do a client on a loopback
// address (CRS's exceptions 905100 and 905110) and an argument named
// _method (920650). TestEvaluatorKeepsVerdicts compares the result rule
// for rule with stock Coraza.
type fastPlan struct {
	e         *evaluator
	groups    []fastGroup // e.groups, in the same order
	rules     []fastRule  // the detection rules Coraza kept
	prefixes  int         // distinct transformation prefixes (the cache's width)
	prefixFn  []int32     // prefix -> its last transformation's number (fastState.apply)
	lists     int         // distinct variable lists (fastGroup.list)
	tx        map[string]string
	perfCheck [256]bool // 941010's byte range
	// The patterns of 920100 and 920440, as Coraza loaded them.
	rx920100, rx920440 *evalRule
	// The shared literal pass: every evaluator rule's literals in one
	// automaton, run once per distinct value of a request (transformed
	// values that a chain leaves unchanged are the same string), instead
	// of one pass per group or rule and value (86 groups; the passes were
	// a quarter of a hostile request's CPU). litRules maps a literal to
	// the rules holding it; always has the bits of the rules without
	// literals; words is the length of a rule bitset.
	lit      *ruleAutomaton
	litRules [][]int32
	always   []uint64
	words    int
	seed     maphash.Seed // fastState.marked's hash
	// values: the rules' verdicts on raw values earlier requests held
	// (valuecache.go), the evaluator's rules then the kept ones (whether
	// the head matched); nil turns it off.
	values *valueCache
	pool   sync.Pool
	// served and deferred count the requests evaluated here and those
	// left to Coraza (tests and measurements read them).
	served, deferred atomic.Int64
}

// fastKind is how the fast path evaluates a detection rule Coraza kept.
type fastKind int

const (
	kindNever    fastKind = iota // reads what an access log never holds
	kindPlain                    // one rule, evaluated in Go
	kindMatched                  // a chain of MATCHED_VARS links, in Go
	kindFallback                 // the first rule in Go; if it matches, Coraza
	kindProtocol                 // written out in fastPlan.protocol
	kindCapture                  // a chain reading the first rule's captures, in fastPlan.capture
)

// fastKinds names every detection rule of phases 1 and 2 up to paranoia
// level 2 that the evaluator leaves to Coraza. A rule missing here (a
// new CRS release) turns the fast path off: the detector then runs as
// before.
var fastKinds = map[int]fastKind{
	// Headers, a body or files no access log holds: Content-Length,
	// Transfer-Encoding, Range, Request-Range, Accept, Accept-Encoding, Content-Type,
	// cookies, multipart parts, X-Filename. 920280 needs Host missing
	// (always set); 920450 and 920451 restricted header names (ours are
	// host, user-agent, referer: none restricted). 920250 and the 920360
	// family need TX variables CRS leaves unset or 0 by default.
	920120: kindNever, 920160: kindNever, 920170: kindNever, 920171: kindNever, 920181: kindNever,
	920190: kindNever, 920660: kindNever, 920250: kindNever, 920280: kindNever, 920310: kindNever,
	920311: kindNever, 920340: kindNever, 920380: kindNever, 920360: kindNever, 920370: kindNever,
	920390: kindNever, 920400: kindNever, 920410: kindNever, 920470: kindNever, 920420: kindNever,
	920480: kindNever, 920640: kindNever, 920600: kindNever, 920620: kindNever, 920200: kindNever,
	920201: kindNever, 920240: kindNever, 921250: kindNever, 922100: kindNever, 922110: kindNever,
	932180: kindNever, 920450: kindNever, 920451: kindNever, 920520: kindNever,

	911100: kindProtocol, 920100: kindProtocol, 920270: kindProtocol, 920271: kindProtocol,
	920320: kindProtocol, 920430: kindProtocol, 920440: kindProtocol, 920610: kindProtocol,
	920650: kindProtocol,

	941181: kindPlain, 933130: kindPlain, 934110: kindPlain,

	932200: kindMatched, 932206: kindMatched, 932240: kindMatched, 933150: kindMatched,
	941310: kindMatched, 942440: kindMatched, 944110: kindMatched, 944120: kindMatched,

	931130: kindCapture, 942130: kindCapture, 942131: kindCapture, 942521: kindCapture,

	932205: kindFallback, 932207: kindFallback, 943110: kindFallback, 943120: kindFallback,
}

// fastGroup is an evaluator group as the fast path reads it.
type fastGroup struct {
	sels  []varSel
	list  int32   // sels' number among the plan's distinct lists (fastState.listValues)
	chain []int32 // prefix ids, one per transformation (see fastPlan.transform)
	funcs []transform.Func
}

// fastRule is one kept detection rule.
type fastRule struct {
	id, score int
	kind      fastKind
	perf      bool // tagged xss-perf-disable
	head      fastOp
	links     []fastOp // kindMatched: each must hold for some matched value
	// kindCapture: the first rule's pattern, and the chain's test of the
	// captures of one matched value (host is the Host header).
	capRx   *rxOperator
	capTest func(caps []string, host string) bool
}

// fastOp is one rule's variables, transformations and operator.
type fastOp struct {
	sels       []varSel
	list       int32 // as fastGroup.list
	chain      []int32
	funcs      []transform.Func
	multiMatch bool
	match      func(string) bool // negation included
}

// varSel selects values of one variable (REQUEST_HEADERS:User-Agent,
// ARGS, &REQUEST_HEADERS:Referer).
type varSel struct {
	name  string
	code  int      // the variable, as values reads it (varURI, ...)
	key   string   // lower-cased; "" for the whole collection
	not   []string // keys excluded by !VAR:key, lower-cased
	count bool
}

// fastReq holds what Coraza's ProcessConnection, ProcessURI and
// AddRequestHeader set from an access-log event.
type fastReq struct {
	remote, method, proto, uriRaw, uri, filename, basename, query, line string
	argNames, argValues                                                 []string
	hdrNames, hdrValues                                                 []string
	noFilename                                                          bool // 941010 took REQUEST_FILENAME off the xss-perf-disable rules
}

// fastState is one request's scratch, pooled.
type fastState struct {
	req     fastReq
	st      pruneState
	vals    []string
	slots   []int32 // the slot of each of vals (see fastReq.values)
	matched []string
	ids     []int
	scores  []int
	// The request's transformed values, by slot and transformation
	// prefix: ent[slot*(prefixes+1)] is the raw value, ent[slot*(prefixes+1)
	// +1+prefix] its transformation by the prefix. An entry is this
	// request's when its gen is s.gen (nothing is cleared between
	// requests). Indexing by slot replaced a map keyed by where a value's
	// bytes are, whose hashing and probing were 9-15 % of a hostile
	// request's CPU.
	ent   []tEntry
	gen   uint32
	width int32 // entries per slot: the transformation prefixes, and the raw value
	// The shared literal pass's rule bitsets, one per distinct value
	// (tEntry.off).
	bits []uint64
	// The request's transformations by function and input (apply), and
	// its literal passes by value (candidates): chains that differ only
	// in steps that changed nothing run the same function on the same
	// string (62 of 149 transformations of a hostile request, 34 of 65
	// multiMatch steps), and values of different slots or chains are
	// often equal (16 of 36 literal passes).
	prefixFn []int32 // fastPlan.prefixFn
	// The raw values of each variable list (and xss-perf-disable flag),
	// read once per request: lists[listFrom[k]:listTo[k]] when listGen[k]
	// is gen (listValues).
	listGen          []uint32
	listFrom, listTo []int32
	lists            []string
	listSlots        []int32
	// The value cache's entry of each slot's raw value, when its gen is
	// gen (cached).
	slotValue    []*valueEntry
	recent       [recentValues]*valueEntry // (valueCache.entry)
	slotValueGen []uint32
	open         []int32 // the rules a value's evaluation decides (fastPlan.eval)
	applied      [appliedSize]appliedEntry
	nApplied     int
	marked       [markedSize]markedEntry
	nMarked      int
}

// The memo tables' sizes (powers of two), filled at most half.
const (
	appliedSize = 512
	markedSize  = 128
)

// appliedEntry is one transformation of the request (fastState.apply).
type appliedEntry struct {
	in, out         string
	gen             uint32
	fn              int32
	changed, failed bool
}

// markedEntry is one value's literal pass (fastState.candidates).
type markedEntry struct {
	v   string
	gen uint32
	off int32
}

// tEntry is one transformed value of a request.
type tEntry struct {
	v   string
	gen uint32
	// same is the entry holding the first of a chain's values that this
	// one equals by its bytes' place (a transformation that changed
	// nothing hands back its input): the candidates are computed once
	// for them all, in that entry.
	same int32
	// off: the offset of the value's rule bitset in fastState.bits, -1
	// for a value outside ASCII (every rule a candidate); set when
	// cgen is gen.
	off  int32
	cgen uint32
	// changed: a multiMatch step's transformation reported a change.
	changed bool
}

// begin readies the state for a request whose variables are filled.
func (s *fastState) begin(prefixes int) {
	if s.gen++; s.gen == 0 {
		clear(s.ent)
		clear(s.applied[:])
		clear(s.marked[:])
		clear(s.listGen)
		clear(s.slotValueGen)
		s.gen = 1
	}
	s.width = int32(prefixes + 1)
	n := s.req.slots() * (prefixes + 1)
	if len(s.ent) < n {
		s.ent = append(s.ent, make([]tEntry, n-len(s.ent))...)
	}
	if n := s.req.slots(); len(s.slotValue) < n {
		s.slotValue = append(s.slotValue, make([]*valueEntry, n-len(s.slotValue))...)
		s.slotValueGen = append(s.slotValueGen, make([]uint32, n-len(s.slotValueGen))...)
	}
	s.bits = s.bits[:0]
	s.nApplied, s.nMarked = 0, 0
	s.lists, s.listSlots = s.lists[:0], s.listSlots[:0]
}

// listValues is values for the plan's variable list numbered list, read
// once per request.
func (s *fastState) listValues(list int32, sels []varSel, perf bool) ([]string, []int32) {
	k := 2 * list
	if perf {
		k++
	}
	if s.listGen[k] != s.gen {
		from := len(s.lists)
		s.lists, s.listSlots = s.req.values(s.lists, s.listSlots, sels, perf)
		s.listGen[k], s.listFrom[k], s.listTo[k] = s.gen, int32(from), int32(len(s.lists))
	}
	return s.lists[s.listFrom[k]:s.listTo[k]], s.listSlots[s.listFrom[k]:s.listTo[k]]
}

// apply is the transformation fn (numbered id) of v, from the request's
// memo when it ran on the same string before.
func (s *fastState) apply(id int32, fn transform.Func, v string) (out string, changed, failed bool) {
	h := (uintptr(unsafe.Pointer(unsafe.StringData(v)))>>3 ^ uintptr(len(v))*0x9e3779b1 ^ uintptr(id)*0x85ebca77) & (appliedSize - 1)
	for ; ; h = (h + 1) & (appliedSize - 1) {
		e := &s.applied[h]
		if e.gen != s.gen {
			break
		}
		if e.fn == id && sameString(e.in, v) {
			return e.out, e.changed, e.failed
		}
	}
	out, changed, err := fn(v)
	if s.nApplied < appliedSize/2 {
		s.nApplied++
		s.applied[h] = appliedEntry{in: v, out: out, gen: s.gen, fn: id, changed: changed, failed: err != nil}
	}
	return out, changed, err != nil
}

func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// newFastPlan plans the fast path, or returns nil with the reason it
// cannot (a kept rule it does not know, a variable or operator it does
// not read).
func newFastPlan(e *evaluator, texts []string, pl int, root fs.FS, skip []int) (*fastPlan, error) {
	if e == nil {
		return nil, fmt.Errorf("no evaluator")
	}
	f := &fastPlan{e: e, tx: map[string]string{}, seed: maphash.MakeSeed()}
	// CRS's defaults (901's setvars where crs-setup leaves them unset).
	for _, raw := range texts {
		r, ok := parseRule(raw)
		if !ok || r.id < 901000 || r.id >= 902000 {
			continue
		}
		for _, sv := range r.setvars {
			name, value, ok := strings.Cut(sv, "=")
			if name, found := strings.CutPrefix(strings.ToLower(name), "tx."); ok && found {
				f.tx[name] = value
			}
		}
	}
	for _, name := range []string{"allowed_methods", "allowed_http_versions", "restricted_extensions"} {
		if f.tx[name] == "" {
			return nil, fmt.Errorf("crs setup: tx.%s not found", name)
		}
	}
	for _, r := range []string{"20", "45-47", "48-57", "65-90", "95", "97-122"} {
		lo, hi, _ := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if hi != "" {
			b, _ = strconv.Atoi(hi)
		}
		for c := a; c <= b; c++ {
			f.perfCheck[c] = true
		}
	}
	prefixes := map[string]int32{}
	fnIDs := map[string]int32{}
	// A multiMatch chain's prefixes have ids of their own: its state
	// after a step is not the plain chain's (see fastState.multi).
	chainOf := func(ts []string, mm bool) ([]int32, []transform.Func, error) {
		var ids []int32
		var funcs []transform.Func
		key := ""
		if mm {
			key = "multiMatch"
		}
		for _, t := range ts {
			if strings.EqualFold(t, "none") {
				continue
			}
			fn, ok := transform.Get(t)
			if !ok {
				return nil, nil, fmt.Errorf("transformation %s", t)
			}
			key += "," + strings.ToLower(t)
			id, ok := prefixes[key]
			if !ok {
				id = int32(len(prefixes))
				prefixes[key] = id
				fn, ok := fnIDs[strings.ToLower(t)]
				if !ok {
					fn = int32(len(fnIDs))
					fnIDs[strings.ToLower(t)] = fn
				}
				f.prefixFn = append(f.prefixFn, fn)
			}
			ids = append(ids, id)
			funcs = append(funcs, fn)
		}
		return ids, funcs, nil
	}
	for _, g := range e.groups {
		sels, err := parseSels(strings.Split(g.vars, "|"))
		if err != nil {
			return nil, err
		}
		ids, funcs, err := chainOf(g.transforms, g.multiMatch)
		if err != nil {
			return nil, err
		}
		f.groups = append(f.groups, fastGroup{sels: sels, chain: ids, funcs: funcs})
	}
	// The kept detection rules, each with its chain.
	var chains [][]ruleInfo
	inChain := false
	for _, raw := range texts {
		r, ok := parseRule(raw)
		if !ok && !inChain {
			return nil, fmt.Errorf("unreadable rule %.60s", raw)
		}
		// (A chain's last link may have no actions: it ends the chain.)
		if inChain {
			chains[len(chains)-1] = append(chains[len(chains)-1], r)
		} else {
			chains = append(chains, []ruleInfo{r})
		}
		inChain = slices.Contains(r.actions, "chain")
	}
	moved := map[int]bool{}
	for _, r := range e.rules {
		moved[r.id] = true
	}
	var unknown []int
	for _, c := range chains {
		r := c[0]
		if r.id < 911000 || r.id >= 949000 || r.phase < 1 || r.phase > 2 || r.paranoia > pl ||
			r.severity == "" || moved[r.id] || slices.Contains(skip, r.id) {
			continue
		}
		if r.id == 920100 || r.id == 920440 {
			op, ok := rxCache.Load(r.opArg)
			if !ok || r.op != "rx" {
				return nil, fmt.Errorf("rule %d: pattern not loaded", r.id)
			}
			if r.id == 920100 {
				f.rx920100 = &evalRule{rx: op.(*rxOperator)}
			} else {
				f.rx920440 = &evalRule{rx: op.(*rxOperator)}
			}
		}
		kind, ok := fastKinds[r.id]
		if !ok {
			unknown = append(unknown, r.id)
			continue
		}
		fr := fastRule{id: r.id, score: severityOf(r.severity), kind: kind, perf: slices.Contains(r.tags, "xss-perf-disable")}
		op := func(r ruleInfo) (fastOp, error) {
			var o fastOp
			var err error
			if o.sels, err = parseSels(r.vars); err != nil {
				return o, fmt.Errorf("rule %d: %w", r.id, err)
			}
			if o.chain, o.funcs, err = chainOf(r.transforms, r.multiMatch); err != nil {
				return o, fmt.Errorf("rule %d: %w", r.id, err)
			}
			o.multiMatch = r.multiMatch
			if o.match, err = fastOperator(r, root); err != nil {
				return o, fmt.Errorf("rule %d: %w", r.id, err)
			}
			return o, nil
		}
		var err error
		switch kind {
		case kindCapture:
			if fr.head, err = op(r); err != nil {
				return nil, err
			}
			if err = fr.planCapture(c); err != nil {
				return nil, err
			}
		case kindPlain, kindFallback:
			if kind == kindPlain && len(c) > 1 {
				return nil, fmt.Errorf("rule %d: chained", r.id)
			}
			fr.head, err = op(r)
		case kindMatched:
			if fr.head, err = op(r); err != nil {
				return nil, err
			}
			for _, l := range c[1:] {
				for _, v := range l.vars {
					if v != "MATCHED_VARS" && !strings.HasPrefix(v, "XML:") {
						return nil, fmt.Errorf("rule %d: a link reads %s", r.id, v)
					}
				}
				if len(l.transforms) > 0 && (len(l.transforms) != 1 || l.transforms[0] != "none") {
					return nil, fmt.Errorf("rule %d: a link transforms", r.id)
				}
				m, err := fastOperator(l, root)
				if err != nil {
					return nil, fmt.Errorf("rule %d: %w", r.id, err)
				}
				fr.links = append(fr.links, fastOp{match: m})
			}
		}
		if err != nil {
			return nil, err
		}
		f.rules = append(f.rules, fr)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("rules %v: not known to the fast path", unknown)
	}
	if f.rx920100 == nil || f.rx920440 == nil || f.rx920100.rx.std == nil || f.rx920440.rx.std == nil {
		return nil, fmt.Errorf("rules 920100 and 920440 not found")
	}
	f.prefixes = len(prefixes)
	// The groups and rules read a few lists of variables between them
	// (the same five collections in most): each list's values are read
	// once per request.
	lists := map[string]int32{}
	listOf := func(sels []varSel) int32 {
		k := fmt.Sprintf("%+v", sels)
		n, ok := lists[k]
		if !ok {
			n = int32(len(lists))
			lists[k] = n
		}
		return n
	}
	for i := range f.groups {
		f.groups[i].list = listOf(f.groups[i].sels)
	}
	for i := range f.rules {
		f.rules[i].head.list = listOf(f.rules[i].head.sels)
	}
	f.lists = len(lists)
	f.words = (len(e.rules) + 63) / 64
	f.always = make([]uint64, f.words)
	index := map[string]int32{}
	var patterns []string
	for i, r := range e.rules {
		if r.lits == nil {
			f.always[i>>6] |= 1 << (i & 63)
			continue
		}
		for _, l := range r.lits {
			n, ok := index[l]
			if !ok {
				n = int32(len(patterns))
				index[l] = n
				patterns = append(patterns, l)
				f.litRules = append(f.litRules, nil)
			}
			if !slices.Contains(f.litRules[n], int32(i)) {
				f.litRules[n] = append(f.litRules[n], int32(i))
			}
		}
	}
	f.lit = newRuleAutomaton(patterns, f.litRules, f.words)
	f.values = newValueCache(len(e.rules) + len(f.rules))
	f.pool.New = func() any {
		return &fastState{st: pruneState{matched: make([]bool, len(e.rules)), hits: make([]bool, 0, 64)}, prefixFn: f.prefixFn,
			listGen: make([]uint32, 2*f.lists), listFrom: make([]int32, 2*f.lists), listTo: make([]int32, 2*f.lists)}
	}
	return f, nil
}

// The variables values reads (varNone: empty for an access-log event).
const (
	varNone = iota
	varURI
	varURIRaw
	varFilename
	varBasename
	varQuery
	varLine
	varMethod
	varProto
	varBody
	varRemote
	varArgs
	varArgNames
	varHeaders
	varHeaderNames
)

var varCodes = map[string]int{
	"REQUEST_URI": varURI, "REQUEST_URI_RAW": varURIRaw, "REQUEST_FILENAME": varFilename,
	"REQUEST_BASENAME": varBasename, "QUERY_STRING": varQuery, "REQUEST_LINE": varLine,
	"REQUEST_METHOD": varMethod, "REQUEST_PROTOCOL": varProto, "REQUEST_BODY": varBody,
	"REMOTE_ADDR": varRemote, "ARGS": varArgs, "ARGS_GET": varArgs, "ARGS_NAMES": varArgNames,
	"ARGS_GET_NAMES": varArgNames, "REQUEST_HEADERS": varHeaders, "REQUEST_HEADERS_NAMES": varHeaderNames,
}

// parseSels reads a rule's variable list.
func parseSels(vars []string) ([]varSel, error) {
	var out []varSel
	var nots [][2]string
	for _, v := range vars {
		if v == "" {
			continue
		}
		if n, ok := strings.CutPrefix(v, "!"); ok {
			name, key, _ := strings.Cut(n, ":")
			nots = append(nots, [2]string{strings.ToUpper(name), strings.ToLower(key)})
			continue
		}
		s := varSel{}
		if n, ok := strings.CutPrefix(v, "&"); ok {
			s.count, v = true, n
		}
		name, key, _ := strings.Cut(v, ":")
		s.name, s.key = strings.ToUpper(name), strings.ToLower(key)
		s.code = varCodes[s.name]
		switch s.name {
		case "REQUEST_URI", "REQUEST_URI_RAW", "REQUEST_FILENAME", "REQUEST_BASENAME", "QUERY_STRING",
			"REQUEST_LINE", "REQUEST_METHOD", "REQUEST_PROTOCOL", "REQUEST_BODY", "REMOTE_ADDR":
			if s.key != "" {
				return nil, fmt.Errorf("variable %s", v)
			}
		case "ARGS", "ARGS_GET", "ARGS_NAMES", "ARGS_GET_NAMES", "REQUEST_HEADERS", "REQUEST_HEADERS_NAMES":
			if strings.HasPrefix(s.key, "/") {
				return nil, fmt.Errorf("variable %s: a key pattern", v)
			}
		case "REQUEST_COOKIES", "REQUEST_COOKIES_NAMES", "XML", "FILES", "FILES_NAMES", "MULTIPART_PART_HEADERS",
			"ARGS_POST", "ARGS_POST_NAMES":
			// Empty for an access-log event, whatever the key.
		default:
			return nil, fmt.Errorf("variable %s", v)
		}
		out = append(out, s)
	}
	for _, n := range nots {
		for i := range out {
			if out[i].name == n[0] {
				out[i].not = append(out[i].not, n[1])
			}
		}
	}
	return out, nil
}

// fastOperator is a rule's operator as Coraza evaluates it (without
// captures), negation included.
func fastOperator(r ruleInfo, root fs.FS) (func(string) bool, error) {
	if strings.Contains(r.opArg, "%{") {
		return nil, fmt.Errorf("operator with a macro")
	}
	var m func(string) bool
	arg := r.opArg
	switch r.op {
	case "rx":
		op, ok := rxCache.Load(arg)
		if !ok {
			return nil, fmt.Errorf("pattern %.40q is not the one Coraza loaded", arg)
		}
		er := &evalRule{rx: op.(*rxOperator)}
		m = er.matchAlone
	case "pm", "pmFromFile", "pmf":
		var phrases []string
		if r.op == "pm" {
			phrases = strings.Split(strings.ToLower(arg), " ")
		} else {
			b, err := fs.ReadFile(root, path.Join("@owasp_crs", arg))
			if err != nil {
				return nil, err
			}
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				if l := strings.TrimSpace(sc.Text()); l != "" && l[0] != '#' {
					phrases = append(phrases, strings.ToLower(l))
				}
			}
		}
		if len(phrases) == 0 || slices.Contains(phrases, "") {
			return nil, fmt.Errorf("empty phrase")
		}
		m = newPhraseMatcher(phrases).any
	case "contains":
		m = func(v string) bool { return strings.Contains(v, arg) }
	case "streq":
		m = func(v string) bool { return v == arg }
	case "beginsWith":
		m = func(v string) bool { return strings.HasPrefix(v, arg) }
	case "endsWith":
		m = func(v string) bool { return strings.HasSuffix(v, arg) }
	case "detectSQLi":
		m = func(v string) bool { ok, _ := libinjection.IsSQLi(v); return ok }
	case "detectXSS":
		m = libinjection.IsXSS
	default:
		return nil, fmt.Errorf("operator @%s", r.op)
	}
	if r.negated {
		return func(v string) bool { return !m(v) }, nil
	}
	return m, nil
}

// fill sets the request's variables as Coraza does from the same event
// (Detector.Inspect's calls: ProcessConnection, ProcessURI,
// AddRequestHeader).
func (q *fastReq) fill(d *Detector, ev *event.Event) {
	q.remote = ev.Get(event.SourceIP)
	if q.remote == "" && ev.IP.IsValid() {
		q.remote = ev.IP.String()
	}
	q.method = ev.Get(event.HTTPMethod)
	if q.method == "" {
		q.method = "GET"
	}
	uri := ev.Get(event.URLOriginal)
	if uri == "" {
		uri = "/"
	}
	q.proto = protocol(ev.Get(event.HTTPVersion))
	q.uriRaw = uri
	q.line = q.method + " " + uri + " " + q.proto
	if i := strings.IndexByte(uri, '#'); i >= 0 {
		uri = uri[:i]
	}
	q.argNames, q.argValues = q.argNames[:0], q.argValues[:0]
	var p string
	if u, err := url.ParseRequestURI(uri); err != nil {
		q.uri = uri
		if i := strings.IndexByte(uri, '?'); i >= 0 {
			p, q.query = uri[:i], uri[i+1:]
		} else {
			p, q.query = uri, ""
		}
	} else {
		q.uri = u.String()
		p, q.query = u.Path, u.RawQuery
	}
	q.parseQuery(q.query)
	if i := strings.LastIndexAny(p, "/\\"); i != -1 && len(p) > i+1 {
		q.basename = p[i+1:]
	} else {
		q.basename = p
	}
	q.filename = p
	host := ev.Get(event.URLDomain)
	if host == "" {
		host = d.host
	}
	q.hdrNames = append(q.hdrNames[:0], "Host")
	q.hdrValues = append(q.hdrValues[:0], host)
	if ua, ok := logged(ev.Get(event.UserAgent)); ok {
		q.hdrNames, q.hdrValues = append(q.hdrNames, "User-Agent"), append(q.hdrValues, ua)
	}
	if ref, ok := logged(ev.Get(event.Referrer)); ok {
		q.hdrNames, q.hdrValues = append(q.hdrNames, "Referer"), append(q.hdrValues, ref)
	}
}

// parseQuery is Coraza's ParseQueryOrdered with '&' (internal/url), no
// argument limit reached by a logged line (Coraza's default is 1,000).
func (q *fastReq) parseQuery(query string) {
	for query != "" {
		key := query
		if i := strings.IndexByte(key, '&'); i >= 0 {
			key, query = key[:i], key[i+1:]
		} else {
			query = ""
		}
		if key == "" {
			continue
		}
		value := ""
		if i := strings.IndexByte(key, '='); i >= 0 {
			key, value = key[:i], key[i+1:]
		}
		q.argNames = append(q.argNames, queryUnescape(key))
		q.argValues = append(q.argValues, queryUnescape(value))
	}
}

// queryUnescape is Coraza's non-strict unescaping of a query argument
// (internal/url; Apache-2.0, see NOTICE), byte for byte.
func queryUnescape(input string) string {
	if strings.IndexByte(input, '%') < 0 && strings.IndexByte(input, '+') < 0 {
		return input
	}
	ilen := len(input)
	var res strings.Builder
	res.Grow(ilen)
	for i := 0; i < ilen; i++ {
		ci := input[i]
		if ci == '+' {
			res.WriteByte(' ')
			continue
		}
		if ci == '%' {
			if i+2 >= ilen {
				res.WriteByte(ci)
				continue
			}
			hi, ok := hexDigit(input[i+1])
			if !ok {
				res.WriteByte(ci)
				continue
			}
			lo, ok := hexDigit(input[i+2])
			if !ok {
				res.WriteByte(ci)
				continue
			}
			res.WriteByte(hi<<4 | lo)
			i += 2
			continue
		}
		res.WriteByte(ci)
	}
	return res.String()
}

func hexDigit(c byte) (byte, bool) {
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

// Slots number a request's raw values (fastState.ent): the fixed
// variables, then each argument's name and value, then each header's.
const (
	slotURI = iota
	slotURIRaw
	slotFilename
	slotBasename
	slotQuery
	slotLine
	slotMethod
	slotProto
	slotBody
	slotRemote
	slotArgs
)

// repeatedSlot: the fixed variables whose values other requests repeat.
// REQUEST_URI, REQUEST_URI_RAW, QUERY_STRING and REQUEST_LINE hold the
// whole request (a request repeated whole is the detector's verdict
// cache's), and REMOTE_ADDR the client: kept in the value cache, they
// would fill it with values that are not seen again.
var repeatedSlot = [slotArgs]bool{slotFilename: true, slotBasename: true, slotMethod: true, slotProto: true, slotBody: true}

// slots is the number of slots of the request's raw values.
func (q *fastReq) slots() int { return slotArgs + 2*len(q.argNames) + 2*len(q.hdrNames) }

// values appends the raw values the selectors give, and to slots each
// one's slot (-1 for a count, which is not cached); perf drops
// REQUEST_FILENAME when 941010 took it off the xss-perf-disable rules.
func (q *fastReq) values(out []string, slots []int32, sels []varSel, perf bool) ([]string, []int32) {
	hdr := int32(slotArgs + 2*len(q.argNames))
	for si := range sels {
		s := &sels[si]
		if s.count {
			out, slots = append(out, strconv.Itoa(q.count(*s))), append(slots, -1)
			continue
		}
		switch s.code {
		case varURI:
			out, slots = append(out, q.uri), append(slots, slotURI)
		case varURIRaw:
			out, slots = append(out, q.uriRaw), append(slots, slotURIRaw)
		case varFilename:
			if !perf || !q.noFilename {
				out, slots = append(out, q.filename), append(slots, slotFilename)
			}
		case varBasename:
			out, slots = append(out, q.basename), append(slots, slotBasename)
		case varQuery:
			out, slots = append(out, q.query), append(slots, slotQuery)
		case varLine:
			out, slots = append(out, q.line), append(slots, slotLine)
		case varMethod:
			out, slots = append(out, q.method), append(slots, slotMethod)
		case varProto:
			out, slots = append(out, q.proto), append(slots, slotProto)
		case varBody:
			out, slots = append(out, ""), append(slots, slotBody)
		case varRemote:
			out, slots = append(out, q.remote), append(slots, slotRemote)
		case varArgs:
			for i, n := range q.argNames {
				if s.selects(n) {
					out, slots = append(out, q.argValues[i]), append(slots, int32(slotArgs+2*i+1))
				}
			}
		case varArgNames:
			for i, n := range q.argNames {
				if s.selects(n) {
					out, slots = append(out, n), append(slots, int32(slotArgs+2*i))
				}
			}
		case varHeaders:
			for i, n := range q.hdrNames {
				if s.selects(n) {
					out, slots = append(out, q.hdrValues[i]), append(slots, hdr+int32(2*i+1))
				}
			}
		case varHeaderNames:
			for i, n := range q.hdrNames {
				if s.selects(n) {
					out, slots = append(out, n), append(slots, hdr+int32(2*i))
				}
			}
		}
	}
	return out, slots
}

// count is &VAR: the number of values the selector gives.
func (q *fastReq) count(s varSel) int {
	s.count = false
	out, _ := q.values(nil, nil, []varSel{s}, false)
	return len(out)
}

func (s *varSel) selects(key string) bool {
	if s.key != "" && !strings.EqualFold(key, s.key) {
		return false
	}
	for _, n := range s.not {
		if strings.EqualFold(key, n) {
			return false
		}
	}
	return true
}

// transform runs a non-multiMatch chain with the request's cache, as
// Coraza's transformArg does: from the longest prefix of the chain
// already computed for the value (a transformation's error leaves the
// value as it was). It returns the value and its entry (-1 for a value
// without a slot, which is not cached).
func (s *fastState) transform(slot int32, v string, chain []int32, funcs []transform.Func) (string, int32) {
	if slot < 0 {
		for _, fn := range funcs {
			if t, _, err := fn(v); err == nil {
				v = t
			}
		}
		return v, -1
	}
	base := slot * s.width
	start, cur, at := 0, v, base
	for i := len(chain) - 1; i >= 0; i-- {
		if e := &s.ent[base+1+chain[i]]; e.gen == s.gen {
			start, cur, at = i+1, e.v, base+1+chain[i]
			break
		}
	}
	if start == 0 {
		if e := &s.ent[base]; e.gen != s.gen {
			*e = tEntry{v: v, gen: s.gen, same: base}
		}
	}
	for j := start; j < len(chain); j++ {
		prev := cur
		if t, _, failed := s.apply(s.prefixFn[chain[j]], funcs[j], cur); !failed {
			cur = t
		}
		i := base + 1 + chain[j]
		same := i
		if sameString(prev, cur) {
			same = s.ent[at].same
		}
		s.ent[i] = tEntry{v: cur, gen: s.gen, same: same}
		at = i
	}
	return cur, s.ent[at].same
}

// multi is the package function multi with the request's cache: the
// value, then each step's result the transformation reports as a change;
// a step that reports none leaves the state as it was (jsDecode can
// report none and still hand back other bytes, so the state is not the
// plain chain's). The multiMatch groups' chains share prefixes (five
// begin with urlDecodeUni, four with urlDecodeUni,jsDecode), computed
// once per value and request.
func (s *fastState) multi(slot int32, v string, chain []int32, funcs []transform.Func, fn func(string, int32)) {
	cur, at := s.transform(slot, v, nil, nil)
	fn(cur, at)
	base := slot * s.width
	for k := range chain {
		i := base + 1 + chain[k]
		e := &s.ent[i]
		if e.gen != s.gen {
			t, changed, failed := s.apply(s.prefixFn[chain[k]], funcs[k], cur)
			if failed || !changed {
				*e = tEntry{v: cur, gen: s.gen, same: s.ent[at].same}
			} else {
				same := i
				if sameString(t, cur) {
					same = s.ent[at].same
				}
				*e = tEntry{v: t, gen: s.gen, same: same, changed: true}
			}
		}
		if e.changed {
			fn(e.v, e.same)
		}
		cur, at = e.v, i
	}
}

// multi is Coraza's executeTransformationsMultimatch: the value and each
// changed intermediate.
func multi(out []string, v string, funcs []transform.Func) []string {
	out = append(out, v)
	for _, f := range funcs {
		t, changed, err := f(v)
		if err != nil {
			continue
		}
		if changed {
			out = append(out, t)
			v = t
		}
	}
	return out
}

// eachValue calls fn with every transformed value an operator sees, and
// its entry (-1: none, see transform).
func (s *fastState) eachValue(sels []varSel, perf, mm bool, chain []int32, funcs []transform.Func, fn func(string, int32)) {
	start := len(s.vals)
	s.vals, s.slots = s.req.values(s.vals, s.slots, sels, perf)
	s.eachOf(s.vals[start:], s.slots[start:], mm, chain, funcs, fn)
	s.vals, s.slots = s.vals[:start], s.slots[:start]
}

// eachOf is eachValue for raw values already read (and their slots).
func (s *fastState) eachOf(raw []string, slots []int32, mm bool, chain []int32, funcs []transform.Func, fn func(string, int32)) {
	for i := range raw {
		v := raw[i]
		if mm && slots[i] < 0 {
			var tmp [4]string
			for _, t := range multi(tmp[:0], v, funcs) {
				fn(t, -1)
			}
			continue
		}
		if mm {
			s.multi(slots[i], v, chain, funcs, fn)
			continue
		}
		fn(s.transform(slots[i], v, chain, funcs))
	}
}

// inspect evaluates the request without Coraza; ok is false when the
// request must go to Coraza (see fastPlan).
func (f *fastPlan) inspect(d *Detector, ev *event.Event) (Result, bool) {
	s := f.pool.Get().(*fastState)
	defer f.pool.Put(s)
	r, ok := f.eval(d, s, ev)
	if ok {
		f.served.Add(1)
	} else {
		f.deferred.Add(1)
	}
	return r, ok
}

func (f *fastPlan) eval(d *Detector, s *fastState, ev *event.Event) (Result, bool) {
	q := &s.req
	q.fill(d, ev)
	// CRS's exceptions 905100 and 905110 remove every rule for a loopback
	// client's probe: left to Coraza.
	if q.remote == "127.0.0.1" || q.remote == "::1" {
		ua := ""
		for i, n := range q.hdrNames {
			if strings.EqualFold(n, "User-Agent") {
				ua = q.hdrValues[i]
			}
		}
		if q.line == "GET /" || strings.HasSuffix(ua, "(internal dummy connection)") {
			return Result{}, false
		}
	}
	// 920650 reads %{ARGS._method}: left to Coraza.
	for _, n := range q.argNames {
		if strings.EqualFold(n, "_method") {
			return Result{}, false
		}
	}
	s.begin(f.prefixes)
	s.ids, s.scores = s.ids[:0], s.scores[:0]
	// 941010: a REQUEST_FILENAME of safe bytes only leaves the
	// xss-perf-disable rules (validateByteRange is false on "").
	q.noFilename = true
	for i := 0; i < len(q.filename); i++ {
		if !f.perfCheck[q.filename[i]] {
			q.noFilename = false
			break
		}
	}
	if q.filename == "" {
		q.noFilename = true
	}
	for i := range f.rules {
		r := &f.rules[i]
		switch r.kind {
		case kindNever:
		case kindProtocol:
			if f.protocol(r.id, q) {
				s.ids, s.scores = append(s.ids, r.id), append(s.scores, r.score)
			}
		case kindPlain, kindFallback, kindMatched, kindCapture:
			// The head's operator on each value, but for the raw values
			// the value cache knows it matches nowhere on (its bit is
			// after the evaluator's rules).
			s.matched = s.matched[:0]
			h := &r.head
			raw, slots := s.listValues(h.list, h.sels, r.perf)
			bit := int32(len(f.e.rules) + i)
			for k := range raw {
				ve := s.valueEntry(f.values, slots[k], raw[k])
				if ve != nil {
					if known, m := ve.verdict(bit); known && !m {
						continue
					}
				}
				before := len(s.matched)
				s.eachOf(raw[k:k+1], slots[k:k+1], h.multiMatch, h.chain, h.funcs, func(v string, _ int32) {
					if h.match(v) {
						s.matched = append(s.matched, v)
					}
				})
				if ve != nil {
					ve.set(bit, len(s.matched) > before)
				}
			}
			if len(s.matched) == 0 {
				continue
			}
			if r.kind == kindFallback {
				return Result{}, false
			}
			if r.kind == kindCapture {
				hit, ok := f.capture(r, s)
				if !ok {
					return Result{}, false
				}
				if hit {
					s.ids, s.scores = append(s.ids, r.id), append(s.scores, r.score)
				}
				continue
			}
			ok := true
			for _, l := range r.links {
				if !slices.ContainsFunc(s.matched, l.match) {
					ok = false
					break
				}
			}
			if ok {
				s.ids, s.scores = append(s.ids, r.id), append(s.scores, r.score)
			}
		}
	}
	// The evaluator's groups, value by value: from the value cache when
	// it knows the verdicts of the group's rules not matched yet on the
	// value, else evaluated, and those verdicts kept.
	st := &s.st
	clear(st.matched)
	for gi := range f.groups {
		g := &f.groups[gi]
		eg := f.e.groups[gi]
		raw, slots := s.listValues(g.list, g.sels, eg.perf)
		for k := range raw {
			ve := s.valueEntry(f.values, slots[k], raw[k])
			if ve != nil && decided(st, eg, ve) {
				continue
			}
			s.open = s.open[:0]
			for _, i := range eg.rules {
				if !st.matched[i] {
					s.open = append(s.open, i)
				}
			}
			s.eachOf(raw[k:k+1], slots[k:k+1], eg.multiMatch, g.chain, g.funcs, func(v string, e int32) {
				f.evalValue(s, eg, v, e)
			})
			if ve != nil {
				for _, i := range s.open {
					ve.set(i, st.matched[i])
				}
			}
		}
	}
	for i, hit := range st.matched {
		if hit {
			s.ids, s.scores = append(s.ids, f.e.rules[i].id), append(s.scores, f.e.rules[i].score)
		}
	}
	return d.score(s.ids, s.scores), true
}

// valueEntry is the value cache's entry for the raw value of a slot (nil
// for a count, which has none, a value that holds the whole request or
// its address, or a value the cache does not keep).
func (s *fastState) valueEntry(c *valueCache, slot int32, v string) *valueEntry {
	if c == nil || slot < 0 || slot < slotArgs && !repeatedSlot[slot] {
		return nil
	}
	if s.slotValueGen[slot] != s.gen {
		s.slotValue[slot], s.slotValueGen[slot] = c.entry(v, &s.recent), s.gen
	}
	return s.slotValue[slot]
}

// decided reports whether the value's entry knows every rule of the group
// not matched yet, and if so marks those it matched.
func decided(st *pruneState, g *evalGroup, ve *valueEntry) bool {
	for _, i := range g.rules {
		if known, _ := ve.verdict(i); !known && !st.matched[i] {
			return false
		}
	}
	for _, i := range g.rules {
		if _, m := ve.verdict(i); m {
			st.matched[i] = true
		}
	}
	return true
}

// evalValue is evaluator.evalValue with the shared literal pass: the
// group's rules that can match the value (as the group reads it,
// transformed; e its entry, see fastState.transform) run their
// operators, and those that match are marked.
func (f *fastPlan) evalValue(s *fastState, g *evalGroup, v string, e int32) {
	st := &s.st
	rules := f.e.rules
	var bits []uint64
	checked := false
	for _, i := range g.rules {
		if st.matched[i] {
			continue
		}
		if !checked {
			bits, checked = f.candidates(s, v, e), true
		}
		if bits != nil && bits[i>>6]&(1<<(i&63)) == 0 {
			continue
		}
		if rules[i].match(v) {
			st.matched[i] = true
		}
	}
}

// candidates is the bitset of the evaluator's rules that can match v: in
// an ASCII value those without literals and those whose literals occur;
// nil for a value outside ASCII (Unicode case folding could match a
// literal there: every rule is a candidate). Computed once per value and
// request (e is the value's entry; -1, not cached).
func (f *fastPlan) candidates(s *fastState, v string, e int32) []uint64 {
	var ent *tEntry
	if e >= 0 {
		ent = &s.ent[e]
		if ent.cgen == s.gen {
			if ent.off < 0 {
				return nil
			}
			return s.bits[ent.off : int(ent.off)+f.words]
		}
		ent.cgen, ent.off = s.gen, -1
	}
	if !ascii(v) {
		return nil
	}
	h := maphash.String(f.seed, v) & (markedSize - 1)
	for ; ; h = (h + 1) & (markedSize - 1) {
		m := &s.marked[h]
		if m.gen != s.gen {
			break
		}
		if m.v == v {
			if ent != nil {
				ent.off = m.off
			}
			return s.bits[m.off : int(m.off)+f.words]
		}
	}
	off := len(s.bits)
	s.bits = append(s.bits, f.always...)
	bits := s.bits[off:]
	f.lit.mark(v, bits)
	if ent != nil {
		ent.off = int32(off)
	}
	if s.nMarked < markedSize/2 {
		s.nMarked++
		s.marked[h] = markedEntry{v: v, gen: s.gen, off: int32(off)}
	}
	return bits
}

// protocol evaluates the protocol rules written out (fastKinds).
func (f *fastPlan) protocol(id int, q *fastReq) bool {
	switch id {
	case 911100: // REQUEST_METHOD !@within %{tx.allowed_methods}
		return !strings.Contains(f.tx["allowed_methods"], q.method)
	case 920100: // REQUEST_LINE !@rx <the request line's form>
		return !f.rx920100.matchAlone(q.line)
	case 920270, 920271: // REQUEST_URI_RAW|REQUEST_HEADERS|ARGS|ARGS_NAMES @validateByteRange, t:urlDecodeUni
		valid := &byteRange1
		if id == 920271 {
			valid = &byteRange2
		}
		bad := func(v string) bool {
			v, _, _ = urlDecodeUni(v)
			for i := 0; i < len(v); i++ {
				if !valid[v[i]] {
					return true
				}
			}
			return false
		}
		if bad(q.uriRaw) || slices.ContainsFunc(q.hdrValues, bad) || slices.ContainsFunc(q.argValues, bad) ||
			slices.ContainsFunc(q.argNames, bad) {
			return true
		}
		return false
	case 920320: // &REQUEST_HEADERS:User-Agent @eq 0
		return !slices.ContainsFunc(q.hdrNames, func(n string) bool { return strings.EqualFold(n, "User-Agent") })
	case 920430: // REQUEST_PROTOCOL !@within %{tx.allowed_http_versions}
		return !strings.Contains(f.tx["allowed_http_versions"], q.proto)
	case 920440: // REQUEST_BASENAME @rx \.([^.]+)$ (t:urlDecodeUni), then .EXT/ @within restricted_extensions (t:lowercase)
		b, _, _ := urlDecodeUni(q.basename)
		if b == "" {
			return false
		}
		m := f.rx920440.rx.std.FindStringSubmatch(b)
		if m == nil {
			return false
		}
		ext, _, _ := lowercase("." + m[1] + "/")
		return strings.Contains(f.tx["restricted_extensions"], ext)
	case 920610: // REQUEST_URI_RAW @contains #
		return strings.Contains(q.uriRaw, "#")
	case 920650: // arguments named _method went to Coraza
		return false
	}
	return false
}

// The byte ranges of 920270 (1-255) and 920271 (9,10,13,32-126,128-255).
var byteRange1, byteRange2 = func() ([256]bool, [256]bool) {
	var a, b [256]bool
	for c := 1; c < 256; c++ {
		a[c] = true
		b[c] = c == 9 || c == 10 || c == 13 || c >= 32 && c <= 126 || c >= 128
	}
	return a, b
}()

var (
	urlDecodeUni, _ = transform.Get("urlDecodeUni")
	lowercase, _    = transform.Get("lowercase")
)

// planCapture reads the chain of a kindCapture rule (its first rule c[0]
// captures with an @rx, the link tests TX:1 and TX:2) and checks that it
// is the chain fastPlan.capture evaluates.
func (r *fastRule) planCapture(c []ruleInfo) error {
	h := c[0]
	if len(c) != 2 || h.op != "rx" || h.negated || !slices.Contains(h.actions, "capture") {
		return fmt.Errorf("rule %d: not a capture chain", r.id)
	}
	op, ok := rxCache.Load(h.opArg)
	if !ok {
		return fmt.Errorf("rule %d: pattern not loaded", r.id)
	}
	r.capRx = op.(*rxOperator)
	groups := 0
	if r.capRx.bin != nil {
		groups = r.capRx.bin.NumSubexp()
	} else {
		groups = r.capRx.std.NumSubexp()
	}
	l := c[1]
	want := func(vars, op, arg string, negated bool, n int) error {
		if strings.Join(l.vars, "|") != vars || l.op != op || l.opArg != arg || l.negated != negated {
			return fmt.Errorf("rule %d: the chain is not %s %s %s", r.id, vars, op, arg)
		}
		if groups < n {
			// TX:n would be a capture of an earlier rule.
			return fmt.Errorf("rule %d: %d groups", r.id, groups)
		}
		return nil
	}
	switch r.id {
	case 942130, 942131: // TX:1 @streq %{TX.2} (942131: !@streq)
		if err := want("TX:1", "streq", "%{TX.2}", r.id == 942131, 2); err != nil {
			return err
		}
		neg := r.id == 942131
		r.capTest = func(caps []string, _ string) bool { return (caps[1] == caps[2]) != neg }
	case 942521: // TX:1 @rx ^(?:and|or)$
		if err := want("TX:1", "rx", "^(?:and|or)$", false, 1); err != nil {
			return err
		}
		m, err := fastOperator(l, nil)
		if err != nil {
			return err
		}
		r.capTest = func(caps []string, _ string) bool { return m(caps[1]) }
	case 931130: // setvar tx.rfi_parameter_NAME=.%{tx.1}; TX:/rfi_parameter_.*/ !@endsWith .%{request_headers.host}
		if err := want("TX:/rfi_parameter_.*/", "endsWith", ".%{request_headers.host}", true, 1); err != nil {
			return err
		}
		if !slices.Contains(h.setvars, "tx.rfi_parameter_%{MATCHED_VAR_NAME}=.%{tx.1}") {
			return fmt.Errorf("rule %d: setvar changed", r.id)
		}
		r.capTest = func(caps []string, host string) bool { return !strings.HasSuffix("."+caps[1], "."+host) }
	default:
		return fmt.Errorf("rule %d: no capture chain written for it", r.id)
	}
	return nil
}

// capture evaluates a kindCapture chain. Coraza runs the first rule over
// every value and keeps the captures (TX.0-9) of the last value that
// matched; the values of one collection (ARGS) come in the order of a Go
// map, so when matching values of the last variable that matched would
// decide differently the result is Coraza's draw: ok false, the request
// goes to Coraza. 931130's chain reads every matched argument's capture
// (one setvar per match, by name): any that fails decides; it is exact
// here only when they all agree, else again ok false.
func (f *fastPlan) capture(r *fastRule, s *fastState) (hit, ok bool) {
	h := &r.head
	host := s.req.hdrValues[0]
	decided, result := false, false
	for si := range h.sels {
		// Every value of one variable (and, multiMatch, each of its
		// transformations) must decide alike.
		agree, seen, got := true, false, false
		s.eachValue(h.sels[si:si+1], r.perf, h.multiMatch, h.chain, h.funcs, func(v string, _ int32) {
			if !h.match(v) {
				return
			}
			var caps []string
			if r.capRx.bin != nil {
				caps = r.capRx.bin.FindStringSubmatch(v)
			} else {
				caps = r.capRx.std.FindStringSubmatch(v)
			}
			if caps == nil {
				agree = false // RE2 and Go's regexp disagree: leave it to Coraza
				return
			}
			t := r.capTest(caps, host)
			if seen && t != got {
				agree = false
			}
			seen, got = true, t
		})
		if !agree {
			return false, false
		}
		if !seen {
			continue
		}
		if r.id == 931130 {
			// Any argument's capture decides; they must agree (above),
			// across variables too.
			if decided && got != result {
				return false, false
			}
		}
		// Otherwise the last variable with a match decides.
		decided, result = true, got
	}
	return decided && result, true
}

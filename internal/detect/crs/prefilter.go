package crs

import (
	"hash/maphash"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/garda-id/garda/internal/detect/literal"
	"github.com/garda-id/garda/internal/event"
)

// Prefilter decides, from the raw request line and headers, whether CRS
// could judge a request an attack: false means "ordinary, skip CRS", true
// means "ask CRS". It must never skip a request CRS flags at its paranoia
// level and threshold; that is measured (the regression replay, and every
// phrase of CRS's phrase files in every field by TestPrefilterCoversPhrases),
// not proven, so a change here needs those tests to pass. It allocates
// nothing and is safe for concurrent use.
//
// It passes, following what CRS's request rules look for:
//
//   - in the target, any byte outside letters, digits and / . - _ = & ? + ,
//     (quotes, < > ( ) ; | ` $ { } [ ] \ * ! ~ @ : # ^, raw spaces,
//     control bytes, non-ASCII), and any percent-encoding that does not
//     decode to a space, '/', ',' or '+' (so %27, %00, %2e, %25 and
//     encoded letters, the evasions) or is malformed;
//   - structure: "..", "//", a dot starting a segment or value (.env), a
//     second '?', an '=' inside a query value, a restricted extension
//     (920440's list, read from CRS), a target not starting with '/', a
//     method other than GET, HEAD, POST, an HTTP version CRS rejects;
//   - words (runs of letters and digits, hashed and looked up once each in
//     a table built from CRS's own phrase files: lfi-os-files,
//     restricted-files, unix-shell, windows-powershell-commands,
//     php-function-names, java-classes, ssrf, ...; plus keywords.go for
//     CRS's expressions). A phrase of several words is anchored on its
//     rarest word and verified on the target's letters and digits;
//   - shell commands where CRS reads them: a command name starting a query
//     name or value (or following a '/' or space in it) with arguments, and
//     the names CRS flags even alone (shellwords.go, measured per level);
//   - per level: at 2, a query value with a comma that ends in a hex digit
//     (942200); at 3, more bare commands ("id", "ls"); at 4, any space or
//     '/' in the query (920273);
//   - a target with an upper-case letter whose path or query value decodes
//     from base64 to code-like text (934100, 934101, 934160): without
//     upper-case letters base64 cannot spell what those rules look for
//     (TestBase64NeedsUpperCase);
//   - a User-Agent with suspicious bytes, without a '/' (a command line,
//     not a product), naming a scanner (913100's list, substrings), holding
//     a phrase (verified on the value as CRS normalises it), or a shell
//     command where 932239 and 932237 find one: leading the value or after
//     ';' or '=' (as a product, with arguments, or joined by '-' or '_'),
//     and at level 3 after any separator, each list measured per level
//     (shellwords.go); a Referer that is not an absolute http(s) URL or
//     whose target would pass; a Host that is not a plain name or
//     address;
//   - the weak signals together: a missing User-Agent (2 points) with a
//     numeric Host (3 points) reach CRS's default threshold of 5.
//
// User-Agent and Referer verdicts are cached per value (both repeat
// across requests): a direct-mapped table of seeded hashes, updated
// atomically.
type Prefilter struct {
	pl       int // the paranoia level whose rules it anticipates
	minScore int // the threshold the weak signals are weighed against
	target   *wordTable
	agent    *wordTable
	scanners *literal.Matcher
	seed     maphash.Seed
	uaCache  verdictCache
	refCache verdictCache
}

// NewPrefilter builds the prefilter for a detector's options (paranoia
// level and threshold; zero values mean the defaults). A prefilter built
// for one level may skip requests another level's rules flag.
func NewPrefilter(opts Options) (*Prefilter, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	lists, err := loadPhrases()
	if err != nil {
		return nil, err
	}
	target, agent := newTableBuilder(false), newTableBuilder(true)
	target.phrases(lists.target, &targetClass)
	agent.phrases(lists.agent, &agentClass)
	target.flagWords(lists.commands, fCommand, &targetClass)
	target.flagWords(lists.extensions, fExt, &targetClass)
	// Shell words CRS flags at this level: one word is looked up where CRS
	// reads it (starting a query name or value; anywhere in a Referer); a
	// name of several ("apt-get") joins the target's phrases.
	for pl := 1; pl <= opts.ParanoiaLevel; pl++ {
		for _, list := range []struct {
			words []string
			flag  uint16
		}{{startCommands[pl], fStart}, {refererCommands[pl], fReferer}} {
			for _, w := range list.words {
				if len(splitWords(w, &targetClass)) == 1 {
					target.flagWords([]string{w}, list.flag, &targetClass)
				} else {
					target.phrases([]string{w}, &targetClass)
				}
			}
		}
	}
	for pl := 1; pl <= opts.ParanoiaLevel; pl++ {
		agent.flagWords(agentStartCommands[pl], fStart, &targetClass)
		agent.flagWords(agentLeadCommands[pl], fLead, &targetClass)
		agent.flagWords(agentDashCommands[pl], fDash, &targetClass)
		agent.flagWords(agentUnderCommands[pl], fUnder, &targetClass)
		agent.flagWords(agentCommands[pl], fCommand, &agentClass)
	}
	return &Prefilter{
		pl:       opts.ParanoiaLevel,
		minScore: opts.Threshold,
		target:   target.build(),
		agent:    agent.build(),
		scanners: literal.New(lists.scanners, true),
		seed:     maphash.MakeSeed(),
	}, nil
}

// Suspicious reports whether the event's request could be an attack CRS
// would flag (true), or is an ordinary request that can skip CRS.
func (p *Prefilter) Suspicious(ev *event.Event) bool {
	return p.SuspiciousRequest(ev.Get(event.HTTPMethod), ev.Get(event.URLOriginal), ev.Get(event.HTTPVersion),
		ev.Get(event.URLDomain), ev.Get(event.UserAgent), ev.Get(event.Referrer))
}

// SuspiciousRequest is Suspicious on the raw fields: method, request
// target, HTTP version ("1.1" or "HTTP/1.1"), Host, User-Agent and
// Referer ("" or "-" when absent).
func (p *Prefilter) SuspiciousRequest(method, target, version, host, ua, referer string) bool {
	if !plainMethod(method) || !plainVersion(version) {
		return true
	}
	weak := 0
	if host != "" && host != "-" {
		ip, ok := plainHost(host)
		if !ok {
			return true
		}
		if ip {
			weak += 3 // 920350: Host header is a numeric IP address
		}
	}
	if ua == "" || ua == "-" {
		weak += 2 // 920320 / 920330: missing or empty User-Agent
	} else if p.cached(&p.uaCache, ua, p.agentSuspicious) {
		return true
	}
	if weak >= p.minScore {
		return true
	}
	if referer != "" && referer != "-" && p.cached(&p.refCache, referer, p.refererSuspicious) {
		return true
	}
	return p.targetSuspicious(target)
}

// OrdinaryPath reports whether a request path (no query) holds nothing
// CRS could flag: CRS's verdict on a request is then the same whatever
// ordinary path it carries (TestOrdinaryPathKeepsVerdicts), so verdicts
// can be remembered across paths, as across ordinary user agents.
func (p *Prefilter) OrdinaryPath(path string) bool {
	return !strings.Contains(path, "?") && !p.targetSuspicious(path)
}

func plainMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "":
		return true
	}
	return false
}

func plainVersion(v string) bool {
	switch v {
	case "", "-", "1.0", "1.1", "2", "2.0", "3", "3.0",
		"HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0", "HTTP/3", "HTTP/3.0":
		return true
	}
	return false
}

// plainHost accepts a DNS name or an address, with an optional port;
// ip reports an address.
func plainHost(h string) (ip, ok bool) {
	name := hostName(h)
	if len(name) != len(h) {
		port := h[len(name):]
		if len(port) < 2 || port[0] != ':' || len(port) > 6 {
			return false, false
		}
		for i := 1; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false, false
			}
		}
	}
	if len(name) > 2 && name[0] == '[' {
		_, err := netip.ParseAddr(name[1 : len(name)-1])
		return true, err == nil
	}
	if len(name) == 0 || len(name) > 253 {
		return false, false
	}
	digitsAndDots := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= '0' && c <= '9' || c == '.':
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-':
			digitsAndDots = false
		default:
			return false, false
		}
	}
	return digitsAndDots, true
}

// verdictCache remembers the verdict on recent header values by hash.
type verdictCache [4096]atomic.Uint64

func (p *Prefilter) cached(c *verdictCache, s string, judge func(string) bool) bool {
	h := maphash.String(p.seed, s) | 2 // never 0: 0 is an empty slot
	slot := &c[h>>52]
	if v := slot.Load(); v&^1 == h&^1 {
		return v&1 == 1
	}
	verdict := judge(s)
	v := h &^ 1
	if verdict {
		v |= 1
	}
	slot.Store(v)
	return verdict
}

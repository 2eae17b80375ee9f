// Package payload holds Garda's own checks of request arguments, for what
// CRS misses at paranoia level 2 (or finds only at level 3, where it also
// flags ordinary text): a shell separator followed by a command ("|id",
// ";id", "| dir c:/"), a value that is a whole command ("ls -la",
// "whoami"), ping with its options, path traversal with odd dot
// sequences ("/....//....//web-inf/web.xml"), header injection (a CR or
// LF followed by a header in the path or an argument), a value made only
// of SQL quotes and comments ("'", "'--": a scanner's first probe) or
// ending in a run of quotes, parentheses, commas and dots (sqlmap's
// heuristic probe, "1'(.,)\").("), ORDER
// BY a column number (a column count before a UNION), and
// "<" written as an HTML entity or a JavaScript escape, an absolute path
// into the system's own directories; SQL's grammar where a value is left
// or a condition only SQL writes (sqlgrammar.go); and libinjection's
// tokenising SQL-injection and XSS detectors (what CRS's @detectSQLi and
// @detectXSS run, in rules 942100 and 941100), on every argument even when
// CRS's prefilter keeps the request away from Coraza. Each check is
// narrow by design: it names an attack only when the value holds the
// attack's own syntax, never a command word or dots alone. It reads
// values already decoded (package decode) and must never allocate on a
// value with nothing suspicious in it.
package payload

import (
	"regexp"
	"strings"

	"github.com/corazawaf/libinjection-go"

	"github.com/garda-id/garda/internal/detect/decode"
)

// Class is what a check found.
type Class uint8

// The classes.
const (
	CommandInjection Class = 1 << iota
	PathTraversal
	HeaderInjection
	SQLInjection
	CrossSiteScripting
)

// Finding is one check that matched: its rule id (as alerts show it) and class.
type Finding struct {
	Rule  string
	Class Class
}

// The checks' rule ids.
const (
	RuleCommandSeparator = "garda-cmdi-separator"
	RulePing             = "garda-cmdi-ping"
	RuleDotSequence      = "garda-traversal-dots"
	RuleHeaderInjection  = "garda-header-injection"
	RuleSQLProbe         = "garda-sqli-probe"
	RuleEncodedTag       = "garda-xss-encoded-tag"
	RuleLibinjectionSQLi = "garda-sqli-libinjection"
	RuleLibinjectionXSS  = "garda-xss-libinjection"
	RuleSQLGrammar       = "garda-sqli-grammar"
	RuleSystemPath       = "garda-traversal-system-path"
)

// Commands an attacker's tool sends to prove execution or take a shell
// (Unix and Windows), in two kinds. strongCommands are rarely words of
// prose: after a separator they are enough. proseCommands are also
// ordinary words ("dogs & cat", "A; type B"): after a separator they
// count only with an argument that looks like a path or an option.
const (
	strongCommands = `id|whoami|uname|ls|dir|ifconfig|ipconfig|netstat|tasklist|systeminfo|nslookup|hostname|pwd|` +
		`wget|curl|nc|ncat|netcat|telnet|sleep|ping|bash|sh|zsh|ksh|cmd|cmd\.exe|powershell|powershell\.exe|pwsh|` +
		`perl|python[23]?|php|ruby|busybox|certutil|bitsadmin|wmic|chmod|chown|rm|printf|echo|` +
		`/bin/\w+|/usr/bin/\w+|/usr/local/bin/\w+|/sbin/\w+`
	proseCommands = `cat|type|more|head|tail|set|find|del|copy|move|start|env|kill|reg|expr|sed|awk|touch|ps|base64|xargs`
	// commandWordRE is what follows a separator in commandAfterSeparator.
	commandWordRE = `(?:` +
		`(?:` + strongCommands + `)(?:$|[\s;|&<>\\` + "`" + `)'"]|\$\{IFS\}|\$IFS)` +
		`|(?:` + proseCommands + `)(?:\s+|\$\{IFS\}|\$IFS)(?:-\w|/|\\|[a-z]:[/\\]|~|\.\.?/)` +
		`|net\s+(?:user|localgroup|view|share|use|session|accounts)\b)`
)

var (
	// A separator (; | || & && ` $( or a newline, or "\n" written out
	// for a string the server interpolates) then a command as a
	// word: a strong one followed by the end, a space or a separator; a
	// prose one followed by a path or an option; or "net user" and its
	// kin.
	// It is run as commandWord, anchored, at each place commandMayFollow
	// finds (commandAfter): the unanchored search, `(?i)(?:^|[;|&\n\r` +
	// "`" + `]|\$\(|\\n)\s*` + commandWordRE, tried every byte of the value
	// (0.18 of the 0.68 s payload.Check took on the hostile 30,000 lines;
	// TestCommandAfterIsTheSearch).
	commandWord = regexp.MustCompile(`(?i)^` + commandWordRE)
	// A value that is a whole command with an option, a path or a URL
	// after it ("ls -la", "cat /etc/passwd", "wget http://..."), as a web
	// shell's parameter carries it (proofCommand: one alone). A command
	// word followed by prose ("ls of cards", "wget alternative") is not one.
	wholeCommand = regexp.MustCompile(`(?i)^\s*(?:` + strongCommands + `|` + proseCommands + `)(?:\s+|\$\{IFS\}|\$IFS)` +
		`(?:-{1,2}[a-z]|/[\w.]|[a-z]:[/\\]|~/|\.\.?/|https?://)`)
	// ping with an option and an address: "ping -i 30 127.0.0.1", "ping -n 10 localhost".
	pingWithOptions = regexp.MustCompile(`(?i)(?:^|[^\w])ping(?:\.exe)?\s+(?:-[a-z]+\s+\d+\s+)+(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|[\w.-]+\.[a-z]{2,})`)
	// Two traversal steps of two or more dots (with any run of slashes
	// or backslashes, or ";" as Tomcat reads it), or one step of three
	// or more dots, or "....//" that a filter removing "../" leaves as "../".
	// Also "..2f..2f", a double encoding that lost its '%' on the way
	// (scanners send it as it is), also once at the start with another
	// "2f" further on ("..2fetc2fpasswd"); a '%' left between the dots and
	// the slash by a mangled double encoding ("..%\\..%\\").
	dotSequence = regexp.MustCompile(`(?i)(?:\.{2,}[;%]?[/\\]+){2,}|(?:^|[/\\])\.{3,}[/\\]|\.{4,}/{2,}|(?:\.\.(?:2f|5c)){2,}|^\.\.(?:2f|5c)[\w.-]+(?:2f|5c)`)
	// A "<" or ">" written as a numeric HTML entity or a JavaScript
	// escape: no one types that into a form; a scanner sends it to learn
	// which encoding of a tag gets through.
	// Named, "&lt;" counts alone (the same probe) or before a tag that
	// runs or loads something ("&lt;script", "&lt;/body&gt;", "&lt;?php"):
	// escaped text in an editor's "&lt;p&gt;" is not one.
	encodedTag = regexp.MustCompile(`(?i)&#0*(?:60|62)(?:;|$|[^0-9])|&#x0*3[ce](?:;|$|[^0-9a-f])|\\u003[ce]|\\x3[ce]` +
		`|^\s*&lt;?\s*$|&lt;?\s*(?:/\s*)?(?:script|img|svg|iframe|frame|body|html|object|embed|meta|link|style|base|form|input|video|audio|math|details|marquee|\?|!--|!\[)`)
	// "ORDER BY" a column number, alone or after a value, to the end or a
	// comment: how a tool counts a query's columns before a UNION ("1
	// ORDER BY 10--", "ORDER BY 1 DESC--"). People sort by a name, not a
	// column number.
	columnCount = regexp.MustCompile(`(?i)(?:^|[\s'")])order\s+by\s+\d+(?:\s+(?:asc|desc))?\s*(?:--|#|/\*|;|$)`)
	// An argument that is an absolute path to a file inside an operating
	// system's own directories ("/etc/netconfig", "/proc/self/environ",
	// "c:\inetpub\wwwroot\index.asp", "/WEB-INF/web.xml"): what a file
	// inclusion reads without any "../". A path under a user's home or
	// documents ("/home/budi/...", "C:\Users\...") is not one.
	systemPath = regexp.MustCompile(`(?i)^\s*(?:file:/+)?(?:[/\\]?[a-z]:)?[/\\]+(?:etc|proc|boot|root|sys|dev|var[/\\]+(?:log|run|lib|spool|mail|db|lock|adm|www|backups|tmp)|` +
		`usr[/\\]+(?:local[/\\]+)?(?:etc|lib|share|apache\d*|php\d*|pkg|ports|bin|sbin|conf)|windows|winnt|inetpub|system32|appserv|xampp|wamp\d*|web-inf|meta-inf)[/\\]+[\w.$~-]`)
	// A CR or LF followed by a header name and a colon.
	headerAfterNewline = regexp.MustCompile(`[\r\n]+[ \t]*[A-Za-z][A-Za-z0-9-]{1,40}\s*:`)
)

// Check appends to dst what the checks find in a request target (path and
// query, as logged).
func Check(target string, dst []Finding) []Finding {
	path, query, _ := strings.Cut(target, "?")
	if pathMayHold(path) && worthChecking(path) {
		dst = checkValue(decode.Value(path, false), false, dst)
	}
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		_, v, ok := strings.Cut(kv, "=")
		if !ok {
			v = kv
		}
		if worthChecking(v) {
			dst = checkValue(decode.Value(v, true), true, dst)
		} else if len(v) > 4 && (v[0] == '/' || v[1] == ':') { // "/etc/rpc", "c:/boot.ini"
			if systemPath.MatchString(v) {
				dst = add(dst, Finding{RuleSystemPath, PathTraversal})
			}
		} else if proofCommand(v) {
			dst = add(dst, Finding{RuleCommandSeparator, CommandInjection})
		}
	}
	return dst
}

// worthChecking is a cheap look at a value as logged: every check needs
// one of these bytes (or an encoding that may hide one), or "ping", or
// words and numbers form-encoded (SQL needs no other byte). An absolute
// path without them is only looked at as a path (Check).
func worthChecking(v string) bool {
	return containsAnyOf(v, &worthBytes) || containsFold(v, "ping") ||
		strings.IndexByte(v, '+') >= 0 && strings.ContainsAny(v, "0123456789") // "1+ORDER+BY+10"
}

// worthBytes are the bytes worthChecking looks for, as a table: most
// lines' path and every argument pass through it, and strings.ContainsAny
// builds its set anew on each call.
var worthBytes = byteSet("%;|`$.\r\n'\"-*#\\<>()=")

type asciiSet [256]bool

func byteSet(chars string) (s asciiSet) {
	for i := 0; i < len(chars); i++ {
		s[chars[i]] = true
	}
	return s
}

func containsAnyOf(v string, set *asciiSet) bool {
	for i := 0; i < len(v); i++ {
		if set[v[i]] {
			return true
		}
	}
	return false
}

// pathMayHold reports whether a path, as logged, can hold what checkValue
// looks for in a path (header injection, dot sequences): a CR or LF, "..",
// or what decoding may turn into them ('%', overlong or look-alike UTF-8).
// Most paths hold a '.' or '-' (worthChecking) and none of these.
func pathMayHold(path string) bool {
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '%' || c == '\r' || c == '\n' || c >= 0x80:
			return true
		case c == '.' && i+1 < len(path) && path[i+1] == '.':
			return true
		}
	}
	return false
}

// commandStarts are the bytes a command of commandAfterSeparator can start
// with: the first letters of strongCommands, proseCommands and "net", in
// either case, '/', and every non-ASCII byte (under (?i) 'k' and 's' also
// match the Kelvin sign and the long s).
var commandStarts = func() (s asciiSet) {
	s = byteSet("iwuldntshpcbrezkmfaxIWULDNTSHPCBREZKMFAX/")
	for c := 0x80; c < 0x100; c++ {
		s[c] = true
	}
	return s
}()

// commandMayFollow is what commandAfterSeparator needs before it can
// match: at the start or after a separator (; | & CR LF ` "$(" or "\n"
// written out), after spaces, a byte a command starts with. The regexp
// searches every position of the value; most values with a separator have
// none followed by a command's first letter ("&#60;", "1;2").
func commandMayFollow(v string) bool { return commandAfter(v, nil) }

// commandAfter is commandMayFollow, and with word set, also
// commandAfterSeparator: at each place it finds, word (commandWord) is
// tried anchored. The two are the same test: commandAfterSeparator's
// command begins neither with a space (so its \s* stops where commandAt
// does) nor, even under (?i), with a byte outside commandStarts.
func commandAfter(v string, word *regexp.Regexp) bool {
	at := func(i int) bool {
		j, ok := commandAt(v, i)
		return ok && (word == nil || word.MatchString(v[j:]))
	}
	if at(0) {
		return true
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ';', '|', '&', '\n', '\r', '`':
			if at(i + 1) {
				return true
			}
		case '$':
			if i+1 < len(v) && v[i+1] == '(' && at(i+2) {
				return true
			}
		case '\\':
			if i+1 < len(v) && (v[i+1] == 'n' || v[i+1] == 'N') && at(i+2) {
				return true
			}
		}
	}
	return false
}

// commandAt: after the spaces (\s: \t \n \f \r and space) from i on, a
// byte a command starts with (and where).
func commandAt(v string, i int) (int, bool) {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\f' || v[i] == '\r') {
		i++
	}
	return i, i < len(v) && commandStarts[v[i]]
}

func checkValue(v string, arg bool, dst []Finding) []Finding {
	if v == "" {
		return dst
	}
	newline := strings.ContainsAny(v, "\r\n")
	if newline && headerAfterNewline.MatchString(v) {
		dst = add(dst, Finding{RuleHeaderInjection, HeaderInjection})
	}
	if hasNonASCII(v) {
		v = lookalikes.Replace(v)
	}
	if strings.Contains(v, "..") && dotSequence.MatchString(v) {
		dst = add(dst, Finding{RuleDotSequence, PathTraversal})
	}
	if !arg {
		return dst
	}
	if (v[0] == '/' || v[0] == '\\' || len(v) > 2 && v[1] == ':' || v[0] == ' ' || v[0] == 'f' || v[0] == 'F') && systemPath.MatchString(v) {
		dst = add(dst, Finding{RuleSystemPath, PathTraversal})
	}
	if sqlProbe(v) || len(v) >= 6 && parseBreaker(v) || len(v) >= 10 && containsFold(v, "by") && columnCount.MatchString(v) {
		dst = add(dst, Finding{RuleSQLProbe, SQLInjection})
	}
	if SQLi(v) {
		dst = add(dst, Finding{RuleLibinjectionSQLi, SQLInjection})
	} else if sqlGrammar(v) {
		dst = add(dst, Finding{RuleSQLGrammar, SQLInjection})
	} else if u, ok := uncomment(v); ok && (SQLi(u) || sqlGrammar(u)) {
		dst = add(dst, Finding{RuleSQLGrammar, SQLInjection})
	}
	if XSS(v) {
		dst = add(dst, Finding{RuleLibinjectionXSS, CrossSiteScripting})
	}
	if (strings.Contains(v, "&#") || strings.Contains(v, `\`) || containsFold(v, "&lt")) && encodedTag.MatchString(v) {
		dst = add(dst, Finding{RuleEncodedTag, CrossSiteScripting})
	}
	if (newline || strings.ContainsAny(v, ";|&`") || strings.Contains(v, "$(") || strings.Contains(v, `\n`)) && commandAfter(v, commandWord) {
		dst = add(dst, Finding{RuleCommandSeparator, CommandInjection})
	}
	if strings.ContainsAny(v, " \t$") && startsWithCommand(v) && wholeCommand.MatchString(v) {
		dst = add(dst, Finding{RuleCommandSeparator, CommandInjection})
	}
	if len(v) >= 12 && containsFold(v, "ping") && pingWithOptions.MatchString(v) {
		dst = add(dst, Finding{RulePing, CommandInjection})
	}
	return dst
}

// sqlGrammar is Garda's own SQL checks (sqlgrammar.go).
func sqlGrammar(v string) bool { return breakout(v) || leadingGrammar(v) || tautology(v) }

// uncomment returns a value with its comments read as MySQL reads them,
// when it has any: a versioned comment's content laid bare ("/*!AND*/",
// "/*!30874OR 1=1*/"), another inline comment ("/**/") and a line comment
// ended by a newline ("--x\n", "#x\n") as a space, as tamper scripts
// write keywords and spaces. Only such values (never a plain one) are
// copied.
func uncomment(v string) (string, bool) {
	inline := strings.Contains(v, "/*") && strings.Contains(v, "*/")
	line := strings.IndexByte(v, '\n') >= 0 && (strings.Contains(v, "--") || strings.IndexByte(v, '#') >= 0)
	if !inline && !line {
		return v, false
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch {
		case inline && strings.HasPrefix(v[i:], "/*!"):
			i += 3
			for i < len(v) && v[i] >= '0' && v[i] <= '9' {
				i++
			}
			i--
			b.WriteByte(' ')
		case inline && strings.HasPrefix(v[i:], "/*"):
			end := strings.Index(v[i+2:], "*/")
			if end < 0 {
				b.WriteString(v[i:])
				return b.String(), true
			}
			i += 2 + end + 1
			b.WriteByte(' ')
		case inline && strings.HasPrefix(v[i:], "*/"): // a versioned comment's end
			i++
			b.WriteByte(' ')
		case line && (strings.HasPrefix(v[i:], "--") || v[i] == '#'):
			end := strings.IndexByte(v[i:], '\n')
			if end < 0 {
				b.WriteString(v[i:])
				return b.String(), true
			}
			i += end
			b.WriteByte(' ')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String(), true
}

// SQLi reports whether libinjection reads a decoded argument as SQL
// injection: it tokenises the value as it would sit in a query (bare, after
// a quote, after a double quote) and looks its token sequence up among
// known injections, so words alone ("select your region", "order by
// date") are not one. Values of letters and spaces alone are skipped
// before the tokeniser runs: it needs a number, a quote or an operator to
// find one.
func SQLi(v string) bool {
	if lettersAndSpaces(v) {
		return false
	}
	if ok, _ := libinjection.IsSQLi(v); ok {
		return !parenthesisedProse(v)
	}
	// A fragment that starts with a boolean operator or a clause and holds
	// a comparison, a number, a star or a comment ("AND 4821=4821", "or
	// true--", "ORDER BY 10--", "select * from pg_shadow;") is what a tool
	// appends to the parameter's own value; the tokeniser judges it in that
	// place, after a number. (Prose starts with "and" or "select" too, but
	// seldom with any of those after it.)
	if (strings.ContainsAny(v, "=<>#;*0123456789") || strings.Contains(v, "--")) && leadingOperator.MatchString(v) {
		ok, _ := libinjection.IsSQLi("1 " + v)
		return ok
	}
	return false
}

// parenthesisedProse reports a value that libinjection reads as SQL only
// for its parentheses: words, numbers and brackets, each "(" after a space
// as prose writes it ("Soviet Union (1922-1991)", "pilih (a) or (b)",
// "count (hitung) suara"), with no SELECT. A tool's parenthesis is a
// call ("sleep(5)") or comes with a comparison, a quote or a comment.
func parenthesisedProse(v string) bool {
	if strings.IndexByte(v, '(') < 0 || containsFold(v, "select") {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '(':
			if i > 0 && v[i-1] != ' ' && v[i-1] != '(' {
				return false
			}
		case c == ' ' || c == ')' || c == '.' || c == ',' || c == '-' || c == '/' || c == ':' || c == '?' || c == '!':
		case c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9' || c >= 0x80:
		default:
			return false
		}
	}
	return true
}

var leadingOperator = regexp.MustCompile(`(?i)^\s*(?:(?:and|or|xor|having|order\s+by|group\s+by|union|select)\s|&&|\|\|)`)

func lettersAndSpaces(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i] | 0x20; c != ' ' && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// XSS reports whether libinjection's HTML5 tokeniser finds a tag, an event
// attribute or a script URL that would run in the value, in any of the
// contexts a reflected argument lands in.
func XSS(v string) bool {
	if !strings.ContainsAny(v, "<>\"'`=") {
		return false
	}
	return libinjection.IsXSS(v)
}

// sqlProbe reports a value made only of SQL's string and comment syntax
// with at least one quote or comment in it ("'", "”", "')", "'--",
// "--+", "/*", ";--"): what a scanner sends first, to see whether a quote
// breaks the query. Words make it no probe ("O'Brien"), nor do dashes
// alone ("-", "---").
func sqlProbe(v string) bool {
	if len(v) > 16 {
		return false
	}
	quoteOrComment := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\'', '"', '`':
			quoteOrComment = true
		case '-':
			if i+1 < len(v) && v[i+1] == '-' && (i+2 == len(v) || v[i+2] == ' ' || v[i+2] == '+' || v[i+2] == '-') && strings.Trim(v, "-") != "" {
				quoteOrComment = true
			}
		case '/':
			if i+1 < len(v) && v[i+1] == '*' {
				quoteOrComment = true
			}
		case '*':
			if i+1 < len(v) && v[i+1] == '/' {
				quoteOrComment = true
			}
		case '#':
			quoteOrComment = quoteOrComment || i > 0
		case ' ', '\t', '\n', '\r', '(', ')', ';', '+', '=', '%', '|', '&':
		default:
			return false
		}
	}
	return quoteOrComment
}

// parseBreaker reports a value that ends in a run of SQL's string and
// grouping punctuation alone (quotes, parentheses, commas, dots; spaces
// between them allowed), at least six of them with a single and a double
// quote and a parenthesis: what sqlmap appends to a value first
// ("1'(.,)\").(", its heuristic check) to see whether the query stops
// parsing. Prose ends a sentence with two or three of them ('."),
// never six.
func parseBreaker(v string) bool {
	n, single, double, paren := 0, false, false, false
	for i := len(v) - 1; i >= 0; i-- {
		switch v[i] {
		case '\'':
			single = true
		case '"':
			double = true
		case '(', ')':
			paren = true
		case ',', '.':
		case ' ':
			continue
		default:
			return n >= 6 && single && double && paren
		}
		n++
	}
	return n >= 6 && single && double && paren
}

// commandWords are strongCommands and proseCommands as words, for a cheap
// look at a value's first word before wholeCommand runs (searches are
// mostly words and spaces).
var commandWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Split(strongCommands+"|"+proseCommands, "|") {
		switch {
		case strings.HasPrefix(w, "/"):
		case strings.HasSuffix(w, "[23]?"):
			base := strings.TrimSuffix(w, "[23]?")
			m[base], m[base+"2"], m[base+"3"] = true, true, true
		default:
			m[strings.ReplaceAll(w, `\.`, ".")] = true
		}
	}
	return m
}()

// startsWithCommand reports whether a value's first word is a command
// word, or a path (wholeCommand's "/bin/sh -c").
func startsWithCommand(v string) bool {
	v = strings.TrimLeft(v, " \t")
	if strings.HasPrefix(v, "/") {
		return true
	}
	end := strings.IndexAny(v, " \t$")
	if end < 0 || end > 16 {
		return false
	}
	var buf [16]byte
	for i := 0; i < end; i++ {
		buf[i] = v[i] | 0x20 // ASCII lower case is enough: the words are ASCII
	}
	return commandWords[string(buf[:end])]
}

// proofCommand reports a value that is only a command whose sole use is to
// prove execution ("whoami", "ipconfig"): a web shell's parameter, never a
// word people search for alone.
func proofCommand(v string) bool {
	if len(v) < 5 || len(v) > 14 {
		return false
	}
	for _, c := range [...]string{"whoami", "uname", "ifconfig", "ipconfig", "netstat", "tasklist", "systeminfo", "whoami.exe", "ipconfig.exe", "tasklist.exe"} {
		if strings.EqualFold(v, c) {
			return true
		}
	}
	return false
}

// lookalikes are the characters that a Windows "best fit" conversion (and
// some frameworks' Unicode normalisation) turns into dots, slashes and
// quotes: "‥／‥／etc／passwd" reaches the file system as
// "../../etc/passwd", "１＇ OR ..." a query as "1' OR ..." (sqlmap's
// apostrophemask).
var lookalikes = strings.NewReplacer("\uff07", "'", "\uff02", "\"", "\u2025", "..", "\u2024", ".", "\uff0e", ".", "\uff0f", "/", "\u2215", "/", "\u2044", "/",
	"\uff3c", "\\", "\u2216", "\\", "\ufe68", "\\")

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func add(dst []Finding, f Finding) []Finding {
	for _, x := range dst {
		if x == f {
			return dst
		}
	}
	return append(dst, f)
}

func containsFold(s, lower string) bool {
	for i := 0; i+len(lower) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(lower)], lower) {
			return true
		}
	}
	return false
}

package payload

import (
	"regexp"
	"strings"

	"github.com/corazawaf/libinjection-go"
)

// SQL injection is written to leave the value it is put in: a quote, a
// backtick or a parenthesis closes the value (or ";" ends the statement),
// and SQL follows: a boolean operator with a condition, UNION, a stacked
// statement. Tools add prefixes and suffixes that balance the query
// (sqlmap's boundaries: "1')", "1%'", "-4821\"", a trailing "AND 'x'='x"),
// so libinjection, which tokenises the whole value from its first byte in
// three contexts only, misses many of them. breakout finds each place where
// the value is left and judges what follows in the place a tool appends
// it, after a number; the grammars below add what libinjection does not know
// (functions it has no name for, WAITFOR, SHUTDOWN, GRANT ... TO). Prose
// leaves no value: "Ma'ruf or Budi" and "(hasil) and suara" have no
// condition, no statement and no SQL function after the operator.

// clauseAfterBreakout is what may follow the place a value is left.
var clauseAfterBreakout = regexp.MustCompile(`(?i)^(?:(?:and|or|xor)(?:$|[\s(/'"@!+-])|(?:not|div|union|select|having|where|order\s+by|group\s+by|procedure|rlike|regexp|like|between|waitfor|into|in\s+boolean\s+mode|grant|revoke|exec|execute|declare)(?:$|[\s(/@!+-])|&&|\|\||[-+*/=<>]\s*\(?\s*select\b)`)

// conditionGrammar and statementGrammar are anchored as a whole (^
// outside the alternation): with ^ in each branch Go's regexp does not see
// the pattern as anchored and tries every start position, clearing its
// backtracking state for each; on a 200-byte value that was some 60 times
// slower.
//
// conditionGrammar is a condition that no prose writes after "and" or
// "or": a function that injections use to test, delay or leak ("and
// sleep(5)", "or gtid_subset(...)"), a subquery ("or (EXISTS)", "and
// (select ..."), or a constant closed by a comment ("or true--"). "sleep"
// counts with a number (or a template, a subquery, a variable) in its
// parenthesis: "and sleep (tidur)" is prose.
var conditionGrammar = regexp.MustCompile(`(?i)^(?:` +
	`(?:and|or|xor|&&|\|\|)\s*[(\s]*(?:not\s+)?(?:sleep|pg_sleep)\s*\(\s*[\d\[(@]` +
	`|(?:and|or|xor|&&|\|\|)\s*[(\s]*(?:not\s+)?(?:benchmark|gtid_subset|gtid_subtract|json_keys|extractvalue|updatexml|exp|make_set|elt|name_const|geometrycollection|multipoint|polygon|linestring|multilinestring|multipolygon|ascii|ord|substr|substring|mid|length|char|chr|concat|concat_ws|if|iif|cast|convert|exists|xmltype|randomblob|load_file|version|database|schema|user|current_user|system_user|session_user|count|rand|floor|md5|sha1|hex|unhex|instr|locate|position|ifnull|isnull|coalesce|nullif|regexp_substr|regexp_like|utl_inaddr\.\w+|utl_http\.\w+|dbms_\w+\.\w+|ctxsys\.\w+\.\w+|sys\.\w+)\s*\(` +
	`|(?:and|or|xor|&&|\|\|)\s*\(+\s*(?:not\s+)?(?:exists|select)\b` +
	`|(?:and|or|xor)\s+(?:not\s+)?(?:true|false|null)\s*(?:--|#|/\*|;))`)

// statementGrammar is a statement of its own, after ";" or where a value
// is left: written as SQL writes it, not as a sentence ("drop table
// users", not "drop the table").
var statementGrammar = regexp.MustCompile(`(?i)^(?:` +
	`(?:shutdown|commit|rollback)\s*(?:with\s+nowait\s*)?(?:--|#|/\*|;|$)` +
	`|(?:grant|revoke)\s+\w+(?:\s*,\s*\w+)*\s+(?:to|from|on)\s+[\w@.'"]+` +
	`|declare\s+@\w+` +
	`|set\s+@\w+\s*=` +
	`|exec(?:ute)?\s*(?:\(|@|master\.|xp_|sp_)` +
	`|select\s+(?:@@\w+|session_user|current_user|system_user|user\s*\(\)|version\s*\(\)|database\s*\(\)|banner\s+from|pg_sleep|sleep\s*\(|\*\s+from\s+\w)` +
	`|(?:drop|truncate|alter|create)\s+(?:table|database|user|schema|procedure|function|view|login)\s+[\w@.\x60"\[]` +
	`|(?:insert\s+into\s+[\w.\x60"\[]+|update\s+[\w.\x60"\[]+\s+set\s+\w+\s*=|delete\s+from\s+[\w.\x60"\[]+))`)

// anywhereGrammar is SQL wherever it stands: a delay, a file written by
// the database server, and names that only a database has (system
// variables, catalogues, extended procedures), which no form value holds.
var anywhereGrammar = regexp.MustCompile(`(?i)\bwaitfor\s+(?:delay|time)\s+['"\d@]|\binto\s+(?:outfile|dumpfile)\s+['"]` +
	`|@@[a-z_]{3,}|\b(?:xp_cmdshell|xp_regread|xp_dirtree|sp_password|sp_executesql|sp_oacreate|sp_makewebtask|information_schema|sysobjects|syscolumns|pg_shadow|pg_sleep|session_user|system_user|dbms_pipe|utl_inaddr|utl_http)\b`)

// laterCondition is a condition a tool appends after a parameter's own
// value that holds spaces ("Vaciar carrito AND SLEEP(2)#", "c/ academia,
// 59, 3 RLIKE SLEEP(2)"): after a boolean operator, optionally a number
// compared with it, a function that only injections call (a delay with a
// number, an error or a heavy query) or a subquery. Common words that are
// also functions ("if", "count", "user") are left to conditionGrammar at
// the value's start; "sleep" counts only with a number in its parenthesis.
//
// It is run anchored at each word that may start the operator
// (hasLaterCondition), not searched for: an unanchored search cost a
// tenth of Check's time on the payload lists.
var laterCondition = regexp.MustCompile(`(?i)^(?:and|or|xor|rlike|&&|\|\|)\s+(?:\d+\s*(?:=|<>|!=|<|>|\bin\b)\s*)?\(*\s*` +
	`(?:(?:sleep|pg_sleep)\s*\(\s*\d+\s*\)|(?:benchmark|gtid_subset|gtid_subtract|json_keys|extractvalue|updatexml|make_set|elt|name_const|load_file|randomblob|` +
	`regexp_substring|generate_series|xmltype|utl_inaddr\.\w+|utl_http\.\w+|dbms_\w+\.\w+|ctxsys\.\w+\.\w+)\s*\(|\(\s*select\b)`)

// hasLaterCondition runs laterCondition at each place an operator may
// start: the value's start, or after a space, ')' or a quote, a byte
// "and", "or", "xor", "rlike", "&&" or "||" starts with.
func hasLaterCondition(v string) bool {
	for i := 0; i < len(v); i++ {
		if i > 0 {
			switch v[i-1] {
			case ' ', '\t', '\n', '\f', '\r', ')', '\'', '"':
			default:
				continue
			}
		}
		switch v[i] | 0x20 {
		case 'a', 'o', 'x', 'r', '&', '|':
			if laterCondition.MatchString(v[i:]) {
				return true
			}
		}
	}
	return false
}

// breakout reports SQL after a place where the value is left (see above).
func breakout(v string) bool {
	if len(v) < 4 || !strings.ContainsAny(v, "'\"`);|&") {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\'', '"', '`', ')', ';':
		case '|', '&':
			// "||" and "&&" continue the value's expression: judged below
			// from the operator itself.
			if i+1 >= len(v) || v[i+1] != c || i > 0 && v[i-1] == c {
				continue
			}
			if judgeAfterBreakout(v[i:]) {
				return true
			}
			continue
		default:
			continue
		}
		// An apostrophe inside a word ("Ma'ruf", "Jum'at") leaves nothing.
		if c == '\'' && i > 0 && i+1 < len(v) && isLetter(v[i-1]) && isLetter(v[i+1]) {
			continue
		}
		rest := skipBreakout(v[i+1:])
		if rest == "" {
			continue
		}
		if c == ';' {
			if statementGrammar.MatchString(rest) || statementStart.MatchString(rest) && sqliAfterNumber(";"+rest) {
				return true
			}
			continue
		}
		if judgeAfterBreakout(rest) {
			return true
		}
	}
	return false
}

// statementStart is a stacked statement's first word.
var statementStart = regexp.MustCompile(`(?i)^(?:select|insert|update|delete|drop|create|alter|truncate|exec|execute|declare|set|shutdown|grant|revoke|call|copy|load)\b`)

func judgeAfterBreakout(rest string) bool {
	if !clauseAfterBreakout.MatchString(rest) {
		return false
	}
	return conditionGrammar.MatchString(rest) || statementGrammar.MatchString(rest) || sqlSyntax(rest) && sqliAfterNumber(rest)
}

// sqlSyntax: what a tool's fragment holds after the keyword besides words,
// numbers and parentheses (a comparison, a quote, a comment, a variable),
// or a keyword that only a query has there; words and numbers alone
// ("and suara", "(1) and (2)") are never judged.
func sqlSyntax(s string) bool {
	return strings.ContainsAny(s, "=<>#;*@'\"") || strings.Contains(s, "--") || strings.Contains(s, "/*") || queryClause.MatchString(s)
}

var queryClause = regexp.MustCompile(`(?i)^(?:union|select|having|order\s+by|group\s+by|procedure|waitfor|into|in\s+boolean\s+mode)\b`)

// sqliAfterNumber judges a fragment where a tool appends it: after a
// numeric value.
func sqliAfterNumber(fragment string) bool {
	ok, _ := libinjection.IsSQLi("1 " + fragment)
	return ok
}

// skipBreakout skips what closes the value: more quotes and parentheses,
// spaces, and inline comments.
func skipBreakout(s string) string {
	for {
		s = strings.TrimLeft(s, "'\"`) \t\r\n\f\v\x00")
		if strings.HasPrefix(s, "/*") {
			end := strings.Index(s[2:], "*/")
			if end < 0 {
				return s
			}
			s = s[2+end+2:]
			continue
		}
		return s
	}
}

func isLetter(c byte) bool {
	c |= 0x20
	return c >= 'a' && c <= 'z' || c >= 0x80
}

// leadingGrammar reports a value that starts with a condition only SQL
// writes, alone or after the parameter's own value ("and sleep(5)", "1 and
// gtid_subset(...)"), or holds a delay or a file write anywhere
// ("waitfor delay '0:0:5'").
func leadingGrammar(v string) bool {
	if (strings.Contains(v, "@@") || strings.IndexByte(v, '_') >= 0 || containsFold(v, "waitfor") || containsFold(v, "into")) &&
		anywhereGrammar.MatchString(v) {
		return true
	}
	// A condition needs a call, a subquery or a comment.
	if !strings.ContainsAny(v, "(#;") && !strings.Contains(v, "--") && !strings.Contains(v, "/*") {
		return false
	}
	s := strings.TrimLeft(v, " \t")
	if conditionGrammar.MatchString(s) {
		return true
	}
	if i := strings.IndexAny(s, " \t"); i > 0 && i < len(s)-1 && conditionGrammar.MatchString(strings.TrimLeft(s[i:], " \t")) {
		return true
	}
	return strings.IndexByte(v, '(') >= 0 && hasLaterCondition(v)
}

// tautology reports a condition that compares an operand with itself
// after a boolean operator or an opening parenthesis: "or 1=1", "AND
// 'x'='x", "or [RANDNUM]=[RANDNUM]" (a tool's template sent unfilled),
// "(4821=4821)": always true, written only to change a query's result.
// "x = 5 and y = 6" compares different things.
func tautology(v string) bool {
	if strings.IndexByte(v, '=') < 0 && !containsFold(v, "like") && !containsFold(v, "between") {
		return false
	}
	for i := 0; i < len(v); i++ {
		start := i == 0 || !isWord(v[i-1])
		if !start {
			continue
		}
		rest := v[i:]
		switch {
		case rest[0] == '(':
			rest = rest[1:]
		case hasWordFold(rest, "and"), hasWordFold(rest, "xor"), hasWordFold(rest, "not"):
			rest = rest[3:]
		case hasWordFold(rest, "or"):
			rest = rest[2:]
		case hasWordFold(rest, "having"):
			rest = rest[6:]
		case hasWordFold(rest, "where"):
			rest = rest[5:]
		case strings.HasPrefix(rest, "&&"), strings.HasPrefix(rest, "||"):
			rest = rest[2:]
		default:
			continue
		}
		rest = strings.TrimLeft(rest, " \t(")
		if hasWordFold(rest, "not") {
			rest = strings.TrimLeft(rest[3:], " \t(")
		}
		a, quoted, rest := operand(rest)
		if a == "" {
			continue
		}
		rest = strings.TrimLeft(rest, " \t")
		if hasWordFold(rest, "between") && between(a, rest[7:]) {
			return true
		}
		switch {
		case strings.HasPrefix(rest, "<=>"):
			rest = rest[3:]
		case strings.HasPrefix(rest, "="):
			rest = rest[1:]
		case (quoted || isNumber(a)) && hasWordFold(rest, "like"): // "or B like B" is prose, "or 5 like 5" is not
			rest = rest[4:]
		default:
			continue
		}
		b, _, _ := operand(strings.TrimLeft(rest, " \t"))
		if b != "" && strings.EqualFold(a, b) {
			return true
		}
	}
	return false
}

// between reports "BETWEEN a AND a" after a (what a tamper script writes
// for "a=a").
func between(a, rest string) bool {
	b, _, rest := operand(strings.TrimLeft(rest, " \t"))
	rest = strings.TrimLeft(rest, " \t")
	if !strings.EqualFold(a, b) || !hasWordFold(rest, "and") {
		return false
	}
	c, _, _ := operand(strings.TrimLeft(rest[3:], " \t"))
	return strings.EqualFold(a, c)
}

// operand reads a number, a name, a quoted string (its content) or a
// tool's [PLACEHOLDER].
func operand(s string) (op string, quoted bool, rest string) {
	if s == "" {
		return "", false, s
	}
	if q := s[0]; q == '\'' || q == '"' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			// "' or 'x'='x": the closing quote is the query's own.
			return s[1:], true, ""
		}
		return s[1 : end+1], true, s[end+2:]
	}
	n := 0
	for n < len(s) && (isWord(s[n]) || s[n] == '[' || s[n] == ']' || s[n] == '@' || s[n] == '.') {
		n++
	}
	return s[:n], false, s[n:]
}

func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// hasWordFold reports whether s starts with the word w (any case) followed
// by a byte that ends a word.
func hasWordFold(s, w string) bool {
	return len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) && (len(s) == len(w) || !isWord(s[len(w)]))
}

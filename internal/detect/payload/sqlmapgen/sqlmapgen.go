// Package sqlmapgen generates SQL injection values shaped as sqlmap sends
// them, for Garda's recall tests: a boundary (a prefix that closes the
// parameter's own value and a suffix that balances the query again or
// comments it out) around one technique (boolean, error-based per
// database, UNION, stacked, time-based, inline), with sqlmap's random
// numbers and strings. Written from the description of sqlmap's boundaries
// and payloads (its boundaries.xml and payloads/*.xml), not copied from
// them. Deterministic: the same seed gives the same values.
//
// Spaced rewrites a value the way some labelled datasets store it: lower
// case, with spaces around punctuation.
package sqlmapgen

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
)

// boundary is where a technique is put: prefix after the parameter's own
// value, suffix after the technique. comment marks a boundary whose suffix
// is a comment, which UNION and stacked techniques need.
type boundary struct {
	prefix, suffix string
	comment        bool
}

// boundaries, after sqlmap's: numeric, closed by one to three
// parentheses, single- and double-quoted, LIKE patterns ("%'"), the
// suffix a condition that reopens what the prefix closed ("AND
// ('x'='x", "AND 'x' LIKE 'x") or a comment; an alias and WHERE after a
// derived table ("') AS abcd WHERE 1=1"), a backtick, a full-text search
// ("' IN BOOLEAN MODE)").
var boundaries = []boundary{
	{"", "", false},
	{")", " AND ([RANDNUM]=[RANDNUM]", false},
	{"))", " AND (([RANDNUM]=[RANDNUM]", false},
	{")))", " AND ((([RANDNUM]=[RANDNUM]", false},
	{"'", " AND '[RANDSTR]'='[RANDSTR]", false},
	{"')", " AND ('[RANDSTR]'='[RANDSTR]", false},
	{"'))", " AND (('[RANDSTR]'='[RANDSTR]", false},
	{"')))", " AND ((('[RANDSTR]'='[RANDSTR]", false},
	{"'", " AND '[RANDSTR]' LIKE '[RANDSTR]", false},
	{"')", " AND ('[RANDSTR]' LIKE '[RANDSTR]", false},
	{"'))", " AND (('[RANDSTR]' LIKE '[RANDSTR]", false},
	{"\"", " AND \"[RANDSTR]\"=\"[RANDSTR]", false},
	{"\")", " AND (\"[RANDSTR]\"=\"[RANDSTR]", false},
	{"\"))", " AND ((\"[RANDSTR]\"=\"[RANDSTR]", false},
	{"\"", " AND \"[RANDSTR]\" LIKE \"[RANDSTR]", false},
	{"\")", " AND (\"[RANDSTR]\" LIKE \"[RANDSTR]", false},
	{"%'", " AND '[RANDSTR]%'='[RANDSTR]", false},
	{"%')", " AND ('[RANDSTR]%'='[RANDSTR]", false},
	{"%\"", " AND \"[RANDSTR]%\"=\"[RANDSTR]", false},
	{"%'))", " AND (('[RANDSTR]%'='[RANDSTR]", false},
	{"", "[COMMENT]", true},
	{")", "[COMMENT]", true},
	{"'", "[COMMENT]", true},
	{"')", "[COMMENT]", true},
	{"'))", "[COMMENT]", true},
	{"\"", "[COMMENT]", true},
	{"\")", "[COMMENT]", true},
	{"%'", "[COMMENT]", true},
	{"%')", "[COMMENT]", true},
	{"`", "[COMMENT]", true},
	{"`)", "[COMMENT]", true},
	{") AS [RANDSTR] WHERE [RANDNUM]=[RANDNUM]", "[COMMENT]", true},
	{"') AS [RANDSTR] WHERE [RANDNUM]=[RANDNUM]", "[COMMENT]", true},
	{"')) AS [RANDSTR] WHERE [RANDNUM]=[RANDNUM]", "[COMMENT]", true},
	{"\") AS [RANDSTR] WHERE [RANDNUM]=[RANDNUM]", "[COMMENT]", true},
	{"` WHERE [RANDNUM]=[RANDNUM]", "[COMMENT]", true},
	{"`) WHERE [RANDNUM]=[RANDNUM]", "[COMMENT]", true},
	{"' IN BOOLEAN MODE)", "#", true},
}

// comments are the comment suffixes sqlmap ends a payload with.
var comments = []string{"-- ", "-- -", "--", "#", "-- [RANDSTR]", "/*"}

// technique is one payload body; where says what comes before the
// prefix: the parameter's original value ("1"), a negative random number
// that makes the original condition false (OR and UNION techniques), or
// nothing (the value replaced).
type technique struct {
	body    string
	where   int
	comment bool // only with a comment suffix (UNION, stacked)
}

const (
	original = iota
	negative
	replace
)

// Placeholders: [RANDNUM] (one random number per payload, repeated),
// [RANDNUM1], [RANDNUM2] (others), [RANDSTR] (four letters), [SLEEP]
// (seconds), [START] and [STOP] (sqlmap's hex-encoded markers around
// leaked data), [QS] and [QE] (the same markers as quoted strings),
// [CHARS] (a marker as CHAR()/CHR() calls), [HEX] (hex digits), [NULLS]
// (a UNION's column list: NULLs, a repeated number, one CONCAT),
// [COLUMN] (a column number), [COMMENT] (a comment suffix).
var techniques = []technique{
	// Boolean-based blind.
	{" AND [RANDNUM]=[RANDNUM]", original, false},
	{" AND [RANDNUM]=[RANDNUM1]", original, false},
	{" OR [RANDNUM]=[RANDNUM]", negative, false},
	{" OR NOT [RANDNUM]=[RANDNUM]", negative, false},
	{" AND [RANDNUM]=(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN [RANDNUM] ELSE (SELECT [RANDNUM1] UNION SELECT [RANDNUM2]) END))", original, false},
	{" OR [RANDNUM]=(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN [RANDNUM] ELSE (SELECT [RANDNUM1] UNION SELECT [RANDNUM2]) END))", negative, false},
	{" AND MAKE_SET([RANDNUM]=[RANDNUM],[RANDNUM1])", original, false},
	{" AND ELT([RANDNUM]=[RANDNUM],[RANDNUM1])", original, false},
	{" RLIKE (SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0x28 END))", original, false},
	{" AND (SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN NULL ELSE CAST('[RANDSTR]' AS NUMERIC) END)) IS NULL", original, false},
	{" AND [RANDNUM]=(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN [RANDNUM] ELSE 1/(SELECT 0) END))", original, false},
	{" AND [RANDNUM]=(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN [RANDNUM] ELSE [RANDNUM]*(SELECT [RANDNUM] FROM INFORMATION_SCHEMA.PLUGINS) END))", original, false},
	{" AND [RANDNUM]=(CASE WHEN ([RANDNUM]=[RANDNUM]) THEN [RANDNUM] ELSE NULL END)", original, false},
	{" AND IIF([RANDNUM]=[RANDNUM],1,1/0)", original, false},
	{" HAVING [RANDNUM]=[RANDNUM]", original, false},
	{",(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE [RANDNUM]*(SELECT [RANDNUM] FROM INFORMATION_SCHEMA.PLUGINS) END))", original, false},
	{" AND [RANDNUM]=[RANDNUM] AND [RANDNUM1]=[RANDNUM1]", original, false},
	// Error-based: MySQL.
	{" AND (SELECT [RANDNUM] FROM(SELECT COUNT(*),CONCAT([START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP],FLOOR(RAND(0)*2))x FROM INFORMATION_SCHEMA.PLUGINS GROUP BY x)a)", original, false},
	{" OR (SELECT [RANDNUM] FROM(SELECT COUNT(*),CONCAT([START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP],FLOOR(RAND(0)*2))x FROM INFORMATION_SCHEMA.PLUGINS GROUP BY x)a)", negative, false},
	{" AND EXTRACTVALUE([RANDNUM],CONCAT(0x5c,[START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP]))", original, false},
	{" AND UPDATEXML([RANDNUM],CONCAT(0x2e,[START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP]),[RANDNUM1])", original, false},
	{" AND EXP(~(SELECT * FROM (SELECT CONCAT([START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP],0x78))x))", original, false},
	{" AND JSON_KEYS((SELECT CONVERT((SELECT CONCAT([START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP])) USING utf8)))", original, false},
	{" AND GTID_SUBSET(CONCAT([START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP]),[RANDNUM])", original, false},
	{" OR ROW([RANDNUM],[RANDNUM1])>(SELECT COUNT(*),CONCAT([START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP],FLOOR(RAND(0)*2))x FROM (SELECT [RANDNUM2] UNION SELECT [RANDNUM1] UNION SELECT [RANDNUM])a GROUP BY x)", negative, false},
	{" PROCEDURE ANALYSE(EXTRACTVALUE([RANDNUM],CONCAT(0x5c,[START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP])),1)", original, false},
	// Error-based: PostgreSQL, SQL Server, Oracle, Firebird, DB2.
	{" AND [RANDNUM]=CAST([CHARS]||(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END))::text||[CHARS] AS NUMERIC)", original, false},
	{" OR [RANDNUM]=CAST([CHARS]||(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END))::text||[CHARS] AS NUMERIC)", negative, false},
	{" AND [RANDNUM] IN (SELECT ([CHARS]+(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN CHAR(49) ELSE CHAR(48) END))+[CHARS]))", original, false},
	{" AND [RANDNUM]=CONVERT(INT,(SELECT [CHARS]+(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN CHAR(49) ELSE CHAR(48) END))+[CHARS]))", original, false},
	{" AND [RANDNUM]=CONCAT([CHARS],(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN CHAR(49) ELSE CHAR(48) END)),[CHARS])", original, false},
	{" AND [RANDNUM]=(SELECT UPPER(XMLType(CHR(60)||CHR(58)||[CHARS]||(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END) FROM DUAL)||[CHARS]||CHR(62))) FROM DUAL)", original, false},
	{" AND [RANDNUM]=UTL_INADDR.GET_HOST_ADDRESS([CHARS]||(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END) FROM DUAL)||[CHARS])", original, false},
	{" AND [RANDNUM]=CTXSYS.DRITHSX.SN([RANDNUM],([CHARS]||(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END) FROM DUAL)||[CHARS]))", original, false},
	{" AND [RANDNUM]=DBMS_UTILITY.SQLID_TO_SQLHASH(([CHARS]||(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END) FROM DUAL)||[CHARS]))", original, false},
	{" AND [RANDNUM]=([QS]||(SELECT CASE [RANDNUM] WHEN [RANDNUM] THEN 1 ELSE 0 END FROM RDB$DATABASE)||[QE])", original, false},
	{" OR [RANDNUM]=([QS]||(SELECT CASE [RANDNUM] WHEN [RANDNUM] THEN 1 ELSE 0 END FROM RDB$DATABASE)||[QE])", negative, false},
	{" AND [RANDNUM]=CAST(([QS]||(SELECT CASE WHEN ([RANDNUM]=[RANDNUM]) THEN '1' ELSE '0' END FROM SYSIBM.SYSDUMMY1)||[QE]) AS INTEGER)", original, false},
	// Inline queries (the value replaced by a subquery).
	{"(SELECT CONCAT([START],(SELECT (ELT([RANDNUM]=[RANDNUM],1))),[STOP]))", replace, false},
	{"(SELECT [CHARS]+(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN CHAR(49) ELSE CHAR(48) END))+[CHARS])", replace, false},
	{"(SELECT ([CHARS]||(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END))::text||[CHARS]))", replace, false},
	{"(SELECT [QS]||(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END) FROM DUAL)||[QE] FROM DUAL)", replace, false},
	// Stacked queries.
	{";SELECT SLEEP([SLEEP])", original, true},
	{";SELECT PG_SLEEP([SLEEP])", original, true},
	{";WAITFOR DELAY '0:0:[SLEEP]'", original, true},
	{";SELECT DBMS_PIPE.RECEIVE_MESSAGE('[RANDSTR]',[SLEEP]) FROM DUAL", original, true},
	{";SELECT BENCHMARK(5000000,MD5(0x[HEX]))", original, true},
	{";SELECT COUNT(*) FROM RDB$FIELDS AS T1,RDB$TYPES AS T2,RDB$COLLATIONS AS T3,RDB$FUNCTIONS AS T4", original, true},
	{";CALL REGEXP_SUBSTRING(REPEAT(RIGHT(CHAR([RANDNUM]),0),500000000),NULL)", original, true},
	{";SELECT LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(500000000/2))))", original, true},
	{";SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN PG_SLEEP([SLEEP]) ELSE PG_SLEEP(0) END)", original, true},
	{";IF([RANDNUM]=[RANDNUM]) WAITFOR DELAY '0:0:[SLEEP]'", original, true},
	{";DECLARE @x CHAR(9);SET @x=0x303a303a35;WAITFOR DELAY @x", original, true},
	// Time-based blind.
	{" AND SLEEP([SLEEP])", original, false},
	{" OR SLEEP([SLEEP])", negative, false},
	{" AND (SELECT [RANDNUM] FROM (SELECT(SLEEP([SLEEP])))[RANDSTR])", original, false},
	{" OR (SELECT [RANDNUM] FROM (SELECT(SLEEP([SLEEP])))[RANDSTR])", negative, false},
	{" AND [RANDNUM]=BENCHMARK(5000000,MD5(0x[HEX]))", original, false},
	{" OR [RANDNUM]=BENCHMARK(5000000,MD5(0x[HEX]))", negative, false},
	{" RLIKE SLEEP([SLEEP])", original, false},
	{" AND [RANDNUM]=IF(([RANDNUM]=[RANDNUM]),SLEEP([SLEEP]),[RANDNUM])", original, false},
	{" AND ELT([RANDNUM]=[RANDNUM],SLEEP([SLEEP]))", original, false},
	{" AND MAKE_SET([RANDNUM]=[RANDNUM],SLEEP([SLEEP]))", original, false},
	{" AND [RANDNUM]=(SELECT [RANDNUM] FROM PG_SLEEP([SLEEP]))", original, false},
	{" OR [RANDNUM]=(SELECT [RANDNUM] FROM PG_SLEEP([SLEEP]))", negative, false},
	{" AND [RANDNUM]=(CASE WHEN ([RANDNUM]=[RANDNUM]) THEN (SELECT [RANDNUM] FROM PG_SLEEP([SLEEP])) ELSE [RANDNUM] END)", original, false},
	{" AND [RANDNUM]=(SELECT COUNT(*) FROM GENERATE_SERIES(1,5000000))", original, false},
	{" WAITFOR DELAY '0:0:[SLEEP]'", original, true},
	{" IF([RANDNUM]=[RANDNUM]) WAITFOR DELAY '0:0:[SLEEP]'", original, true},
	{" AND [RANDNUM]=DBMS_PIPE.RECEIVE_MESSAGE([CHARS],[SLEEP])", original, false},
	{" OR [RANDNUM]=DBMS_PIPE.RECEIVE_MESSAGE([CHARS],[SLEEP])", negative, false},
	{" AND [RANDNUM]=(CASE WHEN ([RANDNUM]=[RANDNUM]) THEN DBMS_PIPE.RECEIVE_MESSAGE([CHARS],[SLEEP]) ELSE [RANDNUM] END)", original, false},
	{" AND [RANDNUM]=(SELECT COUNT(*) FROM ALL_USERS T1,ALL_USERS T2,ALL_USERS T3,ALL_USERS T4,ALL_USERS T5)", original, false},
	{" AND [RANDNUM]=(SELECT COUNT(*) FROM INFORMATION_SCHEMA.COLUMNS A,INFORMATION_SCHEMA.COLUMNS B,INFORMATION_SCHEMA.COLUMNS C)", original, false},
	{" AND [RANDNUM]=(SELECT COUNT(*) FROM sysusers AS sys1,sysusers AS sys2,sysusers AS sys3,sysusers AS sys4,sysusers AS sys5)", original, false},
	{" AND [RANDNUM]=(SELECT COUNT(*) FROM SYSIBM.SYSTABLES AS T1,SYSIBM.SYSTABLES AS T2,SYSIBM.SYSTABLES AS T3)", original, false},
	{" AND [RANDNUM]=(SELECT COUNT(*) FROM DOMAIN.DOMAINS AS T1,DOMAIN.COLUMNS AS T2,DOMAIN.TABLES AS T3)", original, false},
	{" AND [RANDNUM]=LIKE(CHAR(65,66,67,68,69,70,71),UPPER(HEX(RANDOMBLOB(500000000/2))))", original, false},
	{" AND [RANDNUM]=(SELECT [RANDNUM] FROM RDB$DATABASE WHERE (SELECT COUNT(*) FROM RDB$FIELDS AS T1,RDB$TYPES AS T2)>0)", original, false},
	{" AND [RANDNUM]=REGEXP_SUBSTRING(REPEAT(RIGHT(CHAR([RANDNUM]),0),500000000),NULL)", original, false},
	{" AND [RANDNUM]=(SELECT [RANDNUM] FROM (SELECT(SLEEP([SLEEP])))[RANDSTR])", original, false},
	{" OR 1 GROUP BY CONCAT([START],(SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END)),[STOP],FLOOR(RAND(0)*2)) HAVING MIN(0)", negative, true},
	{" AND [RANDNUM]=(SELECT COUNT(*) FROM MSysAccessObjects AS T1,MSysAccessObjects AS T2,MSysAccessObjects AS T3)", original, false},
	{" AND [RANDNUM]=(SELECT COUNT(*) FROM SYSMASTER:SYSPAGHDR)", original, false},
	{" AND [RANDNUM]=(SELECT [RANDNUM] FROM INFORMATION_SCHEMA.SYSTEM_USERS)", original, false},
	{" AND [RANDNUM]=(SELECT [RANDNUM] FROM DUAL WHERE [RANDNUM]=[RANDNUM])", original, false},
	{" AND 1=1 UNION ALL SELECT 1,NULL,'<script>alert(\"XSS\")</script>',table_name FROM information_schema.tables WHERE 2>1--/**/; EXEC xp_cmdshell('cat ../../../etc/passwd')#", original, false},
	// Data retrieval once an injection is found: a character of a query's
	// result compared with a number, by boolean, time or error inference,
	// per database; UNION rows from the catalogue.
	{" AND ORD(MID(([QUERY]),[POS],1))>[CHAR]", original, false},
	{" AND [RANDNUM]=IF((ORD(MID(([QUERY]),[POS],1))>[CHAR]),SLEEP([SLEEP]),[RANDNUM])", original, false},
	{" AND (SELECT [RANDNUM] FROM (SELECT(SLEEP([SLEEP]-(IF(ORD(MID(([QUERY]),[POS],1))>[CHAR],0,[SLEEP])))))[RANDSTR])", original, false},
	{" AND ASCII(SUBSTRING((COALESCE(CAST(VERSION() AS VARCHAR(10000))::text,(CHR(32))))::text FROM [POS] FOR 1))>[CHAR]", original, false},
	{" AND [RANDNUM]=(CASE WHEN (ASCII(SUBSTRING((COALESCE(CAST(CURRENT_USER AS VARCHAR(10000))::text,(CHR(32))))::text FROM [POS] FOR 1))>[CHAR]) THEN (SELECT [RANDNUM] FROM PG_SLEEP([SLEEP])) ELSE [RANDNUM] END)", original, false},
	{" AND UNICODE(SUBSTRING((ISNULL(CAST(@@VERSION AS NVARCHAR(4000)),CHAR(32))),[POS],1))>[CHAR]", original, false},
	{" AND UNICODE(SUBSTRING((SELECT TOP 1 ISNULL(CAST(name AS NVARCHAR(4000)),CHAR(32)) FROM master..sysdatabases WHERE name NOT IN (SELECT TOP [POS] name FROM master..sysdatabases ORDER BY name) ORDER BY name),[POS],1))>[CHAR]", original, false},
	{" AND ASCII(SUBSTRC((SELECT NVL(CAST(banner AS NVARCHAR2(4000)),CHR(32)) FROM v$version WHERE ROWNUM=1),[POS],1))>[CHAR]", original, false},
	{" AND UNICODE(SUBSTR((SELECT COALESCE(tbl_name,CHAR(32)) FROM sqlite_master WHERE type=CHAR(116,97,98,108,101) LIMIT [POS],1),[POS],1))>[CHAR]", original, false},
	{" AND ORD(MID((SELECT IFNULL(CAST(COUNT(DISTINCT(schema_name)) AS NCHAR),0x20) FROM INFORMATION_SCHEMA.SCHEMATA),[POS],1))>[CHAR]", original, false},
	{" AND (SELECT [RANDNUM] FROM(SELECT COUNT(*),CONCAT([START],(MID((IFNULL(CAST(DATABASE() AS NCHAR),0x20)),1,54)),[STOP],FLOOR(RAND(0)*2))x FROM INFORMATION_SCHEMA.PLUGINS GROUP BY x)a)", original, false},
	{" UNION ALL SELECT NULL,CONCAT([START],IFNULL(CAST(table_name AS NCHAR),0x20),[STOP]),NULL FROM INFORMATION_SCHEMA.TABLES WHERE table_schema IN (0x[HEX])", negative, true},
	{" UNION ALL SELECT NULL,CONCAT([START],IFNULL(CAST(username AS NCHAR),0x20),0x[HEX],IFNULL(CAST(password AS NCHAR),0x20),[STOP]),NULL FROM shop.users", negative, true},
	// UNION query and its column count.
	{" UNION ALL SELECT [NULLS]", negative, true},
	{" UNION ALL SELECT [NULLS]", original, true},
	{" UNION ALL SELECT [NULLS] FROM DUAL", negative, true},
	{" UNION SELECT [NULLS]", negative, true},
	{" ORDER BY [COLUMN]", original, true},
}

// queries are what an inference reads, character by character (MySQL).
var queries = []string{
	"SELECT IFNULL(CAST(VERSION() AS NCHAR),0x20)",
	"SELECT IFNULL(CAST(CURRENT_USER() AS NCHAR),0x20)",
	"SELECT DISTINCT(IFNULL(CAST(schema_name AS NCHAR),0x20)) FROM INFORMATION_SCHEMA.SCHEMATA LIMIT 1,1",
	"SELECT IFNULL(CAST(table_name AS NCHAR),0x20) FROM INFORMATION_SCHEMA.TABLES WHERE table_schema=0x73686f70 LIMIT 2,1",
	"SELECT IFNULL(CAST(password AS NCHAR),0x20) FROM shop.users ORDER BY id LIMIT 0,1",
}

// Payloads returns every technique in turn with every boundary it fits
// (one that needs a comment only with a comment suffix, an inline query
// only with no prefix), in sqlmap's own writing (upper-case keywords, no
// spaces added).
func Payloads(seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var out []string
	for _, t := range techniques {
		for _, b := range boundaries {
			if t.comment && !b.comment || t.where == replace && b.prefix != "" {
				continue
			}
			out = append(out, fill(r, before(r, t.where)+b.prefix+t.body+b.suffix))
		}
	}
	return out
}

// originals are parameters' own values that sqlmap keeps before the
// prefix: numbers mostly, and what a shop's forms hold (a button's value,
// a city, an e-mail address, a name).
var originals = []string{"1", "1", "1", "2", "10", "35", "7", "1", "2", "3", "Entrar", "Madrid", "juan@hotmail.com",
	"Vaciar carrito", "José", "c/ academia, 59, 3", "28012", "on", "foo", "test"}

func before(r *rand.Rand, where int) string {
	switch where {
	case negative:
		return "-" + strconv.Itoa(1000+r.IntN(9000))
	case replace:
		return ""
	}
	return originals[r.IntN(len(originals))]
}

// Heuristics returns n values of sqlmap's first, heuristic probe: the
// original value and ten bytes of '"(),. holding one single and one
// double quote, which make a vulnerable query fail to parse.
func Heuristics(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x4e55))
	const alphabet = "\"'(),."
	var out []string
	for range n {
		var b []byte
		for strings.Count(string(b), "'") != 1 || strings.Count(string(b), "\"") != 1 {
			b = b[:0]
			for range 10 {
				b = append(b, alphabet[r.IntN(len(alphabet))])
			}
		}
		out = append(out, before(r, original)+string(b))
	}
	return out
}

// Tampered rewrites each value with one of sqlmap's tamper scripts in
// turn (written from their descriptions): comments or other blanks for
// spaces, random case, BETWEEN, LIKE or GREATEST for comparisons, && and
// || for AND and OR, MySQL versioned comments around keywords or the
// whole condition, a full-width apostrophe.
func Tampered(seed uint64, vals []string) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x7a3b))
	keyword := regexp.MustCompile(`\b(?:AND|OR|SELECT|UNION|ALL|FROM|WHERE|SLEEP|CASE|WHEN|THEN|ELSE|END|NULL|ORDER|BY|CONCAT|COUNT|WAITFOR|DELAY)\b`)
	eq := regexp.MustCompile(`(\d+)=(\d+)`)
	cond := regexp.MustCompile(`(AND|OR) (\d+=\d+)`)
	tampers := []func(string) string{
		func(v string) string { return strings.ReplaceAll(v, " ", "/**/") }, // space2comment
		func(v string) string { // randomcase
			return keyword.ReplaceAllStringFunc(v, func(w string) string {
				b := []byte(w)
				for i := range b {
					if r.IntN(2) == 0 {
						b[i] |= 0x20
					}
				}
				return string(b)
			})
		},
		func(v string) string { return eq.ReplaceAllString(v, "$1 BETWEEN $2 AND $2") }, // between
		func(v string) string { return eq.ReplaceAllString(v, "$1 LIKE $2") },           // equaltolike
		func(v string) string { // symboliclogical
			return strings.NewReplacer(" AND ", " && ", " OR ", " || ").Replace(v)
		},
		func(v string) string { // versionedkeywords
			return keyword.ReplaceAllStringFunc(v, func(w string) string { return "/*!" + w + "*/" })
		},
		func(v string) string { return cond.ReplaceAllString(v, "/*!30874$1 $2*/") }, // modsecurityversioned
		func(v string) string { // space2randomblank
			blanks := []string{"\t", "\n", "\f", "\r"}
			return strings.Map(func(c rune) rune {
				if c == ' ' {
					return rune(blanks[r.IntN(len(blanks))][0])
				}
				return c
			}, v)
		},
		func(v string) string { return strings.ReplaceAll(v, " ", "--"+strings.Repeat("x", 1+r.IntN(4))+"\n") }, // space2dash
		func(v string) string { return strings.ReplaceAll(v, "'", "\uff07") },                                   // apostrophemask
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = tampers[i%len(tampers)](v)
	}
	return out
}

// fill replaces the placeholders: one random number repeated within a
// payload (as sqlmap's [RANDNUM] is), random others, a four-letter
// random string, sqlmap's hex markers.
func fill(r *rand.Rand, s string) string {
	num := func() string { return strconv.Itoa(1000 + r.IntN(9000)) }
	str := func() string {
		b := make([]byte, 4)
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		if r.IntN(3) == 0 {
			return strings.ToUpper(string(b))
		}
		return string(b)
	}
	marker := func() string { return "q" + strings.ToLower(str()[:3]) + "q" } // as sqlmap's delimiters
	hexOf := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			b.WriteString(strconv.FormatInt(int64(s[i]), 16))
		}
		return b.String()
	}
	chars := func(s string) string {
		fn := []string{"CHR", "CHAR"}[r.IntN(2)]
		sep := []string{"||", "+"}[r.IntN(2)]
		parts := make([]string, len(s))
		for i := 0; i < len(s); i++ {
			parts[i] = fn + "(" + strconv.Itoa(int(s[i])) + ")"
		}
		return strings.Join(parts, sep)
	}
	s = strings.NewReplacer("[RANDNUM1]", num(), "[RANDNUM2]", num()).Replace(s)
	columns := 1 + r.IntN(10)
	kind, leak, rep := r.IntN(3), r.IntN(columns), num()
	var cols []string
	for i := range columns {
		switch {
		case i == leak && kind == 2:
			cols = append(cols, "CONCAT(0x"+hexOf(marker())+",0x"+hexOf(str()+str())+",0x"+hexOf(marker())+")")
		case kind == 1:
			cols = append(cols, rep)
		default:
			cols = append(cols, "NULL")
		}
	}
	comment := comments[r.IntN(len(comments))]
	return strings.NewReplacer(
		"[RANDNUM]", num(),
		"[RANDSTR]", str(),
		"[SLEEP]", strconv.Itoa(1+r.IntN(5)),
		"[START]", "0x"+hexOf(marker()),
		"[STOP]", "0x"+hexOf(marker()),
		"[QS]", "'"+marker()+"'",
		"[QE]", "'"+marker()+"'",
		"[CHARS]", chars(marker()),
		"[HEX]", hexOf(str()),
		"[NULLS]", strings.Join(cols, ","),
		"[COLUMN]", strconv.Itoa(1+r.IntN(12)),
		"[QUERY]", queries[r.IntN(len(queries))],
		"[POS]", strconv.Itoa(1+r.IntN(20)),
		"[CHAR]", strconv.Itoa(32+r.IntN(95)),
		"[COMMENT]", strings.ReplaceAll(comment, "[RANDSTR]", str()),
	).Replace(s)
}

// SpacedText puts a space on each side of ordinary text's punctuation, as
// tokenising datasets store form values (the normal values beside
// Spaced's attacks).
func SpacedText(v string) string {
	var b strings.Builder
	for _, c := range v {
		if c < 0x80 && strings.ContainsRune("()=,;:'\"#$&*+/<>!?", c) {
			b.WriteString(" " + string(c) + " ")
			continue
		}
		b.WriteRune(c)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// Spaced is v in lower case with spaces around its punctuation, in one of
// three styles (0: from the first space on; 1: also commas; 2: every
// quote, comment and operator too).
func Spaced(v string, style int) string {
	v = strings.ToLower(v)
	punct := "()=*<>"
	switch style {
	case 1:
		punct += ","
	case 2:
		punct += ",'\"`;|+-/#%!~:&"
	}
	start := 0
	if style == 0 {
		start = strings.IndexByte(v, ' ')
		if start < 0 {
			start = len(v)
		}
	}
	var b strings.Builder
	b.WriteString(v[:start])
	for i := start; i < len(v); i++ {
		c := v[i]
		if strings.IndexByte(punct, c) >= 0 && !keepTogether(v, i, style) {
			b.WriteByte(' ')
			b.WriteByte(c)
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(c)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// keepTogether: two-byte operators and comments ("--", "||", "<=", "/*")
// stay whole, and below style 2 a quote stays on its word.
func keepTogether(v string, i, style int) bool {
	c := v[i]
	next, prev := byte(0), byte(0)
	if i+1 < len(v) {
		next = v[i+1]
	}
	if i > 0 {
		prev = v[i-1]
	}
	switch {
	case (c == '-' || c == '|' || c == '&') && (next == c || prev == c):
		return true
	case c == '/' && next == '*' || c == '*' && (prev == '/' || next == '/'):
		return true
	case c == '<' && (next == '=' || next == '>'), c == '>' && prev == '<', c == '=' && (prev == '<' || prev == '>' || prev == '!'):
		return true
	}
	return false
}

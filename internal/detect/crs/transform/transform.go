// Package transform holds the ModSecurity transformations CRS uses, as
// Coraza implements them: copied from Coraza v3.8.1's
// internal/transformations (github.com/corazawaf/coraza, Apache-2.0;
// Copyright 2022 Juan Pablo Tosso and the OWASP Coraza contributors; see
// NOTICE), because that package is internal to Coraza. Each file keeps
// Coraza's header. The detector runs them on the values an access-log
// event fills, outside a Coraza transaction; TestTransformsMatchCoraza
// (package crs) compares them with Coraza's own on a corpus.
package transform

import "strings"

// Func is a transformation: the new value, whether it changed (Coraza's
// multiMatch evaluates each changed value) and an error Coraza logs and
// skips (the value is then left as it was).
type Func func(string) (string, bool, error)

var funcs = map[string]Func{
	"base64decode":       base64decode,
	"base64decodeext":    base64decodeext,
	"cmdline":            cmdLine,
	"compresswhitespace": compressWhitespace,
	"cssdecode":          cssDecode,
	"escapeseqdecode":    escapeSeqDecode,
	"hexdecode":          hexDecode,
	"htmlentitydecode":   htmlEntityDecode,
	"jsdecode":           jsDecode,
	"length":             length,
	"lowercase":          lowerCase,
	"none":               none,
	"normalisepath":      normalisePath,
	"normalisepathwin":   normalisePathWin,
	"normalizepath":      normalisePath,
	"normalizepathwin":   normalisePathWin,
	"removecomments":     removeComments,
	"removecommentschar": removeCommentsChar,
	"removenulls":        removeNulls,
	"removewhitespace":   removeWhitespace,
	"replacecomments":    replaceComments,
	"replacenulls":       replaceNulls,
	"uppercase":          upperCase,
	"urldecode":          urlDecode,
	"urldecodeuni":       urlDecodeUni,
	"utf8tounicode":      utf8ToUnicode,
	"trim":               trim,
	"trimleft":           trimLeft,
	"trimright":          trimRight,
}

// Get returns the transformation of a name as CRS spells it (t:urlDecodeUni).
func Get(name string) (Func, bool) {
	f, ok := funcs[strings.ToLower(name)]
	return f, ok
}

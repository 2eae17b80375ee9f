package region

import "strings"

// Levels of the Kemendagri hierarchy. A Region in the catalogue is national,
// a province or a regency/city; LevelOf also recognises the shape of district
// and village codes, which are not catalogued.
const (
	LevelNational = "national"
	LevelProvince = "province"
	LevelRegency  = "regency"
	LevelDistrict = "district"
	LevelVillage  = "village"
)

// maxSegments is the depth of the deepest code: province "32", regency
// "32.04", district "32.04.01", village "32.04.01.2001".
const maxSegments = 4

// segmentWidth is the number of digits in segment i (0-based) of a code.
func segmentWidth(i int) int {
	if i == 3 {
		return 4
	}
	return 2
}

// segments splits a well-formed code into its segments. It returns ok=false
// for anything that is not "" or digits in the Kemendagri shape, so that a
// malformed code never matches a scope by accident.
func segments(code string) (segs []string, ok bool) {
	switch depth(code) {
	case -1:
		return nil, false
	case 0:
		return nil, true
	}
	return strings.Split(code, "."), true
}

// WellFormed reports whether code has the shape of a Kemendagri code ("" for
// national, "32", "32.04", "32.04.01" or "32.04.01.2001"). It does not check
// that the region exists; Catalog.Valid does.
func WellFormed(code string) bool {
	return depth(code) >= 0
}

// LevelOf returns the level a code's shape denotes: LevelNational for "",
// LevelProvince for "32", LevelRegency for "32.04", LevelDistrict for
// "32.04.01", LevelVillage for "32.04.01.2001", and "" for a malformed code.
func LevelOf(code string) string {
	switch depth(code) {
	case 0:
		return LevelNational
	case 1:
		return LevelProvince
	case 2:
		return LevelRegency
	case 3:
		return LevelDistrict
	case 4:
		return LevelVillage
	}
	return ""
}

// Contains reports whether the region code lies inside scope, a region-code
// prefix taken whole segment by segment: scope "" covers every code, scope
// "32" covers "32" and "32.04" but not "3" or "320", and scope "32.04"
// covers "32.04" and "32.04.01" but not "32". Both arguments must be
// well-formed; if either is not, Contains returns false, so a mistyped code
// denies rather than grants.
func Contains(scope, code string) bool {
	if depth(scope) < 0 || depth(code) < 0 {
		return false
	}
	// Both are well-formed, so their segments are fixed-width digit runs
	// joined by dots: scope's segments are a prefix of code's exactly when
	// scope is a byte prefix of code that ends at a segment boundary. This
	// is the segment rule without splitting, since it runs on every access
	// check.
	if scope == "" {
		return true
	}
	return strings.HasPrefix(code, scope) && (len(code) == len(scope) || code[len(scope)] == '.')
}

// depth returns the number of segments of a well-formed code (0 for ""),
// or -1 if code is malformed. It does not allocate.
func depth(code string) int {
	if code == "" {
		return 0
	}
	n, width := 0, 0
	for i := 0; i <= len(code); i++ {
		if i == len(code) || code[i] == '.' {
			if n >= maxSegments || width != segmentWidth(n) {
				return -1
			}
			n, width = n+1, 0
			continue
		}
		if code[i] < '0' || code[i] > '9' {
			return -1
		}
		width++
	}
	return n
}

// Province returns the province part of a code: "32" for "32", "32.04" and
// "32.04.01"; "" for the national code and for a malformed one.
func Province(code string) string {
	segs, ok := segments(code)
	if !ok || len(segs) == 0 {
		return ""
	}
	return segs[0]
}

// Parent returns the code one level up: "32" for "32.04", "" for "32".
// The national code and malformed codes have no parent and return "".
func Parent(code string) string {
	segs, ok := segments(code)
	if !ok || len(segs) == 0 {
		return ""
	}
	return strings.Join(segs[:len(segs)-1], ".")
}

// Ancestors returns the codes above code, nearest first and ending with the
// national code: "32.04" gives ["32", ""], "32" gives [""]. The national code
// and malformed codes have no ancestors and return nil.
func Ancestors(code string) []string {
	segs, ok := segments(code)
	if !ok || len(segs) == 0 {
		return nil
	}
	out := make([]string, 0, len(segs))
	for n := len(segs) - 1; n >= 0; n-- {
		out = append(out, strings.Join(segs[:n], "."))
	}
	return out
}

package pii

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/garda-id/garda/internal/region"
)

// Category is a kind of personal data.
type Category string

// The categories Scan counts.
const (
	NIK   Category = "nik"
	KK    Category = "kk"
	NPWP  Category = "npwp"
	Phone Category = "phone"
)

// Result summarises what a scan found. Counts are of distinct values; no
// field holds a value, so a Result can be stored, logged or printed.
type Result struct {
	NIK   int `json:"nik"`
	KK    int `json:"kk"`
	NPWP  int `json:"npwp"`
	Phone int `json:"phone"`
	// Women counts the NIKs whose day carries the +40 of women.
	Women int `json:"nik_women"`
	// Mentions counts every valid number read, repeats included.
	Mentions int `json:"mentions"`
	// Candidates counts numbers shaped like personal data (16-digit
	// NIK/KK-like numbers, NPWP-shaped and phone-shaped numbers); Valid
	// those of them that pass their checks. ValidShare = Valid/Candidates:
	// near 1 for a real dump, low for random or made-up numbers.
	Candidates int           `json:"candidates"`
	Valid      int           `json:"valid"`
	ValidShare float64       `json:"valid_share"`
	Provinces  []RegionCount `json:"provinces"`
	Regencies  []RegionCount `json:"regencies"`

	// Capped says the scanner stopped remembering new values at
	// MaxDistinct: the distinct counts are lower bounds.
	Capped bool `json:"capped,omitempty"`

	values map[Category]map[uint64]struct{} // never serialised; see Hashes
}

// RegionCount is how many distinct NIKs were issued in one region, by the
// Kemendagri code in their first digits.
type RegionCount struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Total is the number of distinct values of every category.
func (r Result) Total() int { return r.NIK + r.KK + r.NPWP + r.Phone }

// Hashed is one found value as Garda may store it.
type Hashed struct {
	Category Category `json:"category"`
	Hash     string   `json:"hash"`
}

// Hashes returns the salted hash of every distinct value found, sorted, so a
// caller can store and compare finds without the values.
func (r Result) Hashes(salt []byte) []Hashed {
	var out []Hashed
	for cat, vs := range r.values {
		for v := range vs {
			out = append(out, Hashed{Category: cat, Hash: Hash(salt, valueString(cat, v))})
		}
	}
	slices.SortFunc(out, func(a, b Hashed) int {
		return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.Hash, b.Hash))
	})
	return out
}

// Hash is the salted hash under which a value may be stored: HMAC-SHA-256
// keyed with the salt, hex. Values are the canonical digits Scan reads (a
// phone as 62...), so the same person hashes the same however the number was
// written. Without the salt the hash cannot be checked against a list of all
// 10^16 NIKs.
func Hash(salt []byte, value string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// Result summarises everything scanned so far. Its Hashes read the
// scanner's distinct values: scanning more afterwards adds to them.
func (s *Scanner) Result() Result {
	r := s.res
	if r.Candidates > 0 {
		r.ValidShare = float64(r.Valid) / float64(r.Candidates)
	}
	r.values = s.seen
	var byRegency [10000]int
	for v := range s.seen[NIK] {
		byRegency[v/1e12]++ // PPRR of PPRRSSDDMMYYXXXX
	}
	prov := map[string]int{}
	reg := map[string]int{}
	for code, n := range byRegency {
		if n > 0 {
			c := fmt.Sprintf("%04d", code)
			prov[c[:2]] += n
			reg[c[:2]+"."+c[2:]] += n
		}
	}
	r.Provinces = regionCounts(prov)
	r.Regencies = regionCounts(reg)
	return r
}

// regionCounts names and orders the counts, most first.
func regionCounts(m map[string]int) []RegionCount {
	out := make([]RegionCount, 0, len(m))
	for code, n := range m {
		rc := RegionCount{Code: code, Count: n}
		if reg, ok := region.Lookup(code); ok {
			rc.Name = reg.Name
		}
		out = append(out, rc)
	}
	slices.SortFunc(out, func(a, b RegionCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Code, b.Code))
	})
	return out
}

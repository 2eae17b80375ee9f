package region

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// displayName turns an official upper-case name into the form people write:
// "KABUPATEN ACEH SELATAN" → "Kabupaten Aceh Selatan", "DKI JAKARTA" →
// "DKI Jakarta", "PANGKAJENE DAN KEPULAUAN" → "Pangkajene dan Kepulauan",
// "KEP. SERIBU" → "Kep. Seribu", "TOJO UNA-UNA" → "Tojo Una-Una".
func displayName(official string) string {
	words := strings.Fields(official)
	for i, w := range words {
		words[i] = displayWord(w, i == 0)
	}
	return strings.Join(words, " ")
}

func displayWord(w string, first bool) string {
	switch upper := strings.ToUpper(w); upper {
	// Initialisms that Indonesians keep in capitals.
	case "DKI", "DI", "DIY", "NTB", "NTT", "RI":
		return upper
	// Conjunctions stay lower case inside a name, as in the official
	// mixed-case spelling "Kabupaten Pangkajene dan Kepulauan".
	case "DAN":
		if !first {
			return "dan"
		}
	}
	parts := strings.Split(w, "-")
	for i, p := range parts {
		parts[i] = capitalise(p)
	}
	return strings.Join(parts, "-")
}

// capitalise upper-cases the first letter of s and lower-cases the rest.
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + strings.ToLower(s[n:])
}

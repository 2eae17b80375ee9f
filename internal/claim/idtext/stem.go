package idtext

import "strings"

// Stem reduces an Indonesian word (lower case, letters only) to a stem by the
// confix-stripping rules of Nazief–Adriani as refined by Arifin and Setiono
// (ECS), without the dictionary those algorithms consult: removal is
// rule-based and stops when what is left would be shorter than minStem. The
// stem is not always the dictionary root ("mengenal" gives "enal"), but the
// same word family mostly reduces to one string, which is what matching
// needs.
func Stem(w string) string {
	if len(w) <= minStem || !isLetters(w) {
		return w
	}
	orig := w
	// Particles, then possessives: -lah, -kah, -pun (not -tah, which ends
	// too many roots: pemerintah); -ku, -mu, -nya.
	w = cutSuffix(w, []string{"lah", "kah", "pun"}, minStem)
	w = cutSuffix(w, []string{"nya", "ku", "mu"}, minStem)
	beforeSuffix := w
	// Derivational suffixes come off tentatively: a word with no prefix
	// keeps "-i" (beli, kopi, hati are roots), and "-kan"/"-an" only when a
	// long enough stem remains.
	w, suffix := cutDerivational(w)
	stem, prefixes := cutPrefixes(w)
	if suffix == "i" && prefixes == 0 || suffix == "i" && !strings.HasPrefix(w, "me") && !strings.HasPrefix(w, "di") {
		stem, _ = cutPrefixes(beforeSuffix)
	}
	if len(stem) < minStem {
		return orig
	}
	return stem
}

const minStem = 4

func isLetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func isVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }

func cutSuffix(w string, suffixes []string, min int) string {
	for _, s := range suffixes {
		if strings.HasSuffix(w, s) && len(w)-len(s) >= min {
			return w[:len(w)-len(s)]
		}
	}
	return w
}

func cutDerivational(w string) (string, string) {
	switch {
	case strings.HasSuffix(w, "kan") && len(w)-3 >= minStem:
		return w[:len(w)-3], "kan"
	case strings.HasSuffix(w, "an") && len(w)-2 >= minStem:
		return w[:len(w)-2], "an"
	case strings.HasSuffix(w, "i") && len(w)-1 >= minStem && !strings.HasSuffix(w, "ii"):
		return w[:len(w)-1], "i"
	}
	return w, ""
}

// cutPrefixes removes up to three prefixes (ECS allows three: "memper-ke-")
// and returns the stem and how many it removed.
func cutPrefixes(w string) (string, int) {
	n := 0
	last := ""
	for n < 3 {
		next, p := cutPrefix(w)
		if p == "" || strings.TrimSuffix(p, "+") == last || len(next) < minStem {
			break
		}
		w, last = next, p
		n++
		if strings.HasSuffix(p, "+") {
			break // a recoded consonant begins the stem: pemerintah, perintah
		}
	}
	return w, n
}

// cutPrefix applies one ECS prefix rule. The recoding of a nasalised first
// consonant picks the commoner root without a dictionary: men+V is t+V
// (menulis, tulis), meny+V is s+V, mem+V is p+V, meng+V stays V.
func cutPrefix(w string) (string, string) {
	at := func(i int) byte {
		if i < len(w) {
			return w[i]
		}
		return 0
	}
	switch {
	case strings.HasPrefix(w, "di"):
		return w[2:], "di"
	case strings.HasPrefix(w, "ke"):
		return w[2:], "ke"
	case strings.HasPrefix(w, "se") && len(w) > 6:
		return w[2:], "se"
	case strings.HasPrefix(w, "meng"):
		if c := at(4); c == 'g' || c == 'h' || c == 'k' || c == 'q' || isVowel(c) {
			return w[4:], "me"
		}
	case strings.HasPrefix(w, "meny") && isVowel(at(4)):
		return "s" + w[4:], "me+"
	case strings.HasPrefix(w, "mem"):
		c := at(3)
		if c == 'b' || c == 'f' || c == 'v' || c == 'p' {
			return w[3:], "me"
		}
		if isVowel(c) {
			return "p" + w[3:], "me+"
		}
	case strings.HasPrefix(w, "men"):
		c := at(3)
		if c == 'c' || c == 'd' || c == 'j' || c == 'z' || c == 't' || c == 's' {
			return w[3:], "me"
		}
		if isVowel(c) {
			return "t" + w[3:], "me+"
		}
	case strings.HasPrefix(w, "me"):
		if c := at(2); c == 'l' || c == 'r' || c == 'w' || c == 'y' || c == 'm' || c == 'n' {
			return w[2:], "me"
		}
	case strings.HasPrefix(w, "ber"):
		return w[3:], "ber"
	case strings.HasPrefix(w, "bel") && strings.HasPrefix(w[3:], "ajar"):
		return w[3:], "ber"
	case strings.HasPrefix(w, "be") && !isVowel(at(2)) && at(3) == 'e' && at(4) == 'r':
		return w[2:], "ber" // bekerja -> kerja
	case strings.HasPrefix(w, "ter"):
		return w[3:], "ter"
	case strings.HasPrefix(w, "peng"):
		if c := at(4); c == 'g' || c == 'h' || c == 'k' || isVowel(c) {
			return w[4:], "pe"
		}
	case strings.HasPrefix(w, "peny") && isVowel(at(4)):
		return "s" + w[4:], "pe+"
	case strings.HasPrefix(w, "pem"):
		c := at(3)
		if c == 'b' || c == 'f' || c == 'v' || c == 'p' {
			return w[3:], "pe"
		}
		if isVowel(c) {
			return "p" + w[3:], "pe+"
		}
	case strings.HasPrefix(w, "pen"):
		c := at(3)
		if c == 'c' || c == 'd' || c == 'j' || c == 'z' || c == 't' || c == 's' {
			return w[3:], "pe"
		}
		if isVowel(c) {
			return "t" + w[3:], "pe+"
		}
	case strings.HasPrefix(w, "per"):
		return w[3:], "per"
	case strings.HasPrefix(w, "pel") && strings.HasPrefix(w[3:], "ajar"):
		return w[3:], "per"
	case strings.HasPrefix(w, "pe"):
		if c := at(2); c == 'l' || c == 'r' || c == 'w' || c == 'y' || c == 'm' || c == 'n' || (!isVowel(c) && at(3) == 'e' && at(4) == 'r') {
			return w[2:], "pe"
		}
	}
	return w, ""
}

// Package idtext normalises Indonesian text for claim matching: case,
// punctuation and typographic quotes, social-media slang and abbreviations,
// repeated letters, reduplication, affixes (a dictionary-free stemmer after
// Nazief–Adriani and ECS) and numbers and dates, which become canonical keys
// so that "13-9-2024" and "13 September 2024", or "Rp50.000.000" and
// "50 juta", can be required to agree. It never consults a dictionary or
// the network, and it keeps no state.
package idtext

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Doc is a normalised text.
type Doc struct {
	Words   []Word
	Numbers []Number
}

// Word is one word of a text as written (lower case) and its stem. Stop words
// carry Stop and take no part in matching.
type Word struct {
	Surface string
	Stem    string
	Stop    bool
}

// Number is a number or date found in a text. Key is canonical:
// "n:50000000", "d:2024-09-13", "m:2024-09", "y:2024".
type Number struct {
	Key     string
	Surface string
}

// Stems returns the stems of the words that are not stop words, in order.
func (d Doc) Stems() []string {
	out := make([]string, 0, len(d.Words))
	for _, w := range d.Words {
		if !w.Stop {
			out = append(out, w.Stem)
		}
	}
	return out
}

// Keys returns the number keys, each once.
func (d Doc) Keys() []string {
	out := make([]string, 0, len(d.Numbers))
	seen := map[string]bool{}
	for _, n := range d.Numbers {
		if !seen[n.Key] {
			seen[n.Key] = true
			out = append(out, n.Key)
		}
	}
	return out
}

var months = map[string]int{
	"januari": 1, "jan": 1, "january": 1, "februari": 2, "feb": 2, "pebruari": 2, "february": 2,
	"maret": 3, "mar": 3, "march": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6, "june": 6,
	"juli": 7, "jul": 7, "july": 7, "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
	"september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10, "october": 10,
	"november": 11, "nov": 11, "nopember": 11, "desember": 12, "des": 12, "dec": 12, "december": 12,
}

var (
	numericDate = regexp.MustCompile(`\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b`)
	// Month names are checked in the map, not in the pattern: an
	// alternation of 40 names made every text cost tens of microseconds.
	namedDate = regexp.MustCompile(`\b(\d{1,2})\s*([a-z]{3,9})\.?,?\s*(\d{4})\b`)
	monthYear = regexp.MustCompile(`\b([a-z]{3,9})\.?,?\s*(\d{4})\b`)
	amount    = regexp.MustCompile(`(?:\b(rp|idr|usd|us\$)\.?\s*|\b)(\d+(?:[.,]\d+)*)(?:\s*(ribu|rb|k|juta|jt|miliar|milyar|m|triliun|t)\b)?`)
	wordRun   = regexp.MustCompile(`[\p{L}\p{M}]+(?:[-'][\p{L}\p{M}]+)*2?|²`)
)

var multiplier = map[string]float64{
	"ribu": 1e3, "rb": 1e3, "k": 1e3, "juta": 1e6, "jt": 1e6,
	"miliar": 1e9, "milyar": 1e9, "m": 1e9, "triliun": 1e12, "t": 1e12,
}

// Normalize reads a text.
func Normalize(text string) Doc {
	var d Doc
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, " ")
	}
	// NFKC folds the "𝗯𝗼𝗹𝗱" and "𝑖𝑡𝑎𝑙𝑖𝑐" letters scam posts use, and
	// full-width forms, into plain ones.
	s := strings.ToLower(norm.NFKC.String(text))
	s = quotes.Replace(s)

	// Numbers and dates need the words around them (a currency, a month,
	// a unit) and nothing further: only the stretches within two words of
	// a digit go through the number patterns, which cost far more than
	// the words.
	fields := strings.Fields(s)
	near := make([]bool, len(fields))
	for k, f := range fields {
		if strings.ContainsAny(f, "0123456789") {
			for m := max(0, k-2); m <= min(len(fields)-1, k+2); m++ {
				near[m] = true
			}
		}
	}
	for k := 0; k < len(fields); {
		e := k
		for e < len(fields) && near[e] == near[k] {
			e++
		}
		part := strings.Join(fields[k:e], " ")
		if near[k] {
			part = d.numbers(part)
		}
		d.tokens(part)
		k = e
	}
	return d
}

// numbers takes the numbers and dates out of s into d and returns the rest.
func (d *Doc) numbers(s string) string {
	s = unglue(s)
	// Dates first, so that their parts are not read again as amounts.
	year := hasYear(s)
	if year {
		s = replaceAll(s, namedDate, func(m []string) string {
			if months[m[2]] == 0 {
				return m[0]
			}
			day, _ := strconv.Atoi(m[1])
			year, _ := strconv.Atoi(m[3])
			d.addDate(year, months[m[2]], day, m[0])
			return " "
		})
	}
	if strings.ContainsAny(s, "-/.") {
		s = replaceAll(s, numericDate, func(m []string) string {
			day, _ := strconv.Atoi(m[1])
			mon, _ := strconv.Atoi(m[2])
			year, _ := strconv.Atoi(m[3])
			if year < 100 {
				year += 2000
			}
			if mon < 1 || mon > 12 || day < 1 || day > 31 {
				return m[0]
			}
			d.addDate(year, mon, day, m[0])
			return " "
		})
	}
	if year {
		s = replaceAll(s, monthYear, func(m []string) string {
			if months[m[1]] == 0 {
				return m[0]
			}
			year, _ := strconv.Atoi(m[2])
			d.addDate(year, months[m[1]], 0, m[0])
			return " "
		})
	}
	s = replaceAll(s, amount, func(m []string) string {
		if key, ok := numberKey(m[2], m[3]); ok {
			d.Numbers = append(d.Numbers, Number{Key: key, Surface: strings.TrimSpace(m[0])})
		}
		return " "
	})

	return s
}

// unglue reads the digits that hide letters between letters
// ("ter54n9ka": no number or name such as "covid19" or "50juta" has a digit
// between letters) and parts a number from the word before it ("ke79",
// "hut79": a number glued to a word is still a number).
func unglue(s string) string {
	r := []rune(s)
	isDigit := func(i int) bool { return i >= 0 && i < len(r) && r[i] >= '0' && r[i] <= '9' }
	isLetter := func(i int) bool { return i >= 0 && i < len(r) && unicode.IsLetter(r[i]) }
	for i := 0; i < len(r); i++ {
		if !isDigit(i) || !isLetter(i-1) {
			continue
		}
		j := i
		for isDigit(j) {
			j++
		}
		if isLetter(j) { // letters on both sides: leetspeak
			for k := i; k < j; k++ {
				r[k] = unleetRune(r[k])
			}
		}
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, c := range r {
		if isDigit(i) && isLetter(i-1) {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// hasYear says whether s has four digits in a row, which every date with a
// month name has.
func hasYear(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if n++; n == 4 {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

func unleetRune(r rune) rune {
	{
		switch r {
		case '0':
			return 'o'
		case '1':
			return 'i'
		case '3':
			return 'e'
		case '4':
			return 'a'
		case '5':
			return 's'
		case '6', '9':
			return 'g'
		case '7':
			return 't'
		case '8':
			return 'b'
		}
		return r
	}
}

// tokens reads the words of s (numbers and dates already taken out).
func (d *Doc) tokens(s string) {
	prev := ""
	for _, run := range wordRun.FindAllString(s, -1) {
		if run == "²" { // "group²": the word again, which adds nothing
			continue
		}
		run = strings.TrimSuffix(run, "2") // "macam2", an informal reduplication
		parts := strings.FieldsFunc(run, func(r rune) bool { return r == '-' || r == '\'' })
		for i, p := range parts {
			if i > 0 && p == parts[i-1] {
				continue // anak-anak
			}
			for _, w := range d.words(p) {
				// berlari-lari: the second half repeats the first's stem.
				if i > 0 && w.Stem == prev {
					continue
				}
				d.Words = append(d.Words, w)
				prev = w.Stem
			}
		}
	}
}

var quotes = strings.NewReplacer("“", " ", "”", " ", "‘", " ", "’", "'", "„", " ", "«", " ", "»", " ", "\"", " ", "`", " ", "\u00a0", " ")

func replaceAll(s string, re *regexp.Regexp, f func([]string) string) string {
	return re.ReplaceAllStringFunc(s, func(m string) string {
		return f(re.FindStringSubmatch(m))
	})
}

func (d *Doc) addDate(year, month, day int, surface string) {
	if year < 1900 || year > 2100 || month < 1 {
		return
	}
	y := strconv.Itoa(year)
	m := y + "-" + pad2(month)
	if day > 0 {
		d.Numbers = append(d.Numbers, Number{Key: "d:" + m + "-" + pad2(day), Surface: surface})
	}
	d.Numbers = append(d.Numbers, Number{Key: "m:" + m, Surface: surface}, Number{Key: "y:" + y, Surface: surface})
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// numberKey reads an Indonesian number: "." groups thousands and "," marks
// decimals ("50.000.000", "9,8"), but a lone "." before other than three
// digits is an English decimal ("15.4").
func numberKey(digits, unit string) (string, bool) {
	if len(digits) > 24 {
		return "", false
	}
	var v float64
	switch parts := strings.FieldsFunc(digits, func(r rune) bool { return r == '.' || r == ',' }); {
	case len(parts) == 1:
		v, _ = strconv.ParseFloat(parts[0], 64)
	default:
		last := parts[len(parts)-1]
		sepLast := digits[len(digits)-len(last)-1]
		if len(last) == 3 && (sepLast == '.' || len(parts) > 2) {
			v, _ = strconv.ParseFloat(strings.Join(parts, ""), 64) // thousands
		} else {
			v, _ = strconv.ParseFloat(strings.Join(parts[:len(parts)-1], "")+"."+last, 64)
		}
	}
	if unit != "" {
		v *= multiplier[unit]
	}
	if unit == "" && len(digits) == 4 && v >= 1900 && v <= 2100 && !strings.ContainsAny(digits, ".,") {
		return "y:" + digits, true
	}
	return "n:" + strconv.FormatFloat(v, 'f', -1, 64), true
}

func (d *Doc) words(raw string) []Word {
	w := squeeze(raw)
	if rep, ok := slang[w]; ok {
		var out []Word
		for _, part := range strings.Fields(rep) {
			out = append(out, makeWord(raw, part))
		}
		return out
	}
	return []Word{makeWord(raw, w)}
}

func makeWord(surface, w string) Word {
	if stopwords[w] {
		return Word{Surface: surface, Stem: w, Stop: true}
	}
	st := Stem(w)
	return Word{Surface: surface, Stem: st, Stop: stopwords[st] || utf8.RuneCountInString(st) < 2}
}

// squeeze folds letters repeated three times or more ("bangeeet") to one and
// drops combining marks.
func squeeze(w string) string {
	var b strings.Builder
	var last rune
	run := 0
	for _, r := range w {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if r == last {
			run++
		} else {
			last, run = r, 1
		}
		if run <= 2 {
			b.WriteRune(r)
		} else if run == 3 {
			// Undo the second copy: three or more means emphasis.
			s := b.String()
			b.Reset()
			b.WriteString(s[:len(s)-utf8.RuneLen(r)])
		}
	}
	return b.String()
}

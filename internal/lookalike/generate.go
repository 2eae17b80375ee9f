// Package lookalike finds impostor domains of the task force's own (KPU's
// kpu.go.id and its provinces' sites): it generates the names an impostor
// would register (typos, homoglyphs, other TLDs and second levels, added
// words) and asks a DNS resolver which of them exist. It only reads DNS; it
// never fetches a site (the patrol captures a live one through fetch).
package lookalike

import (
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Kinds of lookalike.
const (
	KindOmission      = "omission"      // kpu → kp
	KindRepetition    = "repetition"    // kpu → kpuu
	KindTransposition = "transposition" // kpu → pku
	KindKeyboard      = "keyboard"      // a neighbouring key typed instead of, or beside, the right one
	KindBitflip       = "bitflip"       // one bit of one letter flipped in memory or on the wire
	KindHomoglyph     = "homoglyph"     // rn for m, l for 1, 0 for o
	KindIDN           = "idn-homoglyph" // a Cyrillic or Greek letter that looks Latin, in punycode
	KindHyphen        = "hyphenation"   // k-pu
	KindVowelSwap     = "vowel-swap"    // kpu → kpa
	KindAddition      = "addition"      // kpu → kpus
	KindTLD           = "tld"           // kpu.com, kpu.xyz
	KindSecondLevel   = "second-level"  // kpu.id, kpu.co.id, kpu.or.id
	KindFlattened     = "flattened"     // kpu-go-id.com, kpugoid.com, kpu-go.id
	KindAddedWord     = "added-word"    // pemilu-kpu.id, cek-dpt-kpu.com
	KindSubdomain     = "subdomain"     // jabar.kpu.go.id → jabar-kpu.com, kpujabar.id
)

// Candidate is one generated name.
type Candidate struct {
	Domain  string `json:"domain"`            // ASCII (punycode for IDN)
	Unicode string `json:"unicode,omitempty"` // how an IDN reads, when it differs
	Kind    string `json:"kind"`
	Of      string `json:"of"` // the domain it imitates
}

// words are what impostors add to an election body's name.
var words = []string{
	"pemilu", "pilkada", "pilpres", "pileg", "dpt", "cekdpt", "cek-dpt", "cek", "info", "resmi",
	"ri", "id", "go", "daftar", "pendaftaran", "hasil", "quickcount", "qc", "real-count", "realcount",
	"sirekap", "sidalih", "lindungihakpilihmu", "pemilih", "online", "portal", "data", "rekap",
	"suara", "2024", "2029", "pusat", "indonesia", "login", "verifikasi", "bantuan",
}

// tlds are generic TLDs impostors register under; secondLevels the .id
// second levels open to the public (go.id is not: it needs a government
// letter, which is why an impostor moves off it).
var (
	tlds         = []string{"com", "net", "org", "info", "xyz", "online", "site", "biz", "top"}
	secondLevels = []string{"id", "co.id", "or.id", "web.id", "my.id", "biz.id", "net.id", "ac.id", "sch.id"}
	wordSuffixes = []string{"com", "id", "net", "org", "info", "xyz", "co.id", "or.id", "web.id", "my.id", "online", "site"}
)

const vowels = "aeiou"

// keyboard lists each key's QWERTY neighbours.
var keyboard = map[byte]string{
	'1': "2q", '2': "13qw", '3': "24we", '4': "35er", '5': "46rt", '6': "57ty", '7': "68yu", '8': "79ui", '9': "80io", '0': "9op",
	'q': "12wa", 'w': "23qeas", 'e': "34wrsd", 'r': "45etdf", 't': "56ryfg", 'y': "67tugh", 'u': "78yihj", 'i': "89uojk", 'o': "90ipkl", 'p': "0ol",
	'a': "qwsz", 's': "weadzx", 'd': "ersfxc", 'f': "rtdgcv", 'g': "tyfhvb", 'h': "yugjbn", 'j': "uihknm", 'k': "iojlm", 'l': "opk",
	'z': "asx", 'x': "zsdc", 'c': "xdfv", 'v': "cfgb", 'b': "vghn", 'n': "bhjm", 'm': "njk",
}

// asciiGlyphs are ASCII strings that read as one another.
var asciiGlyphs = [][2]string{
	{"m", "rn"}, {"rn", "m"}, {"w", "vv"}, {"vv", "w"}, {"d", "cl"}, {"cl", "d"},
	{"l", "1"}, {"1", "l"}, {"i", "1"}, {"l", "i"}, {"i", "l"}, {"o", "0"}, {"0", "o"},
	{"u", "v"}, {"v", "u"}, {"n", "m"}, {"g", "q"}, {"s", "5"}, {"e", "3"}, {"a", "4"},
}

// idnGlyphs are Cyrillic, Greek and Armenian letters that look like a Latin
// one (after the Unicode confusables list, UTS #39).
var idnGlyphs = map[byte][]rune{
	'a': {'а'}, 'c': {'с'}, 'd': {'ԁ'}, 'e': {'е'}, 'h': {'һ'}, 'i': {'і'}, 'j': {'ј'},
	'k': {'к', 'κ'}, 'l': {'ӏ'}, 'n': {'ո'}, 'o': {'о', 'ο'}, 'p': {'р', 'ρ'}, 'q': {'ԛ'},
	's': {'ѕ'}, 'u': {'υ', 'ս'}, 'v': {'ν'}, 'w': {'ԝ'}, 'x': {'х'}, 'y': {'у'},
}

// Generate returns the lookalikes of domain, deduplicated, each with its
// kind, the original left out. A domain it cannot parse yields none.
func Generate(domain string) []Candidate {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	reg, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return nil
	}
	suffix := reg[strings.IndexByte(reg, '.')+1:]
	label := reg[:strings.IndexByte(reg, '.')]
	var subs []string
	if domain != reg {
		subs = strings.Split(strings.TrimSuffix(domain, "."+reg), ".")
	}

	g := &generator{of: domain, seen: map[string]bool{domain: true, reg: true}}
	typoSuffixes := uniq(suffix, "id", "com")
	for _, sfx := range typoSuffixes {
		g.typos(label, sfx)
	}
	for _, t := range tlds {
		g.add(label+"."+t, KindTLD)
	}
	for _, s := range secondLevels {
		g.add(label+"."+s, KindSecondLevel)
	}
	// The suffix pulled into the name: kpu-go-id.com, kpugoid.com, kpu-go.id.
	flat := strings.Split(suffix, ".")
	for _, sep := range []string{"-", ""} {
		for _, t := range []string{"com", "net", "org", "info", "xyz", "id", "co.id", "web.id"} {
			g.add(label+sep+strings.Join(flat, sep)+"."+t, KindFlattened)
		}
		if len(flat) > 1 {
			g.add(label+sep+strings.Join(flat[:len(flat)-1], sep)+"."+flat[len(flat)-1], KindFlattened)
		}
	}
	for _, w := range words {
		for _, name := range joinings(w, label) {
			for _, t := range wordSuffixes {
				g.add(name+"."+t, KindAddedWord)
			}
		}
	}
	for _, s := range subs {
		for _, name := range joinings(s, label) {
			for _, t := range wordSuffixes {
				g.add(name+"."+t, KindSubdomain)
			}
			g.add(name+"-"+strings.Join(flat, "-")+".com", KindSubdomain)
		}
	}
	return g.out
}

// joinings are the ways a word goes with a name: before or after it, with
// or without a hyphen.
func joinings(w, label string) []string {
	return []string{w + "-" + label, label + "-" + w, w + label, label + w}
}

func uniq(ss ...string) []string {
	var out []string
	for _, s := range ss {
		dup := false
		for _, o := range out {
			dup = dup || o == s
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

type generator struct {
	of   string
	seen map[string]bool
	out  []Candidate
}

// typos adds the one-edit variants of label under suffix.
func (g *generator) typos(label, suffix string) {
	add := func(name, kind string) { g.add(name+"."+suffix, kind) }
	for i := range len(label) {
		add(label[:i]+label[i+1:], KindOmission)
		add(label[:i+1]+label[i:], KindRepetition)
		if i+1 < len(label) && label[i] != label[i+1] {
			add(label[:i]+string(label[i+1])+string(label[i])+label[i+2:], KindTransposition)
		}
		for _, k := range []byte(keyboard[label[i]]) {
			add(label[:i]+string(k)+label[i+1:], KindKeyboard)
			add(label[:i]+string(k)+label[i:], KindKeyboard)
			add(label[:i+1]+string(k)+label[i+1:], KindKeyboard)
		}
		for bit := range 8 {
			c := label[i] ^ 1<<bit
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' {
				add(label[:i]+string(c)+label[i+1:], KindBitflip)
			}
		}
		if i > 0 {
			add(label[:i]+"-"+label[i:], KindHyphen)
		}
		if strings.IndexByte(vowels, label[i]) >= 0 {
			for _, v := range []byte(vowels) {
				if v != label[i] {
					add(label[:i]+string(v)+label[i+1:], KindVowelSwap)
				}
			}
		}
		for _, r := range idnGlyphs[label[i]] {
			g.addIDN(label[:i] + string(r) + label[i+1:] + "." + suffix)
		}
	}
	for c := byte('a'); c <= 'z'; c++ {
		add(label+string(c), KindAddition)
	}
	for _, hg := range asciiGlyphs {
		for i := 0; ; {
			j := strings.Index(label[i:], hg[0])
			if j < 0 {
				break
			}
			j += i
			add(label[:j]+hg[1]+label[j+len(hg[0]):], KindHomoglyph)
			i = j + 1
		}
	}
	// Every letter that has one swapped at once: the name looks untouched.
	var all strings.Builder
	swapped := 0
	for i := range len(label) {
		if rs := idnGlyphs[label[i]]; len(rs) > 0 {
			all.WriteRune(rs[0])
			swapped++
		} else {
			all.WriteByte(label[i])
		}
	}
	if swapped > 1 {
		g.addIDN(all.String() + "." + suffix)
	}
}

func (g *generator) addIDN(unicode string) {
	ascii, err := idna.Lookup.ToASCII(unicode)
	if err != nil {
		// A name IDNA refuses cannot be registered: no lookalike. (Mixed
		// scripts pass here; some registries refuse them, but a query
		// costs little and some do not.)
		return
	}
	if g.valid(ascii) {
		g.seen[ascii] = true
		g.out = append(g.out, Candidate{Domain: ascii, Unicode: unicode, Kind: KindIDN, Of: g.of})
	}
}

func (g *generator) add(name, kind string) {
	if g.valid(name) {
		g.seen[name] = true
		g.out = append(g.out, Candidate{Domain: name, Kind: kind, Of: g.of})
	}
}

// valid reports a name not yet generated that DNS can hold: labels of 1..63
// letters, digits and inner hyphens, 253 bytes in all.
func (g *generator) valid(name string) bool {
	if g.seen[name] || len(name) > 253 {
		return false
	}
	for l := range strings.SplitSeq(name, ".") {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
		if len(l) >= 4 && l[2:4] == "--" && l[:2] != "xn" {
			return false
		}
	}
	return true
}

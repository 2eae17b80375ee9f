package simulate

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
)

// Address plan. Citizens come from 36.64.0.0/10 (the style of genlog's
// benign range); the infrastructure that visits every site (crawlers,
// uptime monitors) from its top /14, which citizens never draw. Attackers
// come from the documentation ranges of RFC 5737 and, past those 762
// addresses, RFC 3849's 2001:db8::/32: no attacker ever shares an
// address with a benign client.
var (
	benignRange = netip.MustParsePrefix("36.64.0.0/10")
	infraRange  = netip.MustParsePrefix("36.124.0.0/14")
	attackV4    = [3][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}
)

// citizenIP draws an address from 36.64.0.0-36.123.255.255.
func citizenIP(r *rand.Rand) netip.Addr {
	return netip.AddrFrom4([4]byte{36, byte(64 + r.IntN(60)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
}

// infraIP is the n-th address of the infrastructure block for a named
// service: stable, so that a crawler keeps its addresses.
func infraIP(service, n int) netip.Addr {
	x := uint32(service)*7919 + uint32(n)*104729 + 17
	return netip.AddrFrom4([4]byte{36, byte(124 + (x>>16)%4), byte(x >> 8), byte(1 + x%254)})
}

// attackerIP is the k-th attacker's address, all distinct.
func attackerIP(k int) netip.Addr {
	const v4 = 3 * 254
	if k < v4 {
		j := (k * 389) % v4 // a permutation, so consecutive attackers look unrelated
		p := attackV4[j/254]
		return netip.AddrFrom4([4]byte{p[0], p[1], p[2], byte(1 + j%254)})
	}
	k -= v4
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xa7, 0xac, byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k), 15: 1})
}

// IsBenign reports whether ip is one the simulator gives benign clients
// (citizens, staff, crawlers, monitors). Attackers never use these.
func IsBenign(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && benignRange.Contains(a)
}

type weighted[T any] struct {
	w float64
	v T
}

func pick[T any](r *rand.Rand, xs []weighted[T]) T {
	var total float64
	for _, x := range xs {
		total += x.w
	}
	f := r.Float64() * total
	for _, x := range xs {
		if f < x.w {
			return x.v
		}
		f -= x.w
	}
	return xs[len(xs)-1].v
}

func one[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// between draws uniformly from [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// Citizens' browsers: Chrome on Android dominates in Indonesia, mostly
// with Chrome's reduced user agent; then in-app browsers of Facebook and
// Instagram, Samsung Internet, iPhones, and desktops at work.
var citizenAgents = []weighted[func(r *rand.Rand) string]{
	{40, func(r *rand.Rand) string {
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36", between(r, 121, 126))
	}},
	{9, func(r *rand.Rand) string {
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Mobile Safari/537.36",
			between(r, 11, 14), one(r, phones), between(r, 110, 120), between(r, 5400, 6099), between(r, 40, 230))
	}},
	{7, func(r *rand.Rand) string {
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s Build/%s; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%d.0.%d.%d Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/%d.0.0.%d.%d;]",
			between(r, 11, 14), one(r, phones), one(r, builds), between(r, 120, 125), between(r, 6099, 6422), between(r, 60, 180), between(r, 440, 470), between(r, 10, 60), between(r, 100, 120))
	}},
	{4, func(r *rand.Rand) string {
		phone, android := one(r, samsungs), between(r, 12, 14)
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s Build/%s; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%d.0.%d.%d Mobile Safari/537.36 Instagram %d.0.0.%d.%d Android (%d/%d; 420dpi; 1080x2400; samsung; %s; id_ID)",
			android, phone, one(r, builds), between(r, 120, 125), between(r, 6099, 6422), between(r, 60, 180), between(r, 310, 330), between(r, 10, 50), between(r, 90, 120), map[int]int{12: 31, 13: 33, 14: 34}[android], android, phone)
	}},
	{6, func(r *rand.Rand) string {
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; SAMSUNG %s) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/%d.0 Chrome/%d.0.0.0 Mobile Safari/537.36",
			between(r, 12, 14), one(r, samsungs), between(r, 22, 25), between(r, 111, 121))
	}},
	{10, func(r *rand.Rand) string {
		v := one(r, []string{"16_7_8", "17_3_1", "17_4_1", "17_5"})
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Mobile/15E148 Safari/604.1",
			v, strings.ReplaceAll(v[:4], "_", "."))
	}},
	{14, func(r *rand.Rand) string { return desktopAgent(r) }},
}

var phones = []string{"SM-A145F", "SM-A057F", "SM-A155F", "SM-A245F", "SM-A546E", "23021RAA2Y", "2201117TG", "22101320G",
	"CPH2591", "CPH2477", "V2253", "V2247", "RMX3710", "RMX3830", "Infinix X6831", "TECNO KI5k"}

var samsungs = []string{"SM-A145F", "SM-A057F", "SM-A155F", "SM-A245F", "SM-A546E", "SM-M146B", "SM-S918B"}

var builds = []string{"TP1A.220624.014", "SP1A.210812.016", "UP1A.231005.007", "RKQ1.211119.001", "TKQ1.221114.001"}

// desktopAgent is a desktop browser: Chrome on Windows mostly, as in
// government and campus offices.
func desktopAgent(r *rand.Rand) string {
	switch f := r.Float64(); {
	case f < 0.72:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", between(r, 120, 126))
	case f < 0.86:
		v := between(r, 120, 126)
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.%d.%d", v, v, between(r, 2200, 2600), between(r, 40, 90))
	case f < 0.94:
		v := between(r, 121, 127)
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", v, v)
	default:
		return "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
	}
}

// crawler is a search engine's or a platform's fetcher: benign, named in
// its user agent.
type crawler struct {
	ua      string
	preview bool // fetches one shared page (link previews), not a crawl
}

var crawlers = []crawler{
	{ua: "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.155 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
	{ua: "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/124.0.6367.155 Safari/537.36"},
	{ua: "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"},
	{ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"},
	{ua: "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)"},
	{ua: "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", preview: true},
	{ua: "Twitterbot/1.0", preview: true},
}

// monitors check every site's front page on a schedule.
var monitors = []string{
	"Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
	"Blackbox Exporter/0.25.0",
}

// Service numbers of the infrastructure block (infraIP).
const (
	serviceMonitor = 0
	serviceCrawler = 1 // + crawler index
	serviceCGNAT   = 20
)

// Province codes for NIKs, weighted roughly by population: Java first.
var nikProvinces = []weighted[int]{
	{18, 32}, {15, 35}, {13, 33}, {4, 31}, {4, 36}, {5, 12}, {3, 73}, {3, 18}, {3, 16}, {2, 13}, {2, 14}, {2, 51},
	{2, 53}, {2, 52}, {2, 61}, {2, 63}, {2, 64}, {2, 34}, {1, 11}, {1, 15}, {1, 17}, {1, 19}, {1, 21}, {1, 62},
	{1, 65}, {1, 71}, {1, 72}, {1, 74}, {1, 75}, {1, 76}, {1, 81}, {1, 82}, {1, 91}, {1, 92}, {1, 94},
}

// nik is a well-formed synthetic NIK: province, regency, district,
// birth date (day + 40 for women), serial. A voter is 17 or older.
func nik(r *rand.Rand) string {
	prov := pick(r, nikProvinces)
	kab := between(r, 1, 24)
	if r.IntN(5) == 0 {
		kab = between(r, 71, 78) // a city
	}
	return nikOf(prov, kab, between(r, 1, 30), between(r, 1, 28)+40*r.IntN(2), between(r, 1, 12), between(r, 1950, 2006), between(r, 1, 2500))
}

func nikOf(prov, kab, kec, day, month, year, serial int) string {
	return fmt.Sprintf("%02d%02d%02d%02d%02d%02d%04d", prov, kab, kec, day, month, year%100, serial)
}

// Words of Indonesian election news, for slugs and searches.
var newsWords = []string{
	"pengumuman", "jadwal", "tahapan", "pemilu", "2024", "rekapitulasi", "hasil", "penghitungan", "suara", "daftar",
	"pemilih", "tetap", "kampanye", "debat", "capres", "cawapres", "sosialisasi", "pemungutan", "tps", "kpps", "logistik",
	"distribusi", "surat", "pleno", "penetapan", "calon", "anggota", "dprd", "dpd", "dpr", "provinsi", "kabupaten",
	"kota", "rapat", "koordinasi", "bimtek", "demokrasi", "partisipasi", "pemula", "disabilitas", "netralitas", "asn",
	"pantarlih", "coklit", "pemutakhiran", "data", "ppk", "pps", "relawan", "hari", "libur", "nasional", "formulir",
	"keputusan", "kpu", "ri", "bawaslu", "verifikasi", "partai", "politik", "dapil", "kursi", "saksi", "pengawas",
}

func slug(r *rand.Rand) string {
	n := between(r, 3, 7)
	w := make([]string, n)
	for i := range w {
		w[i] = one(r, newsWords)
	}
	return strings.Join(w, "-")
}

// Searches citizens type, with spaces as '+'.
var searches = []string{
	"jadwal+pemilu+2024", "cara+cek+dpt", "hasil+pilpres", "daftar+caleg+dapil+1", "lokasi+tps", "formulir+c+hasil",
	"pindah+memilih", "syarat+pindah+tps", "rekapitulasi+suara", "pengumuman+dct", "rekrutmen+kpps", "gaji+kpps",
	"hasil+pleno+kabupaten", "debat+capres", "visi+misi+paslon", "dpt+jawa+barat", "surat+suara+rusak", "pemilih+pemula",
	"peraturan+kpu+nomor+7+tahun+2022", "sk+penetapan", "quick+count", "real+count", "form+a5",
}

var provinceCodes = []int{11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65,
	71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96}

// tpsCode is a polling station's code: village (10 digits) and station.
func tpsCode(r *rand.Rand) string {
	return fmt.Sprintf("%02d%02d%02d%04d%03d", one(r, provinceCodes), between(r, 1, 24), between(r, 1, 30), between(r, 2001, 2030), between(r, 1, 40))
}

// hexID is a build hash of n hex digits, stable for a seed.
func hexID(r *rand.Rand, n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hex[r.IntN(16)]
	}
	return string(b)
}

// token is an opaque URL-safe token (a captcha answer, a session nonce).
func token(r *rand.Rand, n int) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[r.IntN(len(alpha))]
	}
	return string(b)
}

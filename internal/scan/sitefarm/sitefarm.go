// Package sitefarm simulates KPU's 553 web sites (1 national, 38
// provincial, 514 regency, named from package region's catalogue) on
// loopback, for the scan round's scale harness and integration tests:
// one HTTP server, each site on its own loopback address (127.0.x.y, so
// that per-host politeness applies per site exactly as on the Internet),
// routed by the Host header, with a fixed mix of planted weaknesses.
//
// It counts what the scanner does to every site (requests, connections
// at once, requests in any one second) so a harness can prove politeness
// from the server's side. It must only ever listen on loopback.
package sitefarm

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/region"
)

// Weakness is something planted on a site.
type Weakness string

const (
	ServerVersion Weakness = "server-version" // Server: Apache/2.4.49 (Unix), X-Powered-By: PHP/7.4.3
	WeakHeaders   Weakness = "weak-headers"   // no CSP, X-Frame-Options, X-Content-Type-Options
	DotEnv        Weakness = "dotenv"         // /.env with database credentials
	GitConfig     Weakness = "git-config"     // /.git/config and /.git/HEAD
	DirListing    Weakness = "dir-listing"    // /uploads/ auto-indexed
	ServerStatus  Weakness = "server-status"  // Apache mod_status open
	PHPInfo       Weakness = "phpinfo"        // /phpinfo.php
	SQLDump       Weakness = "sql-dump"       // /backup.sql
	Slow          Weakness = "slow"           // every answer takes SlowBy
	Flaky         Weakness = "flaky"          // the first request of each path fails with 503
)

// SlowBy is how long a Slow site takes to answer.
const SlowBy = 1500 * time.Millisecond

// every says which sites get a weakness: site i has w when i%n == 0 (the
// national site, index 0, has them all but Slow and Flaky: the most
// exposed, as in 2023).
var every = []struct {
	w Weakness
	n int
}{
	{WeakHeaders, 2}, {ServerVersion, 3}, {DotEnv, 7}, {GitConfig, 11}, {DirListing, 13},
	{ServerStatus, 17}, {PHPInfo, 19}, {SQLDump, 23}, {Slow, 50}, {Flaky, 97},
}

// Site is one simulated site.
type Site struct {
	Index      int        `json:"index"`
	Name       string     `json:"name"` // e.g. "KPU Kabupaten Aceh Selatan"
	Host       string     `json:"host"` // the name it would have, e.g. kab-aceh-selatan.kpu.test
	Region     string     `json:"region"`
	Level      string     `json:"level"`
	IP         string     `json:"ip"`
	URL        string     `json:"url"` // where to reach it once listening
	Weaknesses []Weakness `json:"weaknesses"`
}

// Has reports whether w is planted on s.
func (s *Site) Has(w Weakness) bool {
	for _, x := range s.Weaknesses {
		if x == w {
			return true
		}
	}
	return false
}

// Farm is the set of sites and the server that answers for them.
type Farm struct {
	Sites []*Site
	byIP  map[string]*Site
	stats map[string]*counter

	srv *http.Server
	lns []net.Listener
	dns []*dns.Server
}

// New builds a farm of the first n regions of the catalogue (national
// first, then each province followed by nothing: provinces, then regencies,
// in code order); n <= 0 or above the catalogue's size means all of them.
func New(n int) *Farm {
	regions := region.All()
	if n <= 0 || n > len(regions) {
		n = len(regions)
	}
	f := &Farm{byIP: map[string]*Site{}, stats: map[string]*counter{}}
	for i, r := range regions[:n] {
		s := &Site{Index: i, Region: r.Code, Level: r.Level,
			IP: fmt.Sprintf("127.0.%d.%d", 10+i/250, 1+i%250)}
		switch r.Level {
		case region.LevelNational:
			s.Name, s.Host = "KPU RI", "kpu.test"
		default:
			s.Name, s.Host = "KPU "+r.Name, slug(r.Name)+".kpu.test"
		}
		for _, e := range every {
			if i%e.n == 0 && !(i == 0 && (e.w == Slow || e.w == Flaky)) {
				s.Weaknesses = append(s.Weaknesses, e.w)
			}
		}
		f.Sites = append(f.Sites, s)
		f.byIP[s.IP] = s
		f.stats[s.IP] = &counter{firsts: map[string]bool{}, perSecond: map[int64]int{}, open: map[net.Conn]bool{}}
	}
	return f
}

func slug(name string) string {
	name = strings.NewReplacer("Kabupaten ", "kab-", "Kota ", "kota-", "Provinsi ", "").Replace(name)
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// Listen opens one listener per site on its loopback address, on one port
// (port 0: the first free one they all have), and serves until Close.
func (f *Farm) Listen(port int) error {
	for attempt := 0; attempt < 20; attempt++ {
		err := f.listenAll(port)
		if err == nil {
			break
		}
		f.closeListeners()
		if port != 0 || attempt == 19 {
			return err
		}
	}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(c net.Conn, st http.ConnState) { f.connState(c, st) },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connInfo{})
		}}
	for _, ln := range f.lns {
		go f.srv.Serve(ln)
	}
	return nil
}

func (f *Farm) listenAll(port int) error {
	for i, s := range f.Sites {
		p := port
		if i > 0 {
			p = f.lns[0].Addr().(*net.TCPAddr).Port
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(s.IP, strconv.Itoa(p)))
		if err != nil {
			return fmt.Errorf("listen for %s: %w", s.Name, err)
		}
		f.lns = append(f.lns, ln)
		s.URL = "http://" + ln.Addr().String()
	}
	return nil
}

func (f *Farm) closeListeners() {
	for _, ln := range f.lns {
		ln.Close()
	}
	f.lns = nil
}

// Close stops the server.
func (f *Farm) Close() error {
	for _, d := range f.dns {
		d.Shutdown()
	}
	if f.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return f.srv.Shutdown(ctx)
}

// counter is what one site saw. Politeness is counted as the scanner's
// fetcher counts it: every connection when it is opened (its first request
// is the same event) and every further request on a kept-alive
// connection when it arrives; perSecond holds those events by calendar
// second.
type counter struct {
	mu        sync.Mutex
	requests  int
	opened    int // connections
	open      map[net.Conn]bool
	peakConns int
	inflight  int
	peakIn    int
	firsts    map[string]bool
	perSecond map[int64]int
}

func (f *Farm) connState(c net.Conn, st http.ConnState) {
	host, _, _ := net.SplitHostPort(c.LocalAddr().String())
	k := f.stats[host]
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	switch st {
	case http.StateNew:
		// called by the accepting goroutine itself: the earliest moment
		// the server knows of the connection
		k.opened++
		k.perSecond[time.Now().Unix()]++
		// Open at once: those the scanner has not closed, as the kernel
		// sees them. A busy server reads a close late, and accepts late
		// a connection the scanner made and closed a while ago: counting
		// its own goroutines' view would count those as open.
		k.open[c] = true
		n := 0
		for oc := range k.open {
			if !closedByPeer(oc) {
				n++
			}
		}
		k.peakConns = max(k.peakConns, n)
	case http.StateClosed, http.StateHijacked:
		delete(k.open, c)
	}
}

// ServeHTTP routes by the Host header to the site and answers as it would.
func (f *Farm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	s := f.byIP[host]
	if s == nil {
		http.Error(w, "no such site", http.StatusMisdirectedRequest)
		return
	}
	k := f.stats[s.IP]
	ci, _ := r.Context().Value(connKey{}).(*connInfo)
	k.mu.Lock()
	k.requests++
	k.inflight++
	k.peakIn = max(k.peakIn, k.inflight)
	if ci != nil {
		if ci.requests > 0 { // the first was counted with its connection
			k.perSecond[time.Now().Unix()]++
		}
		ci.requests++
	}
	first := !k.firsts[r.URL.Path]
	k.firsts[r.URL.Path] = true
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.inflight--
		k.mu.Unlock()
	}()
	if s.Has(Slow) {
		select {
		case <-time.After(SlowBy):
		case <-r.Context().Done():
			return
		}
	}
	if s.Has(Flaky) && first {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	s.answer(w, r)
}

func (s *Site) answer(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if s.Has(ServerVersion) {
		h.Set("Server", "Apache/2.4.49 (Unix) OpenSSL/1.1.1k")
		h.Set("X-Powered-By", "PHP/7.4.3")
	} else {
		h.Set("Server", "Apache")
	}
	if !s.Has(WeakHeaders) {
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	}
	text := func(body string) {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, body)
	}
	switch p := r.URL.Path; {
	case p == "/":
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Add("Set-Cookie", "PHPSESSID=0123456789abcdef; path=/")
		fmt.Fprintf(w, `<!doctype html><html lang="id"><head><title>%s</title></head><body>
<h1>%s</h1><nav><a href="/berita">Berita</a> <a href="/pengumuman">Pengumuman</a> <a href="/tentang">Tentang</a></nav>
<p>Jadwal tahapan Pemilu dan Pilkada di %s.</p></body></html>`, s.Name, s.Name, s.Region)
	case p == "/berita" || p == "/pengumuman" || p == "/tentang":
		h.Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>%s - %s</title></head><body><a href="/">Beranda</a></body></html>`, strings.TrimPrefix(p, "/"), s.Name)
	case p == "/robots.txt":
		text("User-agent: *\nDisallow: /admin/\n")
	case p == "/.env" && s.Has(DotEnv):
		text("APP_ENV=production\nAPP_KEY=base64:c2ltdWxhdGVk\nDB_HOST=127.0.0.1\nDB_USERNAME=sipol\nDB_PASSWORD=Rahasia2024!\n")
	case p == "/.git/config" && s.Has(GitConfig):
		text("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n[remote \"origin\"]\n\turl = https://git.kpu.test/web/" + s.Host + ".git\n")
	case p == "/.git/HEAD" && s.Has(GitConfig):
		text("ref: refs/heads/main\n")
	case (p == "/uploads/" || p == "/uploads") && s.Has(DirListing):
		h.Set("Content-Type", "text/html;charset=UTF-8")
		fmt.Fprint(w, `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN"><html><head><title>Index of /uploads</title></head><body>
<h1>Index of /uploads</h1><table><tr><th><a href="?C=N;O=D">Name</a></th></tr>
<tr><td><a href="/">Parent Directory</a></td></tr><tr><td><a href="dpt-2024.xlsx">dpt-2024.xlsx</a></td></tr></table></body></html>`)
	case p == "/server-status" && s.Has(ServerStatus):
		h.Set("Content-Type", "text/html; charset=ISO-8859-1")
		fmt.Fprint(w, `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN"><html><head><title>Apache Status</title></head><body>
<h1>Apache Server Status for `+s.Host+`</h1><dl><dt>Server Version: Apache/2.4.49 (Unix)</dt><dt>Total accesses: 1234</dt></dl></body></html>`)
	case p == "/phpinfo.php" && s.Has(PHPInfo):
		h.Set("Content-Type", "text/html; charset=UTF-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><head><title>PHP 7.4.3 - phpinfo()</title></head><body><table><tr><td class="e">PHP Version </td><td class="v">7.4.3 </td></tr></table></body></html>`)
	case p == "/backup.sql" && s.Has(SQLDump):
		h.Set("Content-Type", "application/octet-stream")
		fmt.Fprint(w, "-- MySQL dump 10.13  Distrib 5.7.33\n-- Host: localhost    Database: sipol\nCREATE TABLE `pemilih` (`nik` char(16) NOT NULL);\nINSERT INTO `pemilih` VALUES ('3201010101010001');\n")
	default:
		http.NotFound(w, r)
	}
}

// connInfo is one connection's count of requests.
type connInfo struct{ requests int } // under its site's counter's mu

type connKey struct{}

// SiteStats is what one site saw of a scan.
type SiteStats struct {
	Requests    int `json:"requests"`
	Connections int `json:"connections"`
	// PeakConnections is the most connections open at once (not yet
	// closed by the scanner, by the kernel's TCP state); PeakInFlight
	// the most requests being answered at once; PeakPerSecond the most
	// connections and kept-alive requests that arrived within one
	// calendar second (a connection and its first request count once).
	PeakConnections int `json:"peak_connections"`
	PeakInFlight    int `json:"peak_in_flight"`
	PeakPerSecond   int `json:"peak_per_second"`
}

// Stats is what the farm saw, per site and in sum.
type Stats struct {
	Sites           int                  `json:"sites"`
	Requests        int                  `json:"requests"`
	RequestsMin     int                  `json:"requests_per_site_min"`
	RequestsMedian  int                  `json:"requests_per_site_median"`
	RequestsMax     int                  `json:"requests_per_site_max"`
	PeakConnections int                  `json:"peak_connections_any_site"`
	PeakInFlight    int                  `json:"peak_in_flight_any_site"`
	PeakPerSecond   int                  `json:"peak_per_second_any_site"`
	PerSite         map[string]SiteStats `json:"per_site"`
}

// Stats returns what every site saw so far.
func (f *Farm) Stats() Stats {
	st := Stats{Sites: len(f.Sites), PerSite: map[string]SiteStats{}}
	var reqs []int
	for _, s := range f.Sites {
		k := f.stats[s.IP]
		k.mu.Lock()
		ss := SiteStats{Requests: k.requests, Connections: k.opened, PeakConnections: k.peakConns, PeakInFlight: k.peakIn}
		for _, n := range k.perSecond {
			ss.PeakPerSecond = max(ss.PeakPerSecond, n)
		}
		k.mu.Unlock()
		st.PerSite[s.Host] = ss
		st.Requests += ss.Requests
		st.PeakConnections = max(st.PeakConnections, ss.PeakConnections)
		st.PeakInFlight = max(st.PeakInFlight, ss.PeakInFlight)
		st.PeakPerSecond = max(st.PeakPerSecond, ss.PeakPerSecond)
		reqs = append(reqs, ss.Requests)
	}
	if len(reqs) > 0 {
		sort.Ints(reqs)
		st.RequestsMin, st.RequestsMedian, st.RequestsMax = reqs[0], reqs[len(reqs)/2], reqs[len(reqs)-1]
	}
	return st
}

// ServeDNS answers DNS on a loopback port (UDP and TCP, the same port) for
// the farm's names, so that the DNS checks of a round get answers without
// the machine's resolver: a site's name has its A record, an SPF record
// and a DMARC record; every other question has an empty answer. It returns
// the server's address, for the scan's resolver.
func (f *Farm) ServeDNS() (string, error) {
	byName := map[string]*Site{}
	for _, s := range f.Sites {
		byName[s.Host+"."] = s
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		for _, qq := range q.Question {
			name := strings.ToLower(qq.Name)
			hdr := dns.RR_Header{Name: qq.Name, Rrtype: qq.Qtype, Class: dns.ClassINET, Ttl: 300}
			if s := byName[name]; s != nil {
				switch qq.Qtype {
				case dns.TypeA:
					m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.ParseIP(s.IP)})
				case dns.TypeTXT:
					m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr, Txt: []string{"v=spf1 -all"}})
				}
			} else if s := byName[strings.TrimPrefix(name, "_dmarc.")]; s != nil && qq.Qtype == dns.TypeTXT {
				m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr, Txt: []string{"v=DMARC1; p=none"}})
			}
		}
		_ = w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("sitefarm: DNS over UDP: %w", err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return "", fmt.Errorf("sitefarm: DNS over TCP on the UDP port: %w", err)
	}
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	f.dns = append(f.dns, udp, tcp)
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	return pc.LocalAddr().String(), nil
}

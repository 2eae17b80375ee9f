package crawl

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Site is a loopback test site of Pages pages generated on the fly (for
// tests and scripts/bench-crawl.sh): page N links to pages 10N+1..10N+10,
// to a part robots.txt disallows (/rahasia/), to another host, and page 0
// to a binary file. It counts what it served, so rate ceilings and
// robots.txt are checked on the server's side, where a site's operator
// would see them.
type Site struct {
	Pages int

	mu          sync.Mutex
	requests    int
	disallowed  int // requests into /rahasia/
	conditional int // answered 304
	perSecond   map[int64]int
	first       time.Time
}

// Robots is the site's robots.txt.
const Robots = "User-agent: *\nDisallow: /rahasia/\n"

func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	if s.perSecond == nil {
		s.perSecond = map[int64]int{}
		s.first = now
	}
	s.requests++
	// Windows of one second from the first request: a polite crawler at
	// R requests/s never puts more than R+1 into one.
	s.perSecond[int64(now.Sub(s.first)/time.Second)]++
	if strings.HasPrefix(r.URL.Path, "/rahasia/") {
		s.disallowed++
	}
	s.mu.Unlock()
	switch {
	case r.URL.Path == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, Robots)
	case strings.HasPrefix(r.URL.Path, "/p/"):
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		if err != nil || n < 0 || n >= s.Pages {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"p%d"`, n)
		if r.Header.Get("If-None-Match") == etag {
			s.mu.Lock()
			s.conditional++
			s.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		fmt.Fprintf(&b, "<!doctype html><html><head><title>Halaman %d</title></head><body><h1>Berita %d</h1>", n, n)
		fmt.Fprintf(&b, "<p>Isi halaman %d tentang pemilu, TPS %d dan rekapitulasi suara.</p><ul>", n, n%900+1)
		for c := 10*n + 1; c <= 10*n+10 && c < s.Pages; c++ {
			fmt.Fprintf(&b, `<li><a href="/p/%d">halaman %d</a></li>`, c, c)
		}
		fmt.Fprintf(&b, `</ul><a href="/rahasia/%d">rahasia</a> <a href="http://lain.invalid/%d">luar</a>`, n, n)
		if n == 0 {
			b.WriteString(`<a href="/berkas.bin">berkas</a>`)
		}
		b.WriteString("</body></html>")
		fmt.Fprint(w, b.String())
	case r.URL.Path == "/berkas.bin":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(make([]byte, 4096))
	default:
		http.NotFound(w, r)
	}
}

// SiteStats is what the site served.
type SiteStats struct {
	Requests     int
	Disallowed   int
	Conditional  int
	MaxPerSecond int
}

// Stats reads the counters.
func (s *Site) Stats() SiteStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SiteStats{Requests: s.requests, Disallowed: s.disallowed, Conditional: s.conditional}
	for _, n := range s.perSecond {
		st.MaxPerSecond = max(st.MaxPerSecond, n)
	}
	return st
}

package builtin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/scan"
)

// Exposures asks for paths nobody linked (so active mode only): version
// control, environment files, backups and dumps, phpinfo, Apache's status
// pages, directory listings, admin panels and default pages. A hit needs
// the content's signature, never a status 200 alone, and a page shaped
// like the site's own answer to a random path (soft 404) is no hit.
type Exposures struct{}

func (Exposures) ID() string   { return "garda-exposures" }
func (Exposures) Active() bool { return true }

var (
	expGit = meta{ID: "garda-exposure-git", Name: "Repositori .git terbuka (exposed .git)", Severity: scan.SeverityHigh,
		Tags: []string{"exposure", "git"}, Remedy: "Deny access to /.git/ and remove it from the document root."}
	expEnv = meta{ID: "garda-exposure-env", Name: "Berkas .env terbuka (exposed .env)", Severity: scan.SeverityHigh,
		Tags: []string{"exposure", "secrets"}, Remedy: "Remove .env from the document root and rotate every secret it held."}
	expBackup = meta{ID: "garda-exposure-backup", Name: "Cadangan/dump basis data terbuka (backup or SQL dump)", Severity: scan.SeverityHigh,
		Tags: []string{"exposure", "backup"}, Remedy: "Remove backups and dumps from the document root."}
	expPHPInfo = meta{ID: "garda-exposure-phpinfo", Name: "Halaman phpinfo() terbuka", Severity: scan.SeverityMedium,
		Tags: []string{"exposure", "php"}, Remedy: "Delete phpinfo pages."}
	expStatus = meta{ID: "garda-exposure-server-status", Name: "Apache server-status/server-info terbuka", Severity: scan.SeverityMedium,
		Tags: []string{"exposure", "apache"}, Remedy: "Restrict mod_status and mod_info to the administrators' addresses (Require ip)."}
	expListing = meta{ID: "garda-exposure-directory-listing", Name: "Daftar isi direktori terbuka (directory listing)", Severity: scan.SeverityMedium,
		Tags: []string{"exposure", "listing"}, Remedy: "Disable autoindex (Apache: Options -Indexes; nginx: autoindex off)."}
	expAdmin = meta{ID: "garda-exposure-admin-panel", Name: "Panel admin dapat diakses publik (admin panel)", Severity: scan.SeverityLow,
		Tags: []string{"exposure", "admin"}, Remedy: "Put admin panels behind a VPN or an address allow-list, with strong authentication."}
	expDefault = meta{ID: "garda-default-page", Name: "Halaman bawaan server (default page)", Severity: scan.SeverityLow,
		Tags: []string{"exposure", "misconfiguration"}, Remedy: "Replace the default page; a default page says the server was set up and forgotten."}
)

type probe struct {
	path    string
	m       meta
	matcher string
	// match says whether body (status 200) is the thing, and the evidence.
	match func(h http.Header, body []byte) (bool, string)
}

var (
	reEnvLine  = regexp.MustCompile(`(?m)^\s*(?:export\s+)?[A-Z][A-Z0-9_]{1,64}\s*=`)
	reEnvKey   = regexp.MustCompile(`(?m)^\s*(?:export\s+)?((?:APP|DB|DATABASE|MYSQL|POSTGRES|REDIS|MAIL|AWS|SECRET|API|JWT)[A-Z0-9_]*)\s*=`)
	reGitHead  = regexp.MustCompile(`^(ref: refs/|[0-9a-f]{40}\s*$)`)
	reSQLDump  = regexp.MustCompile(`(?i)(-- MySQL dump|-- MariaDB dump|PostgreSQL database dump|CREATE TABLE|INSERT INTO)`)
	reTitle    = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	rePHPInfo  = regexp.MustCompile(`(?i)(<title>PHP \d[^<]*phpinfo\(\)</title>|<h1 class="p">PHP Version \d)`)
	reListing  = regexp.MustCompile(`(?i)<title>Index of /[^<]*</title>`)
	rePassword = regexp.MustCompile(`(?i)<input[^>]+type=["']?password`)
)

func contentProbes(siteName string) []probe {
	textual := func(h http.Header) bool {
		ct := strings.ToLower(h.Get("Content-Type"))
		return !strings.Contains(ct, "html")
	}
	sql := func(h http.Header, b []byte) (bool, string) {
		if m := reSQLDump.Find(b); m != nil && !bytes.Contains(bytes.ToLower(b[:min(len(b), 512)]), []byte("<html")) {
			return true, "signature=" + string(m)
		}
		return false, ""
	}
	zip := func(h http.Header, b []byte) (bool, string) {
		return bytes.HasPrefix(b, []byte("PK\x03\x04")), "signature=PK zip"
	}
	ps := []probe{
		{"/.git/HEAD", expGit, "head", func(h http.Header, b []byte) (bool, string) {
			return reGitHead.Match(b), "HEAD=" + strings.TrimSpace(truncate(string(b), 80))
		}},
		{"/.git/config", expGit, "config", func(h http.Header, b []byte) (bool, string) {
			return bytes.Contains(b, []byte("[core]")) && textual(h), "contains [core]"
		}},
		{"/.env", expEnv, "", func(h http.Header, b []byte) (bool, string) {
			keys := reEnvKey.FindAllSubmatch(b, 8)
			if len(reEnvLine.FindAll(b, 3)) < 2 || len(keys) == 0 || !textual(h) {
				return false, ""
			}
			var names []string
			for _, k := range keys {
				names = append(names, string(k[1]))
			}
			return true, "keys=" + strings.Join(names, ",") // names only: never copy a secret into a finding
		}},
		{"/index.php.bak", expBackup, "index.php.bak", func(h http.Header, b []byte) (bool, string) {
			return bytes.Contains(b, []byte("<?php")), "contains <?php"
		}},
		{"/backup.sql", expBackup, "backup.sql", sql},
		{"/db.sql", expBackup, "db.sql", sql},
		{"/dump.sql", expBackup, "dump.sql", sql},
		{"/database.sql", expBackup, "database.sql", sql},
		{"/backup.zip", expBackup, "backup.zip", zip},
		{"/phpinfo.php", expPHPInfo, "phpinfo.php", matchRe(rePHPInfo)},
		{"/info.php", expPHPInfo, "info.php", matchRe(rePHPInfo)},
		{"/server-status", expStatus, "server-status", matchString("Apache Server Status for")},
		{"/server-info", expStatus, "server-info", matchString("Apache Server Information")},
		{"/phpmyadmin/", expAdmin, "phpmyadmin", matchString("phpMyAdmin")},
		{"/phpMyAdmin/", expAdmin, "phpmyadmin", matchString("phpMyAdmin")},
		{"/wp-login.php", expAdmin, "wordpress", func(h http.Header, b []byte) (bool, string) {
			return bytes.Contains(b, []byte("user_login")) && rePassword.Match(b), "WordPress login form"
		}},
		{"/wp-admin/", expAdmin, "wordpress", func(h http.Header, b []byte) (bool, string) {
			return bytes.Contains(b, []byte("user_login")) && rePassword.Match(b), "WordPress login form"
		}},
		{"/admin/", expAdmin, "admin", func(h http.Header, b []byte) (bool, string) {
			return rePassword.Match(b), "login form"
		}},
		{"/administrator/", expAdmin, "admin", func(h http.Header, b []byte) (bool, string) {
			return rePassword.Match(b), "login form"
		}},
	}
	if siteName != "" {
		ps = append(ps, probe{"/" + siteName + ".zip", expBackup, siteName + ".zip", zip})
	}
	for _, dir := range []string{"/", "/uploads/", "/files/", "/backup/", "/data/"} {
		ps = append(ps, probe{dir, expListing, dir, listing})
	}
	ps = append(ps, probe{"/", expDefault, "", defaultPage})
	return ps
}

func matchRe(re *regexp.Regexp) func(http.Header, []byte) (bool, string) {
	return func(_ http.Header, b []byte) (bool, string) {
		m := re.Find(b)
		return m != nil, "signature=" + string(m)
	}
}

func matchString(s string) func(http.Header, []byte) (bool, string) {
	return func(_ http.Header, b []byte) (bool, string) { return bytes.Contains(b, []byte(s)), "signature=" + s }
}

// listing knows Apache's and nginx's autoindex pages.
func listing(_ http.Header, b []byte) (bool, string) {
	if !reListing.Match(b) {
		return false, ""
	}
	switch {
	case bytes.Contains(b, []byte("<h1>Index of")) && bytes.Contains(b, []byte("Parent Directory")):
		return true, "autoindex=apache"
	case bytes.Contains(b, []byte(`<a href="../">../</a>`)):
		return true, "autoindex=nginx"
	case bytes.Contains(b, []byte("<h1>Index of")):
		return true, "autoindex"
	}
	return false, ""
}

// defaultPage knows the pages a fresh Apache or nginx shows.
func defaultPage(_ http.Header, b []byte) (bool, string) {
	for _, sig := range []string{"Apache2 Debian Default Page", "Apache2 Ubuntu Default Page", "Welcome to nginx!", "<h1>It works!</h1>", "Test Page for the Apache HTTP Server", "Welcome to nginx on Debian"} {
		if bytes.Contains(b, []byte(sig)) {
			return true, "page=" + sig
		}
	}
	return false, ""
}

// notFoundShape is how the site answers a path that cannot exist.
type notFoundShape struct {
	status int
	title  string
	size   int
}

func shapeOf(status int, body []byte) notFoundShape {
	t := ""
	if m := reTitle.FindSubmatch(body); m != nil {
		t = strings.TrimSpace(string(m[1]))
	}
	return notFoundShape{status: status, title: t, size: len(body)}
}

// like reports whether a response looks like the site's soft 404.
func (n notFoundShape) like(status int, body []byte) bool {
	if n.status != 200 || status != 200 {
		return false
	}
	o := shapeOf(status, body)
	d := o.size - n.size
	if d < 0 {
		d = -d
	}
	return o.title == n.title && d <= n.size/20+16
}

func (e Exposures) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	s, err := parseTarget(t)
	if err != nil {
		return err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	resp, body, err := get(ctx, env, s.base()+"/garda-"+hex.EncodeToString(rnd[:]), nil)
	if err != nil {
		return err
	}
	soft := shapeOf(resp.StatusCode, body)
	siteName := strings.Split(s.host, ".")[0]
	if isIP(s.host) {
		siteName = ""
	}
	seen := map[string]bool{}
	cache := map[string]struct {
		status int
		h      http.Header
		body   []byte
	}{}
	for _, p := range contentProbes(siteName) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		key := p.m.ID + ":" + p.matcher
		if seen[key] {
			continue
		}
		c, ok := cache[p.path]
		if !ok {
			resp, body, err := get(ctx, env, s.base()+p.path, nil)
			if err != nil {
				continue // one path failing does not stop the others
			}
			c.status, c.h, c.body = resp.StatusCode, resp.Header, body
			cache[p.path] = c
		}
		if c.status != 200 || (p.path != "/" && soft.like(c.status, c.body)) {
			continue
		}
		if hit, ev := p.match(c.h, c.body); hit {
			seen[key] = true
			r := result(env, s, p.m, s.base()+p.path, ev, "status="+strconv.Itoa(c.status))
			r.MatcherName = p.matcher
			kept := bodyStart
			switch p.m.ID {
			case expEnv.ID:
				kept = bodyRedact
			case expBackup.ID:
				kept = bodyNothing
			}
			r.Request, r.Response = exchange(s, p.path, c.status, c.h, c.body, kept)
			emit(r)
		}
	}
	return nil
}

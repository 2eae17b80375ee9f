package builtin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// Real servers nobody here wrote, from Debian, started on loopback ports
// with their own configuration in a temp dir. Each has a planted
// configuration (every weakness Garda must find, with its severity) and a
// hardened one (nothing of severity low or above).

const apacheModules = "/usr/lib/apache2/modules"

// plantedSecrets are the files a careless deploy leaves in a document root.
var plantedSecrets = map[string]string{
	".git/HEAD":        "ref: refs/heads/main\n",
	".git/config":      "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n",
	".env":             "APP_ENV=production\nAPP_KEY=base64:dGVzdC1rZXktbm90LWEtc2VjcmV0\nDB_HOST=10.0.0.5\nDB_PASSWORD=hunter2\n",
	"files/report.csv": "kabupaten,suara\n",
	"files/notes.txt":  "rekap\n",
	"backup.sql":       "-- MySQL dump 10.13  Distrib 8.0.36\nCREATE TABLE `pemilih` (`nik` varchar(16));\nINSERT INTO `pemilih` VALUES ('3201000000000001');\n",
	"index.php.bak":    "<?php $db = new PDO('mysql:host=10.0.0.5', 'kpu', getenv('DB_PASSWORD')); ?>\n",
	"admin/index.html": "<html><head><title>Login Admin</title></head><body><form method=post><input name=user><input type=\"password\" name=pass></form></body></html>\n",
}

const hardenedIndex = "<!doctype html><html><head><title>KPU</title></head><body><h1>Komisi Pemilihan Umum</h1></body></html>\n"

func apacheConf(dir, httpPort, httpsPort, cert, key string, hardened bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ServerRoot %q\nDefaultRuntimeDir %q\nPidFile %q\nMutex file:%s default\n", dir, dir+"/run", dir+"/run/httpd.pid", dir+"/run")
	fmt.Fprintf(&b, "ErrorLog %q\nLogLevel warn\nServerName 127.0.0.1\nTypesConfig /etc/mime.types\n", dir+"/error.log")
	if os.Geteuid() == 0 {
		b.WriteString("User nobody\nGroup nogroup\n")
	}
	mods := []string{"mpm_event", "authz_core", "authz_host", "dir", "autoindex", "status", "mime", "headers", "alias"}
	if hardened {
		mods = append(mods, "ssl", "socache_shmcb")
	}
	for _, m := range mods {
		fmt.Fprintf(&b, "LoadModule %s_module %s/mod_%s.so\n", m, apacheModules, m)
	}
	fmt.Fprintf(&b, "Listen 127.0.0.1:%s\nDocumentRoot %q\nDirectoryIndex index.html\n", httpPort, dir+"/www")
	if !hardened {
		fmt.Fprintf(&b, `ServerTokens Full
ServerSignature On
<Directory %q>
  Options Indexes FollowSymLinks
  Require all granted
</Directory>
<Location "/server-status">
  SetHandler server-status
  Require ip 127.0.0.1
</Location>
`, dir+"/www")
		return b.String()
	}
	fmt.Fprintf(&b, `ServerTokens Prod
ServerSignature Off
TraceEnable Off
Listen 127.0.0.1:%[1]s
SSLSessionCache shmcb:%[2]s/run/ssl_scache(512000)
<Directory %[3]q>
  Options -Indexes
  Require all granted
</Directory>
<LocationMatch "/\.">
  Require all denied
</LocationMatch>
<VirtualHost 127.0.0.1:%[4]s>
  Redirect permanent / https://127.0.0.1:%[1]s/
</VirtualHost>
<VirtualHost 127.0.0.1:%[1]s>
  SSLEngine on
  SSLCertificateFile %[5]q
  SSLCertificateKeyFile %[6]q
  SSLProtocol -all +TLSv1.2 +TLSv1.3
  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20
  Header always set Strict-Transport-Security "max-age=63072000; includeSubDomains; preload"
  Header always set Content-Security-Policy "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
  Header always set X-Content-Type-Options nosniff
  Header always set X-Frame-Options DENY
  Header always set Referrer-Policy no-referrer
  Header always set Cross-Origin-Resource-Policy same-origin
</VirtualHost>
`, httpsPort, dir, dir+"/www", httpPort, cert, key)
	return b.String()
}

func startApache(t *testing.T, hardened bool) (httpPort, httpsPort string, p *pki) {
	t.Helper()
	needBinary(t, "/usr/sbin/apache2", "apache2")
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	if hardened {
		writeFiles(t, www, map[string]string{"index.html": hardenedIndex})
	} else {
		debianDefault, err := os.ReadFile("/var/www/html/index.html")
		if err != nil || !strings.Contains(string(debianDefault), "Apache2 Debian Default Page") {
			debianDefault = []byte("<html><body><h1>It works!</h1></body></html>")
		}
		files := map[string]string{"index.html": string(debianDefault)}
		for k, v := range plantedSecrets {
			files[k] = v
		}
		writeFiles(t, www, files)
	}
	_ = os.MkdirAll(filepath.Join(dir, "run"), 0o755)
	p = newPKI(t)
	cert, key := p.leaf(t, "apache", time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour), false)
	worldReadable(t, dir)
	worldReadable(t, p.dir)
	httpPort, httpsPort = freePort(t), freePort(t)
	conf := filepath.Join(dir, "httpd.conf")
	writeFiles(t, dir, map[string]string{"httpd.conf": apacheConf(dir, httpPort, httpsPort, cert, key, hardened)})
	startServer(t, nil, "/usr/sbin/apache2", "-f", conf, "-DFOREGROUND")
	addrs := []string{"127.0.0.1:" + httpPort}
	if hardened {
		addrs = append(addrs, "127.0.0.1:"+httpsPort)
	}
	waitListening(t, addrs...)
	return httpPort, httpsPort, p
}

func siteChecks(p Pair) []scan.Check {
	return []scan.Check{&TLS{Roots: p.Roots}, HSTS{p}, Headers{p}, CORS{}, Exposures{}, Versions{}}
}

func TestApachePlanted(t *testing.T) {
	httpPort, _, _ := startApache(t, false)
	closed := freePort(t) // no https: the plain site is all there is
	env := testEnv(t)
	rs := runChecks(t, env, scan.Target{URL: "http://127.0.0.1:" + httpPort, Mode: scan.Active},
		siteChecks(Pair{HTTPPort: httpPort, HTTPSPort: closed})...)
	wantFound(t, rs, "garda-exposure-git", scan.SeverityHigh)
	wantFound(t, rs, "garda-exposure-env", scan.SeverityHigh)
	wantFound(t, rs, "garda-exposure-backup", scan.SeverityHigh)
	wantFound(t, rs, "garda-exposure-admin-panel", scan.SeverityLow)
	wantFound(t, rs, "garda-exposure-server-status", scan.SeverityMedium)
	wantFound(t, rs, "garda-exposure-directory-listing", scan.SeverityMedium)
	wantFound(t, rs, "garda-default-page", scan.SeverityLow)
	v := wantFound(t, rs, "garda-version-disclosure", scan.SeverityLow)
	if v.Info.Classification == nil || !strings.HasPrefix(v.Info.Classification.CPE, "cpe:2.3:a:apache:http_server:2.4.") {
		t.Errorf("Apache's CPE: %+v", v.Info.Classification)
	}
	wantFound(t, rs, "garda-https-missing", scan.SeverityHigh)
	g := wantFound(t, rs, "garda-headers-grade", scan.SeverityMedium)
	if g.Info.Metadata["grade"] != "F" {
		t.Errorf("an Apache with no security header grades F, got %v", g.Info.Metadata)
	}
	for _, r := range rs {
		if r.TemplateID == "garda-exposure-env" && strings.Contains(strings.Join(r.ExtractedResults, " "), "hunter2") {
			t.Error("a secret was copied into a finding")
		}
		if strings.Contains(r.Response, "hunter2") || strings.Contains(r.Response, "3201000000000001") {
			t.Errorf("%s: a secret or a voter's NIK was copied into the evidence", r.TemplateID)
		}
	}
}

func TestApacheHardened(t *testing.T) {
	httpPort, httpsPort, p := startApache(t, true)
	env := testEnv(t)
	rs := runChecks(t, env, scan.Target{URL: "https://127.0.0.1:" + httpsPort, Mode: scan.Active},
		siteChecks(Pair{HTTPPort: httpPort, HTTPSPort: httpsPort, Roots: p.pool})...)
	wantClean(t, rs)
	g := wantFound(t, rs, "garda-headers-grade", scan.SeverityInfo)
	if g.Info.Metadata["grade"] != "A+" {
		t.Errorf("hardened Apache: grade %v", g.Info.Metadata)
	}
}

func nginxConf(dir, httpPort, httpsPort, cert, key string, hardened bool) string {
	var b strings.Builder
	if os.Geteuid() == 0 {
		b.WriteString("user nobody nogroup;\n")
	}
	fmt.Fprintf(&b, "worker_processes 1;\nerror_log %s/error.log;\npid %s/nginx.pid;\nevents { worker_connections 64; }\nhttp {\n", dir, dir)
	fmt.Fprintf(&b, "  include /etc/nginx/mime.types;\n  access_log off;\n")
	for _, tp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&b, "  %s_temp_path %s/tmp/%s;\n", tp, dir, tp)
	}
	if !hardened {
		fmt.Fprintf(&b, `  server {
    listen 127.0.0.1:%s;
    root %s/www;
    add_header Access-Control-Allow-Origin $http_origin always;
    add_header Access-Control-Allow-Credentials true always;
    location /files/ { autoindex on; }
  }
}
`, httpPort, dir)
		return b.String()
	}
	fmt.Fprintf(&b, `  server_tokens off;
  server {
    listen 127.0.0.1:%[1]s;
    return 301 https://127.0.0.1:%[2]s$request_uri;
  }
  server {
    listen 127.0.0.1:%[2]s ssl;
    root %[3]s/www;
    ssl_certificate %[4]s;
    ssl_certificate_key %[5]s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;
    add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;
    add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'" always;
    add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
    add_header Referrer-Policy strict-origin-when-cross-origin always;
    add_header Cross-Origin-Resource-Policy same-site always;
    location ~ /\. { deny all; }
  }
}
`, httpPort, httpsPort, dir, cert, key)
	return b.String()
}

func startNginx(t *testing.T, hardened bool) (httpPort, httpsPort string, p *pki) {
	t.Helper()
	needBinary(t, "/usr/sbin/nginx", "nginx")
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	if hardened {
		writeFiles(t, www, map[string]string{"index.html": hardenedIndex})
	} else {
		welcome, err := os.ReadFile("/usr/share/nginx/html/index.html")
		if err != nil {
			t.Skip("needs nginx's own welcome page (/usr/share/nginx/html/index.html, package nginx-common)")
		}
		files := map[string]string{"index.html": string(welcome)}
		for k, v := range plantedSecrets {
			if strings.HasPrefix(k, "files/") {
				files[k] = v
			}
		}
		writeFiles(t, www, files)
	}
	_ = os.MkdirAll(filepath.Join(dir, "tmp"), 0o755)
	p = newPKI(t)
	cert, key := p.leaf(t, "nginx", time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour), false)
	worldReadable(t, dir)
	worldReadable(t, p.dir)
	httpPort, httpsPort = freePort(t), freePort(t)
	writeFiles(t, dir, map[string]string{"nginx.conf": nginxConf(dir, httpPort, httpsPort, cert, key, hardened)})
	startServer(t, nil, "/usr/sbin/nginx", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	addrs := []string{"127.0.0.1:" + httpPort}
	if hardened {
		addrs = append(addrs, "127.0.0.1:"+httpsPort)
	}
	waitListening(t, addrs...)
	return httpPort, httpsPort, p
}

func TestNginxPlanted(t *testing.T) {
	httpPort, _, _ := startNginx(t, false)
	env := testEnv(t)
	rs := runChecks(t, env, scan.Target{URL: "http://127.0.0.1:" + httpPort, Mode: scan.Active},
		siteChecks(Pair{HTTPPort: httpPort, HTTPSPort: freePort(t)})...)
	wantFound(t, rs, "garda-default-page", scan.SeverityLow)
	wantFound(t, rs, "garda-exposure-directory-listing", scan.SeverityMedium)
	wantFound(t, rs, "garda-cors-reflected-origin-credentials", scan.SeverityHigh)
	wantFound(t, rs, "garda-cors-null-origin", scan.SeverityHigh)
	v := wantFound(t, rs, "garda-version-disclosure", scan.SeverityLow)
	if v.Info.Classification == nil || !strings.HasPrefix(v.Info.Classification.CPE, "cpe:2.3:a:f5:nginx:") {
		t.Errorf("nginx's CPE: %+v", v.Info.Classification)
	}
	wantFound(t, rs, "garda-https-missing", scan.SeverityHigh)
	wantFound(t, rs, "garda-headers-grade", scan.SeverityMedium)
}

func TestNginxHardened(t *testing.T) {
	httpPort, httpsPort, p := startNginx(t, true)
	env := testEnv(t)
	rs := runChecks(t, env, scan.Target{URL: "https://127.0.0.1:" + httpsPort, Mode: scan.Active},
		siteChecks(Pair{HTTPPort: httpPort, HTTPSPort: httpsPort, Roots: p.pool})...)
	wantClean(t, rs)
	g := wantFound(t, rs, "garda-headers-grade", scan.SeverityInfo)
	if g.Info.Metadata["grade"] != "A+" {
		t.Errorf("hardened nginx: grade %v", g.Info.Metadata)
	}
}

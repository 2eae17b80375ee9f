package builtin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// startSServer runs `openssl s_server` on a free loopback port with the
// given certificate and options. OPENSSL_CONF points at an empty file so
// that Debian's system policy (SECLEVEL=2) does not hide what the test
// plants.
func startSServer(t *testing.T, cert, key string, opts ...string) string {
	t.Helper()
	needBinary(t, "/usr/bin/openssl", "openssl")
	empty := filepath.Join(t.TempDir(), "openssl.cnf")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args := append([]string{"s_server", "-accept", "127.0.0.1:" + port, "-cert", cert, "-key", key, "-www", "-quiet"}, opts...)
	startServer(t, []string{"OPENSSL_CONF=" + empty}, "/usr/bin/openssl", args...)
	waitListening(t, "127.0.0.1:"+port)
	return port
}

func tlsTarget(port string) scan.Target {
	return scan.Target{URL: "https://127.0.0.1:" + port, Mode: scan.Passive}
}

// sserverWeak: TLS 1.0 and 1.1 on, every suite OpenSSL has at security
// level 0 (RSA key exchange, CBC with SHA-1), a self-signed certificate.
func sserverWeak(t *testing.T, p *pki) string {
	cert, key := p.leafRSA(t, "weak", time.Now().Add(-time.Hour), time.Now().Add(200*24*time.Hour), true)
	return startSServer(t, cert, key, "-cipher", "ALL:@SECLEVEL=0")
}

func TestTLSPlantedWeakProtocolsSuitesSelfSigned(t *testing.T) {
	p := newPKI(t)
	port := sserverWeak(t, p)
	rs := runChecks(t, testEnv(t), tlsTarget(port), &TLS{Roots: p.pool})
	var deprecated []string
	for _, r := range rs {
		if r.TemplateID == "garda-tls-deprecated-protocol" {
			deprecated = append(deprecated, r.ExtractedResults...)
		}
	}
	if strings.Join(deprecated, ",") != "TLSv1.0,TLSv1.1" {
		t.Errorf("deprecated protocols found: %v, want TLSv1.0,TLSv1.1", deprecated)
	}
	wantFound(t, rs, "garda-tls-deprecated-protocol", scan.SeverityMedium)
	w := wantFound(t, rs, "garda-tls-weak-cipher", scan.SeverityLow)
	if !strings.Contains(strings.Join(w.ExtractedResults, " "), "_CBC_SHA") {
		t.Errorf("weak suite evidence: %v", w.ExtractedResults)
	}
	found := false
	for _, r := range rs {
		if r.TemplateID == "garda-tls-weak-cipher" && r.MatcherName == "TLS_RSA_WITH_AES_128_CBC_SHA" && strings.HasPrefix(r.ExtractedResults[0], "TLSv1.0 ") {
			found = true
		}
	}
	if !found {
		t.Error("TLS_RSA_WITH_AES_128_CBC_SHA (OpenSSL's AES128-SHA) under TLS 1.0 not reported")
	}
	wantFound(t, rs, "garda-tls-self-signed", scan.SeverityMedium)
	for _, r := range rs {
		if r.TemplateID == "garda-tls-untrusted-chain" || r.TemplateID == "garda-tls-cert-expired" || r.TemplateID == "garda-tls-hostname-mismatch" {
			t.Errorf("not planted: %s", r.TemplateID)
		}
	}
}

func TestTLSPlantedExpired(t *testing.T) {
	p := newPKI(t)
	cert, key := p.leaf(t, "expired", time.Now().Add(-60*24*time.Hour), time.Now().Add(-24*time.Hour), false)
	port := startSServer(t, cert, key, "-no_tls1", "-no_tls1_1", "-cipher", "ECDHE+AESGCM")
	rs := runChecks(t, testEnv(t), tlsTarget(port), &TLS{Roots: p.pool})
	r := wantFound(t, rs, "garda-tls-cert-expired", scan.SeverityHigh)
	if !contains(r.ExtractedResults, "days-left=-1") {
		t.Errorf("days left of a certificate expired yesterday: %v", r.ExtractedResults)
	}
	for _, r := range rs {
		if r.Info.Severity.Rank() >= scan.SeverityLow.Rank() && r.TemplateID != "garda-tls-cert-expired" {
			t.Errorf("not planted: %s %v", r.CheckKey(), r.ExtractedResults)
		}
	}
}

func TestTLSPlantedExpiringAndMismatch(t *testing.T) {
	p := newPKI(t)
	cert, key := p.leaf(t, "expiring", time.Now().Add(-60*24*time.Hour), time.Now().Add(10*24*time.Hour+time.Hour), false)
	port := startSServer(t, cert, key, "-no_tls1", "-no_tls1_1", "-cipher", "ECDHE+AESGCM")
	rs := runChecks(t, testEnv(t), tlsTarget(port), &TLS{Roots: p.pool})
	r := wantFound(t, rs, "garda-tls-cert-expiring", scan.SeverityLow)
	if !contains(r.ExtractedResults, "days-left=10") {
		t.Errorf("days left: %v", r.ExtractedResults)
	}
	for _, r := range rs {
		if r.TemplateID == "garda-tls-hostname-mismatch" {
			t.Error("127.0.0.1 is in the certificate")
		}
	}
}

func TestTLSPlantedHostnameMismatch(t *testing.T) {
	p := newPKI(t)
	p.names = []string{"pemilu.kpu.go.id"}
	cert, key := p.leaf(t, "other-name", time.Now().Add(-time.Hour), time.Now().Add(200*24*time.Hour), false)
	port := startSServer(t, cert, key, "-no_tls1", "-no_tls1_1", "-cipher", "ECDHE+AESGCM")
	rs := runChecks(t, testEnv(t), tlsTarget(port), &TLS{Roots: p.pool})
	r := wantFound(t, rs, "garda-tls-hostname-mismatch", scan.SeverityMedium)
	if !contains(r.ExtractedResults, "names=pemilu.kpu.go.id") {
		t.Errorf("evidence: %v", r.ExtractedResults)
	}
}

func TestTLSPlantedUntrusted(t *testing.T) {
	p, other := newPKI(t), newPKI(t)
	cert, key := other.leaf(t, "unknown-ca", time.Now().Add(-time.Hour), time.Now().Add(200*24*time.Hour), false)
	port := startSServer(t, cert, key, "-no_tls1", "-no_tls1_1", "-cipher", "ECDHE+AESGCM")
	rs := runChecks(t, testEnv(t), tlsTarget(port), &TLS{Roots: p.pool})
	wantFound(t, rs, "garda-tls-untrusted-chain", scan.SeverityMedium)
}

func TestTLSHardened(t *testing.T) {
	p := newPKI(t)
	cert, key := p.leaf(t, "good", time.Now().Add(-time.Hour), time.Now().Add(200*24*time.Hour), false)
	port := startSServer(t, cert, key, "-no_tls1", "-no_tls1_1", "-cipher", "ECDHE+AESGCM:ECDHE+CHACHA20")
	rs := runChecks(t, testEnv(t), tlsTarget(port), &TLS{Roots: p.pool})
	wantClean(t, rs)
	wantFound(t, rs, "garda-tls-inventory", scan.SeverityInfo)
}

func TestTLSPlantedAnonymousSuites(t *testing.T) {
	p := newPKI(t)
	cert, key := p.leafRSA(t, "anon", time.Now().Add(-time.Hour), time.Now().Add(200*24*time.Hour), false)
	port := startSServer(t, cert, key, "-no_tls1_3", "-no_tls1", "-no_tls1_1", "-cipher", "aNULL:@SECLEVEL=0")
	rs := runChecks(t, testEnv(t), tlsTarget(port), &TLS{Roots: p.pool})
	r := wantFound(t, rs, "garda-tls-weak-cipher", scan.SeverityHigh)
	if !strings.Contains(r.MatcherName, "_anon_") {
		t.Errorf("anonymous suite evidence: %s %v", r.MatcherName, r.ExtractedResults)
	}
}

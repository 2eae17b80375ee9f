package builtin

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// sslscanResult is the part of `sslscan --xml=-` compared.
type sslscanResult struct {
	Protocols []struct {
		Type    string `xml:"type,attr"`
		Version string `xml:"version,attr"`
		Enabled string `xml:"enabled,attr"`
	} `xml:"ssltest>protocol"`
	Ciphers []struct {
		Status  string `xml:"status,attr"`
		Version string `xml:"sslversion,attr"`
		Cipher  string `xml:"cipher,attr"`
	} `xml:"ssltest>cipher"`
}

// openSSLToIANA maps OpenSSL's suite names to the IANA names Go uses.
func openSSLToIANA(t *testing.T, env []string) map[string]string {
	t.Helper()
	cmd := exec.Command("openssl", "ciphers", "-stdname", "ALL:COMPLEMENTOFALL:eNULL:@SECLEVEL=0")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl ciphers: %v", err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "-" {
			m[f[2]] = f[0]
		}
	}
	for _, tls13 := range []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"} {
		m[tls13] = tls13
	}
	return m
}

// TestTLSCrosscheckSSLScan scans the openssl s_server targets with Garda
// and with sslscan (Debian) and compares the protocols and, per protocol,
// the accepted suites Garda can offer (crypto/tls's and the hand-built
// ClientHello's; anything else is listed, not compared). TLS 1.3
// suites are not chosen by a Go client: only that the one Garda saw is
// among sslscan's.
func TestTLSCrosscheckSSLScan(t *testing.T) {
	needBinary(t, "/usr/bin/sslscan", "sslscan")
	p := newPKI(t)
	rsaCert, rsaKey := p.leafRSA(t, "xc-rsa", time.Now().Add(-time.Hour), time.Now().Add(200*24*time.Hour), false)
	ecCert, ecKey := p.leaf(t, "xc-ec", time.Now().Add(-time.Hour), time.Now().Add(200*24*time.Hour), false)
	targets := []struct {
		name, cert, key string
		opts            []string
	}{
		{"weak-all-seclevel0", rsaCert, rsaKey, []string{"-cipher", "ALL:@SECLEVEL=0"}},
		{"tls1.0-only", rsaCert, rsaKey, []string{"-tls1", "-cipher", "ALL:@SECLEVEL=0"}},
		{"tls1.2-cbc-rsa-kex", rsaCert, rsaKey, []string{"-no_tls1_3", "-no_tls1", "-no_tls1_1", "-cipher", "AES128-SHA:AES256-SHA256:ECDHE-RSA-AES256-SHA384"}},
		{"hardened-ecdsa", ecCert, ecKey, []string{"-no_tls1", "-no_tls1_1", "-cipher", "ECDHE+AESGCM:ECDHE+CHACHA20"}},
		{"default-rsa", rsaCert, rsaKey, nil},
		{"anonymous-only", rsaCert, rsaKey, []string{"-no_tls1_3", "-cipher", "aNULL:@SECLEVEL=0"}},
	}
	names := openSSLToIANA(t, nil)
	goKnows := map[string]bool{}
	for _, v := range tlsVersions {
		for _, id := range suitesFor(v.v) {
			goKnows[suiteName(id)] = true
		}
	}
	for _, s := range legacySuites {
		goKnows[s.name] = true
	}
	agree := 0
	for _, tg := range targets {
		port := startSServer(t, tg.cert, tg.key, tg.opts...)
		addr := "127.0.0.1:" + port
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rep, err := (&TLS{Roots: p.pool}).Probe(ctx, testEnv(t), "127.0.0.1", addr)
		cancel()
		if err != nil {
			t.Fatalf("%s: Garda: %v", tg.name, err)
		}
		empty := filepath.Join(t.TempDir(), "openssl.cnf")
		_ = os.WriteFile(empty, nil, 0o644)
		cmd := exec.Command("sslscan", "--no-colour", "--no-heartbleed", "--no-renegotiation", "--no-fallback", "--no-compression", "--no-groups", "--no-check-certificate", "--xml=-", addr)
		cmd.Env = append(os.Environ(), "OPENSSL_CONF="+empty)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: sslscan: %v", tg.name, err)
		}
		var ss sslscanResult
		if err := xml.Unmarshal(out[strings.Index(string(out), "<document"):], &struct {
			XMLName xml.Name `xml:"document"`
			*sslscanResult
		}{sslscanResult: &ss}); err != nil {
			t.Fatalf("%s: sslscan XML: %v", tg.name, err)
		}
		var theirProtos []string
		for _, pr := range ss.Protocols {
			if pr.Type == "tls" && pr.Enabled == "1" {
				theirProtos = append(theirProtos, "TLSv"+pr.Version)
			}
		}
		sort.Strings(theirProtos)
		ours := append([]string{}, rep.Versions...)
		sort.Strings(ours)
		same := strings.Join(ours, ",") == strings.Join(theirProtos, ",")
		if !same {
			t.Errorf("%s: protocols Garda %v, sslscan %v", tg.name, ours, theirProtos)
		}
		theirs := map[string][]string{}
		var beyond []string
		for _, c := range ss.Ciphers {
			if c.Status != "accepted" && c.Status != "preferred" {
				continue
			}
			iana, ok := names[c.Cipher]
			if !ok || !goKnows[iana] {
				beyond = append(beyond, c.Version+" "+c.Cipher)
				continue
			}
			theirs[c.Version] = append(theirs[c.Version], iana)
		}
		for _, v := range rep.Versions {
			a, b := append([]string{}, rep.Suites[v]...), theirs[v]
			sort.Strings(a)
			sort.Strings(b)
			if v == "TLSv1.3" {
				if len(a) != 1 || !contains(b, a[0]) {
					t.Errorf("%s: TLSv1.3 suite %v not among sslscan's %v", tg.name, a, b)
					same = false
				}
				continue
			}
			if strings.Join(a, ",") != strings.Join(b, ",") {
				t.Errorf("%s %s: suites Garda %v, sslscan %v", tg.name, v, a, b)
				same = false
			}
		}
		var weakOurs []string
		for _, v := range rep.Versions {
			for _, s := range rep.Suites[v] {
				if sev, _ := weakSuite(s); sev != "" {
					weakOurs = append(weakOurs, v+" "+s)
				}
			}
		}
		if same {
			agree++
		}
		t.Logf("%-20s protocols %v; weak suites Garda saw: %d; beyond crypto/tls (not compared): %d %v", tg.name, ours, len(weakOurs), len(beyond), beyond)
	}
	t.Logf("%d/%d targets: same protocols and same suites", agree, len(targets))
}

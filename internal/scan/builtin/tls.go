package builtin

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// TLS tests an https target's protocol versions, cipher suites and
// certificate.
//
// Go's client can offer TLS 1.0 to 1.3 and every suite crypto/tls
// implements (tls.CipherSuites and tls.InsecureCipherSuites), so suites
// are enumerated per version by elimination: offer all, note the one the
// server picks, offer the rest, until the server refuses. The suites
// crypto/tls lacks (anonymous, NULL, export, RC4, DES, DHE, CAMELLIA,
// ARIA, CCM) are enumerated the same way with a hand-built ClientHello
// (tlsraw.go) that reads only the ServerHello. SSLv2/v3 are not probed.
type TLS struct {
	// Roots verifies the chain (nil: the system's roots).
	Roots *x509.CertPool
}

var (
	tlsDeprecated = meta{ID: "garda-tls-deprecated-protocol", Name: "Protokol TLS usang diterima (deprecated TLS protocol)",
		Severity: scan.SeverityMedium, Tags: []string{"tls"}, Remedy: "Disable TLS 1.0 and 1.1 (RFC 8996); offer TLS 1.2 and 1.3 only."}
	tlsNoModern = meta{ID: "garda-tls-no-modern-protocol", Name: "Tidak mendukung TLS 1.2/1.3",
		Severity: scan.SeverityHigh, Tags: []string{"tls"}, Remedy: "Enable TLS 1.2 and TLS 1.3."}
	tlsWeakCipher = meta{ID: "garda-tls-weak-cipher", Name: "Cipher suite lemah diterima (weak cipher suite)",
		Tags: []string{"tls"}, Remedy: "Offer only AEAD suites with forward secrecy (ECDHE with AES-GCM or ChaCha20-Poly1305)."}
	tlsExpired = meta{ID: "garda-tls-cert-expired", Name: "Sertifikat kedaluwarsa (certificate expired)",
		Severity: scan.SeverityHigh, Tags: []string{"tls", "certificate"}, Remedy: "Renew the certificate."}
	tlsExpiring = meta{ID: "garda-tls-cert-expiring", Name: "Sertifikat segera kedaluwarsa (under 30 days)",
		Severity: scan.SeverityLow, Tags: []string{"tls", "certificate"}, Remedy: "Renew the certificate before it expires; automate renewal (ACME)."}
	tlsNotYetValid = meta{ID: "garda-tls-cert-not-yet-valid", Name: "Sertifikat belum berlaku (not yet valid)",
		Severity: scan.SeverityHigh, Tags: []string{"tls", "certificate"}, Remedy: "Install a certificate whose validity has begun; check the server's clock."}
	tlsSelfSigned = meta{ID: "garda-tls-self-signed", Name: "Sertifikat self-signed",
		Severity: scan.SeverityMedium, Tags: []string{"tls", "certificate"}, Remedy: "Use a certificate from a publicly trusted CA."}
	tlsUntrusted = meta{ID: "garda-tls-untrusted-chain", Name: "Rantai sertifikat tidak tepercaya (untrusted chain)",
		Severity: scan.SeverityMedium, Tags: []string{"tls", "certificate"}, Remedy: "Serve the full chain up to a publicly trusted root."}
	tlsMismatch = meta{ID: "garda-tls-hostname-mismatch", Name: "Nama host tidak cocok dengan sertifikat (hostname mismatch)",
		Severity: scan.SeverityMedium, Tags: []string{"tls", "certificate"}, Remedy: "Use a certificate whose SAN names this host."}
	tlsInventory = meta{ID: "garda-tls-inventory", Name: "Inventaris TLS (protocols, suites, certificate)",
		Severity: scan.SeverityInfo, Tags: []string{"tls"}}
)

func (*TLS) ID() string   { return "garda-tls" }
func (*TLS) Active() bool { return false }

var tlsVersions = []struct {
	v    uint16
	name string
}{{tls.VersionTLS10, "TLSv1.0"}, {tls.VersionTLS11, "TLSv1.1"}, {tls.VersionTLS12, "TLSv1.2"}, {tls.VersionTLS13, "TLSv1.3"}}

// TLSReport is what one target's handshakes showed.
type TLSReport struct {
	Versions []string            // accepted, e.g. "TLSv1.2"
	Suites   map[string][]string // per accepted version, IANA names
	Chain    []*x509.Certificate
}

func (c *TLS) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	s, err := parseTarget(t)
	if err != nil {
		return err
	}
	if s.scheme != "https" {
		return nil // nothing to handshake with; the HSTS check judges plain http
	}
	rep, err := c.Probe(ctx, env, s.host, s.hostPort())
	if err != nil {
		return err
	}
	at := s.hostPort()
	inv := []string{"versions=" + strings.Join(rep.Versions, ",")}
	for _, v := range rep.Versions {
		inv = append(inv, v+"="+strings.Join(rep.Suites[v], ","))
		if v == "TLSv1.0" || v == "TLSv1.1" {
			r := result(env, s, tlsDeprecated, at, v)
			r.MatcherName = strings.ToLower(strings.ReplaceAll(v, ".", ""))
			emit(r)
		}
	}
	if !contains(rep.Versions, "TLSv1.2") && !contains(rep.Versions, "TLSv1.3") {
		emit(result(env, s, tlsNoModern, at, "versions="+strings.Join(rep.Versions, ",")))
	}
	for _, v := range rep.Versions {
		for _, name := range rep.Suites[v] {
			if sev, why := weakSuite(name); sev != "" {
				m := tlsWeakCipher
				m.Severity = sev
				r := result(env, s, m, at, v+" "+name, why)
				r.MatcherName = name
				emit(r)
			}
		}
	}
	emit(result(env, s, tlsInventory, at, inv...))
	c.judgeChain(env, s, rep.Chain, emit)
	return nil
}

// Probe runs the handshakes against addr (host:port) with SNI host.
func (c *TLS) Probe(ctx context.Context, env *scan.Env, host, addr string) (TLSReport, error) {
	rep := TLSReport{Suites: map[string][]string{}}
	var firstErr error
	for _, ver := range tlsVersions {
		if ver.v == tls.VersionTLS13 {
			st, err := c.handshake(ctx, env, host, addr, ver.v, nil)
			if err != nil {
				firstErr = errors.Join(firstErr, err)
				continue
			}
			rep.Versions = append(rep.Versions, ver.name)
			rep.Suites[ver.name] = []string{tls.CipherSuiteName(st.CipherSuite)}
			rep.Chain = st.PeerCertificates
			continue
		}
		offer := suitesFor(ver.v)
		for len(offer) > 0 {
			st, err := c.handshake(ctx, env, host, addr, ver.v, offer)
			if err != nil {
				if ctx.Err() != nil {
					return rep, ctx.Err()
				}
				if _, dial := err.(dialError); dial {
					return rep, err
				}
				firstErr = errors.Join(firstErr, err)
				break
			}
			if len(rep.Suites[ver.name]) == 0 {
				rep.Versions = append(rep.Versions, ver.name)
			}
			rep.Suites[ver.name] = append(rep.Suites[ver.name], tls.CipherSuiteName(st.CipherSuite))
			if rep.Chain == nil || ver.v == tls.VersionTLS12 {
				rep.Chain = st.PeerCertificates
			}
			offer = without(offer, st.CipherSuite)
		}
		legacy, err := probeLegacy(ctx, env, host, addr, ver.v)
		if err != nil {
			return rep, err
		}
		if len(legacy) > 0 && len(rep.Suites[ver.name]) == 0 {
			rep.Versions = append(rep.Versions, ver.name)
		}
		rep.Suites[ver.name] = append(rep.Suites[ver.name], legacy...)
	}
	if len(rep.Versions) == 0 {
		return rep, fmt.Errorf("builtin: no TLS handshake with %s succeeded: %w", addr, firstErr)
	}
	return rep, nil
}

type dialError struct{ error }

func (c *TLS) handshake(ctx context.Context, env *scan.Env, host, addr string, v uint16, suites []uint16) (tls.ConnectionState, error) {
	raw, err := env.Dial(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, dialError{fmt.Errorf("builtin: dial %s: %w", addr, err)}
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	conf := &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // the chain is judged below, on its own
		MinVersion:         v,
		MaxVersion:         v,
		CipherSuites:       suites,
	}
	if !isIP(host) {
		conf.ServerName = host
	}
	tc := tls.Client(raw, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return tls.ConnectionState{}, err
	}
	return tc.ConnectionState(), nil
}

// suitesFor lists every suite crypto/tls can offer at version v, secure
// and insecure alike: Go ≥1.22 leaves some out of its defaults, and a scan
// must offer them to learn whether the server takes them.
func suitesFor(v uint16) []uint16 {
	var out []uint16
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, cs := range list {
			for _, sv := range cs.SupportedVersions {
				if sv == v {
					out = append(out, cs.ID)
					break
				}
			}
		}
	}
	return out
}

func without(ids []uint16, id uint16) []uint16 {
	out := ids[:0:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// weakSuite says how bad a suite is, by its IANA name: RC4 (RFC 7465) is
// high; 3DES (SWEET32, CVE-2016-2183), export, NULL and anonymous suites
// are medium or worse; CBC with SHA-1 and RSA key exchange (no forward
// secrecy) are low.
func weakSuite(name string) (scan.Severity, string) {
	switch {
	case strings.Contains(name, "_NULL_") || strings.Contains(name, "_anon_") || strings.Contains(name, "EXPORT"):
		return scan.SeverityHigh, "null, anonymous or export suite"
	case strings.Contains(name, "_DES_CBC_") || strings.Contains(name, "DES40"):
		return scan.SeverityHigh, "single DES (56-bit)"
	case strings.Contains(name, "RC4"):
		return scan.SeverityHigh, "RC4 (RFC 7465 prohibits it)"
	case strings.Contains(name, "3DES"):
		return scan.SeverityMedium, "3DES, 64-bit block (SWEET32, CVE-2016-2183)"
	case strings.HasPrefix(name, "TLS_RSA_"):
		return scan.SeverityLow, "RSA key exchange: no forward secrecy"
	case strings.Contains(name, "_CBC_SHA") && !strings.HasSuffix(name, "SHA384"):
		return scan.SeverityLow, "CBC mode with HMAC (Lucky13-class padding oracles)"
	}
	return "", ""
}

func (c *TLS) judgeChain(env *scan.Env, s site, chain []*x509.Certificate, emit func(scan.Result)) {
	if len(chain) == 0 {
		return
	}
	now := time.Now()
	if env.Now != nil {
		now = env.Now()
	}
	leaf := chain[0]
	at := s.hostPort()
	days := int(leaf.NotAfter.Sub(now).Hours() / 24)
	ev := []string{"subject=" + leaf.Subject.String(), "not-after=" + leaf.NotAfter.UTC().Format(time.RFC3339), "days-left=" + strconv.Itoa(days)}
	switch {
	case now.After(leaf.NotAfter):
		emit(result(env, s, tlsExpired, at, ev...))
	case now.Before(leaf.NotBefore):
		emit(result(env, s, tlsNotYetValid, at, append(ev, "not-before="+leaf.NotBefore.UTC().Format(time.RFC3339))...))
	case leaf.NotAfter.Sub(now) < 30*24*time.Hour:
		emit(result(env, s, tlsExpiring, at, ev...))
	}
	selfSigned := isSelfSigned(leaf)
	if selfSigned {
		emit(result(env, s, tlsSelfSigned, at, "subject="+leaf.Subject.String()))
	}
	if err := leaf.VerifyHostname(s.host); err != nil {
		emit(result(env, s, tlsMismatch, at, "host="+s.host, "names="+strings.Join(certNames(leaf), ",")))
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	// Expiry and self-signature are reported on their own; the chain
	// finding is for what remains (unknown CA, missing intermediate).
	at2 := now // judged when the leaf is valid, so expiry is not counted twice
	if now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		at2 = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: c.Roots, Intermediates: inter, CurrentTime: at2})
	if err != nil && !selfSigned {
		emit(result(env, s, tlsUntrusted, at, "error="+err.Error()))
	}
}

func isSelfSigned(c *x509.Certificate) bool {
	// CheckSignatureFrom would insist that the issuer be a CA; a
	// self-signed leaf usually is not.
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func certNames(c *x509.Certificate) []string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func suiteName(id uint16) string { return tls.CipherSuiteName(id) }

package nuclei

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

type sslRequest struct {
	operators `yaml:",inline"`

	Address        string   `yaml:"address"`
	MinVersion     string   `yaml:"min_version"`
	MaxVersion     string   `yaml:"max_version"`
	CipherSuites   []string `yaml:"cipher_suites"`
	ScanMode       string   `yaml:"scan_mode"`
	TLSVersionEnum bool     `yaml:"tls_version_enum"`
	TLSCipherEnum  bool     `yaml:"tls_cipher_enum"`
	TLSCipherTypes []string `yaml:"tls_cipher_types"`

	min, max uint16
	suites   []uint16
}

var tlsVersions = map[string]uint16{
	"tls10": tls.VersionTLS10, "tls11": tls.VersionTLS11, "tls12": tls.VersionTLS12, "tls13": tls.VersionTLS13,
}

var tlsVersionNames = map[uint16]string{
	tls.VersionTLS10: "tls10", tls.VersionTLS11: "tls11", tls.VersionTLS12: "tls12", tls.VersionTLS13: "tls13",
}

// errSSLv3 is what an SSL 3.0 probe answers: Go's TLS stack has no SSL
// 3.0, so the engine cannot offer it.
var errSSLv3 = errors.New("ssl30/sslv3 cannot be offered (Go's TLS stack has no SSL 3.0)")

func parseTLSVersion(s string) (uint16, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, nil
	}
	if s == "ssl30" || s == "sslv3" {
		return 0, errSSLv3
	}
	v, ok := tlsVersions[s]
	if !ok {
		return 0, fmt.Errorf("unknown TLS version %q", s)
	}
	return v, nil
}

func (r *sslRequest) compile() error {
	if r.Address == "" {
		r.Address = "{{Host}}:{{Port}}"
	}
	if err := checkPlaceholders(r.Address); err != nil {
		return err
	}
	var err error
	if r.min, err = parseTLSVersion(r.MinVersion); err != nil && !errors.Is(err, errSSLv3) {
		return err
	}
	if r.max, err = parseTLSVersion(r.MaxVersion); err != nil && !errors.Is(err, errSSLv3) {
		return err
	}
	if len(r.TLSCipherTypes) > 0 {
		return unsupported("ssl tls_cipher_types")
	}
	names := map[string]uint16{}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		names[c.Name] = c.ID
	}
	for _, c := range r.CipherSuites {
		id, ok := names[c]
		if !ok {
			return unsupported("ssl cipher suite %q (not in Go's TLS stack)", c)
		}
		r.suites = append(r.suites, id)
	}
	return r.operators.compile()
}

func (s *runState) runSSL(ctx context.Context, r *sslRequest) error {
	if s.env.Dial == nil {
		return errors.New("ssl template without Dial in the Env")
	}
	vars := s.requestVars()
	addr := dsl.Interpolate(r.Address, vars)
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, s.tg.port)
	}
	if h, _, _ := net.SplitHostPort(addr); !strings.EqualFold(h, s.tg.hostname) {
		return fmt.Errorf("%s: address %s: a template connects only to the target %s", s.t.id, addr, s.tg.hostname)
	}
	if strings.EqualFold(r.MinVersion, "ssl30") || strings.EqualFold(r.MinVersion, "sslv3") {
		if strings.EqualFold(r.MaxVersion, "ssl30") || strings.EqualFold(r.MaxVersion, "sslv3") {
			// only SSL 3.0 asked: nothing Go can offer; the server is
			// reported as not speaking it
			return nil
		}
	}
	min, max := r.min, r.max
	if min == 0 {
		min = tls.VersionTLS10
	}
	if max == 0 {
		max = tls.VersionTLS13
	}
	state, ip, err := s.handshake(ctx, addr, min, max, r.suites)
	if err != nil {
		// a server that refuses the versions or suites asked is no
		// error: the template found nothing
		if isHandshakeRefusal(err) {
			return nil
		}
		return fmt.Errorf("%s: %s: %w", s.t.id, addr, err)
	}
	v := s.tlsVars(vars, addr, ip, state)
	if r.TLSVersionEnum || r.TLSCipherEnum {
		var versions, ciphers []string
		for _, ver := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
			if st, _, err := s.handshake(ctx, addr, ver, ver, nil); err == nil {
				versions = append(versions, tlsVersionNames[ver])
				if r.TLSCipherEnum {
					ciphers = appendUnique(ciphers, tls.CipherSuiteName(st.CipherSuite))
				}
			}
		}
		v["tls_version_enum"] = versions
		v["tls_cipher_enum"] = ciphers
	}
	res, ok := r.operators.execute(v, "response")
	for k, x := range res.dynamic {
		s.dynamic[k] = x[0]
	}
	if !ok {
		return nil
	}
	out := s.result("ssl")
	out.Host = s.tg.hostname
	out.MatchedAt = addr
	out.URL = ""
	out.IP = ip
	out.Response = truncate(dsl.ToString(v["response"]))
	s.emitAll(out, res)
	return nil
}

func isHandshakeRefusal(err error) bool {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return true
	}
	var rec tls.RecordHeaderError
	if errors.As(err, &rec) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "tls:") || strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset")
}

func (s *runState) handshake(ctx context.Context, addr string, min, max uint16, suites []uint16) (tls.ConnectionState, string, error) {
	raw, err := s.env.Dial(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, "", err
	}
	defer raw.Close()
	ip := ""
	if ta, ok := raw.RemoteAddr().(*net.TCPAddr); ok {
		ip = ta.IP.String()
	}
	host, _, _ := net.SplitHostPort(addr)
	cfg := &tls.Config{
		// the check looks at the certificate; it verifies it itself
		// below, so that a bad one is a finding, not a failed probe
		InsecureSkipVerify: true, //nolint:gosec
		MinVersion:         min, MaxVersion: max, CipherSuites: suites,
	}
	if net.ParseIP(host) == nil {
		cfg.ServerName = host
	}
	c := tls.Client(raw, cfg)
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Now().Add(30 * time.Second))
	}
	if err := c.HandshakeContext(ctx); err != nil {
		return tls.ConnectionState{}, ip, err
	}
	return c.ConnectionState(), ip, nil
}

// tlsVars are tlsx's fields, the names ssl templates match on.
func (s *runState) tlsVars(in map[string]any, addr, ip string, st tls.ConnectionState) map[string]any {
	host, port, _ := net.SplitHostPort(addr)
	now := s.now()
	m := map[string]any{
		"host": host, "port": port, "ip": ip, "probe_status": true,
		"tls_version": tlsVersionNames[st.Version], "cipher": tls.CipherSuiteName(st.CipherSuite),
		"tls_connection": "ctls", "sni": st.ServerName,
	}
	if len(st.PeerCertificates) > 0 {
		leaf := st.PeerCertificates[0]
		m["not_before"] = leaf.NotBefore.UTC().Format(time.RFC3339)
		m["not_after"] = leaf.NotAfter.UTC().Format(time.RFC3339)
		m["expired"] = now.After(leaf.NotAfter)
		m["self_signed"] = isSelfSigned(leaf)
		m["mismatched"] = net.ParseIP(host) == nil && leaf.VerifyHostname(host) != nil
		m["wildcard_certificate"] = isWildcard(leaf)
		m["subject_cn"] = leaf.Subject.CommonName
		m["subject_dn"] = leaf.Subject.String()
		m["subject_org"] = leaf.Subject.Organization
		m["subject_an"] = leaf.DNSNames
		m["issuer_cn"] = leaf.Issuer.CommonName
		m["issuer_dn"] = leaf.Issuer.String()
		m["issuer_org"] = leaf.Issuer.Organization
		m["serial"] = formatSerial(leaf.SerialNumber.Bytes())
		md := md5.Sum(leaf.Raw)
		s1 := sha1.Sum(leaf.Raw)
		s256 := sha256.Sum256(leaf.Raw)
		m["fingerprint_hash"] = map[string]string{"md5": hex.EncodeToString(md[:]), "sha1": hex.EncodeToString(s1[:]), "sha256": hex.EncodeToString(s256[:])}
		m["untrusted"] = !verifies(st, host, now)
		m["revoked"] = false
	}
	js, _ := json.Marshal(m)
	v := merge(in)
	for k, x := range m {
		switch x := x.(type) {
		case []string:
			v[k] = strings.Join(x, ",")
		case map[string]string:
			for hk, hv := range x {
				v[k+"_"+hk] = hv
			}
		default:
			v[k] = x
		}
	}
	v["response"] = string(js)
	v["raw"] = string(js)
	v["matched"] = addr
	return v
}

func isSelfSigned(c *x509.Certificate) bool {
	if c.Subject.String() != c.Issuer.String() {
		return false
	}
	return c.CheckSignatureFrom(c) == nil
}

func isWildcard(c *x509.Certificate) bool {
	if strings.HasPrefix(c.Subject.CommonName, "*.") {
		return true
	}
	for _, n := range c.DNSNames {
		if strings.HasPrefix(n, "*.") {
			return true
		}
	}
	return false
}

func verifies(st tls.ConnectionState, host string, now time.Time) bool {
	if len(st.PeerCertificates) == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Intermediates: inter, CurrentTime: now}
	if net.ParseIP(host) == nil {
		opts.DNSName = ""
	}
	_, err := st.PeerCertificates[0].Verify(opts)
	return err == nil
}

func formatSerial(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}

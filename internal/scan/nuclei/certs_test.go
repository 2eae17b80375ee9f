package nuclei

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// selfSignedConfig is a server TLS config with a fresh self-signed
// certificate for 127.0.0.1 and "localhost".
func selfSignedConfig(t *testing.T, mod func(*tls.Config)) *tls.Config {
	t.Helper()
	cert := selfSigned(t, "localhost", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if mod != nil {
		mod(cfg)
	}
	return cfg
}

func selfSigned(t *testing.T, cn string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Garda test"}},
		NotBefore:    notBefore, NotAfter: notAfter,
		DNSNames:    []string{cn},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:        true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

package builtin

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/scan"
)

// testEnv reaches loopback only, as every scan in tests must.
func testEnv(t *testing.T) *scan.Env {
	t.Helper()
	f := fetch.New(fetch.Config{Policy: fetch.LoopbackOnly(), InsecureTLS: true, PerHost: fetch.HostLimit{Conns: 4}})
	t.Cleanup(f.CloseIdle)
	return &scan.Env{HTTP: f.Client(), Dial: f.Dial}
}

func runChecks(t *testing.T, env *scan.Env, target scan.Target, checks ...scan.Check) []scan.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out []scan.Result
	for _, c := range checks {
		if c.Active() && target.Mode != scan.Active {
			continue
		}
		if err := c.Run(ctx, env, target, func(r scan.Result) { out = append(out, r) }); err != nil {
			t.Fatalf("%s on %s: %v", c.ID(), target.URL, err)
		}
	}
	for _, r := range out {
		t.Logf("%-8s %-40s %s %v", r.Info.Severity, r.CheckKey(), r.MatchedAt, r.ExtractedResults)
	}
	return out
}

// wantFound fails unless a result with id (and matcher, when given) has
// the severity sev.
func wantFound(t *testing.T, rs []scan.Result, id string, sev scan.Severity) scan.Result {
	t.Helper()
	for _, r := range rs {
		if r.TemplateID == id && r.Info.Severity == sev {
			return r
		}
	}
	t.Errorf("want %s with severity %s; not found", id, sev)
	return scan.Result{}
}

// wantClean fails on any result of severity low or above: a hardened
// server gives information only.
func wantClean(t *testing.T, rs []scan.Result) {
	t.Helper()
	for _, r := range rs {
		if r.Info.Severity.Rank() >= scan.SeverityLow.Rank() {
			t.Errorf("hardened server: unexpected %s (%s) at %s %v", r.CheckKey(), r.Info.Severity, r.MatchedAt, r.ExtractedResults)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func needBinary(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("needs %s (Debian package %s; .ci/run installs it)", path, pkg)
	}
}

// startServer runs a real server in the foreground until the test ends
// and waits until it accepts on addrs.
func startServer(t *testing.T, env []string, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that the workers it forks die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return cmd
}

func waitListening(t *testing.T, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("nothing listens on %s: %v", a, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// pki is a test certificate authority and the leaves it signs.
type pki struct {
	ca   *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	dir  string
	// names, when set, replaces the leaves' 127.0.0.1 and localhost.
	names []string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Garda Test CA"},
		NotBefore: time.Now().Add(-90 * 24 * time.Hour), NotAfter: time.Now().Add(2 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &pki{ca: ca, key: key, pool: x509.NewCertPool(), dir: t.TempDir()}
	p.pool.AddCert(ca)
	writePEM(t, filepath.Join(p.dir, "ca.pem"), "CERTIFICATE", der)
	return p
}

// leaf writes a certificate for 127.0.0.1 and its key, signed by the CA or
// by itself, valid between nb and na.
func (p *pki) leaf(t *testing.T, name string, nb, na time.Time, selfSigned bool) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return p.sign(t, name, nb, na, selfSigned, key, &key.PublicKey)
}

// leafRSA is leaf with an RSA key, for the suites with RSA key exchange.
func (p *pki) leafRSA(t *testing.T, name string, nb, na time.Time, selfSigned bool) (certFile, keyFile string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return p.sign(t, name, nb, na, selfSigned, key, &key.PublicKey)
}

func (p *pki) sign(t *testing.T, name string, nb, na time.Time, selfSigned bool, key crypto.Signer, pub any) (certFile, keyFile string) {
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "127.0.0.1", Organization: []string{"KPU test " + name}},
		NotBefore: nb, NotAfter: na, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if p.names != nil {
		tmpl.IPAddresses, tmpl.DNSNames, tmpl.Subject.CommonName = nil, p.names, p.names[0]
	}
	var parent *x509.Certificate
	var signer crypto.Signer
	parent, signer = p.ca, p.key
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// worldReadable lets a server's workers (nobody, when the test runs as
// root) read the tree.
func worldReadable(t *testing.T, root string) {
	t.Helper()
	for d := root; d != "/" && d != "."; d = filepath.Dir(d) {
		if strings.HasPrefix(d, os.TempDir()) && d != os.TempDir() {
			_ = os.Chmod(d, 0o755)
		}
	}
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

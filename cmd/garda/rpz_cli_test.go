package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestCLIBlockByDNS: a resolver is registered (its key printed once), a
// national coordinator blocks a domain (others are refused, nothing
// changed), and garda serve publishes it over HTTP and by a TSIG-signed
// AXFR on --rpz-listen; unblock takes it out again, and the audit chain
// holds.
func TestCLIBlockByDNS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGarda(t)
	dir := t.TempDir()
	must := func(args ...string) string {
		t.Helper()
		out, errOut, code := garda(t, bin, "", append(args, "--data-dir", dir)...)
		if code != 0 {
			t.Fatalf("garda %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	must("migrate")
	for _, u := range [][]string{{"komdigi.koord", "komdigi", "coordinator", ""}, {"jabar.koord", "kpu-32", "coordinator", "32"}, {"bssn.analis", "bssn", "analyst", ""}} {
		if _, errOut, code := garda(t, bin, "a long password 1\n", "user", "create", "--data-dir", dir, "--username", u[0], "--org", u[1], "--role", u[2], "--scope", u[3], "--password-stdin"); code != 0 {
			t.Fatal(errOut)
		}
	}
	cred := map[string]string{}
	for _, line := range strings.Split(must("resolver", "add", "isp-1"), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			cred[k] = v
		}
	}
	if len(cred["key"]) != 64 || cred["tsig-name"] != "isp-1." || cred["tsig-secret"] == "" {
		t.Fatalf("resolver add printed %v", cred)
	}
	if !strings.Contains(must("resolver", "list"), "isp-1") {
		t.Error("resolver list lacks isp-1")
	}

	for _, who := range []string{"jabar.koord", "bssn.analis"} {
		if _, errOut, code := garda(t, bin, "", "takedown", "block", "palsu.example", "--reason", "x", "--as", who, "--data-dir", dir); code == 0 || !strings.Contains(errOut, "national scope") {
			t.Errorf("%s blocked: exit %d %s", who, code, errOut)
		}
	}
	for _, bad := range []string{"192.0.2.1", "*.palsu.example", "example", "https://palsu.example/x"} {
		if _, errOut, code := garda(t, bin, "", "takedown", "block", bad, "--reason", "x", "--as", "komdigi.koord", "--data-dir", dir); code == 0 || errOut == "" {
			t.Errorf("%q accepted", bad)
		}
	}
	if out := must("takedown", "block", "KPU-Palsu.example", "--reason", "situs palsu KPU", "--as", "komdigi.koord"); !strings.Contains(out, "blocked kpu-palsu.example and *.kpu-palsu.example (NXDOMAIN)") {
		t.Fatalf("block: %s", out)
	}
	must("takedown", "block", "hoaks.example", "--landing", "blokir.example", "--reason", "hoaks", "--as", "komdigi.koord")
	if out := must("takedown", "blocklist"); !strings.Contains(out, "kpu-palsu.example") || !strings.Contains(out, "cname blokir.example") {
		t.Errorf("blocklist:\n%s", out)
	}

	httpAddr, dnsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--data-dir", dir, "--addr", httpAddr, "--rpz-listen", dnsAddr, "--rpz-refresh", "10s", "--detect=false")
	logs, _ := os.Create(filepath.Join(dir, "serve.log"))
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
			t.Logf("serve log:\n%s", b)
		}
	}()
	var zone string
	for i := 0; ; i++ {
		res, err := http.Get("http://" + httpAddr + cred["url-path"])
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				zone = string(b)
				break
			}
		}
		if i > 300 {
			t.Fatalf("no zone over HTTP: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{"$ORIGIN garda.rpz.", " 10 ", "kpu-palsu.example CNAME .", "*.kpu-palsu.example CNAME .", "hoaks.example CNAME blokir.example."} {
		if !strings.Contains(zone, want) {
			t.Errorf("zone lacks %q:\n%s", want, zone)
		}
	}

	axfr := func() string {
		m := new(dns.Msg)
		m.SetAxfr("garda.rpz.")
		m.SetTsig(cred["tsig-name"], dns.HmacSHA256, 300, time.Now().Unix())
		tr := &dns.Transfer{TsigSecret: map[string]string{cred["tsig-name"]: cred["tsig-secret"]}}
		var ch chan *dns.Envelope
		var err error
		for i := 0; i < 100; i++ {
			if ch, err = tr.In(m, dnsAddr); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for env := range ch {
			if env.Error != nil {
				t.Fatal(env.Error)
			}
			for _, rr := range env.RR {
				b.WriteString(rr.String() + "\n")
			}
		}
		return b.String()
	}
	if got := axfr(); !strings.Contains(got, "*.kpu-palsu.example.garda.rpz.") {
		t.Fatalf("AXFR:\n%s", got)
	}
	must("takedown", "unblock", "kpu-palsu.example", "--reason", "putusan", "--as", "komdigi.koord")
	if got := axfr(); strings.Contains(got, "kpu-palsu") || !strings.Contains(got, "hoaks.example") {
		t.Fatalf("AXFR after unblock:\n%s", got)
	}
	if out := must("resolver", "list"); !strings.Contains(out, "axfr") {
		t.Errorf("resolver list does not show the transfer:\n%s", out)
	}
	must("resolver", "revoke", "isp-1")
	if res, err := http.Get("http://" + httpAddr + cred["url-path"]); err != nil || res.StatusCode != 404 {
		t.Errorf("revoked key: %v %v", res, err)
	}
	must("audit", "verify")
}

func freeAddr(t *testing.T) string {
	t.Helper()
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		if u, err := net.ListenPacket("udp", addr); err == nil {
			u.Close()
			return addr
		}
	}
	t.Fatal("no free port")
	return fmt.Sprint()
}

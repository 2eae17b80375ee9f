package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/ocr"
)

// Made-up numbers of real shape: valid regions and dates, no one's data.
const piiDump = `nik,no_kk,nama,no_hp
3204012308900001,3204011203150002,BUDI,081234567890
3273015708450002,3273010101100003,SITI,+62 857 1111 2222
3204012308900001,3204011203150002,BUDI,081234567890
1101010101010000,1101011313010001,X,-
`

var piiValues = []string{"3204012308900001", "3204011203150002", "3273015708450002", "3273010101100003", "81234567890", "85711112222", "8571111 2222"}

func runGarda(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func TestPIIScanCommand(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "dump.csv")
	if err := os.WriteFile(dump, []byte(piiDump), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runGarda(t, "", "pii", "scan", dump)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var sum struct {
		Files, Lines, NIK, KK, Phone int
		Women                        int     `json:"nik_women"`
		ValidShare                   float64 `json:"valid_share"`
		Provinces                    []struct {
			Code, Name string
			Count      int
		}
		Regencies []struct {
			Code, Name string
			Count      int
		}
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if sum.Files != 1 || sum.Lines != 5 || sum.NIK != 2 || sum.KK != 2 || sum.Phone != 2 || sum.Women != 1 {
		t.Errorf("summary: %s", out)
	}
	if len(sum.Provinces) != 1 || sum.Provinces[0].Code != "32" || sum.Provinces[0].Name != "Jawa Barat" || sum.Provinces[0].Count != 2 {
		t.Errorf("provinces: %+v", sum.Provinces)
	}
	if len(sum.Regencies) != 2 || sum.ValidShare <= 0.5 || sum.ValidShare >= 1 {
		t.Errorf("regencies %+v share %v", sum.Regencies, sum.ValidShare)
	}
	for _, v := range piiValues {
		if strings.Contains(out, v) || strings.Contains(errOut, v) {
			t.Errorf("output holds a value")
		}
	}

	// Per line, from gzip on standard input.
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(piiDump))
	w.Close()
	out, errOut, code = runGarda(t, gz.String(), "pii", "scan", "--per-line", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || lines[0] != `{"line":1,"nik":0,"kk":0,"npwp":0,"phone":0}` || lines[2] != `{"line":3,"nik":1,"kk":1,"npwp":0,"phone":1}` {
		t.Errorf("per line:\n%s", out)
	}

	// A PDF: a clear error naming the file, nothing on standard output.
	pdf := filepath.Join(dir, "leak.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.7\n1 0 obj\n"), 0o600)
	out, errOut, code = runGarda(t, "", "pii", "scan", dump, pdf)
	if code == 0 || out != "" || !strings.Contains(errOut, "leak.pdf") || !strings.Contains(errOut, "not text") {
		t.Errorf("pdf: exit %d, out %q, err %q", code, out, errOut)
	}

	// A missing file: a clear error and nothing on standard output.
	out, errOut, code = runGarda(t, "", "pii", "scan", dump, filepath.Join(dir, "missing.csv"))
	if code == 0 || out != "" || !strings.Contains(errOut, "missing.csv") {
		t.Errorf("missing file: exit %d, out %q, err %q", code, out, errOut)
	}
}

func TestLookalikeCommand(t *testing.T) {
	out, errOut, code := runGarda(t, "", "lookalike", "kpu.go.id")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `{"domain":"kpu-go-id.com","kind":"flattened","of":"kpu.go.id"}`) {
		t.Errorf("kpu-go-id.com missing")
	}
	if _, errOut, code = runGarda(t, "", "lookalike", "not a domain"); code == 0 || !strings.Contains(errOut, "not a domain") {
		t.Errorf("bad domain: exit %d %q", code, errOut)
	}

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		switch {
		case q.Name == "kpu-ri.com." && q.Qtype == dns.TypeA:
			rr, _ := dns.NewRR("kpu-ri.com. 60 IN A 127.0.0.9")
			m.Answer = append(m.Answer, rr)
		case q.Name == "kpu-ri.com.":
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	var started sync.WaitGroup
	started.Add(1)
	srv.NotifyStartedFunc = started.Done
	go srv.ActivateAndServe()
	started.Wait()
	defer srv.Shutdown()
	out, errOut, code = runGarda(t, "", "lookalike", "kpu.go.id", "--live", "--resolver", pc.LocalAddr().String(), "--rate", "10000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.TrimSpace(out) != `{"domain":"kpu-ri.com","kind":"added-word","of":"kpu.go.id","a":["127.0.0.9"]}` {
		t.Errorf("live: %q", out)
	}
	if !strings.Contains(errOut, "1 live") {
		t.Errorf("summary: %q", errOut)
	}

	// A resolver that does not answer: an error saying so, not an empty success.
	dead, _ := net.ListenPacket("udp", "127.0.0.1:0")
	deadAddr := dead.LocalAddr().String()
	dead.Close()
	out, errOut, code = runGarda(t, "", "lookalike", "kpu.go.id", "--live", "--resolver", deadAddr, "--rate", "100000", "--timeout", "20ms", "--concurrency", "64")
	if code == 0 || out != "" || !strings.Contains(errOut, "answered none") {
		t.Errorf("dead resolver: exit %d out %q err %q", code, out, errOut)
	}
}

// TestPIIScanImage: a screenshot of leaked data is read by OCR and scanned.
func TestPIIScanImage(t *testing.T) {
	font := "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	convert, _ := exec.Command("convert", "-version").CombinedOutput()
	if err := ocr.Available(); err != nil || !strings.Contains(string(convert), "ImageMagick") || !fileExists(font) {
		msg := fmt.Sprintf("needs tesseract-ocr, tesseract-ocr-ind, imagemagick and fonts-dejavu-core (%v)", err)
		if os.Getenv("GARDA_CI") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	img := filepath.Join(t.TempDir(), "leak.png")
	if b, err := exec.Command("convert", "-size", "1200x200", "xc:white", "-font", font, "-pointsize", "30", "-fill", "black",
		"-annotate", "+30+60", "NIK : 3204012308900001", "-annotate", "+30+130", "No. HP : 0812-3456-7890", img).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v: %s", err, b)
	}
	out, errOut, code := runGarda(t, "", "pii", "scan", img)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"nik": 1,`) || !strings.Contains(out, `"phone": 1,`) {
		t.Errorf("image scan: %s", out)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

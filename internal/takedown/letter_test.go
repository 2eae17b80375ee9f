package takedown_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/takedown"
)

// need skips a test when a tool is missing, and fails it under GARDA_CI=1
// (CI installs it).
func need(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("GARDA_CI") == "1" {
		t.Fatalf("%s is missing (CI must install it: .ci/run)", what)
	}
	t.Skipf("%s is missing", what)
}

// smtpScript is a real SMTP server nobody here wrote (Debian's
// python3-aiosmtpd), with a handler that saves each message to a folder.
const smtpScript = `
import os, sys
from aiosmtpd.controller import Controller
out = sys.argv[2]
class Save:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(out) if f.endswith(".eml")])
        tmp = os.path.join(out, "%04d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(out, "%04d.eml" % n))
        return "250 Message accepted"
c = Controller(Save(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
`

// startSMTP runs aiosmtpd on a loopback port; it returns the address and
// the folder the messages land in.
func startSMTP(t *testing.T) (string, string) {
	t.Helper()
	py := "/usr/bin/python3"
	_, err := os.Stat(py)
	need(t, "python3", err == nil)
	need(t, "python3-aiosmtpd", exec.Command(py, "-c", "import aiosmtpd").Run() == nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	script := filepath.Join(dir, "smtpd.py")
	box := filepath.Join(dir, "box")
	if err := os.WriteFile(script, []byte(smtpScript), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(box, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script, strconv.Itoa(port), box)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("aiosmtpd did not start: %q %v", line, err)
	}
	return "127.0.0.1:" + strconv.Itoa(port), box
}

// mailbox reads the messages aiosmtpd saved, oldest first.
func mailbox(t *testing.T, box string) []*mail.Message {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(box, "*.eml"))
	sort.Strings(names)
	var out []*mail.Message
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out = append(out, m)
	}
	return out
}

// parts splits a multipart message into its text body and its attachments
// by file name.
func parts(t *testing.T, m *mail.Message) (string, map[string][]byte) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	text, files := "", map[string][]byte{}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(p)
		data, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
		if err != nil {
			t.Fatalf("part %q: %v", p.Header.Get("Content-Type"), err)
		}
		if name := p.FileName(); name != "" {
			files[name] = data
		} else {
			text = string(data)
		}
	}
	return text, files
}

// pdfText reads a PDF back with pdftotext.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	_, err := exec.LookPath("pdftotext")
	need(t, "pdftotext (poppler-utils)", err == nil)
	f := filepath.Join(t.TempDir(), "l.pdf")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", f, "-").CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("Syntax Error")) {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

// approved files a request to Facebook as adi and has rina approve it.
func (w *world) approved(t *testing.T, urls ...string) takedown.Request {
	t.Helper()
	ctx := context.Background()
	r, err := w.lc.Create(ctx, w.who["adi"], takedown.New{URLs: urls, Category: "hoaks",
		LegalBasis: []string{"uu_ite_28_3", "permenkominfo_5_2020"}, Urgency: takedown.Urgent,
		Summary: "Video hoaks surat suara tercoblos", Notes: "CATATAN-INTERNAL jangan dibagikan"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = w.lc.Approve(ctx, w.who["rina"], r.ID); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLetterText(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		draft, err := w.lc.Create(ctx, w.who["adi"], takedown.New{URLs: []string{"https://www.facebook.com/x"}, Category: "sara",
			LegalBasis: []string{"uu_ite_28_2"}, Summary: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := takedown.LetterOf(ctx, db, w.who["adi"], draft.ID, takedown.LetterRequest); problem.As(err) == nil || problem.As(err).Code != problem.NotFound {
			t.Fatalf("a draft has no letter yet: %v", err)
		}
		r := w.approved(t, "https://www.facebook.com/hoaks/1", "https://fb.watch/zz")
		l, err := takedown.LetterOf(ctx, db, w.who["adi"], r.ID, takedown.LetterRequest)
		if err != nil {
			t.Fatal(err)
		}
		text := l.Text()
		for _, want := range []string{"Nomor   : " + r.Number, "Kepada Yth.\nFacebook", "Pasal 28 ayat (3)", "mendesak (4 jam)",
			"1. https://www.facebook.com/hoaks/1", "2. https://fb.watch/zz", "rina"} {
			if !strings.Contains(text, want) {
				t.Errorf("letter lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "CATATAN-INTERNAL") {
			t.Fatal("the letter carries the internal notes")
		}
		pdf := pdfText(t, l.PDF())
		for _, want := range []string{r.Number, "Permohonan Pemutusan Akses", "https://fb.watch/zz", "TLP:AMBER", "Halaman 1 dari 1"} {
			if !strings.Contains(pdf, want) {
				t.Errorf("PDF lacks %q:\n%s", want, pdf)
			}
		}
		if _, err := takedown.LetterOf(ctx, db, w.who["adi"], r.ID, takedown.LetterWarn1); problem.As(err) == nil {
			t.Fatal("a warning not issued has no letter")
		}
		// The platform does not read the letter of a request not sent to it.
		if _, err := takedown.LetterOf(ctx, db, w.who["meta"], r.ID, takedown.LetterRequest); problem.As(err) == nil || problem.As(err).Code != problem.NotFound {
			t.Fatalf("liaison reads an unsent letter: %v", err)
		}
	})
}

// TestLetterByEmail sends a request's letter to a real SMTP server and
// reads the message and its PDF back.
func TestLetterByEmail(t *testing.T) {
	addr, box := startSMTP(t)
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		for _, f := range mustGlob(box) {
			os.Remove(f)
		}
		r := w.approved(t, "https://www.facebook.com/hoaks/1", "https://fb.watch/zz")
		// An SMTP server that is down: nothing changes.
		down := *w.lc
		down.Outbox = &takedown.Outbox{From: "patroli@komdigi.example.id", Mail: notify.SMTP{Addr: "127.0.0.1:1", From: "patroli@komdigi.example.id"}.Send}
		if _, err := down.Send(ctx, w.who["adi"], r.ID, takedown.ChannelEmail); problem.As(err) == nil || problem.As(err).Code != problem.Unavailable {
			t.Fatalf("send with SMTP down: %v", err)
		}
		if got, _ := takedown.Get(ctx, db, w.who["adi"], r.ID); got.Status != takedown.Approved {
			t.Fatalf("a letter that did not go changed the request to %s", got.Status)
		}
		lc := *w.lc
		lc.Outbox = &takedown.Outbox{From: "patroli@komdigi.example.id", Mail: notify.SMTP{Addr: addr, From: "patroli@komdigi.example.id"}.Send}
		sent, err := lc.Send(ctx, w.who["adi"], r.ID, takedown.ChannelEmail)
		if err != nil || sent.Status != takedown.Sent {
			t.Fatalf("send: %v %+v", err, sent.Status)
		}
		msgs := mailbox(t, box)
		if len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
		m := msgs[0]
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if m.Header.Get("To") != "takedown@facebook.example.id" || !strings.Contains(subject, r.Number) {
			t.Fatalf("to %q subject %q", m.Header.Get("To"), subject)
		}
		text, files := parts(t, m)
		if !strings.Contains(text, "https://fb.watch/zz") || strings.Contains(text, "CATATAN-INTERNAL") {
			t.Fatalf("body:\n%s", text)
		}
		pdf, ok := files[strings.ReplaceAll(r.Number, "/", "_")+".pdf"]
		if !ok {
			t.Fatalf("attachments: %v", keys(files))
		}
		pt := pdfText(t, pdf)
		if !strings.Contains(pt, r.Number) || !strings.Contains(pt, "https://www.facebook.com/hoaks/1") {
			t.Fatalf("attached PDF:\n%s", pt)
		}
		letters, err := takedown.Letters(ctx, db, w.who["meta"], r.ID)
		if err != nil || len(letters) != 1 || letters[0].Channel != takedown.ChannelEmail || letters[0].SentTo != "takedown@facebook.example.id" {
			t.Fatalf("letters as the liaison sees them: %+v %v", letters, err)
		}
	})
}

func mustGlob(dir string) []string {
	f, _ := filepath.Glob(filepath.Join(dir, "*"))
	return f
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestLetterByAPI posts the letter to a platform's API on loopback, signed
// with the platform's secret.
func TestLetterByAPI(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		const secret = "rahasia-bersama-platform-api"
		got := make(chan []byte, 2)
		status := http.StatusAccepted
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
			body, _ := io.ReadAll(req.Body)
			if !notify.Verify(secret, body, req.Header.Get("X-Garda-Signature")) {
				http.Error(rw, "bad signature", http.StatusUnauthorized)
				return
			}
			got <- body
			rw.WriteHeader(status)
		}))
		defer srv.Close()
		if _, err := takedown.CreatePlatform(ctx, db, w.who["rina"], takedown.NewPlatform{Slug: "apiku", Name: "ApiKu", Kind: "social",
			APIURL: srv.URL + "/gov", APISecret: secret, Domains: []takedown.Domain{{Domain: "apiku.example.id"}}}); problem.As(err) == nil {
			t.Fatalf("a coordinator changed the national registry: %v", err)
		}
		if _, err := takedown.SeedPlatform(ctx, db, takedown.NewPlatform{Slug: "apiku", Name: "ApiKu", Kind: "social",
			APIURL: srv.URL + "/gov", APISecret: secret, Domains: []takedown.Domain{{Domain: "apiku.example.id"}}}); err != nil {
			t.Fatal(err)
		}
		lc := *w.lc
		lc.Outbox = &takedown.Outbox{Sign: notify.Sign}
		for i, code := range []int{http.StatusInternalServerError, http.StatusAccepted} {
			status = code
			r := w.approved(t, "https://apiku.example.id/p/"+strconv.Itoa(i))
			s, err := lc.Send(ctx, w.who["adi"], r.ID, takedown.ChannelAPI)
			if code != http.StatusAccepted {
				if problem.As(err) == nil || problem.As(err).Code != problem.Unavailable {
					t.Fatalf("API answering %d: %v", code, err)
				}
				<-got
				continue
			}
			if err != nil || s.Status != takedown.Sent {
				t.Fatalf("send by API: %v", err)
			}
			var doc struct {
				Number string `json:"number"`
				PDF    string `json:"pdf"`
				URLs   []struct {
					URL string `json:"url"`
				} `json:"urls"`
			}
			select {
			case b := <-got:
				if err := json.Unmarshal(b, &doc); err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("nothing posted")
			}
			pdf, _ := base64.StdEncoding.DecodeString(doc.PDF)
			if doc.Number != r.Number || len(doc.URLs) != 1 || !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) {
				t.Fatalf("posted %+v", doc)
			}
		}
	})
}

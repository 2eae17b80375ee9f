package evidence_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/problem"
)

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestPutAndOpen(t *testing.T) {
	dir := t.TempDir()
	s := evidence.Store{Dir: dir}
	page := "<html><body>diretas</body></html>"
	f, fresh, err := s.Put("12", " defaced page.html ", strings.NewReader(page))
	if err != nil || !fresh {
		t.Fatalf("put: %+v fresh %v, %v", f, fresh, err)
	}
	if f.SHA256 != sum(page) || f.Size != int64(len(page)) || f.Name != "defaced page.html" || !strings.HasPrefix(f.ContentType, "text/html") {
		t.Fatalf("file %+v", f)
	}
	onDisk := filepath.Join(dir, "evidence", "12", f.SHA256)
	if b, err := os.ReadFile(onDisk); err != nil || string(b) != page {
		t.Fatalf("on disk %q, %v", b, err)
	}
	// The client's content type counts for nothing: bytes are sniffed.
	if png, _, err := s.Put("12", "photo.txt", strings.NewReader("\x89PNG\r\n\x1a\n rest")); err != nil || png.ContentType != "image/png" {
		t.Fatalf("png %+v, %v", png, err)
	}
	// The same bytes again: one file, not fresh, so a failed record of the
	// second upload must not remove the first's.
	if again, fresh, err := s.Put("12", "copy.html", strings.NewReader(page)); err != nil || fresh || again.SHA256 != f.SHA256 {
		t.Fatalf("again %+v fresh %v, %v", again, fresh, err)
	}
	r, err := s.Open("12", f)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != page {
		t.Fatalf("read back %q", b)
	}
	// Another holder's folder does not hold it.
	if _, err := s.Open("13", f); !errors.Is(err, evidence.ErrTampered) {
		t.Fatalf("other folder: %v", err)
	}
	if err := s.Discard("12", f.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(onDisk); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("discarded file still there: %v", err)
	}
}

func TestTamperedFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := evidence.Store{Dir: dir}
	f, _, err := s.Put("scan/7", "response.txt", strings.NewReader("HTTP/1.1 200 OK\r\n\r\nsecret"))
	if err != nil {
		t.Fatal(err)
	}
	onDisk := filepath.Join(dir, "evidence", "scan", "7", f.SHA256)
	for name, c := range map[string]struct {
		bytes string
		file  evidence.File
	}{
		"a byte changed":         {"HTTP/1.1 200 OK\r\n\r\nsecreT", f},
		"cut short":              {"HTTP/1.1 200 OK", f},
		"size recorded wrongly":  {"HTTP/1.1 200 OK\r\n\r\nsecret", evidence.File{SHA256: f.SHA256, Size: f.Size + 1}},
		"same length, new bytes": {"HTTP/1.1 500 OK\r\n\r\nsecret", f},
	} {
		if err := os.WriteFile(onDisk, []byte(c.bytes), 0o600); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Open("scan/7", c.file); !errors.Is(err, evidence.ErrTampered) {
			if r != nil {
				r.Close()
			}
			t.Errorf("%s: %v, want ErrTampered", name, err)
		}
	}
	os.Remove(onDisk)
	if _, err := s.Open("scan/7", f); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("gone: %v, want ErrTampered", err)
	}
}

func TestLimitsStoreNothing(t *testing.T) {
	dir := t.TempDir()
	s := evidence.Store{Dir: dir, MaxBytes: 1024}
	if s.Limit() != 1024 || (evidence.Store{}).Limit() != evidence.DefaultMaxBytes {
		t.Fatal("limits")
	}
	if _, _, err := s.Put("1", "big.bin", strings.NewReader(strings.Repeat("x", 1025))); !problem.Is(err, problem.BodyTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if f, _, err := s.Put("1", "exact.bin", strings.NewReader(strings.Repeat("x", 1024))); err != nil || f.Size != 1024 {
		t.Fatalf("at the limit: %+v, %v", f, err)
	}
	if _, _, err := s.Put("1", "empty.txt", strings.NewReader("")); !problem.Is(err, problem.Invalid) {
		t.Fatalf("empty: %v", err)
	}
	// An HTTP body over the server's own bound reads as too large too.
	body := http.MaxBytesReader(nil, io.NopCloser(strings.NewReader(strings.Repeat("y", 600))), 512)
	if _, _, err := s.Put("1", "cut.bin", body); !problem.Is(err, problem.BodyTooLarge) {
		t.Fatalf("max bytes reader: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "evidence", "1"))
	if len(entries) != 1 {
		t.Fatalf("files after refused uploads (temporary ones included): %v", entries)
	}
	// No data directory: nothing stored, a clear error before any read.
	none := evidence.Store{}
	if err := none.Ready(); !problem.Is(err, problem.Unavailable) {
		t.Fatalf("ready: %v", err)
	}
	if _, _, err := none.Put("1", "x", strings.NewReader("x")); !problem.Is(err, problem.Unavailable) {
		t.Fatalf("put without dir: %v", err)
	}
}

func TestNamesAndFolders(t *testing.T) {
	for _, name := range []string{"../../etc/passwd", "..", "/etc/passwd", `C:\evil.exe`, `..\x`, "a/b", "nul\x00.txt",
		"line\nbreak", "tab\t", "bell\a", "rtl\u202etxt.exe", "", "   ", ".", strings.Repeat("a", 256), "bad\xffutf8", "file.txt:stream"} {
		if got, err := evidence.SanitizeName(name); !problem.Is(err, problem.Invalid) {
			t.Errorf("name %q: %q, %v", name, got, err)
		}
	}
	for name, want := range map[string]string{"laporan.pdf": "laporan.pdf", "  foto situs.png ": "foto situs.png", "data pemilih (1).xlsx": "data pemilih (1).xlsx", "tangkapan…layar.jpg": "tangkapan…layar.jpg"} {
		if got, err := evidence.SanitizeName(name); err != nil || got != want {
			t.Errorf("name %q: %q, %v", name, got, err)
		}
	}
	dir := t.TempDir()
	s := evidence.Store{Dir: dir}
	for _, folder := range []string{"", "../x", "a/../b", "/abs", "a//b", "a/", "a b", "a\\b", "."} {
		if _, _, err := s.Put(folder, "x.txt", strings.NewReader("x")); err == nil {
			t.Errorf("folder %q accepted", folder)
		}
	}
	if _, err := s.Open("1", evidence.File{SHA256: "../../../etc/passwd"}); err == nil || errors.Is(err, evidence.ErrTampered) {
		t.Errorf("a path as sha256: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad folders wrote %v", entries)
	}
}

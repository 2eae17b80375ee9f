// Package evidence keeps evidence files: stored by their SHA-256 under the
// data directory, with their size, a content type sniffed from the bytes
// and the client's name checked, and read back only while the bytes still
// hash to the name they are stored under. Patrol captures, takedown proof,
// scan responses and incident uploads are all evidence.
//
// It knows no domain and no database: the pillar that holds a file (an
// incident, a finding) keeps its own table, links, rights and chain of
// custody, and calls this package for the bytes. It must never use a
// client's file name as a path or trust a client's content type.
package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/problem"
)

// DefaultMaxBytes bounds one file unless the store says otherwise.
const DefaultMaxBytes = 50 << 20

// File is what the store knows of one stored file.
type File struct {
	SHA256      string // hex; the file's name on disk
	Size        int64
	ContentType string // sniffed from the first 512 bytes, never the client's
	Name        string // the client's name, checked by SanitizeName; never a path
}

// The actions of a chain of custody, as the pillars record them.
const (
	Uploaded   = "uploaded"
	Downloaded = "downloaded"
)

// Custody is one entry of a file's chain of custody: who did what to it,
// when, from where. The pillar that holds the file keeps these entries.
type Custody struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	ActorOrg string    `json:"actor_org"`
	Action   string    `json:"action"` // Uploaded, Downloaded
	Addr     string    `json:"addr,omitempty"`
}

// Store keeps files under Dir/evidence/<folder>/<sha256>. A folder is the
// holder's own ("12" for incident 12, "scan/7" for a scan), so a holder's
// files can be found and removed together; the same bytes in one folder
// are one file.
type Store struct {
	Dir      string // the platform's data directory; "" = no storage here
	MaxBytes int64  // 0 = DefaultMaxBytes
}

// ErrNoDir: this instance has no data directory to store evidence in.
var ErrNoDir = problem.New(problem.Unavailable, "evidence storage is not configured on this instance (no data directory)")

// ErrTampered: a stored file no longer hashes to its name, or is gone.
var ErrTampered = errors.New("evidence file does not match its SHA-256")

// Limit is the largest file the store accepts.
func (s Store) Limit() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxBytes
}

// Ready says whether the store can take files, before anyone reads an upload.
func (s Store) Ready() error {
	if s.Dir == "" {
		return ErrNoDir
	}
	return nil
}

// path is the file's place on disk; folder and sum are checked first.
func (s Store) path(folder, sum string) (string, error) {
	if err := s.Ready(); err != nil {
		return "", err
	}
	if !validFolder(folder) {
		return "", fmt.Errorf("evidence folder %q: want segments of letters, digits and dashes", folder)
	}
	if len(sum) != sha256.Size*2 || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", fmt.Errorf("evidence sha256 %q: want 64 lower-case hex digits", sum)
	}
	return filepath.Join(s.Dir, "evidence", filepath.FromSlash(folder), sum), nil
}

// validFolder accepts "12" or "scan/7": slash-separated segments of ASCII
// letters, digits and dashes, so a folder is never a path trick.
func validFolder(folder string) bool {
	if folder == "" || len(folder) > 200 {
		return false
	}
	for _, seg := range strings.Split(folder, "/") {
		if seg == "" {
			return false
		}
		for _, c := range seg {
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

// SanitizeName checks a client's file name: a plain name, no directories,
// no path tricks ("..", absolute paths, drive letters), no NUL or control
// characters, valid UTF-8, at most 255 bytes. It refuses rather than repairs.
func SanitizeName(name string) (string, error) {
	for _, r := range name {
		if r == 0 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", problem.Field("file", "the file name holds a NUL, control or formatting character")
		}
	}
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		return "", problem.Field("file", "the file has no name")
	case !utf8.ValidString(n) || len(n) > 255:
		return "", problem.Field("file", "the file name must be valid UTF-8 of at most 255 bytes")
	case strings.ContainsAny(n, `/\`) || strings.Contains(n, ".."):
		return "", problem.Field("file", "the file name %q holds a path: send a plain file name", n)
	case strings.Contains(n, ":"):
		return "", problem.Field("file", "the file name %q holds a colon (a drive letter or stream): send a plain file name", n)
	case n == ".":
		return "", problem.Field("file", "the file name %q is not a file name", n)
	}
	return n, nil
}

// Put stores body in folder under its SHA-256. A bad name, an empty body or
// one over the limit stores nothing. fresh says whether the file is new on
// disk: a caller whose own record of it then fails calls Discard, so that
// no file is left that nothing names.
func (s Store) Put(folder, name string, body io.Reader) (f File, fresh bool, err error) {
	if f.Name, err = SanitizeName(name); err != nil {
		return File{}, false, err
	}
	probe, err := s.path(folder, strings.Repeat("0", sha256.Size*2))
	if err != nil {
		return File{}, false, err
	}
	dir := filepath.Dir(probe)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return File{}, false, diskError(err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return File{}, false, diskError(err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // gone after the rename; removed on every failure
	}()
	h := sha256.New()
	var head [512]byte
	hn, err := io.ReadFull(body, head[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return File{}, false, readError(err, s.Limit())
	}
	limit := s.Limit()
	w := io.MultiWriter(tmp, h)
	if _, err := w.Write(head[:hn]); err != nil {
		return File{}, false, diskError(err)
	}
	n, err := io.Copy(w, io.LimitReader(body, limit-int64(hn)+1))
	if isDiskFull(err) {
		return File{}, false, diskError(err)
	} else if err != nil {
		return File{}, false, readError(err, limit)
	}
	if f.Size = int64(hn) + n; f.Size > limit {
		return File{}, false, tooLarge(limit)
	}
	if f.Size == 0 {
		return File{}, false, problem.Field("file", "the file is empty")
	}
	if err := tmp.Sync(); err != nil {
		return File{}, false, diskError(err)
	}
	if err := tmp.Close(); err != nil {
		return File{}, false, diskError(err)
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	f.ContentType = http.DetectContentType(head[:hn])
	final := filepath.Join(dir, f.SHA256)
	if _, err := os.Stat(final); errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(tmp.Name(), final); err != nil {
			return File{}, false, diskError(err)
		}
		fresh = true
	} else if err != nil {
		return File{}, false, fmt.Errorf("evidence store: %w", err)
	}
	return f, fresh, nil
}

// Discard removes a file Put stored fresh whose record failed.
func (s Store) Discard(folder, sum string) error {
	p, err := s.path(folder, sum)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("evidence store: %w", err)
	}
	return nil
}

// Open hands out a stored file after reading it through once: its size and
// SHA-256 must still be those recorded (ErrTampered otherwise, or if it is
// gone), so what a reader gets is what was stored. The caller closes it.
func (s Store) Open(folder string, f File) (*os.File, error) {
	p, err := s.path(folder, f.SHA256)
	if err != nil {
		return nil, err
	}
	file, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("evidence %s: %w (the file is gone)", f.SHA256, ErrTampered)
	} else if err != nil {
		return nil, fmt.Errorf("evidence store: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, file)
	if err == nil {
		_, err = file.Seek(0, io.SeekStart)
	}
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("evidence %s: %w", f.SHA256, err)
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		file.Close()
		return nil, fmt.Errorf("evidence %s (%d bytes on disk, %d recorded): %w", f.SHA256, n, f.Size, ErrTampered)
	}
	return file, nil
}

// ErrFull: the evidence store's disk is full (or the quota or file size
// limit reached); the file was not stored. An API client sees 503
// unavailable with this message, and sends the file again later.
var ErrFull = problem.New(problem.Unavailable, "the evidence store's disk is full: the file was not stored, and nothing else changed; an administrator must free space on the server, then send the file again")

// isDiskFull says whether err is the file system refusing a write for
// want of space: ENOSPC, EDQUOT, or EFBIG (the process's file size limit).
func isDiskFull(err error) bool {
	return err != nil && (errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG))
}

// diskError names a full disk as ErrFull and wraps anything else.
func diskError(err error) error {
	if isDiskFull(err) {
		return fmt.Errorf("%w (%v)", ErrFull, err)
	}
	return fmt.Errorf("evidence store: %w", err)
}

func tooLarge(limit int64) error {
	return problem.New(problem.BodyTooLarge, "the file is larger than the evidence limit of %d bytes (%d MiB)", limit, limit>>20)
}

func readError(err error, limit int64) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return tooLarge(limit)
	}
	return problem.New(problem.BadRequest, "the upload broke off: %v", err)
}

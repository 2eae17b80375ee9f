package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/secret"
	"github.com/garda-id/garda/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// dataDir makes a data dir as garda serve leaves it: a migrated database,
// n events in the embedded JetStream store, one evidence file.
func dataDir(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `CREATE TABLE drill (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 50; i++ {
		db.Exec(ctx, `INSERT INTO drill (n) VALUES (?)`, i)
	}
	// The key that seals partners' secrets (package secret): without it a
	// restored database's subscriptions cannot pull.
	if _, err := db.Secrets(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := bus.Open(ctx, bus.Config{DataDir: dir, EventMaxBytes: -1}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := b.Publish(ctx, b.Subject(bus.Events, "drill"), []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()
	body := []byte("bukti: tangkapan layar")
	sum := sha256.Sum256(body)
	ev := filepath.Join(dir, "evidence", "7", hex.EncodeToString(sum[:]))
	os.MkdirAll(filepath.Dir(ev), 0o700)
	if err := os.WriteFile(ev, body, 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "evidence", "7", ".upload-123"), []byte("half"), 0o600)
	return dir
}

func archiveOf(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	m, err := Create(context.Background(), Options{DataDir: dir, Log: quiet}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if m.Database != "sqlite" || m.JetStream != "embedded" {
		t.Fatalf("manifest: database %q, jetstream %q", m.Database, m.JetStream)
	}
	for _, f := range m.Files {
		if strings.Contains(f.Path, ".upload-") {
			t.Errorf("a half-written upload was archived: %s", f.Path)
		}
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := dataDir(t, 120)
	arch := archiveOf(t, src)
	dst := filepath.Join(t.TempDir(), "restored")
	res, err := Restore(ctx, bytes.NewReader(arch), RestoreOptions{DataDir: dst})
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(src, secret.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dst, secret.KeyFile)); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("the secret key was not restored: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(dst, secret.KeyFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored secret key mode %v", fi.Mode().Perm())
	}
	var events uint64
	for _, s := range res.Manifest.Streams {
		if strings.HasSuffix(s.Name, "EVENTS") {
			events = s.Messages
		}
	}
	if events != 120 {
		t.Errorf("manifest counts %d events, 120 were published", events)
	}
	db, err := store.Open(ctx, "", dst)
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	db.QueryRow(ctx, `SELECT count(*) FROM drill`).Scan(&rows)
	db.Close()
	if rows != 50 {
		t.Errorf("restored database has %d rows, want 50", rows)
	}
	b, err := bus.Open(ctx, bus.Config{DataDir: dst, EventMaxBytes: -1}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, err := b.StreamStats(ctx, bus.Events)
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 120 {
		t.Errorf("restored events stream holds %d messages, want 120", st.Messages)
	}
	if _, err := os.Stat(filepath.Join(dst, "evidence", "7")); err != nil {
		t.Errorf("evidence not restored: %v", err)
	}
}

// rewrite re-packs an archive, letting edit change each entry's body (or
// drop it by returning nil).
func rewrite(t *testing.T, arch []byte, edit func(name string, body []byte) []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(arch))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if body = edit(h.Name, body); body == nil {
			continue
		}
		h.Size = int64(len(body))
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.Close()
	gw.Close()
	return out.Bytes()
}

func TestRestoreRefusesDamage(t *testing.T) {
	arch := archiveOf(t, dataDir(t, 10))
	flip := func(target string) func(string, []byte) []byte {
		return func(name string, b []byte) []byte {
			if strings.HasPrefix(name, target) && len(b) > 0 {
				b = append([]byte(nil), b...)
				b[len(b)/2] ^= 0x40
			}
			return b
		}
	}
	cases := map[string]struct {
		arch []byte
		want string
	}{
		"flipped byte in the database": {rewrite(t, arch, flip("garda.db")), "garda.db has SHA-256"},
		"flipped byte in evidence":     {rewrite(t, arch, flip("evidence/")), "the manifest says"},
		"flipped byte in jetstream": {rewrite(t, arch, func(n string, b []byte) []byte {
			if strings.HasSuffix(n, ".blk") {
				return flip("")(n, b)
			}
			return b
		}), "the manifest says"},
		"file missing": {rewrite(t, arch, func(n string, b []byte) []byte {
			if strings.HasPrefix(n, "evidence/") {
				return nil
			}
			return b
		}), "not in the archive"},
		"no manifest": {rewrite(t, arch, func(n string, b []byte) []byte {
			if n == ManifestName {
				return nil
			}
			return b
		}), "no MANIFEST.json"},
		"cut short":        {arch[:len(arch)*2/3], "cut short"},
		"not an archive":   {[]byte("hello"), "not a gzip"},
		"compressed bytes": {append(append([]byte(nil), arch[:len(arch)/2]...), append([]byte{arch[len(arch)/2] ^ 1}, arch[len(arch)/2+1:]...)...), "damaged"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "restored")
			_, err := Restore(context.Background(), bytes.NewReader(c.arch), RestoreOptions{DataDir: dst})
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("restore of a damaged archive: %v; want ErrDamaged saying %q", err, c.want)
			}
			if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a damaged archive left a data dir behind: %v", err)
			}
			left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".*restore*"))
			if len(left) > 0 {
				t.Errorf("work files left: %v", left)
			}
		})
	}
}

func TestRestoreRefusesNonEmptyUnlessForced(t *testing.T) {
	ctx := context.Background()
	arch := archiveOf(t, dataDir(t, 3))
	dst := filepath.Join(t.TempDir(), "live")
	os.MkdirAll(dst, 0o750)
	os.WriteFile(filepath.Join(dst, "garda.db"), []byte("the one in use"), 0o600)
	if _, err := Restore(ctx, bytes.NewReader(arch), RestoreOptions{DataDir: dst}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore over a data dir with files: %v, want ErrNotEmpty", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "garda.db")); string(b) != "the one in use" {
		t.Fatal("a refused restore changed the data dir")
	}
	res, err := Restore(ctx, bytes.NewReader(arch), RestoreOptions{DataDir: dst, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(res.MovedAside, "garda.db")); string(b) != "the one in use" {
		t.Errorf("the earlier files were not kept in %q", res.MovedAside)
	}
	if _, err := checkSQLite(ctx, filepath.Join(dst, "garda.db")); err != nil {
		t.Errorf("forced restore: %v", err)
	}
	// An empty directory is a fresh one.
	empty := filepath.Join(t.TempDir(), "empty")
	os.MkdirAll(empty, 0o750)
	if _, err := Restore(ctx, bytes.NewReader(arch), RestoreOptions{DataDir: empty}); err != nil {
		t.Errorf("restore into an empty directory: %v", err)
	}
}

// TestBackupWhileWriting copies the database while a writer commits rows:
// the copy holds every row committed before the backup began, and is whole.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	src := dataDir(t, 0)
	db, err := store.Open(ctx, "", src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := make(chan struct{})
	done := make(chan int64)
	go func() {
		var n int64 = 1000
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			n++
			if _, err := db.Exec(ctx, `INSERT INTO drill (n) VALUES (?)`, n); err != nil {
				t.Error(err)
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	var before int64
	db.QueryRow(ctx, `SELECT max(n) FROM drill`).Scan(&before)
	var buf bytes.Buffer
	if _, err := Create(ctx, Options{DataDir: src, Log: quiet}, &buf); err != nil {
		t.Fatal(err)
	}
	close(stop)
	last := <-done
	dst := filepath.Join(t.TempDir(), "r")
	if _, err := Restore(ctx, &buf, RestoreOptions{DataDir: dst}); err != nil {
		t.Fatal(err)
	}
	rdb, err := store.Open(ctx, "", dst)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	var got, count int64
	rdb.QueryRow(ctx, `SELECT max(n), count(*) FROM drill`).Scan(&got, &count)
	if got < before {
		t.Errorf("the copy ends at row %d; row %d was committed before the backup began", got, before)
	}
	if count != 50+(got-1000) {
		t.Errorf("the copy has %d rows up to %d: a gap", count, got)
	}
	t.Logf("rows committed before the backup: up to %d; in the copy: up to %d; written by the end: %d", before, got, last)
}

package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// ErrDamaged: the archive does not match its manifest, or cannot be read.
// Nothing was restored.
var ErrDamaged = errors.New("the backup archive is damaged")

// ErrNotEmpty: the target data dir holds files and Force was not given.
var ErrNotEmpty = errors.New("the data dir is not empty")

// RestoreOptions say where to restore.
type RestoreOptions struct {
	DataDir string
	// Force restores over a data dir that holds files: they are moved to
	// a sibling directory named <data dir>.replaced-<time>, never deleted.
	Force bool
	// Database, when the archive holds a PostgreSQL dump, is the empty
	// database to restore it into with pg_restore ("" leaves the dump in
	// the data dir for the administrator). PGRestore is the program (""
	// finds pg_restore on PATH).
	Database, PGRestore string
}

// RestoreResult says what Restore did.
type RestoreResult struct {
	Manifest *Manifest
	// Database says the PostgreSQL dump was loaded with pg_restore.
	Database bool
	// MovedAside is where the target's earlier files went (Force), or "".
	MovedAside string
}

// Restore unpacks the archive read from r into o.DataDir after checking
// every file against the manifest. On any mismatch it restores nothing.
func Restore(ctx context.Context, r io.Reader, o RestoreOptions) (*RestoreResult, error) {
	target, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, err
	}
	existing, readErr := os.ReadDir(target)
	switch {
	case errors.Is(readErr, os.ErrNotExist):
	case readErr != nil:
		return nil, fmt.Errorf("data dir %s: %w", target, readErr)
	case len(existing) > 0 && !o.Force:
		return nil, fmt.Errorf("%w: %s holds %d entries (%s...); restore into a new or empty directory, or pass --force to move its files aside first", ErrNotEmpty, target, len(existing), existing[0].Name())
	}
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return nil, err
	}
	// Unpack beside the target, on the same file system, so the final move
	// is a rename.
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(target)+".restore-")
	if err != nil {
		return nil, fmt.Errorf("restore work dir: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(stage)
		}
	}()
	m, err := unpack(r, stage)
	if err != nil {
		return nil, err
	}
	if m.Database == "sqlite" {
		if _, err := checkSQLite(ctx, filepath.Join(stage, store.SQLiteFile)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
	}
	res := &RestoreResult{Manifest: m}
	if len(existing) > 0 {
		res.MovedAside = target + ".replaced-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(target, res.MovedAside); err != nil {
			return nil, fmt.Errorf("move the earlier data dir aside: %w", err)
		}
	} else if readErr == nil {
		// An empty directory: replaced by the unpacked one.
		if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if err := os.Rename(stage, target); err != nil {
		return nil, fmt.Errorf("move the restored files into place: %w", err)
	}
	if err := os.Chmod(target, 0o750); err != nil {
		return nil, err
	}
	done = true
	if o.Database != "" && strings.HasPrefix(m.Database, "postgresql: "+PGDumpFile) {
		if err := pgRestore(ctx, o.PGRestore, o.Database, filepath.Join(target, PGDumpFile), o.Force); err != nil {
			return res, fmt.Errorf("the data dir's files are restored in %s, the database is not: %w", target, err)
		}
		res.Database = true
	}
	return res, nil
}

// pgRestore loads dump into the database dsn, which must hold no Garda
// schema unless force.
func pgRestore(ctx context.Context, prog, dsn, dump string, force bool) error {
	db, err := store.Open(ctx, dsn, "")
	if err != nil {
		return err
	}
	var n int
	err = db.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n)
	db.Close()
	if err != nil {
		return fmt.Errorf("look into the target database: %w", err)
	}
	if n > 0 && !force {
		return fmt.Errorf("%w: the target database holds %d tables; restore into a new database (createdb), or pass --force to pg_restore --clean over it", ErrNotEmpty, n)
	}
	if prog == "" {
		prog = "pg_restore"
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return fmt.Errorf("%s not found (Debian: apt-get install postgresql-client): %w", prog, err)
	}
	args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname", dsn}
	if n > 0 {
		args = append(args, "--clean", "--if-exists")
	}
	out, err := exec.CommandContext(ctx, path, append(args, dump)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_restore: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// unpack writes every archived file under dir, hashing each, and checks
// them against the manifest (the last entry).
func unpack(r io.Reader, dir string) (*Manifest, error) {
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s; nothing was restored", ErrDamaged, fmt.Sprintf(format, args...))
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, damaged("not a gzip-compressed Garda backup (%v)", err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]File{}
	var manifest []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, damaged("the archive is cut short after %d files", len(seen))
		} else if err != nil {
			return nil, damaged("reading the archive after %d files: %v", len(seen), err)
		}
		if manifest != nil {
			return nil, damaged("entry %q follows the manifest", h.Name)
		}
		if h.Typeflag != tar.TypeReg {
			return nil, damaged("entry %q is not a regular file", h.Name)
		}
		if h.Name == ManifestName {
			if manifest, err = io.ReadAll(io.LimitReader(tr, 64<<20)); err != nil {
				return nil, damaged("reading the manifest: %v", err)
			}
			continue
		}
		name := path.Clean(h.Name)
		if name != h.Name || path.IsAbs(name) || name == "." || strings.HasPrefix(name, "../") || name == ".." || strings.Contains(name, "\\") {
			return nil, damaged("entry %q is not a plain relative path", h.Name)
		}
		if _, dup := seen[name]; dup {
			return nil, damaged("entry %q appears twice", name)
		}
		f, err := writeFile(filepath.Join(dir, filepath.FromSlash(name)), tr, h)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, damaged("the archive is cut short inside entry %q", name)
		} else if err != nil {
			return nil, damaged("entry %q: %v", name, err)
		}
		f.Path = name
		seen[name] = f
	}
	// Read to the end: gzip checks its CRC only there.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, damaged("%v", err)
	}
	if manifest == nil {
		return nil, damaged("it has no %s (cut short, or not a Garda backup)", ManifestName)
	}
	var m Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, damaged("the manifest is not valid JSON: %v", err)
	}
	if m.Format != Format {
		return nil, damaged("format %q, this Garda restores %q", m.Format, Format)
	}
	for _, want := range m.Files {
		got, ok := seen[want.Path]
		switch {
		case !ok:
			return nil, damaged("%s is in the manifest but not in the archive", want.Path)
		case got.Size != want.Size || got.SHA256 != want.SHA256:
			return nil, damaged("%s has SHA-256 %s (%d bytes), the manifest says %s (%d bytes)", want.Path, got.SHA256, got.Size, want.SHA256, want.Size)
		}
		delete(seen, want.Path)
	}
	for p := range seen {
		return nil, damaged("%s is in the archive but not in the manifest", p)
	}
	return &m, nil
}

func writeFile(p string, r io.Reader, h *tar.Header) (File, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return File{}, err
	}
	out, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return File{}, err
	}
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, hash), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, err
	}
	if n != h.Size {
		return File{}, fmt.Errorf("%d bytes, header says %d", n, h.Size)
	}
	return File{Size: n, SHA256: hex.EncodeToString(hash.Sum(nil))}, nil
}

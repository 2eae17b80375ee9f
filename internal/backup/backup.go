// Package backup writes a Garda data dir into one archive and restores it:
// the SQLite database as an online copy (VACUUM INTO, safe while garda
// serve writes), the evidence files, the embedded JetStream store (copied,
// then recovered and checked by a private server before it is archived),
// the audit anchor's key and checkpoints, and the rest of the data dir's
// files; with a manifest of every file's SHA-256 as the archive's last entry.
//
// Restore trusts nothing it has not hashed: it unpacks beside the target,
// checks every file against the manifest, and only then moves the files into
// place. It never writes over a data dir that holds anything unless told to,
// and then moves the old files aside instead of deleting them.
//
// PostgreSQL is not copied here: pg_dump does that (see the README). A
// backup of a PostgreSQL deployment holds the data dir's files only, and
// says so in its manifest.
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
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/store"
)

// Format names the archive layout; Restore refuses any other.
const Format = "garda-backup/1"

// ManifestName is the manifest's name in the archive (its last entry).
const ManifestName = "MANIFEST.json"

// Manifest says what an archive holds.
type Manifest struct {
	Format   string    `json:"format"`
	Created  time.Time `json:"created"`
	Version  string    `json:"garda_version"`
	Database string    `json:"database"` // "sqlite" (in the archive) or a note why not
	// Audit is the chain in the archived database: entries and head hash.
	Audit     *AuditHead `json:"audit,omitempty"`
	JetStream string     `json:"jetstream"` // "embedded" (in the archive) or a note why not
	Streams   []Stream   `json:"streams,omitempty"`
	Files     []File     `json:"files"`
}

// AuditHead is the audit chain's head in the archived database.
type AuditHead struct {
	Entries int64  `json:"entries"`
	Hash    string `json:"hash"`
}

// Stream is one JetStream stream as archived.
type Stream struct {
	Name     string `json:"name"`
	Messages uint64 `json:"messages"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
}

// File is one archived file: its path in the data dir (slash-separated).
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Options say what to back up.
type Options struct {
	DataDir string
	// Database is the store's DSN: "" for SQLite in DataDir.
	Database string
	// NATS is the bus URL: "" for the embedded server in DataDir.
	NATS string
	// AuditKey and AuditCheckpoints are the anchor's files when kept
	// outside the data dir ("" for the defaults inside it).
	AuditKey, AuditCheckpoints string
	// PGDump is the pg_dump program for a PostgreSQL database ("" finds
	// pg_dump on PATH). SkipDatabase leaves the database out (dumped
	// elsewhere).
	PGDump       string
	SkipDatabase bool
	// TempDir holds the working copies ("" for the system's).
	TempDir string
	Version string
	Log     *slog.Logger
}

// Create writes the archive of o.DataDir to w (a gzip-compressed tar) and
// returns its manifest.
func Create(ctx context.Context, o Options, w io.Writer) (*Manifest, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if fi, err := os.Stat(o.DataDir); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("data dir %s is not a directory", o.DataDir)
	}
	work, err := os.MkdirTemp(o.TempDir, "garda-backup-")
	if err != nil {
		return nil, fmt.Errorf("backup work dir: %w", err)
	}
	defer os.RemoveAll(work)

	m := &Manifest{Format: Format, Created: time.Now().UTC(), Version: o.Version, Files: []File{}}
	gz := gzip.NewWriter(w)
	a := &archive{tw: tar.NewWriter(gz), m: m}

	// The anchor's checkpoints first: every checkpoint in the copy then
	// signs a head the database copy, taken after, holds.
	keyPath, cpPath := o.AuditKey, o.AuditCheckpoints
	if keyPath == "" {
		keyPath = filepath.Join(o.DataDir, audit.KeyFile)
	}
	if cpPath == "" {
		cpPath = filepath.Join(o.DataDir, audit.CheckpointsFile)
	}
	for name, src := range map[string]string{audit.CheckpointsFile: cpPath, audit.KeyFile: keyPath} {
		if err := a.addFile(name, src); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}

	// The database.
	if o.Database == "" {
		snap := filepath.Join(work, store.SQLiteFile)
		head, err := sqliteSnapshot(ctx, o.DataDir, snap)
		if err != nil {
			return nil, err
		}
		m.Database, m.Audit = "sqlite", head
		if err := a.addFile(store.SQLiteFile, snap); err != nil {
			return nil, err
		}
		os.Remove(snap)
	} else if o.SkipDatabase {
		m.Database = "postgresql: not in this archive (--skip-database); back it up with pg_dump (README, Backups and restore)"
	} else {
		// Between the checkpoints and the evidence, as for SQLite: every
		// signed checkpoint is in the dump, every evidence row's file in
		// the archive.
		dump := filepath.Join(work, PGDumpFile)
		if err := pgDump(ctx, o.PGDump, o.Database, dump); err != nil {
			return nil, err
		}
		m.Database = "postgresql: " + PGDumpFile + " (pg_dump custom format)"
		if err := a.addFile(PGDumpFile, dump); err != nil {
			return nil, err
		}
		os.Remove(dump)
	}

	// The embedded JetStream store.
	if o.NATS == "" {
		if _, err := os.Stat(filepath.Join(o.DataDir, "nats")); err == nil {
			streams, err := jetstreamSnapshot(ctx, filepath.Join(o.DataDir, "nats"), work, o.Log)
			if err != nil {
				return nil, err
			}
			m.JetStream, m.Streams = "embedded", streams
			if err := a.addTree("nats", filepath.Join(work, "nats")); err != nil {
				return nil, err
			}
		} else {
			m.JetStream = "embedded: no store in the data dir yet"
		}
	} else {
		m.JetStream = "external NATS: not in this archive; its streams are kept by the NATS cluster"
	}

	// Evidence and every other file of the data dir.
	entries, err := os.ReadDir(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("read data dir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == "nats" || name == audit.CheckpointsFile || name == audit.KeyFile,
			name == store.SQLiteFile, name == store.SQLiteFile+"-wal", name == store.SQLiteFile+"-shm":
			continue
		case e.IsDir():
			if err := a.addTree(name, filepath.Join(o.DataDir, name)); err != nil {
				return nil, err
			}
		case e.Type().IsRegular():
			if err := a.addFile(name, filepath.Join(o.DataDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
	}

	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := a.tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(body)), ModTime: m.Created, Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if _, err := a.tw.Write(body); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if err := a.tw.Close(); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	return m, nil
}

type archive struct {
	tw *tar.Writer
	m  *Manifest
}

// addFile archives the file at src under name, hashing what it writes.
func (a *archive) addFile(name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("back up %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("back up %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	// The size is fixed in the header: a file that grows while it is read
	// (an appended log) is archived as it was when opened.
	size := fi.Size()
	if err := a.tw.WriteHeader(&tar.Header{Name: name, Mode: int64(fi.Mode().Perm()), Size: size, ModTime: fi.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(a.tw, h), io.LimitReader(f, size))
	if err != nil {
		return fmt.Errorf("back up %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("back up %s: it shrank from %d to %d bytes while being read", name, size, n)
	}
	a.m.Files = append(a.m.Files, File{Path: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// addTree archives the regular files under dir as prefix/..., skipping the
// half-written uploads (dot files) a store may hold.
func (a *archive) addTree(prefix, dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("back up %s: %w", prefix, err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		if err := a.addFile(prefix+"/"+filepath.ToSlash(rel), p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// sqliteSnapshot copies the live database with VACUUM INTO (one read
// transaction: a consistent copy while writers go on) and checks the copy.
func sqliteSnapshot(ctx context.Context, dataDir, to string) (*AuditHead, error) {
	if _, err := os.Stat(filepath.Join(dataDir, store.SQLiteFile)); err != nil {
		return nil, fmt.Errorf("no Garda database in data dir %s: %w", dataDir, err)
	}
	db, err := store.Open(ctx, "", dataDir)
	if err != nil {
		return nil, err
	}
	_, err = db.Exec(ctx, `VACUUM INTO ?`, to)
	db.Close()
	if err != nil {
		return nil, fmt.Errorf("copy the database (VACUUM INTO): %w", err)
	}
	return checkSQLite(ctx, to)
}

// checkSQLite runs SQLite's integrity check on the database file at path
// and reads its audit head.
func checkSQLite(ctx context.Context, path string) (*AuditHead, error) {
	db, err := store.Open(ctx, "sqlite:"+path, "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return nil, fmt.Errorf("database integrity check: %w", err)
	}
	if res != "ok" {
		return nil, fmt.Errorf("database integrity check of %s: %s", path, res)
	}
	head := &AuditHead{}
	if err := db.QueryRow(ctx, `SELECT seq, hash FROM audit_head`).Scan(&head.Entries, &head.Hash); err != nil {
		if errors.Is(err, store.ErrNotFound) || strings.Contains(err.Error(), "no such table") {
			return nil, nil
		}
		return nil, fmt.Errorf("read the audit head: %w", err)
	}
	return head, nil
}

// jetstreamSnapshot copies the live JetStream store at src into work/nats,
// then opens a private server on the copy: it recovers the copy as after a
// crash (a record cut by the copy is dropped; an acknowledged one was on
// disk before the copy began, since the store writes before it
// acknowledges) and reports what each stream holds.
func jetstreamSnapshot(ctx context.Context, src, work string, log *slog.Logger) ([]Stream, error) {
	dst := filepath.Join(work, "nats")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o750)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		err = copyFile(p, target)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a block removed by the server while copying
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy the JetStream store: %w", err)
	}
	b, err := bus.Open(ctx, bus.Config{DataDir: work, EventMaxBytes: -1, Name: "garda-backup"}, log)
	if err != nil {
		return nil, fmt.Errorf("check the JetStream copy: %w", err)
	}
	stats, err := b.Stats(ctx)
	b.Close()
	if err != nil {
		return nil, fmt.Errorf("check the JetStream copy: %w", err)
	}
	var out []Stream
	for _, s := range stats {
		out = append(out, Stream{Name: s.Name, Messages: s.Messages, FirstSeq: s.FirstSeq, LastSeq: s.LastSeq})
	}
	return out, nil
}

// PGDumpFile is the PostgreSQL dump's name in the archive and, once
// restored, in the data dir.
const PGDumpFile = "postgresql.dump"

// pgDump runs pg_dump on the database dsn into file, in its custom format
// (compressed, restored table by table by pg_restore). pg_dump reads one
// snapshot, so the dump is consistent while Garda writes.
func pgDump(ctx context.Context, prog, dsn, file string) error {
	if prog == "" {
		prog = "pg_dump"
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return fmt.Errorf("back up the PostgreSQL database: %s not found (Debian: apt-get install postgresql-client, of the server's major version or newer); or pass --skip-database and dump it yourself: %w", prog, err)
	}
	cmd := exec.CommandContext(ctx, path, "--format=custom", "--no-owner", "--no-privileges", "--file", file, "--dbname", dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_dump: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/backup"
	"github.com/garda-id/garda/internal/platform"
)

func backupCmd() *cobra.Command {
	var cfg platform.Config
	var out, tmp string
	var skipDB bool
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write the data dir (SQLite database, evidence, JetStream, audit anchor) into one archive with a manifest of SHA-256 hashes; safe while garda serve runs",
		Long: `backup writes one gzip-compressed tar archive of a data dir:
  - the SQLite database, copied online with VACUUM INTO and checked (PRAGMA integrity_check);
  - the embedded JetStream store, copied, recovered by a private server and counted;
  - the evidence files and every other file of the data dir;
  - the audit anchor's key and signed checkpoints;
  - MANIFEST.json, the last entry: every file's size and SHA-256, the audit head, the streams' counts.
garda serve may keep running. With --database postgres://... the archive holds the database as
postgresql.dump, made by pg_dump (custom format; pg_dump of the server's major version or newer
must be on PATH), unless --skip-database. See the README, "Backups and restore".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("name the archive with --out FILE (or --out - for standard output)")
			}
			w := cmd.OutOrStdout()
			report := cmd.OutOrStdout()
			var f *os.File
			if out != "-" {
				if abs, err := filepath.Abs(out); err == nil {
					if dd, err := filepath.Abs(cfg.DataDir); err == nil && isUnder(abs, dd) {
						return fmt.Errorf("the archive %s would be inside the data dir %s it backs up: write it elsewhere", abs, dd)
					}
				}
				var err error
				// Written beside its final name and renamed when complete:
				// a backup cut short never looks like a finished one.
				if f, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".part-"); err != nil {
					return fmt.Errorf("create the archive: %w", err)
				}
				defer func() {
					f.Close()
					os.Remove(f.Name())
				}()
				w = f
			} else {
				report = cmd.ErrOrStderr()
			}
			m, err := backup.Create(cmd.Context(), backup.Options{
				DataDir: cfg.DataDir, Database: cfg.Database, NATS: cfg.NATS,
				AuditKey: cfg.AuditKey, AuditCheckpoints: cfg.AuditCheckpoints,
				TempDir: tmp, Version: version, Log: logger(io.Discard), SkipDatabase: skipDB,
			}, w)
			if err != nil {
				return err
			}
			if f != nil {
				if err := f.Sync(); err != nil {
					return fmt.Errorf("write the archive: %w", err)
				}
				if err := f.Close(); err != nil {
					return fmt.Errorf("write the archive: %w", err)
				}
				if err := os.Rename(f.Name(), out); err != nil {
					return fmt.Errorf("write the archive: %w", err)
				}
			}
			var bytes int64
			for _, f := range m.Files {
				bytes += f.Size
			}
			fmt.Fprintf(report, "backup written: %s, %d files, %d bytes before compression\n", out, len(m.Files), bytes)
			fmt.Fprintf(report, "  database:  %s\n", m.Database)
			if m.Audit != nil {
				fmt.Fprintf(report, "  audit:     %d entries, head %s\n", m.Audit.Entries, m.Audit.Hash)
			}
			fmt.Fprintf(report, "  jetstream: %s\n", m.JetStream)
			for _, s := range m.Streams {
				fmt.Fprintf(report, "    %-18s %d messages (seq %d-%d)\n", s.Name, s.Messages, s.FirstSeq, s.LastSeq)
			}
			return nil
		},
	}
	storeFlags(cmd, &cfg)
	auditAnchorFlags(cmd, &cfg)
	cmd.Flags().StringVar(&cfg.NATS, "nats", envOr("GARDA_NATS", ""), "NATS: empty for the embedded JetStream server in the data dir (archived), or nats:// URL(s) (not archived) (GARDA_NATS)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "archive file to write (- for standard output)")
	cmd.Flags().BoolVar(&skipDB, "skip-database", false, "with a PostgreSQL database: leave it out of the archive (you dump it yourself)")
	cmd.Flags().StringVar(&tmp, "tmp-dir", "", "directory for the working copies of the database and JetStream store (default: the system's)")
	return cmd
}

func restoreCmd() *cobra.Command {
	var dataDir, database string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore ARCHIVE",
		Short: "Check a backup archive against its manifest and restore it into a new data dir",
		Long: `restore unpacks an archive made by garda backup beside the target data dir, checks every
file's SHA-256 against the manifest and the database with SQLite's integrity check, and only then
moves the files into place. A damaged archive restores nothing (exit 2). A data dir that holds
files is refused unless --force is given; then its files are moved to <data dir>.replaced-<time>,
never deleted. Stop garda serve before restoring over its data dir. ARCHIVE - reads standard input.
An archive of a PostgreSQL deployment holds postgresql.dump: with --database URL of a new, empty
database, restore loads it with pg_restore (on PATH); without, it is left in the data dir.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			res, err := backup.Restore(cmd.Context(), r, backup.RestoreOptions{DataDir: dataDir, Force: force, Database: database})
			if errors.Is(err, backup.ErrDamaged) {
				return &exitError{code: 2, err: err}
			} else if err != nil {
				return err
			}
			m := res.Manifest
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "restored %d files into %s (backup of %s, garda %s)\n", len(m.Files), dataDir, m.Created.Format("2006-01-02 15:04:05Z"), m.Version)
			fmt.Fprintf(out, "  database:  %s\n", m.Database)
			if m.Audit != nil {
				fmt.Fprintf(out, "  audit:     %d entries, head %s; check with: garda audit verify --data-dir %s\n", m.Audit.Entries, m.Audit.Hash, dataDir)
			}
			fmt.Fprintf(out, "  jetstream: %s\n", m.JetStream)
			if res.Database {
				fmt.Fprintf(out, "  the PostgreSQL dump is loaded into %s (pg_restore)\n", redactDSN(database))
			} else if strings.HasPrefix(m.Database, "postgresql: "+backup.PGDumpFile) {
				fmt.Fprintf(out, "  the PostgreSQL dump is %s: load it into a new database with --database, or: pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname URL %s\n",
					filepath.Join(dataDir, backup.PGDumpFile), filepath.Join(dataDir, backup.PGDumpFile))
			}
			if res.MovedAside != "" {
				fmt.Fprintf(out, "  the data dir's earlier files are in %s\n", res.MovedAside)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("GARDA_DATA_DIR", "./garda-data"), "data dir to restore into: new or empty unless --force (GARDA_DATA_DIR)")
	cmd.Flags().BoolVar(&force, "force", false, "restore over a data dir that holds files, moving them aside first (and over a database that holds tables)")
	cmd.Flags().StringVar(&database, "database", "", "a new, empty PostgreSQL database (postgres:// URL) to load the archive's PostgreSQL dump into with pg_restore")
	return cmd
}

// redactDSN hides a URL's password.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	return dsn
}

// isUnder says whether path p lies inside dir.
func isUnder(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !filepath.IsAbs(rel) && (len(rel) < 3 || rel[:3] != ".."+string(filepath.Separator))
}

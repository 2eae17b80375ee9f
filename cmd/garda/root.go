package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var p *problem.Error
	if errors.As(err, &p) {
		fmt.Fprintf(stderr, "garda: %s\n", p.Error())
	} else {
		fmt.Fprintf(stderr, "garda: %v\n", err)
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "garda",
		Short: "Garda: the election cyber-defence platform of Indonesia's task force",
		Long: `Garda watches the election systems, detects and blocks attacks, handles incidents
across agencies and regions, and reports up from regency to province to the national desk.

Every flag has a GARDA_* environment variable fallback (--data-dir: GARDA_DATA_DIR, ...).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		serveCmd(), demoCmd(), migrateCmd(), userCmd(), tokenCmd(), auditCmd(), bouncerCmd(), decisionCmd(), detectCmd(), ingestCmd(), simulateCmd(newIngestClient), incidentCmd(), scanCmd(),
		piiCmd(),
		lookalikeCmd(),
		hoaxCmd(),
		resolverCmd(), takedownCmd(),
		intelCmd(),
		backupCmd(), restoreCmd(),
		natsNodeCmd(),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "garda", version) },
		},
	)
	return root
}

// envOr is a flag default taken from the environment when set.
func envOr(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return fallback
}

// envInt is envOr for a whole number; a value that is not one is said and
// the fallback used.
func envInt(name string, fallback int64) int64 {
	v, ok := os.LookupEnv(name)
	if !ok {
		return fallback
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "garda: %s=%q is not a whole number of zero or more; using %d\n", name, v, fallback)
		return fallback
	}
	return n
}

// storeFlags are the flags of every command that touches the database.
func storeFlags(cmd *cobra.Command, cfg *platform.Config) {
	cmd.Flags().StringVar(&cfg.DataDir, "data-dir", envOr("GARDA_DATA_DIR", "./garda-data"), "directory for the SQLite database, embedded NATS and files (GARDA_DATA_DIR)")
	cmd.Flags().StringVar(&cfg.Database, "database", envOr("GARDA_DATABASE", ""), "database: empty for SQLite in the data dir, or a postgres:// URL (GARDA_DATABASE)")
}

// auditAnchorFlags are the flags naming the audit anchor's files, kept
// outside the database.
func auditAnchorFlags(cmd *cobra.Command, cfg *platform.Config) {
	cmd.Flags().StringVar(&cfg.AuditKey, "audit-key", envOr("GARDA_AUDIT_KEY", ""), "file of the key that signs audit checkpoints; empty: audit-anchor.key in the data dir (GARDA_AUDIT_KEY)")
	cmd.Flags().StringVar(&cfg.AuditCheckpoints, "audit-checkpoints", envOr("GARDA_AUDIT_CHECKPOINTS", ""), "file the signed audit checkpoints are appended to; empty: audit-checkpoints.jsonl in the data dir (GARDA_AUDIT_CHECKPOINTS)")
}

// serverFlags are the flags of the commands that run the platform.
func serverFlags(cmd *cobra.Command, cfg *platform.Config) {
	storeFlags(cmd, cfg)
	auditAnchorFlags(cmd, cfg)
	cmd.Flags().StringVar(&cfg.Addr, "addr", envOr("GARDA_ADDR", "127.0.0.1:8080"), "HTTP listen address (GARDA_ADDR)")
	cmd.Flags().StringVar(&cfg.NATS, "nats", envOr("GARDA_NATS", ""), "NATS: empty for the embedded JetStream server, or nats:// URL(s) (GARDA_NATS)")
	cmd.Flags().IntVar(&cfg.NATSReplicas, "nats-replicas", int(envInt("GARDA_NATS_REPLICAS", 1)), "replicas of each JetStream stream on a NATS cluster: 3 keeps every stored event through the loss of one node (GARDA_NATS_REPLICAS)")
	cmd.Flags().StringVar(&cfg.TLSCert, "tls-cert", envOr("GARDA_TLS_CERT", ""), "serve HTTPS with this certificate file (GARDA_TLS_CERT)")
	cmd.Flags().StringVar(&cfg.TLSKey, "tls-key", envOr("GARDA_TLS_KEY", ""), "the certificate's key file (GARDA_TLS_KEY)")
	cmd.Flags().BoolVar(&cfg.Detect, "detect", envOr("GARDA_DETECT", "true") == "true", "run live detection on this instance (GARDA_DETECT)")
	cmd.Flags().StringVar(&cfg.SMTP.Addr, "smtp-addr", envOr("GARDA_SMTP_ADDR", ""), "SMTP server (host:port) for notification email; empty turns email off (GARDA_SMTP_ADDR)")
	cmd.Flags().StringVar(&cfg.SMTP.From, "smtp-from", envOr("GARDA_SMTP_FROM", "garda@localhost"), "sender address of notification email (GARDA_SMTP_FROM)")
	cmd.Flags().StringVar(&cfg.DecisionRules, "decision-rules", envOr("GARDA_DECISION_RULES", ""), "YAML file over the built-in per-scenario decision rules, automatic or proposed bans (GARDA_DECISION_RULES)")
	cmd.Flags().Int64Var(&cfg.EvidenceMaxMB, "evidence-max-mb", envInt("GARDA_EVIDENCE_MAX_MB", 50), "largest evidence file accepted, in MiB (GARDA_EVIDENCE_MAX_MB)")
	cmd.Flags().Int64Var(&cfg.IngestMaxMB, "ingest-max-mb", envInt("GARDA_INGEST_MAX_MB", 64), "largest ingest request, in MiB of lines once un-gzipped (GARDA_INGEST_MAX_MB)")
	cmd.Flags().Int64Var(&cfg.IngestMaxLines, "ingest-max-lines", envInt("GARDA_INGEST_MAX_LINES", 1<<20), "most lines in one ingest request (GARDA_INGEST_MAX_LINES)")
	cmd.Flags().Float64Var(&cfg.IngestRate, "ingest-rate", float64(envInt("GARDA_INGEST_RATE", 20000)), "lines a second each sender may send over the ingest API, on average; 0 for no bound (GARDA_INGEST_RATE)")
	cmd.Flags().StringVar(&cfg.SyslogAddr, "syslog-addr", envOr("GARDA_SYSLOG_ADDR", ""), "receive syslog (RFC 3164/5424) on this address, UDP and TCP (GARDA_SYSLOG_ADDR)")
	cmd.Flags().Int64Var(&cfg.EventMaxMB, "event-max-mb", envInt("GARDA_EVENT_MAX_MB", 1024), "cap of the events stream in MiB: once it holds this much that detection has not seen, ingest refuses with 503 and Retry-After (GARDA_EVENT_MAX_MB)")
	cmd.Flags().StringVar(&cfg.RPZListen, "rpz-listen", envOr("GARDA_RPZ_LISTEN", ""), "answer DNS blocklist zone transfers (AXFR/IXFR, TSIG) on this address, e.g. 127.0.0.1:5353; empty: off (GARDA_RPZ_LISTEN)")
	cmd.Flags().DurationVar(&cfg.RPZRefresh, "rpz-refresh", 5*time.Minute, "the DNS blocklist zone's SOA refresh: how often resolvers look for changes besides NOTIFY")
}

func logger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("GARDA_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// withStore makes the RunE of a command that works on the database: it
// opens the migrated store (with the flags as parsed), runs fn, closes it.
func withStore(cfg *platform.Config, fn func(cmd *cobra.Command, db *store.DB, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		db, err := openStore(cmd, *cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(cmd, db, args)
	}
}

// openStore opens the migrated database of an existing data dir for a
// one-off command. A data dir without a database is refused, and nothing
// made: a mistyped or forgotten --data-dir would otherwise become a new,
// empty database, and the command would answer from that ("no user").
// Only serve, demo and migrate make a data dir.
func openStore(cmd *cobra.Command, cfg platform.Config) (*store.DB, error) {
	if cfg.Database == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, store.SQLiteFile)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no Garda database in data dir %q: name an existing one with --data-dir (or GARDA_DATA_DIR), or make one with `garda migrate --data-dir %s`", cfg.DataDir, cfg.DataDir)
		} else if err != nil {
			return nil, fmt.Errorf("data dir %q: %w", cfg.DataDir, err)
		}
	}
	return platform.OpenStore(cmd.Context(), cfg, logger(cmd.ErrOrStderr()))
}

// wibTime writes a moment for people as the pages do: in WIB, to the
// minute (JSON output keeps RFC 3339 UTC, as the API).
func wibTime(t time.Time) string { return t.In(region.WIB).Format(region.WIBLayout) }

// Package platform assembles one Garda instance from its parts: the store
// (migrated, with the standard organisations), the bus, and the HTTP
// surface. cmd/garda calls it; tests start whole instances with it. It
// holds no domain logic.
package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/intel/match"
	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/metrics"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/patrol/source"
	"github.com/garda-id/garda/internal/pipeline"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
	"github.com/garda-id/garda/internal/web"
)

// Config is what `garda serve` is told.
type Config struct {
	Addr     string // listen address, host:port
	DataDir  string // SQLite file, embedded JetStream, evidence files
	Database string // "" for SQLite in DataDir, or a postgres:// URL
	NATS     string // "" for the embedded server, or nats:// URL(s)
	TLSCert  string // serve HTTPS with this certificate and key
	TLSKey   string
	Version  string
	// NATSReplicas is the streams' replication factor on a NATS cluster
	// (0 or 1: one copy; 3 survives the loss of one node).
	NATSReplicas int
	// EventMaxMB caps the events stream, in MiB (0: the bus's 1 GiB).
	// Full of lines detection has not seen, it makes ingest refuse.
	EventMaxMB int64
	// Detect runs live detection on this instance (it shares the stream's
	// partitions with the other instances that do).
	Detect bool
	// Engine is the detection engine's configuration.
	Engine detect.Options
	// SyslogAddr, when set, receives syslog over UDP and TCP.
	SyslogAddr string
	// SMTP sends notification email; an empty address turns email off.
	SMTP notify.SMTP
	// EvidenceMaxMB bounds one evidence file, in MiB (0 = the default, 50).
	EvidenceMaxMB int64
	// DecisionRules is a YAML file over the built-in per-scenario decision
	// rules ("" for the built-in ones).
	DecisionRules string
	// IngestMaxMB and IngestMaxLines bound one ingest request once
	// un-gzipped (0: the defaults, 64 MiB and 1,048,576 lines);
	// IngestRate bounds each sender's lines a second (0: no bound).
	IngestMaxMB    int64
	IngestMaxLines int64
	IngestRate     float64
	// AuditKey is the file of the key that signs audit checkpoints, and
	// AuditCheckpoints the file they are appended to ("": in DataDir).
	AuditKey, AuditCheckpoints string
	// RPZListen is where the DNS blocklist answers zone transfers (TCP)
	// and SOA queries (UDP); empty: nowhere. RPZRefresh is the zone's SOA
	// refresh, how often resolvers look for changes without a NOTIFY.
	RPZListen  string
	RPZRefresh time.Duration
}

// Platform is an open instance.
type Platform struct {
	Config  Config
	DB      *store.DB
	Bus     *bus.Bus
	Log     *slog.Logger
	Metrics *metrics.Registry
	Notify  *notify.Notifier
	Rules   decision.Rules // the per-scenario decision policy in force
	// Scans runs the scans started by hand (API, pages); nil: refused as
	// not configured on this instance.
	Scans *scan.Runner
	// Patrol runs the cyber patrol's sources, imports and submissions;
	// nil: they are refused as not configured (cmd/garda wires it).
	Patrol *source.Runner
	// Claims is the fact-check database, shared by the patrol's pipeline
	// and the claims pages (nil: the web layer opens one on DB).
	Claims *claim.Service
	// RPZ are the DNS blocklist zone's SOA timers (zero: rpz.DefaultTimers).
	RPZ rpz.Timers
	// TakedownChecks is Garda's own check of takedown URLs (nil: checks
	// on demand are refused as not configured; cmd/garda wires it).
	TakedownChecks *takedown.Checker
	// TakedownDeadlines are the times a platform has by urgency (nil:
	// Permenkominfo 5/2020's 4 and 24 hours).
	TakedownDeadlines takedown.Deadlines

	// stopping closes when Serve begins to shut down: live streams end
	// then, rather than hold the shutdown open for as long as a browser
	// keeps a page open.
	stopping chan struct{}
}

// OpenStore opens and migrates the database and makes sure the standard
// organisations exist. Commands that need no bus use it alone.
func OpenStore(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	if cfg.Database == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
		}
	}
	db, err := store.Open(ctx, cfg.Database, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "database", db.String(), "applied", applied)
	}
	// Migration 0020's search index is filled from Go, which folds the
	// text alike for both databases: here, before anyone searches.
	indexed, err := incident.IndexMissing(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	if indexed > 0 {
		log.Info("incidents indexed for search", "count", indexed)
	}
	n, err := org.EnsureStandard(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("standard organisations created", "count", n)
	}
	// Partners' secrets kept in the clear by an earlier release are sealed
	// now (package secret), before anything pulls with them.
	for what, seal := range map[string]func(context.Context, *store.DB) (int, error){"taxii": taxii.SealSecrets, "misp": misp.SealSecrets} {
		n, err := seal(ctx, db)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("seal %s subscription secrets: %w", what, err)
		}
		if n > 0 {
			log.Info("partner secrets sealed", "subscriptions", what, "count", n)
		}
	}
	// The national room and the 38 provincial rooms exist from the start.
	if n, err = room.Ensure(ctx, db, audit.System); err != nil {
		db.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("operation rooms created", "count", n)
	}
	return db, nil
}

// Open opens the store and the bus.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Platform, error) {
	rules, err := decision.LoadRules(cfg.DecisionRules)
	if err != nil {
		return nil, fmt.Errorf("--decision-rules: %w", err)
	}
	if cfg.EventMaxMB < 0 || cfg.EventMaxMB > 1<<20 {
		return nil, fmt.Errorf("--event-max-mb %d: want 1 to %d MiB (0 for the default)", cfg.EventMaxMB, 1<<20)
	}
	db, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	b, err := bus.Open(ctx, bus.Config{URL: cfg.NATS, DataDir: cfg.DataDir, Replicas: cfg.NATSReplicas, EventMaxBytes: cfg.EventMaxMB << 20}, log)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open bus: %w", err)
	}
	n := notify.New(db, log.With("component", "notify"), cfg.SMTP)
	return &Platform{Config: cfg, DB: db, Bus: b, Log: log, Metrics: metrics.New(), Notify: n, Rules: rules}, nil
}

// Close releases the bus and the store.
func (p *Platform) Close() {
	if p.Bus != nil {
		p.Bus.Close()
	}
	p.DB.Close()
}

// maxEvidenceMB bounds the evidence limit setting (16 GiB): beyond it an
// upload is better carried some other way.
const maxEvidenceMB = 16 << 10

// Handler builds the HTTP surface.
func (p *Platform) Handler() (http.Handler, error) {
	if p.Config.EvidenceMaxMB < 0 || p.Config.EvidenceMaxMB > maxEvidenceMB {
		return nil, fmt.Errorf("--evidence-max-mb %d: must be from 0 (the default, 50) to %d", p.Config.EvidenceMaxMB, maxEvidenceMB)
	}
	if p.Config.IngestMaxMB < 0 || p.Config.IngestMaxMB > 1<<10 || p.Config.IngestMaxLines < 0 || p.Config.IngestMaxLines > 1<<26 || p.Config.IngestRate < 0 {
		return nil, fmt.Errorf("--ingest-max-mb %d, --ingest-max-lines %d, --ingest-rate %g: at most 1024 MiB and 67,108,864 lines a request, none negative",
			p.Config.IngestMaxMB, p.Config.IngestMaxLines, p.Config.IngestRate)
	}
	s, err := web.New(web.Deps{
		DB: p.DB, Bus: p.Bus, Log: p.Log, Metrics: p.Metrics, Version: p.Config.Version, Notify: p.Notify,
		TLS:               p.Config.TLSCert != "",
		Ready:             map[string]web.Readiness{"bus": p.Bus},
		DataDir:           p.Config.DataDir,
		EvidenceMaxBytes:  p.Config.EvidenceMaxMB << 20,
		Stopping:          p.stopping,
		Rules:             &p.Rules,
		IngestLimits:      ingest.Limits{MaxBytes: p.Config.IngestMaxMB << 20, MaxLines: int(p.Config.IngestMaxLines)},
		IngestRate:        p.Config.IngestRate,
		Scans:             p.Scans,
		Patrol:            p.Patrol,
		Claims:            p.Claims,
		RPZ:               p.RPZ,
		TakedownChecks:    p.TakedownChecks,
		TakedownDeadlines: p.TakedownDeadlines,
	})
	if err != nil {
		return nil, err
	}
	return s.Handler(), nil
}

// Listen binds the configured address (so callers can print it before
// serving); Serve then answers on it until ctx ends.
func (p *Platform) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", p.Config.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", p.Config.Addr, err)
	}
	return ln, nil
}

// Serve answers HTTP on ln until ctx is cancelled, then shuts down gracefully.
func (p *Platform) Serve(ctx context.Context, ln net.Listener) error {
	p.stopping = make(chan struct{})
	h, err := p.Handler()
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(p.Log.Handler(), slog.LevelWarn),
	}
	// Known indicators (internal/intel/match): matched by live detection,
	// their sightings written in batches, their blocks kept by one instance.
	host, _ := os.Hostname()
	intelLive := p.intelLive(ctx, fmt.Sprintf("%s/%d/%s", host, os.Getpid(), ln.Addr()))
	ictx, stopIntel := context.WithCancel(ctx)
	intelDone := make(chan struct{})
	go func() { defer close(intelDone); intelLive.Run(ictx) }()
	defer func() { stopIntel(); <-intelDone }()
	if p.Config.Detect {
		opts := p.Config.Engine
		opts.Stages = append(slices.Clone(opts.Stages), intelLive.Matcher)
		eng, err := detect.New(opts)
		if err != nil {
			return err
		}
		d := &pipeline.Detector{DB: p.DB, Bus: p.Bus, Engine: eng, Log: p.Log.With("component", "detect"), Metrics: p.Metrics,
			Holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), ln.Addr()), Decide: true, Rules: &p.Rules, Sightings: match.SightAlerts}
		// Drills' traffic, from its own stream, by the same detection with
		// the drill alerts as its only output; its engine has no indicator
		// matcher (that records sightings), and is built at the first drill.
		dd := &pipeline.DrillDetector{DB: p.DB, Bus: p.Bus, Options: p.Config.Engine, Log: p.Log.With("component", "detect-drills"),
			Metrics: p.Metrics, Holder: d.Holder, Record: drill.RecordBatch}
		dctx, stop := context.WithCancel(ctx)
		done := make(chan struct{}, 2)
		go func() { defer func() { done <- struct{}{} }(); d.Run(dctx) }()
		go func() { defer func() { done <- struct{}{} }(); dd.Run(dctx) }()
		defer func() { stop(); <-done; <-done }()
	}
	anchor, err := p.Config.AuditAnchor(true)
	if err != nil {
		return err
	}
	actx, stopAnchor := context.WithCancel(ctx)
	anchorDone := make(chan struct{})
	go func() { defer close(anchorDone); p.anchorAudit(actx, anchor) }()
	defer func() { stopAnchor(); <-anchorDone }()
	// Webhook deliveries (and their retries) go out from every instance;
	// each delivery is claimed before it is sent.
	nctx, stopNotify := context.WithCancel(ctx)
	notifyDone := make(chan struct{})
	go func() { defer close(notifyDone); p.Notify.Start(nctx) }()
	defer func() { stopNotify(); <-notifyDone }()
	if p.Config.SyslogAddr != "" {
		sl := &pipeline.Syslog{DB: p.DB, Bus: p.Bus, Log: p.Log.With("component", "syslog"), Metrics: p.Metrics}
		sctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := sl.Serve(sctx, p.Config.SyslogAddr); err != nil && sctx.Err() == nil {
				p.Log.Error("syslog listener stopped", "err", err)
			}
		}()
		defer func() { stop(); <-done }()
	}
	errc := make(chan error, 1)
	go func() {
		if p.Config.TLSCert != "" {
			errc <- srv.ServeTLS(ln, p.Config.TLSCert, p.Config.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	close(p.stopping) // the streams' browsers reconnect, to another instance if there is one
	shut, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

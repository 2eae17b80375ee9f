package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/demo"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/ingest/sender"
	"github.com/garda-id/garda/internal/pipeline"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/simulate"
)

func serveCmd() *cobra.Command {
	var cfg platform.Config
	var ef engineFlags
	var sf scheduleFlags
	var pprofAddr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the platform: API, web UI, bus",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Version = version
			var err error
			if cfg.Engine, err = ef.options(); err != nil {
				return err
			}
			if err := startPprof(cmd.Context(), pprofAddr, logger(cmd.ErrOrStderr())); err != nil {
				return err
			}
			return serve(cmd, cfg, &sf, nil)
		},
	}
	cmd.Flags().StringVar(&pprofAddr, "pprof-addr", envOr("GARDA_PPROF_ADDR", ""), "serve Go's CPU and memory profiles (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060; empty: off (GARDA_PPROF_ADDR)")
	serverFlags(cmd, &cfg)
	ef.add(cmd)
	sf.add(cmd)
	return cmd
}

// serve opens the platform, runs before (if any) once it is open, runs the
// schedule when sched is on, and answers until interrupted.
func serve(cmd *cobra.Command, cfg platform.Config, sched *scheduleFlags, before func(*platform.Platform, string) error) error {
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	log := logger(cmd.ErrOrStderr())
	p, err := platform.Open(cmd.Context(), cfg, log)
	if err != nil {
		return err
	}
	defer p.Close()
	if p.TakedownDeadlines, err = takedownDeadlines(); err != nil {
		return err
	}
	ln, err := p.Listen()
	if err != nil {
		return err
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s/", scheme, ln.Addr())
	if before != nil {
		if err := before(p, url); err != nil {
			ln.Close()
			return err
		}
	}
	var sp *scanPillar
	if sched != nil {
		// The scan pillar: the schedule's rounds and the scans started by
		// hand from the API and the pages.
		if sp, err = wireScanPillar(p.DB, *sched); err != nil {
			ln.Close()
			return err
		}
		sp.keepEvidence(p.Config.DataDir)
		p.Scans = sp.runner(scan.HostOptions{MaxHosts: sched.scanMaxHosts}, log.With("scan", "manual"))
		pol, _ := sched.scanPolicy() // checked by wireScanPillar
		p.Patrol = wirePatrol(p, pol, sched.resolver())
		p.TakedownChecks = takedownChecker(p, pol)
	}
	if sched != nil && sched.on {
		jobs, err := scheduledJobs(p, sp, *sched)
		if err != nil {
			ln.Close()
			return err
		}
		stop, err := startSchedule(cmd.Context(), p.DB, log, jobs)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	if err := startRPZ(cmd.Context(), p, cfg, log); err != nil {
		ln.Close()
		return err
	}
	log.Info("garda is serving", "url", url, "database", p.DB.String(), "nats", natsName(cfg.NATS), "version", version)
	return p.Serve(cmd.Context(), ln)
}

func natsName(url string) string {
	if url == "" {
		return "embedded"
	}
	return url
}

func demoCmd() *cobra.Command {
	var cfg platform.Config
	var ef engineFlags
	var rate float64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the platform on a fresh data dir seeded with the demo world",
		Long: `demo runs serve on a data dir seeded with the demo world: the task force's organisations,
an account for every role at national and provincial scope, and KPU's systems as assets.
Without --data-dir it makes a fresh one under the system's temporary directory. It prints
the URL and the accounts (also written to <data-dir>/demo-accounts.txt) and serves until
interrupted. It needs no terminal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Version = version
			if !cmd.Flags().Changed("data-dir") && os.Getenv("GARDA_DATA_DIR") == "" {
				dir, err := os.MkdirTemp("", "garda-demo-")
				if err != nil {
					return err
				}
				cfg.DataDir = dir
			}
			if abs, err := filepath.Abs(cfg.DataDir); err == nil {
				cfg.DataDir = abs
			}
			var err error
			if cfg.Engine, err = ef.options(); err != nil {
				return err
			}
			// The demo's sites are loopback virtual hosts: its scans may
			// reach loopback only; it runs no schedule.
			demoScans := &scheduleFlags{scanAllow: []string{"127.0.0.0/8", "::1/128"}, scanMaxHosts: 8}
			return serve(cmd, cfg, demoScans, func(p *platform.Platform, url string) error {
				w, err := demo.Seed(cmd.Context(), p.DB, cfg.DataDir)
				if err != nil {
					return fmt.Errorf("seed demo world: %w", err)
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "Garda demo: %s\n", url)
				fmt.Fprintf(out, "Data dir:   %s\n", cfg.DataDir)
				fmt.Fprintf(out, "Accounts (also in %s):\n", w.AccountsFile)
				accounts := w.Accounts
				sort.SliceStable(accounts, func(i, j int) bool { return accounts[i].Scope < accounts[j].Scope })
				for _, a := range accounts {
					scope := a.Scope
					if scope == "" {
						scope = "nasional"
					}
					fmt.Fprintf(out, "  %-20s %-24s %-12s %-15s %s\n", a.Username, a.Password, a.Role, a.Org, scope)
				}
				if rate > 0 {
					if err := simulateInto(cmd.Context(), p, rate); err != nil {
						return err
					}
					fmt.Fprintf(out, "Simulating %.0f log lines a second of the demo sites, attacks mixed in.\n", rate)
				}
				fmt.Fprintln(out, "Press Ctrl-C to stop.")
				return nil
			})
		},
	}
	serverFlags(cmd, &cfg)
	ef.add(cmd)
	cmd.Flags().Float64Var(&rate, "simulate", 20, "log lines a second of simulated traffic (attacks included) into the live pipeline; 0 for none")
	return cmd
}

// simulateInto runs the traffic simulator against the demo sites, feeding
// the live pipeline directly, until ctx ends.
func simulateInto(ctx context.Context, p *platform.Platform, rate float64) error {
	sites, err := demo.Sites(ctx, p.DB)
	if err != nil {
		return err
	}
	sim, err := simulate.New(simulate.Options{Sites: sites, Seed: uint64(time.Now().UnixNano())})
	if err != nil {
		return err
	}
	nginx, _ := format.Lookup("nginx")
	// The simulator is a sender of its own: what its lines lead to says so.
	simulator := sender.Of(sender.KindSimulator, "demo").String()
	go func() {
		err := sim.Run(ctx, rate, func(site simulate.Site, lines [][]byte) error {
			_, err := pipeline.Publish(ctx, p.Bus, pipeline.Source{AssetID: site.AssetID, Region: site.Region, Format: nginx,
				Sender: simulator, Batch: sender.NewBatchID()}, pipeline.Lines(lines), "", nil)
			return err
		})
		if err != nil && ctx.Err() == nil {
			p.Log.Error("demo traffic stopped", "err", err)
		}
	}()
	return nil
}

func migrateCmd() *cobra.Command {
	var cfg platform.Config
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or update the database schema and the standard organisations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := platform.OpenStore(cmd.Context(), cfg, logger(cmd.ErrOrStderr())) // makes the data dir if need be
			if err != nil {
				return err
			}
			defer db.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "database %s is up to date\n", db)
			return nil
		},
	}
	storeFlags(cmd, &cfg)
	return cmd
}

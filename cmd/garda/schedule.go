package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/shift"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// scheduleFlags say whether garda serve runs the timetable of work that
// must happen once across instances (package schedule), and how often.
type scheduleFlags struct {
	on           bool
	scanEvery    time.Duration
	scanMaxHosts int
	// scanAllow lists the networks scans may connect to (CIDR prefixes);
	// empty means the public internet (fetch.PublicInternet).
	scanAllow    []string
	scanResolver string
}

func (f *scheduleFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.on, "schedule", envOr("GARDA_SCHEDULE", "true") != "false",
		"run the scheduled work (scan rounds, ...); every instance may: the database makes each run happen once (GARDA_SCHEDULE)")
	cmd.Flags().DurationVar(&f.scanEvery, "scan-every", time.Duration(envInt("GARDA_SCAN_EVERY_SECONDS", 600))*time.Second,
		"how often a scan round looks for assets due (daily, or 12-hourly with an open critical or high finding); 0 turns rounds off (GARDA_SCAN_EVERY_SECONDS)")
	cmd.Flags().IntVar(&f.scanMaxHosts, "scan-max-hosts", int(envInt("GARDA_SCAN_MAX_HOSTS", scan.DefaultMaxHosts)),
		"hosts a scan round tests at once, across all sites (GARDA_SCAN_MAX_HOSTS)")
	cmd.Flags().StringSliceVar(&f.scanAllow, "scan-allow", splitList(envOr("GARDA_SCAN_ALLOW", "")),
		"networks (CIDR) scans may connect to; empty: the public internet only, never private, loopback or metadata addresses (GARDA_SCAN_ALLOW)")
	cmd.Flags().StringVar(&f.scanResolver, "scan-resolver", envOr("GARDA_SCAN_RESOLVER", ""),
		"DNS server (host:port) the DNS checks ask; empty: the system's (GARDA_SCAN_RESOLVER)")
}

// splitList reads a comma-separated environment value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// scanPolicy is the address guard of scans: the networks allowed, or the
// public internet.
func (f scheduleFlags) scanPolicy() (fetch.Policy, error) {
	if len(f.scanAllow) == 0 {
		return fetch.PublicInternet(), nil
	}
	return fetch.ParsePolicy(f.scanAllow...)
}

// scanPillar is what a scan round needs from the rest of Garda.
type scanPillar struct {
	Auth     scan.Authorizations
	Recorder scan.Recorder
	Due      scan.DueAssets
	Env      scan.EnvFactory
	Checks   []scan.Check
}

// wireScanPillar gives the scan round its parts over the platform's
// stores: the scan store keeps authorisations and scans (and applies the
// findings lifecycle), package fetch reaches the targets, and the
// registered engines give the checks.
func wireScanPillar(db *store.DB, f scheduleFlags) (*scanPillar, error) {
	pol, err := f.scanPolicy()
	if err != nil {
		return nil, fmt.Errorf("--scan-allow: %w", err)
	}
	checks, err := scan.LoadChecks("")
	if err != nil {
		return nil, err
	}
	st := scan.NewStore(db)
	return &scanPillar{Auth: st, Recorder: st, Due: st.DueAssets, Env: fetch.ScanEnv(pol, f.scanResolver), Checks: checks}, nil
}

// keepEvidence stores the responses that back findings under the data
// directory, as evidence (package finding's files).
func (sp *scanPillar) keepEvidence(dataDir string) {
	if st, ok := sp.Recorder.(*scan.Store); ok {
		st.Files = evidence.Store{Dir: dataDir}
	}
}

// runner is the pillar as a scan.Runner: the round's, and the one that
// runs the scans started by hand from the API and the pages.
func (sp scanPillar) runner(hosts scan.HostOptions, log *slog.Logger) *scan.Runner {
	return &scan.Runner{Auth: sp.Auth, Recorder: sp.Recorder, Due: sp.Due, Env: sp.Env, Checks: sp.Checks, Hosts: hosts, Log: log}
}

// scanRoundJob is the scheduled job of the daily penetration tests: every
// `every`, one round over the assets due (the schedule makes it run on one
// instance at a time).
func scanRoundJob(sp scanPillar, every time.Duration, hosts scan.HostOptions, log *slog.Logger) schedule.Job {
	r := sp.runner(hosts, log)
	return schedule.Job{Name: "scan-round", Every: every, Run: func(ctx context.Context) error {
		rep, err := r.Round(ctx)
		if err != nil {
			return err
		}
		log.Info("scan round", "assets", rep.Assets, "scanned", rep.Scanned, "partial", rep.Partial,
			"failed", rep.Failed, "refused", rep.Refused, "results", rep.Results, "requests", rep.Requests)
		if rep.Assets > 0 && rep.Failed+rep.Refused == rep.Assets {
			return fmt.Errorf("scan round: none of %d due assets could be scanned", rep.Assets)
		}
		return nil
	}}
}

// scheduledJobs lists the platform's scheduled work. The other pillars'
// jobs (feed pulls, takedown checks, posture switches, clock notices) join
// this list.
func scheduledJobs(p *platform.Platform, sp *scanPillar, f scheduleFlags) ([]schedule.Job, error) {
	var jobs []schedule.Job
	if f.scanEvery > 0 && sp != nil {
		jobs = append(jobs, scanRoundJob(*sp, f.scanEvery, scan.HostOptions{MaxHosts: f.scanMaxHosts}, p.Log.With("job", "scan-round")))
	}
	if p.Patrol != nil {
		jobs = append(jobs, p.Patrol.Job())
	}
	jobs = append(jobs, taxiiPullJob(p)) // taxii: partners' collections, each at its own period
	jobs = append(jobs, room.PostureJob(p.DB, p.Notify, nil, p.Log.With("job", "room-posture")))
	// open alerts' priority follows the phase
	jobs = append(jobs, alert.PriorityJob(p.DB, p.Bus, nil, p.Log.With("job", "alert-priority")))
	jobs = append(jobs, drill.Job(p.DB, p.Bus, p.Log.With("job", "drills"))) // start due drills (their traffic onto the bus), finish expired ones
	// partners' MISP feeds
	jobs = append(jobs, misp.Job(p.DB, fetch.New(fetch.Config{Policy: fetch.PublicInternet()}).Client(), p.Log.With("job", "misp.feeds")))
	// Takedown deadline clocks and warning stages (letters go by the notifier's SMTP).
	jobs = append(jobs, takedown.TickJob(takedown.Lifecycle{DB: p.DB, Outbox: p.Notify.TakedownOutbox(), Deadlines: p.TakedownDeadlines}, p.Notify, p.Log.With("job", "takedown-clocks")))
	if p.TakedownChecks != nil {
		jobs = append(jobs, takedown.CheckJob(p.TakedownChecks, 5*time.Minute))
	}
	lateAfter, err := lateEscalateAfter() // rooms3: a late report still missing goes on to the national room
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, shift.LateJob(p.DB, p.Notify, nil, p.Log.With("job", "shift-report-late"), lateAfter))
	return jobs, nil
}

// startSchedule runs jobs on db until ctx ends; the returned stop waits
// for the runs in flight, so the database outlives them.
func startSchedule(ctx context.Context, db *store.DB, log *slog.Logger, jobs []schedule.Job) (stop func(), err error) {
	if len(jobs) == 0 {
		return func() {}, nil
	}
	s, err := schedule.New(db, schedule.Options{Log: log}, jobs...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Run(ctx)
	}()
	log.Info("schedule running", "jobs", len(jobs), "holder", s.Holder())
	return func() { cancel(); wg.Wait() }, nil
}

// takedownChecker is Garda's own check of the URLs of sent takedown
// requests: through the scans' address guard, politely (two connections
// and one request a second per host), on a schedule and on demand.
func takedownChecker(p *platform.Platform, pol fetch.Policy) *takedown.Checker {
	return &takedown.Checker{DB: p.DB, Fetch: fetch.New(fetch.Config{Policy: pol, Limits: fetch.Limits{MaxBody: 1 << 20},
		PerHost: fetch.HostLimit{Conns: 2, RPS: 1}, Global: fetch.HostLimit{Conns: 8}})}
}

// takedownDeadlines reads the times a platform has to act, in hours, from
// GARDA_TAKEDOWN_URGENT_HOURS and GARDA_TAKEDOWN_NORMAL_HOURS (default the
// regulation's 4 and 24; Permenkominfo 5/2020).
func takedownDeadlines() (takedown.Deadlines, error) {
	d := takedown.Deadlines{}
	for urgency, env := range map[string]string{takedown.Urgent: "GARDA_TAKEDOWN_URGENT_HOURS", takedown.Normal: "GARDA_TAKEDOWN_NORMAL_HOURS"} {
		h := envInt(env, int64(takedown.DefaultDeadlines[urgency]/time.Hour))
		if h < 1 || h > 24*30 {
			return nil, fmt.Errorf("%s=%d: from 1 hour to 30 days", env, h)
		}
		d[urgency] = time.Duration(h) * time.Hour
	}
	return d, nil
}

package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/detect/crs"
	"github.com/garda-id/garda/internal/detect/scenario"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
)

func detectCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "detect", Short: "Run the detection engine offline"}
	cmd.AddCommand(replayCmd())
	return cmd
}

// engineFlags are the detection settings shared by replay and serve.
type engineFlags struct {
	scenarios string
	sigmaDir  string
	noCRS     bool
	crsPL     int
	crsScore  int
	crsCoraza bool
}

func (f *engineFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.scenarios, "scenarios", envOr("GARDA_SCENARIOS", ""), "YAML file of scenario thresholds over the defaults (GARDA_SCENARIOS)")
	cmd.Flags().StringVar(&f.sigmaDir, "sigma", envOr("GARDA_SIGMA", ""), "directory of Sigma rules instead of the built-in SigmaHQ web rules (GARDA_SIGMA)")
	cmd.Flags().BoolVar(&f.noCRS, "no-crs", false, "skip the OWASP CRS check (for measurements)")
	cmd.Flags().BoolVar(&f.crsCoraza, "crs-coraza", false, "evaluate every OWASP CRS rule in stock Coraza, without Garda's pruner and evaluator: the same verdicts, slower (for comparison)")
	cmd.Flags().IntVar(&f.crsPL, "crs-paranoia", int(envInt("GARDA_CRS_PARANOIA", crs.DefaultParanoiaLevel)), "OWASP CRS paranoia level, 1-4 (GARDA_CRS_PARANOIA)")
	cmd.Flags().IntVar(&f.crsScore, "crs-threshold", int(envInt("GARDA_CRS_THRESHOLD", crs.DefaultThreshold)),
		"inbound anomaly score at which a request is an attack: critical 5, error 4, warning 3, notice 2 per rule (GARDA_CRS_THRESHOLD)")
}

func (f *engineFlags) options() (detect.Options, error) {
	cfg, err := scenario.LoadConfig(f.scenarios)
	if err != nil {
		return detect.Options{}, err
	}
	opts := detect.Options{Scenarios: &cfg, NoCRS: f.noCRS, CRS: crs.Options{ParanoiaLevel: f.crsPL, Threshold: f.crsScore, PureCoraza: f.crsCoraza}}
	if f.crsPL < 1 || f.crsPL > 4 || f.crsScore < 1 {
		return opts, fmt.Errorf("--crs-paranoia must be 1 to 4 and --crs-threshold at least 1 (got %d and %d)", f.crsPL, f.crsScore)
	}
	if f.sigmaDir != "" {
		opts.Sigma = os.DirFS(f.sigmaDir)
	}
	return opts, nil
}

func (f *engineFlags) engine() (*detect.Engine, error) {
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	return detect.New(opts)
}

func replayCmd() *cobra.Command {
	var ef engineFlags
	var formatName, flaggedPath string
	var perEvent bool
	var workers int
	var cpuProfile string
	var indicatorsPath, indicatorHitsPath string
	cmd := &cobra.Command{
		Use:   "replay [--format nginx] FILE...",
		Short: "Detect over log files and print the alerts as JSON lines",
		Long: `replay runs every rule and scenario over log files (plain or gzip, "-" for stdin) as the live
pipeline does, and prints the aggregated alerts as JSON lines on stdout. With --per-event it prints
instead one line per event that raised a signal: its line number, scenarios and rule ids. A summary
(format, lines, rejected by reason, lines per second) goes to stderr, after a warning when lines were
rejected.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			f, ok := format.Lookup(formatName)
			if !ok {
				return fmt.Errorf("unknown format %q (one of %s)", formatName, strings.Join(format.Names(), ", "))
			}
			if cpuProfile != "" {
				pf, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer pf.Close()
				pprof.StartCPUProfile(pf)
				defer pprof.StopCPUProfile()
			}
			// The collector: the heap may grow to four times what is live
			// (GOGC 300 unless GOGC sets it; it runs a third as often, most
			// of all while CRS is built and the heap is small), under a soft
			// limit of 1 GiB unless GOMEMLIMIT sets one. A hostile log holds much at its
			// end (every event within the reorder window, up to 65,536 a
			// shard, and every alert: 30,000 lines some 150 MB live, 120,000
			// some 300 MB); with the limit at 400 MB the collector ran
			// without pause there (120,000 hostile lines 7.6-8.0 s, 5.0-5.4 s
			// at 1 GiB). Peak RSS: some 300 MB on genlog's million, 350 MB on
			// 30,000 hostile lines, 800 MB on 120,000.
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(1 << 30)
			}
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(300)
			}
			start := time.Now()
			opts0, err := ef.options()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			var matcher *match.Matcher
			waitIndicators := func() error { return nil }
			if indicatorsPath != "" {
				// Known indicators (internal/intel/match), as live detection
				// matches the ones marked for detection. They are read and
				// compiled on another core while the engine is built and the
				// first lines are read; no line is inspected before they are in
				// force (match.Pending).
				fi, err := os.Open(indicatorsPath)
				if err != nil {
					return err
				}
				matcher = match.Pending(nil)
				opts0.Stages = append(opts0.Stages, matcher)
				loadErr := make(chan error, 1)
				go func() {
					defer fi.Close()
					indicators, err := match.Read(fi, time.Now())
					if err != nil {
						loadErr <- fmt.Errorf("%s: %w", indicatorsPath, err)
						cancel() // the replay stops and prints nothing
						matcher.Ready(nil)
						return
					}
					matcher.Ready(match.Compile(indicators)) // the set keeps what it needs
					loadErr <- nil
				}()
				var once sync.Once
				var lerr error
				waitIndicators = func() error {
					once.Do(func() { lerr = <-loadErr })
					return lerr
				}
			}
			// CRS compiles on another core while the first lines are read and
			// inspected (an event that needs it waits).
			opts0.CRSInBackground = true
			eng, err := detect.New(opts0)
			if err != nil {
				return err
			}
			loaded := time.Since(start)
			out := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<16)
			defer out.Flush()
			enc := json.NewEncoder(out)
			opts := detect.ReplayOptions{Format: f, Workers: workers}
			if perEvent {
				opts.PerEvent = func(ev *event.Event, sigs []alert.Signal) {
					if ctx.Err() != nil {
						return // the indicators did not load: nothing is printed
					}
					type hit struct {
						File      string   `json:"file"`
						Line      int64    `json:"line"`
						SourceIP  string   `json:"source_ip"`
						Scenarios []string `json:"scenarios"`
						RuleIDs   []string `json:"rule_ids"`
						// CRS rules that matched below the anomaly threshold: evidence, not an alert.
						BelowThreshold string `json:"crs_matched_below_threshold,omitempty"`
						// Sigma keyword rules no check of their class agreed with: evidence too.
						SigmaUnconfirmed string `json:"sigma_unconfirmed,omitempty"`
					}
					h := hit{File: opts.Asset, Line: ev.Line, SourceIP: sigs[0].SourceIP, Scenarios: []string{}, RuleIDs: []string{}}
					for _, s := range sigs {
						h.Scenarios = append(h.Scenarios, s.Scenario)
						h.RuleIDs = append(h.RuleIDs, s.RuleIDs...)
						if v := s.Fields[detect.FieldCRSBelow]; v != "" {
							h.BelowThreshold = v
						}
						if v := s.Fields[detect.FieldSigmaUnconfirmed]; v != "" {
							h.SigmaUnconfirmed = v
						}
					}
					enc.Encode(h)
				}
			}
			var total detect.ReplayResult
			flagged := map[string]bool{}
			for _, name := range files {
				r, closeFn, err := openLog(cmd, name)
				if err != nil {
					return err
				}
				opts.Asset = ""
				if perEvent {
					opts.Asset = name
				}
				res, err := eng.Replay(ctx, r, opts)
				closeFn()
				// Before anything is printed: the indicators were in force (a
				// replay that inspected a line waited for them; one that read
				// none may not have).
				if lerr := waitIndicators(); lerr != nil {
					return lerr
				}
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				total.Lines += res.Lines
				total.Accepted += res.Accepted
				for i := range res.Rejected {
					total.Rejected[i] += res.Rejected[i]
				}
				if !perEvent {
					if err := encodeAlerts(out, res.Alerts); err != nil {
						return err
					}
				}
				for _, a := range res.Alerts {
					if a.SourceIP != "" {
						flagged[a.SourceIP] = true
					}
				}
				total.Alerts = append(total.Alerts, res.Alerts...)
			}
			elapsed := time.Since(start)
			if flaggedPath != "" {
				ips := make([]string, 0, len(flagged))
				for ip := range flagged {
					ips = append(ips, ip)
				}
				sort.Strings(ips)
				if err := os.WriteFile(flaggedPath, []byte(strings.Join(ips, "\n")+"\n"), 0o644); err != nil {
					return err
				}
			}
			if w := rejectedWarning(f.Name(), total); w != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), w)
			}
			summary := map[string]any{
				"format": f.Name(), "lines": total.Lines, "accepted": total.Accepted, "rejected": total.RejectedTotal(),
				"rejected_by_reason": rejectedByReason(total.Rejected),
				"alerts":             len(total.Alerts), "flagged_ips": len(flagged),
				"seconds": round3(elapsed.Seconds()), "rules_load_seconds": round3(loaded.Seconds()),
				"lines_per_second": int64(float64(total.Lines) / max(elapsed.Seconds(), 1e-9)),
				"sigma_rules":      eng.SigmaRules(),
			}
			summary["crs_evaluated"], summary["crs_cached"] = eng.CRSStats()
			// Built beside the first lines: not in rules_load_seconds.
			summary["crs_build_seconds"] = round3(eng.CRSBuildTime().Seconds())
			if err := waitIndicators(); err != nil {
				return err
			}
			if matcher != nil {
				set := matcher.Set()
				hits := set.Hits()
				summary["indicators"], summary["indicators_hit"] = set.Len(), len(hits)
				if indicatorHitsPath != "" {
					var b strings.Builder
					set.EachHit(func(_ int64, kind intel.Kind, value string, n int64) {
						fmt.Fprintf(&b, "%d\t%s\t%s\n", n, kind, value)
					})
					if err := os.WriteFile(indicatorHitsPath, []byte(b.String()), 0o644); err != nil {
						return err
					}
				}
			}
			b, _ := json.Marshal(summary)
			fmt.Fprintln(cmd.ErrOrStderr(), string(b))
			return nil
		},
	}
	ef.add(cmd)
	cmd.Flags().StringVar(&formatName, "format", "nginx", "log format: "+strings.Join(format.Names(), ", "))
	cmd.Flags().BoolVar(&perEvent, "per-event", false, "print one line per matched event instead of the alerts")
	cmd.Flags().StringVar(&flaggedPath, "flagged", "", "also write the flagged source addresses to this file, one per line")
	cmd.Flags().IntVar(&workers, "workers", 0, "parallel inspectors (0: one per CPU)")
	cmd.Flags().StringVar(&indicatorsPath, "indicators", "", "also match these known indicators (a STIX 2.1 bundle, or lines of \"kind value\") against every line, raising \"Indikator dikenal\"")
	cmd.Flags().StringVar(&indicatorHitsPath, "indicator-hits", "", "with --indicators: write the indicators hit here, one \"count<TAB>kind<TAB>value\" a line")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile here (for performance work)")
	return cmd
}

// encodeAlerts writes the alerts as JSON lines, as a json.Encoder does
// (alert.AppendJSON), encoding runs of them on every core: the alerts are
// known only once the whole log is read, so encoding them is the replay's
// tail (a hostile log's 35,000 alerts: 0.18 s with json.Encoder on one
// core).
func encodeAlerts(w io.Writer, alerts []*alert.Alert) error {
	const run = 64 // alerts a goroutine encodes at a time
	runs := (len(alerts) + run - 1) / run
	done := make([]chan *bytes.Buffer, runs)
	for i := range done {
		done[i] = make(chan *bytes.Buffer, 1)
	}
	// The buffers go round: an encoder is a few runs ahead of the writer
	// at most, and the output is never held whole.
	workers := min(runtime.GOMAXPROCS(0), runs)
	free := make(chan *bytes.Buffer, 4*workers)
	for range cap(free) {
		free <- new(bytes.Buffer)
	}
	var next atomic.Int64
	for range workers {
		go func() {
			var line []byte
			for {
				b := <-free
				i := int(next.Add(1) - 1)
				if i >= runs {
					free <- b
					return
				}
				b.Reset()
				for _, a := range alerts[i*run : min((i+1)*run, len(alerts))] {
					var ok bool
					if line, ok = a.AppendJSON(line[:0]); ok {
						b.Write(append(line, '\n'))
					} else {
						json.NewEncoder(b).Encode(a) // says nothing, as json.Encoder does
					}
				}
				done[i] <- b
			}
		}()
	}
	var err error
	for i := range done {
		b := <-done[i]
		if err == nil {
			_, err = w.Write(b.Bytes())
		}
		free <- b
	}
	return err
}

func round3(f float64) float64 { return float64(int64(f*1000)) / 1000 }

// rejectedWarning says, when lines were refused, how many and why, so
// that a log in another format or wrapper is not taken for a quiet one.
func rejectedWarning(format string, res detect.ReplayResult) string {
	n := res.RejectedTotal()
	if n == 0 {
		return ""
	}
	by := rejectedByReason(res.Rejected)
	reasons := make([]string, 0, len(by))
	for r := range by {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		return by[reasons[i]] > by[reasons[j]] || by[reasons[i]] == by[reasons[j]] && reasons[i] < reasons[j]
	})
	for i, r := range reasons {
		reasons[i] = fmt.Sprintf("%s %d", r, by[r])
	}
	return fmt.Sprintf("warning: %d of %d lines not read as %s, and not detected over (%s)", n, res.Lines, format, strings.Join(reasons, ", "))
}

func rejectedByReason(r [ingest.NumReasons]int64) map[string]int64 {
	m := map[string]int64{}
	for i, n := range r {
		if n > 0 {
			m[ingest.Reason(i).String()] = n
		}
	}
	return m
}

// openLog opens a file, "-" for stdin, un-gzipping .gz files and gzip input.
func openLog(cmd *cobra.Command, name string) (io.Reader, func(), error) {
	var r io.Reader
	closeFn := func() {}
	if name == "-" {
		r = cmd.InOrStdin()
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, err
		}
		r, closeFn = f, func() { f.Close() }
	}
	// A small buffer to look at the magic: replay reads in 64 KiB blocks,
	// which then go straight from the file into the block (a 1 MiB buffer
	// copied every byte once more, 220 MB on genlog's million lines).
	br := bufio.NewReaderSize(r, 16)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(bufio.NewReaderSize(br, 1<<20))
		if err != nil {
			closeFn()
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return zr, closeFn, nil
	}
	return br, closeFn, nil
}

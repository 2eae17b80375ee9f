package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/simulate"
)

// logSender sends one batch of log lines of an asset to a Garda server.
//
// The command does not build one itself: simulateCmd takes the
// constructor, to be written in ingest.go over its ingest client, as
//
//	func newIngestClient(server, token string) logSender
//
// and wired in root.go as simulateCmd(newIngestClient). (The name
// ingestClient is taken there by the HTTP client's struct.)
type logSender interface {
	Send(ctx context.Context, assetID int64, format string, lines [][]byte) error
}

func simulateCmd(newSender func(server, token string) logSender) *cobra.Command {
	var (
		out, truthPath, sitesPath, classes, start string
		server, token                             string
		lines, attackers                          int
		seed                                      uint64
		span, attackMin, attackMax                time.Duration
		live, electionDay, edgeCases              bool
		rate                                      float64
	)
	cmd := &cobra.Command{
		Use:   "simulate [--out DIR|-] [--lines N] [--seed S] [--truth FILE] | --live [--rate 50] [--server URL --token T]",
		Short: "Write or send realistic, labelled access logs of KPU's sites, attacks mixed in",
		Long: `simulate writes nginx access logs of the demo world's sites: citizens browsing news, checking
their polling station by NIK and following the results; staff signing in to the national
systems; the polling-station officers' app; search engines' crawlers and uptime monitors; and
attackers of every class (probe, sensitive, sqli, xss, traversal, rce, webattack, badua,
bruteforce, scrape, flood), each from its own documentation-range address.

Batch (the default): --lines lines over --span of log time, the same for the same --seed, into
one <host>.log per site under --out DIR, or one combined log on stdout with --out -. --truth
writes the attackers' labels as ../shared/bench/score.py reads them.

Live (--live): lines stamped with the current time at --rate lines a second, a new attacker
every --attack-min..--attack-max, until interrupted. With --server they are sent to a running
Garda's ingest endpoint (the sites need asset ids: --sites FILE); without, written to --out.
Attackers are told on stderr as they start.

--sites FILE is a JSON list of {"asset_id","name","host","region","kind"}, kind one of system,
lookup, results, api, site; without it the demo world's national systems and a few provinces.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := simulate.Options{Seed: seed, Lines: lines, Span: span, Attackers: attackers, ElectionDay: electionDay,
				EdgeCases: edgeCases, AttackMin: attackMin, AttackMax: attackMax}
			if sitesPath != "" {
				b, err := os.ReadFile(sitesPath)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(b, &opts.Sites); err != nil {
					return fmt.Errorf("%s: %w", sitesPath, err)
				}
			}
			if classes != "" {
				opts.Classes = strings.Split(classes, ",")
			}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return fmt.Errorf("--start: %w", err)
				}
				opts.Start = t
			}
			errw := cmd.ErrOrStderr()
			if live {
				opts.OnAttack = func(l simulate.Label) {
					fmt.Fprintf(errw, "attack: %s from %s on %s\n", l.Class, l.IP, l.Site)
				}
			}
			sim, err := simulate.New(opts)
			if err != nil {
				return err
			}
			if !live {
				return simulateBatch(cmd, sim, out, truthPath)
			}
			ctx := cmd.Context()
			var sink simulate.Sink
			switch {
			case server != "":
				if token == "" {
					return errors.New("give a token with --token or GARDA_TOKEN (garda token create prints one)")
				}
				if newSender == nil {
					return errors.New("this build cannot send to a server")
				}
				for _, s := range sim.Sites() {
					if s.AssetID == 0 {
						return fmt.Errorf("site %s has no asset id: sending needs --sites with the server's asset ids", s.Host)
					}
				}
				sender := newSender(server, token)
				sink = func(site simulate.Site, lines [][]byte) error {
					if err := sender.Send(ctx, site.AssetID, "nginx", lines); err != nil && ctx.Err() == nil {
						return fmt.Errorf("send %s: %w", site.Host, err)
					}
					return nil
				}
			case out == "-":
				w := bufio.NewWriter(cmd.OutOrStdout())
				defer w.Flush()
				sink = func(_ simulate.Site, lines [][]byte) error {
					for _, l := range lines {
						w.Write(l)
						w.WriteByte('\n')
					}
					return w.Flush()
				}
			default:
				files := &siteFiles{dir: out}
				defer files.close()
				sink = files.sink
			}
			return sim.Run(ctx, rate, sink)
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "-", `directory for one <host>.log per site, or "-" for one log on stdout`)
	f.IntVar(&lines, "lines", 100000, "batch: lines to write")
	f.Uint64Var(&seed, "seed", 1, "seed: the same seed writes the same batch")
	f.StringVar(&truthPath, "truth", "", "batch: write the attackers' labels here as JSON (score.py's truth file)")
	f.DurationVar(&span, "span", 24*time.Hour, "batch: log time the lines cover")
	f.StringVar(&start, "start", "", "batch: log time of the first line, RFC 3339 (default election day 2024-02-14T00:00:00+07:00)")
	f.IntVar(&attackers, "attackers", 0, "batch: attackers to mix in (0: one per 1,000 lines, at least one per class)")
	f.StringVar(&classes, "classes", "", "attack classes, comma-separated (default all: "+strings.Join(simulate.Classes(), ",")+")")
	f.BoolVar(&electionDay, "election-day", true, "shape the day as an election day: lookups in the morning, results and tally uploads from 13:00 WIB")
	f.BoolVar(&edgeCases, "edge-cases", false, "add benign traffic that detection is known to misjudge (searches starting with a Unix command word, carrier-grade NAT)")
	f.StringVar(&sitesPath, "sites", "", "JSON file of the sites to simulate (default: the demo world's)")
	f.BoolVar(&live, "live", false, "write live traffic, stamped now, until interrupted")
	f.Float64Var(&rate, "rate", 50, "live: benign lines a second")
	f.DurationVar(&attackMin, "attack-min", 20*time.Second, "live: least time between two attackers' starts")
	f.DurationVar(&attackMax, "attack-max", 60*time.Second, "live: most time between two attackers' starts")
	f.StringVar(&server, "server", envOr("GARDA_SERVER", ""), "live: send to this Garda server's ingest endpoint (GARDA_SERVER)")
	f.StringVar(&token, "token", envOr("GARDA_TOKEN", ""), "live: API token for --server (GARDA_TOKEN)")
	return cmd
}

// simulateBatch writes a batch and its truth, and sums it up on stderr.
func simulateBatch(cmd *cobra.Command, sim *simulate.Simulator, out, truthPath string) error {
	var truth *simulate.Truth
	var err error
	if out == "-" {
		truth, err = sim.WriteLog(cmd.OutOrStdout())
	} else {
		truth, err = sim.WriteDir(out)
	}
	if err != nil {
		return err
	}
	if truthPath != "" {
		if err := writeTruth(truthPath, truth); err != nil {
			return err
		}
	}
	perClass := map[string]int{}
	for _, l := range truth.Labels {
		perClass[l.Class]++
	}
	keys := make([]string, 0, len(perClass))
	for c := range perClass {
		keys = append(keys, c)
	}
	sort.Strings(keys)
	var parts []string
	for _, c := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", c, perClass[c]))
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "simulated %d lines: %d benign addresses, %d attackers (%s)\n",
		truth.Lines, truth.BenignIPs, len(truth.Labels), strings.Join(parts, ", "))
	return nil
}

func writeTruth(path string, t *simulate.Truth) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := t.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// siteFiles appends live lines to one <host>.log per site.
type siteFiles struct {
	dir   string
	mu    sync.Mutex
	files map[string]*os.File
}

func (s *siteFiles) sink(site simulate.Site, lines [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[site.Host]
	if f == nil {
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return err
		}
		var err error
		f, err = os.OpenFile(filepath.Join(s.dir, site.Host+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		if s.files == nil {
			s.files = map[string]*os.File{}
		}
		s.files[site.Host] = f
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.Write(l)
		w.WriteByte('\n')
	}
	return w.Flush()
}

func (s *siteFiles) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		f.Close()
	}
}

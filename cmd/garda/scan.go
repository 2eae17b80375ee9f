package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/format"
)

// scanCommands are garda scan's sub-commands by name (import, validate,
// ...); each file registers its own in an init(), so that the files of
// the scan engines stay independent. Anything else after "garda scan" is
// a target.
var scanCommands = map[string]func(args []string) error{}

func init() {
	scanCommands["import"] = func(args []string) error {
		return scanImport(args, os.Stdin, os.Stdout, os.Stderr)
	}
}

const scanLong = `Scan web sites from the command line, offline: no server, no database.

  garda scan --i-am-authorised [flags] URL...   scan the targets given, and only them
  garda scan import FILE                        read nuclei JSONL or nmap XML (-oX) made elsewhere
  garda scan validate DIR                       load every nuclei template under DIR

Testing a system without its owner's written permission is a crime (UU ITE
art. 30 and 46). The server never scans an asset without a recorded
authorisation; here the person at the keyboard gives it: --i-am-authorised
says that you hold written permission from the owner of every target named,
for the mode chosen. Without it nothing is sent.

Results are nuclei's JSONL shape (--jsonl; otherwise one line each for
people), on stdout as they are found; a progress bar goes to stderr when it
is a terminal. --sarif and --csv also write all results to files.
Run "garda scan --help" for the flags.`

func scanCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scan [flags] URL... | scan import FILE | scan validate DIR",
		Short: "Scan authorised sites from the command line; import nuclei and nmap results",
		Long:  scanLong,
		// The sub-commands and the target scan parse their own flags.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				if sub, ok := scanCommands[args[0]]; ok {
					return sub(args[1:])
				}
			}
			return scanTargets(cmd.Context(), args, cmd.OutOrStdout(), cmd.ErrOrStderr(), defaultScanDeps())
		},
	}
}

// scanDeps are what a command-line scan is made of: where its checks come
// from and the Env it reaches the targets through.
type scanDeps struct {
	Checks func(templates string) ([]scan.Check, error)
	Env    scan.EnvFactory
}

// defaultScanDeps: the registered check sources (scan_engines.go) and
// package fetch's Env (per-host politeness from the flags, the address
// guard: the public internet, or GARDA_SCAN_ALLOW's networks; DNS checks
// ask GARDA_SCAN_RESOLVER).
func defaultScanDeps() scanDeps {
	f := scheduleFlags{scanAllow: splitList(os.Getenv("GARDA_SCAN_ALLOW")), scanResolver: os.Getenv("GARDA_SCAN_RESOLVER")}
	pol, err := f.scanPolicy()
	if err != nil {
		return scanDeps{Checks: func(string) ([]scan.Check, error) { return nil, fmt.Errorf("GARDA_SCAN_ALLOW: %w", err) },
			Env: fetch.ScanEnv(fetch.Policy{}, "")}
	}
	return scanDeps{Checks: scan.LoadChecks, Env: fetch.ScanEnv(pol, f.scanResolver)}
}

type scanFlags struct {
	templates   string
	jsonl       bool
	sarif, csv  string
	mode        string
	rate        float64
	concurrency int
	maxHosts    int
	retries     int
	timeout     time.Duration
	authorised  bool
	progress    string
	resolver    string
}

func scanFlagSet(f *scanFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("garda scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.templates, "templates", "", "folder of nuclei templates to run (default: the shipped set)")
	fs.BoolVar(&f.jsonl, "jsonl", false, "write results as nuclei JSONL (default: one line each for people)")
	fs.StringVar(&f.sarif, "sarif", "", "also write all results to this file as SARIF 2.1.0")
	fs.StringVar(&f.csv, "csv", "", "also write all results to this file as CSV")
	fs.StringVar(&f.mode, "mode", "passive", "passive (what a browser would fetch) or active (payloads, guessed paths)")
	fs.Float64Var(&f.rate, "rate", 5, "requests per second per host, at most")
	fs.IntVar(&f.concurrency, "concurrency", 2, "connections per host, at most")
	fs.IntVar(&f.maxHosts, "max-hosts", scan.DefaultMaxHosts, "hosts scanned at once, at most")
	fs.IntVar(&f.retries, "retries", 2, "further attempts at a host that failed (after 5 s, then 10 s, ...)")
	fs.DurationVar(&f.timeout, "host-timeout", 15*time.Minute, "time one attempt at one host may take")
	fs.BoolVar(&f.authorised, "i-am-authorised", false, "REQUIRED: I hold the owner's written permission to test every target, in this mode")
	fs.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (when a terminal), always or never")
	fs.StringVar(&f.resolver, "resolver", "", "DNS server (host:port) the DNS checks ask (default: GARDA_SCAN_RESOLVER, else the system's)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, scanLong)
		fmt.Fprintln(stderr, "\nFlags (before or after the targets):")
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before, between and after
// the positional arguments, as users type them.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func scanTargets(ctx context.Context, args []string, stdout, stderr io.Writer, deps scanDeps) error {
	var f scanFlags
	fs := scanFlagSet(&f, stderr)
	urls, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return &exitError{code: 2, err: err}
	}
	if len(urls) == 0 {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("scan: name at least one target URL")}
	}
	if !f.authorised {
		return &exitError{code: 2, err: errors.New("scan: refused: --i-am-authorised is required; it says you hold the written permission of the owner of every target to test it (see garda scan --help)")}
	}
	mode := scan.Mode(f.mode)
	if mode != scan.Passive && mode != scan.Active {
		return &exitError{code: 2, err: fmt.Errorf("scan: --mode %q: want passive or active", f.mode)}
	}
	if f.rate <= 0 || f.concurrency <= 0 || f.maxHosts <= 0 || f.timeout <= 0 || f.retries < 0 {
		return &exitError{code: 2, err: errors.New("scan: --rate, --concurrency, --max-hosts and --host-timeout must be above zero, --retries zero or more")}
	}
	now := time.Now()
	auth := scan.Authorization{GivenBy: "command line (--i-am-authorised)", Scope: urls, Mode: mode,
		WindowStart: 0, WindowEnd: 24, RatePerSecond: f.rate, Concurrency: f.concurrency,
		CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	targets, err := scan.Targets(auth)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("scan: %w", err)}
	}
	if deps.Env == nil {
		return errors.New("scan: this build has no fetcher to reach targets through (package fetch is not wired in yet)")
	}
	checks, err := deps.Checks(f.templates)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if len(scan.Allowed(checks, mode)) == 0 {
		return fmt.Errorf("scan: no %s checks to run (sources compiled in: %s)", mode, strings.Join(scan.Sources(), ", "))
	}

	var (
		mu      sync.Mutex
		all     []scan.Result
		keep    = f.sarif != "" || f.csv != ""
		jsonl   = format.NewJSONL(stdout)
		outErr  error
		bar     = newProgressBar(stderr, f.progress)
		started = time.Now()
		last    scan.Progress
	)
	emit := func(r scan.Result) {
		mu.Lock()
		defer mu.Unlock()
		bar.clear()
		var err error
		if f.jsonl {
			err = jsonl.Write(r)
		} else {
			_, err = fmt.Fprintln(stdout, humanLine(r))
		}
		if err != nil && outErr == nil {
			outErr = err
		}
		if keep {
			all = append(all, r)
		}
	}
	env := deps.Env(auth)
	if f.resolver != "" {
		if _, _, err := net.SplitHostPort(f.resolver); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("scan: --resolver %q: want host:port", f.resolver)}
		}
		env.Resolver = f.resolver
	}
	failed := scan.ScanTargets(ctx, env, targets, checks,
		scan.HostOptions{MaxHosts: f.maxHosts, PerHost: f.concurrency, HostTimeout: f.timeout, Retries: retries(f.retries)}, emit,
		func(p scan.Progress) { mu.Lock(); last = p; bar.draw(p); mu.Unlock() })
	bar.finish()
	if outErr != nil {
		return fmt.Errorf("scan: write results: %w", outErr)
	}
	format.SortResults(all)
	if f.sarif != "" {
		if err := writeFile(f.sarif, func(w io.Writer) error { return format.WriteSARIF(w, all, version) }); err != nil {
			return err
		}
	}
	if f.csv != "" {
		if err := writeFile(f.csv, func(w io.Writer) error { return format.WriteCSV(w, all) }); err != nil {
			return err
		}
	}
	for _, h := range failed {
		fmt.Fprintf(stderr, "garda: scan: %v\n", h)
	}
	fmt.Fprintf(stderr, "garda: scanned %d of %d targets in %s: %d checks run, %d requests, %d results\n",
		len(targets)-len(failed), len(targets), time.Since(started).Round(time.Millisecond), last.Done, last.Requests, last.Found)
	if len(failed) > 0 {
		return &exitError{code: 3, err: fmt.Errorf("scan: %d of %d targets could not be scanned", len(failed), len(targets))}
	}
	return ctx.Err()
}

// retries turns the flag's "zero more attempts" into HostOptions' -1.
func retries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// humanLine is nuclei's plain output: [id:matcher] [type] [severity] where [extracted].
func humanLine(r scan.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] [%s] [%s] %s", r.CheckKey(), r.Type, r.Info.Severity, r.Location())
	if len(r.ExtractedResults) > 0 {
		fmt.Fprintf(&b, " [%s]", strings.Join(r.ExtractedResults, ","))
	}
	return b.String()
}

// writeFile writes through fn to path, leaving no half-written file on a
// failure.
func writeFile(path string, fn func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := fn(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

func scanImport(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("garda scan import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sarif := fs.String("sarif", "", "also write the results to this file as SARIF 2.1.0")
	csvPath := fs.String("csv", "", "also write the results to this file as CSV")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `garda scan import FILE: read results made elsewhere (nuclei -jsonl, nmap -oX; "-" for stdin)
and print them as nuclei JSONL.`)
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return &exitError{code: 2, err: err}
	}
	if len(files) == 0 {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("scan import: name a file")}
	}
	// Every file is read before anything is written: a bad file changes
	// nothing.
	var all []scan.Result
	for _, name := range files {
		var r io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("scan import: %w", err)
			}
			defer f.Close()
			r = f
		}
		rs, err := format.Read(r, name)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("scan import: %w", err)}
		}
		all = append(all, rs...)
	}
	w := format.NewJSONL(stdout)
	for _, r := range all {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	if *sarif != "" {
		if err := writeFile(*sarif, func(w io.Writer) error { return format.WriteSARIF(w, all, version) }); err != nil {
			return err
		}
	}
	if *csvPath != "" {
		if err := writeFile(*csvPath, func(w io.Writer) error { return format.WriteCSV(w, all) }); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "garda: imported %d results from %s\n", len(all), strings.Join(files, ", "))
	return nil
}

// progressBar draws one line on a terminal, at most ten times a second.
type progressBar struct {
	w     io.Writer
	on    bool
	last  time.Time
	drawn bool
	p     scan.Progress
}

func newProgressBar(w io.Writer, when string) *progressBar {
	on := when == "always"
	if when == "auto" {
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				on = true
			}
		}
	}
	return &progressBar{w: w, on: on}
}

func (b *progressBar) draw(p scan.Progress) {
	b.p = p
	if !b.on || time.Since(b.last) < 100*time.Millisecond && p.Done < p.Total {
		return
	}
	b.last = time.Now()
	b.render()
}

func (b *progressBar) render() {
	const width = 30
	p := b.p
	filled := 0
	if p.Total > 0 {
		filled = width * p.Done / p.Total
	}
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d checks, %d requests, %d found ",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.Done, p.Total, p.Requests, p.Found)
	b.drawn = true
}

// clear removes the bar before a result line is written, so they never mix.
func (b *progressBar) clear() {
	if b.on && b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
		b.drawn = false
	}
}

func (b *progressBar) finish() {
	if b.on {
		b.render()
		fmt.Fprintln(b.w)
	}
}

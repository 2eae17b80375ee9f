// Command indicatorgen makes detection indicators (addresses, CIDR ranges,
// domains, URLs; internal/intel/match.GenIndicators) and plants some of
// them in an nginx access log, for scripts/bench-detect.sh --indicators.
//
//	go run ./scripts/indicatorgen --n 100000 --log access.log --out planted.log \
//	    --indicators indicators.txt --planted planted.txt
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/garda-id/garda/internal/intel/match"
)

func main() {
	n := flag.Int("n", 100000, "indicators to make")
	seed := flag.Uint64("seed", 7, "seed")
	perKind := flag.Int("per-kind", 25, "indicators of each kind (address, range, domain, URL) to plant")
	every := flag.Int("every", 5000, "plant a line after every this many lines of the log")
	in := flag.String("log", "", "the log to plant in")
	out := flag.String("out", "", "the log with the planted lines")
	indicators := flag.String("indicators", "indicators.txt", "write the indicators here (\"kind value\" lines, as garda detect replay --indicators reads)")
	planted := flag.String("planted", "planted.txt", "write the planted indicators here (\"kind<TAB>value\" lines)")
	flag.Parse()
	if err := run(*n, *seed, *perKind, *every, *in, *out, *indicators, *planted); err != nil {
		fmt.Fprintln(os.Stderr, "indicatorgen:", err)
		os.Exit(1)
	}
}

func run(n int, seed uint64, perKind, every int, in, out, indicators, planted string) error {
	entries := match.GenIndicators(n, seed)
	f, err := os.Create(indicators)
	if err != nil {
		return err
	}
	if err := match.Write(f, entries); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if in == "" || out == "" {
		return nil
	}
	r, err := os.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	lines, err := match.Plant(w, r, match.Choose(entries, perKind), every, seed)
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	p, err := os.Create(planted)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintf(p, "%s\t%s\n", l.Entry.Kind, l.Entry.Value)
	}
	return p.Close()
}

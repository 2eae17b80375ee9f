// Command hostilelog writes an access log in which every line is a
// different attack from a different address (see internal/detect/hostile),
// for scripts/bench-detect.sh --hostile.
//
//	go run ./scripts/hostilelog --payloads ../shared/data/payloads --lines 30000 --seed 7 > hostile.log
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/garda-id/garda/internal/detect/hostile"
)

func main() {
	dir := flag.String("payloads", "../shared/data/payloads", "folder of the payload lists (sqli.txt, xss.txt, cmdi.txt, traversal.txt)")
	lines := flag.Int("lines", 30000, "lines to write")
	seed := flag.Uint64("seed", 7, "seed of the order and the variants")
	flag.Parse()
	payloads, err := hostile.Load(*dir)
	if err == nil {
		err = hostile.Write(os.Stdout, payloads, hostile.Options{Lines: *lines, Seed: *seed})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostilelog:", err)
		os.Exit(1)
	}
}

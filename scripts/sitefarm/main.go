// Command sitefarm serves KPU's 553 simulated sites on loopback (package
// scan/sitefarm) for scripts/bench-scan-round.sh: it writes the targets
// (one URL a line), what is planted on each and the address of its DNS
// server (the farm's names, for the DNS checks), says "ready", and on
// SIGINT/SIGTERM writes what every site saw and exits.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/garda-id/garda/internal/scan/sitefarm"
)

func main() {
	sites := flag.Int("sites", 553, "how many sites (the catalogue's first N: national, provinces, regencies)")
	port := flag.Int("port", 0, "port every site listens on (0: a free one)")
	targets := flag.String("targets", "targets.txt", "file to write the sites' URLs to")
	truth := flag.String("truth", "truth.json", "file to write the sites and their planted weaknesses to")
	stats := flag.String("stats", "farm-stats.json", "file to write what the sites saw to, on exit")
	resolver := flag.String("resolver", "resolver.txt", "file to write the farm's DNS server (host:port) to, for the scan's resolver")
	flag.Parse()

	f := sitefarm.New(*sites)
	if err := f.Listen(*port); err != nil {
		fail(err)
	}
	var urls []string
	for _, s := range f.Sites {
		urls = append(urls, s.URL)
	}
	if err := os.WriteFile(*targets, []byte(strings.Join(urls, "\n")+"\n"), 0o644); err != nil {
		fail(err)
	}
	writeJSON(*truth, f.Sites)
	dnsAddr, err := f.ServeDNS()
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(*resolver, []byte(dnsAddr+"\n"), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("ready: %d sites, e.g. %s (%s)\n", len(f.Sites), f.Sites[0].URL, f.Sites[0].Name)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	f.Close()
	writeJSON(*stats, f.Stats())
}

func writeJSON(path string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sitefarm:", err)
	os.Exit(1)
}

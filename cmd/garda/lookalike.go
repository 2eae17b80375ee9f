package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/lookalike"
)

func lookalikeCmd() *cobra.Command {
	var resolver string
	var live bool
	var r lookalike.Resolver
	cmd := &cobra.Command{
		Use:   "lookalike DOMAIN... [--resolver ADDR] [--live]",
		Short: "Generate the lookalike domains of KPU's sites and find the live ones",
		Long: `Lookalike generates the names an impostor of DOMAIN would register: typos (omission,
repetition, transposition, keyboard neighbours, bit flips), homoglyphs (rn/m, l/1, 0/o and
Cyrillic or Greek letters in punycode), other TLDs and .id second levels, the suffix pulled
into the name (kpu-go-id.com) and added words (pemilu-kpu.id, cek-dpt-kpu.com). It prints
one JSON line per candidate. With --live it asks the resolver (A, AAAA, CNAME, NS) and
prints only the names that exist, with their records, and a summary on standard error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var all []lookalike.Candidate
			for _, d := range args {
				c := lookalike.Generate(d)
				if len(c) == 0 {
					return fmt.Errorf("lookalike: %q is not a domain name under a public suffix", d)
				}
				all = append(all, c...)
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			enc := json.NewEncoder(out)
			if !live {
				for _, c := range all {
					if err := enc.Encode(c); err != nil {
						return err
					}
				}
				return nil
			}
			r.Addr = resolver
			if r.Addr == "" {
				cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
				if err != nil || len(cfg.Servers) == 0 {
					return fmt.Errorf("lookalike: no --resolver given and none in /etc/resolv.conf")
				}
				r.Addr = net.JoinHostPort(cfg.Servers[0], cfg.Port)
			}
			start := time.Now()
			found, st := r.Resolve(cmd.Context(), all)
			for _, l := range found {
				if err := enc.Encode(l); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "lookalike: %d candidates, %d queries to %s, %d live, %d only a wildcard's answer, %d without an answer, in %s\n",
				st.Queried, st.Queries, r.Addr, st.Live, st.Wildcard, st.Failed, time.Since(start).Round(time.Millisecond))
			if st.Queried > 0 && st.Failed == st.Queried {
				return fmt.Errorf("lookalike: the resolver %s answered none of the %d candidates: is it reachable?", r.Addr, st.Queried)
			}
			return cmd.Context().Err()
		},
	}
	cmd.Flags().StringVar(&resolver, "resolver", envOr("GARDA_RESOLVER", ""), "DNS resolver host:port; empty: the first of /etc/resolv.conf (GARDA_RESOLVER)")
	cmd.Flags().BoolVar(&live, "live", false, "resolve the candidates and print only the live ones")
	cmd.Flags().IntVar(&r.Concurrency, "concurrency", lookalike.DefaultConcurrency, "queries in flight")
	cmd.Flags().Float64Var(&r.Rate, "rate", lookalike.DefaultRate, "queries a second")
	cmd.Flags().DurationVar(&r.Timeout, "timeout", lookalike.DefaultTimeout, "time to wait for each answer")
	return cmd
}

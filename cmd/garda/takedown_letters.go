package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// takedownOutbox carries the letters the CLI sends (`garda takedown send`)
// by the SMTP server serve uses (GARDA_SMTP_ADDR, GARDA_SMTP_FROM); with
// no server the request is recorded as sent, its letter carried by hand.
func takedownOutbox() *takedown.Outbox {
	n := &notify.Notifier{SMTP: notify.SMTP{Addr: envOr("GARDA_SMTP_ADDR", ""), From: envOr("GARDA_SMTP_FROM", "garda@localhost")}}
	return n.TakedownOutbox()
}

// tdLetterCmd prints a request's letter, or writes its PDF.
func tdLetterCmd() *cobra.Command {
	var cfg platform.Config
	var as, kind, pdf string
	cmd := &cobra.Command{
		Use:   "letter --as USERNAME [--kind K] [--pdf FILE] ID",
		Short: "Print a takedown request's letter in Bahasa Indonesia, or write it as PDF",
		Example: `  garda takedown letter --as patroli.komdigi 12
  garda takedown letter --as patroli.komdigi --kind teguran_1 --pdf PK-2026-000012-T1.pdf 12`,
		Args: cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			id, err := requestID(args[0])
			if err != nil {
				return err
			}
			l, err := takedown.LetterOf(cmd.Context(), db, p, id, kind)
			if err != nil {
				return err
			}
			if pdf != "" {
				if err := os.WriteFile(pdf, l.PDF(), 0o600); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s written to %s\n", l.Number, pdf)
				return nil
			}
			fmt.Fprint(cmd.OutOrStdout(), l.Text())
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&as, "as", "", "the user who asks")
	cmd.Flags().StringVar(&kind, "kind", takedown.LetterRequest, "permohonan, teguran_1, teguran_2, teguran_3 or pemutusan_akses")
	cmd.Flags().StringVar(&pdf, "pdf", "", "write the PDF to this file instead of printing the text")
	return cmd
}

// tdCheckCmd runs Garda's own check of a request's URLs now.
func tdCheckCmd() *cobra.Command {
	var cfg platform.Config
	var as string
	var allow []string
	cmd := &cobra.Command{
		Use:   "check --as USERNAME ID",
		Short: "Check a sent request's URLs now: gone, 404/410, the platform's removal page, or still online",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			id, err := requestID(args[0])
			if err != nil {
				return err
			}
			pol := fetch.PublicInternet()
			if len(allow) > 0 {
				if pol, err = fetch.ParsePolicy(allow...); err != nil {
					return fmt.Errorf("--allow: %w", err)
				}
			}
			c := &takedown.Checker{DB: db, Fetch: fetch.New(fetch.Config{Policy: pol, Limits: fetch.Limits{MaxBody: 1 << 20},
				PerHost: fetch.HostLimit{Conns: 2, RPS: 1}})}
			checks, err := c.CheckRequest(cmd.Context(), p, id)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "URL\tRESULT\tDETAIL")
			for _, ch := range checks {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.URL, ch.Result, ch.Detail)
			}
			return tw.Flush()
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&as, "as", "", "the user who checks (of the issuing organisation)")
	cmd.Flags().StringSliceVar(&allow, "allow", nil, "networks (CIDR) the check may reach; empty: the public internet only")
	return cmd
}

package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/notify"
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
	var kind, pdf string
	cmd := tdRequestCmd("letter --as USERNAME [--kind K] [--pdf FILE] ID", "Print a takedown request's letter in Bahasa Indonesia, or write it as PDF",
		"the user who asks", func(cmd *cobra.Command, db *store.DB, p auth.Principal, id int64) error {
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
		})
	cmd.Example = `  garda takedown letter --as patroli.komdigi 12
  garda takedown letter --as patroli.komdigi --kind teguran_1 --pdf PK-2026-000012-T1.pdf 12`
	cmd.Flags().StringVar(&kind, "kind", takedown.LetterRequest, "permohonan, teguran_1, teguran_2, teguran_3 or pemutusan_akses")
	cmd.Flags().StringVar(&pdf, "pdf", "", "write the PDF to this file instead of printing the text")
	return cmd
}

// tdCheckCmd runs Garda's own check of a request's URLs now.
func tdCheckCmd() *cobra.Command {
	var allow []string
	cmd := tdRequestCmd("check --as USERNAME ID", "Check a sent request's URLs now: gone, 404/410, the platform's removal page, or still online",
		"the user who checks (of the issuing organisation)", func(cmd *cobra.Command, db *store.DB, p auth.Principal, id int64) error {
			pol := fetch.PublicInternet()
			if len(allow) > 0 {
				var err error
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
		})
	cmd.Flags().StringSliceVar(&allow, "allow", nil, "networks (CIDR) the check may reach; empty: the public internet only")
	return cmd
}

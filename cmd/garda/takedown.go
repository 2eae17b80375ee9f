package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/store"
)

// takedownCmd is the takedown pillar's command. Today it cuts access by
// DNS directly (block, unblock, blocklist); requests to platforms come next.
func takedownCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "takedown", Short: "Takedowns: requests to platforms (create, approve, send, answer) and cutting access by DNS (block, unblock, blocklist)"}
	cmd.AddCommand(takedownBlockCmd(), takedownUnblockCmd(), takedownBlocklistCmd())
	cmd.AddCommand(takedownRequestCmds()...)
	return cmd
}

func takedownBlockCmd() *cobra.Command {
	var cfg platform.Config
	var as string
	var in rpz.Input
	cmd := &cobra.Command{
		Use:   "block DOMAIN --reason TEXT --as USER",
		Short: "Put a domain and its subdomains on the DNS blocklist now (a national coordinator; audited)",
		Example: `  garda takedown block kpu-go-id.com --reason "situs palsu KPU (phishing)" --as koordinator
  garda takedown block hoaks-pemilu.net --landing blokir.komdigi.go.id --reason "hoaks" --as koordinator`,
		Args: cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			in.Domain = args[0]
			e, err := rpz.BlockAs(cmd.Context(), db, p, in)
			if err != nil {
				return err
			}
			how := "NXDOMAIN"
			if e.Policy == rpz.Landing {
				how = "CNAME " + e.Target
			}
			fmt.Fprintf(cmd.OutOrStdout(), "blocked %s and *.%s (%s) at zone serial %d\n", e.Domain, e.Domain, how, e.Serial)
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "the coordinator who blocks")
	f.StringVar(&in.Reason, "reason", "", "why (kept with the block, shown on the blocklist)")
	f.StringVar(&in.LandingHost, "landing", "", "answer with a CNAME to this landing page host instead of NXDOMAIN")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func takedownUnblockCmd() *cobra.Command {
	var cfg platform.Config
	var as, reason string
	cmd := &cobra.Command{
		Use:   "unblock DOMAIN --reason TEXT --as USER",
		Short: "Lift a domain's DNS block (a national coordinator; audited)",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			e, err := rpz.UnblockAs(cmd.Context(), db, p, args[0], reason)
			if err != nil {
				return err
			}
			serial, _ := rpz.Serial(cmd.Context(), db)
			fmt.Fprintf(cmd.OutOrStdout(), "unblocked %s at zone serial %d\n", e.Domain, serial)
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&as, "as", "", "the coordinator who lifts the block")
	cmd.Flags().StringVar(&reason, "reason", "", "why the block ends")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func takedownBlocklistCmd() *cobra.Command {
	var cfg platform.Config
	var f rpz.Filter
	cmd := &cobra.Command{
		Use:   "blocklist",
		Short: "List the DNS blocklist, newest first (lifted blocks too with --all)",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			es, err := rpz.List(cmd.Context(), db, f)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DOMAIN\tPOLICY\tSOURCE\tBY\tSINCE\tLIFTED\tREASON")
			for _, e := range es {
				pol := "nxdomain"
				if e.Policy == rpz.Landing {
					pol = "cname " + e.Target
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Domain, pol, e.Source, e.CreatedBy, wibTime(e.CreatedAt), decisionTime(e.LiftedAt), decisionLine(e.Reason))
			}
			return tw.Flush()
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&f.Search, "search", "", "a part of the domain, reason, source or who blocked it")
	cmd.Flags().BoolVar(&f.All, "all", false, "lifted blocks too")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "at most this many (up to 1000)")
	return cmd
}

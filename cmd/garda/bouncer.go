package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/store"
)

// bouncerCmd manages the enforcement points that pull decisions over the
// CrowdSec Local API (garda serve answers them at /v1/decisions...).
func bouncerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bouncer",
		Short: "Manage bouncers (CrowdSec-compatible enforcement points): add, list, delete",
		Long: `A bouncer is an enforcement point that speaks CrowdSec's Local API: the nginx, firewall
and custom-script bouncers pull Garda's decisions from garda serve's /v1/decisions/stream
with the key "garda bouncer add" prints. Set the bouncer's api_url to Garda's address and
its api_key to that key.`,
	}
	cmd.AddCommand(bouncerAddCmd(), bouncerListCmd(), bouncerDeleteCmd())
	return cmd
}

func bouncerAddCmd() *cobra.Command {
	var cfg platform.Config
	cmd := &cobra.Command{
		Use:     "add NAME",
		Short:   "Register a bouncer and print its API key (once: it is stored only as a hash)",
		Example: `  garda bouncer add nginx-kpu-1 --data-dir D`,
		Args:    cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			key, b, err := decision.AddBouncer(cmd.Context(), db, audit.System, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), key)
			fmt.Fprintf(cmd.ErrOrStderr(), "bouncer %s (id %d) registered; put the key above in its api_key: it is not shown again\n", b.Name, b.ID)
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	return cmd
}

func bouncerListCmd() *cobra.Command {
	var cfg platform.Config
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List bouncers and when each last pulled",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			bs, err := decision.ListBouncers(cmd.Context(), db, all)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tLAST PULL\tFROM\tUSER AGENT\tCREATED\tSTATUS")
			for _, b := range bs {
				status := "valid"
				if b.RevokedAt != nil {
					status = "deleted " + wibTime(*b.RevokedAt)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", b.Name, decisionTime(b.LastPullAt), decisionDash(b.LastPullIP), decisionDash(b.UserAgent),
					wibTime(b.CreatedAt), status)
			}
			return tw.Flush()
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().BoolVar(&all, "all", false, "include deleted bouncers")
	return cmd
}

func bouncerDeleteCmd() *cobra.Command {
	var cfg platform.Config
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Stop a bouncer's key working",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			if err := decision.DeleteBouncer(cmd.Context(), db, audit.System, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "bouncer %s deleted\n", args[0])
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	return cmd
}

// decisionCmd is the operator's view of blocking: add, list and revoke
// decisions, and keep the allow-list.
func decisionCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "decision", Short: "Blocking decisions: add, list, revoke; the allow-list"}
	cmd.AddCommand(decisionAddCmd(), decisionListCmd(), decisionRevokeCmd(), allowCmd())
	return cmd
}

func decisionAddCmd() *cobra.Command {
	var cfg platform.Config
	var in decision.Input
	var ip, rng string
	cmd := &cobra.Command{
		Use:     "add",
		Short:   "Block an address or range now (bouncers enforce it on their next pull)",
		Example: `  garda decision add --ip 192.0.2.7 --duration 4h --reason "SQL injection on cekdptonline"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (ip == "") == (rng == "") {
				return fmt.Errorf("give one of --ip or --range")
			}
			in.Value = ip + rng
			db, err := openStore(cmd, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			d, err := decision.CreateBy(cmd.Context(), db, audit.System, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "decision %d: %s %s until %s (%s)\n", d.ID, d.Type, d.Value, decisionTime(d.Until), d.Outcome)
			return nil
		},
	}
	storeFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&ip, "ip", "", "address to block")
	f.StringVar(&rng, "range", "", "CIDR range to block")
	f.StringVar(&in.Duration, "duration", "4h", "how long, e.g. 90m, 4h, 2d")
	f.StringVar(&in.Type, "type", "ban", "ban or captcha")
	f.StringVar(&in.Reason, "reason", "", "why (bouncers log it)")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func decisionListCmd() *cobra.Command {
	var cfg platform.Config
	var f decision.Filter
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List decisions, newest first (live ones unless --all or --status)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Status == "" && !all {
				f.Status = "live"
			}
			db, err := openStore(cmd, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tVALUE\tTYPE\tSTATUS\tORIGIN\tSCENARIO\tUNTIL\tREASON")
			f.Limit = 500
			for {
				ds, err := decision.ListAll(cmd.Context(), db, f)
				if err != nil {
					return err
				}
				more := len(ds) > f.Limit
				if more {
					ds = ds[:f.Limit]
				}
				for _, d := range ds {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Value, d.Type, d.Status, d.Origin, decisionDash(d.Scenario),
						decisionTime(d.Until), decisionLine(d.Reason))
				}
				if !more {
					break
				}
				f.Before = ds[len(ds)-1].ID
			}
			return tw.Flush()
		},
	}
	storeFlags(cmd, &cfg)
	fl := cmd.Flags()
	fl.StringVar(&f.Status, "status", "", "live, proposed, active, expired, rejected or revoked")
	fl.StringVar(&f.IP, "ip", "", "only decisions whose range holds this address or range")
	fl.StringVar(&f.Scenario, "scenario", "", "only this scenario")
	fl.BoolVar(&all, "all", false, "every decision, ended ones too")
	return cmd
}

func decisionRevokeCmd() *cobra.Command {
	var cfg platform.Config
	var reason string
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "End an active decision now (bouncers unblock on their next pull)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("%q is not a decision id", args[0])
			}
			db, err := openStore(cmd, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			d, err := decision.RevokeBy(cmd.Context(), db, audit.System, id, reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "decision %d on %s revoked\n", d.ID, d.Value)
			return nil
		},
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&reason, "reason", "", "why it ends early")
	return cmd
}

func allowCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "allow", Short: "The allow-list: addresses Garda never blocks (add, list, remove)"}
	var cfg, lcfg, rcfg platform.Config
	var in decision.AllowInput
	add := &cobra.Command{
		Use:     "add",
		Short:   "Allow an address or range; live decisions on it end now",
		Example: `  garda decision allow add --value 203.0.113.0/24 --reason "national CDN edge"`,
		Args:    cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			e, err := decision.AddAllowBy(cmd.Context(), db, audit.System, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "allow-list entry %d: %s", e.ID, e.Value)
			if len(e.Ended) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), " (ended decisions %s)", decisionIDs(e.Ended))
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		}),
	}
	storeFlags(add, &cfg)
	add.Flags().StringVar(&in.Value, "value", "", "address or CIDR range")
	add.Flags().StringVar(&in.Reason, "reason", "", "whose address, and why it must never be blocked")
	add.Flags().StringVar(&in.ExpiresIn, "expires-in", "", "optional lifetime, e.g. 720h or 30d")
	add.MarkFlagRequired("value")
	add.MarkFlagRequired("reason")

	var all bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the allow-list",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(cmd, lcfg)
			if err != nil {
				return err
			}
			defer db.Close()
			es, err := decision.AllowList(cmd.Context(), db, all)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tVALUE\tEXPIRES\tLIVE\tBY\tREASON")
			for _, e := range es {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%t\t%s\t%s\n", e.ID, e.Value, decisionTime(e.ExpiresAt), e.Live, e.CreatedBy, decisionLine(e.Reason))
			}
			return tw.Flush()
		},
	}
	storeFlags(list, &lcfg)
	list.Flags().BoolVar(&all, "all", false, "include removed and expired entries")

	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove an allow-list entry (blocks it ended stay ended)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("%q is not an allow-list entry id", args[0])
			}
			db, err := openStore(cmd, rcfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := decision.RemoveAllowBy(cmd.Context(), db, audit.System, id); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "allow-list entry %d removed\n", id)
			return nil
		},
	}
	storeFlags(remove, &rcfg)
	cmd.AddCommand(add, list, remove)
	return cmd
}

func decisionTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return wibTime(*t)
}

func decisionDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func decisionLine(s string) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return string(r)
}

func decisionIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}

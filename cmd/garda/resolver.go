package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/store"
)

// resolverCmd manages the DNS resolvers that load the blocklist zone.
func resolverCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "resolver",
		Short: "Manage DNS resolvers that load the blocklist (Response Policy Zone): add, list, revoke",
		Long: `A resolver (an ISP's unbound or BIND) loads Garda's DNS blocklist as a Response Policy
Zone named garda.rpz: over HTTP from garda serve at /rpz/<key>/garda.rpz (unbound's rpz: url:),
or by zone transfer (AXFR/IXFR signed with the resolver's TSIG key) from garda serve --rpz-listen.
"garda resolver add" prints the key and the TSIG secret once.`,
	}
	cmd.AddCommand(resolverAddCmd(), resolverListCmd(), resolverRevokeCmd())
	return cmd
}

func resolverAddCmd() *cobra.Command {
	var cfg platform.Config
	var notify string
	cmd := &cobra.Command{
		Use:     "add NAME",
		Short:   "Register a resolver and print its key and TSIG secret (once: not shown again)",
		Example: `  garda resolver add isp-a-jkt --notify 192.0.2.53:53`,
		Args:    cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			c, r, err := rpz.AddResolver(cmd.Context(), db, audit.System, args[0], notify)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "key: %s\nurl-path: %s\ntsig-name: %s\ntsig-algorithm: hmac-sha256\ntsig-secret: %s\n", c.Key, c.Path(), c.TSIGName, c.TSIGSecret)
			fmt.Fprintf(cmd.ErrOrStderr(), "resolver %s (id %d) registered; the key and secret above are not shown again\n", r.Name, r.ID)
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&notify, "notify", "", "host:port to send DNS NOTIFY to when the blocklist changes")
	return cmd
}

func resolverListCmd() *cobra.Command {
	var cfg platform.Config
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List resolvers and when each last fetched or transferred the zone",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			rs, err := rpz.ListResolvers(cmd.Context(), db, all)
			if err != nil {
				return err
			}
			serial, err := rpz.Serial(cmd.Context(), db)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "zone serial %d\n", serial)
			fmt.Fprintln(tw, "NAME\tLAST FETCH\tHOW\tSERIAL\tFROM\tNOTIFY\tSTATUS")
			for _, r := range rs {
				status := "valid"
				if r.RevokedAt != nil {
					status = "revoked " + wibTime(*r.RevokedAt)
				} else if r.LastFetchAt != nil && r.LastSerial != serial {
					status = "behind"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, decisionTime(r.LastFetchAt), decisionDash(r.LastFetchKind),
					serialText(r.LastSerial), decisionDash(r.LastFetchIP), decisionDash(r.NotifyAddr), status)
			}
			return tw.Flush()
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().BoolVar(&all, "all", false, "include revoked resolvers")
	return cmd
}

func serialText(s uint32) string {
	if s == 0 {
		return "-"
	}
	return fmt.Sprint(s)
}

func resolverRevokeCmd() *cobra.Command {
	var cfg platform.Config
	cmd := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Stop a resolver's key and TSIG secret working",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			if err := rpz.RevokeResolver(cmd.Context(), db, audit.System, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "resolver %s revoked\n", args[0])
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	return cmd
}

// startRPZ sets the zone's timers and, with --rpz-listen, starts the DNS
// listener for transfers and NOTIFY; it stops with ctx.
func startRPZ(ctx context.Context, p *platform.Platform, cfg platform.Config, log *slog.Logger) error {
	if cfg.RPZRefresh != 0 && (cfg.RPZRefresh < time.Second || cfg.RPZRefresh > 24*time.Hour) {
		return fmt.Errorf("--rpz-refresh %s: from 1s to 24h", cfg.RPZRefresh)
	}
	t := rpz.Timers{Refresh: cfg.RPZRefresh}
	if cfg.RPZRefresh > 0 && cfg.RPZRefresh < rpz.DefaultTimers.Retry {
		t.Retry, t.Minimum, t.TTL = cfg.RPZRefresh, cfg.RPZRefresh, cfg.RPZRefresh
	}
	p.RPZ = t
	if cfg.RPZListen == "" {
		return nil
	}
	tcp, err := net.Listen("tcp", cfg.RPZListen)
	if err != nil {
		return fmt.Errorf("--rpz-listen: %w", err)
	}
	udp, err := net.ListenPacket("udp", tcp.Addr().String())
	if err != nil {
		tcp.Close()
		return fmt.Errorf("--rpz-listen (udp): %w", err)
	}
	srv := &rpz.Server{DB: p.DB, Timers: t, Log: log.With("rpz", tcp.Addr().String())}
	go func() {
		if err := srv.Serve(ctx, tcp, udp); err != nil && ctx.Err() == nil {
			log.Error("rpz listener stopped", "err", err)
		}
	}()
	log.Info("DNS blocklist zone transfers", "addr", tcp.Addr().String(), "zone", rpz.Origin, "refresh", strings.TrimSuffix(t.Refresh.String(), "0s"))
	return nil
}

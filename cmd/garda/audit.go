package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/store"
)

func auditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "The audit chain"}
	var cfg platform.Config
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Walk the audit chain; exit 0 if intact, 2 naming the first broken entry",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			n, err := audit.Verify(cmd.Context(), db)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit chain intact: %d entries\n", n)
			return nil
		}),
	}
	storeFlags(verify, &cfg)
	cmd.AddCommand(verify)
	return cmd
}

package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/store"
)

func tokenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens: create, revoke"}
	cmd.AddCommand(tokenCreateCmd(), tokenRevokeCmd())
	return cmd
}

func tokenCreateCmd() *cobra.Command {
	var cfg platform.Config
	var username, name string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API token for an account and print it (once: it is stored only as a hash)",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			u, err := auth.UserByName(cmd.Context(), db, username)
			if err != nil {
				return notFoundUser(err, username)
			}
			if u.Disabled {
				return fmt.Errorf("user %s is disabled", username)
			}
			plain, tok, err := auth.CreateToken(cmd.Context(), db, audit.System, u.ID, name, auth.TokenAPI, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), plain)
			fmt.Fprintf(cmd.ErrOrStderr(), "token %d for %s expires %s; it is not shown again\n", tok.ID, u.Username, wibTime(tok.ExpiresAt))
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&username, "username", "", "account the token acts as")
	cmd.Flags().StringVar(&name, "name", "cli", "what the token is for")
	cmd.Flags().DurationVar(&ttl, "ttl", 30*24*time.Hour, "lifetime, e.g. 24h or 720h")
	cmd.MarkFlagRequired("username")
	return cmd
}

func tokenRevokeCmd() *cobra.Command {
	var cfg platform.Config
	var id int64
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke an API token by id",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			if err := auth.RevokeToken(cmd.Context(), db, audit.System, id, 0); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no live token %d", id)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %d revoked\n", id)
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().Int64Var(&id, "id", 0, "token id (shown when it was created)")
	cmd.MarkFlagRequired("id")
	return cmd
}

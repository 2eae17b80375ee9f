package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/store"
)

func userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage accounts: create, list, passwd, disable"}
	cmd.AddCommand(userCreateCmd(), userListCmd(), userPasswdCmd(), userDisableCmd())
	return cmd
}

// readPassword takes the first line of stdin.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on stdin")
	}
	return pw, nil
}

func userCreateCmd() *cobra.Command {
	var cfg platform.Config
	var n auth.NewUser
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an account",
		Example: `  echo 'a long password' | garda user create --data-dir D --username budi --org kpu-32 \
      --role operator --scope 32 --password-stdin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !fromStdin {
				return errors.New("give the password on stdin with --password-stdin (never on the command line)")
			}
			pw, err := readPassword(cmd.InOrStdin())
			if err != nil {
				return err
			}
			n.Password = pw
			db, err := openStore(cmd, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := auth.CreateUser(cmd.Context(), db, audit.System, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created user %s (id %d): %s in %s, scope %s\n", u.Username, u.ID, u.Role, u.Org, scopeName(u.Scope))
			return nil
		},
	}
	storeFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&n.Username, "username", "", "username (lower-case letters, digits, . _ -)")
	f.StringVar(&n.DisplayName, "name", "", "display name")
	f.StringVar(&n.Email, "email", "", "email address")
	f.StringVar(&n.Org, "org", "", "organisation slug (kpu, kpu-32, kpu-32.04, bssn, komdigi, polri, bin, brin, bawaslu, kemendagri, diskominfo-32, ...)")
	f.StringVar(&n.Role, "role", "", "admin, coordinator, analyst, responder, operator, viewer or liaison")
	f.StringVar(&n.Scope, "scope", "", `region code the user works in: "" national, 32 a province, 32.04 a regency`)
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	for _, req := range []string{"username", "org", "role"} {
		cmd.MarkFlagRequired(req)
	}
	return cmd
}

func scopeName(s string) string {
	if s == "" {
		return "national"
	}
	return s
}

func userListCmd() *cobra.Command {
	var cfg platform.Config
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USERNAME\tORG\tROLE\tSCOPE\tSTATUS\tCREATED")
			after := ""
			for {
				users, err := auth.ListUsers(cmd.Context(), db, "", after, 500)
				if err != nil {
					return err
				}
				for _, u := range users {
					status := "active"
					if u.Disabled {
						status = "disabled"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.Org, u.Role, scopeName(u.Scope), status, wibTime(u.CreatedAt))
				}
				if len(users) < 500 {
					break
				}
				after = users[len(users)-1].Username
			}
			return tw.Flush()
		}),
	}
	storeFlags(cmd, &cfg)
	return cmd
}

func userPasswdCmd() *cobra.Command {
	var cfg platform.Config
	var username string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd",
		Short: "Set an account's password (ends its sessions and revokes all its tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !fromStdin {
				return errors.New("give the password on stdin with --password-stdin")
			}
			pw, err := readPassword(cmd.InOrStdin())
			if err != nil {
				return err
			}
			db, err := openStore(cmd, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := auth.SetPassword(cmd.Context(), db, audit.System, username, pw); err != nil {
				return notFoundUser(err, username)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed; its sessions ended and all its tokens (sign-in and API) revoked\n", username)
			return nil
		},
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&username, "username", "", "account")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	cmd.MarkFlagRequired("username")
	return cmd
}

func notFoundUser(err error, username string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no user %q", username)
	}
	return err
}

func userDisableCmd() *cobra.Command {
	var cfg platform.Config
	var username string
	cmd := &cobra.Command{
		Use:   "disable",
		Short: "Disable an account: its sessions end and its tokens stop working",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			if err := auth.DisableUser(cmd.Context(), db, audit.System, username); err != nil {
				return notFoundUser(err, username)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s disabled; its sessions ended and all its tokens (sign-in and API) revoked\n", username)
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&username, "username", "", "account")
	cmd.MarkFlagRequired("username")
	return cmd
}

package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

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
		Short: "Walk the audit chain and check it against the signed checkpoints; exit 0 if intact, 2 naming the first broken entry",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			keyPath, file := cfg.AuditAnchorPaths()
			anchor, err := cfg.AuditAnchor(false)
			if errors.Is(err, fs.ErrNotExist) {
				if _, statErr := os.Stat(file); statErr == nil {
					return &exitError{code: 2, err: fmt.Errorf("signed checkpoints exist in %s but their key %s is missing: the chain cannot be checked against them", file, keyPath)}
				}
				n, err := audit.Verify(cmd.Context(), db)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "audit chain intact: %d entries (checked against itself only: no anchor key at %s yet; garda serve or garda audit checkpoint makes one)\n", n, keyPath)
				return nil
			} else if err != nil {
				return err
			}
			checkpoints, err := audit.ReadCheckpoints(anchor.File, anchor.Key.Public().(ed25519.PublicKey))
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			n, err := audit.VerifyAnchored(cmd.Context(), db, checkpoints)
			if errors.Is(err, audit.ErrNoCheckpoints) {
				return &exitError{code: 2, err: fmt.Errorf("%d entries, but %w (%s); check the chain against a copy of the checkpoints kept elsewhere (the bus's changes.audit.checkpoint)", n, err, anchor.File)}
			} else if err != nil {
				return &exitError{code: 2, err: err}
			}
			if len(checkpoints) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "audit chain empty (no signed checkpoint yet in %s)\n", anchor.File)
				return nil
			}
			newest := checkpoints[len(checkpoints)-1]
			fmt.Fprintf(cmd.OutOrStdout(), "audit chain intact: %d entries, matching %d signed checkpoints (newest: %d entries at %s)\n",
				n, len(checkpoints), newest.Seq, newest.At.Format(time.RFC3339))
			return nil
		}),
	}
	storeFlags(verify, &cfg)
	auditAnchorFlags(verify, &cfg)
	checkpoint := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign the audit chain's head now and append it to the checkpoint file (garda serve does so every minute)",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			anchor, err := cfg.AuditAnchor(true)
			if err != nil {
				return err
			}
			c, fresh, err := anchor.Checkpoint(cmd.Context(), db, store.Now())
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			switch {
			case c.Seq == 0:
				fmt.Fprintln(cmd.OutOrStdout(), "the audit chain is empty: its empty start is signed")
			case fresh:
				fmt.Fprintf(cmd.OutOrStdout(), "signed checkpoint: %d entries, head %s\n", c.Seq, c.Hash)
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "already signed: %d entries, head %s\n", c.Seq, c.Hash)
			}
			return nil
		}),
	}
	storeFlags(checkpoint, &cfg)
	auditAnchorFlags(checkpoint, &cfg)
	cmd.AddCommand(verify, checkpoint)
	return cmd
}

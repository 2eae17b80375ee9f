package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// taxiiPullJob is the scheduled pull of the TAXII subscriptions (each at
// its own period; the schedule makes a run happen on one instance).
func taxiiPullJob(p *platform.Platform) schedule.Job {
	pl := &taxii.Puller{DB: p.DB, Orgs: org.NewCache(p.DB, 30*time.Second), Log: p.Log.With("job", "intel.taxii-pull")}
	return pl.Job(time.Minute)
}

// taxiiCmds are garda intel subscribe, subscriptions and pull.
func taxiiCmds() []*cobra.Command {
	return []*cobra.Command{intelSubscribeCmd(), intelSubscriptionsCmd(), intelPullCmd()}
}

func intelSubscribeCmd() *cobra.Command {
	var cfg platform.Config
	var as, secretEnv, secretFile string
	var n taxii.NewSubscription
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "subscribe --as USERNAME --name NAME --url API_ROOT_URL --collection ID [--username USER] [--secret-env VAR | --secret-file FILE]",
		Short: "Subscribe to a partner's TAXII 2.1 collection: pulled on a schedule, imported as the user (its organisation owns what comes in)",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			switch {
			case secretFile != "":
				b, err := os.ReadFile(secretFile)
				if err != nil {
					return err
				}
				n.Secret = strings.TrimSpace(string(b))
			case secretEnv != "":
				n.Secret = os.Getenv(secretEnv)
				if n.Secret == "" {
					return fmt.Errorf("$%s is empty: put the partner's token or password there", secretEnv)
				}
			}
			n.EverySeconds = int(every / time.Second)
			sub, err := taxii.Subscribe(cmd.Context(), db, p, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "subscription %d: %s (%scollections/%s/), every %ds, imported as %s of %s\n",
				sub.ID, sub.Name, sub.APIRootURL, sub.CollectionID, sub.EverySeconds, sub.User, sub.Owner)
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "the user the imports are made as")
	f.StringVar(&n.Name, "name", "", "a name for the partner's collection")
	f.StringVar(&n.APIRootURL, "url", "", "the partner's API root, e.g. https://taxii.partner.example/taxii2/nasional/")
	f.StringVar(&n.CollectionID, "collection", "", "the collection's id")
	f.StringVar(&n.Username, "username", "", "HTTP Basic user name at the partner (empty: the secret is sent as a Bearer token)")
	f.StringVar(&secretEnv, "secret-env", "GARDA_TAXII_SECRET", "environment variable holding the partner's token or password (never on the command line)")
	f.StringVar(&secretFile, "secret-file", "", "file holding the partner's token or password")
	f.DurationVar(&every, "every", 5*time.Minute, "how often to pull (at least 30s)")
	return cmd
}

func intelSubscriptionsCmd() *cobra.Command {
	var cfg platform.Config
	var as string
	cmd := &cobra.Command{
		Use:   "subscriptions --as USERNAME",
		Short: "List the TAXII subscriptions of the user's organisation with their health",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			subs, err := taxii.Subscriptions(cmd.Context(), db, p)
			if err != nil {
				return err
			}
			for _, s := range subs {
				health := "ok"
				if s.LastPullAt == nil {
					health = "not pulled yet"
				} else if !s.Healthy() {
					health = "ERROR: " + s.LastError
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d\t%s\t%scollections/%s/\tbookmark %q\t%d objects\t%s\n",
					s.ID, s.Name, s.APIRootURL, s.CollectionID, s.Bookmark, s.PulledObjects, health)
			}
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&as, "as", "", "whose organisation's subscriptions")
	return cmd
}

func intelPullCmd() *cobra.Command {
	var cfg platform.Config
	var as string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "pull --as USERNAME [SUBSCRIPTION_ID...]",
		Short: "Pull TAXII subscriptions now (all of the user's organisation when no id is given); the health records each outcome",
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			var ids []int64
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil {
					return fmt.Errorf("%q is not a subscription id", a)
				}
				ids = append(ids, id)
			}
			if len(ids) == 0 {
				subs, err := taxii.Subscriptions(cmd.Context(), db, p)
				if err != nil {
					return err
				}
				for _, s := range subs {
					ids = append(ids, s.ID)
				}
			}
			pl := &taxii.Puller{DB: db, Orgs: org.NewCache(db, time.Minute), Timeout: timeout}
			var failed error
			for _, id := range ids {
				res, err := pl.PullFor(cmd.Context(), p, id)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "subscription %d: %v\n", id, err)
					failed = errors.Join(failed, fmt.Errorf("subscription %d failed", id))
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "subscription %d: %d pages, %d objects: %d new indicators, %d revoked, %d already held, %d other objects; bookmark %s\n",
					id, res.Pages, res.Objects, res.Imported.Indicators, res.Imported.Revoked, res.Imported.Unchanged, res.Imported.Objects, res.Bookmark)
			}
			return failed
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&as, "as", "", "the user pulling (of the subscribing organisation or above it)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for each answer of a partner")
	return cmd
}

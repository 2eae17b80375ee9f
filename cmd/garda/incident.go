package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/store"
)

// incidentCmd works incidents from a terminal, as a named user: what the
// user may see and do is exactly what the API and the pages allow them.
func incidentCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "incident", Short: "Incidents: list, show, create (as a user, under the visibility rules)"}
	cmd.AddCommand(incidentListCmd(), incidentShowCmd(), incidentCreateCmd())
	return cmd
}

// asUser loads the principal a command acts as.
func asUser(cmd *cobra.Command, db *store.DB, username string) (auth.Principal, *org.Tree, error) {
	if username == "" {
		return auth.Principal{}, nil, fmt.Errorf("say who acts with --as USERNAME: what one may see depends on who asks")
	}
	u, err := auth.UserByName(cmd.Context(), db, username)
	if err != nil {
		return auth.Principal{}, nil, notFoundUser(err, username)
	}
	tree, err := org.Load(cmd.Context(), db)
	if err != nil {
		return auth.Principal{}, nil, err
	}
	p, err := auth.PrincipalOf(u, tree)
	return p, tree, err
}

func incidentListCmd() *cobra.Command {
	var cfg platform.Config
	var as, status, severity, reg, category, text string
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:   "list --as USERNAME",
		Short: "List the incidents a user may see, newest first (closed ones with --all or --status closed)",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			f := incident.Filter{Severity: severity, Region: reg, Category: category, Text: text, Limit: limit}
			for _, s := range strings.Split(status, ",") {
				if s != "" {
					f.Status = append(f.Status, incident.Status(s))
				}
			}
			if len(f.Status) == 0 && !all { // as the web's queue
				f.Status = incident.NotClosed()
			}
			list, err := incident.List(cmd.Context(), db, p, f)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEVERITY\tSTATUS\tREGION\tTLP\tDETECTED\tTITLE")
			for i, inc := range list {
				if i == limit {
					break
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inc.HumanID, inc.Severity, inc.Status, scopeName(inc.Region), inc.TLP, wibTime(inc.DetectedAt), inc.Title)
			}
			return tw.Flush()
		}),
	}
	storeFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "the user who asks")
	f.StringVar(&status, "status", "", "comma-separated statuses (new, triage, containment, eradication, recovery, resolved, closed); default all but closed")
	f.BoolVar(&all, "all", false, "closed incidents too")
	f.StringVar(&severity, "severity", "", "low, medium, high or critical")
	f.StringVar(&reg, "region", "", "a region code: incidents in it and below it")
	f.StringVar(&category, "category", "", "an RSIT category")
	f.StringVar(&text, "search", "", "words that must each appear in the id, title, description, an observable or a comment")
	f.IntVar(&limit, "limit", 50, "at most this many")
	return cmd
}

func incidentShowCmd() *cobra.Command {
	var cfg platform.Config
	var as string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show --as USERNAME ID",
		Short: "Show an incident (numeric or human id) with its clocks and timeline",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			inc, err := incident.Get(ctx, db, p, args[0])
			if err != nil {
				return err
			}
			clocks, err := incident.ClocksOf(ctx, db, p, args[0], store.Now())
			if err != nil {
				return err
			}
			timeline, err := incident.Timeline(ctx, db, p, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"incident": inc, "clocks": clocks, "timeline": timeline})
			}
			fmt.Fprintf(out, "%s  %s\n", inc.HumanID, inc.Title)
			kind := inc.Category
			if inc.Type != "" {
				kind += " / " + inc.Type
			}
			fmt.Fprintf(out, "  %s, severity %s, TLP:%s PAP:%s, region %s, owner %s, status %s\n",
				kind, inc.Severity, inc.TLP, inc.PAP, scopeName(inc.Region), inc.Owner, inc.Status)
			if inc.Description != "" {
				fmt.Fprintf(out, "  %s\n", inc.Description)
			}
			fmt.Fprintln(out, "Clocks:")
			for _, c := range clocks {
				fmt.Fprintf(out, "  %-16s due %s  %s\n", c.Name, wibTime(c.Due), c.State)
			}
			fmt.Fprintln(out, "Timeline:")
			for _, e := range timeline {
				fmt.Fprintf(out, "  %s  %s (%s)  %s  %s\n", wibTime(e.At), e.Actor, e.ActorOrg, e.Kind, e.Body)
			}
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&as, "as", "", "the user who asks")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func incidentCreateCmd() *cobra.Command {
	var cfg platform.Config
	var as string
	var in incident.Input
	var title, description, category, severity, reg, tlp string
	cmd := &cobra.Command{
		Use:   "create --as USERNAME --title T [--category C --severity S --region R --tlp L]",
		Short: "Report an incident",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			p, tree, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			set := func(flag string, v *string) *string {
				if cmd.Flags().Changed(flag) {
					return v
				}
				return nil
			}
			in.Title, in.Description, in.Category = set("title", &title), set("description", &description), set("category", &category)
			in.Severity, in.Region, in.TLP = set("severity", &severity), set("region", &reg), set("tlp", &tlp)
			inc, err := incident.Create(cmd.Context(), db, p, tree, in)
			if err != nil {
				return err
			}
			// Told as from the web: the inbox now, webhooks when a running
			// instance sends the deliveries queued here (no email: this
			// command has no SMTP settings).
			if err := notify.New(db, nil, notify.SMTP{}).Incident(cmd.Context(), p, notify.IncidentCreated, inc.HumanID, ""); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "garda: %s created, but not everyone was told: %v\n", inc.HumanID, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s created (id %d): %s, %s, region %s\n", inc.HumanID, inc.ID, inc.Severity, inc.TLP, scopeName(inc.Region))
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "the user who reports")
	f.StringVar(&title, "title", "", "what happened, in a line")
	f.StringVar(&description, "description", "", "details")
	f.StringVar(&category, "category", "", "RSIT category (default other)")
	f.StringVar(&severity, "severity", "", "low, medium, high or critical (default medium)")
	f.StringVar(&reg, "region", "", "region code (default the user's scope)")
	f.StringVar(&tlp, "tlp", "", "CLEAR, GREEN, AMBER (default), AMBER+STRICT or RED")
	cmd.MarkFlagRequired("title")
	return cmd
}

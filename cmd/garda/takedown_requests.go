package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// takedownRequestCmds are the takedown requests' sub-commands of `garda
// takedown` (whose root, with block and unblock, the rpz package's
// commands own): platforms, list, show, create, approve, send, answer. Each
// acts as a named user (--as), under the same rules as the API and pages.
func takedownRequestCmds() []*cobra.Command {
	return []*cobra.Command{tdPlatformsCmd(), tdListCmd(), tdShowCmd(), tdCreateCmd(), tdApproveCmd(), tdSendCmd(), tdAnswerCmd(),
		tdLetterCmd(), tdCheckCmd()} // letter, check: takedown_letters.go
}

func tdPlatformsCmd() *cobra.Command {
	var cfg platform.Config
	cmd := &cobra.Command{
		Use:   "platforms",
		Short: "List the platforms and providers requests are addressed to, with their domains",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			list, err := takedown.Platforms(cmd.Context(), db)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SLUG\tNAME\tKIND\tCHANNELS\tDOMAINS")
			for _, p := range list {
				var doms []string
				for _, d := range p.Domains {
					doms = append(doms, d.Domain+d.PathPrefix)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Slug, p.Name, p.Kind, strings.Join(p.Channels(), ","), strings.Join(doms, " "))
			}
			return tw.Flush()
		}),
	}
	storeFlags(cmd, &cfg)
	return cmd
}

func tdListCmd() *cobra.Command {
	var cfg platform.Config
	var as, status, platformSlug string
	var overdue bool
	var limit int
	cmd := &cobra.Command{
		Use:   "list --as USERNAME",
		Short: "List the takedown requests a user may see, nearest deadline first",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			f := takedown.Filter{Platform: platformSlug, Overdue: overdue, Limit: limit, ByDeadline: true, Now: store.Now()}
			for _, s := range strings.Split(status, ",") {
				if s != "" {
					f.Status = append(f.Status, s)
				}
			}
			list, err := takedown.List(cmd.Context(), db, p, f)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNUMBER\tPLATFORM\tCATEGORY\tURLS\tSTATUS\tDUE\tCLOCK")
			for i, r := range list {
				if i == limit {
					break
				}
				due, state := "-", "-"
				if r.Clock != nil {
					due, state = wibTime(r.Clock.Due), r.Clock.State
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.Number, r.Platform, r.Category, r.URLCount, r.Status, due, state)
			}
			return tw.Flush()
		}),
	}
	storeFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "the user who asks")
	f.StringVar(&status, "status", "", "comma-separated statuses (draft, approved, sent, acknowledged, closed)")
	f.StringVar(&platformSlug, "platform", "", "a platform's slug")
	f.BoolVar(&overdue, "overdue", false, "only requests past their deadline")
	f.IntVar(&limit, "limit", 50, "at most this many")
	return cmd
}

// requestID reads a request's numeric id.
func requestID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.New(problem.NotFound, "no takedown request %q (give its numeric id)", s)
	}
	return id, nil
}

func printRequest(cmd *cobra.Command, r takedown.Request, asJSON bool) error {
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(out, "%d %s  %s  %s, %s, %s, TLP:%s, owner %s\n", r.ID, r.Number, r.PlatformName, r.Category, r.Urgency, r.Status, r.TLP, r.Owner)
	fmt.Fprintf(out, "  %s\n", r.Summary)
	if r.Clock != nil {
		fmt.Fprintf(out, "  due %s  %s\n", wibTime(r.Clock.Due), r.Clock.State)
	}
	for _, u := range r.URLs {
		fmt.Fprintf(out, "  [%d] %s  %s", u.ID, u.URL, u.Outcome)
		if u.Reason != "" {
			fmt.Fprintf(out, " (%s)", u.Reason)
		}
		fmt.Fprintln(out)
	}
	return nil
}

func tdShowCmd() *cobra.Command {
	var asJSON bool
	cmd := tdRequestCmd("show --as USERNAME ID", "Show a takedown request with its URLs, answers and deadline", "the user who asks",
		func(cmd *cobra.Command, db *store.DB, p auth.Principal, id int64) error {
			r, err := takedown.Get(cmd.Context(), db, p, id)
			if err != nil {
				return err
			}
			return printRequest(cmd, r, asJSON)
		})
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func tdCreateCmd() *cobra.Command {
	var cfg platform.Config
	var as string
	var n takedown.New
	cmd := &cobra.Command{
		Use:   "create --as USERNAME --url URL... --category C --basis B... --summary TEXT",
		Short: "File a takedown request (a draft, to be approved by another coordinator)",
		Example: `  garda takedown create --as patroli.komdigi --url https://www.facebook.com/x/posts/1 --url https://m.facebook.com/x/posts/2 \
      --category hoaks --basis uu_ite_28_3 --urgency urgent --summary "Hoaks jadwal pemungutan suara"`,
		Args: cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			r, err := takedown.Create(cmd.Context(), db, p, n)
			if err != nil {
				return err
			}
			return printRequest(cmd, r, false)
		}),
	}
	storeFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "the user who files it")
	f.StringArrayVar(&n.URLs, "url", nil, "a URL (repeatable)")
	f.StringVar(&n.Platform, "platform", "", "the platform's slug, for URLs of no known platform")
	f.StringVar(&n.Category, "category", "", "hoaks, disinformasi, ujaran_kebencian, sara, phishing, kebocoran_data or lainnya")
	f.StringArrayVar(&n.LegalBasis, "basis", nil, "a legal basis (repeatable): uu_ite_28_2, uu_ite_28_3, uu_ite_35, uu_ite_40_2b, uu_pemilu_280, uu_pdp_65, permenkominfo_5_2020")
	f.StringVar(&n.Urgency, "urgency", "normal", "urgent (4 hours) or normal (24 hours)")
	f.StringVar(&n.Summary, "summary", "", "what the content is and why it must go")
	f.StringVar(&n.Notes, "notes", "", "internal notes (never shown to the platform)")
	f.StringVar(&n.TLP, "tlp", "", "TLP label (default AMBER)")
	f.StringVar(&n.Region, "region", "", "region code (default the user's scope)")
	f.StringArrayVar(&n.Orgs, "org", nil, "a participant organisation's slug (repeatable)")
	f.Int64Var(&n.FromPatrol, "from-patrol", 0, "file it from a patrol item (its id): its URL and capture hashes come along")
	f.StringVar(&n.FromIncident, "from-incident", "", "file it from an incident (INC-...): its URL and domain observables and evidence hashes come along")
	return cmd
}

// tdRequestCmd is a sub-command on one request (ID) acting as a named
// user (--as): the prologue every request command shares.
func tdRequestCmd(use, short, asHelp string, run func(cmd *cobra.Command, db *store.DB, p auth.Principal, id int64) error) *cobra.Command {
	var cfg platform.Config
	var as string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			id, err := requestID(args[0])
			if err != nil {
				return err
			}
			return run(cmd, db, p, id)
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&as, "as", "", asHelp)
	return cmd
}

// tdStepCmd is a lifecycle step on one request.
func tdStepCmd(use, short string, flags func(*cobra.Command), step func(cmd *cobra.Command, lc takedown.Lifecycle, p auth.Principal, id int64) (takedown.Request, error)) *cobra.Command {
	cmd := tdRequestCmd(use, short, "the user who acts", func(cmd *cobra.Command, db *store.DB, p auth.Principal, id int64) error {
		r, err := step(cmd, takedown.Lifecycle{DB: db, Outbox: takedownOutbox()}, p, id)
		if err != nil {
			return err
		}
		return printRequest(cmd, r, false)
	})
	if flags != nil {
		flags(cmd)
	}
	return cmd
}

func tdApproveCmd() *cobra.Command {
	return tdStepCmd("approve --as USERNAME ID", "Approve a draft: a coordinator of the issuing organisation who is not its author", nil,
		func(cmd *cobra.Command, lc takedown.Lifecycle, p auth.Principal, id int64) (takedown.Request, error) {
			return lc.Approve(cmd.Context(), p, id)
		})
}

func tdSendCmd() *cobra.Command {
	var channel string
	return tdStepCmd("send --as USERNAME --channel C ID", "Send an approved request's letter (e-mail with the PDF by GARDA_SMTP_ADDR, or the platform's API), or record it sent by web form; the deadline starts",
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&channel, "channel", "email", "email, web_form or api")
		},
		func(cmd *cobra.Command, lc takedown.Lifecycle, p auth.Principal, id int64) (takedown.Request, error) {
			return lc.Send(cmd.Context(), p, id, channel)
		})
}

func tdAnswerCmd() *cobra.Command {
	var a takedown.Answer
	return tdStepCmd("answer --as USERNAME --url URL --outcome O [--reason TEXT] ID", "Record the platform's answer for one URL of a request",
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&a.URL, "url", "", "the URL answered (as in the request)")
			f.Int64Var(&a.URLID, "url-id", 0, "or the URL's id")
			f.StringVar(&a.Outcome, "outcome", "", "removed, restricted, refused, objected or no_answer")
			f.StringVar(&a.Reason, "reason", "", "a refusal's reason or an objection's argument")
		},
		func(cmd *cobra.Command, lc takedown.Lifecycle, p auth.Principal, id int64) (takedown.Request, error) {
			return lc.Answer(cmd.Context(), p, id, a)
		})
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/platform"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// intelCmd moves intelligence in and out as STIX 2.1 bundles, as a named
// user: an export holds what that user may read, an import lands under
// that user's organisation.
func intelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "intel", Short: "Threat intelligence: export and import STIX 2.1 bundles, TAXII subscriptions (as a user)"}
	cmd.AddCommand(intelExportCmd(), intelImportCmd())
	cmd.AddCommand(taxiiCmds()...) // taxii: subscribe, subscriptions, pull
	return cmd
}

func intelExportCmd() *cobra.Command {
	var cfg platform.Config
	var as, tlps, out, format, community string
	var active bool
	cmd := &cobra.Command{
		Use:   "export --as USERNAME [--tlp GREEN,AMBER] [--active] [--out FILE] | --format misp --community SLUG --out DIR",
		Short: "Write a STIX 2.1 bundle (or a MISP feed) of the indicators a user may read (RED only where the user is named)",
		Args:  cobra.NoArgs,
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, _ []string) error {
			p, tree, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			switch format {
			case "stix", "":
			case "misp":
				return intelExportMISP(cmd, db, p, tree, community, out)
			default:
				return fmt.Errorf("--format is stix or misp, not %q", format)
			}
			opt := intel.ExportOptions{Active: active}
			for _, s := range strings.Split(tlps, ",") {
				if strings.TrimSpace(s) == "" {
					continue
				}
				t, err := policy.ParseTLP(s)
				if err != nil {
					return err
				}
				opt.TLP = append(opt.TLP, t)
			}
			b, n, err := intel.Export(cmd.Context(), db, p, tree, opt)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			if err := enc.Encode(b); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d indicators, %d objects\n", n, len(b.Objects))
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "the user whose view is exported")
	f.StringVar(&tlps, "tlp", "", "only these TLP labels, comma-separated")
	f.BoolVar(&active, "active", false, "only indicators in force (not revoked, not expired)")
	f.StringVar(&out, "out", "", "write to FILE instead of standard output (with --format misp: the feed's directory)")
	f.StringVar(&format, "format", "stix", "stix (a STIX 2.1 bundle) or misp (a MISP feed: manifest.json, <uuid>.json, hashes.csv, sightings.json)")
	f.StringVar(&community, "community", "", "with --format misp: the sharing community (publik, mitra, satgas)")
	return cmd
}

func intelImportCmd() *cobra.Command {
	var cfg platform.Config
	var as string
	cmd := &cobra.Command{
		Use:   "import FILE|DIR --as USERNAME",
		Short: "Read a STIX 2.1 bundle (- for standard input): all of it or, with an error per object, nothing; or a MISP event or feed directory, event by event",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&cfg, func(cmd *cobra.Command, db *store.DB, args []string) error {
			p, _, err := asUser(cmd, db, as)
			if err != nil {
				return err
			}
			if isMISP(args[0]) {
				return intelImportMISP(cmd, db, p, args[0])
			}
			var r io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			res, err := intel.Import(cmd.Context(), db, p, r)
			if err != nil {
				return err
			}
			for _, u := range res.Unknown {
				fmt.Fprintln(cmd.ErrOrStderr(), u)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d new indicators, %d revoked, %d already held, %d other objects, %d markings\n",
				res.Indicators, res.Revoked, res.Unchanged, res.Objects, res.Markings)
			return nil
		}),
	}
	storeFlags(cmd, &cfg)
	cmd.Flags().StringVar(&as, "as", "", "the user the import is made by (its organisation owns what comes in)")
	return cmd
}

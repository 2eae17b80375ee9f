package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
)

// intelExportMISP writes a sharing community's MISP feed of what p may
// read into dir.
func intelExportMISP(cmd *cobra.Command, db *store.DB, p auth.Principal, tree *org.Tree, community, dir string) error {
	c, ok := misp.CommunityOf(community)
	if !ok {
		var names []string
		for _, c := range misp.Communities {
			names = append(names, c.Slug)
		}
		return fmt.Errorf("--community is one of %v", names)
	}
	if dir == "" || dir == "-" {
		return fmt.Errorf("a MISP feed is a directory: give it with --out DIR")
	}
	feed, err := misp.BuildFeed(cmd.Context(), db, p, tree, misp.FeedOptions{Community: c})
	if err != nil {
		return err
	}
	if err := feed.WriteDir(dir); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "MISP feed %s: %d events, %d attributes, %d sightings in %s\n", c.Slug, len(feed.Events), feed.Attributes(), len(feed.Sightings), dir)
	return nil
}

// isMISP tells a MISP event or feed directory from a STIX bundle: a
// directory is a feed; a file is an event when it holds "Event" before any
// "type": "bundle".
func isMISP(path string) bool {
	if path == "-" {
		return false
	}
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	if st.IsDir() {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head, _ := io.ReadAll(io.LimitReader(f, 4096))
	e, b := bytes.Index(head, []byte(`"Event"`)), bytes.Index(head, []byte(`"bundle"`))
	return e >= 0 && (b < 0 || e < b)
}

// intelImportMISP imports a MISP event file or feed directory as p, event
// by event: a refused event is named with its error, the rest go in, and
// the exit status says whether any was refused.
func intelImportMISP(cmd *cobra.Command, db *store.DB, p auth.Principal, path string) error {
	res, err := misp.ImportPath(cmd.Context(), db, p, path)
	if err != nil {
		return err
	}
	var held, fresh, refused, skipped int
	for _, e := range res.Events {
		held += e.Held
		fresh += e.Imported.Indicators
		for _, r := range e.Refused {
			fmt.Fprintln(cmd.ErrOrStderr(), "refused:", r)
		}
		for _, s := range e.Skipped {
			fmt.Fprintln(cmd.ErrOrStderr(), "skipped:", s)
		}
		refused += len(e.Refused)
		skipped += len(e.Skipped)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%d MISP events: %d values held (%d new indicators), %d on a warninglist, %d of types Garda does not hold\n",
		len(res.Events), held, fresh, refused, skipped)
	return res.Err()
}

package source

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/lookalike"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/feed"
)

// runLookalike looks for impostors of the source's domains (or of every
// hostname in the asset inventory): their lookalikes are generated,
// resolved through the configured resolver, and each live one becomes an
// item with its front page captured. A live name whose page cannot be read
// is an item too: it exists, and that is what the patrol room must see.
func (r *Runner) runLookalike(ctx context.Context, src patrol.Source, out *Outcome) error {
	if r.Resolver == "" {
		return fmt.Errorf("no DNS resolver is configured for lookalike sources (garda serve --scan-resolver)")
	}
	domains, err := patrol.LookalikeDomains(src.URL)
	if err != nil {
		return err
	}
	if len(domains) == 0 {
		if domains, err = r.inventoryHostnames(ctx); err != nil {
			return err
		}
		if len(domains) == 0 {
			return fmt.Errorf("no domains to watch: the source lists none and no asset has a hostname")
		}
	}
	var cands []lookalike.Candidate
	for _, d := range domains {
		cands = append(cands, lookalike.Generate(d)...)
	}
	live, stats := lookalike.Resolver{Addr: r.Resolver, Rate: r.DNSRate}.Resolve(ctx, cands)
	if stats.Queried > 0 && stats.Failed == stats.Queried {
		return fmt.Errorf("the resolver %s answered none of %d questions", r.Resolver, stats.Queried)
	}
	f := r.fetcher(false, rate(src))
	posts := make([]patrol.Post, 0, len(live))
	for _, l := range live {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := l.Domain
		if l.Unicode != "" {
			name = l.Unicode + " (" + l.Domain + ")"
		}
		text := fmt.Sprintf("Nama domain %s mirip %s (%s). DNS: %s.", name, l.Of, l.Kind, answers(l))
		page := "http://" + l.Domain + "/"
		b, err := r.get(ctx, f, page)
		if err != nil {
			text += " Halaman tidak terbaca: " + err.Error()
		} else if body := feed.HTMLText(b); body != "" {
			text += "\n\n" + body
		}
		posts = append(posts, patrol.Post{URL: page, Platform: "web", Title: "Situs tiruan: " + name, Text: text, Raw: b})
	}
	if err := r.ingest(ctx, Actor, src.ItemOwner(), posts, out); err != nil {
		return err
	}
	return r.lookalikeIndicators(ctx, src, live, out)
}

// lookalikeIndicators is the rule for impostors of KPU: every live
// lookalike of a KPU domain becomes an AMBER domain indicator of the
// patrolling organisation, marked for detection, its item the source (or
// is sighted again when the organisation holds it already).
func (r *Runner) lookalikeIndicators(ctx context.Context, src patrol.Source, live []lookalike.Live, out *Outcome) error {
	var owner org.Org
	for _, l := range live {
		if !intel.KPUDomain(l.Of) {
			continue
		}
		if owner.ID == 0 {
			tree, err := org.Load(ctx, r.DB)
			if err != nil {
				return err
			}
			o, ok := tree.ByID(src.OwnerID)
			if !ok {
				return fmt.Errorf("the source's organisation %d is unknown", src.OwnerID)
			}
			owner = o
		}
		i, _, err := intel.FromLookalike(ctx, r.DB, owner, src.Region, l.Domain, l.Of, l.Kind, out.saved["http://"+l.Domain+"/"])
		if err != nil {
			out.note("indikator %s: %v", l.Domain, err)
			continue
		}
		if i.ID > 0 {
			out.Indicators++
		}
	}
	return nil
}

// answers is what a live name answered, as the item tells it.
func answers(l lookalike.Live) string {
	var parts []string
	for _, a := range []struct {
		kind string
		v    []string
	}{{"A", l.A}, {"AAAA", l.AAAA}, {"CNAME", l.CNAME}, {"NS", l.NS}} {
		if len(a.v) > 0 {
			parts = append(parts, a.kind+" "+strings.Join(a.v, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// inventoryHostnames are the hostnames of every asset (the sites whose
// impostors matter), each once.
func (r *Runner) inventoryHostnames(ctx context.Context) ([]string, error) {
	rows, err := r.DB.Query(ctx, `SELECT hostnames FROM assets ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("asset hostnames: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var hosts []string
		_ = json.Unmarshal([]byte(raw), &hosts) // a malformed list is no hostname
		for _, h := range hosts {
			if ds, err := patrol.LookalikeDomains(h); err == nil && len(ds) == 1 && !seen[ds[0]] {
				seen[ds[0]] = true
				out = append(out, ds[0])
			}
		}
	}
	return out, rows.Err()
}

package intel

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// patrolDomain is the domain of a patrol item's page (a phishing page, an
// impostor site): the host of its URL, a name not an address.
func patrolDomain(it patrol.Item) (string, error) {
	u, err := url.Parse(it.URL)
	if it.URL == "" || err != nil || u.Hostname() == "" {
		return "", problem.New(problem.Invalid, "patrol item %s has no web address, so no domain", it.HumanID)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if strings.Contains(host, ":") || strings.Trim(host, "0123456789.") == "" {
		return "", problem.New(problem.Invalid, "patrol item %s is at an address (%s), not a domain: make an address indicator by hand", it.HumanID, host)
	}
	return Normalize(Domain, host)
}

// FromPatrolItem makes the domain of a patrol item (a phishing page, an
// impostor site) an indicator of the principal's organisation at the
// item's TLP and region, marked for detection, or finds the one it holds;
// the item is counted as a sighting. A domain on a warninglist (a platform
// such as facebook.com) is refused: the page may be bad, its host is not.
func FromPatrolItem(ctx context.Context, db *store.DB, who auth.Principal, itemID int64) (Indicator, bool, error) {
	if !who.Can(policy.Investigate) {
		return Indicator{}, false, problem.New(problem.Forbidden, "your role may not create indicators")
	}
	it, err := patrol.Get(ctx, db, who, itemID)
	if err != nil {
		return Indicator{}, false, err
	}
	domain, err := patrolDomain(it)
	if err != nil {
		return Indicator{}, false, err
	}
	if hit, warned := Warned(Domain, domain); warned {
		return Indicator{}, false, problem.New(problem.Invalid, "%s is on the %s: a platform's domain never becomes an indicator (report the page for takedown instead)", domain, hit)
	}
	region := it.Region
	desc := it.HumanID
	if it.Title != "" {
		desc += ": " + it.Title
	}
	in := Input{Kind: Domain, Value: domain, Name: strings.TrimSpace("Domain patroli " + it.Title), Description: desc + "\n" + it.URL,
		TLP: it.TLP, Region: &region, Users: it.Record().Users, Detect: true, Source: "patrol", SourceRef: strconv.FormatInt(it.ID, 10)}
	if len(in.Name) > maxName {
		in.Name = strings.ToValidUTF8(in.Name[:maxName], "")
	}
	if len(in.Description) > maxDescription {
		in.Description = strings.ToValidUTF8(in.Description[:maxDescription], "")
	}
	return indicatorWithSighting(ctx, db, who, in, Seen{Count: 1, FirstSeen: it.FirstSeen, LastSeen: it.LastSeen, Region: it.Region,
		OrgID: who.Org.ID, Note: "patroli " + it.HumanID})
}

// indicatorWithSighting creates in for the principal's organisation unless
// it holds the value already, and counts s against it, in one transaction.
func indicatorWithSighting(ctx context.Context, db *store.DB, who auth.Principal, in Input, s Seen) (Indicator, bool, error) {
	var out Indicator
	var created bool
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM indicators WHERE owner_org_id = ? AND kind = ? AND value = ?`, who.Org.ID, string(in.Kind), in.Value).Scan(&id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			i, err := create(ctx, tx, who, in)
			if err != nil {
				return err
			}
			id, created = i.ID, true
		case err != nil:
			return err
		}
		if err := addSighting(ctx, tx, id, s); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Actor(), "indicator.sighting", RecordKind, id, map[string]any{"note": s.Note, "count": s.Count}); err != nil {
			return err
		}
		if who.User.ID == 0 {
			// A rule acts for the organisation, not as a signed-in reader.
			i, err := scan(tx.QueryRow(ctx, `SELECT `+columns+from+` WHERE i.id = ?`, id))
			if err != nil {
				return err
			}
			out = i
			return withAccess(ctx, tx, &out)
		}
		// The principal may not read an indicator its organisation held
		// at RED without naming it: it is counted, not shown.
		out, err = Get(ctx, tx, who, id)
		return err
	})
	return out, created, err
}

// KPUDomain reports whether domain is KPU's (kpu.go.id or a name under
// it): the rule that makes every live lookalike of one an indicator.
func KPUDomain(domain string) bool {
	d := strings.TrimSuffix(strings.ToLower(domain), ".")
	return d == "kpu.go.id" || strings.HasSuffix(d, ".kpu.go.id")
}

// PatrolActor writes the rule's indicators in the audit chain.
var PatrolActor = audit.Actor{Username: "garda-patrol"}

// FromLookalike is the rule for a live lookalike of a KPU domain found by
// the patrol: its domain becomes an AMBER indicator of the patrolling
// organisation (owner), in the source's region, marked for detection,
// with the patrol item as its source and a sighting; when the
// organisation holds it already, the sighting is added. Nobody is named:
// AMBER is read by the organisation and those above it. A domain on a
// warninglist is left alone (false, nil).
func FromLookalike(ctx context.Context, db *store.DB, owner org.Org, region, domain, of, kind string, itemID int64) (Indicator, bool, error) {
	v, err := Normalize(Domain, domain)
	if err != nil {
		return Indicator{}, false, fmt.Errorf("lookalike %q: %w", domain, err)
	}
	if _, warned := Warned(Domain, v); warned {
		return Indicator{}, false, nil
	}
	// The patrol acts as an analyst of the organisation that patrols: the
	// role to create, the organisation's scope (its own region).
	who := auth.Principal{User: auth.User{Username: PatrolActor.Username, Role: string(policy.RoleAnalyst)}, Org: owner,
		Viewer: policy.Viewer{OrgID: owner.ID, Role: policy.RoleAnalyst, Lineage: []int64{owner.ID}}}
	in := Input{Kind: Domain, Value: v, Name: "Situs tiruan " + v, Description: fmt.Sprintf("Domain tiruan %s (%s), ditemukan patroli", of, kind),
		TLP: policy.Amber, Region: &region, Detect: true, Source: "lookalike"}
	if itemID > 0 {
		in.SourceRef = strconv.FormatInt(itemID, 10)
		in.Description += " " + patrol.HumanID(itemID)
	}
	now := store.Now()
	return indicatorWithSighting(ctx, db, who, in, Seen{Count: 1, FirstSeen: now, LastSeen: now, Region: region, OrgID: owner.ID, Note: "tiruan " + of})
}

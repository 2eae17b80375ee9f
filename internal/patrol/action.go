package patrol

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// Kinds of item event.
const (
	EventCaptured    = "captured"
	EventLabelled    = "labelled"
	EventClaimLinked = "claim_linked"
	EventIncident    = "incident"
	EventDownloaded  = "downloaded"
)

// Event is one entry of an item's history.
type Event struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	ActorOrg string    `json:"actor_org,omitempty"`
	Kind     string    `json:"kind"`
	Body     string    `json:"body,omitempty"`
	Addr     string    `json:"addr,omitempty"`
}

func addEvent(ctx context.Context, tx *store.Tx, id int64, at time.Time, who audit.Actor, kind, body, addr string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO patrol_item_events (item_id, at, actor, actor_org, kind, body, addr) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, at, who.Username, who.OrgSlug, kind, body, addr); err != nil {
		return fmt.Errorf("patrol item %d history: %w", id, err)
	}
	return nil
}

// History lists an item's events, oldest first; an item the principal may
// not read is not found.
func History(ctx context.Context, q store.Querier, who auth.Principal, id int64) ([]Event, error) {
	if _, err := Get(ctx, q, who, id); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, at, actor, actor_org, kind, body, addr FROM patrol_item_events WHERE item_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("patrol item %d history: %w", id, err)
	}
	return store.Collect(rows, func(r store.Scanner) (Event, error) {
		var e Event
		return e, r.Scan(&e.ID, &e.At, &e.Actor, &e.ActorOrg, &e.Kind, &e.Body, &e.Addr)
	})
}

// mayWork is the right to label an item, link it and open an incident:
// triage work on a record the principal may read.
func mayWork(who auth.Principal, it Item, what string) error {
	if !policy.CanCase(who.Viewer, it.Record(), policy.CaseTriage) {
		return problem.New(problem.Forbidden, "%s is triage work on an item of your organisation's (your role: %s)", what, who.User.Role)
	}
	return nil
}

// SetLabel labels an item ("" clears the label), with who and when.
func SetLabel(ctx context.Context, db *store.DB, who auth.Principal, id int64, l Label) (Item, error) {
	if l != "" && !l.Valid() {
		return Item{}, problem.Field("label", "must be one of %s", labelNames())
	}
	it, err := Get(ctx, db, who, id)
	if err != nil {
		return Item{}, err
	}
	if err := mayWork(who, it, "labelling"); err != nil {
		return Item{}, err
	}
	if it.Label == l {
		return it, nil
	}
	now := store.Now()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var at any
		by := ""
		if l != "" {
			at, by = now, who.User.Username
		}
		if _, err := tx.Exec(ctx, `UPDATE patrol_items SET label = ?, labelled_by = ?, labelled_at = ?, updated_at = ? WHERE id = ?`,
			string(l), by, at, now, id); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, now, who.Actor(), EventLabelled, string(l), ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "patrol.item.label", RecordKind, id, map[string]any{"from": it.Label, "to": l})
	})
	if err != nil {
		return Item{}, err
	}
	return Get(ctx, db, who, id)
}

// LinkClaim links an item to a claim by its id ("" unlinks). The claims
// are internal/claim's; the id is kept as text, as that package names them.
func LinkClaim(ctx context.Context, db *store.DB, who auth.Principal, id int64, claimID string) (Item, error) {
	claimID = strings.TrimSpace(claimID)
	if err := CheckClaimID(claimID); err != nil {
		return Item{}, err
	}
	it, err := Get(ctx, db, who, id)
	if err != nil {
		return Item{}, err
	}
	if err := mayWork(who, it, "linking a claim"); err != nil {
		return Item{}, err
	}
	now := store.Now()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE patrol_items SET claim_id = ?, updated_at = ? WHERE id = ?`, claimID, now, id); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, now, who.Actor(), EventClaimLinked, claimID, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "patrol.item.claim", RecordKind, id, map[string]any{"from": it.ClaimID, "to": claimID})
	})
	if err != nil {
		return Item{}, err
	}
	return Get(ctx, db, who, id)
}

// CheckClaimID refuses what cannot be a claim's id.
func CheckClaimID(claimID string) error {
	claimID = strings.TrimSpace(claimID)
	if len(claimID) > 100 || strings.ContainsFunc(claimID, func(r rune) bool { return r < ' ' }) {
		return problem.Field("claim_id", "a claim id: at most 100 characters, no control characters")
	}
	return nil
}

// BreachThreshold is how many NIK and KK numbers on one item make opening
// an incident also record a UU PDP breach (its 3x24-hour clock).
const BreachThreshold = 10

// OpenIncident opens an incident from an item through the incident desk's
// own create path; an item with many NIK/KK numbers gets the incident's
// UU PDP breach record too. The item keeps the incident's id.
func OpenIncident(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, id int64) (incident.Incident, error) {
	it, err := Get(ctx, db, who, id)
	if err != nil {
		return incident.Incident{}, err
	}
	if err := mayWork(who, it, "opening an incident"); err != nil {
		return incident.Incident{}, err
	}
	if it.IncidentID != 0 {
		return incident.Incident{}, problem.New(problem.Conflict, "item %s already has incident %d", it.HumanID, it.IncidentID)
	}
	breach := it.PII.NIK+it.PII.KK >= BreachThreshold
	category, severity := "information-content-security", "medium"
	what := "Konten"
	if breach {
		category, severity, what = "information-content-security", "high", "Kebocoran data pribadi"
	}
	if it.Label != "" {
		what += " (" + string(it.Label) + ")"
	}
	subject := it.Title
	if subject == "" {
		subject = it.Text
	}
	title := clip(fmt.Sprintf("%s di %s: %s", what, it.Platform, strings.ReplaceAll(subject, "\n", " ")), 190)
	desc := fmt.Sprintf("Item patroli %s (%s), pertama terlihat %s.", it.HumanID, it.Key, it.FirstSeen.In(region.WIB).Format(region.WIBLayout))
	if it.PII.Total() > 0 {
		desc += fmt.Sprintf("\n\nData pribadi ditemukan (jumlah saja): NIK %d, KK %d, NPWP %d, telepon %d.", it.PII.NIK, it.PII.KK, it.PII.NPWP, it.PII.Phone)
	}
	for _, m := range it.Matches {
		desc += fmt.Sprintf("\n\nCocok dengan klaim %s (skor %.2f): %s", m.ClaimID, m.Score, m.Why)
	}
	tlp, reg, detected := string(it.TLP), it.Region, it.FirstSeen
	in := incident.Input{Title: &title, Description: &desc, Category: &category, Severity: &severity, TLP: &tlp, Region: &reg, DetectedAt: &detected}
	var orgs []string
	if o, ok := tree.ByID(it.OwnerID); ok {
		if o.ID == who.Org.ID || slices.Contains(who.Viewer.Lineage, o.ID) {
			in.Owner = &o.Slug
		} else {
			orgs = append(orgs, o.Slug)
		}
	}
	in.Participants = &incident.Participants{Orgs: orgs}
	inc, err := incident.Create(ctx, db, who, tree, in)
	if err != nil {
		return incident.Incident{}, err
	}
	if breach {
		cats := []string{"nik"}
		if it.PII.KK > 0 {
			cats = append(cats, "nomor_kk")
		}
		if it.PII.Phone > 0 {
			cats = append(cats, "kontak")
		}
		if _, err := incident.MarkBreach(ctx, db, who, inc.HumanID, incident.PDPInput{DataSubjects: int64(max(it.PII.NIK, it.PII.KK)), DataCategories: cats}); err != nil {
			return inc, fmt.Errorf("incident %s opened, but its UU PDP breach record was refused: %w", inc.HumanID, err)
		}
	}
	now := store.Now()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE patrol_items SET incident_id = ?, updated_at = ? WHERE id = ? AND incident_id IS NULL`, inc.ID, now, id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return problem.New(problem.Conflict, "item %s got an incident from someone else meanwhile; %s was opened too", it.HumanID, inc.HumanID)
		}
		if err := addEvent(ctx, tx, id, now, who.Actor(), EventIncident, inc.HumanID, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "patrol.item.incident", RecordKind, id, map[string]any{"incident_id": inc.ID, "human_id": inc.HumanID, "breach": breach})
	})
	return inc, err
}

// RecordDownload notes in an item's chain of custody that its stored copy
// was handed out, to whom and to which address.
func RecordDownload(ctx context.Context, db *store.DB, who auth.Principal, id int64, addr string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		if err := addEvent(ctx, tx, id, store.Now(), who.Actor(), EventDownloaded, "", clip(addr, 100)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "patrol.item.download", RecordKind, id, map[string]any{"addr": addr})
	})
}

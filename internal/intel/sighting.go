package intel

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Sighting is where and when an indicator was seen.
type Sighting struct {
	ID          int64     `json:"id"`
	IndicatorID int64     `json:"indicator_id"`
	STIXID      string    `json:"stix_id"`
	Count       int64     `json:"count"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Region      string    `json:"region"`
	AssetID     int64     `json:"asset_id,omitempty"`
	AlertID     int64     `json:"alert_id,omitempty"`
	Org         string    `json:"org,omitempty"` // who saw it (slug)
	Note        string    `json:"note,omitempty"`
}

// Seen is one report of an indicator seen.
type Seen struct {
	Count     int64
	FirstSeen time.Time
	LastSeen  time.Time
	Region    string
	AssetID   int64
	AlertID   int64
	OrgID     int64
	Note      string
}

// addSighting counts s against indicator id in tx: the same place (region,
// asset, alert) adds to its row; a new place is a new row.
func addSighting(ctx context.Context, tx *store.Tx, id int64, s Seen) error {
	if s.Count < 1 {
		s.Count = 1
	}
	if s.FirstSeen.IsZero() {
		s.FirstSeen = store.Now()
	}
	if s.LastSeen.Before(s.FirstSeen) {
		s.LastSeen = s.FirstSeen
	}
	var org any
	if s.OrgID > 0 {
		org = s.OrgID
	}
	_, err := tx.Exec(ctx, `INSERT INTO indicator_sightings (indicator_id, stix_id, count, first_seen, last_seen, region, asset_id, alert_id, org_id, note, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (indicator_id, region, asset_id, alert_id) DO UPDATE SET
			count = indicator_sightings.count + excluded.count,
			modified_at = excluded.modified_at,
			first_seen = CASE WHEN excluded.first_seen < indicator_sightings.first_seen THEN excluded.first_seen ELSE indicator_sightings.first_seen END,
			last_seen = CASE WHEN excluded.last_seen > indicator_sightings.last_seen THEN excluded.last_seen ELSE indicator_sightings.last_seen END`,
		id, NewID("sighting"), s.Count, s.FirstSeen.UTC(), s.LastSeen.UTC(), s.Region, s.AssetID, s.AlertID, org, s.Note, store.Now())
	if err != nil {
		return fmt.Errorf("indicator %d sighting: %w", id, err)
	}
	// The chart's day: a report's count falls on the day of its last
	// sighting (a live batch spans seconds; an alert's span is its own).
	if _, err := tx.Exec(ctx, `INSERT INTO indicator_sighting_days (indicator_id, day, count) VALUES (?, ?, ?)
		ON CONFLICT (indicator_id, day) DO UPDATE SET count = indicator_sighting_days.count + excluded.count`,
		id, Day(s.LastSeen), s.Count); err != nil {
		return fmt.Errorf("indicator %d sighting day: %w", id, err)
	}
	return nil
}

// AddSighting records that a principal's organisation saw an indicator it
// may read; audited.
func AddSighting(ctx context.Context, db *store.DB, who auth.Principal, id int64, s Seen) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		i, err := Get(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if !policy.CanWrite(who.Viewer, i.Record(), policy.Investigate) {
			return problem.New(problem.Forbidden, "your role may not record sightings")
		}
		if s.Count < 0 || s.Count > 1<<40 {
			return problem.Field("count", "must be 1 or more")
		}
		s.OrgID = who.Org.ID
		if err := addSighting(ctx, tx, id, s); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "indicator.sighting", RecordKind, id, map[string]any{
			"count": s.Count, "region": s.Region, "asset_id": s.AssetID, "alert_id": s.AlertID})
	})
}

// Sightings lists an indicator's sightings, most recent first; an indicator
// the principal may not read is not found.
func Sightings(ctx context.Context, q store.Querier, who auth.Principal, id int64) ([]Sighting, error) {
	if _, err := Get(ctx, q, who, id); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT s.id, s.indicator_id, s.stix_id, s.count, s.first_seen, s.last_seen, s.region, s.asset_id, s.alert_id,
		COALESCE(o.slug, ''), s.note FROM indicator_sightings s LEFT JOIN orgs o ON o.id = s.org_id
		WHERE s.indicator_id = ? ORDER BY s.last_seen DESC, s.id DESC LIMIT 500`, id)
	if err != nil {
		return nil, fmt.Errorf("indicator %d sightings: %w", id, err)
	}
	return store.Collect(rows, func(r store.Scanner) (Sighting, error) {
		var s Sighting
		err := r.Scan(&s.ID, &s.IndicatorID, &s.STIXID, &s.Count, &s.FirstSeen, &s.LastSeen, &s.Region, &s.AssetID, &s.AlertID, &s.Org, &s.Note)
		return s, err
	})
}

// FromAlert makes an alert's attacking address an indicator of the
// principal's organisation (or finds the one it has), at the alert's TLP and
// region, with the alert's technique and evidence, and counts the alert as
// a sighting. It returns the indicator and whether it was new.
func FromAlert(ctx context.Context, db *store.DB, who auth.Principal, alertID int64) (Indicator, bool, error) {
	a, err := alert.Get(ctx, db, who, alertID)
	if err != nil {
		return Indicator{}, false, err
	}
	kind := IPv4
	if strings.Contains(a.SourceIP, ":") {
		kind = IPv6
	}
	value, err := Normalize(kind, a.SourceIP)
	if err != nil {
		return Indicator{}, false, problem.New(problem.Invalid, "alert %d has no attacking address: %v", alertID, err)
	}
	var techniques []string
	if t := strings.ToUpper(a.Technique); techniqueRE.MatchString(t) || capecRE.MatchString(t) {
		techniques = []string{t}
	}
	region := a.Region
	in := Input{
		Kind: kind, Value: value, Name: a.Title, Description: alertEvidence(a),
		Techniques: techniques, TLP: a.TLP, Region: &region, Detect: true,
		Source: "alert", SourceRef: strconv.FormatInt(a.ID, 10),
	}
	var out Indicator
	var created bool
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM indicators WHERE owner_org_id = ? AND kind = ? AND value = ?`, who.Org.ID, string(kind), value).Scan(&id)
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
		if err := addSighting(ctx, tx, id, Seen{Count: a.Count, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, Region: a.Region,
			AssetID: a.AssetID, AlertID: a.ID, OrgID: who.Org.ID, Note: a.Scenario}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Actor(), "indicator.sighting", RecordKind, id, map[string]any{"alert_id": a.ID, "count": a.Count}); err != nil {
			return err
		}
		out, err = Get(ctx, tx, who, id)
		return err
	})
	return out, created, err
}

// alertEvidence is a short account of an alert's evidence for the
// indicator's description: what the address did, the first requests.
func alertEvidence(a alert.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d kejadian, %s s.d. %s (peringatan %d)", a.Title, a.Count, Stamp(a.FirstSeen), Stamp(a.LastSeen), a.ID)
	for i, e := range a.Evidence {
		if i == 3 {
			break
		}
		line := strings.TrimSpace(e.Fields["http.request.method"] + " " + e.Fields["url.original"])
		if line != "" {
			fmt.Fprintf(&b, "\n%s %s", Stamp(e.At), line)
		}
	}
	s := b.String()
	if len(s) > maxDescription {
		s = strings.ToValidUTF8(s[:maxDescription], "")
	}
	return s
}

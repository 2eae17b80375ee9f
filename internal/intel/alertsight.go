package intel

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// AlertSighting is a sighting that names an alert, with its indicator, as
// the alert's page lists it.
type AlertSighting struct {
	SightingID  int64      `json:"sighting_id"`
	STIXID      string     `json:"stix_id"`
	IndicatorID int64      `json:"indicator_id"`
	Kind        Kind       `json:"kind"`
	Value       string     `json:"value"`
	TLP         policy.TLP `json:"tlp"`
	Count       int64      `json:"count"`
	FirstSeen   time.Time  `json:"first_seen"`
	LastSeen    time.Time  `json:"last_seen"`
}

// AlertSightings are the sightings that name an alert, of the indicators
// the principal may read (visibility in the query: a RED indicator's
// sighting is shown only to its named users).
func AlertSightings(ctx context.Context, q store.Querier, who auth.Principal, alertID int64) ([]AlertSighting, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	rows, err := q.Query(ctx, `SELECT s.id, s.stix_id, i.id, i.kind, i.value, i.tlp, s.count, s.first_seen, s.last_seen
		FROM indicator_sightings s JOIN indicators i ON i.id = s.indicator_id
		WHERE s.alert_id = ? AND `+vis+` ORDER BY s.last_seen DESC, s.id DESC LIMIT 100`, append([]any{alertID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("sightings of alert %d: %w", alertID, err)
	}
	return store.Collect(rows, func(r store.Scanner) (AlertSighting, error) {
		var s AlertSighting
		var kind, tlp string
		err := r.Scan(&s.SightingID, &s.STIXID, &s.IndicatorID, &kind, &s.Value, &tlp, &s.Count, &s.FirstSeen, &s.LastSeen)
		s.Kind, s.TLP = Kind(kind), policy.TLP(tlp)
		return s, err
	})
}

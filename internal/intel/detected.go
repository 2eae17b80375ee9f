package intel

import (
	"context"

	"github.com/garda-id/garda/internal/store"
)

// AddDetected counts, in tx, sightings made by Garda's own detection (no
// principal: internal/intel/match matching ingested lines) against
// indicator id; the same place adds to its row. Machine sightings are not
// audited one by one (a hit is counted, not a change someone made).
func AddDetected(ctx context.Context, tx *store.Tx, id int64, s Seen) error {
	return addSighting(ctx, tx, id, s)
}

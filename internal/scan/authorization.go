package scan

import (
	"context"
	"time"
)

// Authorization is the written permission to test one asset: no scan runs
// without a valid one. It is given by a coordinator of the asset's owner
// or by BSSN, and says how far and how hard a scan may go.
type Authorization struct {
	ID       int64  `json:"id"`
	AssetID  int64  `json:"asset_id"`
	GivenBy  string `json:"given_by"`  // user name of the coordinator
	GivenOrg string `json:"given_org"` // organisation slug
	// Scope lists what may be touched: host names, URLs (a prefix) and
	// host:port pairs. A target outside it is refused, never narrowed.
	Scope []string `json:"scope"`
	Mode  Mode     `json:"mode"`
	// WindowStart and WindowEnd are hours of the day in WIB (0-24) inside
	// which a scan may run; 0 and 24 mean all day. A window may wrap
	// midnight (22 to 5).
	WindowStart int `json:"window_start"`
	WindowEnd   int `json:"window_end"`
	// RatePerSecond and Concurrency are the per-host ceiling the fetcher
	// enforces for this asset.
	RatePerSecond float64    `json:"rate_per_second"`
	Concurrency   int        `json:"concurrency"`
	ExpiresAt     time.Time  `json:"expires_at"`
	CreatedAt     time.Time  `json:"created_at"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	RevokedBy     string     `json:"revoked_by,omitempty"` // user name
	RevokeReason  string     `json:"revoke_reason,omitempty"`
	Note          string     `json:"note,omitempty"` // e.g. the letter's reference
}

// Authorizations is how the scan runner asks the store (or anything else)
// for the permission to test an asset. Valid returns an error that says
// why when there is none (expired, revoked, outside the window, never
// given): a scan without one is refused with that error.
type Authorizations interface {
	Valid(ctx context.Context, assetID int64, now time.Time) (Authorization, error)
}

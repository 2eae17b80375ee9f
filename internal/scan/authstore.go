package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// Store keeps scan authorisations and scans in the database, and applies
// the findings lifecycle when a scan finishes. It implements
// Authorizations for the runner, and the runner's Begin, Progress and
// Finish.
type Store struct {
	DB *store.DB
	// Deadlines are the remediation times by severity; nil means
	// finding.DefaultDeadlines.
	Deadlines finding.Deadlines
	// Now is the clock (tests set it); nil means store.Now.
	Now func() time.Time
	// Files keeps the responses that back findings as evidence (the
	// platform's data directory); no Dir: they stay in the finding only.
	Files evidence.Store
}

// NewStore returns a store with the default deadlines.
func NewStore(db *store.DB) *Store { return &Store{DB: db} }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return store.Now()
}

// RecordKind names authorisations and scans in the audit chain.
const (
	AuthorizationKind = "scan_authorization"
	ScanKind          = "scan"
)

// Limits of an authorisation.
const (
	MaxRatePerSecond = 50.0
	MaxConcurrency   = 10
	MaxValidity      = 365 * 24 * time.Hour
	maxScope         = 50
)

// NationalAuthority is the organisation whose coordinators may authorise
// the test of any asset they can read: BSSN, which tests jointly.
const NationalAuthority = "bssn"

// AuthorizationInput is what a coordinator sends to authorise scans of an
// asset. A zero window (0 and 0, or 0 and 24) is all day.
type AuthorizationInput struct {
	Scope         []string  `json:"scope"`
	Mode          Mode      `json:"mode"`
	WindowStart   int       `json:"window_start"`
	WindowEnd     int       `json:"window_end"`
	RatePerSecond float64   `json:"rate_per_second"`
	Concurrency   int       `json:"concurrency"`
	ExpiresAt     time.Time `json:"expires_at"`
	Note          string    `json:"note"`
}

// MayAuthorize is THE rule of who may authorise scans of an asset they
// can read: a coordinator of its owner, of an organisation above the
// owner, or of BSSN. It answers a Forbidden problem that says so.
func MayAuthorize(who auth.Principal, a asset.Asset) error {
	if policy.Role(who.User.Role) != policy.RoleCoordinator {
		return problem.New(problem.Forbidden, "hanya koordinator %s atau BSSN yang boleh mengizinkan uji penetrasi aset ini / only a coordinator of %s (the owner), of an organisation above it, or of BSSN may authorise scans of this asset (your role: %s)", a.Owner, a.Owner, who.User.Role).
			Keyed("pentest.err.authorize_role", a.Owner, problem.Label{Group: "role", Value: who.User.Role})
	}
	if who.Org.Slug == NationalAuthority || slices.Contains(who.Viewer.Lineage, a.OwnerID) {
		return nil
	}
	return problem.New(problem.Forbidden, "hanya koordinator %s atau BSSN yang boleh mengizinkan uji penetrasi aset ini / only a coordinator of %s (the owner), of an organisation above it, or of BSSN may authorise scans of this asset (you are of %s)", a.Owner, a.Owner, who.Org.Slug).
		Keyed("pentest.err.authorize_org", a.Owner, who.Org.Slug)
}

// assetHosts are the host names an asset names, in its URLs and host names.
func assetHosts(a asset.Asset) []string {
	var out []string
	for _, h := range a.Hostnames {
		out = append(out, strings.ToLower(h))
	}
	for _, s := range a.URLs {
		if u, err := url.Parse(s); err == nil && u.Hostname() != "" {
			out = append(out, strings.ToLower(u.Hostname()))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// scopeEntry checks one scope entry against the asset's hosts and returns
// it in canonical form: a host name, host:port, or an http(s) URL.
func scopeEntry(entry string, hosts []string) (string, error) {
	e := strings.TrimSpace(entry)
	if e == "" || len(e) > 2000 {
		return "", scopeError{"empty", "is empty or too long"}
	}
	var host string
	switch {
	case strings.Contains(e, "://"):
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			return "", scopeError{"not_url", "is not an http(s) URL"}
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return "", scopeError{"bad_port", "has a bad port"}
			}
		}
		u.Host, u.Fragment, u.RawQuery = strings.ToLower(u.Host), "", ""
		host, e = strings.ToLower(u.Hostname()), u.String()
	case strings.Contains(e, ":") && net.ParseIP(e) == nil:
		h, p, err := net.SplitHostPort(e)
		n, perr := strconv.Atoi(p)
		if err != nil || perr != nil || n < 1 || n > 65535 {
			return "", scopeError{"not_host_port", "is not host:port with a port 1-65535"}
		}
		host = strings.ToLower(h)
		e = net.JoinHostPort(host, p)
	default:
		host = strings.ToLower(strings.TrimSuffix(e, "."))
		e = host
	}
	if !slices.Contains(hosts, host) {
		return "", scopeError{"foreign", fmt.Sprintf("names %s, which is not one of the asset's hosts (%s): an authorisation cannot reach beyond its asset", host, strings.Join(hosts, ", "))}
	}
	return e, nil
}

// scopeError is why a scope entry is refused: a reason code (the UI's
// label pentest.scope_reason.<code>) and the API's words.
type scopeError struct{ code, text string }

func (e scopeError) Error() string { return e.text }

// Covers reports whether a target (a URL, host:port or host name) lies in
// an authorisation's scope: its host is a host-name entry; or it is a
// host:port entry; or it starts with a URL entry (same scheme, host, port
// and a path under the entry's). A URL entry also covers its own host:port
// (the TLS handshake a browser makes) and its bare host name (DNS records,
// which are asked of the resolver, not of the site).
func (a Authorization) Covers(target string) bool {
	isURL := strings.Contains(target, "://")
	host, hostPort := splitTarget(target)
	full := strings.ToLower(target)
	for _, e := range a.Scope {
		switch {
		case strings.Contains(e, "://"):
			if full == e || strings.HasPrefix(full, strings.TrimSuffix(e, "/")+"/") {
				return true
			}
			eh, ehp := splitTarget(e)
			if !isURL && ((hostPort != "" && hostPort == ehp) || (hostPort == "" && host == eh)) {
				return true
			}
		case strings.Contains(e, ":") && net.ParseIP(e) == nil:
			if hostPort == e {
				return true
			}
		default:
			if host == e {
				return true
			}
		}
	}
	return false
}

// splitTarget gives a target's host and, when it names one (a URL's scheme
// does), its host:port, both in lower case.
func splitTarget(target string) (host, hostPort string) {
	host = target
	if u, err := url.Parse(target); err == nil && strings.Contains(target, "://") {
		host = u.Hostname()
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		hostPort = net.JoinHostPort(host, port)
	} else if h, p, err := net.SplitHostPort(target); err == nil {
		host, hostPort = h, net.JoinHostPort(h, p)
	}
	return strings.ToLower(host), strings.ToLower(hostPort)
}

// InWindow reports whether now lies in the authorisation's window of WIB
// hours (start inclusive, end exclusive; it may wrap midnight).
func (a Authorization) InWindow(now time.Time) bool {
	s, e := a.WindowStart, a.WindowEnd
	if s == e || (s == 0 && e == 24) {
		return true
	}
	h := now.In(region.WIB).Hour()
	if s < e {
		return h >= s && h < e
	}
	return h >= s || h < e
}

// Window describes the window for people: "22-05 WIB", or "all day".
func (a Authorization) Window() string {
	if a.WindowStart == a.WindowEnd || (a.WindowStart == 0 && a.WindowEnd == 24) {
		return "all day"
	}
	return fmt.Sprintf("%02d-%02d WIB", a.WindowStart, a.WindowEnd)
}

// validate checks an input against the asset and now, and returns the
// authorisation it gives.
func (in AuthorizationInput) validate(a asset.Asset, now time.Time) (Authorization, error) {
	hosts := assetHosts(a)
	if len(hosts) == 0 {
		return Authorization{}, problem.Field("scope", "asset %q names no URL or host name to test", a.Name).Keyed("pentest.err.scope_no_hosts", a.Name)
	}
	if len(in.Scope) == 0 || len(in.Scope) > maxScope {
		return Authorization{}, problem.Field("scope", "list 1 to %d host names, URLs or host:port pairs of the asset (%s)", maxScope, strings.Join(hosts, ", ")).
			Keyed("pentest.err.scope_count", maxScope, strings.Join(hosts, ", "))
	}
	var scope []string
	for i, e := range in.Scope {
		c, err := scopeEntry(e, hosts)
		if err != nil {
			var se scopeError
			errors.As(err, &se)
			return Authorization{}, problem.Field("scope", "entry %d (%q) %v", i+1, e, err).
				Keyed("pentest.err.scope_entry", i+1, e, problem.Label{Group: "pentest.scope_reason", Value: se.code}, strings.Join(hosts, ", "))
		}
		if !slices.Contains(scope, c) {
			scope = append(scope, c)
		}
	}
	if in.Mode != Passive && in.Mode != Active {
		return Authorization{}, problem.Field("mode", "must be passive or active").Keyed("pentest.err.mode")
	}
	if in.WindowStart < 0 || in.WindowStart > 24 || in.WindowEnd < 0 || in.WindowEnd > 24 {
		return Authorization{}, problem.Field("window_start", "window hours are 0 to 24 (WIB)").Keyed("pentest.err.window")
	}
	if !(in.RatePerSecond > 0) || in.RatePerSecond > MaxRatePerSecond {
		return Authorization{}, problem.Field("rate_per_second", "must be above 0 and at most %g requests per second", MaxRatePerSecond).
			Keyed("pentest.err.rate", MaxRatePerSecond)
	}
	if in.Concurrency < 1 || in.Concurrency > MaxConcurrency {
		return Authorization{}, problem.Field("concurrency", "must be 1 to %d connections", MaxConcurrency).Keyed("pentest.err.concurrency", MaxConcurrency)
	}
	exp := in.ExpiresAt.UTC().Truncate(time.Microsecond)
	if !exp.After(now) || exp.After(now.Add(MaxValidity)) {
		return Authorization{}, problem.Field("expires_at", "must lie in the future and at most a year ahead").Keyed("pentest.err.expires")
	}
	note := strings.TrimSpace(in.Note)
	if len(note) > 1000 {
		return Authorization{}, problem.Field("note", "at most 1000 characters").Keyed("pentest.err.note")
	}
	return Authorization{AssetID: a.ID, Scope: scope, Mode: in.Mode, WindowStart: in.WindowStart, WindowEnd: in.WindowEnd,
		RatePerSecond: in.RatePerSecond, Concurrency: in.Concurrency, ExpiresAt: exp, CreatedAt: now, Note: note}, nil
}

// Give records an authorisation to scan an asset the principal can read
// (MayAuthorize decides who may), audited. Bad input changes nothing.
func (s *Store) Give(ctx context.Context, who auth.Principal, assetID int64, in AuthorizationInput) (Authorization, error) {
	var az Authorization
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := asset.Get(ctx, tx, who, assetID)
		if err != nil {
			return err
		}
		if err := MayAuthorize(who, a); err != nil {
			return err
		}
		if az, err = in.validate(a, s.now()); err != nil {
			return err
		}
		az.GivenBy, az.GivenOrg = who.User.Username, who.Org.Slug
		scope, _ := json.Marshal(az.Scope)
		if err := tx.QueryRow(ctx, `INSERT INTO scan_authorizations (asset_id, given_by_id, given_by, given_org, scope, mode, window_start, window_end,
			rate_per_second, concurrency, note, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			az.AssetID, who.User.ID, az.GivenBy, az.GivenOrg, string(scope), string(az.Mode), az.WindowStart, az.WindowEnd,
			az.RatePerSecond, az.Concurrency, az.Note, az.ExpiresAt, az.CreatedAt).Scan(&az.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "scan_authorization.give", AuthorizationKind, az.ID, az)
	})
	if err != nil {
		return Authorization{}, fmt.Errorf("authorise scans of asset %d: %w", assetID, err)
	}
	return az, nil
}

// Revoke ends an authorisation now, with a reason; the same people who may
// give one may revoke it. Revoking twice is a conflict.
func (s *Store) Revoke(ctx context.Context, who auth.Principal, id int64, reason string) (Authorization, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) < 3 || len(reason) > 1000 {
		return Authorization{}, problem.Field("reason", "is required (3 to 1000 characters)").Keyed("pentest.err.revoke_reason")
	}
	var az Authorization
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if az, err = getAuthorization(ctx, tx, id); errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "no scan authorisation %d", id)
		} else if err != nil {
			return err
		}
		a, err := asset.Get(ctx, tx, who, az.AssetID)
		if problem.Is(err, problem.NotFound) {
			return problem.New(problem.NotFound, "no scan authorisation %d", id)
		} else if err != nil {
			return err
		}
		if err := MayAuthorize(who, a); err != nil {
			return err
		}
		if az.RevokedAt != nil {
			when := az.RevokedAt.In(region.WIB).Format(region.WIBLayout)
			return problem.New(problem.Conflict, "scan authorisation %d was already revoked at %s by %s", id, when, az.RevokedBy).
				Keyed("pentest.err.revoked_already", id, when, az.RevokedBy)
		}
		now := s.now()
		az.RevokedAt, az.RevokedBy, az.RevokeReason = &now, who.User.Username, reason
		if _, err := tx.Exec(ctx, `UPDATE scan_authorizations SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?`, now, az.RevokedBy, reason, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "scan_authorization.revoke", AuthorizationKind, id, map[string]any{"asset_id": az.AssetID, "reason": reason})
	})
	if err != nil {
		return Authorization{}, fmt.Errorf("revoke scan authorisation %d: %w", id, err)
	}
	return az, nil
}

const authColumns = `id, asset_id, given_by, given_org, scope, mode, window_start, window_end, rate_per_second, concurrency, note,
	expires_at, created_at, revoked_at, revoked_by, revoke_reason`

func scanAuthorization(r store.Scanner) (Authorization, error) {
	var a Authorization
	var scope, mode string
	if err := r.Scan(&a.ID, &a.AssetID, &a.GivenBy, &a.GivenOrg, &scope, &mode, &a.WindowStart, &a.WindowEnd, &a.RatePerSecond, &a.Concurrency, &a.Note,
		&a.ExpiresAt, &a.CreatedAt, &a.RevokedAt, &a.RevokedBy, &a.RevokeReason); err != nil {
		return a, err
	}
	a.Mode = Mode(mode)
	if err := json.Unmarshal([]byte(scope), &a.Scope); err != nil {
		return a, fmt.Errorf("scan authorisation %d: stored scope is corrupt: %w", a.ID, err)
	}
	return a, nil
}

func getAuthorization(ctx context.Context, q store.Querier, id int64) (Authorization, error) {
	return scanAuthorization(q.QueryRow(ctx, `SELECT `+authColumns+` FROM scan_authorizations WHERE id = ?`, id))
}

// List returns an asset's authorisations, newest first, when the principal
// may read the asset (otherwise the asset is not found).
func (s *Store) List(ctx context.Context, who auth.Principal, assetID int64) ([]Authorization, error) {
	if _, err := asset.Get(ctx, s.DB, who, assetID); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT `+authColumns+` FROM scan_authorizations WHERE asset_id = ? ORDER BY id DESC LIMIT 200`, assetID)
	if err != nil {
		return nil, fmt.Errorf("list scan authorisations: %w", err)
	}
	return store.Collect(rows, scanAuthorization)
}

// Refusal is why an asset may not be scanned now. The runner refuses the
// scan with it; nothing is ever narrowed to fit.
type Refusal struct {
	AssetID int64
	Reason  string
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("scan of asset %d refused: %s", r.AssetID, r.Reason)
}

// Valid returns the authorisation under which the asset may be scanned at
// now: the newest one neither revoked nor expired whose window holds now.
// Without one it returns a *Refusal that says exactly why (never given;
// expired at X; revoked at X by Y; outside the window 22-05 WIB), naming
// the newest authorisation's state.
func (s *Store) Valid(ctx context.Context, assetID int64, now time.Time) (Authorization, error) {
	return valid(ctx, s.DB, assetID, now)
}

func valid(ctx context.Context, q store.Querier, assetID int64, now time.Time) (Authorization, error) {
	rows, err := q.Query(ctx, `SELECT `+authColumns+` FROM scan_authorizations WHERE asset_id = ? ORDER BY id DESC LIMIT 200`, assetID)
	if err != nil {
		return Authorization{}, fmt.Errorf("scan authorisations of asset %d: %w", assetID, err)
	}
	all, err := store.Collect(rows, scanAuthorization)
	if err != nil {
		return Authorization{}, err
	}
	if len(all) == 0 {
		return Authorization{}, &Refusal{assetID, "no scan authorisation was ever given for it (izin uji penetrasi belum pernah diberikan)"}
	}
	var outside *Authorization
	for i, a := range all {
		if a.RevokedAt != nil || !a.ExpiresAt.After(now) {
			continue
		}
		if a.InWindow(now) {
			return a, nil
		}
		if outside == nil {
			outside = &all[i]
		}
	}
	if outside != nil {
		return Authorization{}, &Refusal{assetID, fmt.Sprintf("authorisation %d: it is %s, outside the window %s (di luar jendela waktu)",
			outside.ID, now.In(region.WIB).Format("15:04 WIB"), outside.Window())}
	}
	a := all[0]
	if a.RevokedAt != nil {
		return Authorization{}, &Refusal{assetID, fmt.Sprintf("authorisation %d was revoked at %s by %s: %s (izin dicabut)",
			a.ID, a.RevokedAt.In(region.WIB).Format(region.WIBLayout), a.RevokedBy, a.RevokeReason)}
	}
	return Authorization{}, &Refusal{assetID, fmt.Sprintf("authorisation %d expired at %s (izin kedaluwarsa)",
		a.ID, a.ExpiresAt.In(region.WIB).Format(region.WIBLayout))}
}

// Store answers the runner's question.
var _ Authorizations = (*Store)(nil)

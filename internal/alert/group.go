package alert

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// One attacker on one asset raises several alerts: a scenario, a Sigma
// rule and a CRS match of the same requests each raise their own. The
// queue shows them as one group: the alerts of one source (its address,
// or the user name when there is none) on one asset.

// GroupKey names a group.
type GroupKey struct {
	Source  string // the address, or "user:" and the user name
	AssetID int64
}

// source is an alert's or a signal's source, as groups and aggregation
// know it.
func source(ip, user string) string {
	if ip != "" {
		return ip
	}
	return "user:" + user
}

// sourceExpr is source in SQL, on alerts a.
const sourceExpr = `(CASE WHEN a.source_ip <> '' THEN a.source_ip ELSE 'user:' || a.user_name END)`

// Group is the key of the group the alert belongs to.
func (a Alert) Group() GroupKey {
	return GroupKey{Source: source(a.SourceIP, a.UserName), AssetID: a.AssetID}
}

// condition is the group's alerts in SQL, on alerts a, as the
// alerts_group index serves it (asset, address, id).
func (k GroupKey) condition() (string, []any) {
	asset, args := "a.asset_id = ?", []any{k.AssetID}
	if k.AssetID == 0 {
		asset, args = "a.asset_id IS NULL", nil
	}
	if user, ok := strings.CutPrefix(k.Source, "user:"); ok {
		return "(" + asset + " AND a.source_ip = '' AND a.user_name = ?)", append(args, user)
	}
	return "(" + asset + " AND a.source_ip = ?)", append(args, k.Source)
}

// String writes the key as ParseGroupKey reads it: "203.0.113.5|12".
func (k GroupKey) String() string { return k.Source + "|" + strconv.FormatInt(k.AssetID, 10) }

// ParseGroupKey reads a key written by GroupKey.String.
func ParseGroupKey(s string) (GroupKey, error) {
	src, id, ok := strings.Cut(s, "|")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n < 0 || src == "" || len(src) > 300 {
		return GroupKey{}, problem.Field("group", "a group is a source and an asset id: 203.0.113.5|12")
	}
	return GroupKey{Source: src, AssetID: n}, nil
}

// Group is the alerts of one source on one asset that a reader may read
// and that pass the queue's filters: its figures count only those.
type Group struct {
	Key       string    `json:"key"`
	SourceIP  string    `json:"source_ip,omitempty"`
	UserName  string    `json:"user_name,omitempty"`
	AssetID   int64     `json:"asset_id,omitempty"`
	Asset     string    `json:"asset,omitempty"` // the asset's name, when the reader may read the asset
	Count     int       `json:"count"`           // alerts
	Events    int64     `json:"events"`
	Severity  string    `json:"severity"` // the highest
	Classes   []string  `json:"classes"`  // the most serious first
	Statuses  []Status  `json:"statuses"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Latest    int64     `json:"latest"` // the newest alert's id: the order of the queue and its cursor
	Alerts    []Alert   `json:"alerts"` // newest first, at most MaxGroupAlerts
	// Priority is the highest of its alerts' priorities, PriorityReason
	// the calendar's reason of the newest raised one ("" none).
	Priority       string `json:"priority"`
	PriorityReason string `json:"priority_reason,omitempty"`
}

// MaxGroupAlerts is how many of its alerts a group lists (its Count
// counts them all; the other figures sum up those listed).
const MaxGroupAlerts = 100

// Groups returns the groups of alerts the principal may read that pass
// the filter, the group with the newest alert first, up to f.Limit+1
// groups; f.Before is a cursor on Latest.
func Groups(ctx context.Context, q store.Querier, who auth.Principal, f Filter) ([]Group, error) {
	where, args, err := f.conditions(who)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	having := ""
	if f.Before > 0 {
		having, args = ` HAVING MAX(a.id) < ?`, append(args, f.Before)
	}
	rows, err := q.Query(ctx, `SELECT `+sourceExpr+`, COALESCE(a.asset_id, 0), COUNT(*), MAX(a.id) FROM alerts a WHERE `+
		strings.Join(where, " AND ")+` GROUP BY `+sourceExpr+`, COALESCE(a.asset_id, 0)`+having+
		` ORDER BY MAX(a.id) DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("group alerts: %w", err)
	}
	type head struct {
		key    GroupKey
		count  int
		latest int64
	}
	heads, err := store.Collect(rows, func(row store.Scanner) (head, error) {
		var h head
		return h, row.Scan(&h.key.Source, &h.key.AssetID, &h.count, &h.latest)
	})
	if err != nil || len(heads) == 0 {
		return nil, err
	}
	out := make([]Group, 0, len(heads))
	for _, h := range heads {
		gf := f
		gf.Group, gf.Before, gf.Limit = &h.key, h.latest+1, MaxGroupAlerts
		members, err := List(ctx, q, who, gf)
		if err != nil {
			return nil, err
		}
		if len(members) == 0 {
			continue // its alerts left the filter since they were counted
		}
		g := newGroup(h.key, members[:min(len(members), MaxGroupAlerts)])
		g.Count, g.Latest = max(h.count, g.Count), h.latest
		out = append(out, g)
	}
	return out, nil
}

// GroupOf reads the group of one alert under the filter: not found when
// the alert is hidden or the group has no alert passing the filter.
func GroupOf(ctx context.Context, q store.Querier, who auth.Principal, f Filter, id int64) (Group, error) {
	a, err := Get(ctx, q, who, id)
	if err != nil {
		return Group{}, err
	}
	key := a.Group()
	f.Group, f.Before, f.Limit = &key, 0, 1
	list, err := Groups(ctx, q, who, f)
	if err != nil {
		return Group{}, err
	}
	if len(list) == 0 {
		return Group{}, problem.New(problem.NotFound, "the group of alert %d has no alert that passes the filters", id)
	}
	return list[0], nil
}

// newGroup sums up a group's alerts (newest first).
func newGroup(key GroupKey, members []Alert) Group {
	g := Group{Key: key.String(), AssetID: key.AssetID, Alerts: members, Count: len(members), Classes: ClassesOf(members)}
	if user, ok := strings.CutPrefix(key.Source, "user:"); ok {
		g.UserName = user
	} else {
		g.SourceIP = key.Source
	}
	for i, a := range members {
		if i == 0 || a.FirstSeen.Before(g.FirstSeen) {
			g.FirstSeen = a.FirstSeen
		}
		if a.LastSeen.After(g.LastSeen) {
			g.LastSeen = a.LastSeen
		}
		if SeverityRank(a.Severity) > SeverityRank(g.Severity) {
			g.Severity = a.Severity
		}
		if SeverityRank(a.Priority) > SeverityRank(g.Priority) {
			g.Priority = a.Priority
		}
		if g.PriorityReason == "" {
			g.PriorityReason = a.PriorityReason
		}
		if !slices.Contains(g.Statuses, a.Status) {
			g.Statuses = append(g.Statuses, a.Status)
		}
		if a.Asset != "" {
			g.Asset = a.Asset
		}
		g.Events += a.Count
		g.Latest = max(g.Latest, a.ID)
	}
	return g
}

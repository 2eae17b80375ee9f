package audit

import (
	"context"
	"strings"

	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// The audit log is read under the same visibility as the records its
// entries name: an entry says who touched which record, and its existence
// alone (a RED incident of another province being escalated) is what the
// record's label protects. Each kind of record has its rule here, in SQL,
// as a set of record ids the reader may read; the package must not import
// the domain packages (they import it), so it names their tables.
//
//   - incident, alert, asset, finding, patrol_item, patrol_source: policy.ReadFilter, as for the
//     records themselves (RED only for named users, whatever the role);
//   - scan, scan authorisation: their asset's policy.ReadFilter;
//   - decision: policy.DecisionFilter, as the decision lists (its region
//     inside the reader's scope and, if made from an alert, the alert
//     readable by the reader);
//   - user, token, saved view: the account's scope inside the reader's;
//   - organisation: its home region inside the reader's scope;
//   - webhook: the webhook's organisation in the reader's lineage and its
//     scope inside the reader's;
//   - everything else (settings, bouncers, the allow-list, the organisation
//     seed and any kind added later) is national: only a national
//     administrator (policy.ManagesNational) reads it.

// tlpTables are the kinds whose records carry a TLP label, and their tables.
var tlpTables = []struct{ kind, table string }{{"incident", "incidents"}, {"alert", "alerts"}, {"asset", "assets"}, {"finding", "findings"},
	{"patrol_item", "patrol_items"}, {"patrol_source", "patrol_sources"}, {"takedown", "takedowns"}}

// assetKinds are the kinds read under their asset's visibility (a scan and
// its authorisation say which site is tested): the query giving the ids of
// the kind's records, joined to their asset r.
var assetKinds = []struct{ kind, ids string }{
	{"scan", `SELECT CAST(s.id AS TEXT) FROM scans s JOIN assets r ON r.id = s.asset_id WHERE `},
	{"scan_authorization", `SELECT CAST(s.id AS TEXT) FROM scan_authorizations s JOIN assets r ON r.id = s.asset_id WHERE `},
}

// scopedKinds are the kinds whose visibility is a region scope: the query
// giving the ids of the kind's records, to which the scope test of column
// is appended.
var scopedKinds = []struct{ kind, ids, column string }{
	{"user", `SELECT CAST(r.id AS TEXT) FROM users r WHERE `, "r.scope"},
	{"token", `SELECT CAST(r.id AS TEXT) FROM tokens r JOIN users u ON u.id = r.user_id WHERE `, "u.scope"},
	{"saved_view", `SELECT CAST(r.id AS TEXT) FROM saved_views r JOIN users u ON u.id = r.user_id WHERE `, "u.scope"},
	{"org", `SELECT CAST(r.id AS TEXT) FROM orgs r WHERE `, "r.region"},
	{"webhook", `SELECT CAST(r.id AS TEXT) FROM webhooks r WHERE `, "r.scope"},
}

// VisibleTo returns a WHERE fragment on audit_log (unaliased) that is true
// for exactly the entries v may read, with its arguments. Each rule is a
// non-correlated "record_id IN (readable ids)", so that each set is
// computed once per query, not once per entry.
func VisibleTo(v policy.Viewer) (string, []any) {
	var ors []string
	var args []any
	for _, t := range tlpTables {
		vis, vargs := policy.ReadFilter(v, t.kind, "r")
		ors = append(ors, `(audit_log.kind = ? AND audit_log.record_id IN (SELECT CAST(r.id AS TEXT) FROM `+t.table+` r WHERE `+vis+`))`)
		args = append(append(args, t.kind), vargs...)
	}
	for _, k := range assetKinds {
		vis, vargs := policy.ReadFilter(v, "asset", "r")
		ors = append(ors, `(audit_log.kind = ? AND audit_log.record_id IN (`+k.ids+vis+`))`)
		args = append(append(args, k.kind), vargs...)
	}
	dvis, dargs := policy.DecisionFilter(v, "r")
	ors = append(ors, `(audit_log.kind = ? AND audit_log.record_id IN (SELECT CAST(r.id AS TEXT) FROM decisions r WHERE `+dvis+`))`)
	args = append(append(args, "decision"), dargs...)
	for _, k := range scopedKinds {
		vis, vargs := policy.ScopeFilter(v, k.column)
		if k.kind == "webhook" {
			lin, largs := policy.LineageFilter(v, "r.org_id")
			vis, vargs = vis+" AND "+lin, append(vargs, largs...)
		}
		ors = append(ors, `(audit_log.kind = ? AND audit_log.record_id IN (`+k.ids+vis+`))`)
		args = append(append(args, k.kind), vargs...)
	}
	if policy.ManagesNational(v) {
		// Every kind but those judged record by record: settings, bouncers,
		// the allow-list, the organisation seed, and kinds added later.
		ors = append(ors, `audit_log.kind NOT IN (?, ?, ?, ?, ?, ?, ?, ?)`)
		args = append(args, "incident", "alert", "asset", "decision", "finding", "scan", "scan_authorization", "takedown")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// ListFor is List as v may read it (VisibleTo): the audit pages and API
// use it. List itself is the operator's view (CLI, tests).
func ListFor(ctx context.Context, db store.Querier, v policy.Viewer, f Filter) ([]Entry, error) {
	f.visible, f.visibleArgs = VisibleTo(v)
	return List(ctx, db, f)
}

package policy

import (
	"strings"
)

// DenyAll is the fragment ReadFilter returns when nothing may be read.
const DenyAll = "1=0"

// ReadFilter is the SQL twin of CanRead. It returns a WHERE fragment, with
// "?" placeholders and their arguments in order, that is true for a row
// exactly when CanRead would be true for the record it holds. The store
// rewrites "?" to "$n" for PostgreSQL; the fragment is plain SQL that runs
// unchanged on SQLite and PostgreSQL, and it is wrapped in parentheses so it
// can be combined with AND.
//
// The row belongs to a record table aliased alias, with columns
// owner_org_id BIGINT, region TEXT, tlp TEXT and id BIGINT. Participants are
// in the shared tables
//
//	record_orgs(kind TEXT, record_id BIGINT, org_id BIGINT)
//	record_users(kind TEXT, record_id BIGINT, user_id BIGINT)
//
// where kind is the record type ("incident", "alert", ...), passed as kind.
//
// Index-friendliness: every participant test is an EXISTS probe on
// (kind, record_id, org_id) / (kind, record_id, user_id), so those should be
// the primary keys of record_orgs and record_users. The scope test is
// region = ? OR region LIKE '32.%', a prefix match (on PostgreSQL an index
// on region needs text_pattern_ops, or the C collation, to serve LIKE). The
// AMBER test uses owner_org_id IN (lineage), served by an index on
// owner_org_id. On PostgreSQL an index on record_users (kind, user_id,
// record_id) lets the planner start a RED-heavy list from the user.
//
// A viewer CanRead would refuse outright (zero, unknown role, malformed
// scope), an empty kind or an alias that is not a plain SQL identifier get
// DenyAll and no arguments.
func ReadFilter(v Viewer, kind, alias string) (where string, args []any) {
	if !v.signedIn() || kind == "" || !validIdent(alias) {
		return DenyAll, nil
	}
	lin := v.lineage()
	// Aliases for the subqueries: derived from alias so that they never
	// shadow it, whatever the caller calls its table.
	po, pu := alias+"_po", alias+"_pu"

	var b strings.Builder
	w := func(ss ...string) {
		for _, s := range ss {
			b.WriteString(s)
		}
	}
	col := func(c string) string { return alias + "." + c }

	w("(")
	if v.Scope != "" {
		// Kemendagri codes are digits and dots, and validScope has checked
		// the scope, so the LIKE pattern has no wildcard to escape.
		w("(", col("region"), " = ? OR ", col("region"), " LIKE ?) AND ")
		args = append(args, v.Scope, v.Scope+".%")
	}
	w("(")

	// CLEAR, GREEN: anyone signed in.
	w(col("tlp"), " IN (?, ?)")
	args = append(args, string(Clear), string(Green))

	// AMBER: the owner, or a participant org, is in the viewer's lineage
	// (the viewer's organisation is it or an ancestor of it).
	in := placeholders(len(lin))
	w(" OR (", col("tlp"), " = ? AND (", col("owner_org_id"), " IN (", in, ")",
		" OR EXISTS (SELECT 1 FROM record_orgs ", po,
		" WHERE ", po, ".kind = ? AND ", po, ".record_id = ", col("id"),
		" AND ", po, ".org_id IN (", in, "))))")
	args = append(args, string(Amber))
	args = appendIDs(args, lin)
	args = append(args, kind)
	args = appendIDs(args, lin)

	// AMBER+STRICT: the owner, or a participant org, is the viewer's own
	// organisation; no ancestors.
	w(" OR (", col("tlp"), " = ? AND (", col("owner_org_id"), " = ?",
		" OR EXISTS (SELECT 1 FROM record_orgs ", po,
		" WHERE ", po, ".kind = ? AND ", po, ".record_id = ", col("id"),
		" AND ", po, ".org_id = ?)))")
	args = append(args, string(AmberStrict), v.OrgID, kind, v.OrgID)

	// RED: the viewer is a named user; role does not matter.
	w(" OR (", col("tlp"), " = ? AND EXISTS (SELECT 1 FROM record_users ", pu,
		" WHERE ", pu, ".kind = ? AND ", pu, ".record_id = ", col("id"),
		" AND ", pu, ".user_id = ?))")
	args = append(args, string(Red), kind, v.UserID)

	w("))")
	return b.String(), args
}

// placeholders returns "?, ?, ..., ?" with n placeholders (n >= 1).
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func appendIDs(args []any, ids []int64) []any {
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}

// validIdent reports whether s is a plain, unquoted SQL identifier.
func validIdent(s string) bool {
	if s == "" || len(s) > 60 { // room for the "_po" suffix within PostgreSQL's 63
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// InRegion is a list's region filter as SQL: the row's region is code or
// inside it. It is "" (no test) when code holds the viewer's whole scope:
// ReadFilter already says as much, and said twice it makes PostgreSQL think
// the rows rare and plan for that (a provincial queue took 200 ms instead
// of 10). code must be a valid region code; an alias that is not a plain
// identifier gets DenyAll.
func InRegion(v Viewer, alias, code string) (string, []any) {
	if !validIdent(alias) {
		return DenyAll, nil
	}
	if inScope(code, v.Scope) {
		return "", nil
	}
	return "(" + alias + ".region = ? OR " + alias + ".region LIKE ?)", []any{code, code + ".%"}
}

// CountByTLP turns a counting query into one the database answers from
// indexes, whatever the table's size. query holds one %s where the
// visibility test goes; args are its own placeholders' arguments, all
// before the %s. The result is the query once per way a row
// may be visible, joined by UNION ALL: CLEAR and GREEN rows; AMBER rows the
// viewer's lineage owns; AMBER rows it takes part in but does not own; the
// same two for AMBER+STRICT and the viewer's own organisation; RED rows
// naming the viewer. Each part is served by an index on (tlp, owner_org_id)
// or starts from the viewer's few record_orgs / record_users rows, so the
// cost follows what the viewer may see, not the rows it may not.
// ReadFilter's per-row EXISTS probes suit a page of 50 rows; over 100,000
// rows they are what the national map would wait on. The parts are
// disjoint, so their counts add up, and together they allow exactly what
// ReadFilter allows.
func CountByTLP(v Viewer, kind, alias, query string, args ...any) (string, []any) {
	if !v.signedIn() || kind == "" || !validIdent(alias) {
		return strings.Replace(query, "%s", DenyAll, 1), args
	}
	col := func(c string) string { return alias + "." + c }
	scope, scopeArgs := "", []any(nil)
	if v.Scope != "" {
		// The scope test once more as one prefix LIKE, which the exact
		// test implies: a range an index can read (on PostgreSQL the
		// text_pattern_ops indexes of migration 0024) and then answer the
		// count from alone. The OR only reads as two bitmap scans and the
		// table, which put a provincial map at 150 ms instead of 10.
		scope = "(" + col("region") + " LIKE ? AND (" + col("region") + " = ? OR " + col("region") + " LIKE ?)) AND "
		scopeArgs = []any{v.Scope + "%", v.Scope, v.Scope + ".%"}
	}
	lin := appendIDs(nil, v.lineage())
	in := "(" + placeholders(len(lin)) + ")"
	own := []any{v.OrgID}
	takesPart := func(orgs string) string {
		return col("id") + " IN (SELECT record_id FROM record_orgs WHERE kind = ? AND org_id IN " + orgs + ")"
	}
	type part struct {
		where string
		args  []any
	}
	parts := []part{{col("tlp") + " IN (?, ?)", []any{string(Clear), string(Green)}}}
	for _, t := range []struct {
		tlp  TLP
		orgs string
		ids  []any
	}{{Amber, in, lin}, {AmberStrict, "(?)", own}} {
		parts = append(parts,
			part{col("tlp") + " = ? AND " + col("owner_org_id") + " IN " + t.orgs, append([]any{string(t.tlp)}, t.ids...)},
			part{col("tlp") + " = ? AND " + col("owner_org_id") + " NOT IN " + t.orgs + " AND " + takesPart(t.orgs),
				append(append(append([]any{string(t.tlp)}, t.ids...), kind), t.ids...)})
	}
	parts = append(parts, part{col("tlp") + " = ? AND " + col("id") + " IN (SELECT record_id FROM record_users WHERE kind = ? AND user_id = ?)",
		[]any{string(Red), kind, v.UserID}})
	var b strings.Builder
	var all []any
	for i, p := range parts {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString(strings.Replace(query, "%s", "("+scope+p.where+")", 1))
		all = append(append(append(all, args...), scopeArgs...), p.args...)
	}
	return b.String(), all
}

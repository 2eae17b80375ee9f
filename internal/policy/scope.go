package policy

// ScopeFilter is the SQL twin of "column lies inside v's scope" for rows
// that carry a region code but no TLP (users' scopes, organisations' home
// regions, webhooks' scopes): true for every row for a national viewer,
// for none if v is not a usable viewer. column must be a plain SQL
// identifier, optionally qualified ("u.scope"); a NULL column counts as
// national ("").
func ScopeFilter(v Viewer, column string) (string, []any) {
	if !v.signedIn() || !validColumn(column) {
		return DenyAll, nil
	}
	if v.Scope == "" {
		return "1=1", nil
	}
	return "(COALESCE(" + column + ", '') = ? OR COALESCE(" + column + ", '') LIKE ?)", []any{v.Scope, v.Scope + ".%"}
}

// validColumn accepts "name" or "alias.name" of plain identifiers.
func validColumn(c string) bool {
	for i := 0; i < len(c); i++ {
		if c[i] == '.' {
			return validIdent(c[:i]) && validIdent(c[i+1:])
		}
	}
	return validIdent(c)
}

// LineageFilter is the SQL twin of "the organisation in column is v's or
// one below it" (v's lineage), for rows owned by an organisation but
// carrying no TLP (webhooks).
func LineageFilter(v Viewer, column string) (string, []any) {
	if !v.signedIn() || !validColumn(column) {
		return DenyAll, nil
	}
	lin := v.lineage()
	return "(" + column + " IN (" + placeholders(len(lin)) + "))", appendIDs(nil, lin)
}

// DecisionFilter is the SQL twin of "v may read this decision", for a
// decisions row aliased alias: the decision's region (none is national)
// inside v's scope, and, for one made from an alert, the alert readable by
// v (ReadFilter): such a decision tells who attacked what, as the alert
// does. The decision lists and the audit log both judge by it.
func DecisionFilter(v Viewer, alias string) (string, []any) {
	if !validIdent(alias) {
		return DenyAll, nil
	}
	da := alias + "_da"
	alertVis, args := ReadFilter(v, "alert", da)
	scope, sargs := ScopeFilter(v, alias+".region")
	where := "((" + alias + ".alert_id IS NULL OR EXISTS (SELECT 1 FROM alerts " + da + " WHERE " + da + ".id = " + alias + ".alert_id AND " + alertVis + ")) AND " + scope + ")"
	return where, append(args, sargs...)
}

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

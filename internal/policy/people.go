package policy

// PeopleFilter is the SQL condition, on a users table aliased alias, for
// the accounts a viewer may find by name (to assign, hand a task to or
// name as a participant): those of the viewer's organisation and the ones
// below it, and those whose scope lies inside the viewer's. A national
// viewer finds everyone; a province finds its own people, not another
// province's. The table has columns org_id and scope.
func PeopleFilter(v Viewer, alias string) (where string, args []any) {
	if !v.signedIn() || !validIdent(alias) {
		return DenyAll, nil
	}
	if v.Scope == "" {
		return "(1=1)", nil
	}
	lin := v.lineage()
	where = "(" + alias + ".org_id IN (" + placeholders(len(lin)) + ") OR " + alias + ".scope = ? OR " + alias + ".scope LIKE ?)"
	return where, append(appendIDs(nil, lin), v.Scope, v.Scope+".%")
}

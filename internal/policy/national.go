package policy

// ManagesNational reports whether v administers the platform as a whole:
// an administrator with national scope. National settings (response
// targets, enforcement points that receive every decision in the country,
// the allow-list) act in every province at once, so a provincial
// administrator, who manages its own organisations and people, must not
// change them: one province's administrator would otherwise steer the
// whole country's response. Everything national checks this one rule.
func ManagesNational(v Viewer) bool {
	return Can(v.Role, ManageSettings) && v.signedIn() && v.Scope == ""
}

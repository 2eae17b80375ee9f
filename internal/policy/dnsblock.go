package policy

// CutsAccess reports whether v may put a domain on the DNS blocklist or
// lift it directly (without a takedown request): a coordinator with
// national scope. Every ISP's resolver loads the one zone, so a block acts
// in every province at once; a provincial coordinator asks through a
// takedown request instead.
func CutsAccess(v Viewer) bool {
	return v.Role == RoleCoordinator && Can(v.Role, Takedown) && v.signedIn() && v.Scope == ""
}

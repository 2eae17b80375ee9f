package policy

// CanSendLogs reports whether v may send the logs of an asset owned by
// ownerOrg and lying in region with its own account, and register, list
// and revoke the asset's ingest keys (a key sends in the owner's stead).
// Sending logs is a claim about what happened on a system (forged lines
// raise alerts and ban addresses), so it belongs to the system's owner,
// not to everyone who may read it: the role must allow Ingest, the asset
// must lie in v's scope, and v's organisation must be the owner itself,
// not a parent or a participant.
func CanSendLogs(v Viewer, ownerOrg int64, region string) bool {
	return v.signedIn() && Can(v.Role, Ingest) && inScope(v.Scope, region) && ownerOrg > 0 && v.OrgID == ownerOrg
}

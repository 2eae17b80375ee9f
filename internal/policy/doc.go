// Package policy is the one place in Garda that decides who may see and do
// what. Garda is shared by many agencies, and the records it holds
// (incidents, alerts, findings, indicators, content items, reports) carry a
// TLP 2.0 label, an owner organisation, a region and lists of participant
// organisations and named participant users. This package turns the design
// document's access rule into code:
//
//   - CanRead decides whether a Viewer may read a Record;
//   - Can decides whether a Role may perform an Action at all;
//   - CanWrite is Can and CanRead together: a write needs both the role and
//     read access to the record;
//   - CanCase decides the actions on an incident (casework.go): the role
//     and the organisation's relation to the record (owner, participant,
//     supervising, none) together; CanEditOwned keeps a record's edits with
//     its owner and the organisations above it;
//   - ReadFilter is the SQL twin of CanRead: a WHERE fragment that is true
//     for exactly the rows CanRead would allow, so that lists are filtered in
//     the query and never by fetching everything and discarding rows.
//
// The rule, from the design document: a user may read a record only if the
// record's region lies inside the user's scope, and
//
//	CLEAR         every signed-in user
//	GREEN         every signed-in user (the task-force community)
//	AMBER         users of the owner or a participant organisation, or of an
//	              ancestor of either (the supervising body)
//	AMBER+STRICT  users of the owner or a participant organisation only
//	RED           named participant users only; no role, admin included,
//	              reads RED otherwise
//
// This package must never be bypassed. Every read of a single record goes
// through CanRead (or CanWrite before a change), and every list, count,
// search, export or feed that returns records goes through ReadFilter. No
// handler, job or report may query a record table without it. Deny is the
// default: an unknown TLP, an unknown role, a malformed scope or a zero
// Viewer read nothing. A denied read of a known id must be answered as
// "not found" (404), never "forbidden" (403), so that ids leak nothing;
// callers get a plain bool from this package and must not tell the two
// cases apart in their responses.
package policy
